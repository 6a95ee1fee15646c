"""``archocr run``: OCR a box of scans page by page, in parallel, resumably (SPEC §6).

The policy is explicit and per page (OCR-D style): a page whose outputs are
complete and whose source is unchanged is skipped; a page that fails is
listed and the others go on; a page may be given a time limit. Workers are
separate processes, each creating its Tesseract engine once.
"""
from __future__ import annotations

import argparse
import os
import pickle
import signal
import sys
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ocr.engine import DEFAULT_LANG
from ocr.errors import ArchocrError, UsageError
from ocr.imageio import SourcePage, count_pages, list_inputs, load_page
from ocr.jobs import JobLog, source_record
from ocr.model import Page
from ocr.outputs import output_paths, parse_formats, write_outputs

Process = Callable[[SourcePage], Page]
MAX_CRASHES_IN_A_ROW = 3  # pages that each crash a worker on their own: then it is not the pages
Progress = Callable[[str], None]


@dataclass(frozen=True)
class PageTask:
    """One page to make: where it comes from and where its outputs go (``<base>.<suffix>``)."""

    source: Path
    index: int
    label: str
    key: str
    base: Path
    formats: tuple[str, ...]
    timeout: float | None = None
    record: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PageResult:
    key: str
    label: str
    seconds: float
    outputs: tuple[Path, ...] = ()
    error: str | None = None
    record: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchResult:
    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    written: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 every page done, 1 some failed (SPEC §6)."""
        return 1 if self.failed else 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="images (PNG, TIFF, JPEG) or folders of them")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder (mirrors the input tree)")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="worker processes (default: the number of CPUs)")
    parser.add_argument("--format", action="append", default=[], metavar="LIST",
                        help="extra output formats, comma separated; json, md and txt are always written")
    parser.add_argument("--force", action="store_true", help="redo pages that are already done")
    parser.add_argument("--timeout", type=float, default=None, metavar="SEC",
                        help="give up on a page after SEC seconds")
    parser.add_argument("--no-postcorrect", dest="postcorrect", action="store_false",
                        help="leave typed words as Tesseract read them (no dictionary pass; struck words "
                             "are still read from the page's glyphs)")


def run(args: argparse.Namespace) -> int:
    """The command: check everything up front, then process every page."""
    from ocr.engine import check_available

    formats = parse_formats(args.format)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {args.jobs}")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError(f"--timeout must be positive, not {args.timeout}")
    check_available()
    process = TesseractProcess(timeout=args.timeout, postcorrect=args.postcorrect)
    result = run_batch(args.paths, args.out, process=process,
                       jobs=args.jobs or _cpu_count(), force=args.force, formats=formats,
                       progress=_to_stderr, timeout=args.timeout)
    return result.exit_code


class TesseractProcess:
    """``ocr.pipeline.process_page`` with one :class:`~ocr.engine.TesseractEngine` per process."""

    def __init__(self, *, lang: str = DEFAULT_LANG, timeout: float | None = None, postcorrect: bool = True) -> None:
        self.lang, self.timeout, self.postcorrect = lang, timeout, postcorrect
        self._engine: Any = None

    def start(self) -> None:
        if self._engine is None:
            from ocr.engine import TesseractEngine

            self._engine = TesseractEngine(lang=self.lang, timeout=self.timeout)

    def __call__(self, source: SourcePage) -> Page:
        from ocr.handread import hand_model
        from ocr.pipeline import process_page

        self.start()
        return process_page(source, engine=self._engine, postcorrect=self.postcorrect, hand_model=hand_model())

    def __getstate__(self) -> dict[str, Any]:
        return {"lang": self.lang, "timeout": self.timeout, "postcorrect": self.postcorrect, "_engine": None}


def run_batch(inputs: Sequence[str | os.PathLike[str]], out_dir: Path, *, process: Process,
              jobs: int = 1, force: bool = False, formats: Sequence[str] = ("json", "md", "txt"),
              progress: Progress | None = None, timeout: float | None = None) -> BatchResult:
    """Process every page under ``inputs`` into ``out_dir``; never raises for a single bad page.

    ``process`` turns a :class:`SourcePage` into a :class:`Page`; it must be
    picklable (a module-level function or object) when ``jobs > 1``.
    """
    say = progress or (lambda line: None)
    if jobs > 1:
        _check_picklable(process)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is a file; give a folder")
    files = list_inputs(inputs)
    tasks, result = plan_pages(files, _input_root(inputs), out_dir, formats=tuple(formats), timeout=timeout)
    log = JobLog(out_dir)
    if log.unreadable:
        say(f"job file {log.path} unreadable; checking pages one by one")
    todo = []
    for task in tasks:
        if not force and log.is_done(task.key, task.source, output_paths(task.base, task.formats)):
            result.skipped += 1
        else:
            todo.append(task)
    for label, error in result.failed:
        say(f"{label}: FAILED: {error}")
    if result.skipped:
        say(f"skipping {result.skipped} page(s) already done (use --force to redo)")

    finished = 0

    def finish(outcome: PageResult) -> None:
        nonlocal finished
        finished += 1  # pages that failed before processing (unreadable files) are not in todo
        counter = f"[{finished}/{len(todo)}]"
        if outcome.error is None:
            result.done += 1
            result.written.extend(outcome.outputs)
            log.record(outcome.key, {**outcome.record, "seconds": round(outcome.seconds, 2)})
            say(f"{counter} {outcome.label} … {outcome.seconds:.1f} s")
        else:
            result.failed.append((outcome.label, outcome.error))
            say(f"{counter} {outcome.label} FAILED: {outcome.error}")
        log.save(every=5.0)

    try:
        pending = (_with_record(task, log) for task in todo)
        if jobs <= 1 or len(todo) <= 1:
            for task in pending:
                finish(_run_task(task, process))
        else:
            _run_pool(pending, process, min(jobs, len(todo)), finish)
    finally:
        log.save()
        result.seconds = time.perf_counter() - started
    rate = result.done / result.seconds * 60 if result.seconds > 0 else 0.0
    say(f"done {result.done}, skipped {result.skipped}, failed {len(result.failed)} "
        f"in {result.seconds:.1f} s ({rate:.1f} pages/min)")
    if result.failed:
        say("failed pages:\n" + "\n".join(f"  {label}: {error}" for label, error in result.failed))
    return result


def plan_pages(files: Sequence[Path], root: Path, out_dir: Path, *, formats: tuple[str, ...],
               timeout: float | None = None) -> tuple[list[PageTask], BatchResult]:
    """A task per page, outputs mirroring the tree under ``root``; unreadable files are failures already.

    Multi-page files give ``<stem>_p0001``…; files differing only in their
    suffix (``a.png``, ``a.tif``) keep it in the name (``a_png``) so they
    cannot overwrite each other.
    """
    result = BatchResult()
    rels = [_relative(f, root) for f in files]
    stems: dict[tuple[Path, str], int] = {}
    for rel in rels:
        stems[(rel.parent, rel.stem)] = stems.get((rel.parent, rel.stem), 0) + 1
    tasks = []
    for file, rel in zip(files, rels):
        try:
            pages = count_pages(file)
        except ArchocrError as exc:
            result.failed.append((rel.as_posix(), str(exc)))
            continue
        stem = rel.stem if stems[(rel.parent, rel.stem)] == 1 else rel.name.replace(".", "_")
        for index in range(pages):
            name = f"{stem}_p{index + 1:04d}" if pages > 1 else stem
            key = (rel.parent / name).as_posix()
            label = rel.as_posix() + (f" p{index + 1}" if pages > 1 else "")
            tasks.append(PageTask(source=file, index=index, label=label, key=key,
                                  base=out_dir / rel.parent / name, formats=formats, timeout=timeout,
                                  record={"path": rel.as_posix(), "page": index + 1}))
    return tasks, result


def _with_record(task: PageTask, log: JobLog) -> PageTask:
    """The task with its source fingerprint, taken just before the page is read."""
    try:
        fingerprint = log.fingerprint(task.source)
    except OSError:
        return task  # the worker reports the missing file
    return replace(task, record=source_record(task.record["path"], task.index, fingerprint))


def _run_task(task: PageTask, process: Process) -> PageResult:
    """Load, process and write one page; any exception becomes the page's error."""
    started = time.perf_counter()
    try:
        with _deadline(task.timeout):
            page = process(load_page(task.source, task.index))
            written = write_outputs(page, task.base, task.formats, json_extra={"source": task.record})
    except Exception as exc:  # one bad page must not stop the box
        return _failed(task, exc, time.perf_counter() - started)
    return PageResult(task.key, task.label, time.perf_counter() - started, tuple(written),
                      record=task.record)


