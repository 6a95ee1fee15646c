"""Putting the hand-made marks on a typed page: insertions, strikes, notes, ticks, stamps.

Each function draws onto an :class:`~ocr.synth.ink.InkCanvas` in the page
frame and names the region that owns the ink, so the region's box follows
the ink wherever it went.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.synth import handwriting as hw
from ocr.synth import stamps
from ocr.synth.ink import InkCanvas
from ocr.synth.layout import DeletionMark, InsertionMark, LineSpec
from ocr.synth.typewriter import Typewriter


@dataclass(frozen=True)
class PageGeometry:
    width: int
    height: int
    dpi: int
    cap: float          # typed cap height, px
    xheight: float
    pitch: float        # line pitch, px
    text_left: float
    text_right: float

    @property
    def mm(self) -> float:
        return self.dpi / 25.4


def _ink_extent(shape: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(shape > 0.5)
    if len(xs) == 0:
        return 0, 0, shape.shape[1], shape.shape[0]
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _rotate(written: hw.Written, angle: float) -> hw.Written:
    h, w = written.alpha.shape
    diag = int(np.ceil(np.hypot(h, w))) + 2
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[0, 2] += (diag - w) / 2
    m[1, 2] += (diag - h) / 2
    alpha = cv2.warpAffine(written.alpha, m, (diag, diag), flags=cv2.INTER_LINEAR)
    shape = cv2.warpAffine(written.shape, m, (diag, diag), flags=cv2.INTER_LINEAR)
    bx, by = m @ np.array([written.x0, written.baseline, 1.0])
    return hw.Written(alpha, shape, float(by), float(bx))


def _paint_written(canvas: InkCanvas, written: hw.Written, x: float, y: float, hand: hw.Hand,
                   owner: str) -> tuple[int, int, int, int]:
    """Paint with the text start on the baseline at (x, y); returns the ink box in the page frame."""
    px, py = int(round(x - written.x0)), int(round(y - written.baseline))
    canvas.paint(written.alpha, px, py, hand.color, shape=written.shape, text=True, owners=[owner])
    ex0, ey0, ex1, ey1 = _ink_extent(written.shape)
    return px + ex0, py + ey0, px + ex1, py + ey1


def _fit_x(x: float, width: float, geo: PageGeometry) -> float:
    lo, hi = 4 * geo.mm, geo.width - 4 * geo.mm - width
    return float(min(max(x, lo), max(lo, hi)))


def insertion(canvas: InkCanvas, geo: PageGeometry, tw: Typewriter, spec: LineSpec, baseline: float,
              mark: InsertionMark, hand: hw.Hand, rng: np.random.Generator, owner: str,
              occupied: list[tuple[float, float]]) -> None:
    """Write an insertion in the gap above its line, with a caret unless it replaces struck words."""
    written = hw.write(mark.text, hand, rng)
    ex0, _, ex1, _ = _ink_extent(written.shape)
    width = ex1 - ex0
    if mark.over is not None:
        a, b = mark.over
        anchor = (tw.x_of(spec.col + a) + tw.x_of(spec.col + b)) / 2
        x = anchor - width / 2
    else:
        anchor = tw.x_of(spec.col + mark.pos) - (tw.cell * 0.5 if mark.pos > 0 else tw.cell * 0.3)
        x = anchor - width * rng.uniform(0.05, 0.45)
    for lo, hi in sorted(occupied):
        if x < hi and x + width > lo:
            x = hi + tw.cell * 0.5
    x = _fit_x(x, width, geo)
    touching = rng.random() < 0.15
    lift = geo.pitch * (rng.uniform(0.02, 0.08) if touching else rng.uniform(0.12, 0.3))
    y = baseline - geo.cap - lift
    written_x = x - (ex0 - written.x0)
    _paint_written(canvas, written, written_x, y, hand, owner)
    occupied.append((x, x + width))
    if mark.over is None and rng.random() < 0.8:
        down = rng.random() < 0.4
        if down:
            tip_y = baseline - geo.cap - geo.pitch * 0.03
            pts = hw.caret_points(anchor, tip_y, geo.cap * 0.8, rng, down=True)
        else:
            pts = hw.caret_points(anchor, baseline - geo.xheight * 0.6, geo.cap * 0.9, rng, down=False)
        patch, px, py = hw.stroke(pts, hand.stroke_px, rng)
        canvas.paint(patch * 0.9, px, py, hand.color)


def pen_strike(canvas: InkCanvas, geo: PageGeometry, tw: Typewriter, spec: LineSpec, baseline: float,
               mark: DeletionMark, hand: hw.Hand, rng: np.random.Generator, owner: str) -> None:
    """One or two pen lines through the struck words, overshooting them a little."""
    x0 = tw.x_of(spec.col + mark.start) - tw.cell * rng.uniform(0.0, 0.7)
    x1 = tw.x_of(spec.col + mark.end) + tw.cell * rng.uniform(0.0, 0.9)
    wavy = rng.random() < 0.25
    strokes = 2 if rng.random() < 0.3 else 1
    for k in range(strokes):
        y = baseline - geo.xheight * rng.uniform(0.3, 0.65) + k * geo.cap * rng.uniform(-0.35, 0.35)
        pts = hw.strike_points(x0, x1, y, rng, wavy=wavy, amplitude=geo.xheight * 0.35)
        patch, px, py = hw.stroke(pts, hand.stroke_px, rng)
        canvas.paint(patch * 0.92, px, py, hand.color, owners=[owner])


def overtype(canvas: InkCanvas, tw: Typewriter, spec: LineSpec, baseline: float, mark: DeletionMark,
             char: str, owners: list[str]) -> None:
    for i in range(mark.start, mark.end):
        tw.overtype(canvas, char, spec.col + i, baseline, owners)


def margin_note(canvas: InkCanvas, geo: PageGeometry, text: str, anchor_y: float, hand: hw.Hand,
                rng: np.random.Generator, owner: str) -> None:
    """A note in the wider margin, a little rotated; upright along the margin if it does not fit."""
    written = hw.write(text, hand, rng)
    left_room = geo.text_left - 13 * geo.mm           # the strip next to the text is for ticks
    right_room = geo.width - geo.text_right - 6 * geo.mm
    ex0, _, ex1, _ = _ink_extent(written.shape)
    width = ex1 - ex0
    room, side = (left_room, "left") if left_room >= right_room else (right_room, "right")
    if width > room * 1.05:
        scale = max(room / width, 0.65)
        written = hw.write(text, hand, rng, scale=scale)
        ex0, _, ex1, _ = _ink_extent(written.shape)
        width = ex1 - ex0
    if width > room * 1.05:
        written = _rotate(written, 90 + rng.normal(0, 2))
        ex0, ey0, ex1, ey1 = _ink_extent(written.shape)
        cx = (geo.text_left - 9 * geo.mm) / 2 + 2 * geo.mm if side == "left" else (geo.text_right + geo.width) / 2
        px = int(round(cx - (ex0 + ex1) / 2))
        py = int(round(min(max(anchor_y - (ey0 + ey1) / 2, 10 * geo.mm),
                           geo.height - 10 * geo.mm - written.shape.shape[0])))
        canvas.paint(written.alpha, px, py, hand.color, shape=written.shape, text=True, owners=[owner])
        return
    written = _rotate(written, rng.uniform(-7, 7))
    ex0, _, ex1, _ = _ink_extent(written.shape)
    width = ex1 - ex0
    if side == "left":
        x = geo.text_left - 9 * geo.mm - width - rng.uniform(0, max(0.0, room - width) * 0.5)
    else:
        x = geo.text_right + 3 * geo.mm + rng.uniform(0, max(0.0, room - width) * 0.5)
    x = _fit_x(x, width, geo)
    _paint_written(canvas, written, x - (ex0 - written.x0), anchor_y - geo.cap * 0.3, hand, owner)


def foot_note(canvas: InkCanvas, geo: PageGeometry, text: str, baseline: float, hand: hw.Hand,
              rng: np.random.Generator, owner: str, *, signature: bool, x: float | None = None) -> float:
    """A handwritten line below the text: a signature with its flourish, a date, an archival note.

    ``x`` continues a block of notes at the same left edge; returns the left edge used.
    """
    written = hw.write(text, hand, rng, scale=1.35 if signature else 1.0)
    written = _rotate(written, rng.uniform(-4, 4) if signature else rng.uniform(-2, 2))
    ex0, _, ex1, _ = _ink_extent(written.shape)
    width = ex1 - ex0
    span = geo.text_right - geo.text_left
    if x is not None:
        x = x + rng.normal(0, geo.mm)
    elif signature:
        x = geo.text_left + span * rng.uniform(0.5, 0.65)
    else:
        x = geo.text_left + span * rng.uniform(0.0, 0.45)
    x = _fit_x(x, width, geo)
    left_edge = x
    bx0, by0, bx1, by1 = _paint_written(canvas, written, x - (ex0 - written.x0), baseline, hand, owner)
    if signature:
        length = (bx1 - bx0) * rng.uniform(0.7, 1.1)
        pts = hw.flourish_points(bx0 + (bx1 - bx0) * rng.uniform(0.3, 0.6), by1 - geo.cap * 0.2,
                                 length, geo.cap * rng.uniform(0.8, 1.4), rng)
        pts[:, 0] = np.clip(pts[:, 0], 4 * geo.mm, geo.width - 4 * geo.mm)
        patch, px, py = hw.stroke(pts, hand.stroke_px, rng)
        canvas.paint(patch, px, py, hand.color, text=True, owners=[owner])
    return left_edge


def tick(canvas: InkCanvas, geo: PageGeometry, anchor_y: float, hand: hw.Hand, rng: np.random.Generator,
         owner: str, *, x: float | None = None) -> None:
    """A tick next to the line, in the strip of margin that margin notes leave free, or at ``x``."""
    size = geo.cap * rng.uniform(1.3, 2.0)
    if x is None:
        x = geo.text_left - rng.uniform(1.5, 2.5) * geo.mm - size * 0.95
    x = max(x, 4 * geo.mm + size)
    pts = hw.tick_points(x, anchor_y + geo.cap * 0.1, size, rng)
    patch, px, py = hw.stroke(pts, hand.stroke_px * 1.2, rng)
    canvas.paint(patch, px, py, hand.color, text=True, owners=[owner])


def stamp(canvas: InkCanvas, geo: PageGeometry, text: str, center: tuple[float, float], *, shape: str,
          color: str, patchiness: float, rng: np.random.Generator, owner: str,
          lines: list[str] | None = None) -> None:
    """A stamp centred at ``center``: the letters are text ink, the border is not.

    ``lines`` sets the lines of a rectangular stamp; by default the text is wrapped.
    """
    letter = max(8, int(round(geo.cap * rng.uniform(1.0, 1.3))))
    border = max(1.0, geo.dpi / 300 * rng.uniform(1.2, 2.0))
    if shape == "round":
        words = text.upper().split()
        center_text = [words.pop()] if len(words) > 2 and len(words[-1]) <= 6 else []
        text_img, border_img = stamps.round_(" ".join(words), center_text, letter_px=letter,
                                             border_px=border)
    else:
        text_img, border_img = stamps.rectangular(
            [line.upper() for line in lines] if lines else _stamp_lines(text.upper()),
            letter_px=letter, border_px=border)
    inked = stamps.ink(text_img, border_img, color=color, patchiness=patchiness,
                       angle=rng.uniform(-12, 12), rng=rng)
    h, w = inked.text_alpha.shape
    cx = min(max(center[0], w / 2 + 3 * geo.mm), geo.width - w / 2 - 3 * geo.mm)
    cy = min(max(center[1], h / 2 + 3 * geo.mm), geo.height - h / 2 - 3 * geo.mm)
    px, py = int(round(cx - w / 2)), int(round(cy - h / 2))
    canvas.paint(inked.border_alpha, px, py, inked.color, shape=inked.border_shape, owners=[owner])
    canvas.paint(inked.text_alpha, px, py, inked.color, shape=inked.text_shape, text=True, owners=[owner])


def _stamp_lines(text: str, width: int = 18) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [text]
