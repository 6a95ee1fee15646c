"""Recognition stage: read each typed row and each handwriting block with the
engine, and hand blocks with the handwriting model (:mod:`ocr.handread`) too.

Each region is cut out of the flattened gray page with everything that is
not its own ink painted white (so insertions touching a line, neighbouring
rows and stamps do not leak in); pen strokes are erased from struck words
before they are read. Crops are scaled so that capitals are about
``TARGET_CHAR_HEIGHT`` pixels, the size Tesseract's LSTM models read best.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.engine import Engine
from ocr.handread import HandModel
from ocr.layout_model import HandBlock, Layout, TypedRow, runs
from ocr.model import Box, Word

TARGET_CHAR_HEIGHT = 32.0
INK_LEVEL = 200  # gray below which a pixel of a row's crop is ink
# The faint pixels joined to a hand block's ink (isolate's faint_joined) grew
# the 207 written blocks found on the 88-page set by at most 1.54 times; a
# stain, fold or scanner streak that a speck lies in grows it far more.
FAINT_MAX_GROWTH = 1.6
# Gray below which a pixel the binarization left out is kept in a typed row's
# crop as faint ink (the page is flattened, paper about 250): broken and
# faint letters come back. 200 and 240 measured worse on the corpus' heavy
# pages (cer_typed 5.65% and 5.39% against 5.00%), keeping everything worse
# on the light ones.
FAINT_INK = 225
# Letters of the other Cyrillic alphabets (the Cyrillic script model reads
# worn Russian type with them now and then) and printers' marks no Russian
# typewriter had a key for (`$` and `|` are mostly specks and fold lines).
# Handwriting is read without this list: there it measured worse (the print
# model's guesses at a hand only move elsewhere).
NOT_ON_A_TYPEWRITER = "ІіЇїЄєЎўЉљЊњЋћЂђЏџЌќЃѓҒғҚқҢңҮүҰұҲҳҶҷҸҹҺһӘәӨөӦӧ‚‘’„“”‹›·®©°—…$|"
TYPED_PSM = HAND_PSM = 7  # single text line; raw-line mode (13) measured no better on the corpus


@dataclass(frozen=True)
class RowText:
    """The words of one row, and where a typed line had a space between them.

    ``spaced[i]`` tells whether a space precedes word ``i`` (always false for
    the first). Tesseract sometimes splits a word before a hyphen or comma;
    on a typewriter a space is a whole empty cell, so a gap narrower than
    that is no space.
    """

    words: tuple[Word, ...]  # boxes in deskewed page pixels
    spaced: tuple[bool, ...] = ()
    listed: bool = False  # the words were chosen against the word list as they were read

    def _separators(self) -> list[str]:
        if len(self.spaced) != len(self.words):
            return ["" if i == 0 else " " for i in range(len(self.words))]
        return ["" if i == 0 or not gap else " " for i, gap in enumerate(self.spaced)]

    @property
    def text(self) -> str:
        return "".join(sep + w.text for sep, w in zip(self._separators(), self.words))

    def word_offsets(self) -> list[tuple[int, int]]:
        """[start, end) of each word in :attr:`text`."""
        out, pos = [], 0
        for sep, w in zip(self._separators(), self.words):
            pos += len(sep)
            out.append((pos, pos + len(w.text)))
            pos += len(w.text)
        return out

    @property
    def conf(self) -> float:
        return float(np.mean([w.conf for w in self.words])) if self.words else 0.0


def isolate(gray: np.ndarray, labels: np.ndarray, members: tuple[int, ...], box: Box, *,
            pad: int, faint_below: int | None = None, faint_joined: bool = False) -> tuple[np.ndarray, Box]:
    """The crop of ``box`` (padded) showing only the ink of ``members``, with
    pixels of no component that the binarization left out:

    - ``faint_below``: every such pixel darker than that (broken and faint type);
    - ``faint_joined``: such pixels darker than halfway from the paper to the
      members' own ink and joined to that ink (the thin ends and joins of
      pencil strokes, which binarization breaks a word into pieces at).
    """
    h, w = gray.shape
    crop_box = box.expand(pad).clip(w, h)
    sl = (slice(crop_box.y0, crop_box.y1), slice(crop_box.x0, crop_box.x1))
    crop = gray[sl]
    kernel = np.ones((3, 3), np.uint8)
    own = cv2.dilate(np.isin(labels[sl], np.asarray(members)).astype(np.uint8), kernel) > 0  # anti-aliased edges
    keep = own
    if faint_below is None and not faint_joined:
        return np.where(keep, crop, 255).astype(np.uint8), crop_box
    others = cv2.dilate(((labels[sl] > 0) & ~own).astype(np.uint8), kernel) > 0
    if faint_below is not None:
        keep = keep | (~others & (crop < faint_below))
    if faint_joined and own.any() and not (own | others).all():
        paper = float(np.median(crop[~own & ~others]))
        ink = float(np.median(crop[own]))
        weak = own | (~others & (crop < (paper + ink) / 2))
        _, pieces = cv2.connectedComponents(weak.astype(np.uint8), connectivity=8)
        joined = weak & np.isin(pieces, np.unique(pieces[own]))
        if joined.sum() <= FAINT_MAX_GROWTH * own.sum():  # more is a stain or a fold the ink lies in
            keep = keep | joined
    return np.where(keep, crop, 255).astype(np.uint8), crop_box


def erase_pen_strokes(crop: np.ndarray, strike_ranges: list[tuple[int, int]], *, baseline: int,
                      char_height: float, pitch: float) -> np.ndarray:
    """Whiten pen strokes through typed words, keeping the letters they cross.

    Stroke pieces are the long, roughly horizontal ink (openings with a line
    a little shorter than a character cell, at three slopes, so wavy and
    slanted strokes count). In each column of a struck range, an ink run
    touching such a piece is erased only when it is about as thin as a pen
    line; where a letter's stem crosses the stroke the run is long, and the
    letter survives (the classic way of removing underlines).
    """
    if not strike_ranges:
        return crop
    ink = (crop < INK_LEVEL).astype(np.uint8)
    length = max(int(0.7 * pitch), 3)
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    for angle in (-8, 8):
        kernel = np.zeros((5, length), np.uint8)
        rise = int(round(np.tan(np.radians(angle)) * length / 2))
        cv2.line(kernel, (0, 2 - rise), (length - 1, 2 + rise), 1, 1)
        horizontal |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    horizontal = cv2.dilate(horizontal, np.ones((3, 1), np.uint8))
    top = int(max(baseline - 0.9 * char_height, 0))
    bottom = int(min(baseline + 0.35 * char_height, crop.shape[0]))
    thin = max(3.0, 0.38 * char_height)
    out = crop.copy()
    reach = int(0.8 * pitch)  # the pen overshoots the words it strikes
    for x0, x1 in strike_ranges:
        for x in range(max(x0 - reach, 0), min(x1 + reach, crop.shape[1])):
            column = ink[top:bottom, x]
            for a, b in runs(column):
                if b - a <= thin and horizontal[top + a:top + b, x].any():
                    out[max(top + a - 1, 0):top + b + 1, x] = 255
    return out


def _read(engine: Engine, crop: np.ndarray, *, char_height: float, dpi: int, offset: Box,
          psm: int, blacklist: str = "") -> tuple[Word, ...]:
    scale = float(np.clip(TARGET_CHAR_HEIGHT / max(char_height, 1.0), 1.0, 3.0))
    image = crop if scale == 1.0 else cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    words = engine.recognize_line(image, psm=psm, dpi=int(dpi * scale),
                                  variables={"tessedit_char_blacklist": blacklist})
    return tuple(
        Word(_plain(w.text), Box(int(w.box.x0 / scale) + offset.x0, int(w.box.y0 / scale) + offset.y0,
                         int(np.ceil(w.box.x1 / scale)) + offset.x0, int(np.ceil(w.box.y1 / scale)) + offset.y0),
             w.conf)
        for w in words if _plain(w.text)
    )


def _plain(text: str) -> str:
    """Recognised text with the characters our markup reserves taken out."""
    return text.replace("~", "-").replace("<", "").replace(">", "").strip()


def read_row(engine: Engine, gray: np.ndarray, layout: Layout, index: int, *, dpi: int) -> RowText:
    row: TypedRow = layout.rows[index]
    pad = int(0.35 * row.char_height)
    crop, crop_box = isolate(gray, layout.components.labels, row.members, row.box, pad=pad, faint_below=FAINT_INK)
    pen = [(s.box.x0 - crop_box.x0, s.box.x1 - crop_box.x0)
           for s in layout.strikes if s.row == index and s.kind == "pen"]
    crop = erase_pen_strokes(crop, pen, baseline=row.baseline - crop_box.y0,
                             char_height=row.char_height, pitch=layout.pitch)
    words = _read(engine, crop, char_height=row.char_height, dpi=dpi, offset=crop_box, psm=TYPED_PSM,
                  blacklist=NOT_ON_A_TYPEWRITER)
    inked = _inked_cells(crop, crop_box, phase=row.phase, pitch=layout.pitch)
    words = tuple(piece for w in words for piece in split_at_blank_cells(w, inked, phase=row.phase,
                                                                         pitch=layout.pitch))
    words = trim_specks(words)
    words = restore_capitals(words, _cell_heights(crop, crop_box, phase=row.phase, pitch=layout.pitch),
                             phase=row.phase, pitch=layout.pitch)
    return RowText(words, spaced_by_pitch(words, pitch=layout.pitch))


SPECK_MAX_CONF = 0.6
ONE_LETTER_WORDS = frozenset("авикосуя")
TYPED_MARKS = frozenset({"-", "—", "–"})


def trim_specks(words: tuple[Word, ...]) -> tuple[Word, ...]:
    """Drop what Tesseract made of specks, stains and stamp remnants at either
    end of a typed row, read with low confidence: a mark other than a hyphen
    or dash (a word broken at the line's end, a page number's dashes), or a
    lone small letter that is no Russian word (capitals may be Roman numerals:
    ``Ш``)."""
    def speck(w: Word) -> bool:
        core = [ch for ch in w.text if ch.isalnum()]
        lone = len(core) == 1 and len(w.text) <= 2 and core[0].islower() and core[0] not in ONE_LETTER_WORDS
        mark = not core and w.text not in TYPED_MARKS
        return w.conf < SPECK_MAX_CONF and (mark or lone)
    start, stop = 0, len(words)
    while start < stop and speck(words[start]):
        start += 1
    while stop > start and speck(words[stop - 1]):
        stop -= 1
    return words[start:stop]


def _cell_of(x: float, *, phase: float, pitch: float) -> int:
    """The character cell holding x (cell k is centred at ``phase + k * pitch``)."""
    return int(np.floor((x - phase) / pitch + 0.5))


def _cell_middles(crop_box: Box, *, phase: float, pitch: float, half: float) -> list[tuple[int, int, int]]:
    """(k, x0, x1): the columns of the crop within ``half`` a pitch of each
    whole cell's centre."""
    out = []
    for k in range(int(np.ceil((crop_box.x0 - phase) / pitch)), int(np.floor((crop_box.x1 - phase) / pitch)) + 1):
        centre = phase + k * pitch - crop_box.x0
        x0, x1 = int(round(centre - half * pitch)), int(round(centre + half * pitch)) + 1
        if x0 >= 0 and x1 <= crop_box.width:
            out.append((k, x0, x1))
    return out


