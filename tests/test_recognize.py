"""Recognition helpers that use the typewriter grid: spaces Tesseract left out."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.model import Box, Word
from ocr.recognize import (NOT_ON_A_TYPEWRITER, TURNS, _inked_cells, _unturned, isolate, restore_capitals,
                           split_at_blank_cells, trim_specks)

PITCH, PHASE = 20.0, 10.0  # cell k is centred at x = 10 + 20 k


def _inked(pattern: str) -> dict[int, bool]:
    """Cells 0.. inked where ``pattern`` has a non-space character."""
    return {k: ch != " " for k, ch in enumerate(pattern)}


def _word(text: str, first: int, last: int) -> Word:
    """A word whose box spans cells ``first``..``last``."""
    return Word(text, Box(int(PHASE + (first - 0.4) * PITCH), 0, int(PHASE + (last + 0.4) * PITCH), 30), 0.8)


def test_a_word_read_across_blank_cells_is_split_there() -> None:
    pieces = split_at_blank_cells(_word("-2-", 0, 4), _inked("- 2 -"), phase=PHASE, pitch=PITCH)
    assert [p.text for p in pieces] == ["-", "2", "-"]
    assert all(b.box.x0 - a.box.x1 >= 0.9 * PITCH for a, b in zip(pieces, pieces[1:]))


def test_glued_words_are_split_at_their_blank_cells() -> None:
    line = "строительство освоены в"
    pieces = split_at_blank_cells(_word(line.replace(" ", ""), 0, len(line) - 1), _inked(line),
                                  phase=PHASE, pitch=PITCH)
    assert [p.text for p in pieces] == line.split()


def test_a_word_stays_whole_when_its_cells_do_not_match_its_letters() -> None:
    # a letter lost in reading: five inked cells for four letters, so no cell can be told a space
    word = _word("абвг", 0, 5)
    assert split_at_blank_cells(word, _inked("аб вгд"), phase=PHASE, pitch=PITCH) == (word,)
    whole = _word("слово", 0, 4)
    assert split_at_blank_cells(whole, _inked("слово"), phase=PHASE, pitch=PITCH) == (whole,)


def test_inked_cells_ignore_a_neighbour_spilling_over_the_cell_edge() -> None:
    crop = np.full((30, 100), 255, np.uint8)
    crop[5:25, 4:16] = 0  # a letter in cell 0 (x 0..20)
    crop[5:25, 18:23] = 0  # a wide letter's edge reaching into cell 1, not its middle
    crop[5:25, 64:76] = 0  # a letter in cell 3
    inked = _inked_cells(crop, Box(0, 0, 100, 30), phase=PHASE, pitch=PITCH)
    assert inked == {0: True, 1: False, 2: False, 3: True, 4: False}


def test_specks_read_at_the_ends_of_a_typed_row_are_dropped() -> None:
    def words(*items: tuple[str, float]) -> tuple[Word, ...]:
        return tuple(Word(text, Box(40 * i, 0, 40 * i + 30, 30), conf) for i, (text, conf) in enumerate(items))

    row = words(("`", 0.3), ("было", 0.9), ("тонн.", 0.9), (",", 0.2), ("ч", 0.1), ("|", 0.4))
    assert [w.text for w in trim_specks(row)] == ["было", "тонн."]


def test_typed_marks_and_short_words_at_the_ends_stay() -> None:
    row = (Word("-", Box(0, 0, 10, 30), 0.2), Word("2", Box(40, 0, 50, 30), 0.5), Word("-", Box(80, 0, 90, 30), 0.2))
    assert trim_specks(row) == row
    ends = (Word("и", Box(0, 0, 10, 30), 0.3), Word("Ш", Box(40, 0, 50, 30), 0.3),
            Word("мес-", Box(80, 0, 150, 30), 0.9), Word(";", Box(160, 0, 170, 30), 0.95))
    assert trim_specks(ends) == ends


def test_nothing_a_russian_typewriter_types_is_kept_from_recognition() -> None:
    russian = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    keys = russian + russian.upper() + "0123456789.,:;!?\"'()-/%№+=«»"
    assert not set(NOT_ON_A_TYPEWRITER) & set(keys)
    assert not any(ch.isascii() and ch.isalnum() for ch in NOT_ON_A_TYPEWRITER)


def _heights(pattern: str, *, small: int = 17, capital: int = 20) -> dict[int, int]:
    """Cell heights: 'C' a capital-tall cell, 'x' an x-height cell, ' ' blank."""
    return {k: capital if ch == "C" else small for k, ch in enumerate(pattern) if ch != " "}


def _words(line: str) -> tuple[Word, ...]:
    """The words of ``line``, each in its cells (one space between them)."""
    words, k = [], 0
    for text in line.split():
        words.append(_word(text, k, k + len(text) - 1))
        k += len(text) + 1
    return tuple(words)


def test_capitals_read_as_small_letters_are_restored_by_their_height() -> None:
    tall = "Cxxx Cxx Cx Cxx CCCC xxxxxx"
    restored = restore_capitals(_words("Тов. ким Ир сен кпсс заявил"), _heights(tall), phase=PHASE, pitch=PITCH)
    assert [w.text for w in restored] == ["Тов.", "Ким", "Ир", "Сен", "КПСС", "заявил"]


def test_small_letters_read_as_capitals_are_lowered_by_their_height() -> None:
    tall = "Cxxx Cxx xxxxx xxxxxxxxxxxx Cxx"
    settled = restore_capitals(_words("Тов. Ким Тогда Изнашиваются Год"), _heights(tall), phase=PHASE, pitch=PITCH)
    assert [w.text for w in settled] == ["Тов.", "Ким", "тогда", "изнашиваются", "Год"]


def test_case_stays_as_read_where_the_row_shows_no_capital_heights() -> None:
    words = (_word("ким", 0, 2), _word("заявил", 4, 9))
    no_capital_read = restore_capitals(words, _heights("Cxx xxxxxx"), phase=PHASE, pitch=PITCH)
    assert [w.text for w in no_capital_read] == ["ким", "заявил"]
    words = (_word("Тов.", 0, 3), _word("ким", 5, 7), _word("заявил", 9, 14))
    flat_face = restore_capitals(words, _heights("Cxxx Cxx xxxxxx", capital=17), phase=PHASE, pitch=PITCH)
    assert [w.text for w in flat_face] == ["Тов.", "ким", "заявил"]


def test_a_typed_row_crop_keeps_faint_strokes_the_binarization_left_out_but_not_other_ink() -> None:
    gray = np.full((20, 60), 250, np.uint8)
    labels = np.zeros((20, 60), np.int32)
    gray[5:15, 5:10], labels[5:15, 5:10] = 90, 1  # a letter of the row
    gray[5:15, 20:25] = 210  # a faint letter: no component
    gray[5:15, 40:45], labels[5:15, 40:45] = 60, 2  # someone's handwriting
    gray[2, 30] = 238  # paper grain
    crop, _ = isolate(gray, labels, (1,), Box(0, 0, 60, 20), pad=0, faint_below=225)
    assert (crop[5:15, 5:10] == 90).all() and (crop[5:15, 20:25] == 210).all()
    assert (crop[:, 38:47] == 255).all() and crop[2, 30] == 255
    plain, _ = isolate(gray, labels, (1,), Box(0, 0, 60, 20), pad=0)
    assert (plain[5:15, 20:25] == 255).all()


def test_a_hand_crop_keeps_the_faint_strokes_joined_to_its_ink_and_no_other() -> None:
    gray = np.full((20, 80), 250, np.uint8)
    labels = np.zeros((20, 80), np.int32)
    gray[8:11, 5:15], labels[8:11, 5:15] = 200, 1   # the pencil stroke the binarization kept
    gray[8:11, 15:24] = 228                         # its thin end, left out
    gray[8:11, 40:45] = 228                         # a faint speck of its own
    gray[8:11, 55:60], labels[8:11, 55:60] = 60, 2  # a typed letter close by
    gray[8:11, 60:66] = 228                         # and its faint edge
    crop, _ = isolate(gray, labels, (1,), Box(0, 0, 80, 20), pad=0, faint_joined=True)
    assert (crop[8:11, 5:24] < 250).all()
    assert (crop[:, 30:] == 255).all()
    plain, _ = isolate(gray, labels, (1,), Box(0, 0, 80, 20), pad=0)
    assert (plain[8:11, 17:24] == 255).all()


def test_a_hand_crop_does_not_grow_into_the_stain_its_ink_lies_in() -> None:
    gray = np.full((20, 80), 250, np.uint8)
    labels = np.zeros((20, 80), np.int32)
    gray[6:14, 0:80] = 228                        # a faint fold across the page
    gray[8:11, 30:36], labels[8:11, 30:36] = 200, 1  # a speck the binarization kept in it
    crop, _ = isolate(gray, labels, (1,), Box(0, 0, 80, 20), pad=0, faint_joined=True)
    assert (crop[:, :25] == 255).all() and (crop[:, 41:] == 255).all()


@pytest.mark.parametrize("turn", TURNS)
def test_a_box_in_a_turned_crop_maps_back_onto_the_crop(turn: int) -> None:
    crop = np.full((40, 90), 255, np.uint8)
    crop[5:12, 60:80] = 0  # a mark off every axis of symmetry
    turned = cv2.rotate(crop, turn)
    ys, xs = np.nonzero(turned < 128)
    found = Box(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    assert _unturned(found, turn, crop.shape, Box(100, 200, 190, 240)) == Box(160, 205, 180, 212)
