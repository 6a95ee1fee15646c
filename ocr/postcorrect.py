"""Post-correction stage: dictionary repair of doubtful words in typed rows.

Worn typewriter type loses strokes, and Tesseract then reads a letter as its
neighbour in shape (``н`` as ``и`` or ``ч``, ``о`` as ``с``, ``в`` as ``з``) or
picks up a speck as a stray mark inside a word. A typed word that is not in
the Russian word list (wordfreq) *and* was read with low confidence gets
candidates one or two such confusions away; the most frequent known candidate
replaces it, but only when it is common and clearly ahead of the runner-up.

What a typist wrote on purpose is never "corrected" (SPEC §1): numbers and
words with digits (``56г.``, ``2-х``; only a lone ``6``, ``0`` or ``3`` among
letters is taken for ``б``, ``о``, ``з``), words with an apostrophe
(``под'ема``), words that are known once a ``ъ`` is put back (``подема``),
abbreviations and short all-caps words (``КПСС``, ``УШ``, ``ХХ``; an all-caps
word of LONG_WORD letters or more is a heading's, corrected in capitals:
``ДЕГУТАТОВ``), words of one or
two letters (``Ш``, ``N``), both halves of a word hyphen-broken across rows,
dotted abbreviations (``ит.д.``), words with letters outside the Russian
alphabet (Komi ``ӧ``, ``і``), and words after a mark that may be a lost letter
(``:окладывает``). A candidate never
gains ``ъ`` or ``ё``, and the word keeps its capital.

A word of one or two small letters that the list holds as rare (``пс``,
``дс``) is taken for the common one a confusion away (``по``, ``до``) when
there is one clearly commonest (:func:`correct_short`).

Words under a pen stroke or over-typing, and handwritten insertions, are read
too badly for that: :func:`correct_far` replaces each unknown one by the
nearest common word (:func:`ocr.lexicon.nearest_word`), several letters
away if need be, with the same exceptions for what was typed on purpose.

A "word" here is what stands between spaces on the typed line: Tesseract's
pieces joined without a space (``апатито:`` + ``ого``) are checked as one, and
become one :class:`~ocr.model.Word` if corrected.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator, Sequence

import regex

from ocr.lexicon import CONFUSIONS, NEAREST_MIN_ZIPF, RUSSIAN, nearest_word, russian_zipf
from ocr.model import Box, Word
from ocr.recognize import ONE_LETTER_WORDS, RowText

Frequency = Callable[[str], float]  # a word's Zipf frequency (log10 per billion words); 0 if unknown

DIGIT_LETTERS = {"6": "б", "0": "о", "3": "з"}  # digits that are letters misread
REPLACEMENT_LETTERS = RUSSIAN.replace("ъ", "").replace("ё", "")  # what may replace a stray mark
SENTENCE_END = ".!?:;\"»“”)"  # a capital after these is a capital on purpose
APOSTROPHES = "'’`ʼ"
OPENING = "\"«„“([<"  # marks that may open a word
_VOWELS_AFTER_HARD_SIGN = "еёюя"
_CONSONANTS = "бвгджзйклмнпрстфхцчшщ"

_CORE = regex.compile(r"^(\P{Alnum}*)(.*?)(\P{Alnum}*)$", regex.DOTALL)


@dataclass(frozen=True)
class Change:
    """One corrected word: row index, word index in the corrected row, text before and after."""

    row: int
    index: int
    before: str
    after: str


@dataclass(frozen=True)
class Postcorrected:
    rows: tuple[RowText, ...]
    checked: int  # words eligible and looked up in the word list
    doubtful: int  # of those, unknown and read with low confidence
    changes: tuple[Change, ...]


def postcorrect(rows: Sequence[RowText], *, frequency: Frequency = russian_zipf, max_conf: float = 0.95,
                unknown_below: float = 1.0, min_zipf: float = 2.0, margin: float = 0.5,
                max_edits: int = 2, second_edit_cost: float = 1.5,
                replace_stray: bool = True, lower_mid_sentence: bool = False) -> Postcorrected:
    """Correct doubtful words in ``rows`` (typed rows in reading order; never handwriting).

    A word is doubtful when its Zipf frequency is below ``unknown_below``
    (wordfreq lists nothing rarer than 1.0) and its lowest confidence below
    ``max_conf``. Each candidate scores its frequency less ``second_edit_cost``
    for a second edit; the best wins when it scores at least ``min_zipf`` and
    ``margin`` more than the runner-up; a long word none of them mends is
    taken for the nearest common word of its length within one shape edit
    in seven letters. ``replace_stray`` lets a stray mark
    inside a word stand for a broken letter as well as for a speck;
    ``lower_mid_sentence`` lowercases the capital of a word corrected in
    mid-sentence (one edit; off: it cost more than it gained on the corpus).
    """
    if not 0.0 <= max_conf <= 1.0:
        raise ValueError(f"max_conf must be within 0..1, not {max_conf}")
    if max_edits not in (0, 1, 2):
        raise ValueError(f"max_edits must be 0, 1 or 2, not {max_edits}")
    out: list[RowText] = []
    changes: list[Change] = []
    checked = doubtful = 0
    previous = ""  # the text of the word before, across rows
    for r, row in enumerate(rows):
        gaps = spacing(row)
        continued = previous.endswith("-")  # this row starts with the second half of a broken word
        words: list[Word] = []
        spaced: list[bool] = []
        for t, (start, stop) in enumerate(unspaced_runs(gaps)):
            pieces = row.words[start:stop]
            text = "".join(w.text for w in pieces)
            broken = (t == 0 and continued) or text.endswith("-") or text.startswith("-")
            new = None
            if not broken and len(pieces) == 1:
                new = correct_short(text, frequency=frequency)
            if new is None and not broken and _eligible(text):
                checked += 1
                lead, core, trail = _CORE.match(text).groups()
                conf = min(w.conf for w in pieces)
                if (_known(core, frequency) < unknown_below and conf < max_conf
                        and not hard_sign_dropped(core, frequency)):
                    doubtful += 1
                    mid = bool(previous) and not previous.endswith(tuple(SENTENCE_END))
                    fixed = correct_word(core, frequency=frequency, mid_sentence=mid, min_zipf=min_zipf,
                                         margin=margin, max_edits=max_edits,
                                         second_edit_cost=second_edit_cost, replace_stray=replace_stray,
                                         lower_mid_sentence=lower_mid_sentence)
                    if fixed is None and frequency is russian_zipf:  # the search runs over that list only
                        fixed = _nearest_long_word(core)
                    if fixed is not None:
                        new = lead + fixed + trail
            if new is None:
                words.extend(pieces)
                spaced.extend(gaps[start:stop])
            else:
                changes.append(Change(r, len(words), text, new))
                words.append(Word(new, Box.enclosing(w.box for w in pieces), min(w.conf for w in pieces)))
                spaced.append(gaps[start])
            previous = text
        fixed_row = RowText(tuple(words), tuple(spaced)) if changes and changes[-1].row == r else row
        fixed_row, numero = restore_numero(fixed_row)
        changes.extend(Change(r, i, old, TYPED_NUMERO) for i, old in numero)
        out.append(fixed_row)
    return Postcorrected(tuple(out), checked, doubtful, tuple(changes))


STRUCK_MAX_RATIO = 0.4  # edits per letter read: pen strokes and over-typing leave about a third right
HAND_MAX_RATIO = 0.5  # handwriting read with a print model: about half


def correct_far(row: RowText, *, max_ratio: float, in_span: Callable[[Word], bool] = lambda w: True,
                capitals_meant: bool = True) -> tuple[RowText, list[tuple[int, str]]]:
    """Replace badly read words of ``row`` (those ``in_span`` says) by the
    nearest common word (:func:`ocr.lexicon.nearest_word`), for words under a
    strike and handwriting.

    Known words, words with digits or an apostrophe, and short all-caps words
    (``МВД``) stay. A word read in capitals keeps them only with
    ``capitals_meant`` (typed text); handwriting read in capitals is mostly a
    print model's guess at a hand, and the word comes back in small letters.
    Returns the row and (index, old text) of each change.
    """
    words = list(row.words)
    changed = []
    for i, word in enumerate(words):
        if not in_span(word):
            continue
        lead, core, trail = _CORE.match(word.text).groups()
        if not _far_eligible(core) or hard_sign_dropped(core, russian_zipf):
            continue
        if _known(core, russian_zipf) >= NEAREST_MIN_ZIPF:
            found = core.lower() if core.isupper() and not capitals_meant else None
        else:
            found = nearest_word(core.lower(), max_ratio=max_ratio)
        if found is None or found == core:
            continue
        if core.isupper() and capitals_meant:
            found = found.upper()
        elif not core.isupper():
            found = _capital_like(core, found)
        changed.append((i, word.text))
        words[i] = Word(lead + found + trail, word.box, word.conf)
    if not changed:
        return row, changed
    return RowText(tuple(words), row.spaced), changed


def settle_case(row: RowText) -> tuple[RowText, list[tuple[int, str]]]:
    """Small letters for the capitals inside a handwritten word (``руКОводЯщих``,
    ``сКазал``): many letters of a hand (``о``, ``к``, ``я``, ``с``) differ from
    their capitals only in size, and a recogniser misjudges it. A word
    keeps an initial capital followed by a small letter (``Ким``) and
    words all in capitals (``МВД``).
    Returns the row and (index, old text) of each change."""
    words = list(row.words)
    changed = []
    for i, word in enumerate(words):
        text = word.text
        if not (any(c.isupper() for c in text[1:]) and any(c.islower() for c in text)):
            continue
        titled = text[0].isupper() and len(text) > 1 and text[1].islower()
        settled = text[0] + text[1:].lower() if titled else text.lower()
        changed.append((i, text))
        words[i] = Word(settled, word.box, word.conf)
    return (RowText(tuple(words), row.spaced), changed) if changed else (row, changed)


def small_initial(text: str, before: str) -> str:
    """An insertion written into a sentence, with its first word in small
    letters: a recogniser misjudges the size of a hand's ``в``, ``к``, ``о``,
    ``п``, and Russian sets no capital mid-sentence but for names. ``before``
    is the typed text up to the insertion point; after :data:`SENTENCE_END`
    or at the start of the text the capital stays, and so do words in
    capitals (``МВД``) and words the list does not know in small letters.
    A name inserted mid-sentence (``Москве``) loses its capital: the word
    list does not tell names from words."""
    previous = before.rstrip()
    first, space, rest = text.partition(" ")
    if not previous or previous.endswith(tuple(SENTENCE_END)):
        return text
    lead, core, _ = split_marks(first)
    if lead or len(core) < 2 or not (core[0].isupper() and core[1:].islower()):
        return text  # marks first, a capital alone, or capitals
    if russian_zipf(core.lower()) < NEAREST_MIN_ZIPF:
        return text
    return first.lower() + space + rest


SHORT_I_MIN_GAIN = 1.0  # Zipf units: the word with й must be ten times as common as the one with и


def restore_short_i(row: RowText) -> tuple[RowText, list[tuple[int, str]]]:
    """``й`` for a handwritten word's final ``и`` (``снегоочистителеи``,
    ``протокольныи``): a recogniser misses the breve, a small mark above
    the letter. It is put back where the word with it is far commoner than
    the word without (``мои`` and ``мой``, ``идеи`` and ``идей`` stay as
    read), and after ``ы``, which no Russian word ends in before ``и``.
    Returns the row and (index, old text) of each change."""
    words = list(row.words)
    changed = []
    for i, word in enumerate(words):
        lead, core, trail = split_marks(word.text)
        if len(core) < 3 or not core.isalpha() or core[-1] != "и":
            continue
        with_breve = core[:-1] + "й"
        common = russian_zipf(with_breve)
        if (len(core) >= 4 and core[-2] == "ы") or (
                common >= NEAREST_MIN_ZIPF and common - russian_zipf(core) >= SHORT_I_MIN_GAIN):
            changed.append((i, word.text))
            words[i] = Word(lead + with_breve + trail, word.box, word.conf)
    return (RowText(tuple(words), row.spaced), changed) if changed else (row, changed)


JOIN_MAX_RATIO = 0.25  # edits per letter for two handwritten pieces joined to be one word


def join_split_words(row: RowText) -> tuple[RowText, list[tuple[int, str]]]:
    """Join handwritten pieces Tesseract read apart (``нех баткой``,
    ``мето ов``) when together they come close to one common word and apart
    they are not both words; a one-letter piece (``и``, ``в``) stays a word,
    and one that is no word (``т рехсменная``) is always joined.
    Handwriting has no typed spaces to trust.
    Returns the row and (index, old text) of each join."""
    words = list(row.words)
    joined: list[tuple[int, str]] = []
    i = 0
    while i + 1 < len(words):
        a, b = words[i], words[i + 1]
        lead_a, core_a, trail_a = _CORE.match(a.text).groups()
        lead_b, core_b, _ = _CORE.match(b.text).groups()
        both_words = min(_known(core_a, russian_zipf), _known(core_b, russian_zipf)) >= NEAREST_MIN_ZIPF
        shorter, longer = sorted((len(core_a), len(core_b)))
        # a small letter standing alone that is no word (``т рехсменная``) is a piece of its
        # neighbour; a capital is an initial
        lone = core_a if len(core_a) == 1 else core_b
        stray = (shorter == 1 and longer >= 2 and lone.islower() and lone not in ONE_LETTER_WORDS
                 and not trail_a and not lead_b)
        near = (not both_words and shorter >= 2
                and nearest_word((core_a + core_b).lower(), max_ratio=JOIN_MAX_RATIO) is not None)
        if core_a.isalpha() and core_b.isalpha() and (stray or near):
            joined.append((i, f"{a.text} {b.text}"))
            words[i:i + 2] = [Word(lead_a + core_a + b.text, Box.enclosing((a.box, b.box)), min(a.conf, b.conf))]
            continue  # the joined word may take the next piece too
        i += 1
    return (RowText(tuple(words)), joined) if joined else (row, joined)


def _capital_like(core: str, word: str) -> str:
    """``word`` in capitals where ``core`` is, else with a capital first letter where ``core`` has one."""
    if len(core) > 1 and core.isupper():
        return word.upper()
    return word[:1].upper() + word[1:] if core[:1].isupper() else word


def _far_eligible(core: str) -> bool:
    """A word for :func:`correct_far`: three letters or more, nothing but
    letters and hyphens, and not a short all-caps abbreviation."""
    if len(core) < 3 or not all(ch.isalpha() or ch == "-" for ch in core):
        return False
    return not (core.isupper() and len(core) <= 4)


TYPED_NUMERO = "N"
NUMERO_MISREADS = frozenset({"М", "№", "М№", "Н"})


def restore_numero(row: RowText) -> tuple[RowText, list[tuple[int, str]]]:
    """Typewriters had no № key: typists wrote a Latin ``N`` before a number,
    which Tesseract's Russian model reads as ``М`` or ``№``. A lone such word
    right before a number becomes ``N`` again (SPEC §1 keeps ``N``)."""
    words = list(row.words)
    changed = []
    for i, (word, following) in enumerate(zip(words, words[1:])):
        if word.text in NUMERO_MISREADS and following.text[:1].isdigit():
            changed.append((i, word.text))
            words[i] = Word(TYPED_NUMERO, word.box, word.conf)
    if not changed:
        return row, changed
    return RowText(tuple(words), row.spaced), changed


LONG_WORD = 7  # letters: a word this long read one letter wrong is still unmistakable
LONG_WORD_MAX_RATIO = 0.15  # shape edits per letter: one in a word of 7 to 13 letters, two from 14


def _nearest_long_word(core: str) -> str | None:
    """For a long word of letters that no confusion of :data:`CONFUSIONS`
    mends (``госстановления``, ``товасищей``): the nearest common word within
    one shape edit in seven letters, in the word's case."""
    if len(core) < LONG_WORD or not core.isalpha() or not (core.isupper() or core[1:] == core[1:].lower()):
        return None
    found = nearest_word(core.lower(), max_ratio=LONG_WORD_MAX_RATIO)
    # Type fills one cell a letter: a letter more or less is another word (Кобзеву, not Кобзев).
    # The nearest word of all must be of the same length; searching same-length words only would
    # also take the next-nearest (the Komi портома would become портоса).
    if found is None or len(found) != len(core):
        return None
    return _capital_like(core, found)


