"""Layout analysis of a deskewed, binarised typescript page.

Tells typed lines from handwriting by the typewriter's one unmistakable
property: fixed pitch. Characters of a typed line sit on a grid of cells
``phase + k * pitch``; handwriting does not. From the rows of glyph-sized
connected components we measure the pitch, keep the rows whose glyph centres
lock onto a grid as typed lines, and treat all other ink as handwriting,
stamps or noise. Handwriting in the gap above a typed line is an insertion
anchored to that line; elsewhere it is a note. Within typed lines, pen
strikes are found as ink in the gaps between character cells, over-typing as
cells with far more ink than their neighbours.

Everything here is in pixels of the deskewed page; the pipeline maps boxes
back to the source image. The records are in :mod:`ocr.layout_model`, the
strike finders in :mod:`ocr.strikes`, the handwriting blocks in
:mod:`ocr.handblocks`; this module finds the typed rows and puts the page
together (:func:`analyze_layout`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

import cv2
import numpy as np

from ocr.handblocks import (classify_hand, faint_components, group_handwriting, in_written_lines, is_flat_ink,
                            relative_darkness, stack_upright, writing_blocks)
from ocr.layout_model import Components, HandBlock, Layout, TypedRow, coherence, components_of, off_grid
from ocr.model import Box
from ocr.strikes import find_strikes


LETTER_MIN_AREA = 0.05  # type heights squared: less ink than this is a speck, not a letter or a word's piece
TYPEWRITER_PITCHES = (10, 12)  # characters per inch: pica and elite
FULL_ROW_GLYPHS = 10  # marks in a row that is a typed line's worth, not a few words
# A page of a few typed lines (a letter's last sheet: a page number, a
# signature, a date) shows no grid to hold a written line to, and the pitch
# is fitted to whatever it shows: a date of five marks locks at 0.8 on one
# within 1% of 10 cpi. Of such a page's rows only full ones locked firmly
# are typing (on the corpus its typed rows locked at 0.93 or more, written
# lines at most 0.90); a short typed line is left to the stricter test of
# :func:`short_typed_row`, each mark a cell on the typewriter's grid.
SPARSE_PAGE_ROWS = 3  # rows of FULL_ROW_GLYPHS marks: fewer, and the page is sparse
FIRM_LOCK = 0.8  # coherence of a row firmly on its grid


def _firm(row: TypedRow) -> bool:
    """Whether ``row`` is a full row (:data:`FULL_ROW_GLYPHS`) firmly on its grid (:data:`FIRM_LOCK`)."""
    return len(row.members) >= FULL_ROW_GLYPHS and row.coherence >= FIRM_LOCK


class StampFrame(NamedTuple):
    """A stamp's border, the component ``label``; ``joined`` when it is joined to typing it touches."""

    box: Box
    joined: bool
    label: int


def estimate_char_height(comps: Components, *, dpi: int) -> float:
    """Median height of glyph-sized components (capitals and ascender letters dominate)."""
    prior = dpi * 0.1  # about 2.5 mm: typewriter capitals at 10-12 cpi
    h, w = comps.heights[1:], comps.widths[1:]
    glyph = (h > 0.5 * prior) & (h < 1.8 * prior) & (w < 2.0 * prior) & (w > 0.15 * prior)
    return float(np.median(h[glyph])) if glyph.sum() >= 10 else prior


def _glyph_mask(comps: Components, char_height: float) -> np.ndarray:
    h, w, a = comps.heights, comps.widths, comps.areas
    mask = (h >= 0.35 * char_height) & (h <= 1.7 * char_height) & (w <= 1.6 * char_height) & (a >= 0.04 * char_height ** 2)
    mask[0] = False
    return mask


def _rows_by_profile(comps: Components, labels: np.ndarray, char_height: float) -> list[np.ndarray]:
    """Group components into rows by peaks of a y-centre histogram."""
    if labels.size == 0:
        return []
    height = int(comps.boxes[:, 3].max()) + 1
    yc = (comps.boxes[labels, 1] + comps.boxes[labels, 3]) / 2
    hist = np.bincount(np.clip(yc.astype(int), 0, height - 1), minlength=height).astype(float)
    sigma = max(char_height * 0.3, 1.0)
    k = int(3 * sigma) * 2 + 1
    smooth = cv2.GaussianBlur(hist.reshape(-1, 1), (1, k), sigma).ravel()
    peaks = []
    radius = int(char_height * 0.75)
    for y in np.argsort(-smooth):
        if smooth[y] < 0.2:  # about two glyphs: short header lines count
            break
        if all(abs(y - p) > radius for p in peaks):
            peaks.append(int(y))
    peaks.sort()
    rows = []
    assigned = np.full(labels.size, -1)
    for i, p in enumerate(peaks):
        near = np.abs(yc - p) <= char_height * 0.6
        take = near & ((assigned < 0) | (np.abs(yc - p) < np.abs(yc - np.take(peaks, np.maximum(assigned, 0)))))
        assigned[take] = i
    for i in range(len(peaks)):
        members = labels[assigned == i]
        if members.size:
            rows.append(members)
    return rows
