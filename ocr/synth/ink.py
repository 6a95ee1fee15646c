"""The page-frame ink canvas: what is put on the paper, before the paper and the scanner.

Ink is subtractive: each mark multiplies the page's per-channel transmittance
by ``1 - a * (1 - colour)`` where ``a`` is its opacity and ``colour`` its
transmittance (black ink is near 0). Beside the colour the canvas keeps

* ``text``: the *shape* of text ink (typed, handwritten and stamp letters,
  ticks and signature flourishes; not carets, strike lines or stamp borders),
  the truth the ``ink`` mask of a synthetic page is made from;
* ``typed``: the typed ink alone, mirrored later for bleed-through;
* per region id, the convex hull of every mark it owns, so that its box in
  the final image is the hull transformed by the scan geometry.
"""
from __future__ import annotations

from typing import Iterable

import cv2
import numpy as np

SHAPE_THRESHOLD = 0.3  # a shape pixel at least this dark counts as ink
_CORNERS = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], np.float32)


class InkCanvas:
    def __init__(self, height: int, width: int) -> None:
        self.height, self.width = height, width
        self.trans = np.ones((height, width, 3), np.float32)
        self.text = np.zeros((height, width), np.float32)
        self.typed = np.zeros((height, width), np.float32)
        self._hulls: dict[str, list[np.ndarray]] = {}

    def paint(self, alpha: np.ndarray, x: int, y: int, color: np.ndarray, *,
              shape: np.ndarray | None = None, text: bool = False, typed: bool = False,
              owners: Iterable[str] = ()) -> None:
        """Lay a patch of ink with its top-left corner at (x, y); ``shape`` defaults to ``alpha``."""
        h, w = alpha.shape
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, self.width), min(y + h, self.height)
        if x0 >= x1 or y0 >= y1:
            return
        a = alpha[y0 - y:y1 - y, x0 - x:x1 - x]
        sub = self.trans[y0:y1, x0:x1]
        sub *= 1.0 - a[..., None] * (1.0 - np.asarray(color, np.float32))
        if typed:
            np.maximum(self.typed[y0:y1, x0:x1], a, out=self.typed[y0:y1, x0:x1])
        s = (a if shape is None else shape[y0 - y:y1 - y, x0 - x:x1 - x]) > SHAPE_THRESHOLD
        if text:
            np.maximum(self.text[y0:y1, x0:x1], s, out=self.text[y0:y1, x0:x1])
        owners = list(owners)
        if owners:
            hull = _hull(s)
            if hull is not None:
                hull += np.array([x0, y0], np.float32)
                for owner in owners:
                    self._hulls.setdefault(owner, []).append(hull)

    def outline(self, owner: str) -> np.ndarray | None:
        """Corner points (N, 2) of every pixel hull the owner has ink in, page frame."""
        hulls = self._hulls.get(owner)
        return np.concatenate(hulls) if hulls else None

    def owners(self) -> list[str]:
        return list(self._hulls)


def _hull(mask: np.ndarray) -> np.ndarray | None:
    points = cv2.findNonZero(mask.astype(np.uint8))
    if points is None:
        return None
    hull = cv2.convexHull(points).reshape(-1, 2).astype(np.float32)
    return (hull[:, None, :] + _CORNERS[None, :, :]).reshape(-1, 2)


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-ish noise varying over ``scale`` pixels (float32)."""
    h, w = shape
    gh, gw = max(2, int(np.ceil(h / scale)) + 2), max(2, int(np.ceil(w / scale)) + 2)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    grid = cv2.GaussianBlur(grid, (0, 0), 0.8)
    grid /= max(float(grid.std()), 1e-6)
    return cv2.resize(grid, (int(gw * scale), int(gh * scale)), interpolation=cv2.INTER_CUBIC)[:h, :w]


def pad(alpha: np.ndarray, margin: int) -> np.ndarray:
    return cv2.copyMakeBorder(alpha, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=0)


def blur(alpha: np.ndarray, sigma: float) -> np.ndarray:
    if sigma <= 0.05:
        return alpha
    return cv2.GaussianBlur(alpha, (0, 0), sigma)
