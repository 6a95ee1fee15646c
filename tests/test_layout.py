"""Layout analysis on small rendered pages with known geometry."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr.layout import (TYPED_TOP, _height_modes, _merge_overlapping_insertions, analyze_layout, enclosed_share,
                        find_stamps, find_typed_rows, typed_part)
from ocr.handblocks import in_written_lines, writing_blocks
from ocr.layout_model import Components, HandBlock, TypedRow, coherence, components_of
from ocr.model import Box
from ocr.preprocess import binarize
from ocr.strikes import _stroke_across, find_strikes
from tests.rendering import LINES, MONO, rotated, typed_page

DPI, CPI, SPACING = 300, 10, 1.5
MARGIN = 150  # typed_page's margin_in=0.5 at 300 dpi
PITCH = DPI / CPI
LINE = DPI / 6 * SPACING
HAND_FONT = next(iter(sorted(Path(__file__).parents[1].glob(
    "fonts/node_modules/@fontsource/caveat/files/caveat-cyrillic-400-normal.woff*"))), None)


def _binary(gray: np.ndarray) -> np.ndarray:
    return binarize(gray, window=DPI // 7, k=0.12)


def _cell_x(column: int) -> int:
    return int(MARGIN + column * PITCH)


def _line_mid(row: int) -> int:
    """Middle height of typed row ``row`` (0-based): PT Mono's x-height band."""
    font_px = DPI / CPI / 0.6
    return int(MARGIN + row * LINE + 0.62 * font_px)


def _handwrite(page: np.ndarray, text: str, x: int, y: int, size: int) -> np.ndarray:
    if HAND_FONT is None:
        pytest.skip("handwriting fonts not installed (run scripts/setup)")
    img = Image.fromarray(page)
    ImageDraw.Draw(img).text((x, y), text, font=ImageFont.truetype(str(HAND_FONT), size), fill=40)
    return np.asarray(img)


def _text_width(text: str, size: int) -> float:
    return ImageFont.truetype(str(HAND_FONT), size).getlength(text) if HAND_FONT is not None else 0.0


def test_typed_rows_and_pitch_are_found() -> None:
    layout = analyze_layout(_binary(typed_page(lines=8)), dpi=DPI)
    assert len(layout.rows) == 8
    assert layout.pitch == pytest.approx(PITCH, rel=0.02)
    assert not layout.strikes and not layout.hand


def test_pen_strike_through_words_is_found_in_its_row() -> None:
    page = typed_page(lines=6).copy()
    y = _line_mid(2)
    cv2.line(page, (_cell_x(8) - 6, y + 3), (_cell_x(19) + 8, y - 2), 35, 3)  # slightly slanted
    layout = analyze_layout(_binary(page), dpi=DPI)
    pens = [s for s in layout.strikes if s.kind == "pen"]
    assert len(pens) == 1
    assert pens[0].row == 2
    assert abs(pens[0].box.x0 - _cell_x(8)) < PITCH and abs(pens[0].box.x1 - _cell_x(19)) < 1.5 * PITCH


@pytest.mark.parametrize("before, after, struck", [(0.9, 0.9, True), (0.0, 0.9, True), (0.9, 0.0, True),
                                                   (0.0, 0.0, False)])
def test_a_stroke_through_a_two_letter_word_is_found_where_it_runs_on_into_a_space_beside_it(
        before: float, after: float, struck: bool) -> None:
    # "на" of row 3 (cells 34, 35): three gaps, one short of a longer word's
    # four; the pen's line alone in the spaces beside it, running on into
    # one of them, tells it from letters run together. Stopping at the
    # word's edges it is left alone.
    page = typed_page(lines=6).copy()
    y = _line_mid(3)
    cv2.line(page, (int(_cell_x(34) - before * PITCH), y + 1), (int(_cell_x(36) + after * PITCH), y - 1), 35, 3)
    pens = [s for s in analyze_layout(_binary(page), dpi=DPI).strikes if s.kind == "pen"]
    assert [s.row for s in pens] == ([3] if struck else [])


def test_a_line_across_three_gaps_inside_a_word_is_no_two_letter_strike() -> None:
    # heavy letters run together inside "прошлогодний" ink three gaps as well,
    # but the cells either side hold letters, not a line alone
    page = typed_page(lines=6).copy()
    y = _line_mid(3)
    cv2.line(page, (_cell_x(24) - 4, y), (_cell_x(26) + 4, y), 35, 3)
    assert [s for s in analyze_layout(_binary(page), dpi=DPI).strikes if s.kind == "pen"] == []


def test_a_zigzag_through_a_two_letter_word_is_found() -> None:
    # up and down between the small letters' middle and the capitals' height, clear of the baseline
    clean = typed_page(lines=6)
    row = analyze_layout(_binary(clean), dpi=DPI).rows[3]
    low, high = int(row.baseline - 0.25 * row.char_height), int(row.baseline - 0.8 * row.char_height)
    xs = [_cell_x(k) + 0.5 * PITCH for k in range(33, 37)]  # a turn over each cell, spaces beside the word too
    points = np.array([(int(x), high if i % 2 else low) for i, x in enumerate(xs)], np.int32)
    page = cv2.polylines(clean.copy(), [points], False, 35, 3)
    assert [s.row for s in analyze_layout(_binary(page), dpi=DPI).strikes if s.kind == "pen"] == [3]


@pytest.mark.parametrize("height", [0.85, 0.0])  # over the small letters' tops, along the baseline
def test_pen_strike_high_or_low_through_a_long_word_is_found(height: float) -> None:
    clean = typed_page(lines=6)
    row = analyze_layout(_binary(clean), dpi=DPI).rows[2]
    y = int(row.baseline - height * row.char_height)
    page = clean.copy()
    cv2.line(page, (_cell_x(8) - 6, y), (_cell_x(19) + 8, y), 35, 3)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert [s.row for s in layout.strikes if s.kind == "pen"] == [2]