def estimate_pitch(comps: Components, rows: list[np.ndarray], *, dpi: int) -> float:
    """The typewriter pitch: the grid spacing on which row glyph centres lock best.

    Searched between 13 and 9 characters per inch (elite to pica and a little
    beyond), so that half the pitch, which fits any grid too, is out of range.
    """
    candidates = np.linspace(dpi / 13.0, dpi / 9.0, 120)
    best, best_score = float(dpi / 10), -1.0
    for pitch in candidates:
        score = 0.0
        for members in rows:
            if members.size < 4:
                continue
            xc = (comps.boxes[members, 0] + comps.boxes[members, 2]) / 2
            r, _ = coherence(xc, pitch)
            score += members.size * r * r
        if score > best_score:
            best, best_score = float(pitch), score
    return best


def find_typed_rows(comps: Components, *, char_height: float, pitch: float,
                    min_coherence: float = 0.55) -> tuple[list[TypedRow], list[np.ndarray]]:
    """Split component rows into typed rows (grid-locked) and the rest."""
    glyphs = np.flatnonzero(_glyph_mask(comps, char_height))
    typed, other = [], []
    for members in _rows_by_profile(comps, glyphs, char_height):
        xc = (comps.boxes[members, 0] + comps.boxes[members, 2]) / 2
        r, phase = coherence(xc, pitch)
        heights = comps.heights[members]
        if members.size >= 3 and r >= min_coherence:
            box = comps.enclosing(members)
            baseline = int(np.median(comps.boxes[members, 3]))
            typed.append(TypedRow(box=box, members=tuple(int(m) for m in members), baseline=baseline,
                                  char_height=float(np.median(heights)), phase=phase, coherence=r))
        else:
            other.append(members)
    typed = _merge_overlapping(comps, typed, pitch)
    kept = _drop_off_grid(_drop_off_size(comps, _drop_crowded(_drop_loose(typed), pitch), glyphs), pitch)
    other += [np.asarray(r.members) for r in typed if r not in kept]
    return kept, other


def _drop_loose(rows: list[TypedRow]) -> list[TypedRow]:
    """On a sparse page (fewer than :data:`SPARSE_PAGE_ROWS` full rows), the
    rows that are not full rows firmly on their grid (:func:`_firm`)."""
    if sum(len(r.members) >= FULL_ROW_GLYPHS for r in rows) >= SPARSE_PAGE_ROWS:
        return rows
    return [r for r in rows if _firm(r)]


def _drop_off_size(comps: Components, rows: list[TypedRow], glyphs: np.ndarray, *,
                   min_conformity: float = 0.25) -> list[TypedRow]:
    """Type comes in two or three exact heights (x-height, capitals, ascenders);
    handwriting does not. Drop rows whose glyphs mostly match none of the
    page's commonest glyph heights: a written line that fell on a grid by chance."""
    if len(rows) < 4:
        return rows
    is_glyph = np.zeros(len(comps.areas), dtype=bool)
    is_glyph[glyphs] = True
    members = [np.asarray([m for m in r.members if is_glyph[m]], dtype=int) for r in rows]
    all_heights = np.concatenate([comps.heights[m] for m in members])
    modes = _height_modes(all_heights)
    kept = []
    for row, m in zip(rows, members):
        heights = comps.heights[m]
        nearest = modes[np.abs(heights[:, None] - modes[None, :]).argmin(axis=1)]
        conformity = np.mean(np.abs(heights - nearest) <= np.maximum(1, 0.1 * nearest)) if m.size else 0.0
        if conformity >= min_conformity:
            kept.append(row)
    return kept


def _height_modes(heights: np.ndarray, *, count: int = 3, apart: float = 0.1) -> np.ndarray:
    """The ``count`` commonest heights at least ``apart`` (relative) from each
    other: small letters, capitals and letters with ascenders or descenders,
    not one height and its off-by-one neighbours."""
    votes = np.bincount(heights)
    modes: list[int] = []
    for h in np.argsort(-votes, kind="stable"):
        if votes[h] == 0 or len(modes) == count:
            break
        if all(abs(int(h) - m) > apart * m for m in modes):
            modes.append(int(h))
    return np.asarray(modes)


