"""Render a document into synthetic archival page scans with their ground truth.

``render_document`` is the API: a parsed document in, a list of
:class:`SynthPage` out. The order of work for one page is

1. the typist: typesetting chosen per document, paragraphs wrapped and
   paginated (:mod:`ocr.synth.layout`), lines typed (:mod:`.typewriter`);
2. the editors: deletions struck or over-typed, insertions, notes, ticks and
   stamps (:mod:`.marks`);
3. the paper: tone, bleed-through, stains, foxing, folds, punch holes;
4. the scanner: skew and placement, uneven light, blur, specks, noise,
   grey or colour, JPEG (:mod:`.degrade`).

All randomness comes from ``numpy.random.default_rng`` seeded with the seed,
a digest of the document text, the level and the page number, so the same
arguments give byte-identical output. Choices of the typist and the editors
depend on the seed and document only, so one document looks the same
(fonts, line breaks, hands) at every level.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ocr import markup as mk
from ocr.model import Page, Region, Step
from ocr.synth import degrade, marks
from ocr.synth.fonts import (HAND_FAMILIES, TYPEWRITER_FONTS, cap_ratio, hand_source, typewriter_font_path,
                             typewriter_source)
from ocr.synth.handwriting import Hand
from ocr.synth.ink import InkCanvas, smooth_noise
from ocr.synth.layout import PageItem, PagePlan, Typesetting, paginate, prepare
from ocr.synth.levels import LEVEL_NAMES, LevelParams, draw, level_params
from ocr.synth.truth import line_markup, region_box
from ocr.synth.typewriter import (CARBON_BLACK, CARBON_BLUE, CARBON_VIOLET, RIBBON_BLACK, RIBBON_VIOLET,
                                  Typewriter)

A4_MM = (210.0, 297.0)
DPIS = (150, 200, 300, 400)


@dataclass(frozen=True)
class SynthPage:
    """One rendered page: the image (uint8, H×W grey or H×W×3 RGB), its page model and text ink."""

    image: np.ndarray
    page: Page
    ink: np.ndarray
    number: int
    level: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def markup(self) -> str:
        return self.page.markup


@dataclass(frozen=True)
class Hands:
    editor: Hand        # insertions and pen strikes
    notes: Hand         # margin notes, dates
    signature: Hand
    archivist: Hand     # archival notes at the foot, often pencil


def document_key(document: mk.Document) -> int:
    return int.from_bytes(hashlib.sha256(mk.render(document).encode("utf-8")).digest()[:8], "big")


def _rng(*parts: int) -> np.random.Generator:
    return np.random.default_rng([int(p) & 0xFFFFFFFF for p in parts] + [int(p) >> 32 for p in parts])


def choose_typesetting(rng: np.random.Generator) -> Typesetting:
    font = str(rng.choice(sorted(TYPEWRITER_FONTS)))
    cpi = int(rng.choice([10, 10, 12]))
    left = float(rng.uniform(22, 30))
    cell_mm = 25.4 / cpi
    max_chars = int((A4_MM[0] - left - 12) / cell_mm)
    chars = int(min(rng.integers(60, 71), max_chars))
    return Typesetting(
        font=font, cpi=cpi, cap_mm=float(rng.uniform(2.2, 2.55) if cpi == 10 else rng.uniform(1.9, 2.15)),
        spacing=float(rng.choice([1.5, 1.5, 2.0])), chars_per_line=chars, left_mm=left,
        top_mm=float(rng.uniform(15, 25)), bottom_mm=float(rng.uniform(18, 26)),
        indent=int(rng.choice([5, 6, 8, 10])), para_gap=bool(rng.random() < 0.3),
        header_align=str(rng.choice(["left", "center", "right"])),
        overtype_p=float(rng.uniform(0.2, 0.5)), overtype_char=str(rng.choice(list("хxх-/"))),
        hyphen_p=float(rng.uniform(0.3, 0.8)),
    )


def choose_hands(rng: np.random.Generator, xheight_px: float, dpi: int) -> Hands:
    """The writers of a document, sized by x-height relative to the type's."""
    def hand(family: str, scale: float, pen: str) -> Hand:
        size = int(round(xheight_px * scale / xheight_ratio(family)))
        return Hand(family, size, float(rng.uniform(-0.05, 0.3)), pen,
                    float(rng.uniform(1.4, 2.4) * dpi / 300))
    pens = ["blue", "blue", "violet", "black", "pencil"]
    editor = hand(str(rng.choice(HAND_FAMILIES)), rng.uniform(0.85, 1.1), str(rng.choice(pens)))
    notes = editor if rng.random() < 0.5 else hand(str(rng.choice(HAND_FAMILIES)), rng.uniform(1.0, 1.3),
                                                    str(rng.choice(pens[:4])))
    signature = hand(str(rng.choice(["marck-script", "bad-script", "caveat"])), rng.uniform(1.2, 1.5),
                     str(rng.choice(pens[:4])))
    archivist = hand(str(rng.choice(HAND_FAMILIES)), rng.uniform(1.0, 1.2),
                     "pencil" if rng.random() < 0.6 else str(rng.choice(pens[:3])))
    return Hands(editor, notes, signature, archivist)


