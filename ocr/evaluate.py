"""``archocr eval GT PRED``: score predicted pages against ground truth (SPEC §5).

GT is a folder of ``<page>.gt.md`` files (searched recursively) or one such
file; PRED mirrors it with ``<page>.md`` (markup, preferred) or ``<page>.txt``
(plain text: every text view is the whole text, and there are no spans). A
page missing from PRED scores as empty output. A prediction whose markup does
not parse is scored as plain text, with a warning.

Region detection is scored too (:mod:`ocr.regionmatch`): when a page's
``<page>.gt.json`` sibling lists ``regions`` and PRED holds ``<page>.json``
(as ``archocr run`` writes it), regions are matched one-to-one per kind at
IoU ≥ 0.5. Pages lacking either file are left out of region scoring only, and
:attr:`PageResult.regions_left_out` says why.

:func:`evaluate` is the plain function; :func:`run` is the command around it.
Formatting (table, JSON, HTML) lives in :mod:`ocr.eval_report`.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from ocr.errors import MarkupError, UsageError
from ocr.markup import insertions_text, parse, plain_text, reading_text, typed_text
from ocr.metrics import ErrorCounts, SpanCounts, cer_counts, span_counts, wer_counts
from ocr.model import Box
from ocr.regionmatch import RegionCounts, add_counts, empty_counts, region_counts

GT_SUFFIX = ".gt.md"
GT_JSON_SUFFIX = ".gt.json"
PRED_SUFFIXES = (".md", ".txt")  # in order of preference
PRED_JSON_SUFFIX = ".json"

# Why a page is left out of region scoring.
NO_GT_REGIONS = "no .gt.json regions"
NO_PRED_JSON = "no prediction .json"
UNREADABLE = "unreadable region file"

# metric name -> the PageTexts view it compares
CER_METRICS = {"cer_all": "all", "cer_typed": "typed", "cer_insertions": "insertions",
               "cer_reading": "reading"}
WER_METRICS = {"wer_reading": "reading", "wer_typed": "typed"}
SPAN_METRICS = {"insertion_f1": "insertion_spans", "deletion_f1": "deletion_spans"}
METRICS = (*CER_METRICS, *WER_METRICS, *SPAN_METRICS)


# --------------------------------------------------------------------------- pure core


@dataclass(frozen=True)
class PageTexts:
    """The texts of one page that SPEC §5 compares (stamps already dropped)."""

    all: str = ""
    typed: str = ""
    insertions: str = ""
    reading: str = ""
    insertion_spans: tuple[str, ...] = ()
    deletion_spans: tuple[str, ...] = ()


def texts_from_markup(text: str, *, source: str = "") -> PageTexts:
    """The text views of a markup page; raises :class:`MarkupError` if it does not parse."""
    document = parse(text, source=source)
    return PageTexts(all=plain_text(document), typed=typed_text(document),
                     insertions=insertions_text(document), reading=reading_text(document),
                     insertion_spans=tuple(document.insertions()),
                     deletion_spans=tuple(document.deletions()))


def texts_from_plain(text: str) -> PageTexts:
    """A plain-text prediction: typed text without markup, so no insertions or deletions."""
    return PageTexts(all=text, typed=text, insertions="", reading=text)


@dataclass(frozen=True)
class Scores:
    """Counts behind every metric; add two to micro-average."""

    errors: Mapping[str, ErrorCounts] = field(default_factory=dict)
    spans: Mapping[str, SpanCounts] = field(default_factory=dict)

    def value(self, metric: str) -> float:
        """The metric's value: an error rate (may be ``inf``) or an F1."""
        if metric in SPAN_METRICS:
            return self.spans.get(metric, SpanCounts()).f1
        return self.errors.get(metric, ErrorCounts()).rate

    def values(self) -> dict[str, float]:
        return {metric: self.value(metric) for metric in METRICS}

    def __add__(self, other: Scores) -> Scores:
        return Scores(
            errors={m: self.errors.get(m, ErrorCounts()) + other.errors.get(m, ErrorCounts())
                    for m in (*CER_METRICS, *WER_METRICS)},
            spans={m: self.spans.get(m, SpanCounts()) + other.spans.get(m, SpanCounts())
                   for m in SPAN_METRICS})


def score_texts(gt: PageTexts, pred: PageTexts) -> Scores:
    """Score one page: CER and WER counts per view, span counts for insertions and deletions."""
    errors = {m: cer_counts(getattr(gt, view), getattr(pred, view)) for m, view in CER_METRICS.items()}
    errors.update({m: wer_counts(getattr(gt, view), getattr(pred, view))
                   for m, view in WER_METRICS.items()})
    spans = {m: span_counts(getattr(gt, view), getattr(pred, view)) for m, view in SPAN_METRICS.items()}
    return Scores(errors=errors, spans=spans)


