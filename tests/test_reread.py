"""Typed words read from the page's own glyphs (:mod:`ocr.glyphs`, :mod:`ocr.reread`): over-typed and
pen-struck words, words read as no word, letters in the wrong case, closing marks."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr.engine import TesseractEngine
from ocr.glyphs import LETTERS, PageCells, learn_glyphs, read_cells
from ocr.imageio import SourcePage
from ocr.layout import analyze_layout
from ocr.layout_model import HandBlock, Strike, TypedRow
from ocr.model import Box, Word
from ocr.pipeline import process_page
from ocr.preprocess import preprocess
from ocr.recognize import RowText, read_row
from ocr.reread import (_fits_better, _worn_marks, confirm_pen_strokes, find_overtyping, hyphens_for_spaces,
                        read_pen_struck, read_under_stamps, reread_doubtful, restore_case, restore_marks)
from tests.rendering import LINES, MONO, typed_page

DPI, CPI, SPACING = 300, 10, 1.5
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")  # a stamp's lettering


# the test page's last line shows the hyphen, which hyphen over-typing is found by
TEXT = LINES[:9] + ("Беседа длилась два-три часа, в научно-техническом плане.",)


def _overtyped_page(line: int, word: str, *, over: str = "х") -> np.ndarray:
    """The rendered test page with ``word`` of line ``line`` over-typed letter by letter."""
    page = Image.fromarray(typed_page(dpi=DPI, cpi=CPI, spacing=SPACING, lines=10, text=TEXT))
    font = ImageFont.truetype(str(MONO), round(DPI / CPI / 0.6))
    text = TEXT[line]
    start = text.index(word)
    margin = round(0.5 * DPI)
    x = margin + font.getlength(text[:start])
    y = margin + line * DPI / 6 * SPACING
    ImageDraw.Draw(page).text((x, y), over * len(word), font=font, fill=30)
    return np.asarray(page)


@pytest.mark.parametrize("line, word, over", [(6, "городов", "х"), (2, "выполнению", "х"), (4, "продукции", "-"),
                                              (8, "за", "х"), (4, "продукции", "/"), (6, "городов", "/")])
def test_a_word_over_typed_is_found_and_read_from_the_pages_own_glyphs(tmp_path: Path, line: int, word: str,
                                                                       over: str) -> None:
    """Over-typing with х shows as dense ink; with hyphens it does not, and
    is found by the page's hyphen laid over its letters; the page types no
    slash, and slash over-typing is found by one drawn."""
    image = _overtyped_page(line, word, over=over)
    with TesseractEngine() as engine:
        page = process_page(SourcePage(path=tmp_path / "p.png", index=0, image=image, dpi=DPI), engine=engine)
    deletions = page.regions_of("deletion")
    assert [(d.text, d.deletion_kind) for d in deletions] == [(word, "overtype")]
    assert f"~~{word}~~" in page.markup


@pytest.mark.parametrize("read, struck", [
    (("Министерству", "пемещь-", "в", "-", "испытании", "опытных"), (1, 4)),  # the spaces' hyphens as cells
    (("Министерству", "чемещь-в-иеяызтании", "опытных"), (1, 1)),
    (("в", "Ростов-на-Дону", "прибыл"), None),  # a compound of words
    (("тел.", "1-32-17"), None),  # figures
    (("научно-технический", "план"), None),  # two parts
])
def test_words_read_as_a_hyphenated_chain_with_a_part_no_word_are_over_typed(read: tuple[str, ...],
                                                                            struck: tuple[int, int] | None) -> None:
    boxes = [Box(100 * i, 100, 100 * i + 90, 130) for i in range(len(read))]
    row = TypedRow(box=Box(0, 95, 100 * len(read), 135), members=(), baseline=125, char_height=20.0, phase=0.0,
                   coherence=1.0)
    layout = SimpleNamespace(rows=(row,))
    rows = [RowText(tuple(Word(t, b, 0.6) for t, b in zip(read, boxes)))]
    found = hyphens_for_spaces(layout, rows, taken=())
    if struck is None:
        assert found == ()
    else:
        assert [(s.kind, s.box.x0, s.box.x1) for s in found] == [
            ("overtype", boxes[struck[0]].x0, boxes[struck[1]].x1)]
        assert hyphens_for_spaces(layout, rows, taken=found) == ()  # struck already


def test_over_typing_that_runs_on_to_a_word_struck_by_pen_is_a_deletion_of_its_own(tmp_path: Path) -> None:
    """The pen's tail across the space joins the over-typed cells to the
    pen-struck word: both deletions stand, each with its kind."""
    line, struck, word = 6, "восстановлению", "городов"
    image = _overtyped_page(line, word).copy()
    font_px = DPI / CPI / 0.6
    y = round(0.5 * DPI + line * DPI / 6 * SPACING + 0.62 * font_px)
    x0, x1 = round(0.5 * DPI), round(0.5 * DPI + (len(struck) + 0.6) * DPI / CPI)
    cv2.line(image, (x0 - 4, y + 2), (x1, y - 2), 35, 3)
    with TesseractEngine() as engine:
        page = process_page(SourcePage(path=tmp_path / "p.png", index=0, image=image, dpi=DPI), engine=engine)
    assert [(d.text, d.deletion_kind) for d in page.regions_of("deletion")] == [
        (struck, "pen"), (word, "overtype")]


def _misfits(truth: str, chars: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Misfits of a span whose cells hold ``truth``: 1 for the right
    character under the over-typing, 4 for any other; spaces fit over-typing alone."""
    under = np.full((len(truth), len(chars)), 4.0)
    plain = np.full((len(truth), len(chars)), 4.0)
    space = np.full(len(truth), 4.0)
    for i, ch in enumerate(truth):
        if ch == " ":
            space[i] = 1.0
        elif ch in ".,":
            plain[i, chars.index(ch)] = 1.0
        else:
            under[i, chars.index(ch)] = 1.0
    return under, plain, space