def xheight_ratio(family: str) -> float:
    return hand_source(family, 100).metrics()[1] / 100.0


def page_size(dpi: int) -> tuple[int, int]:
    """A4 in pixels: (width, height)."""
    width, height = (int(round(v / 25.4 * dpi)) for v in A4_MM)
    return width, height


def plan_document(document: mk.Document, *, seed: int, dpi: int, clean: bool,
                  pages: int | None = None) -> tuple[Typesetting, list[PagePlan]]:
    """The typist's work: typesetting and page plans, the same at every level."""
    key = document_key(document)
    ts = choose_typesetting(_rng(seed, key, 1))
    lines = prepare(document, clean=clean)
    plans = paginate(lines, ts=ts, dpi=dpi, page_height=page_size(dpi)[1], rng=_rng(seed, key, 2))
    return ts, plans if pages is None else plans[:max(pages, 0)]


def count_pages(document: mk.Document, *, seed: int, dpi: int, clean: bool, pages: int | None = None) -> int:
    return len(plan_document(document, seed=seed, dpi=dpi, clean=clean, pages=pages)[1])


def render_document(document: mk.Document, *, level: str = "medium", seed: int = 0, dpi: int = 300,
                    color: str = "auto", clean: bool = False, pages: int | None = None,
                    stem: str = "page") -> list[SynthPage]:
    """Render ``document`` into page scans at one level. ``pages`` keeps only the first N pages."""
    params = level_params(level)
    if dpi not in DPIS:
        raise ValueError(f"dpi {dpi} not supported; expected one of {DPIS}")
    if color not in ("auto", "gray", "rgb"):
        raise ValueError(f"color {color!r}: expected auto, gray or rgb")
    key = document_key(document)
    ts, plans = plan_document(document, seed=seed, dpi=dpi, clean=clean, pages=pages)
    width, height = page_size(dpi)
    level_index = LEVEL_NAMES.index(level)
    style_rng = _rng(seed, key, 3, level_index)
    carbon = bool(style_rng.random() < params.carbon_p)
    gray = color == "gray" or (color == "auto" and style_rng.random() < 0.65)
    out = []
    for plan in plans:
        rng = _rng(seed, key, 4, level_index, plan.number, int(clean))
        name = f"{stem}_p{plan.number:02d}_{level}{'_clean' if clean else ''}.png"
        out.append(render_page(plan, ts=ts, params=params, level=level, dpi=dpi, size=(width, height),
                               carbon=carbon, gray=gray, clean=clean, seed=seed, key=key, rng=rng,
                               image_name=name))
    return out