def _drop_crowded(rows: list[TypedRow], pitch: float) -> list[TypedRow]:
    """Typed lines keep the platen's line spacing. A "row" much closer to its
    neighbour than that is handwriting that happens to look regular (an
    insertion in the gap): of such a pair, keep the stronger row. Two full
    rows both locked on the page's grid are both typing (single-spaced
    paragraphs on a page whose paragraphs stand a blank line apart)."""
    if len(rows) < 4:
        return rows
    gaps = np.diff([r.baseline for r in rows])
    spacing = float(np.median(gaps))
    full = [r for r in rows if len(r.members) >= FULL_ROW_GLYPHS]
    grid = coherence(np.asarray([r.phase for r in full]), pitch)[1] if full else 0.0

    def strength(r: TypedRow) -> float:
        return len(r.members) * r.coherence * r.char_height

    def typed(r: TypedRow) -> bool:  # a full row, firmly on the page's grid
        return _firm(r) and off_grid(r.phase, grid, pitch) <= 0.15 * pitch

    dropped: set[int] = set()
    for i, gap in enumerate(gaps):
        if gap < 0.65 * spacing and i not in dropped and i + 1 not in dropped:
            if typed(rows[i]) and typed(rows[i + 1]):
                continue
            dropped.add(i if strength(rows[i]) < strength(rows[i + 1]) else i + 1)
    return [r for i, r in enumerate(rows) if i not in dropped]


OFF_GRID_ROW = 0.25  # of the pitch: a row's phase this far from the page's grid is no typing


def _drop_off_grid(rows: list[TypedRow], pitch: float) -> list[TypedRow]:
    """The carriage returns to one margin and moves in whole steps, so every
    typed line of a page sits on one grid. A written line that locked onto
    a grid of its own by chance sits off the page's: on the corpus 1072 of
    1073 typed rows lay within 0.2 pitch of it, ten false rows further."""
    full = [r for r in rows if len(r.members) >= FULL_ROW_GLYPHS]
    if len(full) < 3:
        return rows
    grid = coherence(np.asarray([r.phase for r in full]), pitch)[1]
    return [r for r in rows if off_grid(r.phase, grid, pitch) <= OFF_GRID_ROW * pitch]


def _merge_overlapping(comps: Components, rows: list[TypedRow], pitch: float) -> list[TypedRow]:
    """One typed line found as two rows (capitals and descenders peak apart): merge them."""
    rows = sorted(rows, key=lambda r: r.baseline)
    merged: list[TypedRow] = []
    for row in rows:
        if merged and abs(row.baseline - merged[-1].baseline) < 0.6 * row.char_height:
            prev = merged.pop()
            members = tuple(sorted(set(prev.members) | set(row.members)))
            xc = (comps.boxes[list(members), 0] + comps.boxes[list(members), 2]) / 2
            r, phase = coherence(xc, pitch)
            row = TypedRow(box=comps.enclosing(members), members=members,
                           baseline=int(np.median(comps.boxes[list(members), 3])),
                           char_height=max(prev.char_height, row.char_height), phase=phase, coherence=r)
        merged.append(row)
    return merged


def text_span(rows: list[TypedRow]) -> tuple[float, float]:
    """Left and right edge of the text column: a struck phrase at a line's
    end reaches past its row's glyphs, and a line struck whole shows none."""
    left = min(float(np.percentile([r.box.x0 for r in rows], 10)), min(r.box.x0 for r in rows))
    right = max(float(np.percentile([r.box.x1 for r in rows], 90)), max(r.box.x1 for r in rows))
    return left, right


# Above the capitals a row takes only marks as small as a breve or an accent:
# handwritten letters written just above the line are no part of it.
ABOVE_CAPS = 1.0
ACCENT_MAX = 0.65
# ... and raised marks as tall as heavy type makes quotes and apostrophes
# (0.73 type heights), if they reach no higher than a capital's top: a speck
# between the lines reaches higher. Taking them in gave typed errors
# 37/119/281 -> 37/116/269 (bundled light/medium/heavy) and 185/317/1184 ->
# 176/308/1174 (88 pages): Tesseract reads the quotes and the letters beside them.
RAISED_MAX = 0.8
RAISED_TOP = 1.6


# A letter written just under a typed line hangs from its baseline further
# down than any descender goes: it is writing, though its middle lies in
# the line's band.
HANG_TOP = 0.3     # type heights above the baseline its top is at most
HANG_FOOT = 0.6    # and below it its foot at least (descenders reach 0.35)
HANG_WIDTH = 1.5   # cells: no wider than a letter (a wavy stroke along the baseline is longer)
HANG_ASPECT = 2.5  # and no more times taller than wide (a scanner's streak down the page is)


