"""The post-correction pass: hand-checked words against wordfreq's Russian list, the words it
must never touch (SPEC §1 typewriter habits), and its place in the pipeline and the CLI."""
from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import pytest

from ocr.batch import TesseractProcess, add_arguments
from ocr.imageio import SourcePage
from ocr.model import Box, Word
from ocr.pipeline import process_page
from ocr.lexicon import nearest_word, shape_distance
from ocr.postcorrect import (HAND_MAX_RATIO, STRUCK_MAX_RATIO, _candidates, correct_far, correct_word, settle_case,
                             join_split_words, postcorrect, restore_short_i)
from ocr.recognize import RowText
from tests.fakes import FakeEngine
from tests.rendering import typed_page

pytest.importorskip("wordfreq")


def _row(*words: str | tuple[str, float], glued: tuple[int, ...] = ()) -> RowText:
    """A typed row of words 100 px apart; a word index in ``glued`` follows its neighbour without a space."""
    items = [(w, 0.5) if isinstance(w, str) else w for w in words]
    out = tuple(Word(text, Box(100 * i, 0, 100 * i + 80, 30), conf) for i, (text, conf) in enumerate(items))
    return RowText(out, tuple(i > 0 and i not in glued for i in range(len(out))))


def _texts(rows) -> list[str]:
    return [row.text for row in rows]


def _lexicon(**zipf: float):
    return lambda word: zipf.get(word.lower(), 0.0)


# -- hand-checked corrections (wordfreq's Russian list) ----------------------------------------------

@pytest.mark.parametrize("read, meant", [
    ("серьезнсе", "серьезное"),  # о read as с
    ("чекоторых", "некоторых"),  # н read as ч
    ("норвехское", "норвежское"),  # ж read as х
    ("рабсчих", "рабочих"),
    ("о6разом", "образом"),  # б read as the digit 6
    ("одновремен:о", "одновременно"),  # a broken н read as a colon
    ("бол.шим", "большим"),  # a broken ь read as a full stop
    ("Колхсзы", "Колхозы"),  # the capital stays
])
def test_doubtful_words_become_the_word_typed(read: str, meant: str) -> None:
    assert _texts(postcorrect([_row("и", read, "было")]).rows) == [f"и {meant} было"]


def test_a_word_known_with_a_hard_sign_put_back_is_a_typewriter_habit() -> None:
    # SPEC §1: "подема" is "подъема" typed without ъ; "под'ема" with an apostrophe.
    rows = [_row("для", "подема", "и", "под'ема", "обема")]
    assert _texts(postcorrect(rows).rows) == ["для подема и под'ема обема"]
    near = _lexicon(подъема=3.6, подома=5.0, объема=3.0, обыма=5.0)  # a look-alike more common than the ъ form
    assert _texts(postcorrect(rows, frequency=near).rows) == ["для подема и под'ема обема"]
    assert _texts(postcorrect([_row("для", "подема")], frequency=_lexicon(подома=5.0)).rows) == ["для подома"]
    assert all("ъ" not in c and "ё" not in c for c in _candidates("подема", 2, replace_stray=True))


def test_abbreviations_numerals_and_short_words_are_left_alone() -> None:
    lexicon_zipf = {"кпос": 5.0, "узм": 5.0, "по": 7.0, "был": 6.0}
    words = ["КПСС", "УШ", "Ш", "ХХ", "N", "56г.", "2-х", "1954", "ит.д.", "т.п."]
    result = postcorrect([_row(*words)], frequency=_lexicon(итд=3.0, тп=3.0, **lexicon_zipf))
    assert _texts(result.rows) == [" ".join(words)] and not result.changes
    assert result.checked == 0


def test_a_long_word_in_capitals_is_corrected_in_capitals() -> None:
    """A heading's word is no abbreviation: ``ДЕГУТАТОВ`` is ``ДЕПУТАТОВ``, as
    ``дегутатов`` would be ``депутатов``; ``КПСС`` beside it stays."""
    result = postcorrect([_row("СОВЕТ", ("ДЕГУТАТОВ", 0.6), "КПСС")])
    assert _texts(result.rows) == ["СОВЕТ ДЕПУТАТОВ КПСС"]


@pytest.mark.parametrize("read, meant", [("пс", "по"), ("пе", "не"), ("дс", "до"), ("з", "в"), ("ча", "на")])
def test_a_rare_short_word_becomes_the_common_one_a_confusion_away(read: str, meant: str) -> None:
    result = postcorrect([_row("было", (read, 0.99), "плана")])
    assert _texts(result.rows) == [f"было {meant} плана"] and len(result.changes) == 1


def test_common_short_words_capitals_and_short_words_near_two_common_ones_stay() -> None:
    words = ["по", "на", "в", "к", "Ло", "Ш", "го", "т."]  # го: по and то are as common
    assert _texts(postcorrect([_row(*words)]).rows) == [" ".join(words)]


def test_a_confidently_read_unknown_word_stays() -> None:
    rows = [_row("и", ("серьезнсе", 0.97), "было")]
    result = postcorrect(rows)
    assert _texts(result.rows) == ["и серьезнсе было"] and result.doubtful == 0


