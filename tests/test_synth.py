"""The synthetic scan generator: deterministic, and its ground truth true to its image."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from ocr import markup as mk
from ocr import pagejson
from ocr.synth.command import synthesize
from ocr.synth.compose import render_document
from ocr.synth.layout import LineSpec, DeletionMark, InsertionMark
from ocr.synth.truth import line_markup

DPI = 150

DOC = """Москва, ЦК КПСС.

Сов. секретно

Вечером 22 сентября состоялась новая беседа с корейскими товарищами. На беседе присутствовали Микоян, Мухитдинов, Пономарев и товарищи Ким Ир Сен и Нам Ир. Беседа продолжалась с 9 часов вечера до 2-х часов ночи.

Затем корейские товарищи показали нам новый проект резолюции пленума ЦК, в котором были учтены наши пожелания и замечания <sup>и дополнения</sup> о необходимости дополнить первоначальный проект резолюции указаниями о неправильности применения ~~организационных и административных мер~~ <sup>руководящих</sup> к значительной группе членов ЦК ~~партии~~.

✓
<note>неоднократно</note>
Мы сказали, что ~~желательно~~ <sup>и мы предлагаем</sup> положительное решение вопроса об освобождении из-под ареста Ир У. Тов. Ким Ир Сен ответил, что в ближайшее время это будет сделано.

<stamp>Секретно экз. N 2</stamp>

<note>А. Мимозн</note>

