"""Metrics of SPEC §5: hand-checked cases, agreement with dinglehopper, properties."""
from __future__ import annotations

import math
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr.metrics import (
    ErrorCounts,
    SpanCounts,
    cer,
    cer_n,
    distance,
    graphemes,
    match_spans,
    micro_average,
    normalize,
    normalized_distance,
    span_counts,
    span_f1,
    total,
    wer,
    wer_n,
    words,
)

COMBINING_ACUTE, COMBINING_BREVE, COMBINING_DIAERESIS = "\u0301", "\u0306", "\u0308"
I_SHORT_DECOMPOSED = "и" + COMBINING_BREVE  # й as и + breve
YO_DECOMPOSED = "е" + COMBINING_DIAERESIS  # ё as е + diaeresis
FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # man ZWJ woman ZWJ girl


# --------------------------------------------------------------------------- normalisation


def test_normalize_nfc_whitespace_and_ends():
    assert normalize("  Тов.\t\tКим \n\n пришёл  ") == "Тов. Ким пришёл"
    assert normalize("под" + I_SHORT_DECOMPOSED) == "подй"
    assert normalize("a\u00a0\u2003b") == "a b"  # no-break and em space are whitespace too
    assert normalize(" \n\t ") == ""


def test_graphemes_count_clusters_not_code_points():
    assert graphemes("ле" + COMBINING_ACUTE + "с") == ["л", "е" + COMBINING_ACUTE, "с"]
    assert graphemes(FAMILY) == [FAMILY]  # 5 code points, one cluster
    assert graphemes("\U0001F1F7\U0001F1FA") == ["\U0001F1F7\U0001F1FA"]  # a flag: two regional indicators
    assert graphemes("") == []


def test_words_split_on_whitespace_after_normalisation():
    assert words("  мама\nмыла\t раму ") == ["мама", "мыла", "раму"]
    assert words("   ") == []


# --------------------------------------------------------------------------- CER, hand-checked


def test_cer_one_substitution_in_eight():
    # "Тов. Ким" = Т о в . ␠ К и м = 8 clusters; и -> я is 1 substitution: 1/8.
    assert cer("Тов. Ким", "Тов. Кям") == 1 / 8
    assert cer_n("Тов. Ким", "Тов. Кям") == (1 / 8, 8)


def test_cer_counts_insertions_and_deletions():
    # "подема" -> "под'ема": one inserted apostrophe; gt has 6 clusters.
    assert cer_n("подема", "под'ема") == (1 / 6, 6)
    # "23. IX. 56г." (12 clusters) -> "23. IX 56г": "." after IX and final "." deleted: 2/12.
    assert cer_n("23. IX. 56г.", "23. IX 56г") == (2 / 12, 12)


def test_combining_mark_is_one_cluster():
    # "ле́с" is л, е+◌́, с = 3 clusters; dropping the accent substitutes one cluster.
    assert cer_n("ле" + COMBINING_ACUTE + "с", "лес") == (1 / 3, 3)
    # two marks on one letter still make one cluster: one substitution, not two deletions.
    assert distance("е" + COMBINING_ACUTE + COMBINING_DIAERESIS, "е") == 1


def test_decomposed_and_composed_letters_are_equal():
    assert distance(I_SHORT_DECOMPOSED, "й") == 0
    assert distance("вс" + YO_DECOMPOSED, "всё") == 0
    assert cer_n("Ки" + I_SHORT_DECOMPOSED, "Кий") == (0.0, 3)


def test_emoji_zwj_and_flags_count_once():
    # "a👨‍👩‍👧b" is 3 clusters; losing the family is 1 deletion, not 5.
    assert cer_n("a" + FAMILY + "b", "ab") == (1 / 3, 3)
    assert distance("\U0001F1F7\U0001F1FA", "\U0001F1F7\U0001F1F8") == 1  # RU flag vs RS flag


