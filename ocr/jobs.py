"""The batch's memory between runs: which pages are finished, and from which version of their source.

A source file's fingerprint is its size, ``mtime_ns`` and SHA-256. The job
file ``<out>/.archocr-jobs.json`` maps each page's output base (relative to
the output folder) to the fingerprint it was made from; the page JSON
carries the same record under ``source``, so a lost job file costs a re-read,
not a re-run. A page is done when all its outputs exist and its source is
unchanged: same size and mtime, or (after a ``touch`` or a copy) same hash.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

from ocr.outputs import write_atomic

JOB_FILE = ".archocr-jobs.json"
FORMAT = "archocr-jobs"
VERSION = 1


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint_of(path: Path) -> Fingerprint:
    """Size, modification time and content hash of ``path``."""
    stat = path.stat()
    return Fingerprint(stat.st_size, stat.st_mtime_ns, file_sha256(path))


class JobLog:
    """Finished pages of one output folder, loaded at start and saved atomically as work goes on."""

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / JOB_FILE
        self.pages: dict[str, dict[str, Any]] = {}
        self.unreadable = False
        self._hashes: dict[Path, str] = {}
        self._saved_at = time.monotonic()
        self._dirty = False
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("format") == FORMAT:
                    self.pages = dict(data.get("pages", {}))
            except (OSError, ValueError, AttributeError):
                self.unreadable = True  # start afresh; page JSONs still say what is done

    def sha256(self, path: Path) -> str:
        """The file's hash, computed once per run."""
        key = Path(path).absolute()
        if key not in self._hashes:
            self._hashes[key] = file_sha256(key)
        return self._hashes[key]

    def fingerprint(self, path: Path) -> Fingerprint:
        stat = Path(path).stat()
        return Fingerprint(stat.st_size, stat.st_mtime_ns, self.sha256(path))

    def is_done(self, key: str, source: Path, outputs: Iterable[Path]) -> bool:
        """True when every output exists and was made from the current ``source``."""
        outputs = list(outputs)
        if not all(p.is_file() for p in outputs):
            return False
        recorded = self.pages.get(key) or _source_in_json(outputs)
        if not recorded:
            return False
        try:
            stat = Path(source).stat()
        except OSError:
            return False
        if stat.st_size != recorded.get("size"):
            return False
        if stat.st_mtime_ns == recorded.get("mtime_ns"):
            return True
        if self.sha256(source) != recorded.get("sha256"):
            return False
        self.record(key, {**recorded, "mtime_ns": stat.st_mtime_ns})  # touched, not changed
        return True

    def record(self, key: str, entry: dict[str, Any]) -> None:
        self.pages[key] = entry
        self._dirty = True

    def save(self, *, every: float = 0.0) -> None:
        """Write the job file if anything changed and ``every`` seconds passed since the last save."""
        if not self._dirty or time.monotonic() - self._saved_at < every:
            return
        data = {"format": FORMAT, "version": VERSION, "pages": dict(sorted(self.pages.items()))}
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        self._saved_at = time.monotonic()
        self._dirty = False


def source_record(source_rel: str, page_index: int, fingerprint: Fingerprint) -> dict[str, Any]:
    """What the page JSON (``source``) and the job file store about a page's origin."""
    return {"path": source_rel, "page": page_index + 1, **asdict(fingerprint)}


def _source_in_json(outputs: list[Path]) -> dict[str, Any] | None:
    for path in outputs:
        if path.suffix == ".json":
            try:
                source = json.loads(path.read_text(encoding="utf-8")).get("source")
            except (OSError, ValueError, AttributeError):
                return None
            return source if isinstance(source, dict) else None
    return None