def attach_to_rows(comps: Components, rows: list[TypedRow], *, pitch: float,
                   exclude: np.ndarray) -> list[TypedRow]:
    """Give each typed row every component centred in its band: punctuation,
    broken or merged glyphs and pen strokes through the words; not a letter
    written hanging from its baseline (:data:`HANG_FOOT`)."""
    if not rows:
        return rows
    yc = (comps.boxes[:, 1] + comps.boxes[:, 3]) / 2
    h = comps.heights
    left, right = text_span(rows)
    out = []
    for row in rows:
        top = row.baseline - 1.45 * row.char_height  # breves and accents above capitals
        cap = row.baseline - ABOVE_CAPS * row.char_height
        bottom = row.baseline + 0.45 * row.char_height
        accent = (comps.widths <= pitch) & ((h <= ACCENT_MAX * row.char_height)
                                            | ((h <= RAISED_MAX * row.char_height)
                                               & (comps.boxes[:, 1] >= row.baseline - RAISED_TOP * row.char_height)))
        hanging = ((comps.boxes[:, 1] >= row.baseline - HANG_TOP * row.char_height)
                   & (comps.boxes[:, 3] >= row.baseline + HANG_FOOT * row.char_height)
                   & (comps.widths <= HANG_WIDTH * pitch) & (h <= HANG_ASPECT * comps.widths))
        band = ((yc >= top) & (yc <= bottom) & (h <= 2.2 * row.char_height) & ((yc >= cap) | accent) & ~hanging
                & (comps.boxes[:, 0] >= left - 1.5 * pitch) & (comps.boxes[:, 2] <= right + 1.5 * pitch)
                & ~exclude)
        band[0] = False
        x0, x1 = row.box.x0, row.box.x1
        while True:  # near the row's glyphs, or a stroke long enough to be a struck phrase; letters
            # run together in heavy type are no glyphs, so the row grows along them to its ends
            inside = band & (((comps.boxes[:, 2] >= x0 - 1.5 * pitch) & (comps.boxes[:, 0] <= x1 + 1.5 * pitch))
                             | (comps.widths >= 2.5 * pitch))
            grown = (min(x0, int(comps.boxes[inside, 0].min(initial=x0))),
                     max(x1, int(comps.boxes[inside, 2].max(initial=x1))))
            if grown == (x0, x1):
                break
            x0, x1 = grown
        members = sorted(set(row.members) | set(np.flatnonzero(inside).tolist()))
        out.append(TypedRow(box=comps.enclosing(members), members=tuple(members), baseline=row.baseline,
                            char_height=row.char_height, phase=row.phase, coherence=row.coherence))
    return out


STRUCK_LINE_FILL = 0.7  # of a component's width, the pen line through a struck run of letters


def find_struck_lines(comps: Components, rows: list[TypedRow], *, pitch: float,
                      exclude: np.ndarray) -> list[TypedRow]:
    """Typed lines struck through whole, where the page's line spacing
    leaves room for one between two rows (twice the usual gap).

    The pen line joins all of a line's letters into a few wide components,
    so the line shows no glyphs to be found by; and the writing above it
    often touches it too. A component of such a line ends at the expected
    baseline (a little under it: descenders, a stroke running low), is
    several cells wide, and has one image row inked across most of its
    width in the typed band (the stroke). Those components make the line.
    """
    if len(rows) < 3:
        return []
    spacing = float(np.median(np.diff([r.baseline for r in rows])))
    b, h, w = comps.boxes, comps.heights, comps.widths
    found = []
    for upper, lower in zip(rows, rows[1:]):
        gap = lower.baseline - upper.baseline
        if not 1.7 * spacing <= gap <= 2.3 * spacing:
            continue
        baseline, ch = upper.baseline + gap / 2, (upper.char_height + lower.char_height) / 2
        near = np.flatnonzero(~exclude & (w >= 3 * pitch) & (h >= 0.6 * ch)
                              & (b[:, 3] >= baseline - 0.2 * ch) & (b[:, 3] <= baseline + 0.6 * ch))
        members = [int(c) for c in near if c > 0 and _struck_through(comps, int(c), top=baseline - ch, foot=baseline)]
        if members:
            box = comps.enclosing(members)
            found.append(TypedRow(box=box, members=tuple(members), baseline=int(round(baseline)), char_height=ch,
                                  phase=upper.phase, coherence=upper.coherence))
    return found


def _struck_through(comps: Components, label: int, *, top: float, foot: float) -> bool:
    """Whether one image row of the component between ``top`` and ``foot``
    is inked across :data:`STRUCK_LINE_FILL` of its width: a pen line."""
    x0, y0, x1, y1 = (int(v) for v in comps.boxes[label])
    a, z = max(int(top), y0), min(int(foot) + 1, y1)
    if z <= a:
        return False
    band = comps.labels[a:z, x0:x1] == label
    return float(band.mean(axis=1).max()) >= STRUCK_LINE_FILL


# Handwriting that touches a typed line merges with the letters it touches
# into one component, which then belongs to neither. Typed ink stands between
# the capitals' top and the descenders' foot; what reaches further out by a
# written stroke's worth is handwriting.
TYPED_TOP = 1.05  # type heights above the baseline: the capitals' top
TYPED_FOOT = 0.35  # below the baseline: descenders
TYPED_FOOT_UNDER_WRITING = 0.1  # below the baseline, where writing touches the line from below
TOUCH_MIN_REACH = 0.3  # type heights beyond the typed band that make a merged component
TOUCH_MIN_INK = 0.15  # of a type height squared: the least ink on either side of the cut