def test_a_span_reads_as_words_a_space_cell_apart_with_a_capital_and_a_plain_comma() -> None:
    chars = sorted(set(LETTERS) | {"О", "Д", ",", "."})
    truth = "Около месяца,"
    tokens = read_cells(chars, *_misfits(truth, chars))
    assert [(t.text, t.cells, t.plain) for t in tokens] == [
        ("Около", (0, 5), False), ("месяца", (6, 12), False), (",", (12, 13), True)]


def test_a_doubtful_letter_is_settled_by_the_word_list() -> None:
    chars = sorted(set(LETTERS))
    under, plain, space = _misfits("работа", chars)
    # the fourth cell fits "о" and "с" alike (what an over-typed о leaves visible)
    under[3, chars.index("о")] = under[3, chars.index("с")] = 2.0
    assert [t.text for t in read_cells(chars, under, plain, space)] == ["работа"]


def test_a_word_of_the_list_replaces_a_reading_only_where_it_fits_the_cells_better() -> None:
    """A worn cell that fits ``с`` and ``о`` alike is the word's ``о``; one
    that fits ``с`` clearly better stays ``с`` whatever the list says."""
    chars = sorted(set(LETTERS))
    col = {ch: i for i, ch in enumerate(chars)}
    worn, _, _ = _misfits("работа", chars)
    worn[3, col["о"]] = worn[3, col["с"]] = 2.5
    assert _fits_better("работа", "рабста", worn, col)
    clear, _, _ = _misfits("рабста", chars)
    clear[3, col["о"]] = 3.5
    assert not _fits_better("работа", "рабста", clear, col)


def _read_page(gray: np.ndarray):
    """The page preprocessed, its layout, its rows as Tesseract reads them, and the glyphs they teach."""
    pre = preprocess(SourcePage(path=Path("p.png"), index=0, image=gray, dpi=DPI))
    layout = analyze_layout(pre.binary, dpi=pre.dpi, gray=pre.gray)
    with TesseractEngine() as engine:
        rows = [read_row(engine, pre.gray, layout, i, dpi=pre.dpi) for i in range(len(layout.rows))]
    return pre, layout, rows, learn_glyphs(PageCells(pre.gray, layout), layout, rows)