def _failed(task: PageTask, error: BaseException | str, seconds: float = 0.0) -> PageResult:
    """A failed page; our own errors already say what to do, others show their type."""
    if isinstance(error, BaseException) and not isinstance(error, ArchocrError):
        error = f"{type(error).__name__}: {error}"
    return PageResult(task.key, task.label, seconds, error=str(error))


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise TimeoutError in this (main) thread after ``seconds``; a no-op elsewhere or without a limit."""
    import threading

    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"page took longer than {seconds:g} s (--timeout)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_WORKER_PROCESS: Process | None = None  # set once per worker process by _init_worker


def _init_worker(process: Process) -> None:
    global _WORKER_PROCESS
    _WORKER_PROCESS = process
    if isinstance(process, TesseractProcess):
        try:
            process.start()
        except ArchocrError:
            pass  # each page then reports the error


def _pool_task(task: PageTask) -> PageResult:
    assert _WORKER_PROCESS is not None, "worker not initialised"
    return _run_task(task, _WORKER_PROCESS)


def _run_pool(tasks: Iterator[PageTask], process: Process, jobs: int,
              finish: Callable[[PageResult], None]) -> None:
    """Run tasks on ``jobs`` worker processes, keeping at most two per worker queued.

    If a worker dies (a crash in native code), the pages it may have held
    are retried one at a time in a fresh pool, so only the culprit fails.
    """
    suspects: deque[PageTask] = deque()
    crashes_in_a_row = 0
    while True:
        crashed: list[PageTask] = []
        broken = False
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_init_worker,
                                 initargs=(process,)) as pool:
            inflight: dict[Any, tuple[PageTask, bool]] = {}
            try:
                while True:
                    if suspects and not inflight:
                        task = suspects.popleft()
                        inflight[pool.submit(_pool_task, task)] = (task, True)
                    isolating = any(alone for _, alone in inflight.values())
                    while not suspects and not isolating and len(inflight) < 2 * jobs:
                        task = next(tasks, None)
                        if task is None:
                            break
                        inflight[pool.submit(_pool_task, task)] = (task, False)
                    if not inflight:
                        return
                    done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    for future in done:
                        task, alone = inflight.pop(future)
                        try:
                            outcome = future.result()
                        except BrokenProcessPool:
                            broken = True
                            if not alone:
                                crashed.append(task)
                                continue
                            crashes_in_a_row += 1
                            if crashes_in_a_row >= MAX_CRASHES_IN_A_ROW:
                                raise ArchocrError(
                                    f"worker processes died on {crashes_in_a_row} pages in a row; "
                                    "something is wrong with the installation, not the pages "
                                    "(try --jobs 1 to see the error)")
                            finish(_failed(task, "the worker process crashed on this page"))
                        except Exception as exc:  # e.g. a result that cannot be pickled
                            finish(_failed(task, exc))
                        else:
                            crashes_in_a_row = 0
                            finish(outcome)
                    if broken:  # every page still in flight is lost with the pool
                        crashed += [t for t, _ in inflight.values()]
                        break
            except BaseException:  # Ctrl-C or a fatal error: stop the workers now, not after their pages
                for worker in list((getattr(pool, "_processes", None) or {}).values()):
                    worker.terminate()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        suspects.extend(crashed)


def _check_picklable(process: Process) -> None:
    try:
        pickle.dumps(process)
    except Exception as exc:
        raise ValueError(f"process must be picklable to run in worker processes: {exc}") from exc


def _input_root(inputs: Sequence[str | os.PathLike[str]]) -> Path:
    """The deepest folder holding every input: a folder argument is its own root, a file's is its folder."""
    folders = [Path(p).absolute() if Path(p).is_dir() else Path(p).absolute().parent for p in inputs]
    return Path(os.path.commonpath(folders))


def _relative(file: Path, root: Path) -> Path:
    try:
        return Path(file).absolute().relative_to(root)
    except ValueError:
        return Path(Path(file).name)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
