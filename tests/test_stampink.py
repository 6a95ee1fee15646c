"""Stamp ink taken off by its colour (ocr.stampink)."""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr.layout import analyze_layout
from ocr.preprocess import binarize
from ocr.stampink import drop_stamp_ink
from tests.rendering import MONO, typed_page

DPI = 300
VIOLET = (120, 60, 170)
FRAME = (700, 240, 1300, 560)  # x0, y0, x1, y1: over the third to the sixth typed line


def _page(*, typing: tuple[int, int, int] = (30, 30, 30), stamp: tuple[int, int, int] = VIOLET) -> np.ndarray:
    """An RGB typed page with a stamp (frame and lettering) over its lines and
    a dark word written across the stamp's top edge."""
    gray = typed_page(lines=8)
    page = np.where(gray[..., None] < 128, np.array(typing, np.uint8), np.uint8(255)).astype(np.uint8)
    img = Image.fromarray(page)
    draw = ImageDraw.Draw(img)
    draw.rectangle(FRAME, outline=stamp, width=6)
    draw.text((FRAME[0] + 60, FRAME[1] + 90), "МИД СССР", font=ImageFont.truetype(str(MONO), 70), fill=stamp)
    draw.text((FRAME[0] - 80, FRAME[1] - 30), "рассмотрение", font=ImageFont.truetype(str(MONO), 44), fill=(40, 40, 40))
    return cv2.GaussianBlur(np.asarray(img), (0, 0), 0.8)


def _images(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gray = rgb.min(axis=2)
    return binarize(gray, window=DPI // 7, k=0.12), gray


def test_a_coloured_stamps_ink_is_taken_off_and_the_dark_ink_under_it_stays() -> None:
    rgb = _page()
    binary, gray = _images(rgb)
    kept, cleaned, stamps, dropped = drop_stamp_ink(binary, gray, rgb, dpi=DPI)
    assert len(stamps) == 1 and stamps[0].x0 <= FRAME[0] + 5 and stamps[0].x1 >= FRAME[2] - 5
    violet = (rgb[..., 2].astype(int) - rgb[..., 1] > 60) & binary
    dark = (rgb.max(axis=2) < 90) & binary  # the typing and the writing, where no stamp ink lies on them
    assert dropped > 0 and not (kept & violet).sum() > 0.05 * violet.sum()
    assert (kept & dark).sum() >= 0.98 * dark.sum()
    assert (cleaned[violet & ~dark] == 255).mean() > 0.95
    # the layout is given the stamp, which its own search can no longer find
    layout = analyze_layout(kept, dpi=DPI, gray=cleaned, stamps=stamps)
    assert list(layout.stamps) == stamps


def test_a_stamp_of_the_typings_own_hue_or_a_gray_scan_is_left_whole() -> None:
    for rgb in (_page(typing=(90, 50, 150)), np.repeat(_page().min(axis=2)[..., None], 3, axis=2)):
        binary, gray = _images(rgb)
        kept, cleaned, stamps, dropped = drop_stamp_ink(binary, gray, rgb, dpi=DPI)
        assert (stamps, dropped) == ([], 0)
        assert np.array_equal(kept, binary) and np.array_equal(cleaned, gray)


def test_a_blue_stamp_on_a_violet_carbon_copy_is_taken_off_by_the_blue_the_copy_lacks() -> None:
    typing, blue = (120, 80, 160), (60, 110, 200)
    rgb = _page(typing=typing, stamp=blue).copy()
    cv2.line(rgb, (FRAME[0] - 100, 400), (FRAME[0] + 300, 400), typing, 5)  # a pen stroke of the copy's hue across it
    binary, gray = _images(rgb)
    kept, cleaned, stamps, dropped = drop_stamp_ink(binary, gray, rgb, dpi=DPI)
    assert len(stamps) == 1 and dropped > 0
    own = binary & (np.abs(rgb.astype(int) - np.array(blue)).sum(axis=2) < 40)
    copy = binary & (np.abs(rgb.astype(int) - np.array(typing)).sum(axis=2) < 40)
    assert (kept & own).sum() <= 0.05 * own.sum()  # the stamp's blue goes
    assert (kept & copy).sum() >= 0.95 * copy.sum()  # the violet typing and pen under it stay
    # the pen stroke is a strike where it runs under the stamp too: the stamp's ink is gone from the gaps
    layout = analyze_layout(kept, dpi=DPI, gray=cleaned, stamps=stamps)
    assert any(s.kind == "pen" and s.box.x1 >= FRAME[0] + 250 and s.box.y0 <= 400 <= s.box.y1 for s in layout.strikes)