def test_a_candidate_must_be_clearly_ahead_of_the_runner_up() -> None:
    # Komi "аскадӧ" read as "скадо": two Russian look-alikes of similar frequency, neither wins.
    assert correct_word("скадо", frequency=_lexicon(скало=2.4, скаде=2.2)) is None
    assert correct_word("скадо", frequency=_lexicon(скало=2.4)) == "скало"
    assert correct_word("скадо", frequency=_lexicon(скало=1.5)) is None  # too rare to trust


@pytest.mark.parametrize("komi_as_read", ["скадо", "портома", "босьтом", "сермодчин", "тышб", "коддс"])
def test_komi_words_read_by_the_russian_model_stay(komi_as_read: str) -> None:
    # Tesseract's readings of Komi words from the 1939 newspaper lines (ӧ comes out as о or б).
    # Not "идралом": a word of seven letters or more one letter from a common word of the same
    # length is taken for it (идеалом), the price of mending worn Russian type (the long-word test).
    assert _texts(postcorrect([_row("да", komi_as_read, "да")]).rows) == [f"да {komi_as_read} да"]


def test_komi_letters_mark_a_word_as_not_russian() -> None:
    lexicon = _lexicon(скало=4.0)
    assert _texts(postcorrect([_row("да", "скадо")], frequency=lexicon).rows) == ["да скало"]
    result = postcorrect([_row("да", "скадӧ")], frequency=lexicon)
    assert _texts(result.rows) == ["да скадӧ"] and result.checked == 0


def test_halves_of_a_hyphen_broken_word_stay() -> None:
    lexicon = _lexicon(развортыва=4.0, нлями=4.0, поле=5.0)  # each a candidate for its half
    rows = [_row("для", "развертыва-"), _row("ниями", "полс")]
    result = postcorrect(rows, frequency=lexicon)
    assert _texts(result.rows) == ["для развертыва-", "ниями поле"]
    assert [c.before for c in result.changes] == ["полс"]


def test_pieces_read_without_a_space_are_one_word_and_become_one() -> None:
    row = _row("из", "апатито:", "ого", "концентрата", glued=(2,))
    result = postcorrect([row])
    assert _texts(result.rows) == ["из апатитового концентрата"]
    merged = result.rows[0].words[1]
    assert merged.box == Box(100, 0, 280, 30)
    assert [(c.before, c.after) for c in result.changes] == [("апатито:ого", "апатитового")]


def test_capital_mid_sentence_is_lowered_only_when_asked() -> None:
    assert correct_word("Госуларству", mid_sentence=True) == "Государству"
    assert correct_word("Госуларству", mid_sentence=True, lower_mid_sentence=True) == "государству"
    assert correct_word("Госуларству", mid_sentence=False, lower_mid_sentence=True) == "Государству"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_conf"):
        postcorrect([], max_conf=1.5)
    with pytest.raises(ValueError, match="max_edits"):
        postcorrect([], max_edits=3)


# -- the pipeline and the command line --------------------------------------------------------------

def test_pipeline_records_the_pass_and_can_skip_it(tmp_path: Path) -> None:
    image = typed_page(lines=3)
    source = SourcePage(path=tmp_path / "p.png", index=0, image=image, dpi=300)
    on = process_page(source, engine=FakeEngine(lines=[["серьезнсе", "внимание"]], conf=0.5))
    off = process_page(source, engine=FakeEngine(lines=[["серьезнсе", "внимание"]], conf=0.5), postcorrect=False)
    assert "серьезное внимание" in on.markup and "серьезнсе внимание" in off.markup
    step = next(s for s in on.steps if s.name == "postcorrect")
    assert step.values["words_checked"] == 6 and step.values["words_changed"] == 3
    assert step.params["enabled"] is True and "max_conf" in step.params
    assert next(s for s in off.steps if s.name == "postcorrect").values["words_changed"] == 0


def test_cli_flag_reaches_the_worker() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["x", "--out", "o"]).postcorrect is True
    assert parser.parse_args(["x", "--out", "o", "--no-postcorrect"]).postcorrect is False
    clone = pickle.loads(pickle.dumps(TesseractProcess(postcorrect=False)))
    assert clone.postcorrect is False


def test_numero_sign_read_as_em_becomes_typed_n_again() -> None:
    from ocr.model import Box, Word
    from ocr.postcorrect import restore_numero
    from ocr.recognize import RowText

    def row(*texts: str) -> RowText:
        return RowText(tuple(Word(t, Box(i * 100, 0, i * 100 + 60, 20), 0.9) for i, t in enumerate(texts)),
                       tuple(i > 0 for i in range(len(texts))))

    fixed, changed = restore_numero(row("печей", "М", "3", "и", "№", "5"))
    assert fixed.text == "печей N 3 и N 5" and changed == [(1, "М"), (4, "№")]
    same, changed = restore_numero(row("М.", "Горький", "М", "Иванов"))  # no number after: left alone
    assert same.text == "М. Горький М Иванов" and not changed


# -- far corrections: struck words and handwriting (the nearest common word) ----------------------

