"""Page JSON (SPEC §4) and the text layers (SPEC §3), both functions of :class:`~ocr.model.Page`.

The same writer serves predictions (``<page>.json``) and synthetic ground
truth (``<page>.gt.json``), so both carry identical keys.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ocr import markup
from ocr.model import Box, Page, Region, Step, Word

FORMAT_VERSION = 1


def layers_of(page: Page) -> dict[str, Any]:
    """The layers of SPEC §3, from the page's regions and its markup."""
    doc = markup.parse(page.markup) if page.markup else markup.Document(())
    lines = page.regions_of("typed_line")
    line_text = {r.id: r.text for r in lines}
    return {
        "typescript": [{"line": r.id, "text": r.text, "bbox": r.box.as_list()} for r in lines],
        "insertions": [
            {"id": r.id, "text": r.text, "line": r.line, "offset": r.offset,
             "bbox": r.box.as_list(), "conf": r.conf}
            for r in page.regions_of("insertion")
        ],
        "deletions": [
            {"id": r.id, "line": r.line, "span": list(r.span) if r.span else None,
             "kind": r.deletion_kind, "bbox": r.box.as_list(),
             "text": _span_text(line_text.get(r.line or ""), r.span) or r.text}
            for r in page.regions_of("deletion")
        ],
        "notes": [
            {"id": r.id, "kind": r.kind, "text": r.text, "bbox": r.box.as_list(), "conf": r.conf}
            for r in page.regions_of("margin_note", "signature", "checkmark")
        ],
        "stamps": [{"id": r.id, "text": r.text, "bbox": r.box.as_list()} for r in page.regions_of("stamp")],
        "reading": markup.reading_text(doc),
        "markup": page.markup,
    }


def _span_text(text: str | None, span: tuple[int, int] | None) -> str:
    if text is None or span is None:
        return ""
    return text[span[0]:span[1]]


def region_to_dict(region: Region) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": region.id, "kind": region.kind, "bbox": region.box.as_list(),
        "text": region.text, "conf": round(region.conf, 4),
    }
    if region.line is not None:
        out["line"] = region.line
    if region.offset is not None:
        out["offset"] = region.offset
    if region.span is not None:
        out["span"] = list(region.span)
    if region.deletion_kind is not None:
        out["deletion_kind"] = region.deletion_kind
    if region.words:
        out["words"] = [{"text": w.text, "bbox": w.box.as_list(), "conf": round(w.conf, 4)}
                        for w in region.words]
    return out


def page_to_dict(page: Page, **extra: Any) -> dict[str, Any]:
    """The page as a JSON-ready dict; ``extra`` keys (e.g. ``level``) are added at the top."""
    return {
        "format": "archocr-page",
        "version": FORMAT_VERSION,
        "image": page.image,
        "width": page.width,
        "height": page.height,
        "dpi": page.dpi,
        "skew_deg": round(page.skew_deg, 3),
        **extra,
        "regions": [region_to_dict(r) for r in page.regions],
        "layers": layers_of(page),
        "steps": [asdict(s) for s in page.steps],
        "engine": dict(page.engine),
    }


def page_from_dict(data: dict[str, Any]) -> Page:
    regions = tuple(
        Region(
            id=r["id"], kind=r["kind"], box=Box.from_list(r["bbox"]), text=r.get("text", ""),
            conf=r.get("conf", 1.0),
            words=tuple(Word(w["text"], Box.from_list(w["bbox"]), w["conf"]) for w in r.get("words", ())),
            line=r.get("line"), offset=r.get("offset"),
            span=tuple(r["span"]) if r.get("span") is not None else None,
            deletion_kind=r.get("deletion_kind"),
        )
        for r in data.get("regions", ())
    )
    return Page(
        image=data["image"], width=data["width"], height=data["height"], dpi=data["dpi"],
        skew_deg=data.get("skew_deg", 0.0), regions=regions,
        markup=data.get("layers", {}).get("markup", ""),
        steps=tuple(Step(**s) for s in data.get("steps", ())),
        engine=data.get("engine", {}),
    )


def dumps(page: Page, **extra: Any) -> str:
    return json.dumps(page_to_dict(page, **extra), ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def read_page(path: Path) -> Page:
    return page_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
