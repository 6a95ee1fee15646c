"""Over-typed words read by superposition.

To delete typed words a typist backspaced and typed ``х`` (or ``x``, ``-``,
``/``) over every letter and every space between them. Tesseract makes
nothing of such cells (``ххадмихикхняхиЕ`` for ``и административных мер``),
but each cell holds just two glyphs of the page's own typewriter: the letter
and the over-typing. So the page teaches us its glyphs. A letter's image is
the mean of its cells in confidently read words (same type bars, same key
offsets, same ribbon); the over-typing's image is the median of the
over-typed cells (the letters under it differ, the over-typing does not).
Every letter is scored by how well its ink and the over-typing's together
explain a cell, and the span is read as the common words (a cell a letter,
a cell a space) whose letters explain its cells best.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

import cv2
import numpy as np

from ocr.layout import Layout, Strike, runs
from ocr.lexicon import NEAREST_MIN_ZIPF, RUSSIAN, russian_list, russian_zipf
from ocr.model import Box, Word
from ocr.recognize import FAINT_INK, INK_LEVEL, RowText, _cell_of, erase_pen_strokes, isolate, spaced_by_pitch

ABOVE, BELOW = 1.45, 0.55  # a cell reaches this many type heights above and below the baseline
SHIFT = 2  # pixels a struck glyph may stand off its key's usual place, either way
PAPER, FULL_INK = 235.0, 135.0  # gray of bare paper and of full ink
GLYPH_MIN_CONF = 0.9  # words read at least this confidently teach the page's glyphs
GLYPH_MAX_SAMPLES = 30
LETTERS = RUSSIAN.replace("ё", "")  # Russian typewriters had no ё key
MARKS = ".,;:)"  # what may follow a struck word in its last cell, not over-typed
FREQUENCY_WEIGHT = 0.5  # cells of misfit a tenfold more frequent word is worth
ZIPF_TOP = 8.0  # a word costs FREQUENCY_WEIGHT for each tenfold it is rarer than this
# Cells of misfit charged per letter of a word not in the word list: under
# over-typing the list must decide, in plain type the image; 0, 0.5 and 1.0
# measured best for each on the corpus.
UNKNOWN_WORD = 1.0  # over-typed
UNKNOWN_WORD_PEN = 0.5  # pen-struck, the stroke's pixels left out
UNKNOWN_WORD_PLAIN = 0.0  # plain type that Tesseract read as no word
MAX_WORD = 24
WORD_COST = 2.0  # cells of misfit a span pays for each word more: over-typing is mostly one or two words


@dataclass(frozen=True)
class Glyphs:
    """The page's glyph images: ``images[ch]`` is (h + 2 SHIFT, w + 2 SHIFT) of ink in 0..1."""

    images: dict[str, np.ndarray]
    residual: float  # the usual squared misfit of a clean cell to its own glyph: the unit of misfit

    @cached_property
    def chars(self) -> list[str]:
        return sorted(self.images)

    @cached_property
    def flat(self) -> np.ndarray:
        """The glyphs of :attr:`chars` at every shift, flattened: (k * shifts, pixels)."""
        shifted = _shifted(np.stack([self.images[ch] for ch in self.chars]))  # (k, s, h, w)
        return shifted.reshape(shifted.shape[0] * shifted.shape[1], -1)

    @cached_property
    def flat_squared(self) -> np.ndarray:
        return self.flat ** 2


def ink_of(gray: np.ndarray) -> np.ndarray:
    """Ink darkness in 0..1 of a gray image (paper 0, full ink 1)."""
    return np.clip((PAPER - gray.astype(np.float32)) / (PAPER - FULL_INK), 0.0, 1.0)


