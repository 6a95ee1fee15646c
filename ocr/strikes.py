"""Pen strikes and over-typing in typed rows.

A pen stroke inks the white gaps between character cells; over-typing makes
cells denser than the page's usual cell (candidates that recognition
confirms). See :func:`find_strikes`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ocr.layout_model import Components, Strike, TypedRow, runs
from ocr.model import Box


def row_mask(comps: Components, row: TypedRow) -> np.ndarray:
    """Boolean mask, in the row box's coordinates, of the row's own ink."""
    b = row.box
    crop = comps.labels[b.y0:b.y1, b.x0:b.x1]
    return np.isin(crop, np.asarray(row.members))


def _cells(mask: np.ndarray, row: TypedRow, pitch: float) -> tuple[int, np.ndarray]:
    """Index of the row's first character cell and the ink count of each cell."""
    b = row.box
    first = int(np.floor((b.x0 - row.phase) / pitch))
    last = int(np.ceil((b.x1 - row.phase) / pitch))
    cells = []
    for k in range(first, last + 1):
        x0, x1 = _cell_columns(row, k, pitch, mask.shape[1])
        cells.append(int(mask[:, x0:x1].sum()) if x1 > x0 else 0)
    return first, np.asarray(cells, dtype=float)


def _cell_columns(row: TypedRow, k: int, pitch: float, width: int) -> tuple[int, int]:
    """[x0, x1) of character cell ``k`` in the row box's columns, cut to its ``width``."""
    x0 = max(int(round(row.phase + (k - 0.5) * pitch)) - row.box.x0, 0)
    x1 = min(int(round(row.phase + (k + 0.5) * pitch)) - row.box.x0, width)
    return x0, x1


# Where a pen stroke crosses the gaps between cells: (top, bottom) heights
# above the baseline in character heights, and how many gaps in a row it must
# ink. Strokes mostly cross the small letters; four gaps are a three-letter
# word with the pen running past its ends (on the corpus, runs of two and
# three gaps were 22 heavy letters run together against 3 short strikes).
# Those above or along the baseline (wavy ones) must run longer, as serifs
# of heavy type touch there.
PEN_BANDS = (((0.62, 0.12), 4), ((0.95, -0.05), 5))
STROKE_MAX_RUN = 0.45  # type heights: where a pen line crosses a gap its ink runs no taller (0.3 lost true strokes)


def _stroke_across(gap: np.ndarray, *, max_run: float) -> bool:
    """Whether ink crosses every column of a gap between cells as a thin
    line would: letters of heavy type touching across the gap fill it with
    their stems and serifs, in runs taller than a pen line."""
    if not gap.any(axis=0).all():
        return False
    # per column, the longest vertical ink run: cumulative count reset at white
    run = np.zeros(gap.shape[1])
    longest = np.zeros(gap.shape[1])
    for row in gap:
        run = np.where(row, run + 1, 0)
        np.maximum(longest, run, out=longest)
    return float(np.median(longest)) <= max_run


def _without_feet(mask: np.ndarray, base: int) -> np.ndarray:
    """The row mask without the ink standing on the baseline: per column, the
    run of ink up from the bottom row of the letters. A pen stroke through
    the small letters crosses a gap clear of the baseline; the foot serifs
    of heavy type, touching across a gap, rise from it."""
    if not 0 < base <= mask.shape[0]:
        return mask
    rising = np.logical_and.accumulate(mask[base - 1::-1], axis=0)[::-1]
    out = mask.copy()
    out[:base] &= ~rising
    return out


OVERTYPE_EDGE = 0.5  # of the usual cell's ink: thinner cells at the ends of a dense run are no part of it