def _misread(row: RowText, read: str, as_: str) -> RowText:
    """``row`` as if Tesseract had read its word ``read`` as ``as_``."""
    return RowText(tuple(Word(as_ if w.text == read else w.text, w.box, w.conf) for w in row.words), row.spaced)


def test_a_misread_word_is_read_again_from_the_pages_glyphs_and_a_surname_stays() -> None:
    lines = LINES[:9] + ("Копию направить тов. Беневоленскому.",)
    pre, layout, rows, glyphs = _read_page(typed_page(dpi=DPI, cpi=CPI, spacing=SPACING, lines=10, text=lines))
    assert rows[6].text == lines[6] and rows[9].text == lines[9]  # clean type: Tesseract reads them right
    assert glyphs is not None and {"о", "р", "д", "в"} <= set(glyphs.images)
    rows[6] = _misread(rows[6], "городов,", "горадов")  # one letter of a word the page shows plainly
    reread, changed = reread_doubtful(PageCells(pre.gray, layout), layout, rows, glyphs)
    assert changed == 1
    assert reread[6].text == lines[6]  # the comma Tesseract missed is read from its cell
    assert reread[9].text == lines[9]  # a surname no word list holds is left as read


def _in_pieces(row: RowText, word: str, pieces: tuple[str, ...]) -> RowText:
    """``row`` as if Tesseract had read its word ``word`` as ``pieces`` with no space between them."""
    words, spaced = [], []
    for w, gap in zip(row.words, row.spaced):
        if w.text != word:
            words.append(w)
            spaced.append(gap)
            continue
        x, width = w.box.x0, w.box.x1 - w.box.x0
        for i, piece in enumerate(pieces):
            x1 = w.box.x1 if i == len(pieces) - 1 else w.box.x0 + width * sum(map(len, pieces[:i + 1])) // len(word)
            words.append(Word(piece, Box(x, w.box.y0, x1, w.box.y1), 0.4))
            spaced.append(gap if i == 0 else False)
            x = x1
    return RowText(tuple(words), tuple(spaced))


@pytest.mark.parametrize("pieces", [("горо`ов,",), ("городо`",), ("*ородов,",), ("гор", "`дов,"), ("гор-дов,",),
                                    ("горо.ов,",)])
def test_a_word_read_with_a_stray_mark_or_in_pieces_is_read_again_whole(pieces: tuple[str, ...]) -> None:
    """A speck or a broken letter read as a mark inside the word (a hyphen
    or a full stop too), a last or first letter read as a mark, and a word
    Tesseract cut in two are read from their cells."""
    pre, layout, rows, glyphs = _read_page(typed_page(dpi=DPI, cpi=CPI, spacing=SPACING, lines=10, text=LINES))
    assert rows[6].text == LINES[6] and glyphs is not None
    rows[6] = _in_pieces(rows[6], "городов,", pieces)
    reread, changed = reread_doubtful(PageCells(pre.gray, layout), layout, rows, glyphs)
    assert changed == 1
    assert reread[6].text == LINES[6]
    assert len(reread[6].words) == len(LINES[6].split())


def test_compounds_and_abbreviations_are_not_read_again() -> None:
    """Hyphens and full stops that belong in the words (``два-три``,
    ``из-за``, ``т.е.``) are left as read, whether or not the word list
    knows the word they make."""
    lines = LINES[:8] + ("Из-за ремонта, т.е. на два-три месяца,", "в научно-техническом плане.")
    pre, layout, rows, glyphs = _read_page(typed_page(dpi=DPI, cpi=CPI, spacing=SPACING, lines=10, text=lines))
    assert [r.text for r in rows[8:]] == list(lines[8:]) and glyphs is not None
    reread, changed = reread_doubtful(PageCells(pre.gray, layout), layout, rows, glyphs)
    assert changed == 0
    assert [r.text for r in reread[8:]] == list(lines[8:])