class _RowCells:
    """The character cells of one typed row, as ink images with a margin of
    SHIFT; with ``pen``, also where pen strokes cross them."""

    def __init__(self, gray: np.ndarray, layout: Layout, index: int, *, pen: bool = False):
        self.row = row = layout.rows[index]
        self.pitch = layout.pitch
        ch = layout.char_height
        self.above, self.height = int(round(ABOVE * ch)), int(round((ABOVE + BELOW) * ch))
        self.width = int(round(layout.pitch))
        crop, self.box = isolate(gray, layout.components.labels, row.members, row.box,
                                 pad=int(ch + self.width), faint_below=FAINT_INK)
        self.ink = ink_of(crop)
        self.pen = np.zeros(crop.shape, np.float32)
        if pen:
            ranges = [(s.box.x0 - self.box.x0, s.box.x1 - self.box.x0)
                      for s in layout.strikes if s.row == index and s.kind == "pen"]
            erased = erase_pen_strokes(crop, ranges, baseline=row.baseline - self.box.y0,
                                       char_height=row.char_height, pitch=layout.pitch)
            stroke = ((crop < INK_LEVEL) & (erased == 255)).astype(np.uint8)
            self.pen = cv2.dilate(stroke, np.ones((3, 3), np.uint8)).astype(np.float32)

    def cell(self, k: int) -> np.ndarray:
        return self._window(self.ink, k)

    def off_pen(self, k: int) -> np.ndarray:
        """1 where cell ``k`` is clear of pen strokes, 0 on them."""
        return 1.0 - self._window(self.pen, k)

    def _window(self, image: np.ndarray, k: int) -> np.ndarray:
        x0 = int(round(self.row.phase + k * self.pitch - self.width / 2)) - SHIFT - self.box.x0
        y0 = self.row.baseline - self.above - SHIFT - self.box.y0
        h, w = self.height + 2 * SHIFT, self.width + 2 * SHIFT
        out = np.zeros((h, w), np.float32)
        sy0, sx0 = max(y0, 0), max(x0, 0)
        sy1, sx1 = min(y0 + h, image.shape[0]), min(x0 + w, image.shape[1])
        if sy1 > sy0 and sx1 > sx0:
            out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
        return out

    def cells_of(self, box: Box) -> list[int]:
        """The cells whose centres lie in ``box``'s x-range."""
        k0 = _cell_of(box.x0 + self.pitch / 2, phase=self.row.phase, pitch=self.pitch)
        k1 = _cell_of(box.x1 - self.pitch / 2, phase=self.row.phase, pitch=self.pitch)
        return list(range(k0, k1 + 1))


def _shifted(image: np.ndarray) -> np.ndarray:
    """Every placement of a margined image's centre window within ±SHIFT: (n_shifts, h, w)."""
    h, w = image.shape[-2] - 2 * SHIFT, image.shape[-1] - 2 * SHIFT
    span = range(2 * SHIFT + 1)
    return np.stack([image[..., dy:dy + h, dx:dx + w] for dy in span for dx in span], axis=-3)


def _centre(image: np.ndarray) -> np.ndarray:
    return image[..., SHIFT:-SHIFT, SHIFT:-SHIFT]


def learn_glyphs(gray: np.ndarray, layout: Layout, rows: list[RowText]) -> Glyphs | None:
    """The mean image of every character read confidently, one character a
    cell, outside struck spans; None when the page teaches too few letters."""
    samples: dict[str, list[np.ndarray]] = {}
    for index, row in enumerate(rows):
        struck = [s.box for s in layout.strikes if s.row == index]
        words = [w for w in row.words
                 if w.conf >= GLYPH_MIN_CONF and not any(b.x0 < w.box.x1 and w.box.x0 < b.x1 for b in struck)]
        if not words:
            continue
        row_cells = _RowCells(gray, layout, index)
        for word in words:
            ks = row_cells.cells_of(word.box)
            if len(ks) != len(word.text):
                continue
            for ch, k in zip(word.text, ks):
                if len(samples.setdefault(ch, [])) < GLYPH_MAX_SAMPLES:
                    samples[ch].append(row_cells.cell(k))
    samples = {ch: s for ch, s in samples.items() if len(s) >= 2}
    if sum(ch.lower() in LETTERS for ch in samples) < len(LETTERS) // 2:
        return None
    images = {ch: np.mean(s, axis=0) for ch, s in samples.items()}
    misfit = [float(((_shifted(images[ch]) - _centre(x)) ** 2).sum(axis=(1, 2)).min())
              for ch, s in samples.items() for x in s[:5]]
    return Glyphs(images, residual=max(float(np.median(misfit)), 1.0))


@dataclass(frozen=True)
class _Lexicon:
    words: dict[int, tuple[list[str], np.ndarray, np.ndarray]]  # length -> words, letter indices, zipf


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    floor = 10.0 ** (NEAREST_MIN_ZIPF - 9.0)
    best: dict[str, float] = {}
    for word, freq in russian_list().items():
        word = word.replace("ё", "е")
        if freq >= floor and len(word) <= MAX_WORD and all(ch in LETTERS for ch in word):
            best[word] = max(best.get(word, 0.0), freq)
    by_length: dict[int, list[str]] = {}
    for word in best:
        by_length.setdefault(len(word), []).append(word)
    index = {ch: i for i, ch in enumerate(LETTERS)}
    return _Lexicon({
        n: (ws, np.array([[index[ch] for ch in w] for w in ws], dtype=np.int16),
            np.log10(np.array([best[w] for w in ws])) + 9.0)
        for n, ws in by_length.items()})


