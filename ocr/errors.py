"""Every exception archocr raises on purpose, each with the exit code the CLI maps it to.

Messages say what went wrong and what to do next. Only :mod:`ocr.cli` turns
them into exit codes (SPEC §6: 1 some pages failed, 2 bad usage).
"""
from __future__ import annotations


class ArchocrError(Exception):
    """Base class; ``exit_code`` is what the CLI returns for it."""

    exit_code = 1


class UsageError(ArchocrError):
    """Bad arguments or nothing to do."""

    exit_code = 2


class MarkupError(ArchocrError):
    """Malformed markup (SPEC §2), located by 1-based line and column."""

    exit_code = 2

    def __init__(self, message: str, *, line: int, column: int, source: str = "") -> None:
        self.line = line
        self.column = column
        self.source = source
        self.message = message
        where = f"{source}:" if source else "line "
        super().__init__(f"{where}{line}:{column}: {message}")

    def __reduce__(self):  # crosses from worker processes intact
        return (_markup_error, (self.message, self.line, self.column, self.source))


def _markup_error(message: str, line: int, column: int, source: str) -> MarkupError:
    return MarkupError(message, line=line, column=column, source=source)


class NotAnImageError(ArchocrError):
    """A file that cannot be decoded as an image."""

    exit_code = 1


class EngineError(ArchocrError):
    """Tesseract is missing or failed."""

    exit_code = 1
