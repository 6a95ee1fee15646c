"""Small synthetic typewritten pages for preprocessing and engine tests (PT Mono, known geometry)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

MONO = Path("/usr/share/fonts/truetype/paratype/PTM55F.ttf")

LINES = (
    "Товарищ Ким Ир Сен заявил, что трудящиеся республики",
    "с воодушевлением встретили решения ХХ съезда партии и",
    "приступили к выполнению пятилетнего плана. В этом году",
    "урожай риса превысил прошлогодний на 12 процентов, а",
    "выпуск промышленной продукции вырос почти вдвое по",
    "сравнению с довоенным уровнем. Особое внимание уделено",
    "восстановлению городов, школ и больниц, разрушенных",
    "в годы войны. Делегация выразила глубокую благодарность",
    "советскому народу за братскую помощь и поддержку.",
    "Беседа продолжалась около двух часов. 23. IX. 56г.",
)


def typed_page(*, dpi: int = 300, cpi: int = 10, spacing: float = 1.5, lines: int = 10,
               width_in: float = 6.5, margin_in: float = 0.5, ink: int = 30, paper: int = 255,
               columns: int = 55, text: tuple[str, ...] = LINES) -> np.ndarray:
    """A gray page of monospace lines (``text``, repeated as needed) at ``cpi``
    characters and 6/``spacing`` lines per inch."""
    size = dpi / cpi / 0.6  # PT Mono advances 0.6 em
    font = ImageFont.truetype(str(MONO), round(size))
    pitch = dpi / 6 * spacing
    margin = round(margin_in * dpi)
    height = round(2 * margin + pitch * lines)
    img = Image.new("L", (round(width_in * dpi + 2 * margin), height), paper)
    draw = ImageDraw.Draw(img)
    for i in range(lines):
        draw.text((margin, margin + i * pitch), text[i % len(text)][:columns], font=font, fill=ink)
    return np.asarray(img)


def rotated(img: np.ndarray, angle: float, *, fill: int = 255) -> np.ndarray:
    """``img`` turned ``angle`` degrees CCW about its centre, same canvas (as a tilted scan)."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    value = (fill,) * 3
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=value)


def text_line(text: str, *, height: int = 48, pad: int = 12) -> np.ndarray:
    """One line of text as a gray crop, as the pipeline hands it to the engine."""
    font = ImageFont.truetype(str(MONO), height)
    width = round(font.getlength(text)) + 2 * pad
    img = Image.new("L", (width, round(height * 1.4) + 2 * pad), 255)
    ImageDraw.Draw(img).text((pad, pad), text, font=font, fill=20)
    return np.asarray(img)
