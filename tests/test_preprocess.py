"""Preprocessing: pure image operations on small synthetic arrays, and the preprocess stage."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr.geometry import map_box, map_box_back, rotate
from ocr.imageio import SourcePage
from ocr.model import Box
from ocr.preprocess import (binarize, denoise, estimate_border_mask, estimate_content_box,
                            estimate_ink_level, flatten_illumination, ink_gray, preprocess,
                            remove_dark_borders, stretch_contrast, to_gray)
from ocr.textmeasure import estimate_dpi_from_text, estimate_skew, snap_dpi
from rendering import rotated, typed_page

SKEW_ANGLES = np.round(np.arange(-3.0, 3.01, 0.5), 2)


@pytest.fixture(scope="module")
def page300() -> np.ndarray:
    return typed_page(dpi=300, cpi=10, spacing=1.5, lines=8)


def test_to_gray_and_ink_gray() -> None:
    rgb = np.array([[[255, 0, 0], [0, 0, 255], [200, 200, 200]]], dtype=np.uint8)
    np.testing.assert_array_equal(to_gray(rgb), [[76, 29, 200]])
    np.testing.assert_array_equal(ink_gray(rgb), [[0, 0, 200]])
    gray = np.array([[1, 2]], dtype=np.uint8)
    assert to_gray(gray) is gray and ink_gray(gray) is gray
    with pytest.raises(ValueError, match="uint8"):
        to_gray(rgb.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        to_gray(np.zeros((4, 4, 4), np.uint8))


def test_flatten_illumination_whitens_shaded_paper_and_keeps_text() -> None:
    shade = np.linspace(120, 240, 400, dtype=np.float32)[None, :].repeat(300, axis=0)
    img = shade.copy()
    img[100:110, 50:350] *= 0.4  # a text stroke, 40 % of the local paper
    flat = flatten_illumination(img.astype(np.uint8), window=61)
    paper = np.ones_like(flat, dtype=bool)
    paper[95:115, :] = False
    assert flat[paper].min() >= 230 and flat[paper].mean() >= 250  # white from dark left to bright right
    stroke = flat[102:108, 60:340]
    assert 80 <= stroke.mean() <= 125  # ~0.4 * 255, the same contrast on both sides


def test_faint_ink_is_measured_and_stretched() -> None:
    page = np.full((100, 100), 255, np.uint8)
    page[10:20, 10:90] = 215                   # faint carbon strokes, 40 levels below white
    assert estimate_ink_level(page) == pytest.approx(40, abs=1)
    out = stretch_contrast(page, ink_level=40, target=160)
    assert out[15, 50] == 95 and out[50, 50] == 255   # gain 4: ink 160 below white, paper stays
    dark = page.copy()
    dark[10:20, 10:90] = 40
    assert stretch_contrast(dark, ink_level=estimate_ink_level(dark)) is dark  # dark enough already
    capped = stretch_contrast(page, ink_level=10, target=160, max_gain=4)
    assert capped[15, 50] == 95                # gain capped at 4, noise not blown up further


def _bordered(h: int = 400, w: int = 300) -> np.ndarray:
    img = np.full((h, w), 230, np.uint8)
    img[:, :25] = 15            # dark scanner bed on the left
    img[:18, :] = 20            # and at the top
    img[380:, :] = 10           # and at the bottom
    img[100:106, 60:240] = 40   # a typed line, near but not touching the border
    img[200:260, 27:31] = 30    # a thin vertical stroke close to the left border
    return img


def test_border_mask_covers_dark_edges_not_text() -> None:
    img = _bordered()
    mask = estimate_border_mask(img)
    assert mask[:, :20].all() and mask[:12, :].all() and mask[385:, :].all()
    assert not mask[100:106, 60:240].any()
    assert not mask[150:350, 60:].any()
    box = estimate_content_box(mask)
    assert 25 <= box.x0 <= 32 and 18 <= box.y0 <= 25 and box.x1 == 300 and 372 <= box.y1 <= 380


def test_remove_dark_borders_fills_with_paper() -> None:
    img = np.dstack([_bordered()] * 3)
    img[..., 2] = np.where(img[..., 2] == 230, 190, img[..., 2])  # yellowish paper
    mask = estimate_border_mask(img)
    out = remove_dark_borders(img, mask)
    assert tuple(out[5, 5]) == (230, 230, 190)
    np.testing.assert_array_equal(out[100:106, 60:240], img[100:106, 60:240])
    assert remove_dark_borders(img, mask, fill=255)[5, 5].tolist() == [255, 255, 255]
    with pytest.raises(ValueError, match="mask shape"):
        remove_dark_borders(img, mask[1:])


def test_estimate_skew_accuracy_over_plus_minus_three_degrees(page300: np.ndarray) -> None:
    errors = [abs(estimate_skew(rotated(page300, a)) - a) for a in SKEW_ANGLES]
    assert np.median(errors) <= 0.1
    assert max(errors) <= 0.2


def test_skew_sign_convention_and_deskew(page300: np.ndarray) -> None:
    tilted = rotated(page300, 2.0)  # text rising to the right by 2°, CCW on screen
    angle = estimate_skew(tilted)
    assert angle == pytest.approx(2.0, abs=0.1)
    level, _ = rotate(tilted, -angle, fill=255)
    assert abs(estimate_skew(level)) <= 0.1
    assert estimate_skew(rotated(page300, -1.5)) == pytest.approx(-1.5, abs=0.1)


def test_estimate_skew_ignores_folds_and_rules(page300: np.ndarray) -> None:
    tilted = rotated(page300, -1.2)
    h, w = tilted.shape
    tilted[h // 2:h // 2 + 3, :] = 90          # a fold across the scan, level with the glass
    tilted[40:44, 100:w - 100] = 60            # a long rule
    assert estimate_skew(tilted) == pytest.approx(-1.2, abs=0.1)


def test_estimate_skew_blank_and_bool_input(page300: np.ndarray) -> None:
    assert estimate_skew(np.full((200, 300), 255, np.uint8)) == 0.0
    ink = rotated(page300, 1.0) < 128
    assert estimate_skew(ink) == pytest.approx(1.0, abs=0.1)


def test_rotate_expands_canvas_and_returns_matrix() -> None:
    img = np.full((100, 200), 255, np.uint8)
    img[10:14, 20:24] = 0  # a marker near the top-left
    out, matrix = rotate(img, 90.0, fill=255)
    assert out.shape == (200, 100)  # nothing cut off
    # 90° CCW: the top-left corner goes to the bottom-left
    ys, xs = np.nonzero(out < 128)
    assert xs.max() < 20 and ys.min() > 170
    back = map_box_back(Box(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1), matrix)
    assert back == Box(20, 10, 24, 14)
    same, identity = rotate(img, 0.0)
    np.testing.assert_array_equal(same, img)
    assert map_box_back(Box(3, 4, 5, 6), identity) == Box(3, 4, 5, 6)


def test_rotate_colour_and_bool_fill() -> None:
    rgb = np.zeros((20, 30, 3), np.uint8)
    out, _ = rotate(rgb, 30.0, fill=(250, 240, 200))
    assert tuple(out[0, 0]) == (250, 240, 200)
    mask, _ = rotate(np.ones((20, 30), bool), 30.0)
    assert mask.dtype == bool and not mask[0, 0] and mask[mask.shape[0] // 2, mask.shape[1] // 2]


@settings(max_examples=60, deadline=None)
@given(angle=st.floats(-10, 10), x0=st.integers(0, 150), y0=st.integers(0, 90),
       w=st.integers(1, 50), h=st.integers(1, 30))
def test_map_box_round_trip_contains_the_box(angle: float, x0: int, y0: int, w: int, h: int) -> None:
    _, matrix = rotate(np.zeros((120, 200), np.uint8), angle)
    box = Box(x0, y0, x0 + w, y0 + h)
    there = map_box(box, matrix)
    back = map_box_back(there, matrix)
    assert back.x0 <= box.x0 and back.y0 <= box.y0 and back.x1 >= box.x1 and back.y1 >= box.y1
    growth = abs(np.sin(np.radians(angle))) * (w + h) * 2 + 4  # rotated boxes grow, but not much
    assert back.width <= w + growth and back.height <= h + growth


def test_denoise_removes_specks_only() -> None:
    binary = np.zeros((30, 30), bool)
    binary[2, 2] = True                   # 1 px speck
    binary[10:12, 10] = True              # 2 px speck
    binary[20:24, 20:24] = True           # a 16 px dot (a full stop) stays
    out = denoise(binary, max_area=3)
    assert not out[2, 2] and not out[10:12, 10].any() and out[20:24, 20:24].all()
    assert out.sum() == 16


def test_binarize_keeps_faint_carbon_strokes_and_clean_paper() -> None:
    rng = np.random.default_rng(0)
    img = rng.normal(235, 4, (120, 200))
    truth = np.zeros(img.shape, bool)
    for y in range(20, 110, 20):
        truth[y:y + 3, 20:180] = True      # faint horizontal strokes
    truth[20:100, 100:103] = True
    img[truth] = rng.normal(195, 4, truth.sum())  # only 40 levels darker than paper
    binary = binarize(np.clip(img, 0, 255).astype(np.uint8), window=31)
    assert binary[truth].mean() >= 0.9
    assert binary[~truth].mean() <= 0.01


def test_blue_ink_on_yellowish_paper_survives() -> None:
    rng = np.random.default_rng(1)
    paper = np.array([240, 225, 160], np.float64)
    rgb = np.clip(paper + rng.normal(0, 3, (100, 160, 3)), 0, 255)
    stroke = np.zeros((100, 160), bool)
    cv2.line(stroke.view(np.uint8), (10, 80), (150, 20), 1, 3)
    rgb[stroke] = (120, 130, 215)  # light blue-violet ballpoint
    rgb = rgb.astype(np.uint8)
    ink = ink_gray(flatten_illumination(rgb, window=31))
    binary = binarize(ink, window=31)
    assert binary[stroke].mean() >= 0.9
    assert binary[~stroke].mean() <= 0.01
    lum = to_gray(rgb)
    ink_contrast = 1 - ink[stroke].mean() / np.median(ink[~stroke])
    lum_contrast = 1 - lum[stroke].mean() / np.median(lum[~stroke])
    assert ink_contrast >= lum_contrast + 0.08  # the ink measure sees blue ink better than luminance


@pytest.mark.parametrize("dpi,cpi,spacing", [(200, 10, 2.0), (300, 12, 1.0), (300, 10, 1.5),
                                             (400, 10, 1.0), (300, 12, 2.0)])
def test_estimate_dpi_from_typewriter_pitch(dpi: int, cpi: int, spacing: float) -> None:
    page = typed_page(dpi=dpi, cpi=cpi, spacing=spacing, lines=8, width_in=5.0)
    assert estimate_dpi_from_text(page < 128) == dpi


def test_estimate_dpi_without_text_and_snapping() -> None:
    assert estimate_dpi_from_text(np.zeros((100, 100), bool)) is None
    assert snap_dpi(285.0) == 300 and snap_dpi(212.0) == 200 and snap_dpi(350.0) == 350
    with pytest.raises(ValueError, match="bool"):
        estimate_dpi_from_text(np.zeros((10, 10), np.uint8))


def _scan(page: np.ndarray, angle: float) -> np.ndarray:
    """A tilted colour scan on cream paper with a dark bed showing at the left and top."""
    tilted = rotated(page, angle)
    rgb = np.dstack([tilted, tilted, (tilted * 0.85).astype(np.uint8)])
    rgb[:, :40] = 12
    rgb[:30, :] = 12
    return rgb


def test_preprocess_stage_levels_and_records(page300: np.ndarray) -> None:
    source = SourcePage(path=Path("scan.png"), index=0, image=_scan(page300, 1.7), dpi=None)
    pre = preprocess(source)
    assert pre.skew_deg == pytest.approx(1.7, abs=0.1)
    assert abs(estimate_skew(pre.gray)) <= 0.1
    assert pre.dpi == 300 and pre.dpi_source == "estimated"
    assert pre.gray.shape == pre.binary.shape == pre.color.shape[:2]
    assert pre.binary.dtype == bool and pre.color.shape[2] == 3
    assert pre.gray[:20, :20].min() > 200 and not pre.binary[:, :30].any()  # border gone
    assert 40 <= pre.border_box.x0 <= 50 and 30 <= pre.border_box.y0 <= 40
    step = pre.step
    assert step.name == "preprocess" and step.values["dpi_source"] == "estimated"
    assert step.values["skew_deg"] == pytest.approx(1.7, abs=0.1) and step.seconds > 0
    # the first typed line, found in deskewed pixels, maps back to where it is in the scan
    rows = np.flatnonzero(pre.binary[:, 200:1500].any(axis=1))
    top = int(rows[0])
    line = Box(200, top, 1500, top + 35)
    in_source = pre.to_source(line)
    source_ink = source.image[in_source.y0:in_source.y1, in_source.x0:in_source.x1, 0] < 128
    assert source_ink.mean() > 0.05


def test_preprocess_dpi_sources_and_tiny_image(page300: np.ndarray) -> None:
    page = page300[:400, :900]
    assert preprocess(SourcePage(Path("a.png"), 0, page, 300)).dpi_source == "file"
    given_dpi = preprocess(SourcePage(Path("a.png"), 0, page, 300), dpi=400)
    assert (given_dpi.dpi, given_dpi.dpi_source) == (400, "given")
    line = page300[140:220, :900]  # a single line, as in the Komi line scans
    pre = preprocess(SourcePage(Path("line.tif"), 0, line, None))
    assert pre.binary.any() and abs(pre.skew_deg) < 0.5


def test_preprocess_faint_carbon_copy() -> None:
    faint = typed_page(dpi=300, cpi=10, spacing=2.0, lines=6, ink=200, paper=235)
    pre = preprocess(SourcePage(Path("carbon.png"), 0, rotated(faint, 0.8, fill=235), None))
    assert pre.step.values["ink_level"] < 80
    assert pre.skew_deg == pytest.approx(0.8, abs=0.1) and pre.dpi == 300
    assert np.percentile(pre.gray, 1) < 140  # the ink now reads as ink
    assert 0.02 < pre.binary.mean() < 0.2


def test_a_sheet_whose_type_names_another_resolution_than_its_width_is_read_at_its_widths() -> None:
    """A4 at 200 dpi (1654 px wide) whose few lines are spaced as type at 150
    dpi would be (large writing measured as type, on a last sheet)."""
    sheet = np.full((2339, 1654), 255, np.uint8)
    text = typed_page(dpi=150, cpi=10, spacing=2.0, lines=6, width_in=5.0)
    sheet[300:300 + text.shape[0], 200:200 + text.shape[1]] = text
    assert estimate_dpi_from_text(sheet < 128) == 150
    pre = preprocess(SourcePage(Path("last.png"), 0, sheet, None))
    assert (pre.dpi, pre.dpi_source) == (200, "page size")