# A word of one or two small letters rarer than SHORT_RARE (Zipf), one
# confusion of CONFUSIONS away from a word commoner than SHORT_COMMON and
# SHORT_MARGIN ahead of the next such word, is that word misread (`пс` for
# `по`, `пе` for `не`, `з` for `в`; `ло` stays: `по` and `но` are as near).
# On the corpus this cut typed character errors 37/126/327 -> 37/125/322
# (bundled light/medium/heavy) and 194/328/1252 -> 192/324/1243 (88 pages).
SHORT_RARE, SHORT_COMMON, SHORT_MARGIN = 5.0, 6.0, 0.3


def correct_short(text: str, *, frequency: Frequency = russian_zipf) -> str | None:
    """The common short word a rare one of one or two small letters was
    typed as (see :data:`SHORT_RARE`), or None. Short words are most of a
    text and few: ``по``, ``на``, ``не``, ``в``; what wordfreq lists of the
    rest (``пс``, ``дс``) is mostly fragments and foreign words."""
    if not (1 <= len(text) <= 2 and text.isalpha() and text.islower()) or frequency(text) >= SHORT_RARE:
        return None
    ranked = sorted(((frequency(word), word) for word in _candidates(text, 1, replace_stray=False)), reverse=True)
    if not ranked or ranked[0][0] < SHORT_COMMON:
        return None
    if len(ranked) > 1 and ranked[1][0] > ranked[0][0] - SHORT_MARGIN:
        return None
    return ranked[0][1]


