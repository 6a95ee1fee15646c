"""Carets: the ∧ an editor draws in a typed line where an insertion goes.

A caret is handwriting, but it sits in the typed line, so the layout first
takes it for one of the line's characters (Tesseract then reads it as "л" and
runs the two words around it together). Under each insertion we look for a
component of the anchor row shaped like ∧: one narrow apex at the top, two
legs apart at the bottom and nothing between them. Found, it leaves the row
and marks the insertion point.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ocr.layout_model import Components, HandBlock, Layout, TypedRow


def is_caret_shape(mask: np.ndarray) -> bool:
    """Whether a component's mask (True = ink) looks like ∧ or ⌃."""
    h, w = mask.shape
    if h < 4 or w < 4:
        return False
    third = max(h // 3, 1)
    top, bottom = mask[:third], mask[h - third:]
    cols = np.arange(w)
    top_cols = cols[top.any(axis=0)]
    if top_cols.size == 0 or top_cols.size > 0.5 * w:
        return False
    if not (0.25 * w <= top_cols.mean() <= 0.75 * w) or np.diff(top_cols).max(initial=1) > 2:
        return False  # one apex, in the middle (not the two serifs of н or п)
    left, middle, right = bottom[:, : w // 3], bottom[:, w // 3: w - w // 3], bottom[:, w - w // 3:]
    if not (left.sum() > 0 and right.sum() > 0 and middle.sum() <= 0.15 * bottom.sum()):
        return False
    # the lower half is two legs all the way down: no crossbar (А) or foot (Д)
    lower = mask[h // 2:]
    two_runs = [np.count_nonzero(np.diff(np.concatenate([[0], r.astype(np.int8), [0]])) == 1) >= 2 for r in lower]
    crossbar = any(r.sum() > 0.5 * w and not two for r, two in zip(lower, two_runs))
    return float(np.mean(two_runs)) >= 0.7 and not crossbar


def _caret_under(comps: Components, row: TypedRow, block: HandBlock, pitch: float) -> int | None:
    ch = row.char_height
    best = None
    for label in row.members:
        x0, y0, x1, y1 = comps.boxes[label]
        cx = (x0 + x1) / 2
        if not (block.box.x0 - pitch <= cx <= block.box.x1 + pitch):
            continue
        if x1 - x0 > 1.3 * pitch or not (0.35 * ch <= y1 - y0 <= 1.5 * ch):
            continue
        if is_caret_shape(comps.labels[y0:y1, x0:x1] == label):
            distance = abs(cx - block.box.center[0])
            if best is None or distance < best[0]:
                best = (distance, label)
    return None if best is None else int(best[1])


def take_carets(layout: Layout) -> Layout:
    """Move carets under insertions out of their rows and onto the insertions."""
    rows = list(layout.rows)
    hand = []
    carets = 0
    for block in layout.hand:
        if block.kind == "insertion" and block.row is not None:
            row = rows[block.row]
            label = _caret_under(layout.components, row, block, layout.pitch)
            if label is not None:
                members = tuple(m for m in row.members if m != label)
                rows[block.row] = replace(row, members=members,
                                          box=layout.components.enclosing(members))
                x0, _, x1, _ = layout.components.boxes[label]
                block = replace(block, caret_x=float((x0 + x1) / 2))
                carets += 1
        hand.append(block)
    return replace(layout, rows=tuple(rows), hand=tuple(hand),
                   measures={**layout.measures, "carets": carets})