def _inked_cells(crop: np.ndarray, crop_box: Box, *, phase: float, pitch: float) -> dict[int, bool]:
    """Whether each character cell of the crop holds ink in its middle half
    (a wide letter's edge spilling over from its neighbour is not ink of the cell)."""
    columns = (crop < INK_LEVEL).sum(axis=0)
    return {k: bool(columns[x0:x1].any()) for k, x0, x1 in _cell_middles(crop_box, phase=phase, pitch=pitch, half=0.25)}


def split_at_blank_cells(word: Word, inked: dict[int, bool], *, phase: float, pitch: float) -> tuple[Word, ...]:
    """Split a word Tesseract read across typed spaces (``строительствоосвоены``, ``-2-``).

    On a typewriter every character takes one cell and a space is a blank
    cell. When the cells under the word hold exactly as many inked cells as
    the word has characters, the characters fill them in order and each
    blank cell between them is a space; otherwise the word stays as read.
    """
    cells = range(_cell_of(word.box.x0, phase=phase, pitch=pitch), _cell_of(word.box.x1, phase=phase, pitch=pitch) + 1)
    if any(k not in inked for k in cells):
        return (word,)
    full = [k for k in cells if inked[k]]
    if len(full) != len(word.text) or len(full) == len(cells):
        return (word,)
    pieces, start = [], 0
    for i in range(1, len(full) + 1):
        if i == len(full) or full[i] != full[i - 1] + 1:
            x0 = max(word.box.x0, int(round(phase + (full[start] - 0.5) * pitch)))
            x1 = min(word.box.x1, int(round(phase + (full[i - 1] + 0.5) * pitch)))
            pieces.append(Word(word.text[start:i], Box(x0, word.box.y0, max(x1, x0 + 1), word.box.y1), word.conf))
            start = i
    return tuple(pieces)


