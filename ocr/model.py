"""The page model: boxes, words, regions, steps and the page itself.

Coordinates are pixels of the source image, origin top-left, boxes are
``(x0, y0, x1, y1)`` with ``x1``/``y1`` exclusive. Every exporter (JSON,
markup, PAGE, ALTO, hOCR, TEI) is a function of :class:`Page`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Literal

RegionKind = Literal[
    "typed_line", "insertion", "deletion", "margin_note", "signature", "stamp", "checkmark"
]
REGION_KINDS: tuple[str, ...] = (
    "typed_line", "insertion", "deletion", "margin_note", "signature", "stamp", "checkmark",
)
DeletionKind = Literal["pen", "overtype"]


@dataclass(frozen=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int

    def __post_init__(self) -> None:
        if self.x1 < self.x0 or self.y1 < self.y0:
            raise ValueError(f"box has negative size: {self.as_list()}")

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    def as_list(self) -> list[int]:
        return [self.x0, self.y0, self.x1, self.y1]

    def intersection(self, other: Box) -> int:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(w, 0) * max(h, 0)

    def iou(self, other: Box) -> float:
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    def union(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.y0, other.y0),
                   max(self.x1, other.x1), max(self.y1, other.y1))

    def expand(self, pad: int) -> Box:
        return Box(self.x0 - pad, self.y0 - pad, self.x1 + pad, self.y1 + pad)

    def clip(self, width: int, height: int) -> Box:
        x0, y0 = min(max(self.x0, 0), width), min(max(self.y0, 0), height)
        return Box(x0, y0, max(min(self.x1, width), x0), max(min(self.y1, height), y0))

    @classmethod
    def from_list(cls, values: Iterable[float]) -> Box:
        x0, y0, x1, y1 = (int(round(v)) for v in values)
        return cls(x0, y0, x1, y1)

    @classmethod
    def enclosing(cls, boxes: Iterable[Box]) -> Box:
        boxes = list(boxes)
        if not boxes:
            raise ValueError("no boxes to enclose")
        return cls(min(b.x0 for b in boxes), min(b.y0 for b in boxes),
                   max(b.x1 for b in boxes), max(b.y1 for b in boxes))


@dataclass(frozen=True)
class Word:
    text: str
    box: Box
    conf: float  # 0..1


@dataclass(frozen=True)
class Region:
    """One region of SPEC §4.

    ``line`` and ``offset``/``span`` anchor insertions and deletions in the
    typed line with id ``line`` (character offsets into that line's text).
    """

    id: str
    kind: RegionKind
    box: Box
    text: str = ""
    conf: float = 1.0
    words: tuple[Word, ...] = ()
    line: str | None = None
    offset: int | None = None
    span: tuple[int, int] | None = None
    deletion_kind: DeletionKind | None = None

    def __post_init__(self) -> None:
        if self.kind not in REGION_KINDS:
            raise ValueError(f"unknown region kind {self.kind!r}; expected one of {REGION_KINDS}")


@dataclass(frozen=True)
class Step:
    """Provenance of one stage: its parameters and what it measured."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class Page:
    image: str
    width: int
    height: int
    dpi: int
    skew_deg: float = 0.0
    regions: tuple[Region, ...] = ()
    markup: str = ""
    steps: tuple[Step, ...] = ()
    engine: dict[str, str] = field(default_factory=dict)

    def with_step(self, step: Step) -> Page:
        return replace(self, steps=self.steps + (step,))

    def regions_of(self, *kinds: str) -> list[Region]:
        return [r for r in self.regions if r.kind in kinds]