def split_touching(comps: Components, rows: list[TypedRow], *, pitch: float,
                   exclude: np.ndarray) -> Components:
    """Cut components where handwriting touches typed letters, so the letters
    go back to their row and the writing to its block (:func:`typed_part`).
    Each side of a cut is split into its connected pieces, each a component
    of its own; ``exclude`` marks components to leave whole (stamps, rows)."""
    if not rows:
        return comps
    tall = comps.heights >= (TYPED_TOP + TOUCH_MIN_REACH) * min(r.char_height for r in rows)
    candidates = np.flatnonzero(tall & ~exclude)
    left, right = text_span(rows)
    span = (left - pitch, right + pitch)
    labels, boxes, areas = comps.labels, comps.boxes, comps.areas
    added_boxes: list[tuple[int, int, int, int]] = []
    added_areas: list[int] = []
    for c in candidates[candidates > 0]:
        x0, y0, x1, y1 = (int(v) for v in comps.boxes[c])
        own = comps.labels[y0:y1, x0:x1] == c
        typed = typed_part(own, x0=x0, y0=y0, rows=rows, span=span)
        if typed is None:
            continue
        if labels is comps.labels:  # copied once, when the first cut is made
            labels, boxes, areas = comps.labels.copy(), comps.boxes.copy(), comps.areas.copy()
        region = labels[y0:y1, x0:x1]
        pieces = []
        for part in (typed, own & ~typed):
            count, piece_labels, stats, _ = cv2.connectedComponentsWithStats(part.astype(np.uint8), connectivity=8)
            pieces += [(piece_labels == p, stats[p]) for p in range(1, count)]
        for i, (mask, (sx, sy, sw, sh, area)) in enumerate(pieces):
            box = (x0 + sx, y0 + sy, x0 + sx + sw, y0 + sy + sh)
            if i == 0:  # the first piece keeps the component's label
                boxes[c], areas[c] = box, area
            else:
                region[mask] = len(areas) + len(added_areas)
                added_boxes.append(box)
                added_areas.append(int(area))
    if labels is comps.labels:
        return comps
    return Components(labels=labels,
                      boxes=np.concatenate([boxes, np.asarray(added_boxes, np.int32).reshape(-1, 4)]),
                      areas=np.concatenate([areas, np.asarray(added_areas, np.int64)]))


def typed_part(own: np.ndarray, *, x0: int, y0: int, rows: list[TypedRow],
               span: tuple[float, float]) -> np.ndarray | None:
    """Of a component's mask (its box at ``x0, y0``), the pixels that are
    typed letters of a row it touches, or None when it is no merge of
    typing and writing.

    Its pixels in a row's typed band (capitals' top to descenders' foot),
    within the text column's ``span`` (x from, to), are typed when the
    component reaches out of the band by :data:`TOUCH_MIN_REACH` with some
    ink. Writing that touches a line from below takes the band's descender
    strip with it: the descenders of a few letters are lost rather than the
    tops of the writing.
    """
    h, w = own.shape
    ys, xs = np.arange(y0, y0 + h)[:, None], np.arange(x0, x0 + w)[None, :]
    over = (xs >= span[0]) & (xs < span[1])
    if not over.any():
        return None
    typed = np.zeros_like(own)
    for row in rows:
        ch = row.char_height
        top, foot = row.baseline - TYPED_TOP * ch, row.baseline + TYPED_FOOT * ch
        if y0 + h <= top or y0 >= foot:
            continue
        above, below = int((own & (ys < top)).sum()), int((own & (ys >= foot)).sum())
        if max(above, below) < TOUCH_MIN_INK * ch ** 2:
            continue
        if below > above:
            foot = row.baseline + TYPED_FOOT_UNDER_WRITING * ch
        if max(top - y0, y0 + h - foot) < TOUCH_MIN_REACH * ch:
            continue
        typed |= own & (ys >= top) & (ys < foot) & over
    least = TOUCH_MIN_INK * min(r.char_height for r in rows) ** 2
    if typed.sum() < least or (own & ~typed).sum() < least:
        return None
    return typed


STAMP_MIN_ENCLOSED = 0.5  # of its box, a stamp's frame encloses at least this (after closing small breaks)
STAMP_ROUND_MIN = 8.0  # type heights: a frame this large both ways counts even when worn open (round stamps)


STAMP_MIN_LETTERS = 5  # a stamp has lettering; a punch hole or a stain ring has not


