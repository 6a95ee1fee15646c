"""Test doubles: an engine that returns scripted words, so pipeline logic runs without Tesseract."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ocr.model import Box, Word


@dataclass
class FakeEngine:
    """Returns ``lines`` (texts, one list of words per line) for every call, in order, cycling.

    Words get boxes spread evenly across the image with a gap after each, confidence ``conf``.
    ``calls`` records each call's kind, image shape and settings.
    """

    lines: list[list[str]] = field(default_factory=lambda: [["Товарищ", "Ким"]])
    conf: float = 0.9
    calls: list[tuple[str, tuple[int, ...], dict[str, Any]]] = field(default_factory=list)
    _next: int = 0

    def recognize_line(self, image: np.ndarray, **settings: Any) -> list[Word]:
        self.calls.append(("line", image.shape, settings))
        texts = self.lines[self._next % len(self.lines)]
        self._next += 1
        return self._words(texts, image.shape[1], 0, image.shape[0])

    def recognize_block(self, image: np.ndarray, **settings: Any) -> list[list[Word]]:
        self.calls.append(("block", image.shape, settings))
        h, w = image.shape[:2]
        step = max(1, h // max(1, len(self.lines)))
        return [self._words(texts, w, i * step, min(h, (i + 1) * step))
                for i, texts in enumerate(self.lines)]

    def _words(self, texts: list[str], width: int, y0: int, y1: int) -> list[Word]:
        # each word fills the left 70% of its cell: the rest is the space after it
        cell = max(1, width // max(1, len(texts)))
        return [Word(t, Box(i * cell, y0, min(width, i * cell + max(1, int(0.7 * cell))), y1), self.conf)
                for i, t in enumerate(texts)]

    def info(self) -> dict[str, str]:
        return {"tesseract": "fake", "model": "rus", "tessdata": "", "backend": "fake"}
