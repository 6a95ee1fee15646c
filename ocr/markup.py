"""The markup of SPEC §2: parse page or document text into lines and spans, render it back.

A text is a sequence of lines. A line is one of

* :class:`TypedLine` — typed text made of :class:`Typed`, :class:`Insertion`
  (``<sup>…</sup>``) and :class:`Deletion` (``~~…~~``) spans;
* :class:`NoteLine` — ``<note>…</note>`` alone on its line;
* :class:`StampLine` — ``<stamp>…</stamp>`` alone on its line;
* :class:`TickLine` — a tick ``✓`` alone on its line;
* :class:`BlankLine` — an empty line, a paragraph break.

``render(parse(text)) == text`` for every well-formed text; malformed markup
raises :class:`~ocr.errors.MarkupError` with the line and column of the fault,
never a guess. Spans do not nest and do not cross line ends.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Union

from ocr.errors import MarkupError

TICK = "✓"
SUP_OPEN, SUP_CLOSE = "<sup>", "</sup>"
STRIKE = "~~"
_LINE_TAGS = ("note", "stamp")
# Any tag we know, so that "<" in ordinary text (rare in typescripts) stays text.
_TAG = re.compile(r"</?(?:sup|note|stamp)>")
_TILDES = re.compile(r"~{2,}")


@dataclass(frozen=True)
class Typed:
    text: str


@dataclass(frozen=True)
class Insertion:
    text: str


@dataclass(frozen=True)
class Deletion:
    text: str


Span = Union[Typed, Insertion, Deletion]


@dataclass(frozen=True)
class TypedLine:
    spans: tuple[Span, ...]

    @property
    def typed_text(self) -> str:
        """The line as typed: insertions left out, deleted words kept."""
        return "".join(s.text for s in self.spans if not isinstance(s, Insertion))

    @property
    def reading_text(self) -> str:
        """The line as meant: insertions applied, deletions removed."""
        return "".join(s.text for s in self.spans if not isinstance(s, Deletion))

    @property
    def plain_text(self) -> str:
        """Everything written on the line, tags removed."""
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True)
class NoteLine:
    text: str


@dataclass(frozen=True)
class StampLine:
    text: str


@dataclass(frozen=True)
class TickLine:
    pass


@dataclass(frozen=True)
class BlankLine:
    pass


Line = Union[TypedLine, NoteLine, StampLine, TickLine, BlankLine]


@dataclass(frozen=True)
class Document:
    lines: tuple[Line, ...]

    def typed_lines(self) -> list[TypedLine]:
        return [line for line in self.lines if isinstance(line, TypedLine)]

    def insertions(self) -> list[str]:
        return [s.text for line in self.typed_lines() for s in line.spans if isinstance(s, Insertion)]

    def deletions(self) -> list[str]:
        return [s.text for line in self.typed_lines() for s in line.spans if isinstance(s, Deletion)]

    def notes(self) -> list[str]:
        return [line.text for line in self.lines if isinstance(line, NoteLine)]


# --------------------------------------------------------------------------- parsing


def parse(text: str, *, source: str = "") -> Document:
    """Parse markup text into a :class:`Document`; ``source`` names the file in errors."""
    lines = text.split("\n")
    return Document(tuple(_parse_line(raw, number, source) for number, raw in enumerate(lines, 1)))


def _parse_line(raw: str, number: int, source: str) -> Line:
    if raw == "":
        return BlankLine()
    if raw == TICK:
        return TickLine()
    for tag in _LINE_TAGS:
        opener = f"<{tag}>"
        if raw.startswith(opener):
            return _parse_line_tag(raw, tag, number, source)
    return TypedLine(_parse_spans(raw, number, source))


def _parse_line_tag(raw: str, tag: str, number: int, source: str) -> Line:
    opener, closer = f"<{tag}>", f"</{tag}>"
    if not raw.endswith(closer) or len(raw) < len(opener) + len(closer):
        raise MarkupError(f"<{tag}> must be closed by {closer} at the end of the same line",
                          line=number, column=1, source=source)
    body = raw[len(opener):-len(closer)]
    _reject_inner_markup(body, f"<{tag}>", number, len(opener) + 1, source)
    return NoteLine(body) if tag == "note" else StampLine(body)


def _reject_inner_markup(body: str, where: str, number: int, column0: int, source: str) -> None:
    tag = _TAG.search(body)
    if tag:
        raise MarkupError(f"{tag.group()} inside {where} is not allowed",
                          line=number, column=column0 + tag.start(), source=source)
    tildes = _TILDES.search(body)
    if tildes:
        raise MarkupError(f"strike-through {tildes.group()!r} inside {where} is not allowed",
                          line=number, column=column0 + tildes.start(), source=source)


def _parse_spans(raw: str, number: int, source: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    plain_start = 0
    pos = 0
    while pos < len(raw):
        tag = _TAG.match(raw, pos)
        tildes = _TILDES.match(raw, pos)
        if tag is None and tildes is None:
            pos += 1
            continue
        column = pos + 1
        if tildes is not None:
            if len(tildes.group()) != 2:
                raise MarkupError(f"{tildes.group()!r} is not a strike-through marker; use exactly '~~'",
                                  line=number, column=column, source=source)
            end = raw.find(STRIKE, pos + 2)
            if end < 0:
                raise MarkupError("'~~' is not closed on this line", line=number, column=column,
                                  source=source)
            body = raw[pos + 2:end]
            kind: type[Deletion] | type[Insertion] = Deletion
            after = end + 2
            if raw.startswith("~", after):
                raise MarkupError(f"{raw[end:after + 1]!r} closes a strike-through ambiguously",
                                  line=number, column=end + 1, source=source)
        else:
            assert tag is not None
            if tag.group() != SUP_OPEN:
                what = tag.group()
                hint = "stands alone on its own line" if what.strip("</>") in _LINE_TAGS else "has no opening <sup>"
                raise MarkupError(f"stray {what}: {what.replace('/', '')} {hint}",
                                  line=number, column=column, source=source)
            end = raw.find(SUP_CLOSE, pos + len(SUP_OPEN))
            if end < 0:
                raise MarkupError("<sup> is not closed on this line", line=number, column=column,
                                  source=source)
            body = raw[pos + len(SUP_OPEN):end]
            kind = Insertion
            after = end + len(SUP_CLOSE)
        where = "~~" if kind is Deletion else "<sup>"
        _reject_inner_markup(body, where, number, column + (2 if kind is Deletion else 5), source)
        if not body.strip():
            raise MarkupError(f"empty {where} span", line=number, column=column, source=source)
        if plain_start < pos:
            spans.append(Typed(raw[plain_start:pos]))
        spans.append(kind(body))
        pos = plain_start = after
    if plain_start < len(raw):
        spans.append(Typed(raw[plain_start:]))
    return tuple(spans)


# --------------------------------------------------------------------------- rendering


def render(document: Document) -> str:
    """Render a document back to markup text; the inverse of :func:`parse`."""
    return "\n".join(render_line(line) for line in document.lines)


def render_line(line: Line) -> str:
    if isinstance(line, BlankLine):
        return ""
    if isinstance(line, TickLine):
        return TICK
    if isinstance(line, NoteLine):
        return f"<note>{line.text}</note>"
    if isinstance(line, StampLine):
        return f"<stamp>{line.text}</stamp>"
    return "".join(render_span(span) for span in line.spans)


def render_span(span: Span) -> str:
    if isinstance(span, Insertion):
        return f"{SUP_OPEN}{span.text}{SUP_CLOSE}"
    if isinstance(span, Deletion):
        return f"{STRIKE}{span.text}{STRIKE}"
    return span.text


# --------------------------------------------------------------------------- text views (SPEC §5)


def typed_text(document: Document) -> str:
    """Typed text only: insertions and notes removed, deleted text kept."""
    return "\n".join(line.typed_text for line in document.typed_lines())


def reading_text(document: Document) -> str:
    """Reading text: insertions applied, deleted spans removed, notes kept in order."""
    return "\n".join(_lines_text(document.lines, lambda line: line.reading_text))


def plain_text(document: Document) -> str:
    """Everything, tags removed, deleted text kept, stamps dropped."""
    return "\n".join(_lines_text(document.lines, lambda line: line.plain_text))


def insertions_text(document: Document) -> str:
    """The insertions' texts in order, joined by newlines."""
    return "\n".join(document.insertions())


def _lines_text(lines: Iterable[Line], typed) -> list[str]:
    out: list[str] = []
    for line in lines:
        if isinstance(line, TypedLine):
            out.append(typed(line))
        elif isinstance(line, NoteLine):
            out.append(line.text)
        elif isinstance(line, TickLine):
            out.append(TICK)
        elif isinstance(line, BlankLine):
            out.append("")
    return out
