"""From a document (SPEC §2, one line per paragraph) to typed lines and pages.

A paragraph is word-wrapped at the typewriter's fixed pitch into
:class:`LineSpec` objects: the characters typed on one line (without the
indent, which is a column), the deleted spans and the insertion points in
character cells of that line. Where a paragraph breaks a word, the hyphen is
typed and kept. Pagination then stacks lines, paragraph breaks and the
handwritten foot notes into :class:`PagePlan` objects; margin notes, ticks
and stamps take no vertical space and are anchored to a position instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ocr import markup as mk

DeletionStyle = Literal["pen", "overtype"]
_VOWELS = set("аеёиоуыэюяАЕЁИОУЫЭЮЯaeiouyAEIOUY")
_NO_LINE_START = set("ьъйЬЪЙ")


@dataclass(frozen=True)
class DeletionMark:
    start: int
    end: int
    kind: DeletionStyle


@dataclass(frozen=True)
class InsertionMark:
    pos: int                       # cell index of the insertion point in LineSpec.text
    text: str
    over: tuple[int, int] | None   # cells of the deletion it replaces, written above it


@dataclass(frozen=True)
class LineSpec:
    text: str                      # the characters typed, no leading indent
    col: int                       # column of the first character
    deletions: tuple[DeletionMark, ...] = ()
    insertions: tuple[InsertionMark, ...] = ()
    para: int = 0


@dataclass(frozen=True)
class Typesetting:
    """Per-document choices of the typist."""

    font: str
    cpi: int
    cap_mm: float
    spacing: float                 # 1.0 single, 1.5, 2.0 double
    chars_per_line: int
    left_mm: float
    top_mm: float
    bottom_mm: float
    indent: int
    para_gap: bool                 # an empty line between paragraphs
    header_align: str              # left | center | right
    overtype_p: float
    overtype_char: str
    hyphen_p: float


@dataclass
class PageItem:
    kind: str                      # line | break | note | tick | stamp
    y: float                       # baseline (lines, foot notes) or anchor y (others), px
    line: LineSpec | None = None
    text: str = ""
    note_kind: str = ""            # margin_note | signature
    placement: str = ""            # margin | foot
    follows_note: bool = False     # a foot note right under another, same block


@dataclass
class PagePlan:
    number: int
    items: list[PageItem] = field(default_factory=list)


# --------------------------------------------------------------------------- document preparation


def prepare(document: mk.Document, *, clean: bool) -> list[mk.Line]:
    """Document lines ready for layout: standalone insertions attached to the next typed line.

    With ``clean`` only the typed text is kept: insertions and notes dropped,
    deleted words typed plainly, no stamps and ticks.
    """
    lines: list[mk.Line] = []
    pending: list[mk.Span] = []
    for line in document.lines:
        if isinstance(line, mk.TypedLine):
            if all(isinstance(s, mk.Insertion) or not s.text.strip() for s in line.spans):
                pending.extend(s for s in line.spans if isinstance(s, mk.Insertion))
                continue
            spans = tuple(pending) + (mk.Typed(" "),) + line.spans if pending else line.spans
            pending = []
            if clean:
                text = "".join(s.text for s in spans if not isinstance(s, mk.Insertion))
                if not text.strip():
                    continue
                spans = (mk.Typed(text),)
            lines.append(mk.TypedLine(spans))
        elif clean and not isinstance(line, mk.BlankLine):
            continue
        else:
            lines.append(line)
    return lines


# --------------------------------------------------------------------------- wrapping


def _flatten(line: mk.TypedLine, rng: np.random.Generator, ts: Typesetting
             ) -> tuple[str, list[DeletionMark], list[InsertionMark]]:
    """The paragraph as one string with single spaces, its deletions and insertion points."""
    raw: list[str] = []
    dels: list[tuple[int, int]] = []
    ins: list[tuple[int, str, int | None]] = []
    length = 0
    for span in line.spans:
        if isinstance(span, mk.Insertion):
            over = None
            if dels and not "".join(raw)[dels[-1][1]:].strip():
                over = len(dels) - 1
            ins.append((length, span.text, over))
            continue
        if isinstance(span, mk.Deletion):
            dels.append((length, length + len(span.text)))
        raw.append(span.text)
        length += len(span.text)
    text_raw = "".join(raw)
    # collapse whitespace runs; mapping[i] = new length before old index i
    out: list[str] = []
    mapping = [0] * (len(text_raw) + 1)
    prev_space = True
    for i, ch in enumerate(text_raw):
        mapping[i] = len(out)
        if ch.isspace():
            if not prev_space:
                out.append(" ")
            prev_space = True
        else:
            out.append(ch)
            prev_space = False
    mapping[len(text_raw)] = len(out)
    text = "".join(out).rstrip(" ")
    n = len(text)
    deletions = []
    for s, e in dels:
        a, b = min(mapping[s], n), min(mapping[e], n)
        while a < b and text[a] == " ":
            a += 1
        while b > a and text[b - 1] == " ":
            b -= 1
        if a < b:
            kind: DeletionStyle = "overtype" if rng.random() < ts.overtype_p else "pen"
            deletions.append(DeletionMark(a, b, kind))
    insertions = []
    for pos, body, over in ins:
        p = min(mapping[pos], n)
        if p < n and text[p] == " ":
            p += 1
        span = None
        if over is not None:
            s, e = dels[over]
            a, b = min(mapping[s], n), min(mapping[e], n)
            span = (a, b) if a < b else None
        insertions.append(InsertionMark(p, " ".join(body.split()), span))
    return text, deletions, insertions


def _break_points(word: str) -> list[int]:
    """Where a Russian word may be broken: between syllables, at least two letters each side."""
    points = []
    for k in range(2, len(word) - 1):
        left, right = word[:k], word[k:]
        if not (left.isalpha() and right[:2].isalpha()):
            continue
        if right[0] in _NO_LINE_START or len(right.rstrip(".,;:!?\"»)")) < 2:
            continue
        if not any(c in _VOWELS for c in left) or not any(c in _VOWELS for c in right):
            continue
        prev, nxt = left[-1], right[0]
        vowel_then_consonant = prev in _VOWELS and nxt not in _VOWELS and len(right) > 1 and right[1] in _VOWELS
        two_consonants = prev not in _VOWELS and nxt not in _VOWELS
        after_sign = prev in _NO_LINE_START                    # ь, ъ, й stay with what precedes
        if vowel_then_consonant or two_consonants or after_sign:
            points.append(k)
    return points


def wrap_paragraph(line: mk.TypedLine, *, para: int, header: bool, ts: Typesetting,
                   rng: np.random.Generator) -> list[LineSpec]:
    text, deletions, insertions = _flatten(line, rng, ts)
    if not text:
        return []
    width = ts.chars_per_line
    if header and len(text) <= width:
        col = {"left": 0, "center": (width - len(text)) // 2, "right": width - len(text)}[ts.header_align]
        return [_line_spec(text, 0, len(text), False, col, deletions, insertions, para)]

    protected = [(d.start, d.end) for d in deletions] + [(i.pos, i.pos) for i in insertions]
    words = []
    pos = 0
    for token in text.split(" "):
        words.append((pos, pos + len(token)))
        pos += len(token) + 1
    ranges: list[tuple[int, int, bool]] = []     # (start, end, hyphenated)
    start = None
    col0 = ts.indent
    cap = width - col0
    queue = list(words)
    while queue:
        ws, we = queue.pop(0)
        if start is None:
            start, end = ws, min(we, ws + cap)
            if we > end:                                   # a word longer than the line
                queue.insert(0, (end, we))
                ranges.append((start, end, False))
                start, cap = None, width - int(rng.integers(0, 3))
            continue
        if we - start <= cap:
            end = we
            continue
        room = cap - (ws - start) - 1                      # letters that fit after the space, hyphen incl.
        split = None
        if room >= 3 and we - ws >= 6 and rng.random() < ts.hyphen_p and \
                not any(a < we and b > ws for a, b in protected):
            fits = [k for k in _break_points(text[ws:we]) if k + 1 <= room]
            split = max(fits) if fits else None
        if split is not None:
            ranges.append((start, ws + split, True))
            queue.insert(0, (ws + split, we))
        else:
            ranges.append((start, end, False))
            queue.insert(0, (ws, we))
        start, cap = None, width - int(rng.integers(0, 3))
    if start is not None:
        ranges.append((start, end, False))

    owner: dict[int, int] = {}
    for k, ins in enumerate(insertions):
        line_of = next((n for n, (a, b, _) in enumerate(ranges) if a <= ins.pos < b), len(ranges) - 1)
        if ins.over is not None and ins.over[1] <= ranges[line_of][0]:
            line_of = next(n for n, (a, b, _) in enumerate(ranges) if a < ins.over[1] <= b)
        owner[k] = line_of
    specs = []
    for index, (a, b, hyph) in enumerate(ranges):
        mine = [ins for k, ins in enumerate(insertions) if owner[k] == index]
        specs.append(_line_spec(text, a, b, hyph, ts.indent if index == 0 else 0,
                                deletions, mine, para))
    return specs


def _line_spec(text: str, a: int, b: int, hyphen: bool, col: int, deletions: list[DeletionMark],
               insertions: list[InsertionMark], para: int) -> LineSpec:
    body = text[a:b] + ("-" if hyphen else "")
    dels = tuple(DeletionMark(max(d.start, a) - a, min(d.end, b) - a, d.kind)
                 for d in deletions if d.start < b and d.end > a)
    ins = []
    for i in insertions:
        over = None
        if i.over is not None and i.over[0] < b and i.over[1] > a:
            over = (max(i.over[0], a) - a, min(i.over[1], b) - a)
        pos = min(max(i.pos - a, 0), len(text[a:b]))
        ins.append(InsertionMark(pos, i.text, over))
    return LineSpec(body, col, dels, tuple(ins), para)


# --------------------------------------------------------------------------- pagination


def _is_signature(text: str) -> bool:
    words = text.replace(".", ". ").split()
    if not 1 <= len(words) <= 4 or any(c.isdigit() for c in text):
        return False
    initials = [w for w in words if len(w) == 2 and w.endswith(".") and w[0].isupper()]
    names = [w for w in words if len(w) > 2 and w[0].isupper()]
    return bool(initials) and len(names) == 1


def _stands_alone(lines: list[mk.Line], index: int) -> bool:
    """A note between empty lines is a line of its own in the flow, not a margin note."""
    def quiet(i: int) -> bool:
        return i < 0 or i >= len(lines) or isinstance(lines[i], (mk.BlankLine, mk.NoteLine))
    return quiet(index - 1) and quiet(index + 1)


def paginate(lines: list[mk.Line], *, ts: Typesetting, dpi: int, page_height: int,
             rng: np.random.Generator) -> list[PagePlan]:
    px_mm = dpi / 25.4
    pitch = ts.spacing * dpi / 6.0
    single = dpi / 6.0
    top, bottom = ts.top_mm * px_mm, page_height - ts.bottom_mm * px_mm
    last_typed = max((i for i, l in enumerate(lines) if isinstance(l, mk.TypedLine)), default=-1)
    first_long = next((i for i, l in enumerate(lines) if isinstance(l, mk.TypedLine)
                       and len(l.typed_text) > ts.chars_per_line * 0.8), len(lines))

    pages = [PagePlan(1)]
    y = top + ts.cap_mm * px_mm

    def new_page() -> float:
        number = len(pages) + 1
        pages.append(PagePlan(number))
        y0 = top + ts.cap_mm * px_mm
        label = f"- {number} -"
        col = (ts.chars_per_line - len(label)) // 2
        pages[-1].items.append(PageItem("line", y0, line=LineSpec(label, col, para=-number)))
        pages[-1].items.append(PageItem("break", y0))
        return y0 + 2 * pitch

    para = 0
    for index, line in enumerate(lines):
        if isinstance(line, mk.TypedLine):
            header = index < first_long and len(line.typed_text) < ts.chars_per_line * 0.6
            for spec in wrap_paragraph(line, para=para, header=header, ts=ts, rng=rng):
                if y > bottom:
                    y = new_page()
                slip = float(rng.normal(0, 0.025 * single))      # the platen does not feed evenly
                pages[-1].items.append(PageItem("line", y + slip, line=spec))
                y += pitch
            para += 1
        elif isinstance(line, mk.BlankLine):
            if pages[-1].items and pages[-1].items[-1].kind != "break":
                pages[-1].items.append(PageItem("break", y))
                if ts.para_gap and y > top + pitch:
                    y += single * 1.0 if ts.spacing >= 2 else pitch
        elif isinstance(line, mk.NoteLine):
            kind = "signature" if _is_signature(line.text) else "margin_note"
            if index > last_typed or kind == "signature" or _stands_alone(lines, index):
                follows = index > 0 and isinstance(lines[index - 1], mk.NoteLine)
                height = (1.6 if follows else 2.4) * single
                if y + height * 0.5 > bottom + 0.6 * ts.bottom_mm * px_mm:
                    y = new_page()
                y += height * 0.45
                pages[-1].items.append(PageItem("note", y, text=line.text, note_kind=kind,
                                                placement="foot", follows_note=follows))
                y += height * 0.55
            else:
                pages[-1].items.append(PageItem("note", y, text=line.text, note_kind=kind,
                                                placement="margin"))
        elif isinstance(line, mk.TickLine):
            pages[-1].items.append(PageItem("tick", y))
        elif isinstance(line, mk.StampLine):
            pages[-1].items.append(PageItem("stamp", y, text=line.text))
    for page in pages:
        while page.items and page.items[-1].kind == "break":
            page.items.pop()
    return pages