def find_stamps(comps: Components, *, char_height: float, letters: np.ndarray | None = None,
                max_fill: float = 0.3) -> list[StampFrame]:
    """Stamp borders: large, hollow components that enclose their box
    (rectangular frames or rings). Pen strokes joined across lines and
    signature flourishes are as large and as hollow, but open. With
    ``letters`` (a mask over the components), a frame must hold
    :data:`STAMP_MIN_LETTERS` of them. A small frame over typing, joined to
    its lettering and to the letters it touches, is no longer hollow and
    holds its letters in its own ink, but its lines still run along three
    sides of its box at least: ``joined``."""
    w, h = comps.widths.astype(float), comps.heights.astype(float)
    fill = comps.areas / np.maximum(w * h, 1.0)
    sized = (w >= 4 * char_height) & (w <= 30 * char_height) & (h >= 2.5 * char_height) & (h <= 15 * char_height)
    sized[0] = False
    b = comps.boxes
    found = []
    for label in np.flatnonzero(sized):
        joined = fill[label] > max_fill
        if joined and _framed_sides(comps, int(label), depth=int(0.25 * char_height)) < 3:
            continue
        box = comps.box(int(label))
        large = min(box.width, box.height) >= STAMP_ROUND_MIN * char_height
        if not large and enclosed_share(comps, int(label), close=int(0.5 * char_height)) < STAMP_MIN_ENCLOSED:
            continue
        if letters is not None and not joined:
            inside = (b[:, 0] >= box.x0) & (b[:, 2] <= box.x1) & (b[:, 1] >= box.y0) & (b[:, 3] <= box.y1)
            if (inside & letters).sum() < STAMP_MIN_LETTERS:
                continue
        found.append(StampFrame(box, bool(joined), int(label)))
    return found


def _framed_sides(comps: Components, label: int, *, depth: int, min_cover: float = 0.9) -> int:
    """On how many sides of its box a component runs along the edge
    (inked within ``depth`` pixels of it for ``min_cover`` of its length)."""
    x0, y0, x1, y1 = (int(v) for v in comps.boxes[label])
    ink = comps.labels[y0:y1, x0:x1] == label
    depth = max(depth, 1)
    edges = (ink[:depth].any(axis=0), ink[-depth:].any(axis=0), ink[:, :depth].any(axis=1), ink[:, -depth:].any(axis=1))
    return sum(float(edge.mean()) >= min_cover for edge in edges)


def enclosed_share(comps: Components, label: int, *, close: int) -> float:
    """How much of a component's box its ink encloses (the ink and the holes
    in it), once breaks up to ``close`` pixels are closed."""
    x0, y0, x1, y1 = (int(v) for v in comps.boxes[label])
    ink = np.pad((comps.labels[y0:y1, x0:x1] == label).astype(np.uint8), close + 1)  # room to close in
    if close > 1:
        ink = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((close | 1, close | 1), np.uint8))
    _, outside = cv2.connectedComponents((ink == 0).astype(np.uint8), connectivity=4)
    return float((outside != outside[0, 0]).sum()) / ((x1 - x0) * (y1 - y0))


def short_typed_row(comps: Components, members: np.ndarray, *, pitch: float, phase: float | None,
                    char_height: float, max_offset: float = 0.2) -> TypedRow | None:
    """A typed line too short to show a grid of its own (a page number
    ``- 2 -``), as a typed row, or None. ``phase`` and ``char_height`` are
    those of the page's long typed lines. With no ``phase`` (a page without
    one, whose ``pitch`` is a typewriter's, :data:`TYPEWRITER_PITCHES`) the
    marks are held to the grid they lock on best, each one cell wide.

    The carriage moves in whole steps, so every character of a page sits on
    the one grid its long lines share: a few marks one line high, each
    filling whole cells (one, or two letters run together in bold type),
    all centred on that grid and as tall as the type, are typed.
    Handwriting matches all of that by chance only rarely (three marks each
    within a fifth of a cell of the grid: about one in sixteen).
    Row heights are medians over small letters and capitals, so a line of
    capitals stands up to half as tall again, and a capital with a
    descender (Ц, Щ, Д) nearly twice as tall. Heavy ink spreads a letter
    past its cell by up to a tenth of it (a medium page's ``р``: 1.08).
    """
    if members.size < 3:
        return None
    b = comps.boxes[members]
    xc = (b[:, 0] + b[:, 2]) / 2
    cells = np.maximum(np.round(comps.widths[members] / pitch), 1)  # letters run together in bold type
    starts = xc - (cells - 1) * pitch / 2  # a run of n letters centres on the n-th cell
    if phase is None:
        if np.any(cells > 1):
            return None
        phase = coherence(starts, pitch)[1]
    offset = off_grid(starts, phase, pitch)
    box = comps.enclosing(members)
    heights = comps.heights[members]
    tall = heights >= 0.5 * char_height
    if (box.height > 2.0 * char_height or np.any(comps.widths[members] > (cells + 0.1) * pitch)
            or offset.max() > max_offset * pitch or not tall.any()
            or not np.all((heights[tall] >= 0.7 * char_height) & (heights[tall] <= 1.9 * char_height))):
        return None
    locked, row_phase = coherence(xc, pitch)
    return TypedRow(box=box, members=tuple(int(m) for m in members), baseline=int(np.median(b[tall, 3])),
                    char_height=char_height, phase=row_phase, coherence=locked)


