"""Measurements taken from the text itself: skew of the lines, scan resolution from the type.

Pure functions of an image; nothing here changes pixels. Angles are degrees,
counter-clockwise positive on screen (y down), the convention of
``cv2.getRotationMatrix2D`` and :func:`ocr.geometry.rotate`.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

# Typewriters: 10 cpi (pica) or 12 cpi (elite) across, 6 lines per inch at
# single spacing, 1.5 and double spacing common.
CHARS_PER_INCH = (10, 12)
LINE_SPACINGS = (1.0, 1.5, 2.0)
STANDARD_DPI = (150, 200, 240, 300, 400, 600)


def _ink_points(img: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of ink pixels on a copy at most ``width`` wide; x centred on the page."""
    if img.dtype == bool:
        dark = img.astype(np.uint8) * 255
    else:
        gray = img if img.ndim == 2 else img.min(axis=2)
        dark = 255 - gray
    h, w = dark.shape
    scale = min(1.0, width / w)
    if scale < 1.0:
        dark = cv2.resize(dark, (max(1, round(w * scale)), max(1, round(h * scale))),
                          interpolation=cv2.INTER_AREA)
    otsu, _ = cv2.threshold(dark, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = (dark > max(otsu, 40)).astype(np.uint8)
    # rules, folds, borders and big blots are not text lines: drop parts that are long
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    sh, sw = ink.shape
    long = (stats[:, cv2.CC_STAT_WIDTH] > 0.15 * sw) | (stats[:, cv2.CC_STAT_HEIGHT] > 0.15 * sh)
    long[0] = True
    ys, xs = np.nonzero(~long[labels])
    step = max(1, xs.size // 400_000)  # enough points to decide, few enough to be quick
    return xs[::step] - dark.shape[1] / 2.0, ys[::step].astype(np.float64)


def _profile_score(xs: np.ndarray, ys: np.ndarray, angle: float) -> float:
    """Sharpness of the row profile after shearing the lines back by ``angle``."""
    rows = np.round(ys + xs * math.tan(math.radians(angle))).astype(np.int64)
    profile = np.bincount(rows - rows.min()).astype(np.float64)
    return float(np.dot(profile, profile))


def _search(xs: np.ndarray, ys: np.ndarray, angles: np.ndarray) -> tuple[float, np.ndarray]:
    scores = np.array([_profile_score(xs, ys, a) for a in angles])
    i = int(np.argmax(scores))
    best = float(angles[i])
    if 0 < i < len(angles) - 1:  # parabola through the peak and its neighbours
        left, mid, right = scores[i - 1:i + 2]
        denom = left - 2 * mid + right
        if denom < 0:
            best += 0.5 * (left - right) / denom * float(angles[1] - angles[0])
    return best, scores


def estimate_skew(img: np.ndarray, *, max_deg: float = 5.0) -> float:
    """The angle of the text lines in degrees, CCW positive; ``rotate(img, -angle)`` levels them.

    Projection-profile method, coarse to fine: the row profile of the ink is
    sharpest when the shear matches the lines. Coarse steps of 0.2° on an
    800 px copy, then 0.02° within ±0.3° on a 2000 px copy, refined by a
    parabola. ``img`` is a gray/RGB page (ink dark) or a bool ink mask.
    Returns 0.0 for a page without ink.
    """
    if img.ndim not in (2, 3) or min(img.shape[:2]) == 0:
        raise ValueError(f"expected a non-empty image, got shape {img.shape}")
    xs, ys = _ink_points(img, 800)
    if xs.size < 50:
        return 0.0
    coarse, scores = _search(xs, ys, np.arange(-max_deg, max_deg + 1e-9, 0.2))
    if scores.max() <= scores.min() * 1.0001:
        return 0.0  # flat: no line structure to measure
    xs, ys = _ink_points(img, 2000)
    fine, _ = _search(xs, ys, np.arange(coarse - 0.3, coarse + 0.3 + 1e-9, 0.02))
    return float(np.clip(fine, -max_deg, max_deg))


def _char_boxes(binary: np.ndarray) -> np.ndarray:
    """``(x, y, w, h)`` of connected parts shaped like typed characters."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary.astype(np.uint8), connectivity=8)
    boxes = stats[1:, :4].astype(np.float64)
    x, y, w, h = boxes.T
    plausible = (h >= 5) & (h <= 300) & (w <= 3 * h) & (stats[1:, cv2.CC_STAT_AREA] >= 8)
    boxes = boxes[plausible]
    if len(boxes) < 20:
        return boxes[:0]
    med = np.median(boxes[:, 3])
    w, h = boxes[:, 2], boxes[:, 3]
    return boxes[(h >= 0.5 * med) & (h <= 1.6 * med) & (w <= 1.6 * med)]


def _rows_of(boxes: np.ndarray, tolerance: float) -> list[np.ndarray]:
    """Group boxes into text rows by their vertical centre."""
    cy = boxes[:, 1] + boxes[:, 3] / 2
    order = np.argsort(cy)
    breaks = np.flatnonzero(np.diff(cy[order]) > tolerance) + 1
    return [boxes[idx] for idx in np.split(order, breaks)]


def _mode(values: np.ndarray) -> float:
    """The most common value (1 px histogram, smoothed), refined by a median around it."""
    hist = np.bincount(np.round(values).astype(np.int64))
    smooth = np.convolve(hist, [1, 2, 3, 2, 1], mode="same")
    peak = float(np.argmax(smooth))
    near = values[np.abs(values - peak) <= 0.15 * peak + 1]
    return float(np.median(near)) if near.size else peak


def estimate_text_pitch(binary: np.ndarray) -> tuple[float | None, float | None]:
    """Character pitch and single-row line pitch in pixels (``None`` where not measurable)."""
    boxes = _char_boxes(binary)
    if len(boxes) < 20:
        return None, None
    med_h = float(np.median(boxes[:, 3]))
    rows = [r for r in _rows_of(boxes, 0.6 * med_h) if len(r) >= 4]
    steps = []
    for row in rows:
        cx = np.sort(row[:, 0] + row[:, 2] / 2)
        d = np.diff(cx)
        steps.append(d[(d > 0.4 * med_h) & (d < 2.5 * med_h)])
    steps_all = np.concatenate(steps) if steps else np.empty(0)
    char_pitch = _mode(steps_all) if steps_all.size >= 10 else None
    line_pitch = None
    centres = np.sort([np.median(r[:, 1] + r[:, 3]) for r in rows if len(r) >= 6])  # baselines
    if centres.size >= 3:
        gaps = np.diff(centres)
        gaps = gaps[gaps > med_h]
        if gaps.size >= 2:
            line_pitch = float(np.median(gaps[gaps <= 1.5 * np.percentile(gaps, 25)]))
    return char_pitch, line_pitch


def estimate_dpi_from_text(binary: np.ndarray) -> int | None:
    """Scan resolution from typewriter geometry, or ``None`` if there is too little text.

    The character pitch is 1/10 or 1/12 inch; the line pitch 1/6 inch times
    the line spacing (1, 1.5, 2). The (cpi, spacing) pair whose two DPI
    readings agree best wins (10 cpi when lines cannot be measured); the
    result is snapped to a standard scan resolution within 12 %.
    """
    if binary.dtype != bool or binary.ndim != 2:
        raise ValueError("estimate_dpi_from_text takes a 2-D bool ink mask")
    char_pitch, line_pitch = estimate_text_pitch(binary)
    if char_pitch is None:
        return None
    cpi = 10
    if line_pitch is not None:
        best = math.inf
        for c in CHARS_PER_INCH:
            for s in LINE_SPACINGS:
                misfit = abs(math.log(char_pitch * c / (line_pitch * 6 / s)))
                misfit += 0.02 * (c != 10)  # pica is the commoner face: wins ties
                if misfit < best:
                    best, cpi = misfit, c
        if best > 0.15:
            cpi = 10  # the readings disagree whatever the spacing: trust the default
    return snap_dpi(char_pitch * cpi)


def snap_dpi(dpi: float, *, tolerance: float = 0.12) -> int:
    """The nearest standard resolution if within ``tolerance`` (relative), else rounded to 10."""
    nearest = min(STANDARD_DPI, key=lambda s: abs(math.log(dpi / s)))
    if abs(dpi / nearest - 1) <= tolerance:
        return nearest
    return int(round(dpi, -1))
