"""How an evaluation :class:`~ocr.evaluate.Report` is shown: fixed-width table, markdown, JSON, HTML.

Error rates are percentages with two decimals, F1 scores fractions with
three. In JSON an infinite error rate (output where the ground truth is
empty) is ``null``; the counts beside it say why.
"""
from __future__ import annotations

import html
import math
from typing import Any

from rapidfuzz.distance import Levenshtein

from ocr.evaluate import METRICS, SPAN_METRICS, PageResult, Report, Scores, Summary
from ocr.metrics import graphemes, normalize

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
    return "\n".join(out)


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


def report_to_dict(report: Report) -> dict[str, Any]:
    """``{pages, overall, levels, missing, warnings}``, ready for :func:`json.dumps`."""
    return {
        "pages": [{"page": p.page, "level": p.level, "prediction": p.prediction,
                   **scores_to_dict(p.scores)} for p in report.pages],
        "overall": {"pages": report.overall.pages, **scores_to_dict(report.overall.scores)},
        "levels": {level: {"pages": s.pages, **scores_to_dict(s.scores)}
                   for level, s in report.levels.items()},
        "missing": list(report.missing),
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
            f"{html.escape(note)}</h3>\n"
            f'<pre class="diff">{diff_html(page.gt_reading, page.pred_reading)}</pre>')


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
<h2>Reading text, page by page</h2>
{sections}
</body></html>
"""