@pytest.mark.parametrize("core, worn", [("кул-туры", True), ("плакс.ток", True), ("из-за", False), ("что-то", False),
                                        ("Донбасс-1", False), ("т.е", False), ("с.г", False)])
def test_a_hyphen_or_full_stop_stands_for_a_letter_only_outside_compounds_and_abbreviations(core: str,
                                                                                        worn: bool) -> None:
    assert _worn_marks(core) is worn


def _struck_page(text: tuple[str, ...] = LINES, line: int = 6, span: str = "городов"):
    """The typed test page of ``text`` with a pen stroke through ``span`` on
    row ``line``, read: (preprocessed page, layout, rows, glyphs, pen strokes)."""
    gray = typed_page(dpi=DPI, cpi=CPI, spacing=SPACING, lines=10, text=text).copy()
    font = ImageFont.truetype(str(MONO), round(DPI / CPI / 0.6))
    margin, start = round(0.5 * DPI), text[line].index(span)
    x0 = margin + font.getlength(text[line][:start])
    x1 = margin + font.getlength(text[line][:start + len(span)])
    y = round(margin + line * DPI / 6 * SPACING + 0.62 * font.size)  # through the small letters
    cv2.line(gray, (round(x0) - 6, y), (round(x1) + 6, y - 3), 40, 3)
    pre, layout, rows, glyphs = _read_page(gray)
    pen = [s for s in layout.strikes if s.kind == "pen"]
    assert [s.row for s in pen] == [line] and glyphs is not None
    return pre, layout, rows, glyphs, pen


def test_a_pen_struck_word_is_read_from_the_pages_glyphs_off_the_stroke() -> None:
    pre, layout, rows, glyphs, pen = _struck_page()
    # a stroke taken where there is none (over plain words) does not stand; the true one does
    plain = Strike(row=2, box=Box(pen[0].box.x0, layout.rows[2].box.y0, pen[0].box.x1, layout.rows[2].box.y1),
                   kind="pen")
    taken = replace(layout, strikes=(*layout.strikes, plain))
    assert confirm_pen_strokes(PageCells(pre.gray, taken), taken, glyphs) == layout.strikes
    struck = [w.text for w in rows[6].words if pen[0].box.x0 <= w.box.center[0] < pen[0].box.x1]
    rows[6] = _misread(rows[6], struck[0], "гсрсдсв")  # as Tesseract reads letters a stroke crosses
    reread, changed = read_pen_struck(PageCells(pre.gray, layout), layout, rows, glyphs)
    assert changed == 1
    assert reread[6].text == LINES[6]


def test_a_pen_stroke_over_nothing_but_a_mark_narrower_than_a_cell_is_passed_over() -> None:
    """A speck Tesseract read as a comma under a stroke covers no cell's
    centre: the stroke has no cells to read, and nothing is read."""
    pre, layout, rows, glyphs, pen = _struck_page()
    row, pitch = layout.rows[6], layout.pitch
    centre = next(row.phase + k * pitch for k in range(200) if row.phase + k * pitch > pen[0].box.x0 + pitch)
    speck = Word(",", Box(round(centre + 0.1 * pitch), row.box.y0, round(centre + 0.4 * pitch), row.box.y1), 0.3)
    kept = [w for w in rows[6].words if not pen[0].box.x0 <= w.box.center[0] < pen[0].box.x1]
    rows[6] = RowText(tuple(sorted([*kept, speck], key=lambda w: w.box.x0)))
    reread, changed = read_pen_struck(PageCells(pre.gray, layout), layout, rows, glyphs)
    assert changed == 0 and reread[6] == rows[6]