def find_strikes(comps: Components, rows: list[TypedRow], *, pitch: float, stamps: Sequence[Box] = (),
                 overtype_ratio: float = 1.18, overtype_min_cells: int = 3) -> list[Strike]:
    """Pen strikes and candidate over-typed spans in typed rows.

    A pen stroke inks the white gaps between character cells, several in a
    row: four through the small letters, five where it runs higher or along
    the baseline (:data:`PEN_BANDS`). Over-typing (``х``, ``/``, ``-`` typed
    over each letter, and over the spaces between the words) leaves runs of
    cells denser than the page's usual cell; density alone also fires on
    bold capitals, so these are candidates (``Strike.density``) that
    recognition confirms. Under a stamp (``stamps``) neither counts: its
    ink makes cells dense and its frame lines cross the gaps.
    """
    strikes: list[Strike] = []
    masks = [row_mask(comps, row) for row in rows]
    cells = [_cells(mask, row, pitch) for mask, row in zip(masks, rows)]
    inked_all = np.concatenate([c[c > 0.05 * r.char_height * pitch] for (_, c), r in zip(cells, rows)] or [np.zeros(0)])
    usual = float(np.median(inked_all)) if inked_all.size else 0.0
    for index, (row, mask, (first, counts)) in enumerate(zip(rows, masks, cells)):
        b, ch = row.box, row.char_height
        base = row.baseline - b.y0
        half_window = max(int(0.07 * pitch), 1)
        struck = np.zeros(len(counts), dtype=bool)
        windows = []
        for k in range(first, first + len(counts)):
            xb = int(round(row.phase + (k + 0.5) * pitch)) - b.x0
            windows.append((max(xb - half_window, 0), min(xb + half_window + 1, mask.shape[1])))
        over = [s for s in stamps if s.y0 < b.y1 and b.y0 < s.y1]
        windows = [(lo, hi) if not any(s.x0 <= b.x0 + lo and b.x0 + hi <= s.x1 for s in over) else (0, 0)
                   for lo, hi in windows]  # a stamp's frame lines crossing the gaps are no pen stroke
        footless = _without_feet(mask, base)
        for (top, bottom), min_gaps in PEN_BANDS:
            source = footless if bottom > 0 else mask  # strokes along the baseline touch the feet
            band = source[int(max(base - top * ch, 0)):int(max(base - bottom * ch, 1))]
            gaps = [hi > lo and _stroke_across(band[:, lo:hi], max_run=STROKE_MAX_RUN * ch) for lo, hi in windows]
            for start, stop in runs(gaps):
                if stop - start >= min_gaps or ((top, bottom) == CORE_BAND and stop - start == min_gaps - 1
                                                and _pen_past_both_ends(mask, row, first + start, pitch)):
                    struck[start:stop] = True
        crossings = [_crossings(mask[:, lo:hi], base=base, char_height=ch) if hi > lo else [] for lo, hi in windows]
        struck = _follow_strokes(crossings, struck)
        centres = row.phase + (first + np.arange(len(counts))) * pitch
        cell_columns = [(int(round(c - pitch / 2)) - b.x0, int(round(c + pitch / 2)) - b.x0) for c in centres]
        pieces = [piece for run in runs(struck)
                  for piece in _split_at_new_strokes(run, crossings, mask, cell_columns, max_run=STROKE_MAX_RUN * ch)]
        for start, stop in pieces:
            x0 = int(row.phase + (first + start + 0.5) * pitch)
            x1 = int(row.phase + (first + stop - 0.5) * pitch)
            strikes += [Strike(row=index, box=Box(b.x0 + a, b.y0, b.x0 + z, b.y1), kind="pen")
                        for a, z in _stroke_pieces(mask, x0 - b.x0, x1 - b.x0, min_blank=STROKE_BREAK * pitch)]
        if not usual:
            continue
        # over-typing runs on to the words struck by pen beside it (through the
        # space between), and a stamp's ink is dense too: the cells of both bound its runs
        taken = np.zeros(len(counts), dtype=bool)
        for box in [s.box for s in strikes if s.row == index] + over:
            taken |= (centres >= box.x0) & (centres <= box.x1)
        for start, stop in runs((counts > 0.05 * ch * pitch) & ~taken):
            while stop - start > 0 and counts[start] < OVERTYPE_EDGE * usual:
                start += 1  # a pen stroke's tail across the space beside it
            while stop - start > 0 and counts[stop - 1] < OVERTYPE_EDGE * usual:
                stop -= 1
            if stop - start < overtype_min_cells:
                continue
            density = float(counts[start:stop].mean() / usual)
            x0 = int(row.phase + (first + start - 0.5) * pitch)
            x1 = int(row.phase + (first + stop - 0.5) * pitch)
            if density >= overtype_ratio:
                strikes.append(Strike(row=index, box=Box(x0, b.y0, x1, b.y1), kind="overtype", density=density))
    return strikes


PEN_PAST_END = 0.25  # of the pitch: how far the pen must run on past one end of a two-letter word
PEN_CLEAR_OF_BASE = 0.15  # type heights: a zigzag's line beside a word stays this far above the baseline


def _pen_past_both_ends(mask: np.ndarray, row: TypedRow, cell: int, pitch: float) -> bool:
    """Whether the pen crossing three gaps from ``cell`` on strikes a two-letter
    word (``на``, ``не``): it reaches into the cells either side and runs on
    at least :data:`PEN_PAST_END` into one of them, and they hold no letter,
    only its line: a thin one, or a zigzag clear of the baseline that letters
    stand on (heavy letters run together leave a space or a letter there,
    never a line alone)."""
    reach = []
    for k in (cell, cell + 3):
        x0, x1 = _cell_columns(row, k, pitch, mask.shape[1])
        cols = mask[:, x0:x1]
        if x1 <= x0 or not cols.any():
            return False
        rows = np.flatnonzero(cols.any(axis=1))
        top, foot = (row.baseline - row.box.y0 - rows[[0, -1]]) / row.char_height  # heights above the baseline
        thin = rows[-1] - rows[0] + 1 <= STROKE_MAX_RUN * row.char_height
        if not (thin or (foot >= PEN_CLEAR_OF_BASE and top <= STROKE_HIGH)):
            return False  # a letter stands on the baseline; a zigzag's line stays clear of it
        reach.append(int(cols.any(axis=0).sum()))
    return max(reach) >= PEN_PAST_END * pitch


