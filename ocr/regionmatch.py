"""Region-detection scoring for ``archocr eval``: one-to-one box matching per region kind.

Pure functions over lists of ``(kind, Box)``. A ground-truth region is found
when a predicted region of the same kind overlaps it with IoU of at least
:data:`IOU_THRESHOLD` (0.5). Each region is used at most once: candidate pairs
are taken greedily in order of descending IoU (ties broken by ground-truth,
then prediction order), as in the usual detection benchmarks. Greedy is not
always the largest possible matching, but when the ground-truth boxes of a
kind do not overlap one another it is: a prediction clearing IoU 0.5 with a
box has more than half its own area inside it (bar exact ties at 0.5), so it
can clear the threshold with at most one of them.

Besides the region kinds of SPEC §4 there is one combined kind, ``note`` =
``margin_note`` ∪ ``signature``: for it a signature predicted as a margin note
(or the other way round) still counts as found.

Counts are micro-averaged by adding :class:`RegionCounts`. Recall is undefined
(``None``) when there is no ground-truth region of the kind, precision when
there is no predicted one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ocr.model import Box

IOU_THRESHOLD = 0.5

# Combined kind -> the region kinds it pools.
COMBINED_KINDS: dict[str, tuple[str, ...]] = {"note": ("margin_note", "signature")}

# The kinds scored, in report order.
SCORED_KINDS: tuple[str, ...] = ("insertion", "deletion", "margin_note", "signature", "note",
                                 "checkmark", "stamp", "typed_line")

Regions = Sequence[tuple[str, Box]]


@dataclass(frozen=True)
class RegionCounts:
    """Found (tp), spurious (fp) and missed (fn) regions of one kind."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def gt(self) -> int:
        """Number of ground-truth regions."""
        return self.tp + self.fn

    @property
    def predicted(self) -> int:
        return self.tp + self.fp

    @property
    def recall(self) -> float | None:
        return self.tp / self.gt if self.gt else None

    @property
    def precision(self) -> float | None:
        return self.tp / self.predicted if self.predicted else None

    def __add__(self, other: RegionCounts) -> RegionCounts:
        return RegionCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def match_boxes(gt: Sequence[Box], pred: Sequence[Box], *,
                threshold: float = IOU_THRESHOLD) -> list[tuple[int, int]]:
    """Greedy one-to-one matching by descending IoU; pairs need IoU ≥ ``threshold``.

    Returns ``(gt_index, pred_index)`` pairs sorted by ``gt_index``.
    """
    candidates = [(g.iou(p), i, j) for i, g in enumerate(gt) for j, p in enumerate(pred)]
    candidates = [c for c in candidates if c[0] >= threshold and c[0] > 0]
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_gt: set[int] = set()
    used_pred: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in candidates:
        if i in used_gt or j in used_pred:
            continue
        used_gt.add(i)
        used_pred.add(j)
        pairs.append((i, j))
    return sorted(pairs)


def box_counts(gt: Sequence[Box], pred: Sequence[Box], *,
               threshold: float = IOU_THRESHOLD) -> RegionCounts:
    """tp, fp, fn of :func:`match_boxes`."""
    tp = len(match_boxes(gt, pred, threshold=threshold))
    return RegionCounts(tp=tp, fp=len(pred) - tp, fn=len(gt) - tp)


def _boxes_of(regions: Regions, kinds: Iterable[str]) -> list[Box]:
    wanted = set(kinds)
    return [box for kind, box in regions if kind in wanted]


def region_counts(gt: Regions, pred: Regions, *, kinds: Sequence[str] = SCORED_KINDS,
                  threshold: float = IOU_THRESHOLD) -> dict[str, RegionCounts]:
    """Counts per kind for one page; regions of kinds not asked for are ignored."""
    out: dict[str, RegionCounts] = {}
    for kind in kinds:
        members = COMBINED_KINDS.get(kind, (kind,))
        out[kind] = box_counts(_boxes_of(gt, members), _boxes_of(pred, members),
                               threshold=threshold)
    return out


def add_counts(a: Mapping[str, RegionCounts], b: Mapping[str, RegionCounts]) -> dict[str, RegionCounts]:
    """Kind-wise sum (micro-average) of two count tables."""
    return {k: a.get(k, RegionCounts()) + b.get(k, RegionCounts()) for k in dict.fromkeys([*a, *b])}


def empty_counts(kinds: Sequence[str] = SCORED_KINDS) -> dict[str, RegionCounts]:
    return {k: RegionCounts() for k in kinds}