def test_whitespace_differences_do_not_count():
    assert cer("Тов.  Ким\n", " Тов. Ким") == 0.0
    # but a missing space is a deletion: "ab" vs "a b" gt has 3 clusters.
    assert cer_n("a b", "ab") == (1 / 3, 3)


def test_empty_cases():
    assert cer_n("", "") == (0.0, 0)
    assert cer_n("", "x") == (math.inf, 0)
    assert cer_n("   ", "\n") == (0.0, 0)  # whitespace-only is empty after normalisation
    assert cer_n("abc", "") == (1.0, 3)
    assert cer("ab", "abcdef") == 2.0  # CER is not capped at 1: 4 insertions / 2


# --------------------------------------------------------------------------- WER


def test_wer_hand_checked():
    # 3 words, "раму" -> "рану" is one substituted word: 1/3.
    assert wer_n("мама мыла раму", "мама мыла рану") == (1 / 3, 3)
    # "мама мыла раму" -> "мама ра му": мыла->ра and раму->му are 2 substitutions: 2/3.
    assert wer("мама мыла раму", "мама ра му") == 2 / 3
    # one word dropped and two added: "мама раму" -> "мама ра му x": 1 sub + 2 ins over 2 words.
    assert wer_n("мама раму", "мама ра му x") == (3 / 2, 2)
    assert wer_n("", "") == (0.0, 0)
    assert wer_n("", "слово") == (math.inf, 0)
    assert wer("мама\n\nмыла", " мама  мыла") == 0.0


# --------------------------------------------------------------------------- micro-average


def test_micro_average_is_sum_over_sum_not_mean_of_rates():
    pages = [ErrorCounts(distance=1, n=8), ErrorCounts(distance=3, n=2)]
    assert micro_average(pages) == 4 / 10  # the mean of rates would be (0.125 + 1.5) / 2
    assert total(pages) == ErrorCounts(4, 10)
    assert micro_average([]) == 0.0
    assert micro_average([ErrorCounts(0, 0), ErrorCounts(2, 0)]) == math.inf


# --------------------------------------------------------------------------- span F1


def test_normalized_distance():
    assert normalized_distance("абв", "абг") == 1 / 3
    assert normalized_distance("аб", "абвг") == 2 / 4  # divided by the longer
    assert normalized_distance("", "") == 0.0
    assert normalized_distance("", "x") == 1.0


def test_threshold_is_inclusive_at_one_third_and_rejects_a_half():
    assert span_counts(["абв"], ["абг"]) == SpanCounts(tp=1, fp=0, fn=0)  # 0.333 <= 0.34
    assert span_counts(["аб"], ["ав"]) == SpanCounts(tp=0, fp=1, fn=1)  # 0.5 > 0.34
    assert span_f1(["аб"], ["ав"]) == 0.0


def test_matching_is_one_to_one():
    assert span_counts(["да", "да"], ["да"]) == SpanCounts(tp=1, fp=0, fn=1)
    assert span_counts(["да"], ["да", "да"]) == SpanCounts(tp=1, fp=1, fn=0)
    # F1 = 2·1 / (2·1 + 0 + 1) = 2/3
    assert span_f1(["да", "да"], ["да"]) == pytest.approx(2 / 3)


def test_matching_is_optimal_not_first_come():
    # gt "aaaaab" may pair with either prediction, gt "abaaaa" only with "aaaaaa";
    # taking the first eligible pair for "aaaaab" would leave "abaaaa" unmatched.
    gt, pred = ["aaaaab", "abaaaa"], ["aaaaaa", "aaaabb"]
    assert normalized_distance("abaaaa", "aaaabb") > 0.34  # the premise
    assert match_spans(gt, pred) == [(0, 1), (1, 0)]
    assert span_counts(gt, pred).tp == 2
    assert span_counts(list(reversed(gt)), pred).tp == 2


def test_span_f1_empty_sides():
    assert span_f1([], []) == 1.0
    assert span_f1([], ["лишнее"]) == 0.0
    assert span_f1(["пропущено"], []) == 0.0


