"""The page's own glyphs, and typed cells read by superposition.

Every character of a typescript page was typed by one machine: same type
bars, same key offsets, same ribbon. So the page teaches us its glyphs: a
character's image is the mean of its cells in words Tesseract read
confidently, one character a cell. A cell is then scored against every
character by its misfit: the squared difference between the cell's ink and
the glyph's, at the glyph's best shift, in units of the usual misfit of a
clean cell to its own glyph. Misfits come plain, with pixels left out
(where a pen stroke crosses), or with an over-typing glyph laid over the
letter (ink adds). :func:`read_cells` reads a run of cells as the common
words (a cell a letter, a cell a space) whose letters fit them best.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

import cv2
import numpy as np

from ocr.layout_model import Layout, TypedRow
from ocr.lexicon import NEAREST_MIN_ZIPF, RUSSIAN, russian_list
from ocr.model import Box
from ocr.recognize import FAINT_INK, INK_LEVEL, RowText, _cell_of, erase_pen_strokes, isolate

ABOVE, BELOW = 1.45, 0.55  # a cell reaches this many type heights above and below the baseline
SHIFT = 2  # pixels a struck glyph may stand off its key's usual place, either way
PAPER, FULL_INK = 235.0, 135.0  # gray of bare paper and of full ink
GLYPH_MIN_CONF = 0.9  # words read at least this confidently teach the page's glyphs
GLYPH_MAX_SAMPLES = 30
LETTERS = RUSSIAN.replace("ё", "")  # Russian typewriters had no ё key
MARKS = ".,;:)"  # what may follow a word in its last cell
FREQUENCY_WEIGHT = 0.5  # cells of misfit a tenfold more frequent word is worth
ZIPF_TOP = 8.0  # a word costs FREQUENCY_WEIGHT for each tenfold it is rarer than this
UNKNOWN_WORD = 1.0  # cells of misfit charged per letter of a word not in the word list
MAX_WORD = 24
WORD_COST = 2.0  # cells of misfit a span pays for each word more: struck spans are mostly one or two words


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


class RowCells:
    """The character cells of one typed row, as ink images with a margin of
    SHIFT; where pen strokes cross them; and their misfits to the page's glyphs."""

    def __init__(self, gray: np.ndarray, layout: Layout, index: int):
        self.row = row = layout.rows[index]
        self.pitch = layout.pitch
        ch = layout.char_height
        self.above, self.height = int(round(ABOVE * ch)), int(round((ABOVE + BELOW) * ch))
        self.width = int(round(layout.pitch))
        self._gray = gray
        self._crop, self.box = isolate(gray, layout.components.labels, row.members, row.box,
                                       pad=int(ch + self.width), faint_below=FAINT_INK)
        self.ink = ink_of(self._crop)
        self._strokes = [(s.box.x0 - self.box.x0, s.box.x1 - self.box.x0)
                         for s in layout.strikes if s.row == index and s.kind == "pen"]
        self._misfits: dict[int, np.ndarray] = {}

    @cached_property
    def pen(self) -> np.ndarray:
        """1 on the pen strokes through the row, 0 elsewhere."""
        erased = erase_pen_strokes(self._crop, self._strokes, baseline=self.row.baseline - self.box.y0,
                                   char_height=self.row.char_height, pitch=self.pitch)
        stroke = ((self._crop < INK_LEVEL) & (erased == 255)).astype(np.uint8)
        return cv2.dilate(stroke, np.ones((3, 3), np.uint8)).astype(np.float32)

    def misfits(self, ks: list[int], glyphs: Glyphs) -> np.ndarray:
        """:func:`plain_misfits` of cells ``ks``; the first call reckons every
        cell of the row in one product, for the page's one ``glyphs``."""
        missing = sorted(set(ks).union(self.cells_of(self.row.box) if not self._misfits else ())
                         - self._misfits.keys())
        if missing:
            fit = plain_misfits(np.stack([self.cell(k) for k in missing]), glyphs)
            self._misfits.update(zip(missing, fit))
        return np.stack([self._misfits[k] for k in ks])

    def cell(self, k: int) -> np.ndarray:
        return self.window(self.ink, k, origin=(self.box.x0, self.box.y0))

    def open_cell(self, k: int) -> np.ndarray:
        """Cell ``k``'s ink as it lies on the page, with any other ink over
        it (a stamp's): not only the row's own."""
        return ink_of(self.window(self._gray, k, origin=(0, 0), fill=PAPER))

    def off_pen(self, k: int) -> np.ndarray:
        """1 where cell ``k`` is clear of pen strokes, 0 on them."""
        return 1.0 - self.window(self.pen, k, origin=(self.box.x0, self.box.y0))

    def window(self, image: np.ndarray, k: int, *, origin: tuple[int, int], fill: float = 0.0) -> np.ndarray:
        """Cell ``k``'s window, margin included, of ``image``, whose top left
        pixel is page pixel ``origin``; ``fill`` where the image ends."""
        x0 = int(round(self.row.phase + k * self.pitch - self.width / 2)) - SHIFT - origin[0]
        y0 = self.row.baseline - self.above - SHIFT - origin[1]
        h, w = self.height + 2 * SHIFT, self.width + 2 * SHIFT
        out = np.full((h, w), fill, np.float32)
        sy0, sx0 = max(y0, 0), max(x0, 0)
        sy1, sx1 = min(y0 + h, image.shape[0]), min(x0 + w, image.shape[1])
        if sy1 > sy0 and sx1 > sx0:
            out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
        return out

    def cells_of(self, box: Box) -> list[int]:
        """The cells whose centres lie in ``box``'s x-range."""
        return list(range(self.cell_at(box.x0 + self.pitch / 2), self.cell_at(box.x1 - self.pitch / 2) + 1))

    def cell_at(self, x: float) -> int:
        """The cell that page column ``x`` lies in."""
        return _cell_of(x, phase=self.row.phase, pitch=self.pitch)


