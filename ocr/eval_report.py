"""How an evaluation :class:`~ocr.evaluate.Report` is shown: fixed-width table, markdown, JSON, HTML.

Error rates are percentages with two decimals, F1 scores fractions with
three. In JSON an infinite error rate (output where the ground truth is
empty) is ``null``; the counts beside it say why.

Region detection (:mod:`ocr.regionmatch`) gets its own small table, one row
per kind: ground-truth count, recall and precision overall, then recall/precision
per level. Recall without ground-truth regions, or precision without predicted
ones, is undefined: ``-`` in tables, ``null`` in JSON. When no page could be
region-scored, the text, markdown and HTML outputs have no region table.
"""
from __future__ import annotations

import html
import math
from typing import Any, Mapping

from rapidfuzz.distance import Levenshtein

from ocr.evaluate import METRICS, SPAN_METRICS, PageResult, Report, Scores, Summary
from ocr.metrics import graphemes, normalize
from ocr.regionmatch import IOU_THRESHOLD, SCORED_KINDS, RegionCounts

HEADERS = {"cer_all": "CER all", "cer_typed": "CER typed", "cer_insertions": "CER ins",
           "cer_reading": "CER read", "wer_reading": "WER read", "wer_typed": "WER typed",
           "insertion_f1": "ins F1", "deletion_f1": "del F1"}


def format_value(metric: str, value: float, *, percent_sign: bool = False) -> str:
    """``12.34`` for a rate (percent), ``0.875`` for an F1, ``inf`` for an infinite rate."""
    if metric in SPAN_METRICS:
        return f"{value:.3f}"
    if math.isinf(value):
        return "inf"
    return f"{value * 100:.2f}" + ("%" if percent_sign else "")


def format_fraction(value: float | None) -> str:
    """A recall or precision as ``0.875``; ``-`` when undefined."""
    return "-" if value is None else f"{value:.3f}"


# --------------------------------------------------------------------------- region table


REGIONS_TITLE = f"regions (IoU ≥ {IOU_THRESHOLD:g})"


def _region_header(report: Report) -> list[str]:
    return ["kind", "GT", "recall", "precision", *(f"{level} R/P" for level in report.levels)]


def _region_rows(report: Report) -> list[list[str]]:
    """One row per kind: GT count, overall recall and precision, then ``R/P`` per level."""
    overall, levels = report.overall, report.levels
    rows = []
    for kind in SCORED_KINDS:
        counts = overall.regions.get(kind, RegionCounts())
        row = [kind, str(counts.gt), format_fraction(counts.recall), format_fraction(counts.precision)]
        for summary in levels.values():
            c = summary.regions.get(kind, RegionCounts())
            row.append(f"{format_fraction(c.recall)}/{format_fraction(c.precision)}"
                       if summary.region_pages else "")
        rows.append(row)
    return rows


def _region_footer(report: Report) -> str:
    """How many pages were region-scored, and how many were left out and why."""
    total, scored = len(report.pages), report.overall.region_pages
    noun = "page" if total == 1 else "pages"
    text = f"region scoring over {scored} of {total} {noun}"
    left_out = report.regions_left_out
    if left_out:
        reasons = ", ".join(f"{reason}: {len(pages)}" for reason, pages in left_out.items())
        text += f"; left out {total - scored} ({reasons})"
    return text


def _has_regions(report: Report) -> bool:
    return report.overall.region_pages > 0


# --------------------------------------------------------------------------- text table


def _page_rows(report: Report) -> list[list[str]]:
    return [[p.page, p.level or "", p.prediction,
             *(format_value(m, p.scores.value(m)) for m in METRICS)] for p in report.pages]


def _summary_rows(report: Report) -> list[list[str]]:
    """One row per level, then the overall row; the label fills the first three columns."""
    rows = [_summary_row(f"level {level}", summary) for level, summary in report.levels.items()]
    rows.append(_summary_row("overall", report.overall))
    return rows


def _summary_row(label: str, summary: Summary) -> list[str]:
    noun = "page" if summary.pages == 1 else "pages"
    return [f"{label} ({summary.pages} {noun})", "", "",
            *(format_value(m, summary.scores.value(m)) for m in METRICS)]


