"""Typed words read again from the page's own glyphs (:mod:`ocr.glyphs`).

To delete typed words a typist backspaced and typed ``х`` (or ``x``, ``-``,
``/``) over every letter and every space between them, or struck them with
a pen. Tesseract makes nothing of over-typed cells (``ххадмихикхняхиЕ`` for
``и административных мер``) and little of letters a stroke crosses, but
each over-typed cell holds just two glyphs of the page's typewriter, the
letter and the over-typing, and a struck cell the letter and the pen. So
over-typed spans are read with the over-typing's image (the median of the
span's cells: the letters under it differ, the over-typing does not) laid
over every letter, pen-struck spans with the stroke's pixels left out, and
typed words Tesseract read as no word with the plain glyphs; the word list
picks the words. The same glyphs settle a letter's case and a word's
closing mark where Tesseract took one for another.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

import cv2
import numpy as np

from ocr.glyphs import (FREQUENCY_WEIGHT, LETTERS, MAX_WORD, Glyphs, PageCells, RowCells, Token, blank_misfits,
                        covered_misfits, drawn_slashes, masked_misfits, overtyped_misfits, read_cells, x_of)
from ocr.layout_model import Layout, Strike, runs
from ocr.lexicon import NEAREST_MIN_ZIPF, russian_zipf
from ocr.model import Box, Word
from ocr.postcorrect import OPENING, hard_sign_dropped, spacing, split_marks, unspaced_runs
from ocr.recognize import INK_LEVEL, RowText, spaced_by_pitch

# Cells of misfit charged per letter of a word not in the word list: under
# over-typing the list must decide, in plain type the image; 1.0, 0.5 and 0
# measured best for each on the corpus.
UNKNOWN_WORD_PEN = 0.5  # pen-struck, the stroke's pixels left out
UNKNOWN_WORD_PLAIN = 0.0  # plain type that Tesseract read as no word
UNKNOWN_WORD_STAMPED = 2.0  # under a stamp's ink, where letters fit its strokes too

REREAD_CONF = 0.5  # the confidence given to words read from the glyphs
BLANK_CELL = 2.0  # misfits: a cell with less ink than this holds no letter
# A doubtful run of cells is over-typed when the page's own х or hyphen laid
# over the letters explains most of its cells (OVERTYPED_SHARE) by more than
# half a unit, and the middle cell by OVERTYPED_GAIN units; on the corpus no
# run of plain type reached both, 10 over-typed runs that the ink density
# missed (hyphens, light ribbon) did. Slashes drawn in the page's stead
# (glyphs.drawn_slashes) found 2 more on the 88-page set, and no plain run.
OVERTYPED_SHARE = 0.7
OVERTYPED_GAIN = 1.4
OVERTYPED_MIN_CELLS = 2  # a struck "не" or "на"
# Where Tesseract read the run surely as words of the list, its median gain
# must reach OVERTYPED_SURE_GAIN: on the 88-page set that found one more
# over-typed word (an "не" read as "ие", gain 2.55), where OVERTYPED_GAIN
# alone also took two plain "на" (1.42 and 1.57).
OVERTYPED_SURE_GAIN = 2.0
# An insertion written over a word without a caret most often replaces it.
# Under such insertions on the 88-page set, the over-typed words that the
# density missed (hyphens: ``один``, ``приведет``) gained 0.88 to 1.71, the
# plain words at most 0.68.
OVERTYPED_REPLACED_GAIN = 0.8
OVERLAYS = "х-/"
DOUBTFUL_CONF = 0.9


def find_overtyping(cells: PageCells, layout: Layout, rows: list[RowText], glyphs: Glyphs) -> tuple[Strike, ...]:
    """Over-typed spans that the ink density did not show, found by
    superposition: runs of OVERTYPED_MIN_CELLS inked cells or more, struck
    by nothing and under no stamp that kept its ink, whose cells the page's
    ``х``, hyphen or slash (drawn when the page has none to learn from)
    typed over its letters explains far better than its letters alone; the
    more so where Tesseract read them surely as words."""
    overlays = [glyphs.images[ch] for ch in OVERLAYS if ch in glyphs.images]
    if "/" not in glyphs.images:
        overlays += drawn_slashes(glyphs, char_height=layout.char_height)
    found: list[Strike] = []
    for index, (row, text) in enumerate(zip(layout.rows, rows)):
        if not text.words or not overlays:
            continue
        row_cells = cells.row(index)
        ks = row_cells.cells_of(row.box)
        images = np.stack([row_cells.cell(k) for k in ks])
        inked = blank_misfits(images, glyphs) > BLANK_CELL
        for start, stop in runs(inked):
            if stop - start < OVERTYPED_MIN_CELLS:
                continue
            x0, x1 = x_of(row, ks[start], layout.pitch), x_of(row, ks[stop - 1] + 1, layout.pitch)
            words = [w for w in text.words if x0 <= w.box.center[0] < x1]
            if not words or _struck(layout.strikes, index, x0, x1):
                continue
            if any(s.intersection(Box(x0, row.box.y0, x1, row.box.y1)) for s in layout.inked_stamps):
                continue  # a stamp's ink over the letters (a coloured stamp's is taken off)
            # a run read surely as words of the list needs more (OVERTYPED_SURE_GAIN); one under an
            # insertion without a caret, which most often replaces it, less (OVERTYPED_REPLACED_GAIN)
            least = OVERTYPED_REPLACED_GAIN if _under_insertion(layout, index, x0, x1) else \
                OVERTYPED_SURE_GAIN if all(_known(w.text) and w.conf >= DOUBTFUL_CONF for w in words) \
                else OVERTYPED_GAIN
            best = row_cells.misfits(ks[start:stop], glyphs).min(axis=1)
            if np.median(best) < least:
                continue  # no overlay gains more than the letters' own misfit (saves its products)
            for overlay in overlays:
                gain = best - overtyped_misfits(images[start:stop], glyphs, overlay).min(axis=1)
                if np.mean(gain > 0.5) >= OVERTYPED_SHARE and np.median(gain) >= least:
                    found.append(Strike(row=index, box=Box(x0, row.box.y0, x1, row.box.y1), kind="overtype"))
                    break
    return tuple(found) + hyphens_for_spaces(layout, rows, taken=layout.strikes + tuple(found))


def _under_insertion(layout: Layout, row: int, x0: int, x1: int) -> bool:
    """Whether an insertion without a caret stands over half of the run
    [x0, x1) of row ``row``, or the run under half of the insertion."""
    return any(h.kind == "insertion" and h.row == row and h.caret_x is None
               and min(x1, h.box.x1) - max(x0, h.box.x0) >= 0.5 * min(x1 - x0, h.box.width)
               for h in layout.hand)


def _struck(strikes: tuple[Strike, ...], row: int, x0: int, x1: int) -> bool:
    """Whether a strike of ``strikes`` on ``row`` overlaps columns [x0, x1)."""
    return any(s.row == row and s.box.x0 < x1 and x0 < s.box.x1 for s in strikes)


# Over-typing with hyphens puts one in every space between the struck words
# too, and the words come out as one hyphenated chain (``пемещь-в-испытании``
# for ``помощь в испытании``), where the hyphens over the letters add too
# little ink for density or superposition to tell on a carbon copy. Russian
# compounds join two parts, or three whose parts are words (``Ростов-на-Дону``):
# a chain of three parts or more with a part of three letters or more that
# is no word is over-typing. On the 88 pages only the three over-typed chains
# read so; phone numbers (``1-32-17``) are figures.
_HYPHEN_CHAIN = re.compile(r"^[^\W\d_]+(?:-[^\W\d_]+){2,}$")


def hyphens_for_spaces(layout: Layout, rows: list[RowText], *, taken: tuple[Strike, ...]) -> tuple[Strike, ...]:
    """Over-typed spans read as a hyphenated chain of three parts or more, one
    of them no word; a hyphen at a word's end or start continues the chain
    into the next word of its row (``пемещь-``, ``в``, ``-``, ``испытании``:
    the spaces kept where the hyphens over them were read as cells of their own)."""
    found = []
    for index, (row, text) in enumerate(zip(layout.rows, rows)):
        words = text.words
        start = 0
        while start < len(words):
            stop = start + 1
            while stop < len(words) and (words[stop - 1].text.endswith("-") or words[stop].text.startswith("-")):
                stop += 1
            chain = "".join(w.text for w in words[start:stop]).strip(".,;:")
            box = Box.enclosing(w.box for w in words[start:stop])
            parts = chain.split("-")
            if (_HYPHEN_CHAIN.match(chain) and any(len(p) >= 3 and not _known(p) for p in parts)
                    and not _struck(taken, index, box.x0, box.x1)):
                found.append(Strike(row=index, box=Box(box.x0, row.box.y0, box.x1, row.box.y1), kind="overtype"))
            start = stop
    return tuple(found)


def read_overtyping(cells: PageCells, layout: Layout, rows: list[RowText], glyphs: Glyphs
                    ) -> tuple[list[RowText], tuple[Strike, ...], int]:
    """The rows with the words under each over-typed span read by
    superposition, the strikes with each span narrowed to its over-typed
    cells (a comma typed after the struck words is no part of them), and how
    many spans were read."""
    spans = [s for s in layout.strikes if s.kind == "overtype"]
    if not spans:
        return rows, layout.strikes, 0
    span_cells = {s: cells.row(s.row).cells_of(s.box) for s in spans}
    overlay = np.median([cells.row(s.row).cell(k) for s, ks in span_cells.items() for k in ks], axis=0)
    rows, narrowed = list(rows), {}
    for strike, ks in span_cells.items():
        images = np.stack([cells.row(strike.row).cell(k) for k in ks])
        space = blank_misfits(images - overlay, glyphs)  # the over-typing alone
        tokens = read_cells(glyphs.chars, overtyped_misfits(images, glyphs, overlay),
                            cells.row(strike.row).misfits(ks, glyphs), space)
        struck = [t for t in tokens if not t.plain]
        if not struck:
            continue
        rows[strike.row] = _replace_words(rows[strike.row], tokens, ks, layout=layout, row=strike.row,
                                          y=(strike.box.y0, strike.box.y1))
        end = x_of(layout.rows[strike.row], ks[struck[-1].cells[1] - 1] + 1, layout.pitch)
        narrowed[strike] = replace(strike, box=Box(strike.box.x0, strike.box.y0, end, strike.box.y1))
    return rows, tuple(narrowed.get(s, s) for s in layout.strikes), len(narrowed)


# A pen stroke adds ink no letter of the page has: the cells it crosses fit
# the plain glyphs worse than PEN_MIN_MISFIT, or fit them better by
# PEN_MIN_GAIN with the stroke's pixels left out. Heavy letters touching
# across the gaps, taken for a stroke, do neither (6 such on the 88 pages,
# 4 of them on clean pages, against 1 true stroke of a heavy page).
PEN_MIN_MISFIT = 2.0
PEN_MIN_GAIN = 1.0


def confirm_pen_strokes(cells: PageCells, layout: Layout, glyphs: Glyphs) -> tuple[Strike, ...]:
    """The strikes without the pen strokes that the page's letters explain
    by themselves (see PEN_MIN_MISFIT)."""
    kept = []
    for strike in layout.strikes:
        if strike.kind == "pen":
            row_cells = cells.row(strike.row)
            ks = row_cells.cells_of(strike.box)
            images = np.stack([row_cells.cell(k) for k in ks])
            inked = blank_misfits(images, glyphs) > BLANK_CELL
            if inked.any():
                weights = np.stack([row_cells.off_pen(k) for k in ks])[inked]
                plain = float(np.median(row_cells.misfits(list(np.array(ks)[inked]), glyphs).min(axis=1)))
                masked = float(np.median(masked_misfits(images[inked], weights, glyphs).min(axis=1)))
                if plain <= PEN_MIN_MISFIT and plain - masked < PEN_MIN_GAIN:
                    continue
        kept.append(strike)
    return tuple(kept)


# Handwriting that fell on the typing grid by chance (a note written
# between paragraphs, a signature beside the signatory's typed name) is
# found as a typed row; its cells fit none of the page's glyphs. On the 88
# pages typed rows fit with a median misfit of 0.6 to 2.5 (up to 7 in rows of
# capitals or figures, whose glyphs a page shows too rarely), written ones
# 5.7 to 17.
WRITTEN_MIN_MISFIT = 5.5
WRITTEN_MIN_CELLS = 5


def written_rows(cells: PageCells, layout: Layout, rows: list[RowText], glyphs: Glyphs) -> list[int]:
    """The typed rows that are handwriting: their inked cells, off the
    strikes, fit the page's glyphs far worse than typing does, and they
    read as small letters more than as capitals and figures."""
    found = []
    for index, (row, text) in enumerate(zip(layout.rows, rows)):
        if sum(ch.islower() for ch in text.text) <= 0.5 * sum(ch.isalnum() for ch in text.text):
            continue  # capitals and figures: a page shows too few of them for their glyphs to judge by
        row_cells = cells.row(index)
        struck = {k for s in layout.strikes if s.row == index for k in row_cells.cells_of(s.box)}
        ks = [k for k in row_cells.cells_of(row.box) if k not in struck]
        if len(ks) < WRITTEN_MIN_CELLS:
            continue
        images = np.stack([row_cells.cell(k) for k in ks])
        inked = [k for k, ink in zip(ks, blank_misfits(images, glyphs)) if ink > BLANK_CELL]
        if len(inked) < WRITTEN_MIN_CELLS:
            continue
        if np.median(row_cells.misfits(inked, glyphs).min(axis=1)) >= WRITTEN_MIN_MISFIT:
            found.append(index)
    return found


_FIGURE = re.compile(r"[\d.,:/-]*\d[\d.,:/-]*")  # a number, a date, a sum


def read_pen_struck(cells: PageCells, layout: Layout, rows: list[RowText], glyphs: Glyphs
                    ) -> tuple[list[RowText], int]:
    """Words under a pen stroke read again from the page's glyphs with the
    stroke's pixels left out of the match: when words of the list explain
    the cells best, they replace what Tesseract read (a space is a cell
    without ink off the stroke). Figures of digits the page's glyphs never
    showed stay as Tesseract read them (``из 35`` would read ``из лб``), and
    the words on either side are read apart."""
    rows, changed = list(rows), 0
    for strike in (s for s in layout.strikes if s.kind == "pen"):
        under = [w for w in rows[strike.row].words if strike.box.x0 <= w.box.center[0] < strike.box.x1]
        row_cells = cells.row(strike.row)
        for words in _between_unread_figures(under, glyphs):
            ks = row_cells.cells_of(Box.enclosing(w.box for w in words))  # none for a lone narrow mark
            if not 1 <= len(ks) <= 3 * MAX_WORD:
                continue
            images = np.stack([row_cells.cell(k) for k in ks])
            weights = np.stack([row_cells.off_pen(k) for k in ks])
            space = blank_misfits(images, glyphs, weights)
            inked = np.flatnonzero(space > BLANK_CELL)  # the pen runs on past the words it strikes
            if not inked.size:
                continue
            keep = slice(inked[0], inked[-1] + 1)
            ks, images, weights, space = ks[keep], images[keep], weights[keep], space[keep]
            fit = masked_misfits(images, weights, glyphs)
            tokens = read_cells(glyphs.chars, fit, fit, space, unknown_word=UNKNOWN_WORD_PEN)
            if not _all_known(tokens, glyphs):
                continue
            rows[strike.row] = _replace_words(rows[strike.row], tokens, ks, layout=layout, row=strike.row,
                                              y=(min(w.box.y0 for w in words), max(w.box.y1 for w in words)))
            changed += 1
    return rows, changed


def _between_unread_figures(words: list[Word], glyphs: Glyphs) -> list[list[Word]]:
    """The runs of ``words`` between the figures whose digits the page's glyphs lack."""
    parts: list[list[Word]] = [[]]
    for word in words:
        if _FIGURE.fullmatch(word.text) and not _known_figure(word.text, glyphs):
            parts.append([])
        else:
            parts[-1].append(word)
    return [part for part in parts if part]


