"""Text metrics of SPEC §5: CER and WER over normalised text, span F1 for insertions and deletions.

Every function takes raw strings and normalises them the SPEC §5 way first:
NFC, every run of whitespace becomes one space, ends stripped. Characters are
extended grapheme clusters (``regex`` ``\\X``), so a letter with a combining
mark, or an emoji joined by ZWJ, counts once — as in dinglehopper, whose
``character_error_rate_n`` these numbers agree with on SPEC-normal text.

Rates come as ``(rate, n)`` or as :class:`ErrorCounts` so that a collection's
rate is a true micro-average: the sum of distances over the sum of lengths.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

import regex
from rapidfuzz.distance import Levenshtein

SPAN_MATCH_THRESHOLD = 0.34
_WHITESPACE = regex.compile(r"\s+")
_GRAPHEME = regex.compile(r"\X")


# --------------------------------------------------------------------------- normalisation


def normalize(text: str) -> str:
    """SPEC §5 normal form: NFC, whitespace runs to one space, ends stripped."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def graphemes(text: str) -> list[str]:
    """The extended grapheme clusters of ``text`` as given (no normalisation)."""
    return _GRAPHEME.findall(text)


def words(text: str) -> list[str]:
    """The words of ``text`` after normalisation: split on whitespace."""
    normal = normalize(text)
    return normal.split(" ") if normal else []


# --------------------------------------------------------------------------- error rates


def error_rate(distance: int, n: int) -> float:
    """``distance / n``; 0 when there is no error, infinite when ``n`` is 0 but there is."""
    if distance == 0:
        return 0.0
    if n == 0:
        return math.inf
    return distance / n


@dataclass(frozen=True)
class ErrorCounts:
    """Edit distance and reference length; add them up to micro-average a collection."""

    distance: int = 0
    n: int = 0

    @property
    def rate(self) -> float:
        return error_rate(self.distance, self.n)

    def __add__(self, other: ErrorCounts) -> ErrorCounts:
        return ErrorCounts(self.distance + other.distance, self.n + other.n)


def sequence_distance(gt: Sequence[str], pred: Sequence[str]) -> int:
    """Levenshtein distance between two sequences of tokens (clusters or words)."""
    return Levenshtein.distance(list(gt), list(pred))


def distance(gt: str, pred: str) -> int:
    """Levenshtein distance over grapheme clusters of the normalised texts."""
    return sequence_distance(graphemes(normalize(gt)), graphemes(normalize(pred)))


def cer_counts(gt: str, pred: str) -> ErrorCounts:
    """Character edit distance and ground-truth length in grapheme clusters."""
    gt_clusters = graphemes(normalize(gt))
    return ErrorCounts(sequence_distance(gt_clusters, graphemes(normalize(pred))), len(gt_clusters))


def cer_n(gt: str, pred: str) -> tuple[float, int]:
    """Character error rate and ground-truth length, like dinglehopper's ``character_error_rate_n``."""
    counts = cer_counts(gt, pred)
    return counts.rate, counts.n


def cer(gt: str, pred: str) -> float:
    """Character error rate over grapheme clusters (SPEC §5)."""
    return cer_counts(gt, pred).rate


def wer_counts(gt: str, pred: str) -> ErrorCounts:
    """Word edit distance and ground-truth length in whitespace-separated words."""
    gt_words = words(gt)
    return ErrorCounts(sequence_distance(gt_words, words(pred)), len(gt_words))


def wer_n(gt: str, pred: str) -> tuple[float, int]:
    """Word error rate and ground-truth length in words."""
    counts = wer_counts(gt, pred)
    return counts.rate, counts.n


def wer(gt: str, pred: str) -> float:
    """Word error rate over whitespace-separated words (SPEC §5)."""
    return wer_counts(gt, pred).rate


def total(counts: Iterable[ErrorCounts]) -> ErrorCounts:
    """Sum of distances and of lengths over a collection."""
    return sum(counts, ErrorCounts())


def micro_average(counts: Iterable[ErrorCounts]) -> float:
    """A collection's error rate: sum of distances over sum of lengths."""
    return total(counts).rate


# --------------------------------------------------------------------------- span F1


def normalized_distance(a: str, b: str) -> float:
    """Edit distance over clusters divided by the longer length; 0 for two empty texts."""
    ca, cb = graphemes(normalize(a)), graphemes(normalize(b))
    longest = max(len(ca), len(cb))
    return sequence_distance(ca, cb) / longest if longest else 0.0


@dataclass(frozen=True)
class SpanCounts:
    """True positives, false positives, false negatives of a span matching."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """2·tp / (2·tp + fp + fn); 1.0 when there are no spans on either side."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 1.0

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def match_spans(gt: Sequence[str], pred: Sequence[str], *,
                threshold: float = SPAN_MATCH_THRESHOLD) -> list[tuple[int, int]]:
    """Pair ground-truth and predicted spans one-to-one, as many pairs as possible.

    A pair is eligible when its :func:`normalized_distance` is at most
    ``threshold``. The assignment is optimal: a maximum bipartite matching
    (augmenting paths, Kuhn's algorithm), so the count of matches — all that
    F1 needs — does not depend on the order of the spans. Returns
    ``(gt_index, pred_index)`` pairs sorted by ``gt_index``.
    """
    eligible = [[j for j, p in enumerate(pred) if normalized_distance(g, p) <= threshold]
                for g in gt]
    owner: dict[int, int] = {}  # pred index -> gt index

    def augment(i: int, seen: set[int]) -> bool:
        for j in eligible[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(gt)):
        augment(i, set())
    return sorted((i, j) for j, i in owner.items())


def span_counts(gt: Sequence[str], pred: Sequence[str], *,
                threshold: float = SPAN_MATCH_THRESHOLD) -> SpanCounts:
    """tp, fp, fn of the one-to-one matching of :func:`match_spans`."""
    tp = len(match_spans(gt, pred, threshold=threshold))
    return SpanCounts(tp=tp, fp=len(pred) - tp, fn=len(gt) - tp)


def span_f1(gt: Sequence[str], pred: Sequence[str], *,
            threshold: float = SPAN_MATCH_THRESHOLD) -> float:
    """F1 of the span matching; 1.0 when both sides have no spans."""
    return span_counts(gt, pred, threshold=threshold).f1