def drop_faint_rows(comps: Components, rows: list[TypedRow], gray: np.ndarray, *,
                    min_relative_darkness: float = 0.55) -> list[TypedRow]:
    """Drop rows far lighter than the page's typing: bleed-through of the reverse side."""
    if len(rows) < 3:
        return rows
    darkness = []
    for row in rows:
        b = row.box
        own = np.isin(comps.labels[b.y0:b.y1, b.x0:b.x1], np.asarray(row.members))
        darkness.append(255.0 - float(np.median(gray[b.y0:b.y1, b.x0:b.x1][own])))
    typical = float(np.median(darkness))
    return [r for r, d in zip(rows, darkness) if d >= min_relative_darkness * typical]


def _upright_writing(comps: Components, rows: list[TypedRow], char_height: float, pitch: float
                     ) -> list[np.ndarray]:
    """Writing up or down the margin beside the rows, each as the labels of
    its pieces (:func:`ocr.handblocks.stack_upright`), which the rows would
    take letter by letter: the ink out in the margin (left of where most
    lines start, right of where the long ones end), loose or taken by a row
    already. Inside the column, the broken glyphs at the ends of lines one
    under another stack so too: they are no candidates."""
    if not rows:
        return []
    left = float(np.median([r.box.x0 for r in rows])) - 0.5 * pitch
    right = float(np.percentile([r.box.x1 for r in rows], 90)) + 0.5 * pitch
    b = comps.boxes
    margin = (b[:, 2] <= left) | (b[:, 0] >= right)
    candidates = np.flatnonzero((comps.areas >= LETTER_MIN_AREA * char_height ** 2) & margin)
    stacked = stack_upright(comps, [np.array([c]) for c in candidates if c > 0], char_height=char_height)
    return [g for g in stacked if g.size > 1]


def _without(comps: Components, row: TypedRow, drop: np.ndarray) -> TypedRow:
    """``row`` without the members ``drop`` marks (none when that leaves it empty)."""
    members = tuple(m for m in row.members if not drop[m])
    if len(members) == len(row.members) or not members:
        return row
    return replace(row, members=members, box=comps.enclosing(members))


LINE_GRID_SLACK = 0.25  # of the line spacing


def on_line_grid(baseline: int, rows: list[TypedRow]) -> bool:
    """Whether a line between typed rows stands a whole number of the page's
    line spacings (the median step between the rows' baselines, within
    :data:`LINE_GRID_SLACK`) below the row above it or above the row below,
    as the platen turns in whole steps; writing in the gap between two
    lines stands about half a step off. A line above or below all the rows
    (a page number) is not held to it."""
    above = [r.baseline for r in rows if r.baseline < baseline]
    below = [r.baseline for r in rows if r.baseline > baseline]
    if not above or not below:
        return True
    spacing = float(np.median(np.diff(sorted(r.baseline for r in rows))))
    steps = np.array([baseline - max(above), min(below) - baseline]) / spacing
    return bool(np.any((np.round(steps) >= 1) & (np.abs(steps - np.round(steps)) <= LINE_GRID_SLACK)))


def _merge_overlapping_insertions(comps: Components, hand: list[HandBlock]) -> list[HandBlock]:
    """Insertions over one row whose boxes overlap, as one: the faint start
    of a pencil word that the binarization parted from the rest of it."""
    hand = list(hand)
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(hand):
            for j in range(i + 1, len(hand)):
                b = hand[j]
                if a.kind == b.kind == "insertion" and a.row == b.row and a.box.intersection(b.box) > 0:
                    members = tuple(sorted(set(a.members) | set(b.members)))
                    hand[i] = replace(a, members=members, box=comps.enclosing(members))
                    del hand[j]
                    merged = True
                    break
            if merged:
                break
    return hand