@pytest.mark.parametrize("lift, struck", [(0.0, False), (0.3, True)])
def test_foot_serifs_touching_across_gaps_are_no_stroke_but_the_same_ink_lifted_is(
        lift: float, struck: bool) -> None:
    # heavy type whose feet touch across four gaps, as a pen line through the
    # small letters would cross them; clear of the baseline it is one
    clean = typed_page(lines=6)
    row = analyze_layout(_binary(clean), dpi=DPI).rows[2]
    bottom = int(row.baseline - 1 - lift * row.char_height)
    page = clean.copy()
    for k in range(1, 5):
        cv2.rectangle(page, (_cell_x(k) - 6, int(bottom - 0.28 * row.char_height)), (_cell_x(k) + 6, bottom), 30, -1)
    pens = [s.row for s in analyze_layout(_binary(page), dpi=DPI).strikes if s.kind == "pen"]
    assert pens == ([2] if struck else [])


def test_two_strokes_meeting_over_the_space_between_words_are_two_strikes() -> None:
    # one high through "приступили к", one through the small letters of
    # "выполнению"; over the space between they overlap, with no blank between
    clean = typed_page(lines=6)
    row = analyze_layout(_binary(clean), dpi=DPI).rows[2]
    high, low = (int(row.baseline - h * row.char_height) for h in (0.8, 0.35))
    page = cv2.line(clean.copy(), (_cell_x(0) - 6, high), (_cell_x(12) + 18, high), 35, 3)
    page = cv2.line(page, (_cell_x(12) + 12, low), (_cell_x(23) + 6, low), 35, 3)
    pens = [s for s in analyze_layout(_binary(page), dpi=DPI).strikes if s.kind == "pen"]
    assert [s.row for s in pens] == [2, 2]
    assert pens[0].box.x1 <= _cell_x(12) + PITCH / 2 <= pens[1].box.x0


def test_a_stroke_drifting_under_the_baseline_is_followed_to_its_end() -> None:
    # it crosses the small letters for four cells, then runs on under the
    # baseline to the end of the struck words: the strike covers them all
    clean = typed_page(lines=6)
    row = analyze_layout(_binary(clean), dpi=DPI).rows[2]
    start = (_cell_x(8) - 6, int(row.baseline - 0.45 * row.char_height))
    end = (_cell_x(24) + 8, int(row.baseline + 0.3 * row.char_height))
    page = cv2.line(clean.copy(), start, end, 35, 3)
    pens = [s for s in analyze_layout(_binary(page), dpi=DPI).strikes if s.kind == "pen"]
    assert [s.row for s in pens] == [2]
    assert pens[0].box.x1 > _cell_x(23)


def test_wavy_strike_is_found() -> None:
    page = typed_page(lines=4).copy()
    y = _line_mid(1)
    xs = np.arange(_cell_x(5), _cell_x(14))
    pts = np.stack([xs, y + 4 * np.sin((xs - xs[0]) / 9.0)], axis=1).astype(np.int32)
    cv2.polylines(page, [pts], False, 30, 3)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert [s.row for s in layout.strikes if s.kind == "pen"] == [1]


def test_dense_cells_under_a_stamp_are_no_over_typing() -> None:
    """A stamp's ink over typed words makes their cells as dense as
    over-typing; under the stamp's box they are no candidate."""
    page = typed_page(lines=6).copy()
    font = ImageFont.truetype(str(MONO), round(DPI / CPI / 0.6))
    img = Image.fromarray(page)
    ImageDraw.Draw(img).text((_cell_x(10) + 3, MARGIN + 2 * LINE + 2), "ЗЗЗЗЗЗЗЗ", font=font, fill=60)
    layout = analyze_layout(_binary(np.asarray(img)), dpi=DPI)
    dense = [s for s in layout.strikes if s.kind == "overtype" and s.row == 2]
    assert dense, "the doubled letters should read as dense cells"
    stamp = Box(_cell_x(8), int(MARGIN + 1.5 * LINE), _cell_x(20), int(MARGIN + 3.5 * LINE))
    rows = list(layout.rows)
    assert not [s for s in find_strikes(layout.components, rows, pitch=layout.pitch, stamps=[stamp])
                if s.kind == "overtype" and s.row == 2]


def test_a_small_stamp_joined_to_the_letters_it_touches_is_a_stamp_and_its_frame_no_strike() -> None:
    """A one-line stamp pressed over a typed word ("Ким"): its lettering
    and the word's letters run into its frame, so it is not hollow, and its
    bottom line runs along the word's baseline as a pen stroke might."""
    clean = typed_page(lines=6, spacing=2.5)
    row = analyze_layout(_binary(clean), dpi=DPI).rows[0]
    bottom = row.baseline - 1
    box = (_cell_x(7) + 12, int(bottom - 2.8 * row.char_height), _cell_x(12) - 12, bottom)
    img = Image.fromarray(cv2.rectangle(clean.copy(), box[:2], box[2:], 40, 6))
    font = ImageFont.truetype(str(MONO), round(1.2 * row.char_height))
    ImageDraw.Draw(img).text((box[0] + 6, box[1] + 2), "ЭКЗ N4", font=font, fill=40, stroke_width=3)
    layout = analyze_layout(_binary(np.asarray(img)), dpi=DPI)
    assert [(s.x0, s.x1) for s in layout.stamps] == [pytest.approx((box[0], box[2]), abs=8)]
    assert not [s for s in layout.strikes if s.kind == "pen"]


def test_insertion_above_a_line_is_anchored_to_that_line() -> None:
    page = typed_page(lines=6)
    gap_top = int(MARGIN + 3 * LINE - 0.55 * LINE)  # in the gap above row 3
    page = _handwrite(page, "кадров", _cell_x(20), gap_top, 34)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == 6
    insertions = [h for h in layout.hand if h.kind == "insertion"]
    assert len(insertions) == 1 and insertions[0].row == 3


