"""``archocr run``: output tree, resumability, failures, crashes, timeouts, atomic writes, CLI codes.

The page processing is a fake (module-level, so worker processes can load
it): the batch logic is tested without Tesseract or the pipeline.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocr import cli
from ocr.batch import TesseractProcess, plan_pages, run_batch
from ocr.errors import ArchocrError, UsageError
from ocr.imageio import SourcePage
from ocr.jobs import JOB_FILE, file_sha256
from ocr.model import Box, Page, Region, Step
from ocr.outputs import output_paths, parse_formats, write_atomic, write_outputs
from ocr.pagejson import read_page
from fakes import FakeEngine

MARKUP = "Товарищ <sup>Ким</sup> Ир ~~Сен~~ заявил\n<note>подпись</note>\n"


def fake_process(source: SourcePage) -> Page:
    h, w = source.image.shape[:2]
    text = f"{source.path.stem} {source.index + 1}"
    return Page(image=str(source.path), width=w, height=h, dpi=source.dpi or 300,
                regions=(Region(id="l1", kind="typed_line", box=Box(0, 0, w, h), text=text),),
                markup=MARKUP, steps=(Step("fake", values={"page": source.index + 1}),),
                engine=FakeEngine().info())


def failing_process(source: SourcePage) -> Page:
    if "bad" in source.path.name:
        raise ValueError("boom")
    return fake_process(source)


def crashing_process(source: SourcePage) -> Page:
    if "crash" in source.path.name:
        os._exit(3)  # as a segfault in native code would
    return fake_process(source)


def slow_process(source: SourcePage) -> Page:
    if "slow" in source.path.name:
        time.sleep(5)
    return fake_process(source)


class Counting:
    """A process that remembers which pages it was asked for (in-process runs only)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, source: SourcePage) -> Page:
        self.seen.append(f"{source.path.name}:{source.index}")
        return fake_process(source)


def _png(path: Path, value: int = 0, size: tuple[int, int] = (8, 12)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(size, value, np.uint8)).save(path)
    return path


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """scans/a/x.png, scans/b/y.jpg, scans/m.tif (3 pages)."""
    root = tmp_path / "scans"
    _png(root / "a" / "x.png", 10)
    (root / "b").mkdir(parents=True)
    Image.fromarray(np.full((8, 12, 3), 200, np.uint8)).save(root / "b" / "y.jpg")
    frames = [Image.fromarray(np.full((6, 6), v, np.uint8)) for v in (1, 2, 3)]
    frames[0].save(root / "m.tif", save_all=True, append_images=frames[1:])
    return root


def _run(inputs, out: Path, process=fake_process, **kw):
    lines: list[str] = []
    result = run_batch(inputs, out, process=process, progress=lines.append, **kw)
    return result, lines


