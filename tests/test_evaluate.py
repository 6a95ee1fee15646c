"""``archocr eval``: page matching, per-page numbers counted by hand, output shapes, failures."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ocr import cli
from ocr.errors import MarkupError, UsageError
from ocr.eval_report import diff_html, format_markdown, format_table, render_html
from ocr.evaluate import METRICS, evaluate, texts_from_markup, texts_from_plain


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture()
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    """Four GT pages: p1 markup prediction, sub/p2 a .txt, p3 missing, p4 malformed markup."""
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    _write(gt / "p1.gt.md", "Тов. Ким<sup>А.</sup> ~~был~~ пришёл\n<stamp>Секретно</stamp>\n"
                            "<note>подпись</note>\n")
    _write(gt / "p1.gt.json", json.dumps({"level": "light"}))
    _write(pred / "p1.md", "Тов. Кям<sup>А.</sup> пришёл\n<stamp>Совсем другое</stamp>\n"
                           "<note>подпись</note>\n")
    _write(gt / "sub" / "p2.gt.md", "второй лист\n")
    _write(gt / "sub" / "p2.gt.json", json.dumps({"level": "medium", "seed": 7}))
    _write(pred / "sub" / "p2.txt", "второй лкст\n")
    _write(gt / "p3.gt.md", "<sup>да</sup>третий\n")
    _write(gt / "p4.gt.md", "Ответ\n")
    _write(pred / "p4.md", "Ответ <sup>\n")
    _write(pred / "extra.md", "a page that is not in GT is ignored\n")
    return gt, pred


def _main(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    return cli.main(argv)


def test_text_views_follow_spec(corpus):
    texts = texts_from_markup((corpus[0] / "p1.gt.md").read_text(encoding="utf-8"))
    assert "Секретно" not in texts.all and "Секретно" not in texts.reading  # stamps dropped
    assert "подпись" in texts.all and "подпись" not in texts.typed  # note text kept, not typed
    assert texts.insertion_spans == ("А.",) and texts.deletion_spans == ("был",)
    plain = texts_from_plain("как есть <sup>x</sup>")
    assert plain.all == plain.typed == plain.reading == "как есть <sup>x</sup>"
    assert plain.insertions == "" and plain.insertion_spans == plain.deletion_spans == ()


def test_per_page_numbers_counted_by_hand(corpus):
    report = evaluate(*corpus)
    pages = {p.page: p for p in report.pages}
    assert list(pages) == ["p1", "p3", "p4", "sub/p2"]

    p1 = pages["p1"]
    assert (p1.prediction, p1.level) == ("md", "light")
    values = p1.scores.values()
    # all:     "Тов. КимА. был пришёл подпись" (29) vs "Тов. КямА. пришёл подпись":
    #          и->я, and "был " deleted (4): 5/29
    assert values["cer_all"] == 5 / 29
    # typed:   "Тов. Ким был пришёл" (19) vs "Тов. Кям пришёл": 1 + 4 = 5/19
    assert values["cer_typed"] == 5 / 19
    # insertions: "А." vs "А.": 0/2
    assert p1.scores.errors["cer_insertions"].n == 2 and values["cer_insertions"] == 0.0
    # reading: "Тов. КимА. пришёл подпись" (25) vs "Тов. КямА. пришёл подпись": 1/25
    assert values["cer_reading"] == 1 / 25
    # words: [Тов., КимА., пришёл, подпись] vs [Тов., КямА., пришёл, подпись]: 1/4
    assert values["wer_reading"] == 1 / 4
    # typed words: [Тов., Ким, был, пришёл] vs [Тов., Кям, пришёл]: 1 sub + 1 del = 2/4
    assert values["wer_typed"] == 2 / 4
    assert values["insertion_f1"] == 1.0  # "А." found
    assert values["deletion_f1"] == 0.0  # "был" missed: tp 0, fn 1

    p2 = pages["sub/p2"]
    assert (p2.prediction, p2.level) == ("txt", "medium")
    # "второй лист" (11) vs "второй лкст": 1/11 in every view; no spans on either side.
    assert p2.scores.value("cer_all") == p2.scores.value("cer_reading") == 1 / 11
    assert p2.scores.value("cer_insertions") == 0.0
    assert p2.scores.value("insertion_f1") == p2.scores.value("deletion_f1") == 1.0

    p3 = pages["p3"]
    assert (p3.prediction, p3.level) == ("missing", None)
    # empty output: all 8 clusters of "датретий" lost, the insertion "да" missed.
    assert p3.scores.errors["cer_all"].distance == 8 and p3.scores.value("cer_all") == 1.0
    assert p3.scores.value("cer_typed") == 1.0 and p3.scores.errors["cer_typed"].n == 6
    assert p3.scores.value("insertion_f1") == 0.0

    p4 = pages["p4"]
    assert p4.prediction == "md as text"
    # "Ответ" (5) vs "Ответ <sup>" read as plain text: 6 inserted clusters, 6/5.
    assert p4.scores.value("cer_all") == 6 / 5

    assert report.missing == ("p3",)
    assert len(report.warnings) == 1 and "p4.md" in report.warnings[0]


def test_overall_and_levels_are_micro_averages(corpus):
    report = evaluate(*corpus)
    # cer_all distances / lengths: p1 5/29, p2 1/11, p3 8/8, p4 6/5 -> 20/53
    assert report.overall.pages == 4
    assert report.overall.scores.value("cer_all") == 20 / 53
    # insertion spans: p1 tp 1; p3 fn 1 -> F1 = 2 / (2 + 1)
    assert report.overall.scores.value("insertion_f1") == pytest.approx(2 / 3)
    assert list(report.levels) == ["light", "medium"]
    assert report.levels["light"].scores.value("cer_all") == 5 / 29
    assert report.levels["medium"].pages == 1


def test_markup_preferred_over_text(tmp_path):
    _write(tmp_path / "gt" / "a.gt.md", "слово\n")
    _write(tmp_path / "pred" / "a.md", "слово\n")
    _write(tmp_path / "pred" / "a.txt", "совсем не то\n")
    report = evaluate(tmp_path / "gt", tmp_path / "pred")
    assert report.pages[0].prediction == "md" and report.overall.scores.value("cer_all") == 0.0


def test_single_files(tmp_path):
    _write(tmp_path / "a.gt.md", "слово\n")
    _write(tmp_path / "out.txt", "слава\n")
    report = evaluate(tmp_path / "a.gt.md", tmp_path / "out.txt")
    assert [p.page for p in report.pages] == ["a"]
    assert report.overall.scores.value("cer_all") == 2 / 5  # слово -> слава: two о -> а


def test_empty_ground_truth_with_output_is_infinite(tmp_path):
    _write(tmp_path / "gt" / "a.gt.md", "<stamp>только штамп</stamp>\n")
    _write(tmp_path / "pred" / "a.txt", "шум\n")
    report = evaluate(tmp_path / "gt", tmp_path / "pred")
    assert math.isinf(report.pages[0].scores.value("cer_all"))
    assert "inf" in format_table(report)


def test_table_output(corpus, monkeypatch, capsys):
    assert _main(["eval", str(corpus[0]), str(corpus[1])], monkeypatch) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    p1 = next(line for line in lines if line.startswith("p1 "))
    assert f"{5 / 29 * 100:.2f}" in p1 and "0.000" in p1  # cer_all 17.24, deletion F1
    overall = next(line for line in lines if line.startswith("overall (4 pages)"))
    assert f"{20 / 53 * 100:.2f}" in overall
    assert any(line.startswith("level light (1 page)") for line in lines)
    assert "p3" in lines[-1] and "missing" in lines[-1]
    assert "p4.md" in captured.err and "warning" in captured.err


def test_json_output_shape(corpus, monkeypatch, capsys):
    assert _main(["eval", str(corpus[0]), str(corpus[1]), "--json"], monkeypatch) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"pages", "overall", "levels", "missing"} <= set(data)
    assert data["missing"] == ["p3"]
    assert [p["page"] for p in data["pages"]] == ["p1", "p3", "p4", "sub/p2"]
    page = data["pages"][0]
    assert set(METRICS) <= set(page) and page["level"] == "light"
    assert page["counts"]["cer_all"] == [5, 29] and page["counts"]["deletion_f1"] == [0, 0, 1]
    assert data["overall"]["pages"] == 4 and data["overall"]["cer_all"] == pytest.approx(20 / 53)
    assert set(data["levels"]) == {"light", "medium"}


def test_json_infinite_rate_is_null(tmp_path, monkeypatch, capsys):
    _write(tmp_path / "gt" / "a.gt.md", "<stamp>штамп</stamp>\n")
    _write(tmp_path / "pred" / "a.txt", "шум\n")
    assert _main(["eval", str(tmp_path / "gt"), str(tmp_path / "pred"), "--json"], monkeypatch) == 0
    page = json.loads(capsys.readouterr().out)["pages"][0]
    assert page["cer_all"] is None and page["counts"]["cer_all"] == [3, 0]


def test_html_report(corpus, tmp_path, monkeypatch, capsys):
    out = tmp_path / "reports" / "eval.html"
    assert _main(["eval", str(corpus[0]), str(corpus[1]), "--report", str(out)], monkeypatch) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page
    assert "К<del>и</del><ins>я</ins>мА." in page  # p1's reading diff
    assert "Ответ<ins> &lt;sup&gt;</ins>" in page  # the malformed prediction, escaped


def test_diff_html_escapes_and_marks_edits():
    assert diff_html("a<b", "a>b") == "a<del>&lt;</del><ins>&gt;</ins>b"
    assert diff_html("ab", "ab") == "ab"
    assert diff_html("", "x") == "<ins>x</ins>"


def test_markdown_has_levels_and_overall(corpus):
    table = format_markdown(evaluate(*corpus)).splitlines()
    assert table[0].startswith("| level | pages |") and len(table) == 2 + 3
    assert table[-1].startswith("| **all** | 4 |") and f"{20 / 53 * 100:.2f}%" in table[-1]
    assert render_html(evaluate(*corpus)).count('class="summary"') == 3


def test_empty_gt_folder_is_usage_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    with pytest.raises(UsageError):
        evaluate(tmp_path / "gt", tmp_path / "pred")
    assert _main(["eval", str(tmp_path / "gt"), str(tmp_path / "pred")], monkeypatch) == 2
    assert "no ground-truth pages" in capsys.readouterr().err


def test_missing_paths_are_usage_errors(corpus, tmp_path, monkeypatch):
    gt, pred = corpus
    assert _main(["eval", str(tmp_path / "nope"), str(pred)], monkeypatch) == 2
    assert _main(["eval", str(gt), str(tmp_path / "nope")], monkeypatch) == 2


def test_malformed_ground_truth_is_an_error_naming_the_file(tmp_path):
    _write(tmp_path / "gt" / "bad.gt.md", "~~не закрыто\n")
    (tmp_path / "pred").mkdir()
    with pytest.raises(MarkupError, match="bad.gt.md"):
        evaluate(tmp_path / "gt", tmp_path / "pred")


def _regions(*regions: tuple[str, list[int]]) -> list[dict]:
    return [{"id": f"r{i}", "kind": kind, "bbox": bbox, "text": "", "conf": 1.0}
            for i, (kind, bbox) in enumerate(regions)]


@pytest.fixture()
def region_corpus(tmp_path: Path) -> tuple[Path, Path]:
    """a and b region-scored (levels light, heavy); c has no prediction .json, d no .gt.json."""
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    for page in "abcd":
        _write(gt / f"{page}.gt.md", "строка\n")
        _write(pred / f"{page}.md", "строка\n")
    _write(gt / "a.gt.json", json.dumps({"level": "light", "regions": _regions(
        ("typed_line", [0, 0, 300, 40]), ("insertion", [10, 10, 50, 30]),
        ("deletion", [100, 10, 150, 30]), ("signature", [400, 500, 600, 560]))}))
    _write(pred / "a.json", json.dumps({"image": "a.png", "regions": _regions(
        ("typed_line", [0, 0, 300, 40]), ("typed_line", [0, 50, 300, 90]),
        ("insertion", [10, 10, 50, 30]), ("deletion", [100, 200, 150, 220]),
        ("margin_note", [400, 500, 600, 560]))}))
    _write(gt / "b.gt.json", json.dumps({"level": "heavy", "regions": _regions(
        ("insertion", [10, 10, 50, 30]), ("stamp", [500, 500, 600, 600]))}))
    _write(pred / "b.json", json.dumps({"regions": _regions(
        ("insertion", [200, 200, 240, 220]), ("stamp", [505, 505, 600, 600]),
        ("checkmark", [1, 1, 5, 5]))}))
    _write(gt / "c.gt.json", json.dumps({"level": "light", "regions": _regions(
        ("insertion", [10, 10, 50, 30]))}))
    _write(pred / "d.json", json.dumps({"regions": _regions(("insertion", [10, 10, 50, 30]))}))
    return gt, pred


def test_region_scoring_counted_by_hand(region_corpus, monkeypatch, capsys):
    from ocr.regionmatch import RegionCounts

    report = evaluate(*region_corpus)
    pages = {p.page: p for p in report.pages}
    a, b = pages["a"].regions, pages["b"].regions
    # a: insertion found; deletion box elsewhere (fp + fn); the signature predicted as a
    # margin note misses both kinds but is found as a note; one spurious typed line.
    assert a["insertion"] == RegionCounts(1, 0, 0) and a["deletion"] == RegionCounts(0, 1, 1)
    assert a["signature"] == RegionCounts(0, 0, 1) and a["margin_note"] == RegionCounts(0, 1, 0)
    assert a["note"] == RegionCounts(1, 0, 0) and a["typed_line"] == RegionCounts(1, 1, 0)
    # b: insertion box elsewhere; stamp IoU 95·95/100·100 = 0.9025; a spurious checkmark.
    assert b["insertion"] == RegionCounts(0, 1, 1) and b["stamp"] == RegionCounts(1, 0, 0)
    assert b["checkmark"] == RegionCounts(0, 1, 0)
    assert pages["c"].regions is None and pages["c"].regions_left_out == "no prediction .json"
    assert pages["d"].regions is None and pages["d"].regions_left_out == "no .gt.json regions"
    assert report.regions_left_out == {"no prediction .json": ["c"], "no .gt.json regions": ["d"]}

    overall = report.overall
    assert overall.region_pages == 2
    assert overall.regions["insertion"] == RegionCounts(1, 1, 1)  # micro-average of a and b
    assert overall.regions["insertion"].recall == 0.5
    assert report.levels["light"].region_pages == 1  # c is light but left out
    assert report.levels["light"].regions["insertion"] == RegionCounts(1, 0, 0)
    assert report.levels["heavy"].regions["stamp"].precision == 1.0

    lines = format_table(report).splitlines()
    start = lines.index("regions (IoU ≥ 0.5)")
    assert lines[start + 1].split() == ["kind", "GT", "recall", "precision", "light", "R/P",
                                        "heavy", "R/P"]
    rows = {line.split()[0]: line.split() for line in lines[start + 3:start + 11]}
    assert rows["insertion"] == ["insertion", "2", "0.500", "0.500", "1.000/1.000", "0.000/0.000"]
    assert rows["note"] == ["note", "1", "1.000", "1.000", "1.000/1.000", "-/-"]
    assert rows["checkmark"] == ["checkmark", "0", "-", "0.000", "-/-", "-/0.000"]
    assert lines[-1] == ("region scoring over 2 of 4 pages; left out 2 "
                         "(no prediction .json: 1, no .gt.json regions: 1)")

    markdown = format_markdown(report)
    assert "| insertion | 2 | 0.500 | 0.500 | 1.000/1.000 | 0.000/0.000 |" in markdown
    page = render_html(report)
    assert "regions (IoU ≥ 0.5)" in page and "signature 0 of 1 found, 0 spurious" in page

    assert _main(["eval", *map(str, region_corpus), "--json"], monkeypatch) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["region_pages"] == 2
    assert data["overall"]["regions"]["insertion"] == {"tp": 1, "fp": 1, "fn": 1,
                                                       "recall": 0.5, "precision": 0.5}
    assert data["levels"]["heavy"]["regions"]["checkmark"]["recall"] is None
    by_page = {p["page"]: p for p in data["pages"]}
    assert by_page["a"]["regions"]["note"]["tp"] == 1 and by_page["c"]["regions"] is None
    assert by_page["d"]["regions_left_out"] == "no .gt.json regions"


def test_no_region_table_without_region_files(corpus):
    report = evaluate(*corpus)  # p1 and p2 have .gt.json with a level but no regions
    assert report.overall.region_pages == 0
    assert "regions (IoU" not in format_table(report) and "regions (IoU" not in render_html(report)


def test_unreadable_prediction_json_is_left_out_with_a_warning(tmp_path):
    _write(tmp_path / "gt" / "a.gt.md", "строка\n")
    _write(tmp_path / "gt" / "a.gt.json", json.dumps({"regions": []}))
    _write(tmp_path / "pred" / "a.md", "строка\n")
    _write(tmp_path / "pred" / "a.json", "{not json")
    report = evaluate(tmp_path / "gt", tmp_path / "pred")
    assert report.pages[0].regions is None and report.pages[0].regions_left_out == "unreadable region file"
    assert len(report.warnings) == 1 and "a.json" in report.warnings[0]
