"""Fonts for the synthetic scans: typewriter faces and handwriting families.

Typewriter faces are monospace TrueType fonts with Cyrillic from Debian
packages (``scripts/setup`` installs them). Handwriting families come from
npm ``@fontsource`` packages (``fonts/node_modules``); each family is split
into subset files (``*-cyrillic-400-normal.woff2`` has the Cyrillic letters,
``*-latin-400-normal.woff2`` digits and punctuation), so a glyph is looked up
in the first subset whose cmap has it. Coverage is tested by comparing the
glyph's bitmap with the font's ``.notdef`` bitmap, the only reliable probe
Pillow offers without fontTools.

Glyphs are returned as float32 alpha masks (0..1) with the offset of their
top-left corner from the pen position on the baseline.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import ImageFont

from ocr.errors import UsageError

TRUETYPE_DIR = Path("/usr/share/fonts/truetype")
TYPEWRITER_FONTS: dict[str, str] = {
    "pt-mono": "paratype/PTM55F.ttf",
    "liberation-mono": "liberation/LiberationMono-Regular.ttf",
    "freemono": "freefont/FreeMono.ttf",
    "cmu-typewriter": "cmu/cmuntt.ttf",
    "dejavu-sans-mono": "dejavu/DejaVuSansMono.ttf",
}
STAMP_FONTS: dict[str, str] = {
    "dejavu-sans-bold": "dejavu/DejaVuSans-Bold.ttf",
    "dejavu-sans": "dejavu/DejaVuSans.ttf",
}
HAND_FAMILIES: tuple[str, ...] = ("bad-script", "caveat", "marck-script", "neucha")
# Handwriting families the recogniser is trained on (scripts/train_hand), kept
# apart from HAND_FAMILIES so that the corpus tests it on hands it never saw:
# six cursive, eight print-like, as the corpus has two of each.
TRAIN_HAND_FAMILIES: tuple[str, ...] = (
    "comforter", "comforter-brush", "great-vibes", "lobster", "pacifico", "pattaya",
    "balsamiq-sans", "gabriela", "kurale", "marmelad", "pangolin", "playpen-sans", "shantell-sans", "zen-kurenaido",
)
_SUBSETS = ("cyrillic", "latin", "cyrillic-ext", "latin-ext")
_PROBE_SIZE = 48
_NOTDEF_PROBE = "\ue000"  # a private-use code point no font here maps


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def fontsource_dir() -> Path:
    """Where the npm handwriting fonts live; ``ARCHOCR_FONTS`` overrides it."""
    env = os.environ.get("ARCHOCR_FONTS")
    return Path(env) if env else project_root() / "fonts" / "node_modules" / "@fontsource"


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise UsageError(f"{what} font not found: {path}; run scripts/setup to install the fonts")
    return path


def typewriter_font_path(name: str) -> Path:
    return _require(TRUETYPE_DIR / TYPEWRITER_FONTS[name], "typewriter")


def stamp_font_path(name: str = "dejavu-sans-bold") -> Path:
    return _require(TRUETYPE_DIR / STAMP_FONTS[name], "stamp")


def hand_subset_paths(family: str) -> list[Path]:
    files = fontsource_dir() / family / "files"
    paths = [files / f"{family}-{subset}-400-normal.woff2" for subset in _SUBSETS]
    found = [p for p in paths if p.is_file()]
    if not found:
        raise UsageError(f"handwriting font {family!r} not found under {files}; run scripts/setup")
    return found


@lru_cache(maxsize=None)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=None)
def _has_glyph(path: str, char: str) -> bool:
    if char.isspace():
        return True
    font = _font(path, _PROBE_SIZE)
    notdef = font.getmask(_NOTDEF_PROBE)
    mask = font.getmask(char)
    return not (mask.size == notdef.size and bytes(mask) == bytes(notdef))


@dataclass(frozen=True)
class Glyph:
    """An alpha mask and where its top-left corner sits relative to the pen on the baseline."""

    alpha: np.ndarray  # float32, 0..1
    dx: int
    dy: int
    advance: float


class GlyphSource:
    """Glyphs of one face (a list of subset files tried in order) at one pixel size."""

    def __init__(self, paths: list[Path], size: int) -> None:
        if size < 4:
            raise ValueError(f"font size {size}px is too small")
        self.paths = [str(p) for p in paths]
        self.size = int(size)
        self._cache: dict[str, Glyph] = {}

    def font_for(self, char: str) -> ImageFont.FreeTypeFont:
        for path in self.paths:
            if _has_glyph(path, char):
                return _font(path, self.size)
        return _font(self.paths[0], self.size)

    def has(self, char: str) -> bool:
        return any(_has_glyph(p, char) for p in self.paths)

    def glyph(self, char: str) -> Glyph:
        cached = self._cache.get(char)
        if cached is not None:
            return cached
        font = self.font_for(char)
        advance = float(font.getlength(char))
        if char.isspace():
            glyph = Glyph(np.zeros((1, 1), np.float32), 0, 0, advance)
        else:
            mask, (ox, oy) = font.getmask2(char, mode="L", anchor="ls")
            w, h = mask.size
            alpha = np.asarray(mask, dtype=np.uint8).reshape(h, w).astype(np.float32) / 255.0
            glyph = Glyph(alpha, int(ox), int(oy), advance)
        self._cache[char] = glyph
        return glyph

    def metrics(self) -> tuple[float, float, float]:
        """(cap height, x-height, descender) in pixels, measured on Cyrillic letters."""
        cap = -self.font_for("Н").getbbox("Н", anchor="ls")[1]
        xh = -self.font_for("н").getbbox("н", anchor="ls")[1]
        desc = self.font_for("р").getbbox("р", anchor="ls")[3]
        return float(cap), float(xh), float(desc)


def typewriter_source(name: str, size: int) -> GlyphSource:
    fallback = TRUETYPE_DIR / TYPEWRITER_FONTS["dejavu-sans-mono"]
    paths = [typewriter_font_path(name)]
    if fallback.is_file() and fallback not in paths:
        paths.append(fallback)
    return GlyphSource(paths, size)


def hand_source(family: str, size: int) -> GlyphSource:
    return GlyphSource(hand_subset_paths(family), size)


def cap_ratio(paths: list[Path]) -> float:
    """Cap height of a face as a fraction of its em, to size fonts by cap height."""
    font = _font(str(paths[0]), 100)
    return -font.getbbox("Н", anchor="ls")[1] / 100.0