def correct_word(core: str, *, frequency: Frequency = russian_zipf, mid_sentence: bool = False,
                 min_zipf: float = 2.0, margin: float = 0.5, max_edits: int = 2,
                 second_edit_cost: float = 1.5, replace_stray: bool = True,
                 lower_mid_sentence: bool = False) -> str | None:
    """The known word ``core`` was most likely typed as, or None when no candidate is clearly best.

    ``core`` is the word without surrounding punctuation. The answer keeps
    the capital of ``core`` (lowercased in mid-sentence only with
    ``lower_mid_sentence``); capitals inside the word are taken as misreads.
    """
    low = core.lower()
    # a capital inside a word is a misread, one edit each, unless all its letters are capitals
    forced = 0 if core.isupper() else sum(ch.isupper() for ch in core[1:])
    lowered = lower_mid_sentence and mid_sentence and core[:1].isupper()
    budget = max_edits - forced - int(lowered)
    if budget < 0:
        return None
    candidates = _candidates(low, budget, replace_stray=replace_stray)
    if forced:
        candidates[low] = 0
    scored: dict[str, float] = {}
    for candidate, edits in candidates.items():
        if not _plausible(candidate):
            continue
        zipf = frequency(candidate)
        if zipf <= 0.0:
            continue
        total = edits + forced + int(lowered)
        scored[candidate] = zipf - second_edit_cost * max(total - 1, 0)
    if not scored:
        return None
    ranked = sorted(scored.items(), key=lambda kv: kv[1], reverse=True)
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if score < min_zipf or score - runner_up < margin:
        return None
    return best if lowered else _capital_like(core, best)


