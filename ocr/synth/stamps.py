"""Rubber stamps: rectangular with a double border, or round with text along the ring.

Stamp ink is uneven: pressed harder on one side, patchy where the pad was
dry. A stamp is returned as two patches of the same size, the letters and
the border, so that the letters count as text ink and the border does not.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.synth.fonts import GlyphSource, stamp_font_path
from ocr.synth.ink import smooth_noise

STAMP_COLORS = {
    "violet": np.array([0.45, 0.25, 0.62], np.float32),
    "blue": np.array([0.20, 0.32, 0.70], np.float32),
    "red": np.array([0.78, 0.22, 0.22], np.float32),
}


@dataclass(frozen=True)
class Stamp:
    text_alpha: np.ndarray
    text_shape: np.ndarray
    border_alpha: np.ndarray
    border_shape: np.ndarray
    color: np.ndarray


def _set_text(canvas: np.ndarray, src: GlyphSource, text: str, cx: float, baseline: float) -> None:
    width = sum(src.glyph(c).advance for c in text)
    x = cx - width / 2
    for ch in text:
        g = src.glyph(ch)
        if g.alpha.size > 1:
            _paste_max(canvas, g.alpha, int(round(x + g.dx)), int(round(baseline + g.dy)))
        x += g.advance


def _paste_max(canvas: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    h, w = patch.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, canvas.shape[1]), min(y + h, canvas.shape[0])
    if x0 < x1 and y0 < y1:
        sub = canvas[y0:y1, x0:x1]
        np.maximum(sub, patch[y0 - y:y1 - y, x0 - x:x1 - x], out=sub)


def rectangular(lines: list[str], *, letter_px: int, border_px: float) -> tuple[np.ndarray, np.ndarray]:
    src = GlyphSource([stamp_font_path()], letter_px)
    cap = src.metrics()[0]
    widths = [sum(src.glyph(c).advance for c in line) for line in lines]
    pad_x, pad_y, gap = letter_px * 0.9, letter_px * 0.7, cap * 0.75
    w = int(max(widths) + 2 * pad_x)
    h = int(len(lines) * cap + (len(lines) - 1) * gap + 2 * pad_y)
    text = np.zeros((h, w), np.float32)
    for k, line in enumerate(lines):
        _set_text(text, src, line, w / 2, pad_y + cap + k * (cap + gap))
    border = np.zeros((h, w), np.uint8)
    t_out, t_in = max(2, int(round(border_px * 1.6))), max(1, int(round(border_px * 0.8)))
    inset = int(t_out + border_px * 2.5)
    cv2.rectangle(border, (t_out // 2, t_out // 2), (w - 1 - t_out // 2, h - 1 - t_out // 2), 255, t_out)
    cv2.rectangle(border, (inset, inset), (w - 1 - inset, h - 1 - inset), 255, t_in)
    return text, border.astype(np.float32) / 255.0


def round_(ring: str, center: list[str], *, letter_px: int, border_px: float) -> tuple[np.ndarray, np.ndarray]:
    src = GlyphSource([stamp_font_path()], letter_px)
    cap = src.metrics()[0]
    ring_text = ring.strip()
    track = 1.15                                       # letter spacing on the ring
    arc = sum(src.glyph(c).advance for c in ring_text) * track
    r_text = max(arc / (2 * np.pi * 0.92), letter_px * 5.0)
    r_out = r_text + cap * 0.5 + border_px * 3
    size = int(2 * r_out + 4 * border_px + 4)
    c = size / 2
    text = np.zeros((size, size), np.float32)
    angle = -np.pi / 2 - arc / r_text / 2              # the ring text centred on the top
    for ch in ring_text:
        g = src.glyph(ch)
        half = g.advance * track / 2 / r_text
        angle += half
        if g.alpha.size > 1:
            gx, gy = c + r_text * np.cos(angle), c + r_text * np.sin(angle)
            deg = -np.degrees(angle + np.pi / 2)
            gh, gw = g.alpha.shape
            m = cv2.getRotationMatrix2D((gw / 2, gh / 2), deg, 1.0)
            m[0, 2] += gx - gw / 2
            m[1, 2] += gy - gh / 2
            placed = cv2.warpAffine(g.alpha, m, (size, size), flags=cv2.INTER_LINEAR)
            np.maximum(text, placed, out=text)
        angle += half
    for k, line in enumerate(center):
        y = c + cap / 2 + (k - (len(center) - 1) / 2) * cap * 1.6
        _set_text(text, src, line, c, y)
    border = np.zeros((size, size), np.uint8)
    center_pt = (int(round(c * 16)), int(round(c * 16)))
    cv2.circle(border, center_pt, int(round(r_out * 16)), 255, max(2, int(round(border_px * 1.6))),
               cv2.LINE_AA, shift=4)
    cv2.circle(border, center_pt, int(round((r_text - cap * 0.8) * 16)), 255,
               max(1, int(round(border_px * 0.8))), cv2.LINE_AA, shift=4)
    return text, border.astype(np.float32) / 255.0


def ink(text: np.ndarray, border: np.ndarray, *, color: str, patchiness: float, angle: float,
        rng: np.random.Generator) -> Stamp:
    """Rotate the stamp and ink it unevenly; letters too faint to see leave the text shape."""
    h, w = text.shape
    diag = int(np.ceil(np.hypot(h, w))) + 4
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[0, 2] += (diag - w) / 2
    m[1, 2] += (diag - h) / 2
    soft = max(0.5, min(h, w) * 0.004)                  # rubber edges are soft
    text = cv2.GaussianBlur(cv2.warpAffine(text, m, (diag, diag), flags=cv2.INTER_LINEAR), (0, 0), soft)
    border = cv2.GaussianBlur(cv2.warpAffine(border, m, (diag, diag), flags=cv2.INTER_LINEAR), (0, 0), soft)
    scale = max(h, w) / 5
    pressure = np.linspace(-1, 1, diag, dtype=np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(direction) * pressure[None, :] + np.sin(direction) * pressure[:, None]
    field = 0.85 - 0.35 * patchiness * ramp + 0.45 * patchiness * smooth_noise((diag, diag), scale, rng)
    fine = smooth_noise((diag, diag), max(2.0, scale / 12), rng)
    field = np.clip(field - patchiness * 0.25 * np.maximum(fine, 0), 0.0, 1.0)
    opacity = float(rng.uniform(0.7, 0.95))
    text_alpha = text * field * opacity
    border_alpha = border * field * opacity
    visible = field > 0.45
    return Stamp(text_alpha, text * visible, border_alpha, border * visible, STAMP_COLORS[color])