def format_table(report: Report) -> str:
    """Per-page rows, per-level and overall micro-averages; missing pages listed below."""
    header = ["page", "level", "pred", *(f"{HEADERS[m]}{'' if m in SPAN_METRICS else ' %'}"
                                         for m in METRICS)]
    pages, summaries = _page_rows(report), _summary_rows(report)
    # The summary labels span the first three columns, so only page rows size those.
    widths = [max([len(header[i])] + [len(r[i]) for r in (pages if i < 3 else pages + summaries)])
              for i in range(len(header))]
    label_width = max(widths[0] + 2 + widths[1] + 2 + widths[2], *(len(r[0]) for r in summaries))

    def line(cells: list[str], summary: bool = False) -> str:
        if summary:
            left = cells[0].ljust(label_width)
        else:
            left = "  ".join(c.ljust(w) for c, w in zip(cells[:3], widths[:3])).ljust(label_width)
        right = "  ".join(c.rjust(w) for c, w in zip(cells[3:], widths[3:]))
        return f"{left}  {right}".rstrip()

    rule = "-" * len(line(header))
    out = [line(header), rule, *(line(r) for r in pages), rule,
           *(line(r, summary=True) for r in summaries)]
    if report.missing:
        out.append("")
        out.append(f"missing from PRED, scored as empty output ({len(report.missing)}): "
                   + ", ".join(report.missing))
    if _has_regions(report):
        out += ["", *format_region_table(report).splitlines()]
    return "\n".join(out)


def format_region_table(report: Report) -> str:
    """The fixed-width region table with its title and footer."""
    header, rows = _region_header(report), _region_rows(report)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "-" * len(line(header))
    return "\n".join([REGIONS_TITLE, line(header), rule, *(line(r) for r in rows), rule,
                      _region_footer(report)])