# Lower-case Cyrillic letters drawn as small capitals, without a descender
# or a breve: on a typewriter only their height tells them from capitals.
SMALL_CAPITALS = frozenset("вгжзиклмнопстхчшъыьэюя")
X_HEIGHT_LETTERS = SMALL_CAPITALS | frozenset("аес")
CAPITALS = frozenset(ch.upper() for ch in SMALL_CAPITALS)
CAPITAL_MIN_HEIGHT = 1.1  # of the row's x-height, the capitals stand at least this tall, or height tells nothing
CAPITAL_NEAR = 0.75  # a letter is a capital when its height is this far from the x-height to the capitals'


def _cell_heights(crop: np.ndarray, crop_box: Box, *, phase: float, pitch: float) -> dict[int, int]:
    """Height of the ink in the middle of each character cell of the crop."""
    ink = crop < INK_LEVEL
    out = {}
    for k, x0, x1 in _cell_middles(crop_box, phase=phase, pitch=pitch, half=0.3):
        rows = np.flatnonzero(ink[:, x0:x1].any(axis=1))
        if rows.size:
            out[k] = int(rows[-1] - rows[0] + 1)
    return out


def restore_capitals(words: tuple[Word, ...], heights: dict[int, int], *, phase: float,
                     pitch: float) -> tuple[Word, ...]:
    """Capitals Tesseract read as small letters (``ким`` for ``Ким``, ``кпсс``
    for ``КПСС``), set right by the height of their ink: the first letter of a
    word, or every letter of a word that stands capital-tall throughout,
    when it is drawn alike in both cases, stands near the height of the
    capitals read as such in the row, and the word's letters fill its cells
    one for one. The other way too: a word's capital of such a letter
    standing no taller than its small letters (``Тогда`` read in worn type
    mid-sentence) becomes small."""
    placed = []
    for w in words:
        k0, k1 = _cell_of(w.box.x0, phase=phase, pitch=pitch), _cell_of(w.box.x1, phase=phase, pitch=pitch)
        placed.append((w, list(range(k0, k1 + 1)) if k1 - k0 + 1 == len(w.text) else []))

    def sizes(letters) -> list[int]:
        return [heights[k] for w, ks in placed for ch, k in zip(w.text, ks) if ch in letters and k in heights]

    small, capitals = sizes(X_HEIGHT_LETTERS), sizes(CAPITALS)
    if len(small) < 5 or not capitals:
        return words
    x_height, cap_height = float(np.median(small)), float(np.median(capitals))
    if cap_height < CAPITAL_MIN_HEIGHT * x_height:
        return words  # this face's capitals cannot be told by height
    tall = x_height + CAPITAL_NEAR * (cap_height - x_height)
    short = x_height + (1.0 - CAPITAL_NEAR) * (cap_height - x_height)
    out = []
    for w, ks in placed:
        capital = [ch in SMALL_CAPITALS and heights.get(k, 0) >= tall for ch, k in zip(w.text, ks)]
        if ks and all(capital):
            w = Word(w.text.upper(), w.box, w.conf)
        elif ks and capital[0]:
            w = Word(w.text[0].upper() + w.text[1:], w.box, w.conf)
        elif (ks and w.text[0] in CAPITALS and w.text[1:].isalpha() and w.text[1:].islower()
              and 0 < heights.get(ks[0], 0) <= short):
            w = Word(w.text[0].lower() + w.text[1:], w.box, w.conf)
        out.append(w)
    return tuple(out)