@dataclass(frozen=True)
class PageResult:
    """One page's scores; ``prediction`` says what was read: md, txt, md-as-text or missing."""

    page: str
    level: str | None
    prediction: str
    scores: Scores
    gt_reading: str = ""
    pred_reading: str = ""
    regions: Mapping[str, RegionCounts] | None = None  # None: left out of region scoring
    regions_left_out: str | None = None  # why, when ``regions`` is None


@dataclass(frozen=True)
class Summary:
    """Micro-averaged scores over a set of pages."""

    pages: int
    scores: Scores
    region_pages: int = 0  # pages with region scoring
    regions: Mapping[str, RegionCounts] = field(default_factory=empty_counts)

    @classmethod
    def of(cls, pages: list[PageResult]) -> Summary:
        scored = [p.regions for p in pages if p.regions is not None]
        regions: Mapping[str, RegionCounts] = empty_counts()
        for counts in scored:
            regions = add_counts(regions, counts)
        return cls(len(pages), sum((p.scores for p in pages), Scores()),
                   region_pages=len(scored), regions=regions)


@dataclass(frozen=True)
class Report:
    """Everything ``archocr eval`` found; formatting is in :mod:`ocr.eval_report`."""

    gt: str
    pred: str
    pages: tuple[PageResult, ...]
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def overall(self) -> Summary:
        return Summary.of(list(self.pages))

    @property
    def regions_left_out(self) -> dict[str, list[str]]:
        """Reason -> pages left out of region scoring, reasons in first-seen order."""
        out: dict[str, list[str]] = {}
        for p in self.pages:
            if p.regions is None:
                out.setdefault(p.regions_left_out or NO_GT_REGIONS, []).append(p.page)
        return out

    @property
    def levels(self) -> dict[str, Summary]:
        """Per-level summaries, the synthetic levels from light to heavy first, then others
        in first-seen order; pages without a level left out."""
        seen = dict.fromkeys(p.level for p in self.pages if p.level is not None)
        names = [n for n in LEVEL_ORDER if n in seen] + [n for n in seen if n not in LEVEL_ORDER]
        return {name: Summary.of([p for p in self.pages if p.level == name]) for name in names}


LEVEL_ORDER = ("light", "medium", "heavy")


# --------------------------------------------------------------------------- files


def find_gt_pages(gt: Path) -> dict[str, Path]:
    """Page name (relative path without ``.gt.md``) -> ground-truth file, sorted by name."""
    if gt.is_file():
        return {_strip_suffix(gt.name, GT_SUFFIX): gt}
    found = {_strip_suffix(p.relative_to(gt).as_posix(), GT_SUFFIX): p
             for p in gt.rglob(f"*{GT_SUFFIX}") if p.is_file()}
    return dict(sorted(found.items()))


def find_prediction(pred: Path, page: str) -> Path | None:
    """``PRED/<page>.md`` or else ``PRED/<page>.txt``; None if neither exists."""
    for suffix in PRED_SUFFIXES:
        candidate = pred / f"{page}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def gt_json_path(gt_file: Path) -> Path:
    """The ``<page>.gt.json`` sibling of ``<page>.gt.md`` (it may not exist)."""
    return gt_file.with_name(_strip_suffix(gt_file.name, GT_SUFFIX) + GT_JSON_SUFFIX)


def find_prediction_json(pred: Path, page: str) -> Path | None:
    """``PRED/<page>.json``, or for a single prediction file its ``.json`` sibling."""
    candidate = pred.with_suffix(PRED_JSON_SUFFIX) if pred.is_file() else pred / f"{page}{PRED_JSON_SUFFIX}"
    return candidate if candidate != pred and candidate.is_file() else None


def _read_json(path: Path) -> object:
    """The parsed file, or None if there is no such file; ``ValueError`` if it is not JSON."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ValueError(f"cannot read: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from exc


def read_level(gt_file: Path) -> str | None:
    """The ``level`` key of the page's ``.gt.json`` sibling, if there is one."""
    try:
        data = _read_json(gt_json_path(gt_file))
    except ValueError:
        return None
    level = data.get("level") if isinstance(data, dict) else None
    return None if level is None else str(level)


