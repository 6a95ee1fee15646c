"""Page preprocessing: pure image operations and the ``preprocess`` stage that chains them.

Arrays are ``uint8`` gray ``(h, w)`` or RGB ``(h, w, 3)``; binary images are
``bool`` with ``True`` = ink. Every ``estimate_*`` function only measures;
the functions that change pixels take the measurement as an argument, so the
stage records what was measured (scikit-image style).

Angles are in degrees, counter-clockwise positive as the page is seen on
screen (y axis pointing down), the convention of ``cv2.getRotationMatrix2D``.
:func:`estimate_skew` returns the angle of the text lines, so
``rotate(img, -estimate_skew(gray))`` makes them horizontal.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from ocr.geometry import map_box_back, rotate
from ocr.imageio import SourcePage
from ocr.model import Box, Step
from ocr.textmeasure import estimate_dpi_from_text, estimate_skew

__all__ = [
    "Preprocessed", "preprocess", "to_gray", "ink_gray", "estimate_background",
    "flatten_illumination", "estimate_ink_level", "stretch_contrast", "estimate_border_mask", "estimate_content_box",
    "estimate_paper_color", "remove_dark_borders", "binarize", "denoise",
    "estimate_skew", "estimate_dpi_from_text", "rotate", "map_box_back",
]


def _check_image(img: np.ndarray) -> None:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
        raise ValueError(f"expected a uint8 array, got {getattr(img, 'dtype', type(img))}")
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3) or min(img.shape[:2]) == 0:
        raise ValueError(f"expected a non-empty (h, w) or (h, w, 3) image, got shape {img.shape}")


def _odd(n: float) -> int:
    n = max(3, int(round(n)))
    return n if n % 2 else n + 1


def to_gray(img: np.ndarray) -> np.ndarray:
    """Luminance (ITU-R 601) of an RGB image; gray images are returned as they are."""
    _check_image(img)
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def ink_gray(img: np.ndarray) -> np.ndarray:
    """The darkest channel per pixel, so ink of any colour is dark.

    Blue, violet or red handwriting is bright in one channel but dark in
    another; luminance would fade it, the minimum over channels keeps it.
    Apply it after :func:`flatten_illumination` so tinted paper is white in
    every channel first.
    """
    _check_image(img)
    if img.ndim == 2:
        return img
    red, green, blue = cv2.split(img)
    return cv2.min(cv2.min(red, green), blue)


def estimate_background(gray: np.ndarray, *, window: int) -> np.ndarray:
    """The paper brightness under each pixel (uint8), text removed.

    A grayscale closing (max then min filter) wider than any stroke erases
    the dark text; a median smooths what is left. Done on a copy shrunk by
    ``window // 16`` so a page takes milliseconds.
    """
    _check_image(gray)
    if gray.ndim != 2:
        raise ValueError("estimate_background takes one channel")
    h, w = gray.shape
    factor = max(1, window // 16)
    small = cv2.resize(gray, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    k = _odd(window / factor)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    bg = cv2.medianBlur(bg, min(k, 255))
    return cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)


def flatten_illumination(img: np.ndarray, *, window: int | None = None) -> np.ndarray:
    """Divide each channel by its background so paper becomes white everywhere.

    Removes shading, yellowed or tinted paper and large stains (anything
    wider than ``window`` pixels, by default 1/25 of the shorter side).
    """
    _check_image(img)
    if window is None:
        window = max(31, min(img.shape[:2]) // 25)
    if img.ndim == 3:
        return cv2.merge([flatten_illumination(c, window=window) for c in cv2.split(img)])
    bg = cv2.max(estimate_background(img, window=window), 1)
    return cv2.divide(img, bg, scale=255.0)  # saturates at 255


def estimate_ink_level(gray: np.ndarray, *, percentile: float = 99.5) -> float:
    """How dark the ink is: the ``percentile`` of darkness (``255 - gray``), sampled every 2nd pixel.

    About 160+ for ribbon type on a flattened page, 30–60 for a faint
    carbon copy; the darkest 0.5 % of a typed page is ink.
    """
    _check_image(gray)
    dark = cv2.subtract(255, gray[::2, ::2] if gray.ndim == 2 else ink_gray(gray)[::2, ::2])
    counts = np.cumsum(np.bincount(dark.ravel(), minlength=256))
    return float(np.searchsorted(counts, percentile / 100.0 * counts[-1]))


def stretch_contrast(gray: np.ndarray, *, ink_level: float, target: float = 160.0,
                     max_gain: float = 4.0) -> np.ndarray:
    """Darken ink so that ``ink_level`` becomes ``target`` levels below white (gain 1..``max_gain``).

    A faint carbon copy then reads like ribbon type; pages already dark
    enough are returned unchanged. Paper white stays white.
    """
    _check_image(gray)
    gain = min(max(target / max(ink_level, 1.0), 1.0), max_gain)
    if gain == 1.0:
        return gray
    lut = np.clip(np.rint(255.0 - (255.0 - np.arange(256)) * gain), 0, 255).astype(np.uint8)
    return cv2.LUT(gray, lut)


def estimate_border_mask(gray: np.ndarray, *, darkness: float = 0.5,
                         min_contact: float = 0.05) -> np.ndarray:
    """Dark scanner borders: dark areas touching the image edge (bool mask, True = border).

    Works on a copy about 600 px long. Pixels darker than ``darkness`` times
    the paper level are opened (text strokes vanish, borders stay) and the
    connected parts touching the image edge along at least ``min_contact``
    of the shorter side are kept.
    """
    gray = to_gray(gray)
    h, w = gray.shape
    scale = min(1.0, 600.0 / max(h, w))
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(gray, (sw, sh), interpolation=cv2.INTER_AREA)
    paper = float(np.percentile(small, 90))
    dark = (small < paper * darkness).astype(np.uint8)
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    count, labels = cv2.connectedComponents(dark, connectivity=4)
    if count <= 1:
        return np.zeros((h, w), dtype=bool)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    contact = np.bincount(edge, minlength=count)
    keep = contact >= max(2, min_contact * min(sh, sw))
    keep[0] = False
    mask = keep[labels].astype(np.uint8)
    mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
    grow = int(np.ceil(1.0 / scale)) + 1  # cover the blurred edge of the border
    mask = cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    return mask.astype(bool)


def estimate_content_box(mask: np.ndarray) -> Box:
    """The box inside the border: rows and columns less than half covered by ``mask``."""
    h, w = mask.shape
    rows = np.flatnonzero(mask.mean(axis=1) < 0.5)
    cols = np.flatnonzero(mask.mean(axis=0) < 0.5)
    if rows.size == 0 or cols.size == 0:
        return Box(0, 0, w, h)
    return Box(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def estimate_paper_color(img: np.ndarray, mask: np.ndarray | None = None) -> tuple[int, ...]:
    """Paper colour: the 90th percentile of each channel outside ``mask`` (sampled every 4th pixel)."""
    _check_image(img)
    sample = img[::4, ::4].reshape(-1, *img.shape[2:])
    if mask is not None and not mask[::4, ::4].all():
        sample = sample[~mask[::4, ::4].reshape(-1)]
    channels = sample.reshape(len(sample), -1).T
    return tuple(int(np.searchsorted(np.cumsum(np.bincount(c, minlength=256)), 0.9 * c.size))
                 for c in channels)


def remove_dark_borders(img: np.ndarray, mask: np.ndarray, *,
                        fill: tuple[int, ...] | int | None = None) -> np.ndarray:
    """A copy of ``img`` with the border pixels set to ``fill`` (default: the paper colour)."""
    _check_image(img)
    if mask.shape != img.shape[:2]:
        raise ValueError(f"mask shape {mask.shape} does not match image {img.shape[:2]}")
    out = img.copy()
    if mask.any():
        out[mask] = estimate_paper_color(img, mask) if fill is None else fill
    return out


def binarize(gray: np.ndarray, *, window: int = 41, k: float = 0.12) -> np.ndarray:
    """Sauvola threshold: ink where ``gray < m * (1 + k * (s / 128 - 1))`` (bool, True = ink).

    ``m`` and ``s`` are the mean and standard deviation over ``window``
    pixels. A small ``k`` keeps faint carbon-copy strokes; run it on a
    flattened :func:`ink_gray` image so coloured ink is dark and paper ~255.
    """
    _check_image(gray)
    if gray.ndim != 2:
        raise ValueError("binarize takes a gray image; use ink_gray first")
    size = (_odd(window),) * 2
    g = gray.astype(np.float32)
    mean = cv2.boxFilter(g, cv2.CV_32F, size, borderType=cv2.BORDER_REFLECT)
    var = cv2.sqrBoxFilter(g, cv2.CV_32F, size, borderType=cv2.BORDER_REFLECT) - cv2.multiply(mean, mean)
    std = cv2.sqrt(cv2.max(var, 0.0))
    std *= np.float32(k / 128.0)
    std += np.float32(1.0 - k)
    return g < cv2.multiply(mean, std)


def denoise(binary: np.ndarray, *, max_area: int) -> np.ndarray:
    """Remove specks: connected ink parts of at most ``max_area`` pixels."""
    if binary.dtype != bool or binary.ndim != 2:
        raise ValueError("denoise takes a 2-D bool image")
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] > max_area
    keep[0] = False
    return keep[labels]


@dataclass(frozen=True)
class Preprocessed:
    """The page ready for layout and recognition, all in deskewed pixels.

    ``gray``: flattened ink image (paper ~255, ink of any colour dark, faint
    carbon ink stretched darker) - the image to recognise from;
    ``binary``: True = ink; ``color``: the deskewed RGB page, borders whitened;
    ``matrix``: 2x3 affine from source to deskewed pixels (see :meth:`to_source`);
    ``border_box``: the content area inside dark borders, in source pixels;
    ``dpi_source``: 'given', 'file', 'estimated' or 'page size'.
    """

    gray: np.ndarray
    binary: np.ndarray
    color: np.ndarray
    matrix: np.ndarray
    skew_deg: float
    dpi: int
    dpi_source: str
    border_box: Box
    source_size: tuple[int, int]
    step: Step

    def to_source(self, box: Box) -> Box:
        """A box in deskewed pixels mapped back to source pixels (clipped to the page)."""
        return map_box_back(box, self.matrix, size=self.source_size)


# On a sheet of A4 proportions, how far (relative) the resolution the type
# gives may stand from the one the sheet's width gives. The type's reading
# is snapped to a standard resolution, so it either confirms the width's or
# names a neighbouring one (150 for 200, 240 for 300, 300 for 400): on the 106
# corpus pages it did so three times, each on a sheet of few typed lines
# whose handwriting it measured, and each wrong.
PAGE_DPI_SLACK = 0.15


def preprocess(source: SourcePage, *, dpi: int | None = None, max_skew_deg: float = 5.0,
               min_deskew_deg: float = 0.05, sauvola_k: float = 0.12,
               contrast_target: float = 160.0, remove_borders: bool = True) -> Preprocessed:
    """Borders to paper, illumination flattened, faint ink darkened, skew removed, binarized, DPI known.

    ``dpi`` overrides the file's; without either it is estimated from the
    typewriter pitch. Rotations smaller than ``min_deskew_deg`` are skipped.
    """
    started = time.perf_counter()
    image = source.image
    _check_image(image)
    h, w = image.shape[:2]

    mask = estimate_border_mask(image) if remove_borders else np.zeros((h, w), bool)
    border_box = estimate_content_box(mask)
    paper = estimate_paper_color(image, mask)
    page = remove_dark_borders(image, mask, fill=paper)

    rough_dpi = dpi or source.dpi or _dpi_from_page_width(w, h)
    flat = ink_gray(flatten_illumination(page, window=max(31, rough_dpi // 3)))
    ink_level = estimate_ink_level(flat)
    flat = stretch_contrast(flat, ink_level=ink_level, target=contrast_target)
    skew = estimate_skew(flat, max_deg=max_skew_deg)
    angle = skew if abs(skew) >= min_deskew_deg else 0.0
    gray, matrix = rotate(flat, -angle, fill=255)
    color, _ = rotate(page, -angle, fill=paper)
    if color.ndim == 2:
        color = cv2.cvtColor(color, cv2.COLOR_GRAY2RGB)

    binary = binarize(gray, window=rough_dpi // 7, k=sauvola_k)
    if dpi:
        final_dpi, dpi_source = int(dpi), "given"
    elif source.dpi:
        final_dpi, dpi_source = source.dpi, "file"
    else:
        estimated = estimate_dpi_from_text(binary)
        if estimated and (not is_page_like(w, h) or abs(estimated - rough_dpi) <= PAGE_DPI_SLACK * rough_dpi):
            final_dpi, dpi_source = estimated, "estimated"
        else:
            # too little text to measure, or a measure that contradicts a page of
            # A4-like proportions: its size is the safer guess
            final_dpi, dpi_source = rough_dpi, "page size"
    speck = max(1, round(3 * (final_dpi / 300) ** 2))
    binary = denoise(binary, max_area=speck)

    step = Step(
        name="preprocess",
        params={"max_skew_deg": max_skew_deg, "min_deskew_deg": min_deskew_deg,
                "sauvola_k": sauvola_k, "sauvola_window": _odd(rough_dpi // 7),
                "contrast_target": contrast_target,
                "remove_borders": remove_borders, "speck_area": speck},
        values={"skew_deg": round(skew, 3), "deskewed_by_deg": round(-angle, 3),
                "dpi": final_dpi, "dpi_source": dpi_source, "ink_level": round(ink_level, 1),
                "border_box": border_box.as_list(), "border_fraction": round(float(mask.mean()), 4),
                "ink_fraction": round(float(binary.mean()), 4)},
        seconds=round(time.perf_counter() - started, 3),
    )
    return Preprocessed(gray=gray, binary=binary, color=color, matrix=matrix, skew_deg=skew,
                        dpi=final_dpi, dpi_source=dpi_source, border_box=border_box,
                        source_size=(w, h), step=step)


def is_page_like(width: int, height: int) -> bool:
    """Proportions of a whole sheet (A4 is 1.41), not a line or a snippet cut from one."""
    return 1.25 <= max(width, height) / max(min(width, height), 1) <= 1.6


def _dpi_from_page_width(width: int, height: int) -> int:
    """A first guess from the page size, taking the shorter side as A4's 8.27 in."""
    return int(min(max(round(min(width, height) / 8.27, -1), 100), 1200))