def test_outputs_mirror_the_input_tree(box: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result, lines = _run([box], out, jobs=1)
    assert (result.done, result.skipped, result.failed, result.exit_code) == (5, 0, [], 0)
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = [f"{stem}.{ext}" for stem in ("a/x", "b/y", "m_p0001", "m_p0002", "m_p0003")
                for ext in ("json", "md", "txt")]
    assert names == sorted(expected + [JOB_FILE])
    data = json.loads((out / "m_p0002.json").read_text(encoding="utf-8"))
    assert data["source"]["path"] == "m.tif" and data["source"]["page"] == 2
    assert data["source"]["sha256"] == file_sha256(box / "m.tif")
    assert read_page(out / "m_p0002.json").steps[0].values == {"page": 2}
    assert (out / "a" / "x.md").read_text(encoding="utf-8") == MARKUP
    assert (out / "a" / "x.txt").read_text(encoding="utf-8") == "Товарищ Ким Ир  заявил\nподпись\n"
    assert lines[0].startswith("[1/5] a/x.png … ") and lines[0].endswith(" s")
    assert any(line.startswith("[3/5] m.tif p1") for line in lines)
    assert lines[-1].startswith("done 5, skipped 0, failed 0 in ") and "pages/min" in lines[-1]


def test_single_file_input_writes_beside_nothing_else(box: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result, _ = _run([box / "a" / "x.png"], out)
    assert result.done == 1 and (out / "x.json").is_file()


def test_rerun_skips_done_pages_and_redoes_changed_ones(box: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run([box], out)
    process = Counting()
    result, lines = _run([box], out, process=process)
    assert (result.done, result.skipped, process.seen) == (0, 5, [])
    assert any("skipping 5 page(s)" in line for line in lines)

    os.utime(box / "a" / "x.png", ns=(1, 10**18))  # touched, same bytes: still done
    assert _run([box], out, process=process)[0].skipped == 5 and process.seen == []

    _png(box / "a" / "x.png", 99)       # new content
    (out / "b" / "y.md").unlink()       # an output lost
    result, _ = _run([box], out, process=process)
    assert (result.done, result.skipped) == (2, 3)
    assert sorted(process.seen) == ["x.png:0", "y.jpg:0"]

    (out / JOB_FILE).unlink()           # the page JSONs still know their sources
    process.seen.clear()
    assert _run([box], out, process=process)[0].skipped == 5 and process.seen == []

    result, _ = _run([box], out, process=process, force=True)
    assert result.done == 5 and len(process.seen) == 5


def test_a_failing_page_is_listed_and_the_others_written(box: Path, tmp_path: Path) -> None:
    _png(box / "bad.png")
    (box / "junk.png").write_text("not an image")
    out = tmp_path / "out"
    result, lines = _run([box], out, process=failing_process, jobs=2)
    assert result.exit_code == 1 and result.done == 5
    failed = dict(result.failed)
    assert failed["bad.png"] == "ValueError: boom"
    assert "not an image" in failed["junk.png"]
    assert not (out / "bad.json").exists()
    assert all(p.is_file() for p in output_paths(out / "a" / "x", ("json", "md", "txt")))
    assert any("bad.png FAILED: ValueError: boom" in line for line in lines)
    assert "failed pages:" in lines[-1] and "junk.png" in lines[-1]
    # progress counts the 6 pages processed; the unreadable file is reported apart
    counters = [line.split("]")[0] + "]" for line in lines if line.startswith("[")]
    assert sorted(counters) == [f"[{i}/6]" for i in range(1, 7)]
    # the failed page is tried again next time, the done ones are not
    result, _ = _run([box], out, process=failing_process)
    assert (result.skipped, [label for label, _ in result.failed]) == (5, ["junk.png", "bad.png"])


def test_a_crashing_worker_fails_only_its_page(tmp_path: Path) -> None:
    for name in ("p1", "p2", "crash", "p3", "p4", "p5"):
        _png(tmp_path / "in" / f"{name}.png")
    result, _ = _run([tmp_path / "in"], tmp_path / "out", process=crashing_process, jobs=2)
    assert [label for label, _ in result.failed] == ["crash.png"]
    assert "crashed" in result.failed[0][1]
    assert result.done == 5 and result.exit_code == 1


def test_page_timeout(tmp_path: Path) -> None:
    _png(tmp_path / "in" / "slow.png")
    _png(tmp_path / "in" / "quick.png")
    started = time.perf_counter()
    result, _ = _run([tmp_path / "in"], tmp_path / "out", process=slow_process, timeout=0.3)
    assert time.perf_counter() - started < 3
    assert result.done == 1 and result.failed[0][0] == "slow.png"
    assert "longer than 0.3 s" in result.failed[0][1]


def test_same_stem_different_suffix_do_not_collide(tmp_path: Path) -> None:
    a, b = _png(tmp_path / "in" / "a.png"), tmp_path / "in" / "a.tif"
    Image.open(a).save(b)
    tasks, _ = plan_pages([a, b], tmp_path / "in", tmp_path / "out", formats=("json",))
    assert [t.key for t in tasks] == ["a_png", "a_tif"]


def test_nothing_to_do_and_bad_out(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no images"):
        run_batch([tmp_path / "empty"], tmp_path / "out", process=fake_process)
    _png(tmp_path / "in" / "x.png")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        run_batch([tmp_path / "in"], tmp_path / "file", process=fake_process)
    with pytest.raises(ValueError, match="picklable"):
        run_batch([tmp_path / "in"], tmp_path / "out", process=lambda s: fake_process(s), jobs=2)


def test_write_outputs_and_formats(tmp_path: Path) -> None:
    page = fake_process(SourcePage(Path("s.png"), 0, np.zeros((4, 5), np.uint8), 300))
    written = write_outputs(page, tmp_path / "deep" / "p.v2", ["txt", "json"], json_extra={"source": {"page": 1}})
    assert [p.name for p in written] == ["p.v2.txt", "p.v2.json"]  # JSON last: it marks completion
    assert read_page(written[1]) == page
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["p.v2.json", "p.v2.txt"]
    assert parse_formats([]) == ("md", "txt", "json")
    assert parse_formats(["JSON", "md, txt"]) == ("md", "txt", "json")
    with pytest.raises(UsageError, match="unknown output format 'docx'; supported: md, txt, json"):
        parse_formats(["docx"])
    with pytest.raises(UsageError, match="'tei' is not available yet"):
        parse_formats(["tei"])


def test_interrupted_write_leaves_the_old_file_and_no_partial(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "p.json"
    target.write_text("old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new and complete")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_tesseract_process_pickles_without_its_engine() -> None:
    import pickle

    process = TesseractProcess(timeout=5)
    process._engine = object()
    clone = pickle.loads(pickle.dumps(process))
    assert clone.timeout == 5 and clone._engine is None


def test_cli_exit_codes(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "empty").mkdir()
    assert cli.main(["run", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    _png(tmp_path / "in" / "x.png")
    _png(tmp_path / "in" / "bad.png")
    args = [str(tmp_path / "in"), "--out", str(tmp_path / "o")]
    assert cli.main(["run", *args, "--format", "docx"]) == 2
    assert cli.main(["run", *args, "--jobs", "0"]) == 2
    assert "supported: md, txt, json" in capsys.readouterr().err

    monkeypatch.setattr("ocr.engine.check_available", lambda lang=None: None)
    monkeypatch.setattr("ocr.batch.TesseractProcess", lambda timeout=None, postcorrect=True: failing_process)
    assert cli.main(["run", *args, "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert "bad.png FAILED" in err and "done 1, skipped 0, failed 1" in err
    assert (tmp_path / "o" / "x.json").is_file()


def dying_process(source: SourcePage) -> Page:
    os._exit(4)


def test_workers_that_always_die_stop_the_batch(tmp_path: Path) -> None:
    for i in range(8):
        _png(tmp_path / "in" / f"p{i}.png")
    with pytest.raises(ArchocrError, match="in a row"):
        _run([tmp_path / "in"], tmp_path / "out", process=dying_process, jobs=2)