# Under a stamp that kept its ink, the share of its square that a cell's ink
# the glyph lacks costs (the stamp's lettering and frame may lie anywhere);
# a glyph's ink the cell lacks costs whole.
STAMP_EXTRA = 0.3
STAMP_LETTERING_RUN = 3
FRAME_SIDE_INK = 0.8  # share of a column's pixels about a row that a stamp frame's side inks


def read_under_stamps(cells: PageCells, layout: Layout, rows: list[RowText], glyphs: Glyphs
                      ) -> tuple[list[RowText], int]:
    """Typed words under a stamp whose ink is still on the page (a gray
    scan, where it cannot be told from the typing), read again from the
    page's glyphs. Tesseract reads the stamp's bolder lettering there, or
    nothing where the typing joined the frame. Each cell is matched with
    ink allowed over the glyph (:func:`ocr.glyphs.covered_misfits`) and the
    frame's sides left out; where words of the list explain the cells, they
    replace what Tesseract read. A row whose words under the stamp Tesseract
    read surely as words of the list is left alone, unless its typing
    begins inside the stamp (its first letters joined to the frame)."""
    rows, changed = list(rows), 0
    ch = layout.char_height
    for stamp in layout.inked_stamps:
        for index, row in enumerate(layout.rows):
            if min(row.baseline, stamp.y1) - max(row.baseline - ch, stamp.y0) < ch / 2:
                continue  # the row's letters are not under the stamp
            under = [w for w in rows[index].words if w.box.x0 < stamp.x1 and stamp.x0 < w.box.x1]
            row_cells = cells.row(index)
            cut_off = layout.column is not None and row.box.x0 > max(stamp.x0, layout.column.x0) + layout.pitch
            if under and not cut_off and all(_read_whole(w, row_cells) for w in under):
                continue
            ks = _stamped_cells(row_cells, glyphs, layout, stamp, under)
            if not 1 <= len(ks) <= 3 * MAX_WORD:
                continue
            sides, origin = _frame_sides(cells.gray, layout, index, stamp)
            images = np.stack([row_cells.open_cell(k) for k in ks])
            weights = np.stack([1.0 - row_cells.window(sides, k, origin=origin) for k in ks])
            fit = covered_misfits(images, weights, glyphs, extra=STAMP_EXTRA)
            space = STAMP_EXTRA * blank_misfits(images, glyphs, weights)
            tokens = _without_lettering(read_cells(glyphs.chars, fit, fit, space, unknown_word=UNKNOWN_WORD_STAMPED,
                                                    marks_inside=True))
            if not _all_known(tokens, glyphs):
                continue
            rows[index] = _replace_words(rows[index], tokens, ks, layout=layout, row=index,
                                         y=(row.baseline - int(round(ch)), row.baseline))
            changed += 1
    return rows, changed


