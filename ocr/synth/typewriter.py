"""A typewriter: fixed pitch, worn ribbon, misaligned type bars, carbon copies.

Every key has its own small systematic offset and force (the type bars of a
real machine are bent differently) plus a random jitter per strike. Ink
opacity drifts along the page with ribbon wear and varies per strike; dirty
type slugs fill the counters of round letters; some strikes are faint or
broken, a few double-struck. A carbon copy is the same strike through carbon
paper: blurred, lighter, grainier and tinted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import cv2
import numpy as np

from ocr.synth.fonts import GlyphSource
from ocr.synth.ink import InkCanvas, blur, pad
from ocr.synth.layout import LineSpec

RIBBON_BLACK = np.array([0.10, 0.10, 0.12], np.float32)
RIBBON_VIOLET = np.array([0.30, 0.22, 0.45], np.float32)
CARBON_BLUE = np.array([0.32, 0.34, 0.58], np.float32)
CARBON_VIOLET = np.array([0.40, 0.30, 0.55], np.float32)
CARBON_BLACK = np.array([0.22, 0.22, 0.24], np.float32)
_ROUND_KEYS = "оаедбвзрфюяэОАДБВРФЮЯЭ0689%@ёЁ"


def stem_width(source: GlyphSource) -> float:
    """Width in pixels of the left stem of "Н", the face's stroke weight."""
    alpha = source.glyph("Н").alpha
    row = np.r_[0, (alpha[alpha.shape[0] // 3] > 0.5).astype(np.int8), 0]
    edges = np.flatnonzero(np.diff(row))
    return float(edges[1] - edges[0]) if len(edges) >= 2 else 1.0


@dataclass
class Typewriter:
    source: GlyphSource
    cell: float                    # pitch in pixels
    left: float                    # x of column 0, pixels
    color: np.ndarray
    opacity: float                 # mean ribbon opacity on this page
    ink_jitter: float
    baseline_jitter: float         # px
    broken_p: float
    double_strike_p: float
    carbon: bool
    spread: float                  # blur sigma of the ink, px
    rng: np.random.Generator
    key_offset: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    dirty_keys: frozenset[str] = frozenset()
    key_angle: dict[str, float] = field(default_factory=dict)   # degrees, a bent type bar
    bold: int = 1                  # dilation kernel bringing thin faces to a typewriter's stroke
    pressure: np.ndarray | None = None   # coarse grid over the page: uneven pressure through carbon
    page_size: tuple[int, int] = (1, 1)  # (width, height) the pressure grid spans
    _shapes: dict[str, np.ndarray] = field(default_factory=dict)
    _wear: float = 1.0

    @classmethod
    def for_document(cls, source: GlyphSource, *, cell: float, left: float, color: np.ndarray,
                     opacity: float, ink_jitter: float, baseline_jitter: float, broken_p: float,
                     double_strike_p: float, filled_counters_p: float, carbon: bool, spread: float,
                     stroke_px: float,
                     doc_rng: np.random.Generator, rng: np.random.Generator) -> Typewriter:
        cap = source.metrics()[0]
        keys = sorted(set(_ROUND_KEYS) | set("абвгдежзийклмнопрстуфхцчшщъыьэюя.,-"))
        key_offset = {k: (float(doc_rng.normal(0, 0.03 * cap)), float(doc_rng.normal(0, 0.035 * cap)),
                          float(np.clip(doc_rng.normal(1.0, 0.08), 0.8, 1.15))) for k in keys}
        key_angle = {k: float(doc_rng.normal(0, 0.8)) for k in keys}
        dirty = frozenset(k for k in _ROUND_KEYS if doc_rng.random() < filled_counters_p)
        bold = 1 + max(0, int(round(stroke_px - stem_width(source))))
        return cls(source, cell, left, color, opacity, ink_jitter, baseline_jitter, broken_p,
                   double_strike_p, carbon, spread, rng, key_offset, dirty, key_angle, bold)

    def x_of(self, column: float) -> float:
        return self.left + column * self.cell

    def new_line(self) -> None:
        """Ribbon wear drifts slowly from line to line."""
        self._wear = float(np.clip(self._wear + self.rng.normal(0, 0.03), 0.8, 1.1))

    def type_line(self, canvas: InkCanvas, spec: LineSpec, baseline: float, *,
                  owners_of: Callable[[int], list[str]]) -> None:
        """Type ``spec`` with its first character at column ``spec.col``; ``owners_of(i)`` names regions."""
        self.new_line()
        for i, ch in enumerate(spec.text):
            if ch != " ":
                self.strike(canvas, ch, spec.col + i, baseline, owners_of(i))

    def overtype(self, canvas: InkCanvas, char: str, column: int, baseline: float,
                 owners: list[str]) -> None:
        self.strike(canvas, char, column, baseline, owners)

    def strike(self, canvas: InkCanvas, ch: str, column: float, baseline: float,
               owners: list[str]) -> None:
        rng = self.rng
        glyph = self.source.glyph(ch)
        if glyph.alpha.size <= 1:
            return
        dx_key, dy_key, force = self.key_offset.get(ch, (0.0, 0.0, 1.0))
        margin = self.margin
        shape = self._key_shape(ch, glyph.alpha)
        if rng.random() < self.broken_p:
            shape = self._break(shape)
        opacity = self.opacity * self._wear * force * float(rng.normal(1.0, self.ink_jitter))
        if self.pressure is not None:
            gh, gw = self.pressure.shape
            gx = min(int(self.x_of(column) / self.page_size[0] * gw), gw - 1)
            gy = min(max(int(baseline / self.page_size[1] * gh), 0), gh - 1)
            opacity *= float(self.pressure[gy, max(gx, 0)])
        opacity = float(np.clip(opacity, 0.25, 1.0))
        alpha = np.clip(shape * opacity * 1.15, 0, 1)
        if rng.random() < 0.06:                     # ribbon half off the type: top or bottom faint
            ramp = np.linspace(1.0, 0.35, alpha.shape[0], dtype=np.float32)
            alpha *= (ramp if rng.random() < 0.5 else ramp[::-1])[:, None]
        alpha = alpha * (0.82 + 0.18 * rng.random(alpha.shape, dtype=np.float32))
        alpha = blur(alpha, self.spread)
        if self.carbon:
            alpha = np.clip(alpha * (0.7 + 0.6 * rng.random(alpha.shape, dtype=np.float32)), 0, 1)
        adv = glyph.advance
        x = self.x_of(column) + (self.cell - adv) / 2 + dx_key + rng.normal(0, 0.02 * self.cell)
        y = baseline + dy_key + rng.normal(0, self.baseline_jitter)
        px, py = int(round(x + glyph.dx - margin)), int(round(y + glyph.dy - margin))
        canvas.paint(alpha, px, py, self.color, shape=shape, text=True, typed=True, owners=owners)
        if rng.random() < self.double_strike_p:
            ox, oy = int(rng.choice([-2, -1, 1, 2])), int(rng.choice([-1, 0, 1]))
            canvas.paint(alpha * 0.45, px + ox, py + oy, self.color, shape=shape * 0.45,
                         text=True, typed=True, owners=owners)

    @property
    def margin(self) -> int:
        return int(np.ceil(self.spread * 3)) + 3

    def _key_shape(self, ch: str, alpha: np.ndarray) -> np.ndarray:
        """The glyph as this machine's key prints it: padded, counters filled if dirty, bar bent."""
        shape = self._shapes.get(ch)
        if shape is not None:
            return shape
        shape = pad(alpha, self.margin)
        if self.bold > 1:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (self.bold, self.bold))
            shape = cv2.dilate(shape, kernel)
        if ch in self.dirty_keys:
            k = max(3, int(round(alpha.shape[0] * 0.12)) | 1)
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
            closed = cv2.morphologyEx(pad(shape, k), cv2.MORPH_CLOSE, kernel)[k:-k, k:-k]
            shape = np.maximum(shape, closed * 0.9)
        angle = self.key_angle.get(ch, 0.0)
        if abs(angle) > 0.05:
            h, w = shape.shape
            m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
            shape = cv2.warpAffine(shape, m, (w, h), flags=cv2.INTER_LINEAR)
        self._shapes[ch] = shape
        return shape

    def _break(self, shape: np.ndarray) -> np.ndarray:
        """Faded strokes: thin the glyph and punch gaps into it."""
        rng = self.rng
        h, w = shape.shape
        holes = cv2.GaussianBlur(rng.random((h, w), dtype=np.float32), (0, 0), max(1.0, h / 14))
        holes = (holes - holes.mean()) / max(float(holes.std()), 1e-6)
        keep = np.clip(1.2 - np.maximum(holes, 0) * 0.9, 0, 1)
        thin = cv2.erode(shape, np.ones((2, 2), np.uint8)) if rng.random() < 0.5 else shape
        return thin * keep