class PageCells:
    """The typed rows' cells of one page, each row's made once, when first asked for."""

    def __init__(self, gray: np.ndarray, layout: Layout):
        self.gray, self._layout = gray, layout
        self._rows: dict[int, RowCells] = {}

    def row(self, index: int) -> RowCells:
        if index not in self._rows:
            self._rows[index] = RowCells(self.gray, self._layout, index)
        return self._rows[index]


def _shifted(image: np.ndarray) -> np.ndarray:
    """Every placement of a margined image's centre window within ±SHIFT: (n_shifts, h, w)."""
    h, w = image.shape[-2] - 2 * SHIFT, image.shape[-1] - 2 * SHIFT
    span = range(2 * SHIFT + 1)
    return np.stack([image[..., dy:dy + h, dx:dx + w] for dy in span for dx in span], axis=-3)


def centre(image: np.ndarray) -> np.ndarray:
    return image[..., SHIFT:-SHIFT, SHIFT:-SHIFT]


def learn_glyphs(cells: PageCells, layout: Layout, rows: list[RowText]) -> Glyphs | None:
    """The mean image of every character read confidently, one character a
    cell, outside struck spans; None when the page teaches too few letters."""
    samples: dict[str, list[np.ndarray]] = {}
    for index, row in enumerate(rows):
        struck = [s.box for s in layout.strikes if s.row == index]
        words = [w for w in row.words
                 if w.conf >= GLYPH_MIN_CONF and not any(b.x0 < w.box.x1 and w.box.x0 < b.x1 for b in struck)]
        if not words:
            continue
        row_cells = cells.row(index)
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
    misfit = [float(((_shifted(images[ch]) - centre(x)) ** 2).sum(axis=(1, 2)).min())
              for ch, s in samples.items() for x in s[:5]]
    return Glyphs(images, residual=max(float(np.median(misfit)), 1.0))


_TRIPLED = re.compile(r"(.)\1\1")


@lru_cache(maxsize=1)
def _word_list() -> dict[int, tuple[list[str], np.ndarray, np.ndarray]]:
    """The common words of the list by length: the words, their letters as
    indices into LETTERS (n, length), their Zipf frequencies (n,). Left out:
    what the list took from chat (``ааааааа``, ``нееет``): no Russian word
    has a letter three times running."""
    floor = 10.0 ** (NEAREST_MIN_ZIPF - 9.0)
    best: dict[str, float] = {}
    for word, freq in russian_list().items():
        word = word.replace("ё", "е")
        if (freq >= floor and len(word) <= MAX_WORD and all(ch in LETTERS for ch in word)
                and not _TRIPLED.search(word)):
            best[word] = max(best.get(word, 0.0), freq)
    by_length: dict[int, list[str]] = {}
    for word in best:
        by_length.setdefault(len(word), []).append(word)
    index = np.zeros(max(map(ord, LETTERS)) + 1, dtype=np.int16)
    index[[ord(ch) for ch in LETTERS]] = np.arange(len(LETTERS))
    return {n: (ws, index[np.frombuffer("".join(ws).encode("utf-32-le"), dtype=np.uint32).reshape(len(ws), n)],
                np.log10(np.array([best[w] for w in ws])) + 9.0)
            for n, ws in by_length.items()}