def split_marks(text: str) -> tuple[str, str, str]:
    """The marks before a word, the word (letters and digits, with whatever
    stands between them), the marks after it."""
    lead, core, trail = _CORE.match(text).groups()
    return lead, core, trail


def spacing(row: RowText) -> tuple[bool, ...]:
    """Whether a space precedes each word (a row without that record has one between all words)."""
    n = len(row.words)
    return tuple(row.spaced) if len(row.spaced) == n else tuple(i > 0 for i in range(n))


def unspaced_runs(spaced: tuple[bool, ...]) -> Iterator[tuple[int, int]]:
    """[start, stop) of each run of words joined without a space: the words of the typed line."""
    n = len(spaced)
    start = 0
    for i in range(1, n + 1):
        if i == n or spaced[i]:
            if i > start:
                yield start, i
            start = i


def _eligible(text: str) -> bool:
    """Whether a word may be corrected at all (see the module docstring for what may not)."""
    if any(ch in APOSTROPHES for ch in text):
        return False
    lead, core, _ = _CORE.match(text).groups()
    if any(ch not in OPENING for ch in lead):
        return False  # ":окладывает": the mark before may be a lost letter, the word is only part
    if "." in core and text.endswith("."):
        return False  # т.д., ит.п.: an abbreviation, its full stops are meant
    letters = [ch for ch in core if ch.isalpha()]
    if len(letters) + sum(ch in DIGIT_LETTERS for ch in core) < 3 or len(letters) < 2:
        return False
    if any(ch.lower() not in RUSSIAN for ch in letters):
        return False  # Latin, Komi ӧ/і, …: not a Russian word
    if all(ch.isupper() for ch in letters):
        return len(letters) >= LONG_WORD  # a heading's word, not an abbreviation (КПСС, УШ, ХХ)
    digits = [ch for ch in core if ch.isdigit()]
    if digits and (len(digits) > 1 or digits[0] not in DIGIT_LETTERS or "-" in core):
        return False  # numbers, 56г., 2-х
    return True


