"""Handwriting and pen strokes: insertions, notes, signatures, carets, strike-throughs, ticks.

Text is set glyph by glyph from a handwriting font, each glyph with its own
rotation, scale and baseline drift, then the whole word is slanted, bent by
an elastic displacement field (a smooth random field applied with
``cv2.remap``) and given a varying stroke width (dilated where the pen
pressed, eroded where it lifted). Pen ink is nearly opaque; pencil is grey,
soft and grainy. Strokes (carets, strike lines, ticks, flourishes) are
anti-aliased polylines of varying width.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ocr.synth.fonts import GlyphSource, hand_source
from ocr.synth.ink import blur, smooth_noise

PEN_BLUE = np.array([0.16, 0.24, 0.62], np.float32)
PEN_VIOLET = np.array([0.38, 0.20, 0.58], np.float32)
PEN_BLACK = np.array([0.12, 0.12, 0.16], np.float32)
PENCIL = np.array([0.42, 0.42, 0.44], np.float32)
PEN_COLORS = {"blue": PEN_BLUE, "violet": PEN_VIOLET, "black": PEN_BLACK, "pencil": PENCIL}


@dataclass(frozen=True)
class Hand:
    """One writer with one pen."""

    family: str
    size: int                      # em in pixels
    slant: float                   # shear, positive leans right
    pen: str                       # blue | violet | black | pencil
    stroke_px: float               # nominal pen width in pixels, for strokes

    @property
    def color(self) -> np.ndarray:
        return PEN_COLORS[self.pen]

    @property
    def pencil(self) -> bool:
        return self.pen == "pencil"


@dataclass(frozen=True)
class Written:
    """A written patch: ``shape`` is where the pen went, ``alpha`` how much ink it left."""

    alpha: np.ndarray
    shape: np.ndarray
    baseline: float                # y of the baseline in the patch
    x0: float                      # x in the patch where the text starts


@lru_cache(maxsize=64)
def _source(family: str, size: int) -> GlyphSource:
    return hand_source(family, size)


def hand_metrics(hand: Hand) -> tuple[float, float, float]:
    return _source(hand.family, hand.size).metrics()


def write(text: str, hand: Hand, rng: np.random.Generator, *, scale: float = 1.0) -> Written:
    size = max(8, int(round(hand.size * scale)))
    src = _source(hand.family, size)
    margin = int(size * 0.8)
    width = int(sum(src.glyph(c).advance for c in text) * 1.2) + 2 * margin + size
    height = int(size * 2.2) + 2 * margin
    baseline0 = margin + size * 1.2
    canvas = np.zeros((height, width), np.float32)
    x = float(margin)
    drift, slope = 0.0, float(rng.normal(0, 0.025))
    for ch in text:
        g = src.glyph(ch)
        step = g.advance * float(rng.uniform(0.96, 1.06))
        if ch.isspace():
            x += step * float(rng.uniform(0.9, 1.3))
            continue
        drift = 0.85 * drift + float(rng.normal(0, 0.025 * size))
        by = baseline0 + drift + slope * (x - margin)
        s = float(rng.normal(1.0, 0.05))
        angle = float(rng.normal(0, 3.5))
        m = cv2.getRotationMatrix2D((float(-g.dx), float(-g.dy)), angle, s)
        m[0, 2] += x + g.dx
        m[1, 2] += by + g.dy
        placed = cv2.warpAffine(g.alpha, m, (width, height), flags=cv2.INTER_LINEAR)
        np.maximum(canvas, placed, out=canvas)
        x += step * s
    # slant about the baseline, then the elastic field and the pen pressure
    shear = np.float32([[1, -hand.slant, hand.slant * baseline0], [0, 1, 0]])
    canvas = cv2.warpAffine(canvas, shear, (width, height), flags=cv2.INTER_LINEAR)
    canvas = elastic(canvas, rng, scale=size * 0.7, amplitude=size * 0.035)
    shape = pressure(canvas, rng, scale=size * 1.5)
    alpha = ink_of(shape, hand, rng)
    return Written(alpha, shape, baseline0, float(margin))


def elastic(alpha: np.ndarray, rng: np.random.Generator, *, scale: float, amplitude: float) -> np.ndarray:
    h, w = alpha.shape
    dx = smooth_noise((h, w), scale, rng) * amplitude
    dy = smooth_noise((h, w), scale, rng) * amplitude
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(alpha, gx + dx, gy + dy, cv2.INTER_LINEAR, borderValue=0)


def pressure(alpha: np.ndarray, rng: np.random.Generator, *, scale: float) -> np.ndarray:
    """Stroke width that varies smoothly: dilated where the field is high, eroded where low."""
    field = np.clip(smooth_noise(alpha.shape, scale, rng) * 0.6, -1, 1)
    kernel = np.ones((2, 2), np.uint8)
    thick, thin = cv2.dilate(alpha, kernel), cv2.erode(alpha, kernel)
    up, down = np.maximum(field, 0), np.maximum(-field, 0)
    return np.clip(alpha + up * (thick - alpha) + down * (thin - alpha), 0, 1)


def ink_of(shape: np.ndarray, hand: Hand, rng: np.random.Generator) -> np.ndarray:
    """How much ink a pen or pencil leaves along ``shape``."""
    if hand.pencil:
        grain = 0.45 + 0.35 * rng.random(shape.shape, dtype=np.float32)
        return blur(shape, 0.6) * grain
    flow = 0.85 + 0.12 * np.clip(smooth_noise(shape.shape, hand.size * 2.0, rng), -1, 1)
    return np.clip(blur(shape, 0.4) * flow, 0, 1)


# --------------------------------------------------------------------------- strokes


def stroke(points: np.ndarray, width: float, rng: np.random.Generator, *, margin: int = 4
           ) -> tuple[np.ndarray, int, int]:
    """An anti-aliased polyline through ``points`` (page coordinates).

    Returns the patch and the page coordinates of its top-left corner.
    """
    pts = np.asarray(points, np.float64)
    x0, y0 = np.floor(pts.min(axis=0)).astype(int) - margin - int(width)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + margin + int(width)
    patch = np.zeros((y1 - y0, x1 - x0), np.uint8)
    local = np.round((pts - [x0, y0]) * 16).astype(np.int32)
    # draw in short segments with a slowly varying width: pen pressure
    n = len(local)
    widths = np.clip(width * (1 + 0.25 * np.cumsum(rng.normal(0, 0.15, n))), width * 0.6, width * 1.5)
    for i in range(n - 1):
        cv2.line(patch, tuple(local[i]), tuple(local[i + 1]), 255,
                 max(1, int(round(widths[i]))), cv2.LINE_AA, shift=4)
    return patch.astype(np.float32) / 255.0, int(x0), int(y0)


def strike_points(x0: float, x1: float, y: float, rng: np.random.Generator, *, wavy: bool,
                  amplitude: float) -> np.ndarray:
    """A strike-through line from x0 to x1, slightly slanted, straight or wavy."""
    n = max(8, int((x1 - x0) / 6))
    xs = np.linspace(x0, x1, n)
    slope = rng.normal(0, 0.025)
    ys = y + (xs - x0) * slope + np.cumsum(rng.normal(0, 0.15, n))
    if wavy:
        period = rng.uniform(2.5, 4.5) * amplitude
        ys = ys + amplitude * 0.6 * np.sin((xs - x0) / period * 2 * np.pi + rng.uniform(0, 6))
    return np.stack([xs, ys], axis=1)


def caret_points(x: float, y: float, size: float, rng: np.random.Generator, *, down: bool) -> np.ndarray:
    """A caret ∧ with its apex at (x, y), or a ⌄ with its tip at (x, y) when ``down``."""
    w = size * rng.uniform(0.35, 0.55)
    h = size * rng.uniform(0.7, 1.0) * (-1 if down else 1)
    tilt = rng.normal(0, 0.1) * size
    return np.array([[x - w + tilt, y + h], [x, y], [x + w + tilt, y + h * rng.uniform(0.85, 1.1)]])


def tick_points(x: float, y: float, size: float, rng: np.random.Generator) -> np.ndarray:
    """A tick ✓ whose bottom is at (x, y)."""
    short = size * rng.uniform(0.3, 0.45)
    long_ = size * rng.uniform(0.9, 1.3)
    a = np.array([x - short * 0.8, y - short])
    b = np.array([x, y])
    c = np.array([x + long_ * 0.7, y - long_])
    t = np.linspace(0, 1, 6)[:, None]
    return np.concatenate([a + (b - a) * t, b + (c - b) * t[1:] + np.sin(t[1:] * np.pi) * [0, size * 0.08]])


def flourish_points(x0: float, y: float, length: float, height: float, rng: np.random.Generator) -> np.ndarray:
    """A signature's sweeping underline with a loop back."""
    t = np.linspace(0, 1, 60)
    xs = x0 + length * (t + 0.15 * np.sin(t * np.pi * rng.uniform(1.5, 2.5)))
    ys = y + height * (0.5 * np.sin(t * np.pi * rng.uniform(0.8, 1.3) + 0.3) - 0.25 * t)
    return np.stack([xs, ys], axis=1)
