"""The Russian word list, and the nearest known word to a badly read one.

Words under a pen stroke or an over-typing, and words written by hand, come
out of Tesseract several letters wrong (``денолнитепьно``, ``пиловоеного``),
too far from the truth for the confusion-by-confusion repair of typed words
in :mod:`ocr.postcorrect`. They are still words of the language, so the
nearest common word is a far better reading than what was read. Nearness is
an edit distance in which a substitution between letters of one shape group
(``и``/``н``/``п``, ``е``/``с``/``о``, …) costs half an edit, and among
equally near words the more frequent one wins.
"""
from __future__ import annotations

import math
from functools import lru_cache
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

RUSSIAN = "абвгдежзийклмнопрстуфхцчшщъыьэюяё"

# Letters that worn type, pen strokes and hands make look alike, in groups of
# mutually confusable shapes (a stroke lost or a bowl filled). The typed-word
# repair substitutes within a group; the nearest-word search charges half an
# edit. The last four groups each cut cer_typed on the corpus and changed none
# of the Komi lines; с/а and а/я were tried and left out.
CONFUSIONS: tuple[str, ...] = (
    "есозэ", "инпйл", "шщ", "жх", "цщ", "вз", "адл", "ро", "уч", "ым", "чн",
    "гпт", "цд", "кх", "иы",
)
SHAPE_SUBSTITUTION = 0.5
NEAREST_MIN_ZIPF = 1.5  # rarer entries of wordfreq's list are mostly misspellings and fragments
FREQUENCY_WEIGHT = 0.25  # edits a tenfold frequency is worth when near words compete


def russian_zipf(word: str) -> float:
    """Zipf frequency of ``word`` in wordfreq's Russian list (0 when unknown).

    A plain lowercase word is looked up in the list directly, which gives what
    ``zipf_frequency`` gives a hundred times faster (thousands of candidates
    a page); anything else goes through ``zipf_frequency`` and its tokenizer.
    """
    low = word.lower()
    if all(ch in RUSSIAN for ch in low):
        freq = russian_list().get(low)
        return round(math.log10(freq) + 9.0, 2) if freq else 0.0
    return _zipf_frequency(low)


@lru_cache(maxsize=1)
def russian_list() -> dict[str, float]:
    """wordfreq's Russian words and their frequencies (per word of text)."""
    from wordfreq import get_frequency_dict

    return get_frequency_dict("ru")


@lru_cache(maxsize=20_000)
def _zipf_frequency(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "ru")


@lru_cache(maxsize=1)
def _by_length() -> dict[int, list[str]]:
    """The common all-Cyrillic words of the list, by length."""
    floor = 10.0 ** (NEAREST_MIN_ZIPF - 9.0)
    out: dict[int, list[str]] = {}
    for word, freq in russian_list().items():
        if freq >= floor and all(ch in RUSSIAN for ch in word):
            out.setdefault(len(word), []).append(word)
    return out


@lru_cache(maxsize=1)
def _shape_groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for group in CONFUSIONS:
        for ch in group:
            groups.setdefault(ch, set()).update(group)
    return {ch: frozenset(g) for ch, g in groups.items()}


def shape_distance(read: str, word: str) -> float:
    """Edit distance from ``read`` to ``word``, a substitution between letters
    of one shape group costing :data:`SHAPE_SUBSTITUTION`."""
    groups = _shape_groups()
    previous = [float(j) for j in range(len(word) + 1)]
    for i, a in enumerate(read, 1):
        current = [float(i)]
        alike = groups.get(a, frozenset())
        for j, b in enumerate(word, 1):
            swap = 0.0 if a == b else (SHAPE_SUBSTITUTION if b in alike else 1.0)
            current.append(min(previous[j] + 1.0, current[j - 1] + 1.0, previous[j - 1] + swap))
        previous = current
    return previous[-1]


def near_words(read: str, *, max_edits: int, limit: int) -> list[str]:
    """The ``limit`` common words nearest to ``read`` (lowercase letters) by
    plain edit distance, at most ``max_edits`` away, nearest first."""
    pool: list[str] = []
    for length in range(max(len(read) - max_edits, 1), len(read) + max_edits + 1):
        pool.extend(_by_length().get(length, ()))
    return [w for w, _, _ in process.extract(read, pool, scorer=Levenshtein.distance, limit=limit,
                                             score_cutoff=max_edits)]


def nearest_word(read: str, *, max_ratio: float, candidates: int = 40) -> str | None:
    """The common Russian word nearest to ``read`` (lowercase letters), or None
    when none is within ``max_ratio`` edits per letter read.

    Candidates are the ``candidates`` nearest by plain edit distance among
    words of about the same length; they are ranked by shape distance less
    :data:`FREQUENCY_WEIGHT` per Zipf unit of frequency.
    """
    if not read:
        return None
    limit = max_ratio * len(read)
    best: tuple[float, str] | None = None
    for word in near_words(read, max_edits=int(limit), limit=candidates):
        near = shape_distance(read, word)
        if near > limit:
            continue
        score = near - FREQUENCY_WEIGHT * russian_zipf(word)
        if best is None or score < best[0]:
            best = (score, word)
    return best[1] if best else None