def read_regions(path: Path) -> list[tuple[str, Box]] | None:
    """``(kind, box)`` of every region of a page JSON (SPEC §4); None if there is no file or no ``regions`` list.

    Raises ``ValueError`` if the file is not JSON or a region has no usable ``kind`` and ``bbox``.
    """
    data = _read_json(path)
    regions = data.get("regions") if isinstance(data, dict) else None
    if not isinstance(regions, list):
        return None
    out: list[tuple[str, Box]] = []
    for i, region in enumerate(regions):
        try:
            out.append((str(region["kind"]), Box.from_list(region["bbox"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"region {i}: no usable kind and bbox ({exc!r})") from exc
    return out


def score_regions(gt_file: Path, pred_json: Path | None,
                  warnings: list[str]) -> tuple[dict[str, RegionCounts] | None, str | None]:
    """Region counts of one page, or None and why the page is left out of region scoring."""
    gt_json = gt_json_path(gt_file)
    try:
        gt_regions = read_regions(gt_json)
    except ValueError as exc:
        warnings.append(f"{gt_json}: {exc}; page left out of region scoring")
        return None, UNREADABLE
    if gt_regions is None:
        return None, NO_GT_REGIONS
    if pred_json is None:
        return None, NO_PRED_JSON
    try:
        pred_regions = read_regions(pred_json)
    except ValueError as exc:
        warnings.append(f"{pred_json}: {exc}; page left out of region scoring")
        return None, UNREADABLE
    if pred_regions is None:
        warnings.append(f"{pred_json}: no regions list; page left out of region scoring")
        return None, UNREADABLE
    return region_counts(gt_regions, pred_regions), None


def _strip_suffix(name: str, suffix: str) -> str:
    return name[: -len(suffix)] if name.endswith(suffix) else Path(name).stem


def _read(path: Path) -> str:
    """UTF-8 text (BOM tolerated) with Unix line ends."""
    return path.read_text(encoding="utf-8-sig", errors="replace").replace("\r\n", "\n")


def _prediction_texts(path: Path | None, warnings: list[str]) -> tuple[PageTexts, str]:
    if path is None:
        return PageTexts(), "missing"
    text = _read(path)
    if path.suffix != ".md":
        return texts_from_plain(text), "txt"
    try:
        return texts_from_markup(text, source=str(path)), "md"
    except MarkupError as exc:
        warnings.append(f"{path}: markup does not parse, scored as plain text ({exc})")
        return texts_from_plain(text), "md as text"


def evaluate(gt_dir: str | Path, pred_dir: str | Path) -> Report:
    """Score every ground-truth page under ``gt_dir`` against its prediction under ``pred_dir``.

    Raises :class:`UsageError` if a path does not exist or GT holds no pages,
    and :class:`MarkupError` if a ground-truth file is malformed.
    """
    gt, pred = Path(gt_dir), Path(pred_dir)
    for label, path in (("GT", gt), ("PRED", pred)):
        if not path.exists():
            raise UsageError(f"{label} does not exist: {path}")
    pages = find_gt_pages(gt)
    if not pages:
        raise UsageError(f"no ground-truth pages (*{GT_SUFFIX}) under {gt}")
    if gt.is_dir() and pred.is_file():
        raise UsageError(f"PRED must be a folder when GT is a folder: {pred}")
    warnings: list[str] = []
    results: list[PageResult] = []
    for page, gt_file in pages.items():
        gt_texts = texts_from_markup(_read(gt_file), source=str(gt_file))
        pred_file = pred if pred.is_file() else find_prediction(pred, page)
        pred_texts, kind = _prediction_texts(pred_file, warnings)
        regions, left_out = score_regions(gt_file, find_prediction_json(pred, page), warnings)
        results.append(PageResult(page=page, level=read_level(gt_file), prediction=kind,
                                  scores=score_texts(gt_texts, pred_texts),
                                  gt_reading=gt_texts.reading, pred_reading=pred_texts.reading,
                                  regions=regions, regions_left_out=left_out))
    missing = tuple(r.page for r in results if r.prediction == "missing")
    return Report(gt=str(gt), pred=str(pred), pages=tuple(results), missing=missing,
                  warnings=tuple(warnings))


# --------------------------------------------------------------------------- command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``archocr eval``."""
    parser.add_argument("gt", metavar="GT", help="folder of <page>.gt.md files (recursive), or one file")
    parser.add_argument("pred", metavar="PRED",
                        help="folder mirroring GT with <page>.md (preferred) or <page>.txt")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print a JSON object instead of the table")
    output.add_argument("--markdown", action="store_true", help="print markdown tables (for docs)")
    parser.add_argument("--report", metavar="FILE.html", type=Path,
                        help="also write an HTML page with the table and per-page diffs")


def run(args: argparse.Namespace) -> int:
    """Evaluate, print the table (or JSON) to stdout, optionally write the HTML report."""
    from ocr.eval_report import format_markdown, format_table, render_html, report_to_dict

    report = evaluate(args.gt, args.pred)
    for warning in report.warnings:
        print(f"archocr: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report_to_dict(report), ensure_ascii=False, indent=2))
    elif args.markdown:
        print(format_markdown(report))
    else:
        print(format_table(report))
    if args.report:
        try:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            args.report.write_text(render_html(report), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write the report {args.report}: {exc}") from exc
        print(f"archocr: wrote {args.report}", file=sys.stderr)
    return 0