def _known(core: str, frequency: Frequency) -> float:
    """Frequency of a word as read; a mark inside it other than a hyphen makes it no word."""
    if any(not ch.isalnum() and ch != "-" for ch in core):
        return 0.0
    return frequency(core)


def hard_sign_dropped(core: str, frequency: Frequency) -> bool:
    """Whether ``core`` is a known word typed without its ``ъ`` (подема, обем): keep it so."""
    low = core.lower()
    for i in range(2, len(low)):
        if low[i] in _VOWELS_AFTER_HARD_SIGN and low[i - 1] in _CONSONANTS:
            if frequency(low[:i] + "ъ" + low[i:]) >= 1.0:
                return True
    return False


def _plausible(candidate: str) -> bool:
    """A candidate is letters, with hyphens only between parts of two letters or more."""
    parts = candidate.split("-")
    return all(len(p) >= 2 and all(ch in RUSSIAN for ch in p) for p in parts)


@lru_cache(maxsize=1)
def _substitutes() -> dict[str, str]:
    subs: dict[str, set[str]] = {}
    for group in CONFUSIONS:
        for ch in group:
            subs.setdefault(ch, set()).update(group.replace(ch, ""))
    for digit, letter in DIGIT_LETTERS.items():
        subs.setdefault(digit, set()).add(letter)
    return {ch: "".join(sorted(alts)) for ch, alts in subs.items()}