def _best_shift(ssd: np.ndarray, k: int) -> np.ndarray:
    """(k * shifts, n) squared misfits -> (n, k), each character at its best shift."""
    return ssd.reshape(k, -1, ssd.shape[1]).min(axis=1).T


def plain_misfits(cells: np.ndarray, glyphs: Glyphs) -> tuple[list[str], np.ndarray]:
    """The misfit (in units of the page's residual) of every character of the
    page to each of ``cells`` (n, h + 2 SHIFT, w + 2 SHIFT): (characters, (n, k)).
    Squared distances as |T|^2 + |C|^2 - 2 T.C, all cells and shifts in one product."""
    t, c = glyphs.flat, _centre(cells).reshape(len(cells), -1).T  # (pixels, n)
    ssd = glyphs.flat_squared.sum(axis=1)[:, None] + (c ** 2).sum(axis=0)[None, :] - 2.0 * (t @ c)
    return glyphs.chars, _best_shift(ssd, len(glyphs.chars)) / glyphs.residual


def masked_misfits(cells: np.ndarray, weights: np.ndarray, glyphs: Glyphs) -> np.ndarray:
    """(n, k) misfits of every character to ``cells`` counted only where
    ``weights`` (same shape) is 1: off the pen strokes that cross them, in the
    order of :func:`plain_misfits`. Sum of W (T - C)^2 = T^2.W - 2 T.(W C) + W.C^2."""
    w = _centre(weights).reshape(len(cells), -1)
    c = _centre(cells).reshape(len(cells), -1)
    ssd = glyphs.flat_squared @ w.T - 2.0 * (glyphs.flat @ (w * c).T) + (w * c ** 2).sum(axis=1)[None, :]
    return _best_shift(ssd, len(glyphs.chars)) / glyphs.residual


def overtyped_misfits(cells: np.ndarray, glyphs: Glyphs, overlay: np.ndarray) -> np.ndarray:
    """(n, k) misfits of every character typed under the over-typing ``overlay``
    (ink adds: P = T + X - T X), in the order of :func:`plain_misfits`.

    With a = 1 - X and d = X - C, |P - C|^2 = T^2.a^2 + 2 T.(a d) + |d|^2."""
    over_shifts = _shifted(overlay).reshape((2 * SHIFT + 1) ** 2, -1)
    c = _centre(cells).reshape(len(cells), -1)
    # the over-typing stands, in each cell, where the cell's ink best covers it
    uncovered = (np.clip(over_shifts[None, :, :] - c[:, None, :], 0, None) ** 2).sum(axis=2)
    x = over_shifts[np.argmin(uncovered, axis=1)]  # (n, pixels)
    a, d = 1.0 - x, x - c
    ssd = glyphs.flat_squared @ (a ** 2).T + 2.0 * (glyphs.flat @ (a * d).T) + (d ** 2).sum(axis=1)[None, :]
    return _best_shift(ssd, len(glyphs.chars)) / glyphs.residual


@dataclass(frozen=True)
class Token:
    text: str
    cells: tuple[int, int]  # [start, stop) of the span's cells
    plain: bool = False  # a mark typed after the struck words, not over-typed
    listed: bool = False  # a word of the word list (not letter by letter)