<note>23 сент 1956г.</note>
"""


def _long_doc(paragraphs: int = 14) -> str:
    body = ("Учитывая, что события на августовском пленуме произошли после того, как было обещано "
            "обеспечить проведение ленинских норм партийной жизни, мы настоятельно говорили о том, "
            "что теперь особенно важное значение имеет действительное проведение в жизнь.")
    return "\n\n".join(body for _ in range(paragraphs)) + "\n"


@pytest.fixture(scope="module")
def doc() -> mk.Document:
    return mk.parse(DOC)


@pytest.fixture(scope="module")
def pages(doc):
    return {level: render_document(doc, level=level, seed=7, dpi=DPI) for level in ("light", "medium", "heavy")}


def _all_pages(pages):
    return [p for level in pages.values() for p in level]


def test_same_seed_same_bytes_other_seed_differs(doc, pages):
    again = render_document(doc, level="medium", seed=7, dpi=DPI)
    first = pages["medium"]
    assert len(again) == len(first)
    for a, b in zip(first, again):
        assert a.image.tobytes() == b.image.tobytes()
        assert pagejson.dumps(a.page, level="medium") == pagejson.dumps(b.page, level="medium")
    other = render_document(doc, level="medium", seed=8, dpi=DPI)
    assert other[0].image.shape != first[0].image.shape or \
        other[0].image.tobytes() != first[0].image.tobytes()


def test_every_level_renders_an_a4_page(pages):
    for level, rendered in pages.items():
        page = rendered[0]
        assert page.level == level
        h, w = page.image.shape[:2]
        assert (w, h) == (page.page.width, page.page.height)
        assert abs(h / w - 297 / 210) < 0.01
        assert page.ink.shape == (h, w) and page.ink.dtype == bool
        assert page.image.dtype == np.uint8
        assert abs(page.page.skew_deg) <= 3.0


def test_every_region_has_ink_in_its_box(pages):
    for page in _all_pages(pages):
        for region in page.page.regions:
            b = region.box
            assert b.area > 0, region
            inside = page.ink[b.y0:b.y1, b.x0:b.x1].sum()
            long_text = len(region.text.replace(" ", "")) >= 8
            if long_text and region.kind in ("typed_line", "insertion", "margin_note", "signature", "deletion"):
                assert inside >= 0.02 * b.area, (region.id, region.kind, inside, b.area)
            else:
                assert inside > 0, (region.id, region.kind)


def test_no_text_ink_outside_the_region_boxes(pages):
    for page in _all_pages(pages):
        covered = np.zeros_like(page.ink)
        for region in page.page.regions:
            b = region.box.expand(1).clip(page.page.width, page.page.height)
            covered[b.y0:b.y1, b.x0:b.x1] = True
        stray = page.ink & ~covered
        assert stray.sum() == 0, (page.level, np.argwhere(stray)[:5])


def test_markup_parses_and_matches_the_typed_line_regions(pages):
    for page in _all_pages(pages):
        parsed = mk.parse(page.page.markup)
        lines = page.page.regions_of("typed_line")
        assert [line.typed_text for line in parsed.typed_lines()] == [r.text for r in lines]
        assert mk.typed_text(parsed) == "\n".join(r.text for r in lines)


def test_insertion_offsets_and_deletion_spans_index_their_lines(pages):
    seen = {"insertion": 0, "deletion": 0}
    for page in _all_pages(pages):
        parsed = mk.parse(page.page.markup)
        lines = page.page.regions_of("typed_line")
        by_id = {r.id: r for r in lines}
        expected_ins, expected_del = [], []
        for region, line in zip(lines, parsed.typed_lines()):
            pos = 0
            for span in line.spans:
                if isinstance(span, mk.Insertion):
                    expected_ins.append((region.id, pos, span.text))
                    continue
                if isinstance(span, mk.Deletion):
                    expected_del.append((region.id, (pos, pos + len(span.text)), span.text))
                pos += len(span.text)
        got_ins = [(r.line, r.offset, r.text) for r in page.page.regions_of("insertion")]
        got_del = [(r.line, r.span, r.text) for r in page.page.regions_of("deletion")]
        assert got_ins == expected_ins
        assert got_del == expected_del
        for line_id, (a, b), text in got_del:
            assert by_id[line_id].text[a:b] == text
            assert text == text.strip() and text
        seen["insertion"] += len(got_ins)
        seen["deletion"] += len(got_del)
    assert seen["insertion"] >= 3 * 3 and seen["deletion"] >= 3 * 3


def test_notes_ticks_and_stamps_are_regions(pages):
    kinds = {r.kind for p in _all_pages(pages) for r in p.page.regions}
    assert {"typed_line", "insertion", "deletion", "margin_note", "signature", "stamp", "checkmark"} <= kinds
    for page in _all_pages(pages):
        notes = [r.text for r in page.page.regions if r.kind in ("margin_note", "signature")]
        assert notes == mk.parse(page.page.markup).notes()


def test_insertion_is_written_above_its_line(pages):
    for page in _all_pages(pages):
        lines = {r.id: r for r in page.page.regions_of("typed_line")}
        for ins in page.page.regions_of("insertion"):
            line = lines[ins.line].box
            x0, x1 = max(ins.box.x0, line.x0), min(ins.box.x1, line.x1)
            ys, _ = np.nonzero(page.ink[line.y0:line.y1, x0:x1])
            assert len(ys), ins
            assert ins.box.center[1] < line.y0 + ys.mean(), (ins, line)


def test_skew_sign_is_counter_clockwise_positive(doc):
    for seed in range(6):
        page = render_document(doc, level="heavy", seed=seed, dpi=DPI, pages=1)[0]
        if abs(page.page.skew_deg) >= 1.0:
            break
    longest = max(page.page.regions_of("typed_line"), key=lambda r: len(r.text))
    b = longest.box
    ys, xs = np.nonzero(page.ink[b.y0:b.y1, b.x0:b.x1])
    slope = np.polyfit(xs, ys, 1)[0]
    measured = -np.degrees(np.arctan(slope))
    assert np.sign(measured) == np.sign(page.page.skew_deg)
    assert abs(measured - page.page.skew_deg) < 0.6


def test_clean_page_has_typed_text_only(doc):
    page = render_document(doc, level="medium", seed=3, dpi=DPI, clean=True)[0]
    assert {r.kind for r in page.page.regions} == {"typed_line"}
    parsed = mk.parse(page.page.markup)
    assert not parsed.insertions() and not parsed.deletions() and not parsed.notes()
    assert "желательно" in mk.typed_text(parsed)
    assert page.page.image.endswith("_medium_clean.png")


def test_long_document_paginates_and_pages_limits():
    doc = mk.parse(_long_doc())
    rendered = render_document(doc, level="light", seed=1, dpi=DPI)
    assert len(rendered) >= 2
    assert [p.number for p in rendered] == list(range(1, len(rendered) + 1))
    assert mk.parse(rendered[1].page.markup).typed_lines()[0].typed_text == "- 2 -"
    text = "\n".join(mk.typed_text(mk.parse(p.page.markup)) for p in rendered)
    text = text.replace("-\n", "").replace("\n", " ")
    assert text.count("Учитывая, что события") == 14 and text.count("проведение в жизнь.") == 14
    assert len(render_document(doc, level="light", seed=1, dpi=DPI, pages=1)) == 1


def test_line_markup_offsets():
    spec = LineSpec("мы предлагаем решение вопроса", 0,
                    deletions=(DeletionMark(3, 13, "pen"),),
                    insertions=(InsertionMark(14, "новое", (3, 13)), InsertionMark(29, "срочно", None)))
    lm = line_markup(spec)
    assert lm.markup == "мы ~~предлагаем~~ <sup>новое</sup> решение вопроса <sup>срочно</sup>"
    assert lm.typed_text == "мы предлагаем  решение вопроса "
    assert lm.deletion_spans == ((3, 13),)
    assert lm.insertion_offsets == (14, 31)


def test_command_writes_png_markup_and_json_byte_identically(tmp_path):
    source = tmp_path / "doc.gt.md"
    source.write_text(DOC, encoding="utf-8")

    def run(out):
        paths = synthesize(source, out=out / "scans", gt_out=out / "gt", seed=5, level="light", dpi=DPI,
                           color="rgb")
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out).rglob("*.*"))}

    first, second = run(tmp_path / "a"), run(tmp_path / "b")
    assert first == second
    png = tmp_path / "a" / "scans" / "doc_p01_light.png"
    assert png.is_file()
    gt_md = (tmp_path / "a" / "gt" / "doc_p01_light.gt.md").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "a" / "gt" / "doc_p01_light.gt.json").read_text(encoding="utf-8"))
    assert data["image"] == "doc_p01_light.png" and data["level"] == "light" and data["seed"] == 5
    assert data["layers"]["markup"] == gt_md
    page = pagejson.read_page(tmp_path / "a" / "gt" / "doc_p01_light.gt.json")
    assert page.dpi == DPI and page.regions


# --------------------------------------------------------------------------- units

from hypothesis import given, settings, strategies as st  # noqa: E402

from ocr.synth import layout  # noqa: E402
from ocr.synth.fonts import HAND_FAMILIES, hand_source  # noqa: E402
from ocr.synth.levels import LEVELS, LEVEL_NAMES  # noqa: E402

RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"


def _typesetting(**kw) -> layout.Typesetting:
    base = dict(font="pt-mono", cpi=10, cap_mm=2.3, spacing=1.5, chars_per_line=40, left_mm=25,
                top_mm=20, bottom_mm=20, indent=5, para_gap=False, header_align="left", overtype_p=0.5,
                overtype_char="х", hyphen_p=1.0)
    base.update(kw)
    return layout.Typesetting(**base)


def test_break_points_follow_russian_syllables():
    # Manually checked: раз-вер-ты-ва-ние; no break leaving one letter, none before ь/ъ/й.
    assert layout._break_points("развертывание") == [3, 6, 8, 10]
    assert layout._break_points("подъем") == [4]
    assert layout._break_points("кот") == []


words = st.lists(st.text(alphabet=RUSSIAN + ",.", min_size=1, max_size=14), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(words=words, width=st.integers(20, 70), seed=st.integers(0, 1000), marks=st.data())
def test_wrapping_keeps_every_character_and_the_marks(words, width, seed, marks):
    n = len(words)
    deleted = marks.draw(st.sets(st.integers(0, n - 1), max_size=3))
    inserted = marks.draw(st.sets(st.integers(0, n), max_size=3))
    spans: list = []
    for i, word in enumerate(words):
        if i in inserted:
            spans.append(mk.Insertion(f"вставка{i}"))
            spans.append(mk.Typed(" "))
        spans.append(mk.Deletion(word) if i in deleted else mk.Typed(word))
        spans.append(mk.Typed(" "))
    if n in inserted:
        spans.append(mk.Insertion("конец"))
    ts = _typesetting(chars_per_line=width)
    lines = layout.wrap_paragraph(mk.TypedLine(tuple(spans)), para=0, header=False, ts=ts,
                                  rng=np.random.default_rng(seed))
    rebuilt = ""
    for spec in lines:
        assert spec.col + len(spec.text) <= width
        text = spec.text
        if rebuilt and not rebuilt.endswith("\x00"):
            rebuilt += " "
        rebuilt = rebuilt.rstrip("\x00")
        rebuilt += text[:-1] + "\x00" if text.endswith("-") and spec is not lines[-1] and \
            text[:-1] and text[-2].isalpha() and lines[lines.index(spec) + 1].text[:1].isalpha() else text
        for d in spec.deletions:
            assert spec.text[d.start:d.end].strip() == spec.text[d.start:d.end] != ""
    rebuilt = rebuilt.replace("\x00", "")
    assert rebuilt.replace("-", "") == " ".join(words).replace("-", "")
    assert sorted(i.text for s in lines for i in s.insertions) == \
        sorted(f"вставка{i}" for i in inserted if i < n) + (["конец"] if n in inserted else [])
    struck = " ".join(s.text[d.start:d.end] for s in lines for d in s.deletions)
    assert struck.replace("-", "").replace(" ", "") == \
        "".join(words[i] for i in sorted(deleted)).replace("-", "")


def test_level_table_is_complete_and_ordered():
    assert set(LEVELS) == set(LEVEL_NAMES)
    light, medium, heavy = (LEVELS[name] for name in LEVEL_NAMES)
    assert light.skew_deg[1] <= medium.skew_deg[1] <= heavy.skew_deg[1] == 3.0
    assert light.carbon_p < medium.carbon_p < heavy.carbon_p
    assert light.jpeg_quality is None and heavy.jpeg_quality[1] < medium.jpeg_quality[0]
    for params in LEVELS.values():
        for value in vars(params).values():
            if isinstance(value, tuple):
                assert value[0] <= value[1]


@pytest.mark.parametrize("family", HAND_FAMILIES)
def test_handwriting_fonts_cover_russian_and_digits(family):
    src = hand_source(family, 40)
    missing = [c for c in RUSSIAN + "0123456789.,:-N" if not src.has(c)]
    assert missing == []
    assert src.font_for("ж").path != src.font_for("7").path


def test_command_refuses_bad_input(tmp_path):
    from ocr.errors import MarkupError, UsageError
    from ocr.synth.command import main

    with pytest.raises(UsageError):
        synthesize(tmp_path / "missing.gt.md", out=tmp_path)
    empty = tmp_path / "notes.gt.md"
    empty.write_text("<note>только заметка</note>\n", encoding="utf-8")
    with pytest.raises(UsageError):
        synthesize(empty, out=tmp_path)
    broken = tmp_path / "broken.gt.md"
    broken.write_text("текст <sup>без конца\n", encoding="utf-8")
    with pytest.raises(MarkupError):
        synthesize(broken, out=tmp_path)
    assert main([str(empty), "--out", str(tmp_path)]) == 2
    with pytest.raises(ValueError):
        render_document(mk.parse("текст\n"), level="extreme")