def _stamped_cells(row_cells: RowCells, glyphs: Glyphs, layout: Layout, stamp: Box, under: list[Word]
                   ) -> list[int]:
    """The cells of a row that a stamp covers within the typed column, with
    the words Tesseract read there, and on either side up to the first blank
    cell of the row's own ink (the rest of a word the stamp's edge crosses)."""
    pitch, column = layout.pitch, layout.column or stamp
    x0 = min([max(stamp.x0, column.x0 - int(pitch))] + [w.box.x0 for w in under])
    x1 = max([min(stamp.x1, column.x1 + int(pitch))] + [w.box.x1 for w in under])
    if x1 - x0 < pitch:
        return []
    ks = row_cells.cells_of(Box(x0, row_cells.row.box.y0, x1, row_cells.row.box.y1))

    def inked(k: int) -> bool:
        return float(blank_misfits(row_cells.cell(k)[None], glyphs)[0]) > BLANK_CELL

    first, last = ks[0], ks[-1]
    while ks[0] - first < MAX_WORD and inked(first - 1):
        first -= 1
    while last - ks[-1] < MAX_WORD and inked(last + 1):
        last += 1
    return list(range(first, last + 1))


def _without_lettering(tokens: list[Token]) -> list[Token]:
    """The tokens less a run of STAMP_LETTERING_RUN or more one- and
    two-character tokens at either end: the stamp's lettering, where no
    typing lies under it (a paragraph's indent, past a line's end), reads as
    letters and marks that each fit a part of its strokes."""
    def run(seq: list[Token]) -> int:
        n = 0
        while n < len(seq) and len(seq[n].text) <= 2:
            n += 1
        return n if n >= STAMP_LETTERING_RUN else 0
    tokens = tokens[run(tokens):]
    return tokens[:len(tokens) - run(tokens[::-1])]