def test_a_letter_read_in_the_wrong_case_is_set_by_the_case_of_the_glyph_that_fits() -> None:
    line = "Совет Союза и ЦК КПСС, вопросы сельского хозяйства"
    pre, layout, rows, glyphs = _read_page(typed_page(dpi=DPI, cpi=CPI, spacing=SPACING, lines=10,
                                                      text=LINES[:9] + (line,)))
    assert rows[9].text == line
    assert glyphs is not None and {"С", "с"} <= set(glyphs.images)
    rows[9] = _misread(_misread(rows[9], "Союза", "союза"), "сельского", "Сельского")
    recased, changed = restore_case(PageCells(pre.gray, layout), layout, rows, glyphs)
    assert changed == 2
    assert recased[9].text == line


def test_a_full_stop_read_as_a_comma_is_set_by_the_mark_that_fits_and_a_speck_mark_dropped() -> None:
    pre, layout, rows, glyphs = _read_page(typed_page(dpi=DPI, cpi=CPI, spacing=SPACING, lines=10))
    assert rows[2].text == LINES[2][:55] and rows[6].text == LINES[6][:55]
    assert glyphs is not None and {".", ","} <= set(glyphs.images)
    rows[2] = _misread(rows[2], "плана.", "плана,")
    # a mark read in the blank cell after a word (the box as if it covered that cell)
    word = next(w for w in rows[6].words if w.text == "школ")
    wider = Word("школ.", Box(word.box.x0, word.box.y0, word.box.x1 + round(layout.pitch), word.box.y1), word.conf)
    rows[6] = RowText(tuple(wider if w is word else w for w in rows[6].words), rows[6].spaced)
    remarked, changed = restore_marks(PageCells(pre.gray, layout), layout, rows, glyphs)
    assert changed == 2
    assert remarked[2].text == LINES[2][:55] and remarked[6].text == LINES[6][:55]


def test_handwriting_on_the_typing_grid_is_taken_out_of_the_typing(tmp_path: Path) -> None:
    """A line written letter by letter on the grid (a blank line's place)
    is found as a typed row; its cells fit none of the page's glyphs, so it
    is read as handwriting instead."""
    hand_font = next(iter(sorted(Path(__file__).parents[1].glob(
        "fonts/node_modules/@fontsource/caveat/files/caveat-cyrillic-400-normal.woff*"))), None)
    if hand_font is None:
        pytest.skip("handwriting fonts not installed (run scripts/setup)")
    pitch, margin = DPI / CPI, round(0.5 * DPI)
    page = Image.fromarray(typed_page(dpi=DPI, cpi=CPI, spacing=SPACING, lines=10,
                                      text=LINES[:6] + ("",) + LINES[6:9]))
    font = ImageFont.truetype(str(hand_font), 56)
    y = margin + 6 * DPI / 6 * SPACING - 4
    for i, ch in enumerate("Первый экземпляр в дело"):
        ImageDraw.Draw(page).text((margin + (8.5 + i) * pitch - font.getlength(ch) / 2, y), ch, font=font, fill=40)
    with TesseractEngine() as engine:
        read = process_page(SourcePage(path=tmp_path / "p.png", index=0, image=np.asarray(page), dpi=DPI),
                            engine=engine)
    assert read.steps[3].values["written_rows"] == 1
    assert len(read.regions_of("typed_line")) == 9
    assert not any("экземпляр" in r.text for r in read.regions_of("typed_line"))
    assert any("экземпляр" in r.text for r in read.regions_of("insertion", "margin_note"))


def test_figures_under_a_pen_stroke_that_the_page_never_showed_are_left_as_read_and_the_words_beside_read() -> None:
    """The page's glyphs show no 6 or 0: read from them, ``60`` would be the
    word ``об``. It stays as read; the word struck with it is read apart."""
    text = LINES[:3] + ("урожай риса превысил прошлогодний на 60 процентов, а",) + LINES[4:9] + (
        "Беседа продолжалась около двух часов.",)
    pre, layout, rows, glyphs, pen = _struck_page(text, line=3, span="прошлогодний на 60")
    assert not {"6", "0"} & set(glyphs.images)
    under = [w for w in rows[3].words if pen[0].box.x0 <= w.box.center[0] < pen[0].box.x1]
    assert len(under) == 3
    rows[3] = _misread(rows[3], under[2].text, "60")
    rows[3] = _misread(rows[3], under[0].text, "прсшлсгсдний")  # as Tesseract reads letters a stroke crosses
    reread, changed = read_pen_struck(PageCells(pre.gray, layout), layout, rows, glyphs)
    assert changed == 1
    assert [w.text for w in reread[3].words][3:6] == ["прошлогодний", "на", "60"]