# A pen line drifts: slanted, it leaves the small letters and runs on along
# or under the baseline; wavy, it rises and falls from gap to gap. Found
# anywhere in a word, it is followed from gap to gap while it goes on thin
# and unbroken, and a thin line that crosses the small letters in
# several gaps of a longer run is taken as a stroke by itself.
STROKE_LOW = 0.5  # type heights under the baseline a line is still followed
STROKE_HIGH = 0.95  # and above it (the top band of PEN_BANDS)
STROKE_STEP = 0.3  # type heights a line rises or falls from one gap to the next
CORE_BAND = PEN_BANDS[0][0]  # where a line crosses the small letters
FOLLOWED_MIN_GAPS, FOLLOWED_MIN_CORE = 5, 3  # a line found by following alone


def _crossings(gap: np.ndarray, *, base: int, char_height: float) -> list[float]:
    """Heights above the baseline, in type heights, at which a thin line
    crosses a gap between cells: a run of inked rows no taller than a pen
    line with ink in every column of the gap."""
    top = int(max(base - STROKE_HIGH * char_height, 0))
    gap = gap[top:int(base + STROKE_LOW * char_height)]
    found = []
    for a, z in runs(gap.any(axis=1)):
        if z - a <= STROKE_MAX_RUN * char_height and gap[a:z].any(axis=0).all():
            found.append((base - top - (a + z) / 2) / char_height)
    return found


def _follow_strokes(crossings: list[list[float]], struck: np.ndarray) -> np.ndarray:
    """``struck`` (one flag per gap) widened along the lines that run through
    it: chains of crossings in consecutive gaps, each at most
    :data:`STROKE_STEP` above or below the last; and the chains long enough,
    and enough across the small letters, to be strokes on their own."""
    struck = struck.copy()
    chains: list[list[tuple[int, float]]] = []
    open_: list[list[tuple[int, float]]] = []
    for k, heights in enumerate(crossings):
        extended: list[list[tuple[int, float]]] = []
        for y in heights:
            near = [c for c in open_ if abs(c[-1][1] - y) <= STROKE_STEP and all(c is not e for e in extended)]
            chain = min(near, key=lambda c: abs(c[-1][1] - y)) if near else None
            if chain is None:
                chain = []
                chains.append(chain)
            chain.append((k, y))
            extended.append(chain)
        open_ = extended
    low, high = CORE_BAND[1], CORE_BAND[0]
    for chain in chains:
        gaps = [k for k, _ in chain]
        core = sum(low <= y <= high for _, y in chain)
        if struck[gaps].any() or (len(chain) >= FOLLOWED_MIN_GAPS and core >= FOLLOWED_MIN_CORE):
            struck[gaps[0]:gaps[-1] + 1] = True
    return struck


def _split_at_new_strokes(run: tuple[int, int], crossings: list[list[float]], mask: np.ndarray,
                          cells: list[tuple[int, int]], *, max_run: float) -> list[tuple[int, int]]:
    """A struck run of gaps, split where one stroke ends and another begins
    across the space between two words: the line crossing the gaps either
    side of a blank cell steps up or down by more than STROKE_STEP. Each
    piece keeps two gaps at least: a word's cell between them."""
    start, stop = run
    cuts = []
    for k in range(start + 1, stop - 2):
        before, after = crossings[k], crossings[k + 1]
        if not before or not after or any(abs(x - y) <= STROKE_STEP for x in before for y in after):
            continue
        lo, hi = max(cells[k + 1][0], 0), min(cells[k + 1][1], mask.shape[1])
        if hi > lo and _stroke_across(mask[:, lo:hi], max_run=max_run):  # a space, the line alone crossing it
            if not cuts or k + 1 - cuts[-1] >= 2:
                cuts.append(k + 1)
    edges = [start] + cuts + [stop]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


STROKE_BREAK = 0.45  # of the pitch: blank columns this wide part two strokes (within a word letters stand closer)


def _stroke_pieces(mask: np.ndarray, x0: int, x1: int, *, min_blank: float) -> list[tuple[int, int]]:
    """A struck run, [x0, x1) in the row mask's columns, split where no ink
    stands for ``min_blank`` columns: two words struck with two strokes,
    the space between them left clear, are two deletions."""
    x0, x1 = max(x0, 0), min(x1, mask.shape[1])
    blank = ~mask[:, x0:x1].any(axis=0)
    cuts = [(a, z) for a, z in runs(blank) if z - a >= min_blank and 0 < a and z < x1 - x0]
    edges = [x0] + [x0 + (a + z) // 2 for a, z in cuts] + [x1]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]