def _best_shift(ssd: np.ndarray, k: int) -> np.ndarray:
    """(k * shifts, n) squared misfits -> (n, k), each character at its best shift."""
    return ssd.reshape(k, -1, ssd.shape[1]).min(axis=1).T


def plain_misfits(cells: np.ndarray, glyphs: Glyphs) -> np.ndarray:
    """(n, k) misfits (in units of the page's residual) of every character of
    :attr:`Glyphs.chars` to each of ``cells`` (n, h + 2 SHIFT, w + 2 SHIFT).
    Squared distances as |T|^2 + |C|^2 - 2 T.C, all cells and shifts in one product."""
    t, c = glyphs.flat, centre(cells).reshape(len(cells), -1).T  # (pixels, n)
    ssd = glyphs.flat_squared.sum(axis=1)[:, None] + (c ** 2).sum(axis=0)[None, :] - 2.0 * (t @ c)
    return _best_shift(ssd, len(glyphs.chars)) / glyphs.residual


def masked_misfits(cells: np.ndarray, weights: np.ndarray, glyphs: Glyphs) -> np.ndarray:
    """(n, k) misfits of every character to ``cells`` counted only where
    ``weights`` (same shape) is 1: off the pen strokes that cross them, in the
    order of :func:`plain_misfits`. Sum of W (T - C)^2 = T^2.W - 2 T.(W C) + W.C^2."""
    w = centre(weights).reshape(len(cells), -1)
    c = centre(cells).reshape(len(cells), -1)
    ssd = glyphs.flat_squared @ w.T - 2.0 * (glyphs.flat @ (w * c).T) + (w * c ** 2).sum(axis=1)[None, :]
    return _best_shift(ssd, len(glyphs.chars)) / glyphs.residual


def blank_misfits(cells: np.ndarray, glyphs: Glyphs, weights: np.ndarray | None = None) -> np.ndarray:
    """(n,) misfit of each cell as a blank cell: its ink (where ``weights`` is 1)."""
    ink = centre(cells) ** 2 if weights is None else centre(weights * cells ** 2)
    return ink.sum(axis=(1, 2)) / glyphs.residual


def covered_misfits(cells: np.ndarray, weights: np.ndarray, glyphs: Glyphs, *, extra: float) -> np.ndarray:
    """(n, k) misfits of every character to ``cells`` over which other ink
    may lie (a stamp's lettering and frame): of the glyph's ink the cell
    lacks every bit counts, of the cell's ink the glyph lacks only ``extra``
    (a share of its square); only where ``weights`` is 1. In the order of
    :func:`plain_misfits`. With d = T - C: extra W d^2 (as in
    :func:`masked_misfits`) and (1 - extra) W max(d, 0)^2, the only part
    reckoned cell by cell."""
    w = centre(weights).reshape(len(cells), -1)
    c = centre(cells).reshape(len(cells), -1)
    both = glyphs.flat_squared @ w.T - 2.0 * (glyphs.flat @ (w * c).T) + (w * c ** 2).sum(axis=1)[None, :]
    lacking = np.empty_like(both)
    for i in range(len(cells)):
        short = np.maximum(glyphs.flat - c[i], 0.0)
        lacking[:, i] = (short * short) @ w[i]
    ssd = extra * both + (1.0 - extra) * lacking
    return _best_shift(ssd, len(glyphs.chars)) / glyphs.residual


def overtyped_misfits(cells: np.ndarray, glyphs: Glyphs, overlay: np.ndarray) -> np.ndarray:
    """(n, k) misfits of every character typed under the over-typing ``overlay``
    (ink adds: P = T + X - T X), in the order of :func:`plain_misfits`.

    With a = 1 - X and d = X - C, |P - C|^2 = T^2.a^2 + 2 T.(a d) + |d|^2."""
    over_shifts = _shifted(overlay).reshape((2 * SHIFT + 1) ** 2, -1)
    c = centre(cells).reshape(len(cells), -1)
    # the over-typing stands, in each cell, where the cell's ink best covers it
    uncovered = (np.clip(over_shifts[None, :, :] - c[:, None, :], 0, None) ** 2).sum(axis=2)
    x = over_shifts[np.argmin(uncovered, axis=1)]  # (n, pixels)
    a, d = 1.0 - x, x - c
    ssd = glyphs.flat_squared @ (a ** 2).T + 2.0 * (glyphs.flat @ (a * d).T) + (d ** 2).sum(axis=1)[None, :]
    return _best_shift(ssd, len(glyphs.chars)) / glyphs.residual