def spaced_by_pitch(words: tuple[Word, ...], *, pitch: float) -> tuple[bool, ...]:
    """A space before a word when the gap from the previous word could hold a
    typed character cell (narrow glyphs such as '-' or ',' leave about half a
    cell of white on either side)."""
    return tuple(i > 0 and w.box.x0 - words[i - 1].box.x1 >= 0.9 * pitch for i, w in enumerate(words))


def hand_crop(gray: np.ndarray, layout: Layout, block: HandBlock, *, faint_joined: bool = False
              ) -> tuple[np.ndarray, Box]:
    """A hand block's own ink on white, padded, and the crop's box (see :func:`isolate`)."""
    return isolate(gray, layout.components.labels, block.members, block.box, pad=int(0.3 * layout.char_height),
                   faint_joined=faint_joined)


# Writing up the margin reads level turned clockwise, down it counter-clockwise.
TURNS = (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE)


def _unturned(box: Box, turn: int, shape: tuple[int, int], offset: Box) -> Box:
    """A box in a crop of ``shape`` (h, w) turned by ``turn``, back in the
    crop and moved by ``offset`` onto the page."""
    h, w = shape
    if turn == cv2.ROTATE_90_CLOCKWISE:  # the turned crop's (x, y) was the crop's (y, h - 1 - x)
        b = Box(box.y0, h - box.x1, box.y1, h - box.x0)
    else:  # counter-clockwise: (x, y) was (w - 1 - y, x)
        b = Box(w - box.y1, box.x0, w - box.y0, box.x1)
    return Box(b.x0 + offset.x0, b.y0 + offset.y0, b.x1 + offset.x0, b.y1 + offset.y0)


