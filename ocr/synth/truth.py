"""Ground truth of a synthetic page: the markup of each typed line and the region boxes.

The typewriter types single spaces; the markup (SPEC §2) writes an
insertion between words as ``word <sup>new</sup> word``, so the line's
typed text, which is what the ``typed_line`` region carries, has a double
space at the insertion point. :func:`line_markup` produces the markup and
the character offsets of every insertion and deletion in that typed text,
so that ``text[span[0]:span[1]]`` is the deleted words and ``offset`` sits
between the two spaces.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocr import markup as mk
from ocr.model import Box
from ocr.synth.degrade import transform_points
from ocr.synth.layout import LineSpec


@dataclass(frozen=True)
class LineMarkup:
    markup: str
    typed_text: str
    deletion_spans: tuple[tuple[int, int], ...]   # per LineSpec.deletions
    insertion_offsets: tuple[int, ...]            # per LineSpec.insertions


def line_markup(spec: LineSpec, *, with_marks: bool = True) -> LineMarkup:
    cells = spec.text
    n = len(cells)
    out: list[str] = []
    typed = 0
    del_start = {d.start: k for k, d in enumerate(spec.deletions)} if with_marks else {}
    del_end = {d.end: k for k, d in enumerate(spec.deletions)} if with_marks else {}
    spans = [[0, 0] for _ in spec.deletions]
    offsets = [0] * len(spec.insertions)
    for i in range(n + 1):
        if i in del_end:
            out.append("~~")
            spans[del_end[i]][1] = typed
        if with_marks:
            for k, ins in enumerate(spec.insertions):
                if ins.pos != i:
                    continue
                at_word_start = i == 0 or cells[i - 1] == " "
                if i == n and not at_word_start:
                    out.append(" ")
                    typed += 1
                out.append(f"<sup>{ins.text}</sup>")
                offsets[k] = typed
                if at_word_start and i < n:
                    out.append(" ")
                    typed += 1
        if i in del_start:
            out.append("~~")
            spans[del_start[i]][0] = typed
        if i < n:
            out.append(cells[i])
            typed += 1
    text = "".join(out)
    typed_text = _typed_of(text)
    return LineMarkup(text, typed_text, tuple((a, b) for a, b in spans), tuple(offsets))


def _typed_of(markup_line: str) -> str:
    line = mk.parse(markup_line).lines[0]
    return line.typed_text if isinstance(line, mk.TypedLine) else ""


def region_box(points: np.ndarray, m: np.ndarray, *, width: int, height: int, pad: int = 1) -> Box:
    """The axis-aligned box, in image pixels, of page-frame pixel corners mapped by ``m``."""
    mapped = transform_points(points.astype(np.float64), m)
    x0, y0 = np.floor(mapped.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(mapped.max(axis=0)).astype(int) + pad
    return Box(int(x0), int(y0), int(x1), int(y1)).clip(width, height)
