"""The ``archocr`` command (SPEC §6). The only place exceptions become exit codes."""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from ocr import __version__
from ocr.errors import ArchocrError

EXIT_OK, EXIT_PAGES_FAILED, EXIT_USAGE = 0, 1, 2


def _add_synth(sub: argparse._SubParsersAction) -> None:
    from ocr.synth.command import add_arguments, run

    p = sub.add_parser("synth", help="render a document into synthetic archival scans with ground truth")
    add_arguments(p)
    p.set_defaults(handler=run)


def _add_eval(sub: argparse._SubParsersAction) -> None:
    from ocr.evaluate import add_arguments, run

    p = sub.add_parser("eval", help="score predictions against ground truth (SPEC §5)")
    add_arguments(p)
    p.set_defaults(handler=run)


def _add_run(sub: argparse._SubParsersAction) -> None:
    from ocr.batch import add_arguments, run

    p = sub.add_parser("run", help="OCR scans into text layers")
    add_arguments(p)
    p.set_defaults(handler=run)


COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (_add_run, _add_eval, _add_synth)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archocr",
        description="OCR of typewritten Russian archival pages with handwritten corrections: "
                    "scans in, text layers out (typescript, insertions, deletions, notes, reading text).",
        epilog="Exit codes: 0 all pages done, 1 some pages failed, 2 bad usage or nothing to do.")
    parser.add_argument("--version", action="version", version=f"archocr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.handler(args) or EXIT_OK)
    except ArchocrError as exc:
        print(f"archocr: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("archocr: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
