"""Stamp ink told apart, by its colour, from the typing and writing under it.

A stamp is inked in violet, blue or red; typewriter ribbon, carbon, pencil
and most pens are near gray. Inside a coloured stamp's frame, the ink pixels
of the stamp's hue are taken off the binary image and the gray one, so that
a word written or typed across the stamp is its own ink again: components
of its own for the layout, and for recognition a crop without the stamp's
lettering. A stamp on a gray scan, or one inked near gray, is left whole
(its ink cannot be told apart), and so is ink of the stamp's own hue under
it (a violet pen over a violet stamp). On a copy typed in a hue (violet
carbon), a stamp of another hue (blue) is told by the part of its hue the
typing lacks (:func:`_own_hue`).
"""
from __future__ import annotations

import cv2
import numpy as np

from ocr.layout import LETTER_MIN_AREA, estimate_char_height, find_stamps
from ocr.layout_model import components_of
from ocr.model import Box

STAMP_MIN_CHROMA = 6.0  # Lab units (OpenCV's 8-bit a*, b*): a stamp's ink this far from gray has a hue to go by
STAMP_SHARE = 0.5  # of the stamp ink's chroma, along its hue: a pixel so coloured is the stamp's
# Lab lightness units: ink this much darker than the stamp's is type or pen
# under it, the stamp's ink laid over them. On the 88 pages 40 took the
# letters of a light carbon copy where the stamp lies on them (a struck
# `утверждение` read `оторвите»`), 15 left the stamp's darkest ink in the
# gaps; 25 reads the word, and medium `cer_insertions` 9.71 -> 7.61%.
STAMP_DARKER = 25.0


def drop_stamp_ink(binary: np.ndarray, gray: np.ndarray, color: np.ndarray, *, dpi: int
                   ) -> tuple[np.ndarray, np.ndarray, list[Box], int]:
    """The binary and gray images with the ink of every coloured stamp's
    hue, inside its frame, turned to paper; the boxes of the stamps so
    treated (their frames are gone from the binary image, so the layout is
    given them); and how many pixels were dropped."""
    if not _has_coloured_ink(binary, color):
        return binary, gray, [], 0  # a gray scan, or black ink only: nothing to tell apart (and quick)
    comps = components_of(binary)
    char_height = estimate_char_height(comps, dpi=dpi)
    letters = comps.areas >= LETTER_MIN_AREA * char_height ** 2
    letters[0] = False
    frames = [f for f in find_stamps(comps, char_height=char_height, letters=letters) if not f.joined]
    if not frames:
        return binary, gray, [], 0
    typing = _typing_hue(binary, color, [f.box for f in frames])
    binary, gray = binary.copy(), gray.copy()
    boxes, dropped = [], 0
    height, width = binary.shape
    for frame in frames:
        # a round stamp's inner ring may be the frame found: look around it for the rest
        near = frame.box.expand(max(frame.box.width, frame.box.height) // 2).clip(width, height)
        sl = (slice(near.y0, near.y1), slice(near.x0, near.x1))
        lab = cv2.cvtColor(np.ascontiguousarray(color[sl]), cv2.COLOR_RGB2LAB).astype(np.float32)
        own = comps.labels[sl] == frame.label
        hue = _own_hue(np.median(lab[own][:, 1:], axis=0) - 128.0, typing)
        chroma = float(np.hypot(*hue))
        if chroma < STAMP_MIN_CHROMA:
            continue  # no hue to go by, or the typing's own (a violet carbon copy under a violet stamp)
        share = ((lab[..., 1:] - 128.0) @ hue) / chroma ** 2
        lightness = float(np.median(lab[own][:, 0]))
        hued = (share >= STAMP_SHARE) & (lab[..., 0] >= lightness - STAMP_DARKER)  # its faint ink too
        extent = _stamp_extent(binary[sl] & hued, own)
        stamp = np.zeros_like(hued)
        stamp[extent.y0:extent.y1, extent.x0:extent.x1] = hued[extent.y0:extent.y1, extent.x0:extent.x1]
        dropped += int((binary[sl] & stamp).sum())
        binary[sl][stamp] = False
        gray[sl][stamp] = 255
        boxes.append(Box(extent.x0 + near.x0, extent.y0 + near.y0, extent.x1 + near.x0, extent.y1 + near.y0))
    return binary, gray, boxes, dropped


def _own_hue(stamp: np.ndarray, typing: np.ndarray) -> np.ndarray:
    """The part of the stamp ink's a*, b* that the typing's hue has none of.

    Typed on gray ribbon, that is the stamp's hue whole. Typed in a hue of
    its own (a violet carbon copy), the stamp's ink is told from the
    typing's by what it has besides: a blue stamp on a violet copy by its
    blue, along which the typing (and a violet pen) shows next to nothing.
    A stamp of the typing's own hue has nothing besides, and cannot be told
    apart."""
    chroma = float(np.hypot(*typing))
    if chroma < STAMP_MIN_CHROMA:
        return stamp
    along = typing / chroma
    return stamp - float(stamp @ along) * along


def _has_coloured_ink(binary: np.ndarray, color: np.ndarray, *, least: float = 0.01) -> bool:
    """Whether ``least`` of the page's ink (every fourth pixel each way) has
    a hue (:data:`STAMP_MIN_CHROMA`)."""
    ink = binary[::4, ::4]
    if not ink.any():
        return False
    ab = _ab(color[::4, ::4][ink])
    return float(np.mean(np.hypot(ab[:, 0], ab[:, 1]) >= STAMP_MIN_CHROMA)) >= least


def _typing_hue(binary: np.ndarray, color: np.ndarray, stamps: list[Box]) -> np.ndarray:
    """The a*, b* (less gray's) of the page's ink outside the stamps: mostly its typing."""
    ink = binary.copy()
    for box in stamps:
        ink[box.y0:box.y1, box.x0:box.x1] = False
    ys, xs = np.nonzero(ink)
    if not ys.size:
        return np.zeros(2, np.float32)
    step = max(1, ys.size // 20000)
    return np.median(_ab(color[ys[::step], xs[::step]]), axis=0)


def _ab(pixels: np.ndarray) -> np.ndarray:
    """(n, 2) Lab a*, b* of (n, 3) RGB pixels, less gray's (0 for gray)."""
    lab = cv2.cvtColor(np.ascontiguousarray(pixels, dtype=np.uint8).reshape(-1, 1, 3), cv2.COLOR_RGB2LAB)
    return lab[:, 0, 1:].astype(np.float32) - 128.0


def _stamp_extent(ink: np.ndarray, frame: np.ndarray) -> Box:
    """The box of the frame and of the ink of its hue joined to it or inside
    its box (a round stamp's outer ring around the inner one found)."""
    ys, xs = np.nonzero(frame)
    box = Box(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    x0, y0, x1, y1 = box.x0, box.y0, box.x1, box.y1
    for i in range(1, count):
        sx, sy, sw, sh, _ = stats[i]
        if sx < box.x1 and box.x0 < sx + sw and sy < box.y1 and box.y0 < sy + sh:  # touches the frame's box
            x0, y0, x1, y1 = min(x0, sx), min(y0, sy), max(x1, sx + sw), max(y1, sy + sh)
    return Box(int(x0), int(y0), int(x1), int(y1))

