"""Paper and scanner: everything that happens to a page after it was written on.

Pure image functions over float32 RGB arrays in 0..1 (``rng`` and sizes
passed in). Paper effects work in the page's own frame; :func:`scan_geometry`
gives the affine map from the page frame to the image (skew and placement on
the scanner glass), applied to the image, the ink mask and every region box
alike.

Skew convention: ``skew_deg`` is the angle of the text lines in the image,
counter-clockwise positive as seen on screen (a positive skew makes a line
rise to the right, i.e. its right end has the smaller ``y``). It equals the
``angle`` argument of ``cv2.getRotationMatrix2D``.
"""
from __future__ import annotations

import cv2
import numpy as np

from ocr.synth.ink import smooth_noise

OLD_PAPER = np.array([0.96, 0.86, 0.64], np.float32)
TEA = np.array([0.80, 0.62, 0.38], np.float32)
FOX = np.array([0.70, 0.48, 0.28], np.float32)


def make_paper(height: int, width: int, *, tone: float, yellowing: float, texture: float,
               grain: float, rng: np.random.Generator) -> np.ndarray:
    """Paper of one tone with low-frequency mottling, darker yellowed edges and fine grain."""
    color = tone * ((1 - yellowing) * np.ones(3, np.float32) + yellowing * OLD_PAPER)
    mottle = 1 + texture * (smooth_noise((height, width), width * 0.12, rng)
                            + 0.5 * smooth_noise((height, width), width * 0.02, rng))
    yy = np.minimum(np.arange(height), np.arange(height)[::-1]).astype(np.float32) / width
    xx = np.minimum(np.arange(width), np.arange(width)[::-1]).astype(np.float32) / width
    edge = np.exp(-np.minimum(yy[:, None], xx[None, :]) / 0.02)
    mottle -= edge * (0.04 + 0.08 * yellowing)
    if grain > 0:
        fine = rng.standard_normal((height // 2 + 1, width // 2 + 1), dtype=np.float32)
        fine = cv2.GaussianBlur(fine, (0, 0), 0.8)
        fine /= max(float(fine.std()), 1e-6)
        mottle += grain * cv2.resize(fine, (width, height), interpolation=cv2.INTER_CUBIC)
    paper = mottle[..., None] * color[None, None, :]
    tint = 1 - edge[..., None] * yellowing * 0.25 * (1 - OLD_PAPER)
    return np.clip(paper * tint, 0, 1).astype(np.float32)


def bleed_through(page: np.ndarray, typed: np.ndarray, *, strength: float, dpi: int,
                  rng: np.random.Generator) -> np.ndarray:
    """Faint mirrored text of the reverse side, shifted and blurred by the paper."""
    if strength <= 0:
        return page
    h, w = typed.shape
    shift = np.float32([[1, 0, rng.uniform(-0.03, 0.03) * w], [0, 1, rng.uniform(0.01, 0.06) * h]])
    reverse = cv2.warpAffine(np.ascontiguousarray(typed[:, ::-1]), shift, (w, h))
    reverse = cv2.GaussianBlur(reverse, (0, 0), 1.6 * dpi / 300)
    return page * (1 - strength * reverse[..., None] * 0.8)


def add_stains(page: np.ndarray, count: int, *, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """Tea stains: an irregular blot with a darker tide-line at its rim."""
    h, w = page.shape[:2]
    px_mm = dpi / 25.4
    for _ in range(count):
        r = rng.uniform(12, 45) * px_mm
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        x0, x1 = int(max(cx - 1.5 * r, 0)), int(min(cx + 1.5 * r, w))
        y0, y1 = int(max(cy - 1.5 * r, 0)), int(min(cy + 1.5 * r, h))
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        aspect = rng.uniform(0.6, 1.0)
        d = np.hypot((xx - cx) / r, (yy - cy) / (r * aspect))
        d += 0.18 * smooth_noise((y1 - y0, x1 - x0), r * 0.35, rng)
        strength = rng.uniform(0.15, 0.45)
        inside = np.clip((1 - d) * 6, 0, 1) * 0.45
        rim = np.exp(-((d - 1) / 0.035) ** 2)
        amount = strength * (inside + rim)
        page[y0:y1, x0:x1] *= 1 - amount[..., None] * (1 - TEA)
    return page


def add_foxing(page: np.ndarray, count: int, *, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """Small brown age spots, in loose clusters."""
    h, w = page.shape[:2]
    px_mm = dpi / 25.4
    centers = rng.uniform([0, 0], [w, h], size=(max(1, count // 6 + 1), 2))
    for _ in range(count):
        cx, cy = centers[rng.integers(len(centers))] + rng.normal(0, 25 * px_mm, 2)
        r = rng.uniform(0.3, 1.8) * px_mm
        x0, x1 = int(max(cx - 3 * r, 0)), int(min(cx + 3 * r + 1, w))
        y0, y1 = int(max(cy - 3 * r, 0)), int(min(cy + 3 * r + 1, h))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        amount = rng.uniform(0.2, 0.6) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
        page[y0:y1, x0:x1] *= 1 - amount[..., None] * (1 - FOX)
    return page


def add_fold(page: np.ndarray, *, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """A crease across the page: a shadowed side, a bright ridge and a thin dark line."""
    h, w = page.shape[:2]
    horizontal = rng.random() < 0.75
    length = h if horizontal else w
    pos = length * rng.choice([1 / 3, 1 / 2, 2 / 3]) + rng.normal(0, 0.02 * length)
    slope = rng.normal(0, 0.01)
    if horizontal:
        coord = np.arange(h, dtype=np.float32)[:, None] - (pos + slope * np.arange(w, dtype=np.float32)[None, :])
    else:
        coord = np.arange(w, dtype=np.float32)[None, :] - (pos + slope * np.arange(h, dtype=np.float32)[:, None])
    px_mm = dpi / 25.4
    side = 1 if rng.random() < 0.5 else -1
    shade = np.where(side * coord > 0, np.exp(-np.abs(coord) / (rng.uniform(3, 8) * px_mm)), 0)
    ridge = np.exp(-((coord + side * 0.6 * px_mm) / (0.35 * px_mm)) ** 2)
    line = np.exp(-(coord / (0.15 * px_mm + 0.5)) ** 2)
    strength = rng.uniform(0.5, 1.0)
    factor = 1 - strength * (0.08 * shade + 0.22 * line) + strength * 0.05 * ridge
    return page * factor[..., None].astype(np.float32)


def punch_holes(page: np.ndarray, *, dpi: int, bright: bool, rng: np.random.Generator) -> np.ndarray:
    """Two filing holes in the left margin, 80 mm apart, seeing the scanner lid through."""
    h, w = page.shape[:2]
    px_mm = dpi / 25.4
    r = 2.75 * px_mm
    cx = rng.uniform(9, 13) * px_mm
    mid = h / 2 + rng.normal(0, 3 * px_mm)
    lid = np.array([0.97, 0.97, 0.96] if bright else [0.08, 0.08, 0.09], np.float32)
    for cy in (mid - 40 * px_mm, mid + 40 * px_mm):
        x0, x1, y0, y1 = int(cx - 2 * r), int(cx + 2 * r), int(cy - 2 * r), int(cy + 2 * r)
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        d = np.hypot(xx - cx, yy - cy) - r
        hole = np.clip(0.5 - d, 0, 1)
        rim = np.exp(-(d / (0.6 * px_mm)) ** 2) * 0.25 * (d > 0)
        sub = page[y0:y1, x0:x1]
        sub *= (1 - rim)[..., None]
        sub[:] = sub * (1 - hole[..., None]) + lid * hole[..., None]
    return page


def scan_geometry(height: int, width: int, *, skew_deg: float, border: bool, dpi: int,
                  rng: np.random.Generator) -> np.ndarray:
    """The 2x3 affine map from page frame to image: rotation by ``skew_deg`` and a shift on the glass."""
    m = cv2.getRotationMatrix2D((width / 2, height / 2), skew_deg, 1.0)
    if border:
        px_mm = dpi / 25.4
        sides = rng.choice(4, size=int(rng.integers(1, 3)), replace=False)
        for side in sides:
            amount = rng.uniform(2, 8) * px_mm
            if side == 0:
                m[0, 2] += amount
            elif side == 1:
                m[0, 2] -= amount
            elif side == 2:
                m[1, 2] += amount
            else:
                m[1, 2] -= amount
    return m


def warp(image: np.ndarray, m: np.ndarray, *, background: float) -> np.ndarray:
    h, w = image.shape[:2]
    value = (background,) * (image.shape[2] if image.ndim == 3 else 1)
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=value)


def transform_points(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    return points @ m[:, :2].T + m[:, 2]


def uneven_light(image: np.ndarray, *, falloff: float, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    yy = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    xx = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    angle = float(rng.uniform(0, 2 * np.pi))
    gradient = (float(np.cos(angle)) * xx + float(np.sin(angle)) * yy + 1) / 2
    vignette = (xx ** 2 + yy ** 2) / 2
    light = (1 - falloff * (0.6 * gradient + 0.4 * vignette)).astype(np.float32)
    return image * light[..., None]


def sensor(image: np.ndarray, *, blur_sigma: float, noise_sigma: float, specks: int, dpi: int,
           rng: np.random.Generator) -> np.ndarray:
    """Optics blur, dust specks and sensor noise."""
    h, w = image.shape[:2]
    if blur_sigma > 0:
        image = cv2.GaussianBlur(image, (0, 0), blur_sigma)
    for _ in range(specks):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = max(1, int(rng.uniform(0.5, 2.0) * dpi / 300))
        value = float(rng.uniform(0.0, 0.4)) if rng.random() < 0.8 else 1.0
        cv2.circle(image, (x, y), r, (value, value, value), -1, cv2.LINE_AA)
    if noise_sigma > 0:
        image = image + noise_sigma * rng.standard_normal((h, w), dtype=np.float32)[..., None]
    return image


def to_uint8(image: np.ndarray, *, gray: bool) -> np.ndarray:
    image = np.clip(image, 0, 1)
    if gray:
        image = image @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.round(image * 255).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as JPEG: blocking and ringing as in a scan stored lossy."""
    bgr = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    out = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    return out if image.ndim == 2 else cv2.cvtColor(out, cv2.COLOR_BGR2RGB)