def test_insertion_reaching_down_into_its_line_is_anchored_to_that_line() -> None:
    page = typed_page(lines=6)
    top = int(MARGIN + 3 * LINE - 0.6 * LINE)  # starts in the gap above row 3; р and у reach down into it
    page = _handwrite(page, "руку", _cell_x(30), top, 60)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == 6
    insertions = [h for h in layout.hand if h.kind == "insertion"]
    assert len(insertions) == 1 and insertions[0].row == 3
    assert insertions[0].box.y1 > layout.rows[3].box.y0  # it does reach into the line


def test_insertion_hanging_from_the_line_above_is_not_taken_into_that_line() -> None:
    plain = analyze_layout(_binary(typed_page(lines=6)), dpi=DPI)
    # written high in the gap: the tops of its letters touch the baseline of row 2
    page = _handwrite(typed_page(lines=6), "и мы предлагаем", _cell_x(20), plain.rows[2].baseline - 17, 34)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert [r.box for r in layout.rows] == [r.box for r in plain.rows]
    insertions = [h for h in layout.hand if h.kind == "insertion"]
    assert len(insertions) == 1 and insertions[0].row == 3
    assert insertions[0].box.x0 <= _cell_x(20) + 5
    assert insertions[0].box.width >= 0.9 * _text_width("и мы предлагаем", 34)


def test_writing_below_the_text_is_a_note_not_an_insertion() -> None:
    page = np.pad(typed_page(lines=4), ((0, 300), (0, 0)), constant_values=255)
    page = _handwrite(page, "В архив. Иванов", _cell_x(25), int(MARGIN + 4 * LINE + 120), 44)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert [h.kind for h in layout.hand] == ["margin_note"]


def test_a_tall_scrawl_of_a_few_long_strokes_under_the_text_is_a_signature() -> None:
    page = np.pad(typed_page(lines=4), ((0, 300), (0, 0)), constant_values=255)
    top = int(MARGIN + 4 * LINE + 60)
    xs = np.linspace(_cell_x(30), _cell_x(48), 60)
    ys = top + 60 + 55 * np.sin(np.linspace(0, 9 * np.pi, 60)) * np.linspace(1.0, 0.4, 60)
    points = np.stack([xs, ys], axis=1).astype(np.int32)
    cv2.polylines(page, [points[i:i + 7] for i in range(0, 60, 8)], False, 40, 4)  # eight pen strokes
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert [h.kind for h in layout.hand] == ["signature"]


