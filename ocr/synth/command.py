"""``archocr synth DOC.gt.md --out DIR``: synthetic scans with page ground truth (SPEC §6).

Writes per page ``<stem>_p<NN>_<level>.png`` (``…_<level>_clean.png`` with
``--clean``) into ``--out`` and ``<same>.gt.md`` / ``<same>.gt.json`` into
``--gt-out`` (default: ``--out``). The only module of the generator that
touches the disk.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from ocr import markup as mk
from ocr import pagejson
from ocr.errors import UsageError
from ocr.synth.compose import DPIS, SynthPage, render_document
from ocr.synth.levels import LEVEL_NAMES, level_params, params_dict

PNG_COMPRESSION = 6  # level 9 is 15x slower on noisy scans for 5 % less


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("document", type=Path, help="document markup (SPEC §2), e.g. groundtruth/documents/x.gt.md")
    parser.add_argument("--out", type=Path, required=True, help="folder for the page images")
    parser.add_argument("--gt-out", type=Path, default=None, help="folder for .gt.md/.gt.json (default: --out)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--level", choices=(*LEVEL_NAMES, "all"), default="medium")
    parser.add_argument("--dpi", type=int, choices=DPIS, default=300)
    parser.add_argument("--color", choices=("auto", "gray", "rgb"), default="auto")
    parser.add_argument("--clean", action="store_true", help="typed text only: no insertions, deletions, notes, stamps")
    parser.add_argument("--pages", type=int, default=None, help="render at most N pages")


def stem_of(path: Path) -> str:
    name = path.name
    for suffix in (".gt.md", ".md", ".txt"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def read_document(path: Path) -> mk.Document:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"document not found: {path}") from None
    except UnicodeDecodeError:
        raise UsageError(f"document is not UTF-8 text: {path}") from None
    return mk.parse(text, source=str(path))


def write_page(page: SynthPage, *, out: Path, gt_out: Path, seed: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    gt_out.mkdir(parents=True, exist_ok=True)
    image = page.image if page.image.ndim == 2 else cv2.cvtColor(page.image, cv2.COLOR_RGB2BGR)
    png = out / page.page.image
    if not cv2.imwrite(str(png), image, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION]):
        raise UsageError(f"cannot write {png}")
    base = page.page.image[: -len(".png")]
    (gt_out / f"{base}.gt.md").write_text(page.page.markup, encoding="utf-8")
    synth = {**page.params, "level_params": params_dict(level_params(page.level))}
    text = pagejson.dumps(page.page, level=page.level, seed=seed, synth=synth)
    (gt_out / f"{base}.gt.json").write_text(text, encoding="utf-8")


def synthesize(document: Path, *, out: Path, gt_out: Path | None = None, seed: int = 0,
               level: str = "medium", dpi: int = 300, color: str = "auto", clean: bool = False,
               pages: int | None = None) -> list[Path]:
    """Render and write one document; returns the PNG paths written."""
    doc = read_document(document)
    if not doc.typed_lines():
        raise UsageError(f"{document} has no typed lines to render")
    levels = LEVEL_NAMES if level == "all" else (level,)
    written = []
    for name in levels:
        for page in render_document(doc, level=name, seed=seed, dpi=dpi, color=color, clean=clean,
                                    pages=pages, stem=stem_of(document)):
            write_page(page, out=out, gt_out=gt_out or out, seed=seed)
            written.append(out / page.page.image)
    return written


def run(args: argparse.Namespace) -> int:
    if args.pages is not None and args.pages < 1:
        raise UsageError("--pages must be at least 1")
    paths = synthesize(args.document, out=args.out, gt_out=args.gt_out, seed=args.seed, level=args.level,
                       dpi=args.dpi, color=args.color, clean=args.clean, pages=args.pages)
    for path in paths:
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command alone (``python -m ocr.synth.command``), without the rest of the CLI."""
    from ocr.errors import ArchocrError

    parser = argparse.ArgumentParser(prog="archocr synth", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ArchocrError as exc:
        print(f"archocr: error: {exc}")
        return exc.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