def test_span_counts_add_for_collections():
    total_counts = SpanCounts(1, 0, 1) + SpanCounts(2, 1, 0)
    assert total_counts == SpanCounts(3, 1, 1)
    assert total_counts.f1 == 6 / 8  # 2·3 / (2·3 + 1 + 1)
    assert SpanCounts().f1 == 1.0


# --------------------------------------------------------------------------- dinglehopper

# dinglehopper normalises NFC but not whitespace (it counts "\n" and double
# spaces), so the pairs are given with whitespace already in SPEC normal form;
# they may still be non-NFC, which both sides normalise.
DINGLEHOPPER_PAIRS = [
    ("", ""),
    ("", "x"),
    ("x", ""),
    ("", "Тов. Ким"),
    ("Тов. Ким", "Тов. Кям"),
    ("Тов. Ким", "Тов. Ким"),
    ("подема", "под'ема"),
    ("УШ съезд", "VIII съезд"),
    ("N 123", "№ 123"),
    ("23. IX. 56г.", "23. IX. 56r."),
    ("ле" + COMBINING_ACUTE + "с", "лес"),
    ("е" + COMBINING_ACUTE + COMBINING_DIAERESIS + "ж", "ёж"),
    ("по" + I_SHORT_DECOMPOSED + "ти", "пойти"),
    ("вс" + YO_DECOMPOSED + " ещ" + YO_DECOMPOSED, "всё еще"),
    ("Ки" + I_SHORT_DECOMPOSED, "Кии"),
    ("a" + FAMILY + "b", "ab"),
    ("\U0001F1F7\U0001F1FA флаг", "флаг"),
    ("абвгд", "xyz"),
    ("совершенно другое", "nothing alike at all"),
    ("x", "абвгдеёжзийклмноп"),
    (("В целях улучшения работы по под'ему сельского хозяйства " * 8).strip(),
     ("В целях улучшенйя работы по подему сельского хозяйсва " * 8).strip()),
    ("Докладная записка. " * 30 + "конец", "Докладная запиcка. " * 29 + "кон"),
    ("Секретно Экз. N 2", "Секретно Экз.№2"),
    ("х х х х", "xxxx"),
]


@pytest.mark.parametrize("gt, pred", DINGLEHOPPER_PAIRS)
def test_cer_n_agrees_with_dinglehopper(gt: str, pred: str):
    from dinglehopper.character_error_rate import character_error_rate_n
    from dinglehopper.edit_distance import distance as dh_distance

    assert normalize(gt) == unicodedata.normalize("NFC", gt)  # whitespace already SPEC-normal
    assert normalize(pred) == unicodedata.normalize("NFC", pred)
    assert cer_n(gt, pred) == character_error_rate_n(gt, pred)
    assert distance(gt, pred) == dh_distance(gt, pred)


# --------------------------------------------------------------------------- properties

_ALPHABET = st.sampled_from(list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЕКМНОТХ"
                                 "abcxyzIVX0123456789.,;:-'/№ ")
                            + [COMBINING_ACUTE, COMBINING_BREVE, COMBINING_DIAERESIS, "\u200d"])
_TEXT = st.lists(_ALPHABET, max_size=30).map("".join).map(normalize)


def _levenshtein(a: list[str], b: list[str]) -> int:
    """Textbook dynamic programme, an oracle independent of rapidfuzz."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
def test_cer_n_agrees_with_dinglehopper_on_generated_text(gt: str, pred: str):
    from dinglehopper.character_error_rate import character_error_rate_n

    assert cer_n(gt, pred) == character_error_rate_n(gt, pred)


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
def test_distance_matches_textbook_levenshtein_and_is_a_metric(gt: str, pred: str):
    d = distance(gt, pred)
    assert d == _levenshtein(graphemes(gt), graphemes(pred))
    assert d == distance(pred, gt)
    assert (d == 0) == (gt == pred)
    assert d <= max(len(graphemes(gt)), len(graphemes(pred)))
