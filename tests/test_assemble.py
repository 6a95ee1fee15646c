"""Assembly of regions and markup from a layout and the words read in it."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from ocr import markup
from ocr.assemble import assemble, confirm_strikes, split_at_strikes
from ocr.layout_model import HandBlock, Strike, TypedRow
from ocr.model import Box, Word
from ocr.recognize import RowText


def _page(strikes: list[Strike]):
    row = TypedRow(box=Box(0, 100, 600, 130), members=(), baseline=125, char_height=20.0, phase=10.0,
                   coherence=1.0)
    words = (Word("товарищ", Box(0, 100, 140, 130), 0.9), Word("етпасте", Box(160, 100, 300, 130), 0.3),
             Word("3.(//.5", Box(300, 100, 440, 130), 0.3), Word("сказал", Box(460, 100, 580, 130), 0.9))
    layout = SimpleNamespace(rows=(row,), strikes=tuple(strikes), hand=(), stamps=())
    return assemble(layout, [RowText(words, (False, True, False, True))], [], to_source=lambda b: b)


def test_strikes_over_touching_characters_become_one_deletion() -> None:
    # two strikes over two pieces read without a space between: "~~a~~~~b~~" would not parse
    pen = Strike(row=0, box=Box(150, 100, 300, 130), kind="pen")
    pen_again = Strike(row=0, box=Box(300, 100, 450, 130), kind="pen")
    result = _page([pen, pen_again])
    deletions = [r for r in result.regions if r.kind == "deletion"]
    assert [d.text for d in deletions] == ["етпасте3.(//.5"]
    assert deletions[0].box == Box(160, 100, 440, 130)  # the struck words' box, not the strokes'
    assert markup.parse(result.markup).deletions() == ["етпасте3.(//.5"]
    assert result.markup == "товарищ ~~етпасте3.(//.5~~ сказал"


def test_a_deletion_is_the_whole_word_a_short_stroke_crosses() -> None:
    result = _page([Strike(row=0, box=Box(470, 100, 540, 130), kind="pen")])  # through the middle of "сказал"
    deletion = next(r for r in result.regions if r.kind == "deletion")
    assert deletion.text == "сказал" and deletion.box == Box(460, 100, 580, 130)


@pytest.mark.parametrize("read, conf, overtyped", [
    ("хакшихвиа", 0.77, True),  # "закончена" with х typed over it: thick with х, read with some confidence
    ("ИрИНИ8ЯАЯ", 0.0, True),  # unreadable
    ("КПСС", 0.9, False),  # capitals carry more ink than small letters
    ("воя", 0.46, False),  # a known word, read with doubt: dense type, not over-typing
    ("даже", 0.97, False),
])
def test_overtyping_candidates_are_confirmed_by_how_they_read(read: str, conf: float, overtyped: bool) -> None:
    row = RowText((Word("было", Box(0, 100, 100, 130), 0.9), Word(read, Box(120, 100, 300, 130), conf)),
                  (False, True))
    candidate = Strike(row=0, box=Box(110, 100, 310, 130), kind="overtype", density=1.3)
    pen = Strike(row=0, box=Box(0, 100, 100, 130), kind="pen")
    assert confirm_strikes([pen, candidate], [row]) == ((pen, candidate) if overtyped else (pen,))


def test_a_strip_thinner_than_handwriting_is_no_note() -> None:
    row = TypedRow(box=Box(0, 100, 600, 130), members=(), baseline=125, char_height=20.0, phase=10.0,
                   coherence=1.0)
    fold = HandBlock(box=Box(0, 300, 1500, 312), members=(), kind="margin_note")  # a fold line, 0.6 type heights
    note = HandBlock(box=Box(100, 400, 500, 450), members=(), kind="margin_note")  # 2.5 type heights
    layout = SimpleNamespace(rows=(row,), strikes=(), hand=(fold, note), stamps=(), char_height=20.0)
    read = RowText((Word("ИВ", Box(0, 300, 100, 312), 0.4), Word("ООО", Box(200, 300, 300, 312), 0.4)))
    written = RowText((Word("В", Box(100, 400, 130, 450), 0.6), Word("дело", Box(150, 400, 300, 450), 0.6)))
    result = assemble(layout, [RowText((Word("текст", Box(0, 100, 100, 130), 0.9),))], [read, written],
                      to_source=lambda b: b)
    assert [r.text for r in result.regions if r.kind == "margin_note"] == ["В дело"]
    assert result.markup == "текст\n<note>В дело</note>"


def test_a_row_where_nothing_was_read_is_no_typed_line() -> None:
    rows = tuple(TypedRow(box=Box(0, y, 600, y + 30), members=(), baseline=y + 25, char_height=20.0, phase=10.0,
                          coherence=1.0) for y in (100, 150, 200))
    layout = SimpleNamespace(rows=rows, strikes=(), hand=(), stamps=(), char_height=20.0)
    read = [RowText((Word("первая", Box(0, 100, 120, 130), 0.9),)), RowText(()),
            RowText((Word("третья", Box(0, 200, 120, 230), 0.9),))]
    result = assemble(layout, read, [], to_source=lambda b: b)
    assert [r.text for r in result.regions if r.kind == "typed_line"] == ["первая", "третья"]
    assert result.markup == "первая\nтретья"


def test_two_insertions_at_one_place_read_left_to_right() -> None:
    # both over the struck word: both go after it, the left one first, whatever they say
    row = TypedRow(box=Box(0, 100, 600, 130), members=(), baseline=125, char_height=20.0, phase=10.0,
                   coherence=1.0)
    right = HandBlock(box=Box(300, 60, 440, 95), members=(), kind="insertion", row=0)
    left = HandBlock(box=Box(150, 60, 290, 95), members=(), kind="insertion", row=0)
    layout = SimpleNamespace(rows=(row,), strikes=(Strike(row=0, box=Box(150, 100, 450, 130), kind="pen"),),
                             hand=(right, left), stamps=(), char_height=20.0)
    read = RowText((Word("было", Box(0, 100, 120, 130), 0.9), Word("зачеркнуто", Box(150, 100, 450, 130), 0.9),
                    Word("здесь", Box(470, 100, 580, 130), 0.9)))
    hands = [RowText((Word("алая", Box(300, 60, 440, 95), 0.8),)), RowText((Word("роза", Box(150, 60, 290, 95), 0.8),))]
    result = assemble(layout, [read], hands, to_source=lambda b: b)
    assert result.markup == "было ~~зачеркнуто~~ <sup>роза</sup> <sup>алая</sup> здесь"


@pytest.mark.parametrize("typed, struck, written, expected", [
    ("нам дана здесь", False, "Возможность", "нам дана <sup>возможность</sup> здесь"),  # mid-sentence
    ("Было так. Здесь", False, "Потом", "Было так. <sup>Потом</sup> Здесь"),  # after a full stop
    ("нам дана здесь", False, "МВД", "нам дана <sup>МВД</sup> здесь"),  # capitals
    ("руб. Около тонн", True, "Свыше", "руб. ~~Около~~ <sup>Свыше</sup> тонн"),  # for a word that began a sentence
])
def test_an_insertion_into_a_sentence_begins_in_small_letters(typed: str, struck: bool, written: str,
                                                              expected: str) -> None:
    row = TypedRow(box=Box(0, 100, 600, 130), members=(), baseline=125, char_height=20.0, phase=10.0,
                   coherence=1.0)
    first, middle, last = typed.split(" ")
    read = RowText((Word(first, Box(0, 100, 220, 130), 0.9), Word(middle, Box(240, 100, 400, 130), 0.9),
                    Word(last, Box(420, 100, 580, 130), 0.9)))
    strikes = (Strike(row=0, box=Box(240, 100, 400, 130), kind="pen"),) if struck else ()
    block = HandBlock(box=Box(240, 60, 400, 95) if struck else Box(380, 60, 440, 95), members=(),
                      kind="insertion", row=0, caret_x=None if struck else 410)
    layout = SimpleNamespace(rows=(row,), strikes=strikes, hand=(block,), stamps=(), char_height=20.0)
    result = assemble(layout, [read], [RowText((Word(written, block.box, 0.8),))], to_source=lambda b: b)
    assert result.markup == expected


@pytest.mark.parametrize("read, conf", [("", 0.0), ("~", 0.3), ("В. Ефремов", 0.05)])  # nothing, a mark, no trust
def test_a_signature_read_as_nothing_stays_a_region_without_text(read: str, conf: float) -> None:
    row = TypedRow(box=Box(0, 100, 600, 130), members=(), baseline=125, char_height=20.0, phase=10.0,
                   coherence=1.0)
    scrawl = HandBlock(box=Box(300, 200, 700, 280), members=(), kind="signature")
    hole = HandBlock(box=Box(10, 400, 90, 480), members=(), kind="signature")  # a punch hole's round rim
    layout = SimpleNamespace(rows=(row,), strikes=(), hand=(scrawl, hole), stamps=(), char_height=20.0)
    unread = RowText((Word(read, Box(300, 200, 700, 280), conf),) if read else ())
    hole_read = RowText((Word("О", Box(10, 400, 90, 480), 0.9),))
    result = assemble(layout, [RowText((Word("текст", Box(0, 100, 100, 130), 0.9),))], [unread, hole_read],
                      to_source=lambda b: b)
    signatures = [r for r in result.regions if r.kind == "signature"]
    assert [(r.box, r.text, r.conf) for r in signatures] == [(Box(300, 200, 700, 280), "", 0.0)]
    assert result.markup == "текст"


PITCH = 16.0


def _typed(text: str, cell: int) -> Word:
    """A word typed from ``cell``, one cell a character."""
    return Word(text, Box(int(cell * PITCH), 100, int((cell + len(text)) * PITCH), 120), 0.8)


@pytest.mark.parametrize("text, start, stop, words", [
    ("готова`оказахь.", 7, 15, ["готова", "оказахь."]),  # the pen from the space before the word
    ("оказать`готова", 0, 7, ["оказать", "готова"]),  # and on into the space after it
    ("готова`оказахь.", 5, 15, ["готова`оказахь."]),  # a stroke from inside a letter leaves the word whole
    ("северозападный", 6, 14, ["северозападный"]),  # no mark where the stroke starts
    ("в`оказать", 2, 9, ["в`оказать"]),  # one letter is no word to cut off
    ("оказать,готова", 0, 7, ["оказать,", "готова"]),  # a comma glued on over the space stays with its word
])
def test_a_word_running_across_a_strikes_end_is_cut_where_it_reads_the_space_as_a_mark(
        text: str, start: int, stop: int, words: list[str]) -> None:
    row = RowText((_typed("что", 30), _typed(text, 34)), (False, True))
    shifted = Box(int((34 + start) * PITCH), 95, int((34 + stop) * PITCH), 125)
    out = split_at_strikes([Strike(row=0, box=shifted, kind="pen")], [row], pitch=PITCH)
    assert [w.text for w in out[0].words] == ["что", *words]
    if len(words) == 2:
        left, right = out[0].words[1:]
        cut = shifted.x0 if start else shifted.x1
        mark = PITCH if left.text[-1] == "," else 0  # the comma's cell, past the stroke's end
        assert left.box.x1 <= cut + mark and cut <= right.box.x0 and out[0].text == "что " + " ".join(words)
