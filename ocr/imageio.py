"""Reading scans: find input files, decode each page into an 8-bit array, read its DPI.

The only module that opens image files. Every page comes out as a
:class:`SourcePage` holding a ``uint8`` array, gray ``(h, w)`` or RGB
``(h, w, 3)`` as the file stored it, upright (EXIF orientation applied),
transparency composited on white. Multi-page TIFFs yield one page each.
"""
from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.errors import NotAnImageError, UsageError

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")
# A resolution tag outside this range is a software default (72, 96) or junk,
# not a scanner setting; the pipeline then estimates the DPI from the text.
PLAUSIBLE_DPI = (100, 2400)


@dataclass(frozen=True)
class SourcePage:
    """One page of an input file.

    ``index`` is the 0-based page number within the file (always 0 except in
    multi-page TIFFs); ``dpi`` is the file's resolution, or ``None`` when the
    file has none or an implausible one (see :data:`PLAUSIBLE_DPI`).
    """

    path: Path
    index: int
    image: np.ndarray
    dpi: int | None

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


def list_inputs(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The image files named by ``paths``: files as given, folders searched recursively.

    Folders contribute files with an image suffix (:data:`IMAGE_SUFFIXES`,
    any case), hidden files and folders excluded. The result is sorted
    naturally (``p2`` before ``p10``) and free of duplicates.
    """
    found: dict[Path, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.setdefault(path.resolve(), path)
        elif path.is_dir():
            for file in _walk_images(path):
                found.setdefault(file.resolve(), file)
        else:
            raise UsageError(f"no such file or folder: {path}")
    if not found:
        shown = ", ".join(str(p) for p in paths) or "(none)"
        raise UsageError(f"no images found in {shown}; expected {', '.join(IMAGE_SUFFIXES)} files")
    return sorted(found.values(), key=_natural_key)


def _walk_images(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.lower().endswith(IMAGE_SUFFIXES):
                yield Path(root) / name


def _natural_key(path: Path) -> list[tuple[int, int | str]]:
    parts = re.split(r"(\d+)", str(path))
    return [(0, int(p)) if p.isdigit() else (1, p.lower()) for p in parts if p]


def count_pages(path: Path) -> int:
    """How many pages the file holds (reads headers only)."""
    with _open(path) as img:
        return int(getattr(img, "n_frames", 1))


def iter_pages(path: Path) -> Iterator[SourcePage]:
    """Every page of the file, decoded, in order."""
    with _open(path) as img:
        for index in range(int(getattr(img, "n_frames", 1))):
            yield _decode_frame(img, path, index)


def load_page(path: Path, index: int = 0) -> SourcePage:
    """Page ``index`` (0-based) of the file, decoded."""
    with _open(path) as img:
        frames = int(getattr(img, "n_frames", 1))
        if not 0 <= index < frames:
            raise NotAnImageError(f"{path} has {frames} page(s), there is no page {index + 1}")
        return _decode_frame(img, path, index)


def _open(path: Path) -> Image.Image:
    try:
        return Image.open(path)
    except FileNotFoundError:
        raise NotAnImageError(f"{path}: file not found; check the path") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise NotAnImageError(
            f"the file is not an image Pillow can read: {path} ({exc}); "
            "convert it to PNG, TIFF or JPEG, or remove it from the input") from exc


def _decode_frame(img: Image.Image, path: Path, index: int) -> SourcePage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img.seek(index)
            img.load()
            dpi = dpi_from_info(img.info)
            frame = ImageOps.exif_transpose(img)
            array = array_from_image(frame)
    except Image.DecompressionBombError as exc:
        raise NotAnImageError(f"{path}: image too large to decode safely ({exc}); "
                              "split or downscale it first") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise NotAnImageError(f"{path}: page {index + 1} cannot be decoded ({exc}); "
                              "the file may be truncated or damaged, re-export it") from exc
    return SourcePage(path=path, index=index, image=array, dpi=dpi)


def dpi_from_info(info: dict) -> int | None:
    """The horizontal resolution Pillow read from the file, if plausible, else ``None``.

    Pillow fills ``info['dpi']`` from PNG pHYs, TIFF X/YResolution (inch or
    cm units) and JPEG JFIF density or EXIF resolution.
    """
    dpi = info.get("dpi")
    if not dpi:
        return None
    try:
        value = float(dpi[0] if isinstance(dpi, (tuple, list)) else dpi)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(value) or not PLAUSIBLE_DPI[0] <= value <= PLAUSIBLE_DPI[1]:
        return None
    return int(round(value))


def array_from_image(img: Image.Image) -> np.ndarray:
    """A ``uint8`` gray or RGB array of any Pillow image mode.

    1-bit becomes 0/255; 16- and 32-bit gray are scaled down; palette,
    CMYK and other colour modes become RGB; alpha is composited on white.
    """
    mode = img.mode
    if mode == "1":
        return np.asarray(img.convert("L"), dtype=np.uint8)
    if mode == "L":
        return np.asarray(img, dtype=np.uint8)
    if mode.startswith("I;16") or mode == "I":
        return _scale_wide_gray(np.asarray(img), 65535.0)
    if mode == "F":
        values = np.asarray(img, dtype=np.float64)
        peak = 1.0 if np.nanmax(values) <= 1.0 else 255.0
        return _scale_wide_gray(values, peak)
    if mode == "LA" or mode == "La":
        return _composite_on_white(np.asarray(img.convert("LA")))
    if mode in ("RGBA", "RGBa", "PA") or (mode == "P" and "transparency" in img.info):
        return _composite_on_white(np.asarray(img.convert("RGBA")))
    if mode == "RGB":
        return np.asarray(img, dtype=np.uint8)
    return np.asarray(img.convert("RGB"), dtype=np.uint8)


def _scale_wide_gray(values: np.ndarray, peak: float) -> np.ndarray:
    values = np.nan_to_num(values.astype(np.float64))
    return np.clip(np.rint(values * (255.0 / peak)), 0, 255).astype(np.uint8)


def _composite_on_white(with_alpha: np.ndarray) -> np.ndarray:
    colour = with_alpha[..., :-1].astype(np.float32)
    alpha = with_alpha[..., -1:].astype(np.float32) / 255.0
    out = colour * alpha + 255.0 * (1.0 - alpha)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out[..., 0] if out.shape[-1] == 1 else out