def _all_known(tokens: list[Token], glyphs: Glyphs) -> bool:
    """Whether there are tokens and each is a word of the list, a mark typed
    plain, or a figure of digits the page showed (:func:`_known_figure`)."""
    return bool(tokens) and all(t.listed or t.plain or _known_figure(t.text, glyphs) for t in tokens)


def _known_figure(text: str, glyphs: Glyphs) -> bool:
    """Whether ``text`` is a figure of digits the page's glyphs showed."""
    return bool(_FIGURE.fullmatch(text)) and set(text) <= set(glyphs.images)


def _read_whole(word: Word, row_cells: RowCells) -> bool:
    """Whether Tesseract read ``word`` surely as a word of the list, a letter a cell."""
    return word.conf >= DOUBTFUL_CONF and _known(word.text) and \
        len(row_cells.cells_of(word.box)) == len(word.text)


def _frame_sides(gray: np.ndarray, layout: Layout, index: int, stamp: Box) -> tuple[np.ndarray, tuple[int, int]]:
    """A band of the page about row ``index``'s baseline, across the stamp,
    1 on the columns where the stamp frame's left or right side runs
    through it (inked down most of the band) and 0 elsewhere; and the page
    pixel of its top left corner."""
    row, ch = layout.rows[index], layout.char_height
    half, reach = int(round(2 * ch)), int(round(ch / 2))
    y0, y1 = max(row.baseline - half, 0), min(row.baseline + half, gray.shape[0])
    bx0, bx1 = max(stamp.x0 - reach, 0), min(stamp.x1 + reach, gray.shape[1])
    band = np.zeros((y1 - y0, bx1 - bx0), np.float32)
    for edge in (stamp.x0, stamp.x1):
        x0, x1 = max(edge - reach, bx0), min(edge + reach, bx1)
        inked = (gray[y0:y1, x0:x1] < INK_LEVEL).mean(axis=0) >= FRAME_SIDE_INK
        band[:, x0 - bx0:x1 - bx0][:, np.flatnonzero(inked)] = 1.0
    return cv2.dilate(band, np.ones((1, 3), np.uint8)), (bx0, y0)


