"""Handwriting blocks: loose ink grouped into written words and lines,
ticks taken apart, and each block classified as an insertion (written just
above a typed line, over it), a tick, a signature or a margin note.
"""
from __future__ import annotations

import cv2
import numpy as np

from ocr.layout_model import Components, HandBlock, HandKind, TypedRow
from ocr.model import Box


WORD_SPACE = 1.3  # type heights: the widest space between two written words of one phrase
STAIN_DARKNESS = 0.5  # of the darkest writing of a group: lighter ink beside it is a stain, not the same hand
PENCIL_DARKNESS = 0.75  # of the typing's darkness: pencil and faint writing are lighter, pen ink darker
FLAT_INK = 14  # gray levels between a group's 10th and 90th percentile: a stain or fold is flatter


def group_handwriting(comps: Components, labels: np.ndarray, *, char_height: float) -> list[np.ndarray]:
    """Cluster handwriting components into words and phrases by proximity."""
    if labels.size == 0:
        return []
    keep = np.zeros(len(comps.areas), dtype=np.uint8)
    keep[labels] = 1
    mask = keep[comps.labels]
    gap_x, gap_y = max(int(char_height * WORD_SPACE), 1), max(int(char_height * 0.25), 1)
    joined = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * gap_x + 1, 2 * gap_y + 1)))
    _, groups = cv2.connectedComponents(joined, connectivity=8)
    # the group of a component: the group label under its first pixel
    group_of = np.empty(labels.size, dtype=np.int64)
    for i, label in enumerate(labels):
        b = comps.boxes[label]
        crop = comps.labels[b[1]:b[3], b[0]:b[2]] == label
        yy, xx = np.nonzero(crop)
        group_of[i] = groups[b[1] + yy[0], b[0] + xx[0]]
    return [labels[group_of == g] for g in np.unique(group_of)]


# A note written up (or down) the margin, where there is no room across it:
# its letters stand one above the other, each a narrow group of its own, a
# small gap apart. Stacked, they make a block at least UPRIGHT_MIN_HEIGHT
# tall and UPRIGHT_ASPECT times taller than wide.
UPRIGHT_MAX_WIDTH = 2.5  # type heights: a turned letter is as wide as a written line is tall
UPRIGHT_MIN_HEIGHT = 3.0
UPRIGHT_ASPECT = 3.0


def is_upright(box: Box, *, char_height: float) -> bool:
    """Whether a block's shape is that of writing up or down the margin."""
    return (box.height >= UPRIGHT_MIN_HEIGHT * char_height and box.height >= UPRIGHT_ASPECT * box.width
            and box.width <= UPRIGHT_MAX_WIDTH * char_height)


def stack_upright(comps: Components, groups: list[np.ndarray], *, char_height: float) -> list[np.ndarray]:
    """``groups`` with the narrow ones stacked one above the other, a word
    space apart at most and overlapping sideways, merged where the stack is
    upright writing (:func:`is_upright`)."""
    narrow = [i for i, g in enumerate(groups) if comps.enclosing(g).width <= UPRIGHT_MAX_WIDTH * char_height]
    boxes = {i: comps.enclosing(groups[i]) for i in narrow}
    owner = {i: i for i in narrow}

    def root(i: int) -> int:
        while owner[i] != i:
            i = owner[i]
        return i

    reach = WORD_SPACE * char_height
    for n, i in enumerate(narrow):
        for j in narrow[n + 1:]:
            a, b = boxes[i], boxes[j]
            side = min(a.x1, b.x1) - max(a.x0, b.x0)
            gap = max(a.y0, b.y0) - min(a.y1, b.y1)
            if side >= 0.5 * min(a.width, b.width) and gap <= reach:
                owner[root(j)] = root(i)
    stacks: dict[int, list[int]] = {}
    for i in narrow:
        stacks.setdefault(root(i), []).append(i)
    merged, taken = [], set()
    for members in stacks.values():
        if len(members) < 2:
            continue
        stack = np.concatenate([groups[i] for i in members])
        if is_upright(comps.enclosing(stack), char_height=char_height):
            merged.append(np.sort(stack))
            taken.update(members)
    return [g for i, g in enumerate(groups) if i not in taken] + merged


