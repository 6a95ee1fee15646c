"""Rotating pages and carrying boxes between source and rotated pixels.

Angles are degrees, counter-clockwise positive on screen (y down), as in
``cv2.getRotationMatrix2D``. A ``matrix`` is the 2x3 affine that maps
source pixel centres to output pixel centres; boxes use the page model's
edge convention (``x1``/``y1`` exclusive), converted here and nowhere else.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from ocr.model import Box

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def rotate(img: np.ndarray, angle: float, *, fill: int | tuple[int, ...] = 255
           ) -> tuple[np.ndarray, np.ndarray]:
    """Rotate by ``angle`` degrees (CCW positive) on a canvas large enough for the whole page.

    Returns the rotated image and the 2x3 source-to-output matrix. ``bool``
    images are rotated without interpolation (``fill`` is then False).
    ``angle == 0`` returns an unchanged copy and the identity.
    """
    if img.ndim not in (2, 3) or min(img.shape[:2]) == 0:
        raise ValueError(f"expected a non-empty (h, w) or (h, w, c) image, got shape {img.shape}")
    if angle == 0:
        return img.copy(), IDENTITY.copy()
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w = int(math.ceil(w * cos + h * sin - 1e-6))
    new_h = int(math.ceil(w * sin + h * cos - 1e-6))
    matrix[0, 2] += (new_w - w) / 2.0
    matrix[1, 2] += (new_h - h) / 2.0
    if img.dtype == bool:
        out = cv2.warpAffine(img.astype(np.uint8), matrix, (new_w, new_h), flags=cv2.INTER_NEAREST,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return out.astype(bool), matrix
    border = tuple(fill) if isinstance(fill, (tuple, list)) else (fill,) * 3
    out = cv2.warpAffine(img, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    return out, matrix


def invert(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a 2x3 affine matrix."""
    return cv2.invertAffineTransform(np.asarray(matrix, dtype=np.float64))


def map_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine to an ``(n, 2)`` array of ``(x, y)`` points."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return pts @ np.asarray(matrix, dtype=np.float64)[:, :2].T + np.asarray(matrix)[:, 2]


def map_box(box: Box, matrix: np.ndarray, *, size: tuple[int, int] | None = None) -> Box:
    """The smallest box holding ``box`` after ``matrix``; clipped to ``size=(w, h)`` if given."""
    corners = np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x0, box.y1], [box.x1, box.y1]],
                       dtype=np.float64) - 0.5  # edges -> pixel-centre coordinates
    mapped = map_points(corners, matrix) + 0.5
    x0, y0 = np.floor(mapped.min(axis=0) + 1e-6)
    x1, y1 = np.ceil(mapped.max(axis=0) - 1e-6)
    out = Box(int(x0), int(y0), int(x1), int(y1))
    return out.clip(*size) if size else out


def map_box_back(box: Box, matrix: np.ndarray, *, size: tuple[int, int] | None = None) -> Box:
    """A box in rotated pixels mapped to the source pixels ``matrix`` came from.

    ``size=(w, h)`` of the source clips the result to the page.
    """
    return map_box(box, invert(matrix), size=size)