def render_page(plan: PagePlan, *, ts: Typesetting, params: LevelParams, level: str, dpi: int,
                size: tuple[int, int], carbon: bool, gray: bool, clean: bool, seed: int, key: int,
                rng: np.random.Generator, image_name: str) -> SynthPage:
    width, height = size
    px_mm = dpi / 25.4
    source_px = ts.cap_mm * px_mm / cap_ratio([typewriter_font_path(ts.font)])
    source = typewriter_source(ts.font, int(round(source_px)))
    cap, xheight, _ = source.metrics()
    cell = dpi / ts.cpi
    left = ts.left_mm * px_mm
    ribbon = RIBBON_VIOLET if _rng(seed, key, 5).random() < 0.15 else RIBBON_BLACK
    ink_color = ribbon
    if carbon:
        ink_color = [CARBON_BLUE, CARBON_VIOLET, CARBON_BLACK][int(rng.integers(3))]
    spread = (rng.uniform(1.3, 2.1) if carbon else rng.uniform(0.3, 0.5)) * dpi / 300
    opacity = draw(params.ribbon_ink, rng) * (0.95 if carbon else 1.0)
    tw = Typewriter.for_document(
        source, cell=cell, left=left, color=ink_color, opacity=opacity, ink_jitter=params.ink_jitter,
        baseline_jitter=params.baseline_jitter * cap, broken_p=params.broken_p,
        double_strike_p=params.double_strike_p, filled_counters_p=params.filled_counters_p,
        carbon=carbon, spread=spread, stroke_px=_rng(seed, key, 8).uniform(0.3, 0.42) * px_mm,
        doc_rng=_rng(seed, key, 6), rng=rng)
    tw.page_size = (width, height)
    tw.pressure = np.clip(1 + (0.18 if carbon else 0.07) * smooth_noise((24, 17), 6, rng), 0.6, 1.25)
    geo = marks.PageGeometry(width, height, dpi, cap, xheight, ts.spacing * dpi / 6, left,
                             left + ts.chars_per_line * cell)
    hands = choose_hands(_rng(seed, key, 7), xheight, dpi)
    canvas = InkCanvas(height, width)
    regions: list[dict[str, Any]] = []
    markup_lines: list[str] = []
    counters = {"l": 0, "i": 0, "d": 0, "n": 0, "s": 0, "c": 0}

    def new_id(prefix: str) -> str:
        counters[prefix] += 1
        return f"{prefix}{counters[prefix]}"

    block_hand: Hand | None = None
    block_x: float | None = None
    previous: PageItem | None = None
    for item in plan.items:
        if item.kind == "break":
            if markup_lines and markup_lines[-1] != "":
                markup_lines.append("")
        elif item.kind == "line":
            spec = item.line
            lm = line_markup(spec, with_marks=not clean)
            lid = new_id("l")
            regions.append(dict(id=lid, kind="typed_line", text=lm.typed_text))
            del_ids = [] if clean else [new_id("d") for _ in spec.deletions]

            def owners_of(i: int, spec=spec, lid=lid, del_ids=del_ids) -> list[str]:
                return [lid] + [d for d, m in zip(del_ids, spec.deletions) if m.start <= i < m.end]
            tw.type_line(canvas, spec, item.y, owners_of=owners_of)
            markup_lines.append(lm.markup)
            if clean:
                continue
            for did, mark, span in zip(del_ids, spec.deletions, lm.deletion_spans):
                if mark.kind == "overtype":
                    marks.overtype(canvas, tw, spec, item.y, mark, ts.overtype_char, [lid, did])
                else:
                    marks.pen_strike(canvas, geo, tw, spec, item.y, mark, hands.editor, rng, did)
                regions.append(dict(id=did, kind="deletion", text=lm.typed_text[span[0]:span[1]],
                                    line=lid, span=span, deletion_kind=mark.kind))
            occupied: list[tuple[float, float]] = []
            for mark, offset in zip(spec.insertions, lm.insertion_offsets):
                iid = new_id("i")
                marks.insertion(canvas, geo, tw, spec, item.y, mark, hands.editor, rng, iid, occupied)
                regions.append(dict(id=iid, kind="insertion", text=mark.text, line=lid, offset=offset))
        elif item.kind == "note":
            nid = new_id("n")
            signature = item.note_kind == "signature"
            if item.placement == "margin":
                marks.margin_note(canvas, geo, item.text, item.y, hands.notes, rng, nid)
            else:
                if not (item.follows_note and block_hand is not None):
                    block_hand = hands.signature if signature else (
                        hands.archivist if _archival(item.text, item.y, geo) else hands.notes)
                    block_x = None
                block_x = marks.foot_note(canvas, geo, item.text, item.y, block_hand, rng, nid,
                                          signature=signature, x=block_x if item.follows_note else None)
            regions.append(dict(id=nid, kind=item.note_kind, text=item.text))
            markup_lines.append(f"<note>{item.text}</note>")
        elif item.kind == "tick":
            cid = new_id("c")
            after_note = previous is not None and previous.kind == "note" and previous.placement == "foot"
            if after_note and block_x is not None:            # ticked off beside the last note
                marks.tick(canvas, geo, previous.y, hands.editor, rng, cid,
                           x=block_x - rng.uniform(3, 8) * geo.mm)
            else:
                marks.tick(canvas, geo, item.y, hands.editor, rng, cid)
            regions.append(dict(id=cid, kind="checkmark", text=mk.TICK))
            markup_lines.append(mk.TICK)
        elif item.kind == "stamp":
            sid = new_id("s")
            top = item.y < height * 0.2
            center = ((width * rng.uniform(0.62, 0.8), height * rng.uniform(0.06, 0.12)) if top else
                      (width * rng.uniform(0.45, 0.75), item.y + cap * rng.uniform(-2, 3)))
            marks.stamp(canvas, geo, item.text, center, shape=str(rng.choice(["rect", "round"])),
                        color=str(rng.choice(["violet", "blue", "red"])),
                        patchiness=draw(params.stamp_patchiness, rng), rng=rng, owner=sid)
            regions.append(dict(id=sid, kind="stamp", text=item.text))
            markup_lines.append(f"<stamp>{item.text}</stamp>")
        previous = item
    if not clean and plan.number == 1 and rng.random() < params.registry_stamp_p:
        sid = new_id("s")
        lines = _registry_lines(rng)
        text = " ".join(lines)
        center = (width * rng.uniform(0.2, 0.35), height * rng.uniform(0.88, 0.93))
        marks.stamp(canvas, geo, text, center, shape="rect", color=str(rng.choice(["violet", "blue"])),
                    patchiness=draw(params.stamp_patchiness, rng), rng=rng, owner=sid, lines=lines)
        regions.append(dict(id=sid, kind="stamp", text=text))
        markup_lines.append(f"<stamp>{text}</stamp>")
    while markup_lines and markup_lines[-1] == "":
        markup_lines.pop()
    markup_text = "\n".join(markup_lines) + "\n"

    image, ink, m, scan = _paper_and_scan(canvas, params=params, dpi=dpi, gray=gray, rng=rng)
    boxed = []
    for r in regions:
        points = canvas.outline(r["id"])
        if points is None:
            raise RuntimeError(f"region {r['id']} ({r['kind']}) left no ink on the page")
        boxed.append(Region(box=region_box(points, m, width=width, height=height), **r))
    synth = {
        "font": ts.font, "cpi": ts.cpi, "cap_mm": round(ts.cap_mm, 3), "spacing": ts.spacing,
        "chars_per_line": ts.chars_per_line, "left_mm": round(ts.left_mm, 2), "carbon": carbon,
        "color": "gray" if gray else "rgb", "clean": clean, "page": plan.number,
        "hands": {k: {"family": h.family, "pen": h.pen, "size_px": h.size}
                  for k, h in (("editor", hands.editor), ("notes", hands.notes),
                               ("signature", hands.signature), ("archivist", hands.archivist))},
        **scan,
    }
    page = Page(image=image_name, width=width, height=height, dpi=dpi, skew_deg=scan["skew_deg"],
                regions=tuple(boxed), markup=markup_text,
                steps=(Step("synth", params={"level": level, "seed": seed}, values=synth),))
    return SynthPage(image, page, ink, plan.number, level, synth)


