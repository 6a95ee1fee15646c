"""The Tesseract adapter: locating models, both backends on a rendered Russian line, the fallback."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ocr.engine import DEFAULT_LANG, TesseractEngine, _as_engine_image, check_available, find_tessdata
from ocr.errors import EngineError
from ocr.metrics import cer
from fakes import FakeEngine
from rendering import text_line

SENTENCE = "Товарищ Ким Ир Сен заявил"


@pytest.fixture(scope="module")
def line_image() -> np.ndarray:
    return text_line(SENTENCE)


@pytest.fixture(scope="module")
def tesserocr_engine():
    with TesseractEngine(backend="tesserocr") as engine:
        yield engine


@pytest.fixture(scope="module")
def cli_engine():
    return TesseractEngine(backend="pytesseract")


def _text(words) -> str:
    return " ".join(w.text for w in words)


def test_thread_limit_set_by_the_engine_not_by_importing() -> None:
    code = ("import os, ocr.recognize; print(os.environ.get('OMP_THREAD_LIMIT')); "
            "from ocr.engine import TesseractEngine; TesseractEngine(); print(os.environ.get('OMP_THREAD_LIMIT'))")
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["None", "1"]


def test_find_tessdata_prefers_prefix_then_debian(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "tessdata").mkdir()
    (tmp_path / "tessdata" / "rus.traineddata").write_bytes(b"")
    assert find_tessdata("rus", environ={"TESSDATA_PREFIX": str(tmp_path / "tessdata")}) == tmp_path / "tessdata"
    assert find_tessdata("rus", environ={"TESSDATA_PREFIX": str(tmp_path)}) == tmp_path / "tessdata"
    debian = find_tessdata("rus+eng", environ={})
    assert (debian / "rus.traineddata").is_file() and (debian / "eng.traineddata").is_file()
    monkeypatch.setattr("ocr.engine.TESSDATA_CANDIDATES", ())
    with pytest.raises(EngineError, match="scripts/setup"):
        find_tessdata("rus", environ={})


def test_missing_model_or_binary_is_an_engine_error(monkeypatch) -> None:
    with pytest.raises(EngineError, match="xyz.*scripts/setup"):
        TesseractEngine(lang="xyz")
    with pytest.raises(EngineError, match="scripts/setup"):
        check_available("xyz")
    import pytesseract
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(EngineError, match="not installed"):
        TesseractEngine(backend="pytesseract")
    with pytest.raises(ValueError, match="backend"):
        TesseractEngine(backend="ocropus")


def test_engine_images_are_checked_and_masks_converted() -> None:
    mask = np.array([[True, False]])
    np.testing.assert_array_equal(_as_engine_image(mask), [[0, 255]])
    with pytest.raises(ValueError, match="uint8"):
        _as_engine_image(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="shape"):
        _as_engine_image(np.zeros((0, 4), np.uint8))


@pytest.mark.parametrize("engine_fixture", ["tesserocr_engine", "cli_engine"])
def test_both_backends_read_a_russian_line(engine_fixture: str, line_image: np.ndarray, request) -> None:
    engine: TesseractEngine = request.getfixturevalue(engine_fixture)
    words = engine.recognize_line(line_image, dpi=300)
    assert cer(SENTENCE, _text(words)) <= 0.05
    h, w = line_image.shape
    xs = [word.box.x0 for word in words]
    assert xs == sorted(xs)
    for word in words:
        assert 0 <= word.box.x0 < word.box.x1 <= w and 0 <= word.box.y0 < word.box.y1 <= h
        assert 0.0 <= word.conf <= 1.0
    assert np.mean([word.conf for word in words]) > 0.7
    # the first word's box really holds ink of the first word
    first = words[0].box
    assert (line_image[first.y0:first.y1, first.x0:first.x1] < 128).mean() > 0.05
    assert words[0].box.x1 < words[1].box.x0


def test_backends_agree_on_info(tesserocr_engine: TesseractEngine, cli_engine: TesseractEngine) -> None:
    for engine, backend in ((tesserocr_engine, "tesserocr"), (cli_engine, "pytesseract")):
        info = engine.info()
        assert set(info) == {"tesseract", "model", "tessdata", "backend"}
        assert info["backend"] == backend and info["model"] == DEFAULT_LANG
        assert re.fullmatch(r"\d+\.\d+(\.\d+)?", info["tesseract"])
        assert Path(info["tessdata"], "rus.traineddata").is_file()


def test_block_yields_lines_of_words(tesserocr_engine: TesseractEngine) -> None:
    first, second = text_line("Товарищ Ким"), text_line("заявил сегодня")
    width = max(first.shape[1], second.shape[1])
    block = np.full((first.shape[0] + second.shape[0], width), 255, np.uint8)
    block[:first.shape[0], :first.shape[1]] = first
    block[first.shape[0]:, :second.shape[1]] = second
    lines = tesserocr_engine.recognize_block(block)
    assert len(lines) == 2
    assert cer("Товарищ Ким", _text(lines[0])) <= 0.1
    assert cer("заявил сегодня", _text(lines[1])) <= 0.1
    assert lines[0][0].box.y1 <= lines[1][0].box.y0 + 5


def test_blank_and_mask_input(tesserocr_engine: TesseractEngine, line_image: np.ndarray) -> None:
    assert tesserocr_engine.recognize_line(np.full((40, 200), 255, np.uint8)) == []
    words = tesserocr_engine.recognize_line(line_image < 128)  # bool ink mask
    assert cer(SENTENCE, _text(words)) <= 0.05
    rgb = np.dstack([line_image] * 3)
    assert cer(SENTENCE, _text(tesserocr_engine.recognize_line(rgb))) <= 0.05


def test_settings_hold_for_one_call_only(tesserocr_engine: TesseractEngine, line_image: np.ndarray) -> None:
    digits = tesserocr_engine.recognize_line(line_image, variables={"tessedit_char_whitelist": "0123456789"})
    assert not re.search(r"[А-Яа-я]", _text(digits))
    assert cer(SENTENCE, _text(tesserocr_engine.recognize_line(line_image))) <= 0.05
    with pytest.raises(EngineError, match="setting"):
        tesserocr_engine.recognize_line(line_image, variables={"no_such_setting_x": "1"})


def test_falls_back_to_pytesseract_without_tesserocr(monkeypatch, line_image: np.ndarray) -> None:
    monkeypatch.setitem(sys.modules, "tesserocr", None)  # import tesserocr -> ImportError
    engine = TesseractEngine()
    assert engine.backend == "pytesseract" and engine.info()["backend"] == "pytesseract"
    assert cer(SENTENCE, _text(engine.recognize_line(line_image))) <= 0.05
    check_available("rus")  # still fine: the command-line backend is there


def test_fake_engine_scripts_words() -> None:
    fake = FakeEngine(lines=[["а", "б"], ["в"]], conf=0.5)
    image = np.zeros((20, 100), np.uint8)
    assert [w.text for w in fake.recognize_line(image, psm=7)] == ["а", "б"]
    assert [w.text for w in fake.recognize_line(image)] == ["в"]
    block = fake.recognize_block(image)
    assert [[w.text for w in line] for line in block] == [["а", "б"], ["в"]]
    assert fake.calls[0] == ("line", (20, 100), {"psm": 7}) and block[0][1].conf == 0.5