def _options(word: str, *, replace_stray: bool) -> list[tuple[str, ...]]:
    """What each character of ``word`` may have been: its confusable letters, and for a stray
    mark inside the word nothing (a speck) or, with ``replace_stray``, any letter (a broken one)."""
    subs = _substitutes()
    out = []
    for i, ch in enumerate(word):
        alts: list[str] = list(subs.get(ch, ""))
        if not ch.isalpha() and not ch.isdigit() and 0 < i < len(word) - 1:
            alts.append("")
            if replace_stray:
                alts.extend(REPLACEMENT_LETTERS)
        out.append(tuple(alts))
    return out


def _candidates(word: str, max_edits: int, *, replace_stray: bool) -> dict[str, int]:
    """Every string at most ``max_edits`` confusions from ``word`` (each at its own character),
    with its fewest edits."""
    options = _options(word, replace_stray=replace_stray)
    found: dict[str, int] = {}
    if max_edits >= 1:
        for i, alts in enumerate(options):
            for a in alts:
                found.setdefault(word[:i] + a + word[i + 1:], 1)
    if max_edits >= 2:
        for i, alts_i in enumerate(options):
            for j in range(i + 1, len(word)):
                for a in alts_i:
                    head = word[:i] + a + word[i + 1:j]
                    for b in options[j]:
                        found.setdefault(head + b + word[j + 1:], 2)
    found.pop(word, None)
    return found
