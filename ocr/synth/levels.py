"""The degradation levels: every tunable of the generator, per level, in one table.

A value written as a pair ``(lo, hi)`` is drawn uniformly per page; a single
number is used as is; probabilities are per page unless said otherwise.
Lengths are in millimetres or in pixels at 300 dpi (scaled to the real dpi).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

LEVEL_NAMES: tuple[str, ...] = ("light", "medium", "heavy")
Range = tuple[float, float]


@dataclass(frozen=True)
class LevelParams:
    # typewriter
    carbon_p: float            # page is a carbon copy
    ribbon_ink: Range          # mean opacity of ribbon ink
    ink_jitter: float          # sd of per-character opacity factor
    filled_counters_p: float   # share of dirty keys whose counters fill
    broken_p: float            # per glyph: faded / broken strokes
    double_strike_p: float     # per glyph: offset ghost strike
    baseline_jitter: float     # sd of per-strike baseline shift, fraction of cap height
    # handwriting and marks
    registry_stamp_p: float    # add a registry stamp not in the document
    stamp_patchiness: Range    # 0 even ink .. 1 very patchy
    # paper
    paper_tone: Range          # brightness of the paper
    yellowing: Range           # 0 white .. 1 strongly yellow-brown
    texture: Range             # amplitude of low-frequency tone variation
    grain: float               # amplitude of fine paper grain (kills PNG compression: keep small)
    stains: tuple[int, int]    # number of tea stains
    foxing: tuple[int, int]    # number of foxing spots
    fold_p: float
    holes_p: float
    bleed: Range               # opacity of mirrored text from the reverse side
    # scanner
    skew_deg: Range            # absolute skew, sign drawn at random
    border_p: float            # dark scanner border on one or two sides
    light_falloff: Range       # uneven illumination, 0 none
    blur_sigma: Range          # px at 300 dpi
    noise_sigma: float         # sensor noise, 0..1 scale
    specks: tuple[int, int]    # dust specks per page
    jpeg_quality: tuple[int, int] | None


LEVELS: dict[str, LevelParams] = {
    "light": LevelParams(
        carbon_p=0.0, ribbon_ink=(0.9, 1.0), ink_jitter=0.07, filled_counters_p=0.15,
        broken_p=0.02, double_strike_p=0.005, baseline_jitter=0.02,
        registry_stamp_p=0.3, stamp_patchiness=(0.1, 0.3),
        paper_tone=(0.93, 0.97), yellowing=(0.05, 0.2), texture=(0.01, 0.02), grain=0.006,
        stains=(0, 0), foxing=(0, 3), fold_p=0.1, holes_p=0.3, bleed=(0.0, 0.03),
        skew_deg=(0.0, 0.6), border_p=0.2, light_falloff=(0.0, 0.04), blur_sigma=(0.3, 0.6),
        noise_sigma=0.0, specks=(0, 15), jpeg_quality=None,
    ),
    "medium": LevelParams(
        carbon_p=0.3, ribbon_ink=(0.75, 0.95), ink_jitter=0.12, filled_counters_p=0.3,
        broken_p=0.06, double_strike_p=0.015, baseline_jitter=0.035,
        registry_stamp_p=0.5, stamp_patchiness=(0.2, 0.5),
        paper_tone=(0.88, 0.94), yellowing=(0.2, 0.45), texture=(0.012, 0.03), grain=0.01,
        stains=(0, 2), foxing=(2, 12), fold_p=0.4, holes_p=0.5, bleed=(0.02, 0.07),
        skew_deg=(0.3, 1.8), border_p=0.5, light_falloff=(0.03, 0.08), blur_sigma=(0.5, 0.9),
        noise_sigma=0.003, specks=(10, 60), jpeg_quality=(80, 92),
    ),
    "heavy": LevelParams(
        carbon_p=0.7, ribbon_ink=(0.55, 0.85), ink_jitter=0.18, filled_counters_p=0.45,
        broken_p=0.12, double_strike_p=0.03, baseline_jitter=0.05,
        registry_stamp_p=0.7, stamp_patchiness=(0.4, 0.8),
        paper_tone=(0.78, 0.9), yellowing=(0.4, 0.8), texture=(0.02, 0.045), grain=0.014,
        stains=(1, 3), foxing=(8, 30), fold_p=0.7, holes_p=0.7, bleed=(0.06, 0.14),
        skew_deg=(1.2, 3.0), border_p=0.8, light_falloff=(0.06, 0.14), blur_sigma=(0.8, 1.4),
        noise_sigma=0.006, specks=(40, 150), jpeg_quality=(55, 75),
    ),
}


def level_params(name: str) -> LevelParams:
    try:
        return LEVELS[name]
    except KeyError:
        raise ValueError(f"unknown level {name!r}; expected one of {LEVEL_NAMES}") from None


def draw(value: Any, rng: np.random.Generator) -> float:
    """A number from a table entry: a (lo, hi) pair is drawn uniformly."""
    if isinstance(value, tuple):
        lo, hi = value
        if isinstance(lo, int) and isinstance(hi, int):
            return int(rng.integers(lo, hi + 1))
        return float(rng.uniform(lo, hi))
    return value


def params_dict(params: LevelParams) -> dict[str, Any]:
    return {f.name: getattr(params, f.name) for f in fields(params)}