@pytest.mark.parametrize("read, meant", [
    ("нвобходимое", "необходимое"),  # read under a pen stroke on the corpus
    ("денолнитепьно", "дополнительно"),
    ("раєсматрепи", "рассмотрели"),
    ("придыли", "прибыли"),  # handwriting read with a print model
    ("фозможность", "возможность"),
])
def test_nearest_word_finds_the_struck_or_written_word(read: str, meant: str) -> None:
    assert nearest_word(read, max_ratio=0.5) == meant


def test_nearest_word_gives_up_when_nothing_is_near() -> None:
    assert nearest_word("кхбяижайиви", max_ratio=0.4) is None


def test_shape_distance_charges_half_for_letters_of_one_shape() -> None:
    assert shape_distance("пиво", "ниво") == 0.5  # п/н: one shape group
    assert shape_distance("пиво", "диво") == 1.0
    assert shape_distance("пиво", "пиво") == 0.0


def test_correct_far_repairs_only_the_words_in_its_span() -> None:
    row = _row("окажет", "нвобходимое", "содействие", "нвобходимое")
    fixed, changed = correct_far(row, max_ratio=STRUCK_MAX_RATIO, in_span=lambda w: w.box.x0 < 200)
    assert fixed.text == "окажет необходимое содействие нвобходимое"
    assert changed == [(1, "нвобходимое")]


def test_correct_far_keeps_what_was_typed_or_written_on_purpose() -> None:
    row = _row("МВД", "подема", "56г.", "об'ема", "ЦК")
    assert correct_far(row, max_ratio=HAND_MAX_RATIO, capitals_meant=False) == (row, [])


def test_correct_far_lowercases_handwriting_read_in_capitals() -> None:
    fixed, _ = correct_far(_row("точку", "ЗРЕНИЯ"), max_ratio=HAND_MAX_RATIO, capitals_meant=False)
    assert fixed.text == "точку зрения"
    typed, _ = correct_far(_row("ЗАПИСЬ", "БЕСЕДЫ"), max_ratio=STRUCK_MAX_RATIO)
    assert typed.text == "ЗАПИСЬ БЕСЕДЫ"


def test_handwritten_pieces_read_apart_are_joined_when_together_they_make_a_word() -> None:
    def row(*texts: str) -> RowText:
        return RowText(tuple(Word(t, Box(60 * i, 0, 60 * i + 50, 30), 0.5) for i, t in enumerate(texts)))

    joined, changes = join_split_words(row("острой", "нех", "баткой"))
    assert [w.text for w in joined.words] == ["острой", "нехбаткой"] and changes == [(1, "нех баткой")]
    assert joined.words[1].box == Box(60, 0, 170, 30)
    for apart in (row("и", "нехонкретно"), row("кадров", "мер"), row("бл", "ст")):
        assert join_split_words(apart) == (apart, [])


def test_a_lone_small_letter_that_is_no_word_joins_its_neighbour() -> None:
    def row(*texts: str) -> RowText:
        return RowText(tuple(Word(t, Box(60 * i, 0, 60 * i + 50, 30), 0.5) for i, t in enumerate(texts)))

    assert [w.text for w in join_split_words(row("т", "рехсменная"))[0].words] == ["трехсменная"]
    assert [w.text for w in join_split_words(row("отде", "л"))[0].words] == ["отдел"]
    for apart in (row("в", "рехсменная"), row("Г", "Литвинов"), row("т.", "Кобзеву")):  # a word, an initial
        assert join_split_words(apart) == (apart, [])


@pytest.mark.parametrize("read, meant", [
    ("снегоочистителеи", "снегоочистителей"), ("протокольныи,", "протокольный,"), ("каждыи", "каждый"),
    ("мои", "мои"), ("идеи", "идеи"), ("организации", "организации"), ("выи", "выи"),
])
def test_a_final_i_without_its_breve_gets_it_back_where_the_word_needs_it(read: str, meant: str) -> None:
    row = RowText((Word(read, Box(0, 0, 50, 30), 0.5),))
    assert restore_short_i(row)[0].words[0].text == meant


def test_a_long_typed_word_read_one_letter_wrong_outside_the_confusions_is_mended() -> None:
    # г for в and с for р are no shape confusions of the list; the words are long enough to be sure
    fixed = postcorrect([_row("Госстановления", "товасищей", "торга", "Кобзеву")]).rows
    # a short unknown word stays; so does a surname a letter longer than a word (Кобзев)
    assert _texts(fixed) == ["Восстановления товарищей торга Кобзеву"]


def test_capitals_inside_a_handwritten_word_become_small_letters() -> None:
    row = RowText(tuple(Word(t, Box(10 * i, 0, 10 * i + 8, 10), 0.5)
                        for i, t in enumerate(["руКОводЯщих", "сКазал", "МетОДов", "Ким", "МВД", "и"])))
    settled, changed = settle_case(row)
    assert settled.text == "руководящих сказал Методов Ким МВД и"
    assert [i for i, _ in changed] == [0, 1, 2]
    assert settle_case(settled)[1] == []