def _archival(text: str, y: float, geo: marks.PageGeometry) -> bool:
    return y > geo.height * 0.8 or any(w in text.lower() for w in ("экз", "архив", "верно", "вх", "исх"))


def _registry_lines(rng: np.random.Generator) -> list[str]:
    """A registry stamp of an office that received the document: office, number, date."""
    months = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
    office = [["ЦК КПСС", "Общий отдел"], ["Совет Министров СССР", "Управление делами"],
              ["МИД СССР", "Секретариат"], ["Госплан СССР", "Канцелярия"]][int(rng.integers(4))]
    return office + [f"Вх. N {int(rng.integers(100, 9999))}",
                     f"«{int(rng.integers(1, 29))}» {months[int(rng.integers(12))]} 195{int(rng.integers(3, 9))} г."]


def _paper_and_scan(canvas: InkCanvas, *, params: LevelParams, dpi: int, gray: bool,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    h, w = canvas.height, canvas.width
    paper = degrade.make_paper(h, w, tone=draw(params.paper_tone, rng), yellowing=draw(params.yellowing, rng),
                               texture=draw(params.texture, rng), grain=params.grain, rng=rng)
    bleed = draw(params.bleed, rng)
    paper = degrade.bleed_through(paper, canvas.typed, strength=bleed, dpi=dpi, rng=rng)
    stains, foxing = draw(params.stains, rng), draw(params.foxing, rng)
    paper = degrade.add_stains(paper, stains, dpi=dpi, rng=rng)
    paper = degrade.add_foxing(paper, foxing, dpi=dpi, rng=rng)
    page = paper * canvas.trans
    fold = bool(rng.random() < params.fold_p)
    if fold:
        page = degrade.add_fold(page, dpi=dpi, rng=rng)
    holes = bool(rng.random() < params.holes_p)
    if holes:
        page = degrade.punch_holes(page, dpi=dpi, bright=bool(rng.random() < 0.4), rng=rng)
    skew = round(draw(params.skew_deg, rng) * (1 if rng.random() < 0.5 else -1), 3)
    border = bool(rng.random() < params.border_p)
    m = degrade.scan_geometry(h, w, skew_deg=skew, border=border, dpi=dpi, rng=rng)
    background = float(rng.uniform(0.06, 0.2)) if border else float(rng.uniform(0.85, 0.93))
    image = degrade.warp(page.astype(np.float32), m, background=background)
    ink = degrade.warp(canvas.text, m, background=0.0) > 0.5
    falloff = draw(params.light_falloff, rng)
    image = degrade.uneven_light(image, falloff=falloff, rng=rng)
    blur = draw(params.blur_sigma, rng) * dpi / 300
    specks = draw(params.specks, rng)
    image = degrade.sensor(image, blur_sigma=blur, noise_sigma=params.noise_sigma, specks=specks, dpi=dpi,
                           rng=rng)
    assert image.dtype == np.float32, image.dtype
    image = degrade.to_uint8(image, gray=gray)
    quality = draw(params.jpeg_quality, rng) if params.jpeg_quality else None
    if quality:
        image = degrade.jpeg(image, quality)
    scan = {"skew_deg": round(float(skew), 3), "border": border, "fold": fold, "punch_holes": holes,
            "stains": stains, "foxing": foxing, "bleed_through": round(bleed, 3),
            "light_falloff": round(falloff, 3), "blur_px": round(blur, 3), "specks": specks,
            "jpeg_quality": quality}
    return image, ink, m, scan