def format_markdown(report: Report) -> str:
    """Per-level and overall rows as a markdown table (for docs/accuracy.md)."""
    header = ["level", "pages", *(HEADERS[m] for m in METRICS)]
    rows = [[level, str(s.pages), *(format_value(m, s.scores.value(m), percent_sign=True)
                                     for m in METRICS)] for level, s in report.levels.items()]
    overall = report.overall
    rows.append(["**all**", str(overall.pages),
                 *(format_value(m, overall.scores.value(m), percent_sign=True) for m in METRICS)])
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---", "---:"] + ["---:"] * len(METRICS)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    if _has_regions(report):
        header = _region_header(report)
        lines += ["", f"**{REGIONS_TITLE}**", "",
                  "| " + " | ".join(header) + " |",
                  "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in _region_rows(report)]
        lines += ["", _region_footer(report) + "."]
    return "\n".join(lines)


# --------------------------------------------------------------------------- JSON


def _json_number(value: float) -> float | None:
    return None if math.isinf(value) else value


def scores_to_dict(scores: Scores) -> dict[str, Any]:
    """Metric values plus the counts behind them (``[distance, n]`` or ``[tp, fp, fn]``)."""
    out: dict[str, Any] = {m: _json_number(scores.value(m)) for m in METRICS}
    counts: dict[str, list[int]] = {m: [c.distance, c.n] for m, c in scores.errors.items()}
    counts.update({m: [c.tp, c.fp, c.fn] for m, c in scores.spans.items()})
    out["counts"] = counts
    return out


def regions_to_dict(regions: Mapping[str, RegionCounts] | None) -> dict[str, dict[str, Any]] | None:
    """``{kind: {tp, fp, fn, recall, precision}}``; None for a page left out of region scoring."""
    if regions is None:
        return None
    return {kind: {"tp": c.tp, "fp": c.fp, "fn": c.fn, "recall": c.recall, "precision": c.precision}
            for kind, c in regions.items()}


def _summary_to_dict(summary: Summary) -> dict[str, Any]:
    return {"pages": summary.pages, **scores_to_dict(summary.scores),
            "region_pages": summary.region_pages, "regions": regions_to_dict(summary.regions)}


def report_to_dict(report: Report) -> dict[str, Any]:
    """``{pages, overall, levels, missing, regions_left_out, warnings}``, ready for :func:`json.dumps`.

    Each page, the overall summary and each level carry ``regions`` (see
    :func:`regions_to_dict`; a page's is null when it was left out, and
    ``regions_left_out`` says why); summaries also count ``region_pages``.
    """
    return {
        "pages": [{"page": p.page, "level": p.level, "prediction": p.prediction,
                   **scores_to_dict(p.scores), "regions": regions_to_dict(p.regions),
                   "regions_left_out": p.regions_left_out} for p in report.pages],
        "overall": _summary_to_dict(report.overall),
        "levels": {level: _summary_to_dict(s) for level, s in report.levels.items()},
        "missing": list(report.missing),
        "regions_left_out": report.regions_left_out,
        "warnings": list(report.warnings),
    }


# --------------------------------------------------------------------------- HTML


_CSS = """
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: 2px 6px; }
td.num { text-align: right; font-family: monospace; }
tr.summary td { font-weight: bold; background: #f4f4f4; }
pre.diff { white-space: pre-wrap; font-family: monospace; background: #fafafa;
           border: 1px solid #ddd; padding: .5em; line-height: 1.5; }
del { background: #fcc; color: #900; text-decoration: line-through; }
ins { background: #cfc; color: #060; text-decoration: none; }
"""


def diff_html(gt: str, pred: str) -> str:
    """Character (grapheme) diff of the SPEC-normalised texts: ``<del>`` ground truth, ``<ins>`` output.

    The alignment is an optimal Levenshtein alignment, so the edits shown are
    exactly the ones CER counts.
    """
    a, b = graphemes(normalize(gt)), graphemes(normalize(pred))
    parts: list[str] = []
    for op in Levenshtein.opcodes(a, b):
        old = html.escape("".join(a[op.src_start:op.src_end]))
        new = html.escape("".join(b[op.dest_start:op.dest_end]))
        if op.tag == "equal":
            parts.append(old)
            continue
        if old:
            parts.append(f"<del>{old}</del>")
        if new:
            parts.append(f"<ins>{new}</ins>")
    return "".join(parts)


def _html_row(cells: list[str], *, summary: bool = False) -> str:
    if summary:  # the label spans page, level and pred
        tds = [f'<td colspan="3">{html.escape(cells[0])}</td>']
    else:
        tds = [f"<td>{html.escape(c)}</td>" for c in cells[:3]]
    tds += [f'<td class="num">{html.escape(c)}</td>' for c in cells[3:]]
    opening = '<tr class="summary">' if summary else "<tr>"
    return f"{opening}{''.join(tds)}</tr>"


def _page_section(index: int, page: PageResult) -> str:
    cer = format_value("cer_reading", page.scores.value("cer_reading"))
    note = " (no prediction: scored as empty output)" if page.prediction == "missing" else ""
    return (f'<h3 id="p{index}">{html.escape(page.page)} — CER reading {cer} %'
            f"{html.escape(note)}</h3>\n{_page_regions_html(page)}"
            f'<pre class="diff">{diff_html(page.gt_reading, page.pred_reading)}</pre>')


def _page_regions_html(page: PageResult) -> str:
    """One line: per kind present on either side, found of GT and spurious predictions."""
    if page.regions is None:
        return ""
    parts = [f"{kind} {c.tp} of {c.gt} found, {c.fp} spurious"
             for kind, c in page.regions.items() if c.gt or c.fp]
    return f"<p>Regions: {html.escape('; '.join(parts) or 'none on either side')}.</p>\n"


def _html_region_table(report: Report) -> str:
    header = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in _region_header(report)) + "</tr>"
    rows = ["<tr>" + f"<td>{html.escape(r[0])}</td>"
            + "".join(f'<td class="num">{html.escape(c)}</td>' for c in r[1:]) + "</tr>"
            for r in _region_rows(report)]
    return (f"<h2>{html.escape(REGIONS_TITLE)}</h2>\n<table>\n{header}\n" + "\n".join(rows)
            + f"\n</table>\n<p>{html.escape(_region_footer(report))}.</p>")


def render_html(report: Report) -> str:
    """A self-contained HTML page: the table, then a reading-text diff per page."""
    header = ["page", "level", "pred", *(HEADERS[m] for m in METRICS)]
    body = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    body += [_html_row(row) for row in _page_rows(report)]
    body += [_html_row(row, summary=True) for row in _summary_rows(report)]
    missing = ""
    if report.missing:
        missing = ("<p>Missing from PRED, scored as empty output: "
                   + html.escape(", ".join(report.missing)) + "</p>")
    sections = "\n".join(_page_section(i, p) for i, p in enumerate(report.pages))
    regions = _html_region_table(report) if _has_regions(report) else ""
    title = f"archocr eval: {report.gt} vs {report.pred}"
    return f"""<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Error rates in percent (micro-averaged in summary rows), F1 as fractions.
In the diffs, <del>struck red</del> is ground truth the output missed and
<ins>green</ins> is output not in the ground truth.</p>
<table>
{chr(10).join(body)}
</table>
{missing}
{regions}
<h2>Reading text, page by page</h2>
{sections}
</body></html>
"""
