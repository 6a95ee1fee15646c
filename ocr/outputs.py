"""Writing a processed page to disk in the requested formats, atomically.

Each format is a suffix and a function of the :class:`~ocr.model.Page`
(kraken style: exporters are plain functions of the model). Add TEI, PAGE,
ALTO, hOCR or PDF by adding a renderer to :data:`WRITERS`.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ocr import pagejson
from ocr.errors import UsageError
from ocr.model import Page

Renderer = Callable[[Page, Mapping[str, Any]], str]


def _json(page: Page, extra: Mapping[str, Any]) -> str:
    return pagejson.dumps(page, **extra)


def _markup(page: Page, extra: Mapping[str, Any]) -> str:
    return _with_newline(page.markup)


def _reading(page: Page, extra: Mapping[str, Any]) -> str:
    return _with_newline(pagejson.layers_of(page)["reading"])


def _with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


# format name -> (file suffix, renderer). JSON comes last when writing: it
# records the source fingerprint, so its presence marks the page complete.
WRITERS: dict[str, tuple[str, Renderer]] = {
    "md": ("md", _markup),
    "txt": ("txt", _reading),
    "json": ("json", _json),
}
DEFAULT_FORMATS = ("json", "md", "txt")
PLANNED_FORMATS = ("tei", "page", "alto", "hocr", "pdf")


def parse_formats(specs: Iterable[str] | str | None) -> tuple[str, ...]:
    """The formats ``archocr run`` writes: the defaults (SPEC §6) plus any named.

    ``specs`` are comma lists as given on the command line (``"json,md"``,
    ``["tei"]``); unknown or not yet available names raise
    :class:`~ocr.errors.UsageError`.
    """
    if isinstance(specs, str):
        specs = [specs]
    names = [n.strip().lower() for spec in specs or () for n in spec.split(",") if n.strip()]
    return check_formats([*DEFAULT_FORMATS, *names])


def check_formats(names: Iterable[str]) -> tuple[str, ...]:
    """Exactly ``names``, validated and in writing order (JSON last)."""
    wanted = set(names)
    supported = ", ".join(WRITERS)
    for name in sorted(wanted - set(WRITERS)):
        if name in PLANNED_FORMATS:
            raise UsageError(f"output format '{name}' is not available yet; supported: {supported}")
        raise UsageError(f"unknown output format '{name}'; supported: {supported}")
    return tuple(name for name in WRITERS if name in wanted)


def output_paths(base: Path, formats: Iterable[str]) -> list[Path]:
    """Where ``base`` (``<out>/<dir>/<stem>``) is written in each format, in writing order."""
    wanted = set(formats)
    return [base.parent / f"{base.name}.{suffix}" for name, (suffix, _) in WRITERS.items()
            if name in wanted]


def write_outputs(page: Page, base: Path, formats: Iterable[str], *,
                  json_extra: Mapping[str, Any] | None = None) -> list[Path]:
    """Write ``page`` as ``<base>.<suffix>`` for each format; returns the paths written.

    ``json_extra`` adds top-level keys to the page JSON (the batch puts the
    source fingerprint there). Every file is written atomically.
    """
    formats = check_formats(formats)
    extra = dict(json_extra or {})
    written = []
    for name, path in zip(formats, output_paths(base, formats)):
        _, render = WRITERS[name]
        write_atomic(path, render(page, extra))
        written.append(path)
    return written


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``.

    An interrupted write leaves at most a hidden ``.tmp`` file, never a
    partial ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