def test_writing_in_a_wide_blank_far_above_the_next_line_is_a_note_not_an_insertion() -> None:
    blank = np.full((400, typed_page(lines=1).shape[1]), 255, np.uint8)
    page = np.vstack([typed_page(lines=3), blank, typed_page(lines=3)])
    page = _handwrite(page, "В архив", _cell_x(20), page.shape[0] // 2 - 60, 44)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == 6
    assert [h.kind for h in layout.hand] == ["margin_note"]


def test_rows_survive_a_rotated_page_after_deskew() -> None:
    from ocr.geometry import rotate
    from ocr.preprocess import estimate_skew

    page = rotated(typed_page(lines=8), 2.0)
    angle = estimate_skew(page, max_deg=5.0)
    straight, _ = rotate(page, -angle, fill=255)
    layout = analyze_layout(_binary(straight), dpi=DPI)
    assert angle == pytest.approx(2.0, abs=0.1)
    assert len(layout.rows) == 8


def test_tick_shape() -> None:
    from ocr.handblocks import is_tick_shape

    tick = np.zeros((40, 34), np.uint8)
    cv2.polylines(tick, [np.array([[2, 22], [11, 37], [31, 2]])], False, 1, 3)
    assert is_tick_shape(tick > 0, char_height=25)
    assert not is_tick_shape(np.ones((30, 30), bool), char_height=25)  # a blot
    assert not is_tick_shape(tick[:, ::-1] > 0, char_height=25)  # mirrored: the long arm on the left
    assert not is_tick_shape(tick > 0, char_height=80)  # far smaller than the writing: dust
    assert is_tick_shape(cv2.resize(tick, (51, 54)) > 0, char_height=21)  # a large tick, 2.6 type heights
    tail = np.zeros((40, 34), np.uint8)  # a written у: its tail hangs down to the left
    cv2.polylines(tail, [np.array([[2, 37], [14, 20], [31, 2]])], False, 1, 3)
    cv2.polylines(tail, [np.array([[4, 4], [14, 20]])], False, 1, 3)
    assert not is_tick_shape(tail > 0, char_height=25)
    feet = np.zeros((30, 30), np.uint8)  # a written и: two feet apart
    cv2.polylines(feet, [np.array([[3, 2], [3, 27], [26, 2], [26, 27]])], False, 1, 3)
    assert not is_tick_shape(feet > 0, char_height=25)


def _tick(page: np.ndarray, x: int, y: int, *, broken: bool = False) -> np.ndarray:
    """A pen tick 2.6 type heights tall, its top left corner at (x, y); ``broken``: the long
    arm parted from the bottom, as binarization parts a thin stroke."""
    page = page.copy()
    cv2.polylines(page, [np.array([[x, y + 24], [x + 12, y + 42], [x + 42, y]])], False, 30, 4)
    if broken:
        cv2.line(page, (x + 17, y + 30), (x + 21, y + 38), 255, 5)
    return page


def test_a_tick_broken_in_two_is_a_tick() -> None:
    page = _tick(np.full((300, 600), 255, np.uint8), 250, 120, broken=True)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert [h.kind for h in layout.hand] == ["checkmark"]
    assert len(layout.hand[0].members) == 2


def test_a_tick_beside_a_note_is_a_tick_of_its_own() -> None:
    page = np.full((400, 1400), 255, np.uint8)
    cv2.polylines(page, [np.array([[100, 230], [112, 248], [142, 206]])], False, 30, 4)  # 2.6 type heights
    page = _handwrite(page, "Разослано по дорогам", 160, 190, 44)  # nearer than a written word space
    layout = analyze_layout(_binary(page), dpi=DPI)
    kinds = sorted(h.kind for h in layout.hand)
    assert kinds == ["checkmark", "margin_note"]
    tick = next(h for h in layout.hand if h.kind == "checkmark")
    assert tick.box.x1 <= 146


def test_a_tick_after_a_note_and_before_a_note_of_two_lines_are_ticks_of_their_own() -> None:
    page = np.full((700, 1400), 255, np.uint8)
    page = _handwrite(page, "неоднократно", 100, 190, 44)
    page = _tick(page, 100 + int(_text_width("неоднократно", 44)) + 20, 190, broken=True)
    page = _tick(page, 100, 400)
    page = _handwrite(page, "Разослано по дорогам", 160, 390, 44)
    page = _handwrite(page, "и доложить к 20 окт", 160, 450, 44)  # a second line under the first
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert sorted(h.kind for h in layout.hand) == ["checkmark", "checkmark"] + ["margin_note"] * 3  # a block a line
    first, second = sorted((h for h in layout.hand if h.kind == "checkmark"), key=lambda h: h.box.y0)
    assert first.box.x0 >= 100 + _text_width("неоднократно", 44) and second.box.x1 <= 146


def _with_short_line(page: np.ndarray, text: str, column: int, *, bold: int = 0) -> np.ndarray:
    """``page`` (typed with a one-inch margin) with ``text`` typed two lines above its first line,
    from cell ``column`` of the same grid; ``bold`` thickens the strokes by that many pixels."""
    font = ImageFont.truetype(str(MONO), round(DPI / CPI / 0.6))
    img = Image.fromarray(page)
    ImageDraw.Draw(img).text((_cell_x(column), 2 * MARGIN - 2 * LINE), text, font=font, fill=30, stroke_width=bold)
    return np.asarray(img)


@pytest.mark.parametrize("lines", [6, 1])  # a last page may hold one typed line besides its number
def test_page_number_too_short_for_a_grid_of_its_own_is_a_typed_row(lines: int) -> None:
    page = _with_short_line(typed_page(lines=lines, margin_in=1.0), "- 2 -", 28)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == lines + 1
    top = layout.rows[0]
    assert top.box.x0 == pytest.approx(_cell_x(28), abs=PITCH) and top.box.width < 5 * PITCH
    assert not layout.hand


@pytest.mark.parametrize("line, typed", [(3.0, True), (2.5, False), (3.5, False)])
def test_a_short_line_between_typed_lines_is_typed_only_a_whole_line_step_from_them(line: float, typed: bool) -> None:
    text = LINES[:3] + ("",) + LINES[4:6]  # a blank line after the third
    font = ImageFont.truetype(str(MONO), round(DPI / CPI / 0.6))
    img = Image.fromarray(typed_page(lines=6, text=text))
    ImageDraw.Draw(img).text((_cell_x(28), MARGIN + line * LINE), "- 2 -", font=font, fill=30)
    layout = analyze_layout(_binary(np.asarray(img)), dpi=DPI)
    assert len(layout.rows) == (6 if typed else 5)
    assert bool(layout.hand) != typed  # off the line steps, it is left to the handwriting


def test_a_short_typed_line_stays_typed_when_heavy_ink_spreads_its_letters_past_their_cells() -> None:
    from ocr.layout import short_typed_row

    pitch, phase, char_height = 25.0, 0.0, 23.0

    def fragment(first_width: int) -> Components:
        """'ра.' at the end of a hyphenated word, on a grid of 25 px cells."""
        ink = np.zeros((80, 200), np.uint8)
        for centre, width in ((50, first_width), (75, 18)):
            x0 = int(centre - width / 2)
            cv2.rectangle(ink, (x0, 30), (x0 + width - 1, 30 + int(char_height) - 1), 255, -1)
        cv2.circle(ink, (100, 50), 3, 255, -1)  # the full stop
        return components_of(ink)

    members = np.arange(1, 4)
    row = short_typed_row(fragment(27), members, pitch=pitch, phase=phase, char_height=char_height)
    assert row is not None and row.box.x0 == 36  # 'р' 1.08 cells wide
    assert short_typed_row(fragment(31), members, pitch=pitch, phase=phase, char_height=char_height) is None


def test_short_handwriting_off_the_grid_stays_handwriting() -> None:
    page = typed_page(lines=6, margin_in=1.0)
    page = _handwrite(page, "ок 12", _cell_x(30) + int(0.45 * PITCH), int(2 * MARGIN - 2 * LINE), 40)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == 6
    assert layout.hand



def test_height_modes_are_the_type_sizes_not_one_size_and_its_neighbours() -> None:
    # small letters 19-21 px (binarisation jitter), capitals 28-29 px, letters with descenders 34 px
    heights = np.array([20] * 40 + [19] * 30 + [21] * 30 + [28] * 20 + [29] * 5 + [34] * 12)
    assert sorted(_height_modes(heights).tolist()) == [20, 28, 34]


def test_a_short_bold_heading_with_letters_run_together_is_a_typed_row() -> None:
    page = _with_short_line(typed_page(lines=6, margin_in=1.0), "ЦК КПСС", 20, bold=2)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == 7 and not layout.hand


def test_letters_run_together_at_a_line_start_stay_in_their_line() -> None:
    page = typed_page(lines=6).copy()
    y = _line_mid(2)
    cv2.line(page, (_cell_x(0) + 8, y), (_cell_x(1) + 20, y), 30, 4)  # heavy type: the first two letters touch
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == 6
    assert not layout.hand
    assert layout.rows[2].box.x0 <= _cell_x(0) + 8


def test_a_stamp_frame_encloses_its_box_but_pen_strokes_joined_across_lines_do_not():
    char_height = 20.0
    ink = np.zeros((400, 900), np.uint8)
    cv2.rectangle(ink, (50, 50), (450, 250), 255, 4)  # a stamp frame, 20 x 10 type heights...
    ink[150:156, 450 - 2:450 + 3] = 0  # ...worn through at one point
    for y in (300, 340, 380):  # three struck lines joined by a stroke down their left end
        cv2.line(ink, (500, y), (880, y - 6), 255, 4)
    cv2.line(ink, (500, 300), (500, 380), 255, 4)
    comps = components_of(ink)

    stamps = find_stamps(comps, char_height=char_height)

    assert len(stamps) == 1 and stamps[0].box.x0 < 60 and stamps[0].box.x1 > 440
    frame = int(comps.labels[50, 50])  # a pixel of the frame
    assert enclosed_share(comps, frame, close=10) > 0.9
    assert enclosed_share(comps, frame, close=0) < 0.1  # the break lets the outside in until it is closed


def test_a_thin_line_crosses_a_gap_between_cells_but_touching_stems_do_not():
    gap = np.zeros((12, 3), bool)
    gap[5:7] = True  # a pen line two pixels thick
    assert _stroke_across(gap, max_run=4)
    gap[:, 1:] = True  # the stems of two letters run together
    assert not _stroke_across(gap, max_run=4)
    assert not _stroke_across(np.zeros((12, 3), bool), max_run=4)


def test_single_spaced_lines_between_paragraphs_a_blank_line_apart_are_all_kept() -> None:
    single = DPI / 6  # one line at single spacing
    page = typed_page(lines=9, spacing=1.0).copy()
    for blank in (2, 4, 6):  # paragraphs of two, one, one and two lines: most gaps are double
        y = int(MARGIN + blank * single)
        page[y:int(y + single)] = 255
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == 6


def test_a_wide_note_of_two_written_lines_just_above_a_line_is_a_note_not_an_insertion() -> None:
    line = DPI / 6 * 1.5
    page = typed_page(lines=8).copy()
    page[int(MARGIN + 3 * line):int(MARGIN + 4 * line)] = 255  # a blank line above row 4
    row_top = int(MARGIN + 4 * line)
    for n, text in enumerate(("Тов. Иванову. Рассмотреть этот вопрос", "и доложить к 20 марта 1956 г. К. Михайлов")):
        page = _handwrite(page, text, _cell_x(8), row_top - 115 + 50 * n, 44)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == 7
    assert [h.kind for h in layout.hand] == ["margin_note"]


def test_writing_that_touches_the_letters_of_the_line_above_leaves_them_to_their_line() -> None:
    clean = analyze_layout(_binary(typed_page(lines=6)), dpi=DPI)
    upper = clean.rows[2]
    # a word written in the gap above row 3, its tops running into the feet of row 2's letters
    page = _handwrite(typed_page(lines=6), "кадров", _cell_x(4), upper.baseline - 28, 60)
    binary = _binary(page)
    merged = components_of(binary)
    touched = {int(label) for label in np.unique(merged.labels[upper.baseline - 2, _cell_x(4):_cell_x(14)])} - {0}
    assert any(merged.heights[label] > 2 * upper.char_height for label in touched)  # the merge is real

    layout = analyze_layout(binary, dpi=DPI)
    row = layout.rows[2]
    ink = lambda lay, r: int(np.isin(lay.components.labels[r.box.y0:r.baseline], r.members).sum())
    assert ink(layout, row) >= 0.97 * ink(clean, upper)  # the touched letters are back in their line
    insertions = [h for h in layout.hand if h.kind == "insertion"]
    assert len(insertions) == 1 and insertions[0].row == 3
    assert insertions[0].box.y0 >= row.baseline - 2  # and the writing holds no typed letter


def test_typed_part_of_a_merge_is_the_ink_in_the_band_over_the_row() -> None:
    row = TypedRow(box=Box(0, 60, 200, 100), members=(1,), baseline=100, char_height=40.0, phase=0.0, coherence=1.0)
    own = np.zeros((120, 40), bool)
    own[20:60, 10:18] = True    # a letter's stem, capitals' top (58) to baseline (100) at y0 = 40
    own[60:120, 12:20] = True   # a written stroke from below running into its foot
    typed = typed_part(own, x0=0, y0=40, rows=[row], span=(-30, 230))
    assert typed is not None
    ys = np.flatnonzero(typed.any(axis=1)) + 40
    assert ys.min() >= 100 - TYPED_TOP * 40 and ys.max() < 100 + 0.1 * 40 + 1  # cut just under the baseline
    assert typed_part(own[:60], x0=0, y0=40, rows=[row], span=(-30, 230)) is None  # a letter alone is no merge


def test_pencil_broken_into_dots_by_the_binarization_stays_whole() -> None:
    if HAND_FONT is None:
        pytest.skip("handwriting fonts not installed (run scripts/setup)")
    typed = typed_page(lines=6)
    page = Image.fromarray(typed)
    gap_top = int(MARGIN + 3 * LINE - 0.6 * LINE)  # in the gap above row 3
    ImageDraw.Draw(page).text((_cell_x(20), gap_top), "крупные", font=ImageFont.truetype(str(HAND_FONT), 48), fill=120)
    page = np.asarray(page).copy()
    written = page != typed
    ink = np.flatnonzero(written.any(axis=0))
    middle, end = (ink[0] + ink[-1]) // 2, ink[-1]
    dots = np.ones_like(written)
    dots[::6, ::6] = dots[1::6, 1::6] = False  # faint pencil: what survives is dots
    dots[:, :middle] = False
    page[written & dots] = 255
    layout = analyze_layout(_binary(page), dpi=DPI, gray=page)
    insertions = [h for h in layout.hand if h.kind == "insertion"]
    assert len(insertions) == 1
    assert insertions[0].box.x1 >= end - 10


def test_pen_writing_that_touches_a_lighter_stain_ring_is_still_writing() -> None:
    if HAND_FONT is None:
        pytest.skip("handwriting fonts not installed (run scripts/setup)")
    typed = typed_page(lines=6)
    page = np.vstack([typed, np.full((700, typed.shape[1]), 255, np.uint8)])
    top = typed.shape[0] + 80
    page = _handwrite(page, "Карпова", _cell_x(10), top, 90)
    written = np.flatnonzero((page[top - 20:] < 128).any(axis=0))
    ring = cv2.ellipse(page.copy(), (int(written[-1]) + 270, top + 200), (250, 300), 0, 0, 360, 175, 5)
    layout = analyze_layout(_binary(ring), dpi=DPI, gray=ring)
    notes = [h for h in layout.hand if h.kind in ("signature", "margin_note")]
    assert len(notes) == 1
    assert notes[0].box.x0 == pytest.approx(written[0], abs=10) and notes[0].box.x1 == pytest.approx(written[-1], abs=10)


def test_ink_of_one_flat_tone_across_the_gaps_is_a_stain_not_writing() -> None:
    typed = typed_page(lines=6)
    gap_top = int(MARGIN + 3 * LINE - 0.55 * LINE)  # in the gap above row 3
    page = _handwrite(typed, "кадров", _cell_x(5), gap_top, 34)
    written = np.flatnonzero((page != typed).any(axis=0))
    stain = np.full_like(page, 255)  # the arc of a fold or tide line, one gray throughout, through three gaps
    cv2.ellipse(stain, (_cell_x(30), int(MARGIN + 2.5 * LINE)), (260, 200), 0, 200, 340, 150, 6)
    page = np.minimum(page, stain)
    layout = analyze_layout(_binary(page), dpi=DPI, gray=page)
    assert [(h.kind, h.row) for h in layout.hand] == [("insertion", 3)]
    assert written[0] - 5 <= layout.hand[0].box.x0 and layout.hand[0].box.x1 <= written[-1] + 5
    assert layout.measures["flat_blocks_dropped"] >= 1


def test_a_note_written_up_the_margin_is_one_upright_note() -> None:
    if HAND_FONT is None:
        pytest.skip("handwriting fonts not installed (run scripts/setup)")
    typed = typed_page(lines=10, margin_in=1.0)
    word = _handwrite(np.full((90, 520), 255, np.uint8), "неоднократно", 5, 5, 60)
    turned = cv2.rotate(word, cv2.ROTATE_90_COUNTERCLOCKWISE)  # reads from the bottom up
    page = typed.copy()
    y0 = int(MARGIN + 3 * LINE)
    page[y0:y0 + turned.shape[0], 120:120 + turned.shape[1]] = np.minimum(
        page[y0:y0 + turned.shape[0], 120:120 + turned.shape[1]], turned)
    ink = np.argwhere(turned < 128)
    layout = analyze_layout(_binary(page), dpi=DPI, gray=page)
    upright = [h for h in layout.hand if h.upright]
    assert len(upright) == 1 and upright[0].kind == "margin_note"
    assert upright[0].box.y0 == pytest.approx(y0 + ink[:, 0].min(), abs=10)
    assert upright[0].box.y1 == pytest.approx(y0 + ink[:, 0].max(), abs=10)
    assert len(layout.rows) == 10 and all(r.box.x0 > 120 + turned.shape[1] for r in layout.rows)


def test_a_line_struck_through_whole_is_still_a_typed_line() -> None:
    clean = analyze_layout(_binary(typed_page(lines=6)), dpi=DPI)
    page = typed_page(lines=6).copy()
    row = clean.rows[3]
    y = _line_mid(3)
    cv2.line(page, (row.box.x0 - 5, y), (row.box.x1 + 5, y + 2), 35, 4)  # one pen line joins all its letters
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == 6
    assert abs(layout.rows[3].baseline - row.baseline) <= 3
    pens = [s for s in layout.strikes if s.kind == "pen" and s.row == 3]
    assert pens and min(s.box.x0 for s in pens) < row.box.x0 + PITCH and max(s.box.x1 for s in pens) > row.box.x1 - PITCH


def test_a_line_off_the_page_grid_is_no_typed_line() -> None:
    page = np.pad(typed_page(lines=6), ((0, 200), (0, 0)), constant_values=255)
    font = ImageFont.truetype(str(MONO), round(DPI / CPI / 0.6))
    img = Image.fromarray(page)
    y = MARGIN + 6 * LINE + 20
    ImageDraw.Draw(img).text((_cell_x(3) + PITCH / 2, y), "Рассмотреть и доложить", font=font, fill=30)
    layout = analyze_layout(_binary(np.asarray(img)), dpi=DPI)
    assert len(layout.rows) == 6  # half a cell off the grid of the six typed lines above
    assert any(h.box.y0 >= y - 5 for h in layout.hand)


def test_a_struck_run_parts_where_the_stroke_breaks_off_over_a_space() -> None:
    from ocr.strikes import _stroke_pieces

    mask = np.zeros((10, 100), bool)
    mask[5, 0:40] = mask[5, 52:100] = True  # two strokes, 12 columns of nothing between
    mask[2:9, 20:26] = True  # a letter under the first
    assert _stroke_pieces(mask, 0, 100, min_blank=9) == [(0, 46), (46, 100)]
    assert _stroke_pieces(mask, 0, 100, min_blank=13) == [(0, 100)]  # a gap between letters, no break


def test_a_line_written_across_the_page_is_writing_but_a_torn_border_edge_is_not() -> None:
    char_height = 20.0
    written = np.zeros((120, 1700), np.uint8)
    for k in range(50):  # 50 words and letters as tall as the type, 75 type heights along
        x = 20 + k * 30
        cv2.ellipse(written, (x + 10, 60), (10, 13), 0, 0, 360, 255, 3)
    edge = np.zeros((120, 2100), np.uint8)
    for k in range(50):  # the same length in flat slivers, 0.4 type heights tall
        cv2.line(edge, (20 + k * 40, 60 + k % 3), (50 + k * 40, 62 - k % 3), 255, 8)
    for ink, kept in ((written, True), (edge, False)):
        comps = components_of(ink)
        group = np.arange(1, len(comps.areas))
        blocks = writing_blocks(comps, group, np.zeros(len(comps.areas), bool), None, char_height=char_height)
        assert bool(blocks) == kept


def test_rows_taken_out_of_a_layout_leave_strikes_and_insertions_on_the_right_rows() -> None:
    from ocr.layout_model import HandBlock, Layout, Strike, without_rows

    rows = tuple(TypedRow(box=Box(0, y, 600, y + 30), members=(), baseline=y + 25, char_height=20.0, phase=10.0,
                          coherence=1.0) for y in (100, 150, 200))
    strikes = (Strike(row=1, box=Box(0, 150, 90, 180), kind="pen"), Strike(row=2, box=Box(0, 200, 90, 230), kind="pen"))
    over_dropped = HandBlock(box=Box(0, 125, 90, 148), members=(), kind="insertion", row=1, caret_x=40.0)
    over_last = HandBlock(box=Box(0, 175, 90, 198), members=(), kind="insertion", row=2)
    layout = Layout(components=None, pitch=30.0, char_height=20.0, rows=rows, strikes=strikes,
                    hand=(over_dropped, over_last), stamps=(), column=None)
    written = HandBlock(box=Box(0, 150, 600, 180), members=(), kind="margin_note")
    out = without_rows(layout, {1}, [written])
    assert out.rows == (rows[0], rows[2])
    assert out.strikes == (Strike(row=1, box=Box(0, 200, 90, 230), kind="pen"),)
    assert [(h.kind, h.row) for h in out.hand] == [("margin_note", None), ("insertion", 1), ("margin_note", None)]
    assert out.hand[2] is written


def test_insertions_over_one_row_whose_boxes_overlap_are_one_and_others_stay_apart() -> None:
    ink = np.zeros((100, 400), np.uint8)
    ink[40:50, 20:35] = 1  # the faint start of a word, parted from the rest
    ink[52:60, 30:45] = 1
    ink[30:60, 45:120] = 1
    ink[30:60, 200:260] = 1  # an insertion over the next row, and a note, both overlapping the word
    comps = components_of(ink)
    start, rest, other = (int(comps.labels[y, x]) for y, x in ((45, 25), (55, 100), (40, 230)))
    assert len({start, rest, other}) == 3  # the start touches the rest only in its box, not in its ink
    blocks = [HandBlock(box=comps.box(k), members=(k,), kind="insertion", row=0) for k in (start, rest)]
    blocks.append(HandBlock(box=Box(20, 30, 260, 60), members=(other,), kind="insertion", row=1))
    blocks.append(HandBlock(box=Box(20, 30, 260, 60), members=(other,), kind="margin_note"))
    merged = _merge_overlapping_insertions(comps, blocks)
    assert sorted(len(b.members) for b in merged) == [1, 1, 2]
    joined = next(b for b in merged if len(b.members) == 2)
    assert (joined.box.x0, joined.box.x1) == (20, 120)


def _last_sheet(*, flourish_y: int, joined: bool) -> np.ndarray:
    """A last sheet without typing: a signature at size 60, a flourish under
    it at ``flourish_y`` (drawn on from its last letter when ``joined``),
    and the date written under both."""
    page = np.full((700, 1400), 255, np.uint8)
    page = _handwrite(page, "А. Зубарев", 500, 200, 60).copy()
    start = (744, 262) if joined else (700, flourish_y)
    cv2.polylines(page, [np.array([start, (760, flourish_y), (1000, flourish_y - 8)], np.int32)], False, 40, 4)
    return _handwrite(page, "Москва июнь", 520, 300, 44)


def test_a_signature_and_the_date_under_it_are_two_lines_and_its_flourish_goes_with_the_signature() -> None:
    layout = analyze_layout(_binary(_last_sheet(flourish_y=308, joined=True)), dpi=DPI)
    assert len(layout.hand) == 2 and not layout.rows
    signature, date = sorted(layout.hand, key=lambda h: h.box.y0)
    assert signature.box.x1 >= 1000 - 2 and date.box.x1 < 800  # the flourish's right end is the signature's
    assert signature.box.y1 <= date.box.y0 + 10


def test_a_flourish_nearer_the_line_under_it_goes_with_the_line_it_underlines() -> None:
    ink = _binary(_last_sheet(flourish_y=302, joined=False))  # 26 px under the signature's foot, 11 over the date
    comps = components_of(ink)
    block = HandBlock(box=comps.enclosing(np.arange(1, len(comps.areas))),
                      members=tuple(range(1, len(comps.areas))), kind="margin_note")
    lines = in_written_lines(comps, block, char_height=22.0)
    assert len(lines) == 2
    assert lines[0].box.x1 >= 1000 - 2 and lines[1].box.x1 < 800
    assert in_written_lines(comps, replace(block, kind="insertion"), char_height=22.0) == [replace(block, kind="insertion")]


def test_one_written_line_sloping_with_dots_and_descenders_stays_one_block() -> None:
    page = np.full((600, 1600), 255, np.uint8)
    x = 100
    for k, word in enumerate(("Прошу", "рассмотреть,", "доложить", "срочно.")):  # each word a little lower
        page = _handwrite(page, word, x, 200 + 12 * k, 48)
        x += int(_text_width(word + " ", 48))
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert [h.kind for h in layout.hand] == ["margin_note"]


def test_a_page_number_on_a_sheet_without_typing_is_typed_but_written_marks_are_not() -> None:
    page = np.full((1200, 1600), 255, np.uint8)
    page = _handwrite(page, "А. Зубарев", 800, 400, 60)
    font = ImageFont.truetype(str(MONO), round(DPI / 12 / 0.6))  # elite type
    img = Image.fromarray(page)
    ImageDraw.Draw(img).text((700, 150), "- 3 -", font=font, fill=30)
    layout = analyze_layout(_binary(np.asarray(img)), dpi=DPI)
    assert len(layout.rows) == 1 and layout.rows[0].box.y1 < 300
    assert len(layout.hand) == 1 and layout.hand[0].box.y0 >= 380  # the signature, whole and written


def test_a_written_line_that_locks_loosely_on_a_grid_is_no_typing_on_a_sheet_of_few_typed_lines() -> None:
    ink = np.zeros((200, 1200), np.uint8)
    rng = np.random.default_rng(3)
    xs = 100 + np.arange(12) * 30 + rng.uniform(-7, 7, 12)  # a grid of 30 px, each letter up to 7 px off it
    for x in xs:
        ink[100:124, int(x) - 6:int(x) + 6] = 1
    comps = components_of(ink)
    members = np.arange(1, len(comps.areas))
    xc = (comps.boxes[members, 0] + comps.boxes[members, 2]) / 2
    assert 0.55 <= coherence(xc, 30.0)[0] < 0.8  # loose: would pass for typing on a page of typed lines
    rows, other = find_typed_rows(comps, char_height=24.0, pitch=30.0)
    assert not rows and len(other) == 1
    ink[:] = 0
    for x in 100 + np.arange(12) * 30:  # the same letters on the grid
        ink[100:124, x - 6:x + 6] = 1
    rows, _ = find_typed_rows(components_of(ink), char_height=24.0, pitch=30.0)
    assert len(rows) == 1
    ink[:, 100 + 6 * 30 - 6:] = 0  # six of them: a few marks lock on some grid by chance, typed or not
    rows, other = find_typed_rows(components_of(ink), char_height=24.0, pitch=30.0)
    assert not rows and len(other) == 1


def test_a_short_typed_line_on_a_sheet_without_typing_is_typed_by_its_marks_on_the_grid() -> None:
    page = np.full((1200, 1600), 255, np.uint8)
    page = _handwrite(page, "А. Зубарев", 800, 500, 60)
    img = Image.fromarray(page)
    ImageDraw.Draw(img).text((300, 300), "Директор", font=ImageFont.truetype(str(MONO), round(DPI / CPI / 0.6)),
                              fill=30)
    layout = analyze_layout(_binary(np.asarray(img)), dpi=DPI)
    assert len(layout.rows) == 1 and layout.rows[0].box.y1 < 400
    assert len(layout.hand) == 1 and layout.hand[0].box.y0 >= 480


def test_a_last_sheets_typed_line_is_found_at_a_pitch_of_2_6_mm() -> None:
    """2.6 mm a character (9.77 cpi), not 2.54: one long line, then a signature."""
    page = np.full((1200, 2400), 255, np.uint8)
    line = typed_page(cpi=9.77, lines=1, width_in=7.0, margin_in=0.5, columns=60)
    page[:line.shape[0], :line.shape[1]] = line
    page = _handwrite(page, "А. Зубарев", 1200, 500, 60)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.rows) == 1 and len(layout.rows[0].members) >= 40
    assert [h.box.y0 >= 480 for h in layout.hand] == [True]