def read_span(chars: list[str], under: np.ndarray, plain: np.ndarray, space: np.ndarray, *,
              unknown_word: float = UNKNOWN_WORD) -> list[Token]:
    """The best reading of an over-typed span's cells as words of the list
    (or, dearer, as the best letter of each cell), one space cell between
    words, and marks typed plain after a word.

    ``under``/``plain`` are the misfits of :func:`misfits`, ``space`` the
    misfit of each cell as over-typing alone.
    """
    n = len(space)
    col = {ch: i for i, ch in enumerate(chars)}
    # a letter the page never showed plainly costs the cell's middling misfit
    def middling(letters: list[str]) -> np.ndarray:
        known = under[:, [col[ch] for ch in letters if ch in col]]
        return np.median(known, axis=1) if known.shape[1] >= 3 else np.median(under, axis=1)

    small, capital = middling(list(LETTERS)), middling([ch.upper() for ch in LETTERS])
    lower = np.stack([under[:, col[ch]] if ch in col else small for ch in LETTERS], axis=1)
    upper = np.stack([under[:, col[ch.upper()]] if ch.upper() in col else capital for ch in LETTERS], axis=1)
    first_upper = upper < lower
    first = np.minimum(lower, upper)
    letter_cols = [col[ch] for ch in chars if ch.isalnum()]
    mark_cols = [col[ch] for ch in chars if ch in MARKS]
    lexicon = _lexicon().words

    INF = float("inf")
    after_word = [INF] * (n + 1)
    after_gap = [INF] * (n + 1)
    after_gap[0] = 0.0
    back: dict[tuple[str, int], tuple[str, int, Token | None]] = {}
    for i in range(n):
        if after_gap[i] < INF:
            for length in range(1, n - i + 1):
                options = []
                if length in lexicon:
                    ws, idx, zipf = lexicon[length]
                    cost = first[i, idx[:, 0]] + lower[np.arange(i + 1, i + length)[None, :], idx[:, 1:]].sum(axis=1) \
                        + FREQUENCY_WEIGHT * (ZIPF_TOP - zipf)
                    b = int(np.argmin(cost))
                    word = ws[b]
                    if first_upper[i, idx[b, 0]]:
                        word = word[0].upper() + word[1:]
                    options.append((float(cost[b]), word, True))
                if letter_cols:
                    best = [chars[letter_cols[int(np.argmin(under[i + j, letter_cols]))]] for j in range(length)]
                    cost = float(under[i:i + length, letter_cols].min(axis=1).sum()) + unknown_word * length \
                        + FREQUENCY_WEIGHT * ZIPF_TOP
                    options.append((cost, "".join(best), False))
                if not options:
                    continue
                cost, word, listed = min(options)
                total = after_gap[i] + cost
                if total < after_word[i + length]:
                    after_word[i + length] = total
                    back[("w", i + length)] = ("g", i, Token(word, (i, i + length), listed=listed))
        if after_word[i] < INF:
            total = after_word[i] + float(space[i]) + WORD_COST
            if total < after_gap[i + 1]:
                after_gap[i + 1] = total
                back[("g", i + 1)] = ("w", i, None)
            if mark_cols and i == n - 1:
                m = mark_cols[int(np.argmin(plain[i, mark_cols]))]
                total = after_word[i] + float(plain[i, m])
                if total < after_word[i + 1]:
                    after_word[i + 1] = total
                    back[("w", i + 1)] = ("w", i, Token(chars[m], (i, i + 1), plain=True))
    state = ("w", n) if after_word[n] <= after_gap[n] else ("g", n)
    if min(after_word[n], after_gap[n]) == INF:
        return []
    tokens: list[Token] = []
    while state in back:
        kind, i, token = back[state]
        if token is not None:
            tokens.append(token)
        state = (kind, i)
    return tokens[::-1]


OVERTYPED_CONF = 0.5
BLANK_CELL = 2.0  # misfits: a cell with less ink than this holds no letter
# A doubtful run of cells is over-typed when the page's own х or hyphen laid
# over the letters explains most of its cells (OVERTYPED_SHARE) by more than
# half a unit, and the middle cell by OVERTYPED_GAIN units; on the corpus no
# run of plain type reached both, 10 over-typed runs that the ink density
# missed (hyphens, light ribbon) did.
OVERTYPED_SHARE = 0.7
OVERTYPED_GAIN = 1.4
OVERLAYS = "х-"
DOUBTFUL_CONF = 0.9