TICK_MAX = 3.0  # type heights: a tick stands up to 2.6 tall and wide on the corpus


def is_tick_shape(mask: np.ndarray, *, char_height: float) -> bool:
    """A tick ✓: one thin stroke about a character or two high, its lowest point
    one point left of centre, its short left arm rising from it (not a tail
    hanging down to the left, as in a written ``у``) and its long right arm
    reaching the top."""
    h, w = mask.shape
    if not (0.8 * char_height <= h <= TICK_MAX * char_height and 0.5 * char_height <= w <= TICK_MAX * char_height):
        return False
    if mask.mean() > 0.3:
        return False  # a blot or a speck cluster, not a pen stroke
    ys, xs = np.nonzero(mask)
    bottom = xs[ys >= h - max(h // 6, 1)]
    one_point = bottom.max() - bottom.min() <= 0.4 * w  # the two feet of a written и are apart
    left_arm_up = ys[xs <= xs.min() + max(w // 12, 1)].max() < 0.85 * h
    top_right = mask[: max(h // 4, 1), w // 2:].any()
    return bottom.mean() < 0.6 * w and one_point and left_arm_up and bool(top_right)


TICK_CLEARANCE = 0.2  # type heights of white between a tick and the writing beside it (0.26 seen)
TICK_LINE_HEIGHT = 1.2  # the written line a tick marks stands at most this much taller than the tick
TICK_MAX_PIECES = 2  # binarization breaks a thin tick where its long arm leaves the bottom


def is_tick(comps: Components, members: np.ndarray, *, char_height: float) -> bool:
    """Whether ``members`` (one component or the few a tick broke into) make a tick."""
    if not 0 < members.size <= TICK_MAX_PIECES:
        return False
    _, mask = comps.mask_of(members)
    return is_tick_shape(mask, char_height=char_height)


def split_off_ticks(comps: Components, members: np.ndarray, *, char_height: float) -> list[np.ndarray]:
    """A group of handwriting, with a tick before or after it that stands
    clear of the writing taken out as a group of its own (an editor ticks a
    note off: ``✓ Разослано по дорогам``, ``неоднократно ✓``): the tick, if
    any, then the rest."""
    if members.size < 2:
        return [members]
    by_start = members[np.argsort(comps.boxes[members, 0], kind="stable")]
    by_end = members[np.argsort(-comps.boxes[members, 2], kind="stable")]
    for pieces in range(1, min(TICK_MAX_PIECES, members.size - 1) + 1):
        for order, before in ((by_start, True), (by_end, False)):
            tick, rest = order[:pieces], order[pieces:]
            mark = comps.enclosing(tick)
            # the written line beside the tick (a note of two lines has a second below it)
            level = (comps.boxes[rest, 1] < mark.y1) & (comps.boxes[rest, 3] > mark.y0)
            if not level.any():
                continue
            line = comps.enclosing(rest[level])
            clear = line.x0 - mark.x1 if before else mark.x0 - line.x1
            if (clear >= TICK_CLEARANCE * char_height
                    and line.height <= TICK_LINE_HEIGHT * mark.height  # a signature's strokes make a taller whole
                    and is_tick(comps, tick, char_height=char_height)):
                return [np.sort(tick), np.sort(rest)]
    return [members]


# An insertion is written just above its line (on the corpus at most 1.34
# type heights clear of it, however wide the blank above), and over it: a
# signature or a dated note under the last line, or beside a short line, is
# not one.
INSERTION_MAX_RISE = 1.6
INSERTION_MIN_OVER_ROW = 0.05
# Several written lines, wide, are a note even above a line (a resolution
# written over the text); insertions on the corpus were at most 21 type
# heights wide, or at most 2.6 wide where they stood over 3.5 tall.
NOTE_LINES_HEIGHT = 3.5
NOTE_LINES_WIDTH = 25.0
# A signature is written large and joined up: on the corpus at least 3 type
# heights tall with at most 0.61 separate pieces per type height of width,
# where notes stood at most 3.8 tall with 0.54 pieces or more (most above 0.75).
SIGNATURE_MIN_HEIGHT = 2.8
SIGNATURE_MAX_PIECES = 0.62


def classify_hand(comps: Components, members: np.ndarray, rows: list[TypedRow], *,
                  column: Box | None, char_height: float) -> HandBlock:
    """An insertion when it sits just above a typed row, over it, inside the
    text column; a tick when it is one small stroke; a signature when it is
    tall and joined up; otherwise a margin note."""
    box = comps.enclosing(members)
    own = tuple(int(m) for m in members)
    cx, cy = box.center
    inside_column = column is not None and column.x0 - char_height <= cx <= column.x1 + char_height
    if inside_column:
        # the row whose baseline is next below the block's middle: writing that
        # starts above a line and reaches down into it still counts as above it
        below = [i for i, r in enumerate(rows) if r.baseline >= cy]
        if below:
            i = min(below, key=lambda j: rows[j].baseline)
            row = rows[i]
            starts_above = box.y0 < row.box.y0 - 0.3 * char_height
            close_above = row.box.y0 - box.y1 <= INSERTION_MAX_RISE * char_height
            over_row = min(box.x1, row.box.x1) - max(box.x0, row.box.x0) > INSERTION_MIN_OVER_ROW * box.width
            paragraph = box.height >= NOTE_LINES_HEIGHT * char_height and box.width >= NOTE_LINES_WIDTH * char_height
            if starts_above and close_above and over_row and not paragraph:
                return HandBlock(box=box, members=own, kind="insertion", row=i)
    if is_tick(comps, members, char_height=char_height):
        return HandBlock(box=box, members=own, kind="checkmark")
    if is_upright(box, char_height=char_height):
        return HandBlock(box=box, members=own, kind="margin_note", upright=True)
    return HandBlock(box=box, members=own, kind=_note_or_signature(box, members.size, char_height))


def _note_or_signature(box: Box, pieces: int, char_height: float) -> HandKind:
    """A signature when the writing is tall and joined up (see SIGNATURE_MIN_HEIGHT), else a margin note."""
    if box.height >= SIGNATURE_MIN_HEIGHT * char_height and pieces <= SIGNATURE_MAX_PIECES * box.width / char_height:
        return "signature"
    return "margin_note"


def writing_blocks(comps: Components, group: np.ndarray, weak: np.ndarray, darkness: np.ndarray | None, *,
                char_height: float) -> list[np.ndarray]:
    """The handwriting blocks of a group of loose ink, ticks taken apart;
    none when it holds too little ink to be writing. Writing lighter than
    pen ink (:data:`PENCIL_DARKNESS`) takes the specks and faint marks
    (``weak``) in line with it (:func:`_dots_in_line`); pen ink does not
    break up so, and the specks beside it are dust."""
    *ticks, writing = split_off_ticks(comps, group, char_height=char_height)
    blocks = [t for t in ticks if _substantial(comps, t, char_height)]
    if not _substantial(comps, writing, char_height) and darkness is not None:
        # pen writing joined to the pieces of a stain around it, far lighter than the pen
        pen = writing[darkness[writing] >= STAIN_DARKNESS * np.percentile(darkness[writing], 90)]
        if pen.size and float(np.median(darkness[pen])) >= PENCIL_DARKNESS:
            writing = pen
    if not _substantial(comps, writing, char_height):
        return blocks
    if darkness is not None and float(np.median(darkness[writing])) < PENCIL_DARKNESS:
        writing = np.sort(np.concatenate([writing, _dots_in_line(comps, writing, weak, char_height=char_height)]))
    return [*blocks, writing]


# Written lines one under another (a signature and the date under it, a note
# of two lines) group as one block, which a line reader reads as nothing.
# Their letters' middles stand a line apart, those of one line (capitals,
# descenders, a slope) within a type height of their neighbours. Dots and
# commas go with the line nearest them; a flourish or an underline (a long
# thin stroke: each column of its ink a stroke's width high) with the line
# it stands under, however near the next line's tops it runs.
LINE_GAP = 1.0  # type heights between the middles of the nearest letters of two lines
LINE_MIN_LETTERS = 2
DOT_MAX = 0.5  # type heights: a dot or a comma is no taller nor wider
STROKE_MIN_WIDTH = 2.0  # type heights: a flourish or an underline is longer
STROKE_MAX_SPAN = 0.3  # type heights: the median height of its ink over a column
LINE_OVERLAP = 0.5  # of the narrower line's width: lines one under another overlap so far sideways


def in_written_lines(comps: Components, block: HandBlock, *, char_height: float) -> list[HandBlock]:
    """A note or a signature parted into its written lines (:func:`written_lines`),
    each a note or a signature of its own; other blocks whole. Parted after
    it is classified: a resolution of several lines over a typed line is a
    note, not a note with an insertion under it."""
    if block.kind not in ("margin_note", "signature") or block.upright:
        return [block]
    lines = written_lines(comps, np.asarray(block.members), char_height=char_height)
    if len(lines) == 1:
        return [block]
    parted = []
    for members in lines:
        box = comps.enclosing(members)
        parted.append(HandBlock(box=box, members=tuple(int(m) for m in members),
                                kind=_note_or_signature(box, members.size, char_height)))
    return parted


def written_lines(comps: Components, members: np.ndarray, *, char_height: float) -> list[np.ndarray]:
    """Writing parted into its written lines, top to bottom (:data:`LINE_GAP`),
    each of :data:`LINE_MIN_LETTERS` letters at least and each under the one
    before (:data:`LINE_OVERLAP`); whole when it is one line."""
    middle = (comps.boxes[members, 1] + comps.boxes[members, 3]) / 2
    dot = (comps.heights[members] <= DOT_MAX * char_height) & (comps.widths[members] <= DOT_MAX * char_height)
    stroke = np.array([comps.widths[m] >= STROKE_MIN_WIDTH * char_height and _thin(comps, int(m), char_height)
                       for m in members], dtype=bool)
    ys = np.sort(middle[~dot & ~stroke])
    lines = np.split(ys, np.flatnonzero(np.diff(ys) >= LINE_GAP * char_height) + 1)
    if len(lines) < 2 or min(line.size for line in lines) < LINE_MIN_LETTERS:
        return [members]
    tops = np.array([line[0] for line in lines])
    centres = np.array([np.median(line) for line in lines])
    line_of = np.where(dot, np.abs(middle[:, None] - centres[None, :]).argmin(axis=1),
                       np.maximum(np.searchsorted(tops, middle, side="right") - 1, 0))
    parted = [np.sort(members[line_of == i]) for i in range(len(lines))]
    boxes = [comps.enclosing(line) for line in parted]
    for upper, lower in zip(boxes, boxes[1:]):
        overlap = min(upper.x1, lower.x1) - max(upper.x0, lower.x0)
        if overlap < LINE_OVERLAP * min(upper.width, lower.width):
            return [members]  # side by side at two heights: initials written high before a surname
    return parted


def _thin(comps: Components, label: int, char_height: float) -> bool:
    """Whether a component's ink is a line: over the median column, no
    higher than :data:`STROKE_MAX_SPAN`."""
    x0, y0, x1, y1 = (int(v) for v in comps.boxes[label])
    ink = comps.labels[y0:y1, x0:x1] == label
    rows = np.arange(y1 - y0)[:, None]
    inked = ink.any(axis=0)
    span = np.where(ink, rows, -1).max(axis=0) - np.where(ink, rows, y1 - y0).min(axis=0) + 1
    return float(np.median(span[inked])) <= STROKE_MAX_SPAN * char_height


def is_flat_ink(comps: Components, members: np.ndarray, gray: np.ndarray) -> bool:
    """Ink of nearly one tone (:data:`FLAT_INK`): the part of a stain, a fold
    or a shadow dark enough to binarize, not writing. A stroke, of pen or
    pencil, has a dark core and lighter edges (on the 88-page set written
    blocks spread 16 gray levels and more, stains 2 to 15)."""
    box, own = comps.mask_of(members)
    p10, p90 = np.percentile(gray[box.y0:box.y1, box.x0:box.x1][own], [10, 90])
    return p90 - p10 < FLAT_INK


def _dots_in_line(comps: Components, writing: np.ndarray, weak: np.ndarray, *, char_height: float) -> np.ndarray:
    """The ``weak`` components in line with the writing and within a written
    word space of it, or of one another: pencil strokes the binarization
    broke up (``кру`` of ``крупные`` whole, ``пные`` in dots)."""
    b, reach = comps.boxes, WORD_SPACE * char_height
    box = comps.enclosing(writing)
    while True:
        near = (weak & (b[:, 0] >= box.x0 - reach) & (b[:, 2] <= box.x1 + reach)
                & (b[:, 1] >= box.y0) & (b[:, 3] <= box.y1))
        grown = Box(min(box.x0, int(b[near, 0].min(initial=box.x0))), box.y0,
                    max(box.x1, int(b[near, 2].max(initial=box.x1))), box.y1)
        if grown == box:
            return np.flatnonzero(near)
        box = grown


def relative_darkness(comps: Components, gray: np.ndarray | None, rows: list[TypedRow]) -> np.ndarray | None:
    """Each component's mean darkness as a share of the typing's (None
    without a gray image or typed rows to compare with)."""
    if gray is None or not rows:
        return None
    sums = np.bincount(comps.labels.ravel(), weights=255.0 - gray.ravel().astype(float), minlength=len(comps.areas))
    mean_dark = sums / np.maximum(comps.areas, 1)
    typed = np.concatenate([np.asarray(r.members) for r in rows])
    return mean_dark / max(float(np.median(mean_dark[typed])), 1.0)


def faint_components(darkness: np.ndarray | None, count: int) -> np.ndarray:
    """Components much lighter than the typing (bleed-through, stains), not handwriting."""
    faint = np.zeros(count, dtype=bool) if darkness is None else darkness < 0.3  # pencil notes stay
    faint[0] = False
    return faint


MAX_HEIGHT = 8.0  # type heights: a block of writing stands no taller (a stain ring, a fold may)
MAX_WIDTH = 60.0  # type heights: wider than this, only writing in many pieces is writing
PIECE_WIDTH = 4.0  # type heights of a line per piece, at most, for such writing


def _substantial(comps: Components, members: np.ndarray, char_height: float) -> bool:
    """Enough ink to be writing rather than specks or dust."""
    box = comps.enclosing(members)
    # stains, folds and stamp remnants are far larger than a written line,
    # and in few pieces: a line written across the page is many words, its
    # letters lifted (a resolution across the text column, 70 type heights
    # long, is 50 pieces as tall as letters; the torn edge of a dark border,
    # 100 long, is slivers)
    letters = comps.heights[members] >= 0.7 * char_height
    long_line = box.width > MAX_WIDTH * char_height and letters.sum() * PIECE_WIDTH * char_height < box.width
    across = box.width if members.size > 1 and is_upright(box, char_height=char_height) else box.height
    return (comps.areas[members].sum() >= 0.25 * char_height ** 2
            and max(box.width, box.height) >= 0.7 * char_height
            and across <= MAX_HEIGHT * char_height and not long_line)
