"""The markup of SPEC §2: round trip, text views and located errors."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr import markup
from ocr.errors import MarkupError
from ocr.markup import (BlankLine, Deletion, Document, Insertion, NoteLine, StampLine, TickLine,
                        Typed, TypedLine)

# Text that cannot be mistaken for markup: Cyrillic, digits, the typewriter's punctuation.
_plain_chars = st.sampled_from(list("абвгдежзийклмнопрстуфхцчшщъыьэюя АБВГДЕЖЗИКЛМНОПРСТУХЦЧШЭЮЯ0123456789.,:;-()\"'!?/N%"))
plain = st.text(_plain_chars, min_size=1, max_size=20)
span_body = plain.filter(lambda s: s.strip())


@st.composite
def typed_lines(draw) -> str:
    parts = draw(st.lists(st.one_of(
        plain,
        span_body.map(lambda s: f"<sup>{s}</sup>"),
        span_body.map(lambda s: f"~~{s}~~"),
    ), min_size=1, max_size=6))
    # Two strike-throughs back to back ("~~a~~~~b~~") are rejected as ambiguous: separate them.
    line = parts[0]
    for part in parts[1:]:
        line += (" " + part) if line.endswith("~") and part.startswith("~") else part
    if line in (markup.TICK, ""):
        line += "x"
    return line


lines = st.one_of(
    typed_lines(),
    plain.map(lambda s: f"<note>{s}</note>"),
    plain.map(lambda s: f"<stamp>{s}</stamp>"),
    st.just("✓"),
    st.just(""),
)


@settings(max_examples=300)
@given(st.lists(lines, min_size=1, max_size=12).map("\n".join))
def test_render_of_parse_is_identity(text: str) -> None:
    assert markup.render(markup.parse(text)) == text


@settings(max_examples=200)
@given(st.lists(lines, min_size=1, max_size=12).map("\n".join))
def test_views_contain_no_tags(text: str) -> None:
    doc = markup.parse(text)
    for view in (markup.typed_text(doc), markup.reading_text(doc), markup.plain_text(doc)):
        assert "<sup>" not in view and "</sup>" not in view and "~~" not in view
        assert "<note>" not in view and "<stamp>" not in view


def test_parse_types_each_line() -> None:
    text = "Москва, ЦК КПСС.\n\n<note>В архив</note>\n<stamp>Секретно</stamp>\n✓"
    doc = markup.parse(text)
    assert doc.lines == (
        TypedLine((Typed("Москва, ЦК КПСС."),)),
        BlankLine(),
        NoteLine("В архив"),
        StampLine("Секретно"),
        TickLine(),
    )


def test_parse_inline_spans() -> None:
    doc = markup.parse("о необходимости ~~партии~~ <sup>кадров и мер</sup> дополнить")
    assert doc.lines[0] == TypedLine((
        Typed("о необходимости "), Deletion("партии"), Typed(" "),
        Insertion("кадров и мер"), Typed(" дополнить"),
    ))


def test_text_views_follow_spec_5() -> None:
    text = ("Мы сказали, что ~~желательно~~ <sup>и мы предлагаем</sup> решение.\n"
            "\n<note>А. Мимозн</note>\n<stamp>Секретно</stamp>")
    doc = markup.parse(text)
    assert markup.typed_text(doc) == "Мы сказали, что желательно  решение."
    assert markup.reading_text(doc) == "Мы сказали, что  и мы предлагаем решение.\n\nА. Мимозн"
    assert markup.plain_text(doc) == "Мы сказали, что желательно и мы предлагаем решение.\n\nА. Мимозн"
    assert markup.insertions_text(doc) == "и мы предлагаем"
    assert doc.deletions() == ["желательно"]
    assert doc.notes() == ["А. Мимозн"]


def test_seed_document_round_trips() -> None:
    from pathlib import Path

    seed = Path(__file__).parents[1] / "groundtruth" / "seed" / "000_a31a19e8a354493c.gt.md"
    if not seed.exists():
        pytest.skip("seed ground truth not present")
    text = seed.read_text(encoding="utf-8")
    doc = markup.parse(text, source=str(seed))
    assert markup.render(doc) == text
    assert "подема" in markup.typed_text(doc)  # typewriter spelling kept, not corrected
    assert len(doc.insertions()) >= 8 and len(doc.deletions()) >= 6


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ("начало <sup>вставка", 1, 8, "not closed"),
    ("первая\nвторая ~~зачеркнуто", 2, 8, "not closed"),
    ("</note>", 1, 1, "stray </note>"),
    ("текст </sup> текст", 1, 7, "stray </sup>"),
    ("<note>заметка", 1, 1, "must be closed"),
    ("~~внешнее <sup>внутри</sup>~~", 1, 11, "inside ~~"),
    ("<sup>вставка ~~зачеркнуто~~</sup>", 1, 14, "inside <sup>"),
    ("а ~~~б~~", 1, 3, "'~~~'"),
    ("а <sup> </sup> б", 1, 3, "empty"),
    ("<note>с ~~зачеркнутым~~</note>", 1, 9, "inside <note>"),
    ("текст <note>заметка</note>", 1, 7, "own line"),
    ("а ~~б~~~~в~~", 1, 6, "ambiguously"),
])
def test_malformed_markup_names_line_and_column(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(MarkupError) as info:
        markup.parse(text, source="page.gt.md")
    assert (info.value.line, info.value.column) == (line, column)
    assert words in str(info.value)
    assert str(info.value).startswith(f"page.gt.md:{line}:{column}:")


def test_single_tilde_and_angle_brackets_are_text() -> None:
    doc = markup.parse("около ~100 тонн, a < b")
    assert doc == Document((TypedLine((Typed("около ~100 тонн, a < b"),)),))


def test_markup_error_survives_pickling_from_a_worker() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(MarkupError("unclosed", line=3, column=7, source="p.md")))
    assert (error.line, error.column, error.source, str(error)) == (3, 7, "p.md", "p.md:3:7: unclosed")