@dataclass(frozen=True)
class Token:
    """A word (or a mark) read from a run of cells."""

    text: str
    cells: tuple[int, int]  # [start, stop) of the run's cells
    plain: bool = False  # a mark typed plain after the last word (not struck)
    listed: bool = False  # a word of the word list, not read letter by letter


def read_cells(chars: list[str], letters: np.ndarray, marks: np.ndarray, space: np.ndarray, *,
               unknown_word: float = UNKNOWN_WORD, marks_inside: bool = False) -> list[Token]:
    """The best reading of a run of cells as words of the list (or, dearer by
    ``unknown_word`` a letter, as the best character of each cell), a space
    cell between words, and a mark typed plain in the last cell (with
    ``marks_inside``, after any word: a run of plain type).

    ``letters`` (n, k) are the misfits of ``chars`` as the cells' letters
    (plain, under over-typing or off a pen stroke), ``marks`` (n, k) their
    misfits typed plain, ``space`` (n,) the misfit of each cell as a space.
    A word's cost is its letters' misfits, FREQUENCY_WEIGHT for each tenfold
    it is rarer than ZIPF_TOP, and WORD_COST for every word after the first.
    """
    n = len(space)
    col = {ch: i for i, ch in enumerate(chars)}

    def middling(alphabet: list[str]) -> np.ndarray:
        """A letter the page never showed plainly costs the cell's middling misfit."""
        known = letters[:, [col[ch] for ch in alphabet if ch in col]]
        return np.median(known, axis=1) if known.shape[1] >= 3 else np.median(letters, axis=1)

    small, capital = middling(list(LETTERS)), middling([ch.upper() for ch in LETTERS])
    lower = np.stack([letters[:, col[ch]] if ch in col else small for ch in LETTERS], axis=1)
    upper = np.stack([letters[:, col[ch.upper()]] if ch.upper() in col else capital for ch in LETTERS], axis=1)
    first_upper = upper < lower
    first = np.minimum(lower, upper)
    letter_cols = [col[ch] for ch in chars if ch.isalnum()]
    mark_cols = [col[ch] for ch in chars if ch in MARKS]
    lexicon = _word_list()

    INF = float("inf")
    after_word = [INF] * (n + 1)
    after_gap = [INF] * (n + 1)
    after_gap[0] = 0.0
    back: dict[tuple[str, int], tuple[str, int, Token | None]] = {}
    for i in range(n):
        if after_gap[i] < INF:
            for length in range(1, min(n - i, MAX_WORD) + 1):
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
                    best = [chars[letter_cols[int(np.argmin(letters[i + j, letter_cols]))]] for j in range(length)]
                    cost = float(letters[i:i + length, letter_cols].min(axis=1).sum()) + unknown_word * length \
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
            if mark_cols and (marks_inside or i == n - 1):
                m = mark_cols[int(np.argmin(marks[i, mark_cols]))]
                total = after_word[i] + float(marks[i, m])
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


# A slash typed over each letter is as common a way to strike typing as an
# х, but few pages type a slash of their own to learn it from. Its shape
# is much the same on every machine: a thin straight line from just under
# the baseline up to the capitals' height, leaning right by a third to two
# thirds of a cell. SLASH_LEANS are the half-widths, in cells, drawn.
SLASH_LEANS = (0.15, 0.22, 0.3)
SLASH_FOOT, SLASH_TOP = 0.15, 1.0  # type heights under and over the baseline


def drawn_slashes(glyphs: Glyphs, *, char_height: float) -> list[np.ndarray]:
    """Slashes as the page's typewriter would type them, in the shape of its
    glyph images: as thick as its hyphen (else a tenth of the type height)."""
    h, w = glyphs.images[glyphs.chars[0]].shape
    base = h - SHIFT - int(round(BELOW * char_height))  # the baseline's row in a cell image
    dash = glyphs.images.get("-")
    thick = float((dash > 0.5).sum(axis=0).max()) if dash is not None and (dash > 0.5).any() else 0.1 * char_height
    up = 4  # drawn four times finer, then averaged down: anti-aliased as the scan is
    out = []
    for lean in SLASH_LEANS:
        image = np.zeros((h * up, w * up), np.float32)
        dx = lean * (w - 2 * SHIFT)
        foot = (int(up * (w / 2 - dx)), int(up * (base + SLASH_FOOT * char_height)))
        top = (int(up * (w / 2 + dx)), int(up * (base - SLASH_TOP * char_height)))
        cv2.line(image, foot, top, 1.0, max(int(round(up * thick)), 1))
        out.append(cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA))
    return out


def x_of(row: TypedRow, cell: int, pitch: float) -> int:
    """x of the left edge of ``cell`` in ``row``."""
    return int(round(row.phase + (cell - 0.5) * pitch))


