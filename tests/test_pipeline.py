"""The page pipeline with a fake engine: layout, anchoring and assembly without Tesseract."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr import markup, pagejson
from ocr.handread import HandWord
from ocr.imageio import SourcePage
from ocr.layout import analyze_layout
from ocr.pipeline import _read_hand, process_page
from ocr.preprocess import preprocess
from tests.fakes import FakeEngine
from tests.test_layout import LINE, MARGIN, PITCH, _cell_x, _handwrite, _line_mid
from tests.rendering import typed_page


def _page_with_corrections() -> np.ndarray:
    page = typed_page(lines=5, columns=50).copy()
    y = _line_mid(1)
    cv2.line(page, (_cell_x(27) - 5, y), (_cell_x(49) + 5, y), 30, 3)  # strike the right part of row 1
    return _handwrite(page, "кадров", _cell_x(34), int(MARGIN + 1 * LINE - 0.6 * LINE), 34)


def test_pipeline_assembles_layers_from_layout_and_words(tmp_path: Path) -> None:
    image = cv2.cvtColor(_page_with_corrections(), cv2.COLOR_GRAY2RGB)
    # Each typed row is read as four words spread across the row: the fake
    # engine returns them in call order, rows first, then handwriting.
    engine = FakeEngine(lines=[["раз", "два", "три", "четыре"]] * 5 + [["кадров"]])
    page = process_page(SourcePage(path=tmp_path / "p.png", index=0, image=image, dpi=300), engine=engine)

    kinds = [r.kind for r in page.regions]
    assert kinds.count("typed_line") == 5
    assert kinds.count("insertion") == 1 and kinds.count("deletion") == 1

    deletion = page.regions_of("deletion")[0]
    insertion = page.regions_of("insertion")[0]
    line = next(r for r in page.regions if r.id == deletion.line)
    # Words start at quarters of the row; the strike covers the last two: "три четыре".
    assert line.text[deletion.span[0]:deletion.span[1]] == "три четыре"
    assert deletion.deletion_kind == "pen"
    # The insertion stands over the struck words, so it belongs after them.
    assert insertion.line == deletion.line and insertion.offset == deletion.span[1]

    doc = markup.parse(page.markup)
    assert doc.deletions() == ["три четыре"] and doc.insertions() == ["кадров"]
    assert "раз два ~~три четыре~~ <sup>кадров</sup>" in page.markup
    layers = pagejson.layers_of(page)
    assert layers["deletions"][0]["text"] == "три четыре"
    assert "кадров" in layers["reading"] and layers["reading"].count("три") == 4  # 5 rows, one struck

    assert [s.name for s in page.steps] == ["preprocess", "layout", "recognize", "glyphs", "postcorrect", "assemble"]
    assert all(s.seconds >= 0 for s in page.steps)
    # typed rows are read without the letters no Russian typewriter had; handwriting with all
    blacklists = [settings["variables"]["tessedit_char_blacklist"] for _, _, settings in engine.calls]
    assert all("ғ" in b for b in blacklists[:5]) and blacklists[5] == ""


class _FakeHandModel:
    """Reads every hand crop as ``words`` spread over the crop, each ``conf``
    sure, and records the crops it read with the word list."""

    name = "fake hand"

    def __init__(self, words: list[str], conf: float = 0.7) -> None:
        self.words, self.conf, self.crops = words, conf, []

    def read(self, crop: np.ndarray, *, lexicon: bool = True) -> list[HandWord]:
        if lexicon:
            self.crops.append(crop)
        step = crop.shape[1] // len(self.words)
        return [HandWord(t, i * step, 0, (i + 1) * step - 2, crop.shape[0], self.conf)
                for i, t in enumerate(self.words)]


def _corrected_page(tmp_path: Path, hand_line: list[str], hands: _FakeHandModel):
    image = cv2.cvtColor(_page_with_corrections(), cv2.COLOR_GRAY2RGB)
    engine = FakeEngine(lines=[["раз", "два", "три", "четыре"]] * 5 + [hand_line])
    return process_page(SourcePage(path=tmp_path / "p.png", index=0, image=image, dpi=300), engine=engine,
                        hand_model=hands)


def test_handwriting_is_read_by_the_hand_model_when_there_is_one(tmp_path: Path) -> None:
    hands = _FakeHandModel(["кадров", "и"])
    page = _corrected_page(tmp_path, ["кадрав"], hands)
    assert len(hands.crops) == 1
    crop = hands.crops[0]
    assert crop.dtype == np.uint8 and crop.min() < 100 and np.median(crop) == 255  # the hand's ink on white
    insertion = page.regions_of("insertion")[0]
    assert insertion.text == "кадров и"
    assert insertion.conf == pytest.approx(0.7)
    assert markup.parse(page.markup).insertions() == ["кадров и"]
    recognize = next(s for s in page.steps if s.name == "recognize")
    assert recognize.params["hand_reader"] == "fake hand"


@pytest.mark.parametrize("kind, read", [("insertion", "кадров"), ("margin_note", "кадров"),
                                        ("signature", "кадров"), ("checkmark", "Кадрв")])
def test_writing_is_read_by_the_hand_model_and_ticks_are_not(kind: str, read: str) -> None:
    pre = preprocess(SourcePage(path=Path("p.png"), index=0, image=_page_with_corrections(), dpi=300))
    layout = analyze_layout(pre.binary, dpi=pre.dpi, gray=pre.gray)
    block = replace(next(h for h in layout.hand if h.kind == "insertion"), kind=kind)
    text = _read_hand(FakeEngine(lines=[["Кадрв"]]), pre.gray, layout, block, dpi=pre.dpi,
                      hand_model=_FakeHandModel(["кадров"]))
    assert text.text == read


@pytest.mark.parametrize("words, conf", [(["кадров"], 0.7), (["1"], 0.99)])
def test_a_block_the_print_model_reads_nothing_in_stays_unread(tmp_path: Path, words: list[str], conf: float
                                                               ) -> None:
    """Unless the hand model reads words in it, and surely: one mark, however sure, is none."""
    page = _corrected_page(tmp_path, [], _FakeHandModel(words, conf))
    assert not page.regions_of("insertion")
    assert words[0] not in page.markup


def test_words_the_hand_model_reads_surely_overrule_the_print_models_nothing(tmp_path: Path) -> None:
    page = _corrected_page(tmp_path, [], _FakeHandModel(["кадров", "и"], 0.95))
    assert [r.text for r in page.regions_of("insertion")] == ["кадров и"]


def test_boxes_are_in_source_pixels_of_a_skewed_page(tmp_path: Path) -> None:
    from tests.rendering import rotated

    straight = typed_page(lines=5)
    skewed = rotated(straight, 1.5)
    engine = FakeEngine(lines=[["слово"]])
    page = process_page(SourcePage(path=tmp_path / "p.png", index=0, image=skewed, dpi=300), engine=engine)
    assert abs(page.skew_deg - 1.5) < 0.15
    lines = page.regions_of("typed_line")
    assert len(lines) == 5
    # Each box must contain the ink of its line in the skewed source image.
    ink = skewed < 128
    for region in lines:
        b = region.box
        assert ink[b.y0:b.y1, b.x0:b.x1].sum() > 0.9 * ink[b.y0:b.y1].sum() * (b.width / skewed.shape[1]) * 0.5
    assert lines == sorted(lines, key=lambda r: r.box.y0)
    assert PITCH > 0


def test_signature_and_writing_tests_on_recognised_text() -> None:
    from ocr.assemble import is_writing, looks_like_signature

    assert looks_like_signature("А. Мимозн") and looks_like_signature("П.К. Кудрявцев")
    assert not looks_like_signature("т. Белякову")  # an address, not a signature
    assert not looks_like_signature("В дело. Скандинавский отдел")
    assert is_writing("В архив") and not is_writing("® |") and not is_writing("=” _")


def test_a_page_without_a_typewriter_grid_is_read_as_print(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    from tests.rendering import LINES

    img = Image.new("L", (2000, 900), 255)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 40)  # proportional
    for i, line in enumerate(LINES[:6]):
        ImageDraw.Draw(img).text((100, 100 + i * 110), line, font=font, fill=20)
    engine = FakeEngine(lines=[["первая", "строка"], ["вторая"]])
    page = process_page(SourcePage(path=tmp_path / "p.png", index=0, image=np.asarray(img), dpi=300), engine=engine)
    assert [c[0] for c in engine.calls] == ["block"]  # one read of the whole page, no per-line reads
    assert page.markup == "первая строка\nвторая"
    assert [r.kind for r in page.regions] == ["typed_line", "typed_line"]
    assert any(s.params.get("as") == "print" for s in page.steps)


def test_a_last_sheet_with_a_signature_and_the_specks_of_a_worn_copy_is_no_print(tmp_path: Path) -> None:
    import cv2

    page = np.full((3508, 2480), 255, np.uint8)  # A4 at 300 dpi
    rng = np.random.default_rng(3)
    for x, y in rng.integers(200, 3000, size=(30, 2)):  # blots of a worn carbon copy
        cv2.ellipse(page, (int(x), int(y)), (13, 12), 0, 0, 360, 30, -1)
    xs = np.linspace(1400, 2000, 40)
    signature = np.stack([xs, 3200 + 50 * np.sin(xs / 25)], axis=1).astype(np.int32)
    cv2.polylines(page, [signature], False, 40, 4)
    engine = FakeEngine(lines=[["Иванов"]])
    page = process_page(SourcePage(path=tmp_path / "p.png", index=0, image=page, dpi=300), engine=engine)
    assert not any(s.params.get("as") == "print" for s in page.steps)
    assert "block" not in [c[0] for c in engine.calls]  # no whole-page read as print


def test_ink_along_the_scan_edge_is_no_note(tmp_path: Path) -> None:
    typed = typed_page(lines=4)
    bottom = typed.shape[0]

    def teeth(reach: int) -> np.ndarray:  # dark marks up from the bottom edge, their rims soft as scanned ink's
        marks = np.full_like(typed, 255)
        for x in range(300, 1200, 30):
            cv2.rectangle(marks, (x, bottom - reach - x % 20), (x + 12, bottom + 5), 25, -1)
        return np.minimum(typed, cv2.GaussianBlur(marks, (0, 0), 1.5))

    page = teeth(30)  # the torn edge of a dark border: teeth too thin for the border mask
    engine = FakeEngine(lines=[["слово", "другое"]])
    read = process_page(SourcePage(path=tmp_path / "p.png", index=0, image=page, dpi=300), engine=engine)
    assert not read.regions_of("margin_note", "signature", "insertion", "checkmark")
    assert read.steps[1].values["edge_blocks_dropped"] == 1
    lifted = np.vstack([page[4:], np.full((4, page.shape[1]), 255, np.uint8)])  # the same teeth clear of the edge
    read = process_page(SourcePage(path=tmp_path / "p.png", index=0, image=lifted, dpi=300), engine=engine)
    assert read.regions_of("margin_note")
    deep = teeth(100)  # marks reaching four type heights into the page from its edge: writing, cut by the crop
    read = process_page(SourcePage(path=tmp_path / "p.png", index=0, image=deep, dpi=300), engine=engine)
    assert read.steps[1].values["edge_blocks_dropped"] == 0 and read.regions_of("margin_note", "signature")
