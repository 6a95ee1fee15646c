"""Caret shape and its removal from the typed line under an insertion."""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr.carets import is_caret_shape, take_carets
from ocr.layout import analyze_layout
from ocr.preprocess import binarize
from tests.rendering import MONO
from tests.test_layout import LINE, MARGIN, PITCH, _cell_x, _handwrite


def _caret(width: int = 18, height: int = 22, thickness: int = 3) -> np.ndarray:
    img = np.zeros((height + 4, width + 4), np.uint8)
    cv2.polylines(img, [np.array([[2, height + 1], [width // 2 + 2, 2], [width + 1, height + 1]])], False, 255, thickness)
    return img > 0


def _glyph(char: str) -> np.ndarray:
    img = Image.new("L", (60, 60), 0)
    ImageDraw.Draw(img).text((5, 0), char, font=ImageFont.truetype(str(MONO), 48), fill=255)
    mask = np.asarray(img) > 128
    ys, xs = np.nonzero(mask)
    return mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def test_a_drawn_caret_has_the_shape() -> None:
    assert is_caret_shape(_caret())
    assert is_caret_shape(_caret(width=26, height=16, thickness=2))


def test_letters_are_not_carets() -> None:
    for char in "АДлнпиПмшт":
        assert not is_caret_shape(_glyph(char)), char


def test_caret_leaves_the_row_and_marks_the_insertion_point() -> None:
    from tests.rendering import typed_page

    page = typed_page(lines=5, columns=50).copy()
    row_top = int(MARGIN + 2 * LINE)
    x = int(_cell_x(23) + PITCH / 2)  # the space after "выполнению" in the row's text
    cv2.polylines(page, [np.array([[x - 9, row_top + 30], [x, row_top + 12], [x + 9, row_top + 30]])], False, 30, 3)
    page = _handwrite(page, "кадров", x - 40, int(MARGIN + 2 * LINE - 0.6 * LINE), 34)
    before = analyze_layout(binarize(page, window=300 // 7, k=0.12), dpi=300)
    after = take_carets(before)
    insertion = next(h for h in after.hand if h.kind == "insertion")
    assert insertion.caret_x is not None and abs(insertion.caret_x - x) <= 3
    assert len(after.rows[2].members) == len(before.rows[2].members) - 1
    assert after.measures["carets"] == 1
