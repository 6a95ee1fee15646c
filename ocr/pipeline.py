"""The page pipeline: the stages in order, each a plain function over the page.

    load -> preprocess -> layout -> recognise -> glyphs -> postcorrect -> assemble

(``glyphs``: the page's own typewriter glyphs find over-typing and read the
struck words, :mod:`ocr.reread`.)

``process_page`` is what ``archocr run`` calls for every page; it records each
stage's parameters, measurements and time in ``Page.steps``.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, TypeVar

import numpy as np

from ocr.assemble import (NOTE_MIN_CONF, assemble, assemble_print, confirm_strikes, is_under, is_writing,
                          split_at_strikes)
from ocr.carets import take_carets
from ocr.engine import Engine
from ocr.glyphs import Glyphs, PageCells, learn_glyphs
from ocr.handblocks import classify_hand
from ocr.handread import HandModel
from ocr.imageio import SourcePage
from ocr.layout import analyze_layout
from ocr.layout_model import HandBlock, Layout, without_rows
from ocr.model import Box, Page, Step, Word
from ocr.postcorrect import (HAND_MAX_RATIO, SHORT_COMMON, SHORT_MARGIN, SHORT_RARE, STRUCK_MAX_RATIO, correct_far,
                             join_split_words, restore_short_i, settle_case)
from ocr.postcorrect import postcorrect as correct_words
from ocr.preprocess import Preprocessed, is_page_like, preprocess
from ocr.recognize import HAND_PSM, TYPED_PSM, RowText, _plain, read_hand, read_hand_with, read_row
from ocr.reread import (confirm_pen_strokes, find_overtyping, read_overtyping, read_pen_struck, read_under_stamps,
                        reread_typed, written_rows)
from ocr.stampink import drop_stamp_ink

PRINT_PSM = 3  # Tesseract's own page layout, for pages without a typewriter grid
PRINTED_PAGE_MIN_LINES = 15
PRINTED_LINE_MIN_WIDTH = 5.0  # type heights: a line of print holds a few words
EDGE_MARGIN = 2  # pixels
EDGE_STRIP = 2.5  # type heights
HAND_SURE_CONF = 0.88  # the handwriting model's mean letter probability that overrules the print gate

T = TypeVar("T")

# Tuned on the synthetic corpus for cer_typed, checked against the Komi newspaper lines.
POSTCORRECT = {"max_conf": 0.95, "unknown_below": 1.0, "min_zipf": 2.0, "margin": 0.5, "max_edits": 2,
               "second_edit_cost": 1.5}


def process_page(source: SourcePage, *, engine: Engine, dpi: int | None = None,
                 postcorrect: bool = True, hand_model: HandModel | None = None) -> Page:
    """OCR one page into the page model (regions, markup, provenance).

    Hand blocks are read by the engine; with a ``hand_model``
    (:mod:`ocr.handread`), insertions the engine finds writing in are read
    by that model instead (see :func:`_read_hand`).

    ``postcorrect`` runs the dictionary pass over the typed rows (not handwriting).
    Struck words are read in the glyph stage either way: their glyphs alone do
    not tell the letters under the over-typing, the word list does.
    """
    pre = preprocess(source, dpi=dpi)

    (pre, layout), seconds = _timed(lambda: _layout(pre))
    height, width = source.image.shape[:2]
    on_sheet = tuple(h for h in layout.hand
                     if not _edge_strip(pre.to_source(h.box), width, height, char_height=layout.char_height))
    layout = replace(layout, hand=on_sheet, measures={**layout.measures, "hand_blocks": len(on_sheet),
                                                      "edge_blocks_dropped": len(layout.hand) - len(on_sheet)})
    layout_step = Step("layout", params={"method": "fixed-pitch rows"}, values=layout.measures, seconds=seconds)
    if not layout.rows and pre.binary.any() and _looks_printed(source, layout):
        return _as_print(source, pre, layout_step, engine=engine)

    (rows, hands), seconds = _timed(lambda: (
        [read_row(engine, pre.gray, layout, i, dpi=pre.dpi) for i in range(len(layout.rows))],
        [_read_hand(engine, pre.gray, layout, block, dpi=pre.dpi, hand_model=hand_model) for block in layout.hand]))
    hand_reader = {"hand_reader": hand_model.name} if hand_model is not None else {}
    recognize_step = Step("recognize", params={"engine": engine.info(), "psm_typed": TYPED_PSM,
                                               "psm_hand": HAND_PSM, **hand_reader},
                          values={"typed_lines": len(rows), "hand_blocks": len(hands),
                                  "mean_conf_typed": round(_mean(r.conf for r in rows), 3),
                                  "mean_conf_hand": round(_mean(h.conf for h in hands), 3)},
                          seconds=seconds)

    layout = replace(layout, strikes=confirm_strikes(layout.strikes, rows))
    rows = split_at_strikes(layout.strikes, rows, pitch=layout.pitch)
    (layout, rows, hands, cells, glyphs, values), seconds = _timed(
        lambda: _glyph_stage(pre.gray, layout, rows, hands, engine=engine, dpi=pre.dpi, hand_model=hand_model))
    glyphs_step = Step("glyphs", params={"method": "superposition on the page's own glyphs",
                                         "lexicon": "wordfreq ru"}, values=values, seconds=seconds)
    values = {"words_checked": 0, "words_doubtful": 0, "words_changed": 0}
    seconds = 0.0
    if postcorrect:
        corrected, seconds = _timed(lambda: correct_words(rows, **POSTCORRECT))
        rows = list(corrected.rows)
        (rows, hands, far), more = _timed(lambda: _correct_far(layout, rows, hands))
        seconds += more
        reread: dict = {}
        if glyphs is not None:
            (rows, reread), more = _timed(lambda: reread_typed(cells, layout, rows, glyphs))
            seconds += more
        values = {"words_checked": corrected.checked, "words_doubtful": corrected.doubtful,
                  "words_changed": len(corrected.changes), "far_words_changed": far, **reread}
    postcorrect_step = Step("postcorrect", params={"enabled": postcorrect, "lexicon": "wordfreq ru", **POSTCORRECT,
                                                   "struck_max_ratio": STRUCK_MAX_RATIO,
                                                   "hand_max_ratio": HAND_MAX_RATIO,
                                                   "short_word_zipf": [SHORT_RARE, SHORT_COMMON, SHORT_MARGIN]},
                            values=values, seconds=seconds)

    result, seconds = _timed(lambda: assemble(layout, rows, hands, to_source=pre.to_source))
    assemble_step = Step("assemble", values={"regions": len(result.regions)}, seconds=seconds)

    return Page(
        image=str(source.path), width=width, height=height, dpi=pre.dpi, skew_deg=pre.skew_deg,
        regions=result.regions, markup=result.markup,
        steps=(pre.step, layout_step, recognize_step, glyphs_step, postcorrect_step, assemble_step),
        engine=engine.info(),
    )


def _layout(pre: Preprocessed) -> tuple[Preprocessed, Layout]:
    """The layout of a page, coloured stamps' ink first taken off its images
    (:mod:`ocr.stampink`), and the page so cleaned, for recognition."""
    binary, gray, stamps, dropped = drop_stamp_ink(pre.binary, pre.gray, pre.color, dpi=pre.dpi)
    pre = replace(pre, binary=binary, gray=gray)
    layout = take_carets(analyze_layout(pre.binary, dpi=pre.dpi, gray=pre.gray, stamps=stamps))
    return pre, replace(layout, measures={**layout.measures, "stamp_ink_dropped_px": dropped})


def _edge_strip(box: Box, width: int, height: int, *, char_height: float, margin: int = EDGE_MARGIN) -> bool:
    """Whether a box of the source image is a strip along its edge: touching
    it, and less than EDGE_STRIP type heights deep from it. Loose ink there
    is the scan's dark border or the sheet's torn edge, not writing (none of
    the 270 notes, insertions and ticks of the corpus's 106 pages reaches
    the edge; 5 false notes of its heavy and medium pages were such strips).
    Writing that reaches deeper into the page stays, cut off by a tight crop
    or not."""
    deep = EDGE_STRIP * char_height
    return ((box.y0 < margin or box.y1 > height - margin) and box.height < deep
            or (box.x0 < margin or box.x1 > width - margin) and box.width < deep)


def _glyph_stage(gray: np.ndarray, layout: Layout, rows: list[RowText], hands: list[RowText], *, engine: Engine,
                 dpi: int, hand_model: HandModel | None
                 ) -> tuple[Layout, list[RowText], list[RowText], PageCells, Glyphs | None, dict]:
    """The page's glyphs, learnt from its confidently read words; the typed
    rows they show to be handwriting, read as handwriting; the struck words
    read with them. Each typed row's cells are made once (``PageCells``) for
    this stage and the rereads of post-correction."""
    cells = PageCells(gray, layout)
    glyphs = learn_glyphs(cells, layout, rows)
    written = written_rows(cells, layout, rows, glyphs) if glyphs is not None else []
    if written:
        layout, rows, hands = _as_handwriting(written, layout, rows, hands, engine=engine, gray=gray, dpi=dpi,
                                              hand_model=hand_model)
        cells = PageCells(gray, layout)
    layout, rows, values = _read_struck(cells, layout, rows, glyphs)
    return layout, rows, hands, cells, glyphs, {"written_rows": len(written), **values}


def _as_handwriting(written: list[int], layout: Layout, rows: list[RowText], hands: list[RowText], *,
                    engine: Engine, gray: np.ndarray, dpi: int, hand_model: HandModel | None
                    ) -> tuple[Layout, list[RowText], list[RowText]]:
    """The typed rows ``written`` (see :func:`ocr.reread.written_rows`) taken
    out of the typing, classified as handwriting among the rows that stay,
    and read as handwriting."""
    drop = set(written)
    kept = [r for i, r in enumerate(layout.rows) if i not in drop]
    blocks = [classify_hand(layout.components, np.asarray(layout.rows[i].members), kept, column=layout.column,
                            char_height=layout.char_height) for i in written]
    hands = hands + [_read_hand(engine, gray, layout, b, dpi=dpi, hand_model=hand_model) for b in blocks]
    return without_rows(layout, drop, blocks), [t for i, t in enumerate(rows) if i not in drop], hands


def _read_hand(engine: Engine, gray: np.ndarray, layout: Layout, block: HandBlock, *, dpi: int,
               hand_model: HandModel | None) -> RowText:
    """A hand block read by the engine's print model and, for an insertion
    or a note, by the handwriting model too, whose words are kept.

    The print model is the gate: a block it reads as no writing, or with next
    to no confidence (specks, stains, a stamp's fringe, which assembly drops),
    stays as it read it, since the handwriting model reads letters into
    anything (on the 88-page set, 82 false notes and insertions without the
    gate against 36 with the print model alone). Margin notes on the 88-page
    set: 23.0/23.9/31.6% CER light/medium/heavy with the print model,
    15.8/11.3/21.4% with the handwriting model (trained on lines of
    resolutions). Signatures too: on the 27 pages of the 88-page set that
    have one, ``cer_reading`` 3.34/3.34/11.29% with the print model,
    2.90/3.02/11.19% with the handwriting model (``Л. аповаловт`` where the
    print model reads nothing, ``А. Зубарев`` for ``%. 8 дареб``).

    Faint or broken pencil is where the print model fails and the gate with
    it. A block it shuts out is read all the same when the handwriting model
    reads words in it at least HAND_SURE_CONF sure: of the blocks the gate
    shut out on the 88-page set, that let through 10 of 16 true insertions
    and 2 of 5 margin notes, and none of the 606 blocks of no written region
    (what it reads sure there is one mark, a stamp's ring or a punch hole's
    rim, no word).

    Writing up or down the margin is kept only when the handwriting model
    reads it that sure: on the 88-page set the two such notes read at 0.99,
    the 46 columns of specks and streaks along heavy pages' edges that stack
    as upright writing at most 0.77.
    """
    printed = read_hand(engine, gray, layout, block, dpi=dpi)
    if hand_model is None or block.kind == "checkmark":
        return printed
    if not (is_writing(printed.text) and printed.conf >= NOTE_MIN_CONF):
        sure = read_hand_with(hand_model, gray, layout, block, lexicon=False)
        if not (is_writing(sure.text) and sure.conf >= HAND_SURE_CONF):
            return printed
    written = read_hand_with(hand_model, gray, layout, block)
    if block.upright and written.conf < HAND_SURE_CONF:
        return RowText(())  # a column of specks or a scan streak along the edge, read as letters either way up
    return written if written.words else printed


def _read_struck(cells: PageCells, layout: Layout, rows: list[RowText], glyphs: Glyphs | None
                 ) -> tuple[Layout, list[RowText], dict]:
    """The over-typing the page's glyphs find; the over-typed and pen-struck
    words read with them (:mod:`ocr.reread`)."""
    if glyphs is None:
        return layout, rows, {"glyphs": 0}
    found = find_overtyping(cells, layout, rows, glyphs)
    layout = replace(layout, strikes=layout.strikes + found)
    rows, strikes, overtyped = read_overtyping(cells, layout, rows, glyphs)
    layout = replace(layout, strikes=strikes)
    strokes = len(layout.strikes)
    layout = replace(layout, strikes=confirm_pen_strokes(cells, layout, glyphs))
    rows, pen = read_pen_struck(cells, layout, rows, glyphs)
    rows, stamped = read_under_stamps(cells, layout, rows, glyphs)
    return layout, rows, {"glyphs": len(glyphs.images), "overtyping_found": len(found),
                          "overtyped_spans_read": overtyped,
                          "pen_strokes_dropped": strokes - len(layout.strikes), "pen_spans_read": pen,
                          "stamped_spans_read": stamped}


def _correct_far(layout: Layout, rows: list[RowText], hands: list[RowText]
                 ) -> tuple[list[RowText], list[RowText], int]:
    """The nearest common word for badly read words under strikes and in
    insertions (whose pieces read apart are joined first), save the words
    the handwriting model chose against the word list as it read them."""
    changes = 0
    for r, row in enumerate(rows):
        struck = [s.box for s in layout.strikes if s.row == r]
        if struck:
            rows[r], changed = correct_far(row, max_ratio=STRUCK_MAX_RATIO,
                                           in_span=lambda w: any(is_under(w, b) for b in struck))
            changes += len(changed)
    hands = list(hands)
    for n, (block, hand) in enumerate(zip(layout.hand, hands)):
        if block.kind == "insertion":
            listed = hand.listed  # the handwriting model's words: the nearest word by shape reads them worse
            hand, settled = settle_case(hand)
            hand, joined = join_split_words(hand)
            changed = []
            if not listed:
                hand, changed = correct_far(hand, max_ratio=HAND_MAX_RATIO, capitals_meant=False)
            hand, breves = restore_short_i(hand)
            hands[n] = hand
            changes += len(settled) + len(joined) + len(changed) + len(breves)
    return rows, hands, changes


def _looks_printed(source: SourcePage, layout: Layout) -> bool:
    """No typed line was found: a snippet (a line or a column cut from print)
    or a full page of untyped text lines is print; a page with a few
    handwritten lines (a typescript's last sheet, signatures and notes) is
    not, however many specks of a worn copy it also shows."""
    height, width = source.image.shape[:2]
    lines = [h for h in layout.hand if h.box.width >= PRINTED_LINE_MIN_WIDTH * layout.char_height]
    return not is_page_like(width, height) or len(lines) >= PRINTED_PAGE_MIN_LINES


def _as_print(source: SourcePage, pre, layout_step: Step, *, engine: Engine) -> Page:
    """No typewriter grid on the page: not a typescript (print, a single printed
    line) or nothing legible. Read it with Tesseract's own layout as typed
    text, rather than as handwriting, and say so in the steps."""
    lines, seconds = _timed(lambda: [[Word(_plain(w.text), w.box, w.conf) for w in line if _plain(w.text)]
                                     for line in engine.recognize_block(pre.gray, psm=PRINT_PSM, dpi=pre.dpi)])
    recognize_step = Step("recognize", params={"engine": engine.info(), "psm": PRINT_PSM, "as": "print"},
                          values={"lines": len(lines)}, seconds=seconds)
    result, seconds = _timed(lambda: assemble_print(lines, to_source=pre.to_source))
    height, width = source.image.shape[:2]
    return Page(
        image=str(source.path), width=width, height=height, dpi=pre.dpi, skew_deg=pre.skew_deg,
        regions=result.regions, markup=result.markup,
        steps=(pre.step, layout_step, recognize_step, Step("assemble", values={"regions": len(result.regions)},
                                                           seconds=seconds)),
        engine=engine.info(),
    )


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    """The result of ``work()`` and the seconds it took."""
    started = time.perf_counter()
    result = work()
    return result, round(time.perf_counter() - started, 3)


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