def find_overtyping(gray: np.ndarray, layout: Layout, rows: list[RowText], glyphs: Glyphs) -> tuple[Strike, ...]:
    """Over-typed spans that the ink density did not show, found by
    superposition: runs of three inked cells or more, read doubtfully (no
    word of the list, or with low confidence) and struck by nothing, whose
    cells the page's ``х`` or hyphen typed over its letters explains far
    better than its letters alone."""
    overlays = [glyphs.images[ch] for ch in OVERLAYS if ch in glyphs.images]
    found: list[Strike] = []
    for index, (row, text) in enumerate(zip(layout.rows, rows)):
        if not text.words or not overlays:
            continue
        row_cells = _RowCells(gray, layout, index)
        ks = row_cells.cells_of(row.box)
        images = np.stack([row_cells.cell(k) for k in ks])
        inked = (_centre(images) ** 2).sum(axis=(1, 2)) / glyphs.residual > BLANK_CELL
        for start, stop in runs(inked):
            if stop - start < 3:
                continue
            x0, x1 = _x_of(row, ks[start], layout.pitch), _x_of(row, ks[stop - 1] + 1, layout.pitch)
            words = [w for w in text.words if x0 <= w.box.center[0] < x1]
            if not words or any(s.row == index and s.box.x0 < x1 and x0 < s.box.x1 for s in layout.strikes):
                continue
            if all(russian_zipf(_split(w.text)[1]) >= NEAREST_MIN_ZIPF and w.conf >= DOUBTFUL_CONF for w in words):
                continue
            _, plain = plain_misfits(images[start:stop], glyphs)
            for overlay in overlays:
                gain = plain.min(axis=1) - overtyped_misfits(images[start:stop], glyphs, overlay).min(axis=1)
                if np.mean(gain > 0.5) >= OVERTYPED_SHARE and np.median(gain) >= OVERTYPED_GAIN:
                    found.append(Strike(row=index, box=Box(x0, row.box.y0, x1, row.box.y1), kind="overtype"))
                    break
    return tuple(found)


def _x_of(row, cell: int, pitch: float) -> int:
    """x of the left edge of ``cell`` in ``row``."""
    return int(round(row.phase + (cell - 0.5) * pitch))


def read_overtyping(gray: np.ndarray, layout: Layout, rows: list[RowText], glyphs: Glyphs | None
                    ) -> tuple[list[RowText], tuple[Strike, ...], dict]:
    """The rows with the words under each over-typed span read by superposition
    (see the module's doc), the strikes with each span narrowed to its
    over-typed cells (a comma typed after the struck words is no part of
    them), and what was measured. Rows stay as read when the page shows too
    few letters plainly."""
    spans = [s for s in layout.strikes if s.kind == "overtype"]
    measures = {"spans": len(spans), "spans_read": 0}
    if glyphs is None or not spans:
        return rows, layout.strikes, measures
    cells = {s.row: _RowCells(gray, layout, s.row) for s in spans}
    span_cells = {s: cells[s.row].cells_of(s.box) for s in spans}
    overlay = np.median([cells[s.row].cell(k) for s, ks in span_cells.items() for k in ks], axis=0)
    rows, narrowed = list(rows), {}
    for strike, ks in span_cells.items():
        row_cells = cells[strike.row]
        images = np.stack([row_cells.cell(k) for k in ks])
        chars, plain = plain_misfits(images, glyphs)
        under = overtyped_misfits(images, glyphs, overlay)
        space = ((_centre(images) - _centre(overlay)) ** 2).sum(axis=(1, 2)) / glyphs.residual
        tokens = read_span(chars, under, plain, space)
        struck = [t for t in tokens if not t.plain]
        if not struck:
            continue

        def x_of(cell: int) -> int:
            return int(round(row_cells.row.phase + (cell - 0.5) * layout.pitch))

        new = [Word(t.text, Box(x_of(ks[t.cells[0]]), strike.box.y0, x_of(ks[t.cells[1] - 1] + 1), strike.box.y1),
                    OVERTYPED_CONF) for t in tokens]
        kept = [w for w in rows[strike.row].words if not strike.box.x0 <= w.box.center[0] < strike.box.x1]
        words = tuple(sorted(kept + new, key=lambda w: w.box.x0))
        rows[strike.row] = RowText(words, spaced_by_pitch(words, pitch=layout.pitch))
        narrowed[strike] = replace(strike, box=Box(strike.box.x0, strike.box.y0, x_of(ks[struck[-1].cells[1] - 1] + 1),
                                                   strike.box.y1))
        measures["spans_read"] += 1
    return rows, tuple(narrowed.get(s, s) for s in layout.strikes), measures