def reread_typed(cells: PageCells, layout: Layout, rows: list[RowText], glyphs: Glyphs) -> tuple[list[RowText], dict]:
    """Post-correction by the page's glyphs: typed words read as no word of
    the list, letters read in the wrong case, closing marks read as other
    marks; with how many of each were changed."""
    rows, reread = reread_doubtful(cells, layout, rows, glyphs)
    rows, recased = restore_case(cells, layout, rows, glyphs)
    rows, marks = restore_marks(cells, layout, rows, glyphs)
    return rows, {"words_reread": reread, "words_recased": recased, "marks_changed": marks}


# A word the plain glyphs do not settle (UNKNOWN_WORD_PLAIN) is read again
# charging UNKNOWN_WORD_DOUBT a letter not read as a word of the list; the
# word of the list then found must fit the cells by DOUBT_MARGIN better than
# the letters Tesseract read, its frequency reckoned as in read_cells. On the
# corpus (typed character errors, bundled light/medium/heavy, then the 88
# pages): 37/125/322 and 192/324/1243 before, 37/121/288 and 186/322/1202
# after, with the marks below taken in; taking a mark before a word for its
# first letter then gave 37/120/290 and 185/321/1196. A charge of 0.5 without the fit
# against Tesseract's letters gave 37/124/309 and 193/318/1232; 1.0 without
# it took rare words read right (кинообслуживания -> самообслуживания).
# Every such reading is checked, a word read with marks too: a mark costs its
# cell's median misfit (see _letters).
UNKNOWN_WORD_DOUBT = 1.0
DOUBT_MARGIN = 1.0
# Marks inside a word that stand for a speck or a broken letter: a word read
# with one is no word of the list, and its cells are read again whole.
STRAY_MARKS = "`:,•*|\\+"
# Marks written inside words too, a compound's hyphen (из-за) and an
# abbreviation's full stop (млн.руб.), that also stand for worn letters
# (кул-туры, плакс.ток): a word with one is read again whole unless its parts
# make a compound or an abbreviation (see _worn_marks). Reading them again gave
# 37/120/290 -> 37/119/283 and 185/321/1196 -> 185/317/1187 typed errors.
WRITTEN_MARKS = "-."
# Words joined to another by a hyphen (из-за, кое-где, что-то, г-н).
HYPHEN_PARTICLES = {"из", "по", "кое", "во", "в", "г", "то", "либо", "нибудь", "ка", "за", "под", "таки"}
CLOSING_MARKS = ".,;:)!?\"»"  # what may close a word; any other mark after one is part of its last letter