def test_a_signature_whose_initials_stand_higher_than_the_surname_stays_one_block() -> None:
    page = np.full((700, 1400), 255, np.uint8)
    page = _handwrite(page, "А. К.", 400, 150, 60)
    page = _handwrite(page, "Зубарев", 400 + int(_text_width("А. К. ", 60)), 215, 60)
    layout = analyze_layout(_binary(page), dpi=DPI)
    assert len(layout.hand) == 1


def test_quotes_heavy_type_makes_tall_belong_to_their_row_and_a_speck_higher_up_does_not() -> None:
    """Heavy type swells quotes to three quarters of a small letter's height,
    taller than an accent; at a capital's height they are the row's. A speck
    as large whose top reaches above a capital's, between the lines, is not."""
    text = LINES[:2] + ("фильм снят на студии  Мосфильм  в 1956 году.",) + LINES[3:]
    page = typed_page(lines=4, text=text)
    row = analyze_layout(_binary(page), dpi=DPI).rows[2]
    ch, base = row.char_height, row.baseline
    tall, wide = round(0.75 * ch), round(0.12 * PITCH)
    top = round(base - 1.55 * ch)  # at a capital's top: its middle is above the small letters
    quote_x = _cell_x(text[2].index("Мосфильм") - 1) + round(0.3 * PITCH)  # in the blank cell before the word
    speck_x = _cell_x(30)
    marked = page.copy()
    for x in (quote_x, quote_x + 2 * wide):
        cv2.rectangle(marked, (x, top), (x + wide, top + tall), 30, -1)
    speck_top = round(base - 1.75 * ch)  # its middle as high as a quote's could be
    cv2.rectangle(marked, (speck_x, speck_top), (speck_x + 2 * wide, speck_top + tall), 30, -1)
    layout = analyze_layout(_binary(marked), dpi=DPI)
    members = set(layout.rows[2].members)
    labels = layout.components.labels
    assert labels[top + tall // 2, quote_x + wide // 2] in members
    assert labels[top + tall // 2, quote_x + 2 * wide + wide // 2] in members
    assert labels[speck_top + tall // 2, speck_x + wide] not in members
