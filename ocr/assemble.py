"""Assembly: turn the layout and the recognised text into regions and markup.

Deletions become character spans of their typed line (the words under the
strike); insertions are anchored after the struck words they stand over, or
else at the word boundary nearest to their centre; notes, ticks and stamps
take their place between typed lines by height on the page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from ocr import markup
from ocr.glyphs import MARKS
from ocr.layout_model import HandBlock, Layout, Strike
from ocr.lexicon import NEAREST_MIN_ZIPF, russian_zipf
from ocr.model import Box, Region, Word
from ocr.postcorrect import small_initial
from ocr.recognize import RowText, spaced_by_pitch

MapBox = Callable[[Box], Box]
OVERTYPE_MAX_CONF = 0.7  # over-typed letters are read with low confidence
OVERTYPE_LETTERS = "хxҳХX"  # how Tesseract reads a letter with х or x typed over it
OVERTYPE_MIN_SHARE = 0.2
# Ink off the typed lines read with next to no confidence is, on the corpus,
# nearly always a stain, a fold or stamp remnants rather than a note.
NOTE_MIN_CONF = 0.12
# A written line stands taller than the type; thinner strips off the typed
# lines (fold lines, stain edges, scanner streaks) were every one of them a
# false note on the 88-page set, where true notes were at least 1.7 type
# heights tall.
NOTE_MIN_HEIGHT = 1.3
SIGNATURE_MIN_LENGTH = 3.0  # heights: a name signed is long; a punch hole's rim is round


@dataclass(frozen=True)
class Assembled:
    regions: tuple[Region, ...]
    markup: str


def is_under(word: Word, box: Box) -> bool:
    """Whether ``word`` is under a strike's ``box``: its centre falls in the box's x-range."""
    return box.x0 <= word.box.center[0] < box.x1


def _words_under(row: RowText, box: Box) -> list[tuple[Word, tuple[int, int]]]:
    """The words of ``row`` under ``box``, with their spans."""
    return [(w, off) for w, off in zip(row.words, row.word_offsets()) if is_under(w, box)]


def _span_of(row: RowText, box: Box) -> tuple[int, int] | None:
    """Character span of the words under ``box``."""
    hits = [off for _, off in _words_under(row, box)]
    return (hits[0][0], hits[-1][1]) if hits else None


_SIGNATURE = re.compile(r"^\S{1,2}\.\s?(\S{1,2}\.\s?)?\S{3,}[.,]?$")


def looks_like_signature(text: str) -> bool:
    """A name signed under a document: initials and a surname ("А. Мимозн",
    "П.К. Кудрявцев"), nothing more."""
    text = text.strip()
    return bool(_SIGNATURE.match(text)) and not text[:1].islower()  # "т. Белякову" is an address


def is_writing(text: str, *, min_letters: int = 2) -> bool:
    """Whether recognised handwriting reads as words: at least two letters or digits,
    and more of them than other marks."""
    alnum = sum(ch.isalnum() for ch in text)
    other = sum(not ch.isalnum() and not ch.isspace() for ch in text)
    return alnum >= min_letters and alnum > other


def confirm_strikes(strikes: Sequence[Strike], rows: Sequence[RowText]) -> tuple[Strike, ...]:
    """The strikes that stand: every pen stroke, and each over-typing
    candidate that reads as over-typed. Call it on the words as recognised,
    before any dictionary repair makes them look like words."""
    return tuple(s for s in strikes if s.kind == "pen" or _looks_overtyped(rows[s.row], s.box))


def split_at_strikes(strikes: Sequence[Strike], rows: Sequence[RowText], *, pitch: float) -> list[RowText]:
    """The rows with each word that runs across a strike's end split there.

    A pen line that starts in the space before a word, or ends in the one
    after it, joins the word to its neighbour for Tesseract, which reads the
    space as a mark (``готова`оказахь.`` for ``готова ~~оказать~~``), and the
    word beside the struck one goes with it. On a typewriter a character is
    a cell, so where the word's letters fill its cells one each and it reads
    a mark that is no letter or figure in the cell beside the strike's end,
    the mark is that space: the word is cut there, two or more letters a side.
    """
    rows = list(rows)
    for strike in strikes:
        row = rows[strike.row]
        words = [piece for w in row.words for piece in _cut_at(w, strike.box.x0, pitch=pitch, before=True)]
        words = [piece for w in words for piece in _cut_at(w, strike.box.x1, pitch=pitch, before=False)]
        if len(words) != len(row.words):
            spaced = [gap or (i > 0 and words[i - 1].text[-1] in MARKS and words[i].text[:1].isalpha())
                      for i, gap in enumerate(spaced_by_pitch(tuple(words), pitch=pitch))]  # a space after a comma
            rows[strike.row] = replace(row, words=tuple(words), spaced=tuple(spaced))
    return rows


def _cut_at(word: Word, x: int, *, pitch: float, before: bool) -> list[Word]:
    """``word`` cut at the cell edge nearest ``x``, the cell on the far side of
    the strike (``before`` it: the one left of ``x``) dropped as the space
    read as a mark, or kept with the word before it when it is a mark that
    may follow a word (:data:`ocr.glyphs.MARKS`: a comma, glued by Tesseract to the
    next word over the space after it); the word whole unless it fills one
    cell a character and reads no letter or figure there, with two letters
    at least either side."""
    text, box = word.text, word.box
    if abs(len(text) - box.width / pitch) > 1:
        return [word]
    edge = int(round((x - box.x0) / box.width * len(text)))  # the first character past x
    space = edge - 1 if before else edge
    if not (2 <= space and space + 1 <= len(text) - 2) or text[space].isalnum():
        return [word]
    end = space + 1 if text[space] in MARKS else space  # a mark that ends the word before stays with it
    step = box.width / len(text)
    return [Word(text[:end], Box(box.x0, box.y0, int(box.x0 + end * step), box.y1), word.conf),
            Word(text[space + 1:], Box(int(box.x0 + (space + 1) * step), box.y0, box.x1, box.y1), word.conf)]


def _looks_overtyped(row: RowText, box: Box) -> bool:
    """Confirm a dense run of cells as over-typing by how it reads: over-typed
    letters are read with low confidence, or as a word thick with ``х``
    (the commonest over-typing letter); dense words read confidently, known
    words read with some doubt, and words read as capitals (which carry more
    ink than small letters) are just type."""
    words = [w for w, _ in _words_under(row, box)]
    if not words:
        return False
    letters = "".join(_letters(w.text) for w in words)
    if not letters or (letters.isupper() and min(w.conf for w in words) > 0.5):
        return False
    if sum(ch in OVERTYPE_LETTERS for ch in letters) >= OVERTYPE_MIN_SHARE * len(letters):
        return True
    known = all(russian_zipf(_letters(w.text)) >= NEAREST_MIN_ZIPF for w in words)
    return float(np.mean([w.conf for w in words])) <= OVERTYPE_MAX_CONF and not known


def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalpha())


def _deletions(layout: Layout, rows: list[RowText]) -> list[tuple[Strike, tuple[int, int]]]:
    """Each strike with the character span of the words under it, by row and
    position (over-typing confirmed already by :func:`confirm_strikes`). Strikes over
    the same or touching characters (a pen stroke and over-typing on one
    word) become one deletion, of the first strike's kind, over both boxes."""
    struck = []
    for strike in layout.strikes:
        span = _span_of(rows[strike.row], strike.box)
        if span is None:
            continue  # nothing was read under it
        struck.append((strike, span))
    found: list[tuple[Strike, tuple[int, int]]] = []
    for strike, span in sorted(struck, key=lambda item: (item[0].row, item[1])):
        if found and found[-1][0].row == strike.row and span[0] <= found[-1][1][1]:
            other, taken = found[-1]
            found[-1] = (replace(other, box=Box.enclosing((other.box, strike.box))),
                         (taken[0], max(span[1], taken[1])))
        else:
            found.append((strike, span))
    return found


def _unread_signature(block: HandBlock, text: RowText) -> bool:
    """A signature read as nothing, or as nothing to trust: it stays a
    region, with no text (the round rim of a punch hole, which
    the layout may take for a short scrawl, is not long enough)."""
    return (block.kind == "signature" and block.box.width >= SIGNATURE_MIN_LENGTH * block.box.height
            and not (is_writing(text.text) and text.conf >= NOTE_MIN_CONF))


def _box_of_span(row: RowText, span: tuple[int, int]) -> Box:
    """The box of the words within ``span``: a struck word is the word's
    ink, however short or long the stroke through it."""
    return Box.enclosing(w.box for w, (start, end) in zip(row.words, row.word_offsets())
                         if start >= span[0] and end <= span[1])


def _anchor(row: RowText, x: float) -> int:
    """Offset of the word boundary nearest to ``x``: before, between or after words."""
    if not row.words:
        return 0
    offsets = row.word_offsets()
    candidates = [(row.words[0].box.x0, 0)]
    for (w, (_, end)), nxt in zip(zip(row.words, offsets), row.words[1:] + (None,)):
        right = (w.box.x1 + nxt.box.x0) / 2 if nxt is not None else w.box.x1
        candidates.append((right, end))
    return min(candidates, key=lambda c: abs(c[0] - x))[1]


def _text_before(rows: list[RowText], row: int, offset: int) -> str:
    """The typed text before ``offset`` of ``row``: the rows above it when
    the offset is the row's start."""
    before = rows[row].text[:offset]
    while not before.strip() and row > 0:
        row -= 1
        before = rows[row].text
    return before


def assemble(layout: Layout, rows: list[RowText], hands: list[RowText], *, to_source: MapBox) -> Assembled:
    regions: list[Region] = []
    line_ids = [f"l{i + 1}" for i in range(len(layout.rows))]
    spans: dict[int, list[tuple[int, int, float, str]]] = {i: [] for i in range(len(rows))}  # (pos, order, x, text)

    deletions_by_row: dict[int, list[tuple[Box, tuple[int, int]]]] = {}
    for n, (strike, span) in enumerate(_deletions(layout, rows), 1):
        deletions_by_row.setdefault(strike.row, []).append((strike.box, span))
        text = rows[strike.row].text[span[0]:span[1]]
        box = to_source(_box_of_span(rows[strike.row], span))
        regions.append(Region(id=f"d{n}", kind="deletion", box=box, text=text,
                              conf=rows[strike.row].conf, line=line_ids[strike.row], span=span,
                              deletion_kind=strike.kind))
        # at one position: a closing ~~ first, then an insertion, then an opening ~~
        spans[strike.row] += [(span[0], 3, 0.0, markup.STRIKE), (span[1], 1, 0.0, markup.STRIKE)]

    loose: list[tuple[float, str]] = []  # (y, markup line) of notes, ticks and stamps
    for n, (block, text) in enumerate(zip(layout.hand, hands), 1):
        box = to_source(block.box)
        if _unread_signature(block, text):
            regions.append(Region(id=f"n{n}", kind="signature", box=box, text="", conf=0.0))
            continue
        if block.kind != "checkmark" and not is_writing(text.text):
            continue  # a stain, a speck cluster, a punch hole's rim: nothing was read
        if block.kind == "insertion" and block.row is not None:
            row_text = rows[block.row]
            offset = _anchor(row_text, block.caret_x if block.caret_x is not None else block.box.center[0])
            replaced = offset  # where the text the insertion continues ends
            for del_box, span in deletions_by_row.get(block.row, []):
                overlap = min(del_box.x1, block.box.x1) - max(del_box.x0, block.box.x0)
                if overlap > 0.3 * min(block.box.width, del_box.width) or span[0] < offset < span[1]:
                    offset, replaced = span[1], span[0]  # over struck words (or inside them): after them
            written = small_initial(text.text, _text_before(rows, block.row, replaced))
            regions.append(Region(id=f"i{n}", kind="insertion", box=box, text=written, conf=text.conf,
                                  line=line_ids[block.row], offset=offset))
            spans[block.row].append((offset, 2, block.box.x0, f" <sup>{written}</sup>"))  # two at one place: left first
        elif block.kind == "checkmark":
            regions.append(Region(id=f"c{n}", kind="checkmark", box=box, text=markup.TICK, conf=0.5))
            loose.append((block.box.center[1], markup.TICK))
        elif text.conf >= NOTE_MIN_CONF and block.box.height >= NOTE_MIN_HEIGHT * layout.char_height:
            kind = "signature" if block.kind == "signature" or looks_like_signature(text.text) else "margin_note"
            regions.append(Region(id=f"n{n}", kind=kind, box=box, text=text.text, conf=text.conf))
            loose.append((block.box.center[1], f"<note>{text.text}</note>"))
    for n, stamp in enumerate(layout.stamps, 1):
        regions.append(Region(id=f"s{n}", kind="stamp", box=to_source(stamp), text="", conf=0.0))
        loose.append((stamp.center[1], "<stamp></stamp>"))

    # a row where nothing was read and nothing was struck or inserted is no typed line (bleed-through,
    # a stain's edge on the grid)
    kept = [i for i, text in enumerate(rows) if text.text.strip() or spans[i]]
    lines = [Region(id=line_ids[i], kind="typed_line", box=to_source(layout.rows[i].box), text=rows[i].text,
                    conf=rows[i].conf, words=_words_to_source(rows[i].words, to_source)) for i in kept]
    typed = [(layout.rows[i].box.center[1], _line_markup(rows[i].text, spans[i])) for i in kept]
    return Assembled(regions=tuple(lines + regions), markup=_page_markup(typed, loose, layout))


def assemble_print(lines: list[list[Word]], *, to_source: MapBox) -> Assembled:
    """Regions and markup of a page read as print (no typewriter grid found):
    every line Tesseract found is a typed line, in its order."""
    regions, texts = [], []
    for i, words in enumerate(line for line in lines if line):
        text = " ".join(w.text for w in words)
        regions.append(Region(id=f"l{i + 1}", kind="typed_line", box=to_source(Box.enclosing(w.box for w in words)),
                              text=text, conf=float(np.mean([w.conf for w in words])),
                              words=_words_to_source(words, to_source)))
        texts.append(text)
    return Assembled(regions=tuple(regions), markup="\n".join(texts))


def _words_to_source(words: Sequence[Word], to_source: MapBox) -> tuple[Word, ...]:
    return tuple(Word(w.text, to_source(w.box), w.conf) for w in words)


def _line_markup(text: str, marks: list[tuple[int, int, float, str]]) -> str:
    out, pos = [], 0
    for at, _, _, tag in sorted(marks):
        out.append(text[pos:at])
        out.append(tag)
        pos = at
    out.append(text[pos:])
    line = "".join(out).strip()
    return line or " "


def _page_markup(typed: list[tuple[float, str]], loose: list[tuple[float, str]], layout: Layout) -> str:
    """Lines in reading order; an empty line where the gap between typed lines
    is much wider than usual (a paragraph break)."""
    gaps = np.diff([y for y, _ in typed]) if len(typed) > 1 else np.array([])
    usual = float(np.median(gaps)) if gaps.size else 0.0
    lines: list[str] = []
    previous_y = None
    for y, text in sorted(typed + loose, key=lambda item: item[0]):
        if previous_y is not None and usual and y - previous_y > 1.6 * usual and lines and lines[-1] != "":
            lines.append("")
        lines.append(text)
        previous_y = y
    rendered = "\n".join(lines)
    markup.parse(rendered)  # what we write must be valid markup
    return rendered