def reread_doubtful(cells: PageCells, layout: Layout, rows: list[RowText], glyphs: Glyphs
                    ) -> tuple[list[RowText], int]:
    """Typed words Tesseract read as no word of the list (``добызи``,
    ``к`дроз``), read again from the page's glyphs letter by letter; a word of
    the list that explains their cells better than any letter-by-letter
    reading replaces what was read (see :data:`UNKNOWN_WORD_DOUBT`). A word
    is what stands between spaces: pieces Tesseract read apart
    (``Замести`` + ``алю``) are read as one.
    A mark before a word that no word opens with (``@овета``) is taken for
    what is left of its first letter, one after it that closes no word for
    its last, a stray mark inside (``пл:на``) or a hyphen or full stop that
    joins no compound (``кул-туры``, see :data:`WRITTEN_MARKS`) for one of its
    letters. Left alone: words after an opening mark (a quote, a bracket),
    the halves of a word broken across lines (no word of the list by
    themselves), and words known once a ``ъ`` is put back (``подема``)."""
    col = {ch: i for i, ch in enumerate(glyphs.chars)}

    def rewrite(word: Word, row_cells: RowCells, continued: bool) -> str | None:
        lead, core, trail = split_marks(word.text)
        inner = [ch for ch in core if ch.lower() not in LETTERS]
        if any(ch not in STRAY_MARKS + WRITTEN_MARKS for ch in inner):
            return None
        if any(ch in WRITTEN_MARKS for ch in inner) and not _worn_marks(core):
            return None
        if any(ch not in OPENING for ch in lead):
            lead, core = "", lead + core  # a mark no word opens with is what is left of its first letter
            inner.append(core[0])
        if lead or trail.endswith("-") or continued or len(core) < 3:
            return None
        if (not inner and _known(core)) or hard_sign_dropped(core, russian_zipf):
            return None
        ks = row_cells.cells_of(word.box)
        if not ks:
            return None
        if any(ch not in CLOSING_MARKS for ch in trail):
            core, trail = core + trail, ""
            ks = list(range(ks[0], max(ks[-1], row_cells.cell_at(word.box.x1 - 1)) + 1))  # a narrow mark's cell too
        elif len(ks) == len(core) + len(trail):
            ks = ks[:len(core)]  # the marks were read right where the letters fill their cells
        if not 3 <= len(ks) <= MAX_WORD:
            return None
        fit = row_cells.misfits(ks, glyphs)
        no_space = np.full(len(ks), np.inf)
        tokens = read_cells(glyphs.chars, fit, fit, no_space, unknown_word=UNKNOWN_WORD_PLAIN)
        if not (tokens and tokens[0].listed):
            tokens = read_cells(glyphs.chars, fit, fit, no_space, unknown_word=UNKNOWN_WORD_DOUBT)
            if len(tokens) != 1 or not tokens[0].listed:
                return None
            if len(core) == len(ks) and not _fits_better(tokens[0].text, _letters(core), fit, col):
                return None
        text = "".join(t.text for t in tokens) + trail  # no space allowed: the word, and a mark in its last cell
        return text[0].upper() + text[1:] if core[0].isupper() else text

    return _rewrite_words(cells, layout, rows, rewrite, joined=True)