def test_typed_words_under_a_gray_stamp_are_read_from_the_pages_glyphs_and_the_rest_stay() -> None:
    """On a gray scan the stamp keeps its ink; Tesseract reads its bolder
    lettering into the words under it. The page's glyphs, matched with the
    stamp's ink allowed over them, read the words of the list there."""
    gray = typed_page(dpi=DPI, cpi=CPI, spacing=SPACING, lines=10)
    page = Image.fromarray(gray)
    draw = ImageDraw.Draw(page)
    frame = (round(0.5 * DPI) + 20, round(0.5 * DPI) + 2 * 75 + 40, round(0.5 * DPI) + 760, round(0.5 * DPI) + 5 * 75)
    draw.rectangle(frame, outline=110, width=6)
    stamp_font = ImageFont.truetype(str(BOLD), 58)
    draw.text((frame[0] + 40, frame[1] + 25), "МИНИСТЕРСТВО", font=stamp_font, fill=110)
    draw.text((frame[0] + 90, frame[1] + 110), "Вх. N 512", font=stamp_font, fill=110)
    pre, layout, rows, glyphs = _read_page(cv2.GaussianBlur(np.asarray(page), (0, 0), 0.8))
    assert len(layout.inked_stamps) == 1 and glyphs is not None
    stamp = layout.inked_stamps[0]
    under = [i for i, r in enumerate(layout.rows) if stamp.y0 < r.baseline - layout.char_height / 2 < stamp.y1]
    assert under == [2, 3, 4]
    assert all(rows[i].text != LINES[i] for i in under)  # Tesseract reads the lettering in
    reread, changed = read_under_stamps(PageCells(pre.gray, layout), layout, rows, glyphs)
    assert changed == len(under)
    for i in under:
        assert [w.text for w in reread[i].words] == LINES[i].split()
    assert [r.text for i, r in enumerate(reread) if i not in under] == [r.text for i, r in enumerate(rows) if i not in under]


def test_faint_hyphens_over_a_word_under_an_insertion_without_a_caret_are_over_typing() -> None:
    """Hyphens typed too faintly over ``городов`` to tell from plain type by
    themselves; an insertion written over the word without a caret (which
    most often replaces it) settles it. One with a caret does not."""
    page = Image.fromarray(typed_page(dpi=DPI, cpi=CPI, spacing=SPACING, lines=10, text=TEXT))
    font = ImageFont.truetype(str(MONO), round(DPI / CPI / 0.6))
    line, word = 6, "городов"
    start, margin = TEXT[line].index(word), round(0.5 * DPI)
    x = margin + font.getlength(TEXT[line][:start])
    ImageDraw.Draw(page).text((x, margin + line * DPI / 6 * SPACING), "-" * len(word), font=font, fill=168)
    pre, layout, rows, glyphs = _read_page(np.asarray(page))
    assert glyphs is not None and not layout.strikes and rows[line].text == TEXT[line]
    top = layout.rows[line].box.y0
    over = Box(round(x), top - 60, round(x + font.getlength(word)), top - 10)

    def found(*hand: HandBlock) -> list[int]:
        with_hand = replace(layout, hand=hand)
        return [s.row for s in find_overtyping(PageCells(pre.gray, with_hand), with_hand, rows, glyphs)]

    assert found() == []
    assert found(HandBlock(over, members=(), kind="insertion", row=line)) == [line]
    assert found(HandBlock(over, members=(), kind="insertion", row=line, caret_x=float(over.x0))) == []
