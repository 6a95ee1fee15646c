"""Region matching for ``archocr eval``: IoU cases checked by hand, one-to-one counting, the note kind."""
from __future__ import annotations

import pytest

from ocr.model import Box
from ocr.regionmatch import (SCORED_KINDS, RegionCounts, add_counts, box_counts, match_boxes,
                             region_counts)

A = Box(0, 0, 10, 10)  # area 100


def test_identical_boxes_match():
    assert A.iou(A) == 1.0
    assert match_boxes([A], [A]) == [(0, 0)]
    assert box_counts([A], [A]) == RegionCounts(tp=1, fp=0, fn=0)


def test_half_shifted_box_is_below_threshold():
    shifted = Box(5, 0, 15, 10)  # overlap 5x10 = 50, union 150: IoU 1/3
    assert A.iou(shifted) == pytest.approx(1 / 3)
    assert box_counts([A], [shifted]) == RegionCounts(tp=0, fp=1, fn=1)


def test_mostly_overlapping_box_is_above_threshold():
    shifted = Box(2, 0, 12, 10)  # overlap 8x10 = 80, union 120: IoU 2/3
    assert A.iou(shifted) == pytest.approx(2 / 3)
    assert box_counts([A], [shifted]) == RegionCounts(tp=1, fp=0, fn=0)


def test_iou_exactly_half_counts():
    double = Box(0, 0, 20, 10)  # A inside it: overlap 100, union 200: IoU 0.5
    assert A.iou(double) == 0.5
    assert box_counts([A], [double]).tp == 1
    just_below = Box(0, 0, 21, 10)  # 100 / 210
    assert box_counts([A], [just_below]).tp == 0


def test_two_predictions_for_one_gt_are_one_tp_and_one_fp():
    better, worse = Box(0, 0, 10, 11), Box(1, 0, 11, 10)  # IoU 100/110 and 90/110
    counts = box_counts([A], [worse, better])
    assert counts == RegionCounts(tp=1, fp=1, fn=0)
    assert match_boxes([A], [worse, better]) == [(0, 1)]  # the higher IoU wins
    assert (counts.recall, counts.precision) == (1.0, 0.5)


def test_greedy_by_descending_iou():
    # Two overlapping GT boxes that one prediction clears with both: it goes to the higher IoU.
    g1, g2 = Box(0, 0, 10, 10), Box(0, 0, 10, 12)
    pred = Box(0, 0, 10, 11)  # g1: 100/110 = 0.909, g2: 110/120 = 0.917
    assert match_boxes([g1, g2], [pred]) == [(1, 0)]
    assert box_counts([g1, g2], [pred]) == RegionCounts(tp=1, fp=0, fn=1)
    # A prediction overlapping two side-by-side boxes matches only the one it mostly covers.
    left, right = Box(0, 0, 10, 10), Box(10, 0, 20, 10)
    across = Box(3, 0, 13, 10)  # left: 70/130 = 0.538, right: 30/170 = 0.176
    assert match_boxes([left, right], [across]) == [(0, 0)]


def test_empty_sides_and_undefined_rates():
    assert box_counts([], []) == RegionCounts()
    none = RegionCounts()
    assert none.recall is None and none.precision is None
    missed = box_counts([A], [])
    assert missed == RegionCounts(fn=1) and missed.recall == 0.0 and missed.precision is None
    spurious = box_counts([], [A])
    assert spurious == RegionCounts(fp=1) and spurious.recall is None and spurious.precision == 0.0


def test_wrong_kind_does_not_match():
    counts = region_counts([("insertion", A)], [("deletion", A)])
    assert counts["insertion"] == RegionCounts(fn=1)
    assert counts["deletion"] == RegionCounts(fp=1)
    assert counts["typed_line"] == RegionCounts()
    assert set(counts) == set(SCORED_KINDS)


def test_note_combines_margin_notes_and_signatures():
    sig, note = Box(100, 100, 200, 140), Box(0, 300, 50, 400)
    gt = [("signature", sig), ("margin_note", note)]
    pred = [("margin_note", sig), ("margin_note", note), ("signature", Box(500, 500, 600, 540))]
    counts = region_counts(gt, pred)
    # The signature read as a margin note is wrong for both kinds but found as a note.
    assert counts["signature"] == RegionCounts(tp=0, fp=1, fn=1)
    assert counts["margin_note"] == RegionCounts(tp=1, fp=1, fn=0)
    assert counts["note"] == RegionCounts(tp=2, fp=1, fn=0)
    # A margin note and a signature predicted on the same GT note: one tp, one fp for note.
    both = region_counts([("margin_note", note)], [("margin_note", note), ("signature", note)])
    assert both["note"] == RegionCounts(tp=1, fp=1, fn=0)


def test_counts_add_up_kind_by_kind():
    a = {"insertion": RegionCounts(1, 0, 1), "stamp": RegionCounts(0, 2, 0)}
    b = {"insertion": RegionCounts(2, 1, 0)}
    total = add_counts(a, b)
    assert total == {"insertion": RegionCounts(3, 1, 1), "stamp": RegionCounts(0, 2, 0)}
    assert total["insertion"].recall == 3 / 4 and total["insertion"].precision == 3 / 4