def _fits_better(word: str, read: str, fit: np.ndarray, col: dict[str, int]) -> bool:
    """Whether the cells (misfits ``fit``) look more like ``word`` of the list
    than like the letters ``read``, by :data:`DOUBT_MARGIN`, a tenfold
    frequency being worth FREQUENCY_WEIGHT (a letter the page never showed
    costs its cell's median misfit)."""
    middling = np.median(fit, axis=1)

    def misfit(letters: str) -> float:
        return float(sum(fit[i, col[ch]] if ch in col else middling[i] for i, ch in enumerate(letters)))

    return misfit(word) - FREQUENCY_WEIGHT * russian_zipf(word) + DOUBT_MARGIN <= misfit(read)


def _worn_marks(core: str) -> bool:
    """Whether the hyphens and full stops inside ``core`` stand for worn
    letters: not in a figure (``Донбасс-1``), a compound with a particle
    (``из-за``) or an abbreviation of one-letter parts (``т.е``)."""
    return (not any(ch.isdigit() for ch in core)
            and not any(part.lower() in HYPHEN_PARTICLES for part in core.split("-"))
            and all(len(part) >= 2 for part in core.split(".")))


def _letters(core: str) -> str:
    """``core`` with each mark a ``?``, which fits no glyph: in
    :func:`_fits_better` a mark costs its cell's median misfit, as a letter the
    page never showed does."""
    return "".join(ch if ch.lower() in LETTERS else "?" for ch in core)


def _known(text: str) -> bool:
    return russian_zipf(split_marks(text)[1]) >= NEAREST_MIN_ZIPF


def _replace_words(text: RowText, tokens: list[Token], ks: list[int], *, layout: Layout, row: int,
                   y: tuple[int, int]) -> RowText:
    """``text`` with the words over cells ``ks`` replaced by ``tokens`` read from them."""
    typed = layout.rows[row]
    x0, x1 = x_of(typed, ks[0], layout.pitch), x_of(typed, ks[-1] + 1, layout.pitch)
    new = [Word(t.text, Box(x_of(typed, ks[t.cells[0]], layout.pitch), y[0],
                            x_of(typed, ks[t.cells[1] - 1] + 1, layout.pitch), y[1]), REREAD_CONF) for t in tokens]
    kept = [w for w in text.words if not x0 <= w.box.center[0] < x1]
    words = tuple(sorted(kept + new, key=lambda w: w.box.x0))
    return RowText(words, spaced_by_pitch(words, pitch=layout.pitch))


CASE_MARGIN = 2.0  # misfits: the other case must fit a letter's cell this much better