def analyze_layout(binary: np.ndarray, *, dpi: int, gray: np.ndarray | None = None,
                   stamps: Sequence[Box] = ()) -> Layout:
    """Find typed rows, strikes in them, handwriting blocks and stamps.

    With ``gray`` (ink dark on white), rows much fainter than the rest are
    dropped as bleed-through. ``stamps`` are stamps whose own ink is already
    gone from ``binary`` (:mod:`ocr.stampink`): what ink is left in them is
    typing and writing.
    """
    comps = components_of(binary)
    char_height = estimate_char_height(comps, dpi=dpi)
    glyphs = np.flatnonzero(_glyph_mask(comps, char_height))
    pitch = estimate_pitch(comps, _rows_by_profile(comps, glyphs, char_height), dpi=dpi)
    rows, _ = find_typed_rows(comps, char_height=char_height, pitch=pitch)
    faint = 0
    if gray is not None:
        kept = drop_faint_rows(comps, rows, gray)
        faint, rows = len(rows) - len(kept), kept
    in_rows = np.zeros(len(comps.areas), dtype=bool)
    for r in rows:
        in_rows[list(r.members)] = True
    letters = (comps.areas >= LETTER_MIN_AREA * char_height ** 2) & ~in_rows
    letters[0] = False
    known = list(stamps)
    stamps, in_stamp = list(known), np.zeros(len(comps.areas), dtype=bool)
    b = comps.boxes
    for s, joined, _ in find_stamps(comps, char_height=char_height, letters=letters):
        if any(k.intersection(s) > 0.5 * s.area for k in known):
            continue  # what is left of a stamp whose ink was taken off
        stamps.append(s)
        if not joined:  # a frame joined to typing stays with it, to be read with its line
            in_stamp |= (b[:, 0] >= s.x0) & (b[:, 2] <= s.x1) & (b[:, 1] >= s.y0) & (b[:, 3] <= s.y1)
    struck = find_struck_lines(comps, rows, pitch=pitch, exclude=in_stamp | in_rows)
    rows = sorted(rows + struck, key=lambda r: r.baseline)
    comps = split_touching(comps, rows, pitch=pitch, exclude=in_stamp | in_rows)  # struck lines' ink is cut too
    in_stamp = np.pad(in_stamp, (0, len(comps.areas) - len(in_stamp)))  # the cut-off pieces are no stamp
    uprights = _upright_writing(comps, rows, char_height, pitch)
    upright = np.zeros(len(comps.areas), dtype=bool)
    for g in uprights:
        upright[g] = True
    rows = attach_to_rows(comps, [_without(comps, r, upright) for r in rows], pitch=pitch, exclude=in_stamp | upright)

    in_row = np.zeros(len(comps.areas), dtype=bool)
    for r in rows:
        in_row[list(r.members)] = True
    darkness = relative_darkness(comps, gray, rows)
    loose = ~in_row & ~in_stamp
    speck = comps.areas < max(LETTER_MIN_AREA * char_height ** 2, 4)
    weak = loose & (speck | faint_components(darkness, len(comps.areas)))
    strong = np.flatnonzero(loose & ~weak & ~upright)
    grouped = group_handwriting(comps, strong[strong > 0], char_height=char_height)
    grouped += [g[~weak[g]] for g in uprights if (~weak[g]).any()]
    groups = [piece for g in grouped
              for piece in writing_blocks(comps, g, weak, darkness, char_height=char_height)]
    flat = 0
    if gray is not None:
        kept = [g for g in groups if not is_flat_ink(comps, g, gray)]
        flat, groups = len(groups) - len(kept), kept
    if rows:  # the page's grid and type size, from its long lines (of one or two, the firmest)
        long = rows if len(rows) >= 3 else [max(rows, key=lambda r: r.coherence)]
        grid = {"pitch": pitch, "phase": float(np.median([r.phase for r in long])),
                "char_height": float(np.median([r.char_height for r in long]))}
        found = [short_typed_row(comps, g, **grid) for g in groups]
        found = [row if row is not None and on_line_grid(row.baseline, rows) else None for row in found]
    else:  # a last sheet (a page number, a signature): its few marks show the typewriter's pitch
        found = [next((row for p in TYPEWRITER_PITCHES
                       if (row := short_typed_row(comps, g, pitch=dpi / p, phase=None, char_height=char_height))),
                      None) for g in groups]
    groups = [g for g, row in zip(groups, found) if row is None]
    short = [row for row in found if row is not None]
    rows = sorted(rows + short, key=lambda r: r.baseline)
    strikes = find_strikes(comps, rows, pitch=pitch, stamps=stamps[len(known):])  # ink taken off crosses no gap
    column = None
    if rows:
        column = Box(int(np.percentile([r.box.x0 for r in rows], 10)), rows[0].box.y0,
                     int(np.percentile([r.box.x1 for r in rows], 90)), rows[-1].box.y1)
    hand = _merge_overlapping_insertions(
        comps, [line for g in groups
                for line in in_written_lines(comps, classify_hand(comps, g, rows, column=column,
                                                                  char_height=char_height),
                                             char_height=char_height)])
    hand.sort(key=lambda h: (h.box.y0, h.box.x0))
    measures = {"char_height_px": round(char_height, 1), "pitch_px": round(pitch, 2),
                "cpi": round(dpi / pitch, 2), "typed_rows": len(rows), "short_typed_rows": len(short),
                "struck_lines": len(struck),
                "strikes": len(strikes),
                "hand_blocks": len(hand), "stamps": len(stamps), "faint_rows_dropped": faint,
                "flat_blocks_dropped": flat}
    return Layout(components=comps, pitch=pitch, char_height=char_height, rows=tuple(rows),
                  strikes=tuple(strikes), hand=tuple(hand), stamps=tuple(stamps), column=column,
                  measures=measures, cleaned_stamps=len(known))