def reread_doubtful(gray: np.ndarray, layout: Layout, rows: list[RowText], glyphs: Glyphs) -> tuple[list[RowText], int]:
    """Typed words Tesseract read as no word of the list, read again from the
    page's own glyphs: the cells of the word (a run of inked cells) are
    matched letter by letter, and a word of the list that explains them
    better than any letter-by-letter reading replaces what was read."""
    rows, changed = list(rows), 0
    for index, row in enumerate(rows):
        struck = [s.box for s in layout.strikes if s.row == index]
        row_cells: _RowCells | None = None
        words = list(row.words)
        continued = index > 0 and rows[index - 1].text.endswith("-")  # starts with a word's second half
        for n, word in enumerate(words):
            lead, core, trail = _split(word.text)
            if (n == 0 and continued) or trail.endswith("-") or lead or len(core) < 3 or not all(ch.lower() in LETTERS for ch in core) or russian_zipf(core) >= NEAREST_MIN_ZIPF:
                continue
            if any(b.x0 <= word.box.center[0] < b.x1 for b in struck):
                continue
            row_cells = row_cells or _RowCells(gray, layout, index)
            ks = row_cells.cells_of(word.box)
            if not 3 <= len(ks) <= MAX_WORD:
                continue
            if len(ks) == len(core) + len(trail):
                ks = ks[:len(core)]  # the marks were read right where the letters fill their cells
            images = np.stack([row_cells.cell(k) for k in ks])
            chars, plain = plain_misfits(images, glyphs)
            tokens = read_span(chars, plain, plain, np.full(len(ks), np.inf), unknown_word=UNKNOWN_WORD_PLAIN)
            if not tokens or not tokens[0].listed:
                continue
            text = tokens[0].text + trail
            if core[0].isupper():
                text = text[0].upper() + text[1:]
            if text != word.text:
                words[n] = Word(text, word.box, word.conf)
                changed += 1
        rows[index] = RowText(tuple(words), row.spaced)
    return rows, changed


def _split(text: str) -> tuple[str, str, str]:
    """Leading marks, the letters, trailing marks."""
    start = next((i for i, ch in enumerate(text) if ch.isalpha()), len(text))
    stop = next((i for i in range(len(text), 0, -1) if text[i - 1].isalpha()), start)
    return text[:start], text[start:stop], text[stop:]


PEN_BLANK = 2.0  # misfits: a cell with less ink than this off the pen stroke holds no letter


def read_pen_struck(gray: np.ndarray, layout: Layout, rows: list[RowText], glyphs: Glyphs) -> tuple[list[RowText], int]:
    """Words under a pen stroke read again from the page's glyphs with the
    stroke's pixels left out of the match: when words of the list explain
    the cells best, they replace what Tesseract read (a space is a cell
    without ink off the stroke)."""
    rows, changed = list(rows), 0
    cells: dict[int, _RowCells] = {}
    for strike in (s for s in layout.strikes if s.kind == "pen"):
        row = rows[strike.row]
        under = [w for w in row.words if strike.box.x0 <= w.box.center[0] < strike.box.x1]
        if not under:
            continue
        if strike.row not in cells:
            cells[strike.row] = _RowCells(gray, layout, strike.row, pen=True)
        row_cells = cells[strike.row]
        ks = list(range(row_cells.cells_of(under[0].box)[0], row_cells.cells_of(under[-1].box)[-1] + 1))
        if not 1 <= len(ks) <= 3 * MAX_WORD:
            continue
        images = np.stack([row_cells.cell(k) for k in ks])
        weights = np.stack([row_cells.off_pen(k) for k in ks])
        space = (_centre(weights * images ** 2)).sum(axis=(1, 2)) / glyphs.residual
        inked = np.flatnonzero(space > PEN_BLANK)  # the pen runs on past the words it strikes
        if not inked.size:
            continue
        keep = slice(inked[0], inked[-1] + 1)
        ks, images, weights, space = ks[keep], images[keep], weights[keep], space[keep]
        chars = glyphs.chars
        fit = masked_misfits(images, weights, glyphs)
        tokens = read_span(chars, fit, fit, space, unknown_word=UNKNOWN_WORD_PEN)
        if not tokens or not all(t.listed or t.plain for t in tokens):
            continue

        def x_of(cell: int) -> int:
            return int(round(row_cells.row.phase + (cell - 0.5) * layout.pitch))

        new = [Word(t.text, Box(x_of(ks[t.cells[0]]), min(w.box.y0 for w in under),
                                x_of(ks[t.cells[1] - 1] + 1), max(w.box.y1 for w in under)), OVERTYPED_CONF)
               for t in tokens]
        kept = [w for w in row.words if not x_of(ks[0]) <= w.box.center[0] < x_of(ks[-1] + 1)]
        words = tuple(sorted(kept + new, key=lambda w: w.box.x0))
        rows[strike.row] = RowText(words, spaced_by_pitch(words, pitch=layout.pitch))
        changed += 1
    return rows, changed