def restore_case(cells: PageCells, layout: Layout, rows: list[RowText], glyphs: Glyphs
                 ) -> tuple[list[RowText], int]:
    """Capitals read as small letters and small letters read as capitals
    (``цк`` for ``ЦК``, ``Он`` read ``он``), set by which case of the page's
    glyphs fits the letter's cell better: the first letter of a word, or
    every letter of a word whose letters all fit as capitals."""
    col = {ch: i for i, ch in enumerate(glyphs.chars)}

    def rewrite(word: Word, row_cells: RowCells, continued: bool) -> str | None:
        text = word.text
        if not (text[:1].isalpha() and text[0].lower() in col and text[0].upper() in col):
            return None
        ks = row_cells.cells_of(word.box)
        if len(ks) != len(text):
            return None
        fit = row_cells.misfits(ks, glyphs)

        def fits_better(i: int, case: Callable[[str], str]) -> bool:
            other = case(text[i])
            return other != text[i] and text[i] in col and other in col \
                and fit[i, col[other]] + CASE_MARGIN < fit[i, col[text[i]]]

        if text.isalpha() and len(text) > 1 and all(ch.isupper() or fits_better(i, str.upper)
                                                    for i, ch in enumerate(text)):
            return text.upper()
        if fits_better(0, str.upper):
            return text[0].upper() + text[1:]
        if fits_better(0, str.lower) and not text.isupper():
            return text[0].lower() + text[1:]
        return None

    return _rewrite_words(cells, layout, rows, rewrite)


PUNCTUATION = ".,:;"
MARK_MARGIN = 1.0  # misfits: another mark (or none) must fit a mark's cell this much better


def restore_marks(cells: PageCells, layout: Layout, rows: list[RowText], glyphs: Glyphs
                  ) -> tuple[list[RowText], int]:
    """Full stops, commas, colons and semicolons after a word set by which of
    the page's marks fits the mark's cell best, or dropped where a blank
    cell fits better (a speck read as a mark)."""
    marks = [ch for ch in PUNCTUATION if ch in glyphs.images]
    if len(marks) < 2:
        return rows, 0
    col = [glyphs.chars.index(ch) for ch in marks]

    def rewrite(word: Word, row_cells: RowCells, continued: bool) -> str | None:
        lead, core, trail = split_marks(word.text)
        if not core or not trail or not all(ch in marks for ch in trail):
            return None  # a mark the page does not show plainly is left as read
        ks = row_cells.cells_of(word.box)
        if len(ks) != len(word.text):
            return None
        marked = ks[len(word.text) - len(trail):]
        fit = row_cells.misfits(marked, glyphs)[:, col]
        blank = blank_misfits(np.stack([row_cells.cell(k) for k in marked]), glyphs)
        new = ""
        for ch, options, none in zip(trail, fit, blank):
            best, read = int(np.argmin(options)), options[marks.index(ch)]
            if none + MARK_MARGIN < options[best]:
                continue  # no mark there
            new += marks[best] if options[best] + MARK_MARGIN < read else ch
        return lead + core + new

    return _rewrite_words(cells, layout, rows, rewrite)


def _rewrite_words(cells: PageCells, layout: Layout, rows: list[RowText],
                   rewrite: Callable[[Word, RowCells, bool], str | None], *,
                   joined: bool = False) -> tuple[list[RowText], int]:
    """The rows with each typed word outside the strikes rewritten by
    ``rewrite(word, row_cells, continued)`` where it returns other text, and
    how many were. ``continued`` tells the first word of a row whose previous
    row ends in a hyphen (a word's second half). With ``joined``, the pieces
    Tesseract read without a space between them are one word, and become one
    when rewritten."""
    rows, changed = list(rows), 0
    for index, row in enumerate(rows):
        struck = [s.box for s in layout.strikes if s.row == index]
        continues = index > 0 and rows[index - 1].text.endswith("-")
        gaps = spacing(row)
        words: list[Word] = []
        spaced: list[bool] = []
        pieces_of = unspaced_runs(gaps) if joined else ((i, i + 1) for i in range(len(row.words)))
        for n, (start, stop) in enumerate(pieces_of):
            pieces = row.words[start:stop]
            word = pieces[0] if len(pieces) == 1 else Word(
                "".join(w.text for w in pieces), Box.enclosing(w.box for w in pieces), min(w.conf for w in pieces))
            text = None
            if not any(b.x0 <= w.box.center[0] < b.x1 for b in struck for w in pieces):
                text = rewrite(word, cells.row(index), n == 0 and continues)
            if text is None or text == word.text:
                words.extend(pieces)
                spaced.extend(gaps[start:stop])
            else:
                words.append(Word(text, word.box, word.conf))
                spaced.append(gaps[start])
                changed += 1
        rows[index] = RowText(tuple(words), tuple(spaced))
    return rows, changed