def _read_upright(read, crop: np.ndarray, crop_box: Box) -> tuple[Word, ...]:
    """The surer of the two readings of writing up or down the margin:
    ``read(image)`` gives words with boxes in the turned crop."""
    readings = [tuple(Word(w.text, _unturned(w.box, turn, crop.shape, crop_box), w.conf)
                      for w in read(cv2.rotate(crop, turn))) for turn in TURNS]
    return max(readings, key=lambda words: RowText(words).conf)


def read_hand(engine: Engine, gray: np.ndarray, layout: Layout, block: HandBlock, *, dpi: int) -> RowText:
    """The words of a hand block as the engine's print model reads them."""
    crop, crop_box = hand_crop(gray, layout, block)
    # Handwriting has no pitch; its capitals are about as tall as the block's core.
    char_height = min(block.box.width if block.upright else block.box.height, 1.2 * layout.char_height)
    if block.upright:
        return RowText(_read_upright(lambda image: _read(engine, image, char_height=char_height, dpi=dpi,
                                                         offset=Box(0, 0, 0, 0), psm=HAND_PSM), crop, crop_box))
    return RowText(_read(engine, crop, char_height=char_height, dpi=dpi, offset=crop_box, psm=HAND_PSM))


def read_hand_with(model: HandModel, gray: np.ndarray, layout: Layout, block: HandBlock, *,
                   lexicon: bool = True) -> RowText:
    """The words of a hand block as the handwriting ``model`` reads them,
    chosen against the word list (:meth:`HandModel.read`). The model reads
    the faint ends of strokes as well: it was trained on whole strokes, and
    on the 145 insertion crops of the 88-page set they cut its CER from
    14.0% to 11.6% (light 17.9% to 12.9%). The print model, the gate of
    :func:`ocr.pipeline._read_hand`, reads the binarization's ink alone, or
    it finds writing in more specks."""
    crop, box = hand_crop(gray, layout, block, faint_joined=True)

    def read(image: np.ndarray, offset: Box = Box(0, 0, 0, 0)) -> tuple[Word, ...]:
        return tuple(Word(w.text, Box(w.x0 + offset.x0, w.y0 + offset.y0, w.x1 + offset.x0, w.y1 + offset.y0),
                          w.conf) for w in model.read(image, lexicon=lexicon))

    words = _read_upright(read, crop, box) if block.upright else read(crop, box)
    return RowText(words, listed=lexicon)
