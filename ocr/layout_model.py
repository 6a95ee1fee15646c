"""The layout's records: connected components, typed rows, strikes,
handwriting blocks and the page layout, with the grid arithmetic they share.

Everything is in pixels of the deskewed page (top-left origin, boxes
``x0, y0, x1, y1`` with exclusive ends); the pipeline maps boxes back to the
source image. A typed row's character cells are centred at ``phase + k * pitch``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import cv2
import numpy as np

from ocr.model import Box

HandKind = Literal["insertion", "margin_note", "signature", "checkmark"]


@dataclass(frozen=True)
class Components:
    """Connected components of a binary image (label 0 is background)."""

    labels: np.ndarray  # int32, same shape as the image
    boxes: np.ndarray  # (n, 4) x0, y0, x1, y1 (exclusive), row i = label i
    areas: np.ndarray  # (n,)

    @property
    def heights(self) -> np.ndarray:
        return self.boxes[:, 3] - self.boxes[:, 1]

    @property
    def widths(self) -> np.ndarray:
        return self.boxes[:, 2] - self.boxes[:, 0]

    def box(self, label: int) -> Box:
        return Box(*(int(v) for v in self.boxes[label]))

    def enclosing(self, labels) -> Box:
        b = self.boxes[np.asarray(list(labels), dtype=int)]
        return Box(int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 2].max()), int(b[:, 3].max()))

    def mask_of(self, labels: np.ndarray) -> tuple[Box, np.ndarray]:
        """The box enclosing components ``labels`` and, over it, the mask of their pixels."""
        box = self.enclosing(labels)
        return box, np.isin(self.labels[box.y0:box.y1, box.x0:box.x1], labels)


@dataclass(frozen=True)
class TypedRow:
    box: Box
    members: tuple[int, ...]  # component labels
    baseline: int
    char_height: float
    phase: float  # x of a cell centre: cells are phase + k * pitch
    coherence: float


@dataclass(frozen=True)
class Strike:
    row: int  # index into Layout.rows
    box: Box
    kind: Literal["pen", "overtype"]
    density: float = 0.0  # over-typing: mean cell ink relative to the page's usual cell


@dataclass(frozen=True)
class HandBlock:
    box: Box
    members: tuple[int, ...]
    kind: HandKind
    row: int | None = None  # for insertions: the typed row below
    caret_x: float | None = None  # for insertions: x of the caret marking the insertion point
    upright: bool = False  # written up or down the margin, its lines turned a quarter from the typing's


@dataclass(frozen=True)
class Layout:
    components: Components
    pitch: float
    char_height: float
    rows: tuple[TypedRow, ...]
    strikes: tuple[Strike, ...]
    hand: tuple[HandBlock, ...]
    stamps: tuple[Box, ...]
    column: Box | None  # the typed text column
    measures: dict = field(default_factory=dict)
    cleaned_stamps: int = 0  # the first this many stamps had their ink taken off (ocr.stampink)

    @property
    def inked_stamps(self) -> tuple[Box, ...]:
        """The stamps whose ink still lies over what they cover."""
        return self.stamps[self.cleaned_stamps:]


def without_rows(layout: Layout, drop: set[int], added: list[HandBlock]) -> Layout:
    """``layout`` with the rows ``drop`` taken out (their strikes with them),
    the other rows' indices in strikes and insertions renumbered, and the
    handwriting blocks ``added`` after the others. An insertion anchored to
    a dropped row becomes a note."""
    new_index = {old: new for new, old in enumerate(i for i in range(len(layout.rows)) if i not in drop)}
    strikes = tuple(replace(s, row=new_index[s.row]) for s in layout.strikes if s.row not in drop)
    hand = [replace(h, row=new_index[h.row]) if h.row in new_index else
            replace(h, row=None, kind="margin_note", caret_x=None) if h.row is not None else h
            for h in layout.hand]
    return replace(layout, rows=tuple(r for i, r in enumerate(layout.rows) if i not in drop), strikes=strikes,
                   hand=tuple(hand + added))


def components_of(binary: np.ndarray) -> Components:
    """Connected components (8-connected) of a boolean/0-255 ink mask."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary.astype(np.uint8), connectivity=8)
    boxes = np.stack([stats[:, 0], stats[:, 1], stats[:, 0] + stats[:, 2], stats[:, 1] + stats[:, 3]], axis=1)
    return Components(labels=labels, boxes=boxes.astype(np.int32), areas=stats[:, 4].astype(np.int64))


def coherence(xc: np.ndarray, pitch: float) -> tuple[float, float]:
    """Mean resultant length and phase of x-centres on a grid of ``pitch``."""
    z = np.exp(2j * np.pi * xc / pitch).mean()
    phase = (np.angle(z) / (2 * np.pi) * pitch) % pitch
    return float(abs(z)), float(phase)


def off_grid(x, phase: float, pitch: float):
    """How far ``x`` (a number or an array) lies from the nearest point of
    the grid ``phase + k * pitch``."""
    return np.abs((np.asarray(x) - phase + pitch / 2) % pitch - pitch / 2)


def runs(flags) -> list[tuple[int, int]]:
    """[start, stop) of each run of true (non-zero) values in a 1-D sequence."""
    padded = np.concatenate([[0], (np.asarray(flags) > 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]
