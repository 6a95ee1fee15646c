"""archocr: OCR of Soviet-era Russian typescripts with handwritten corrections.

The page model lives in :mod:`ocr.model`, the markup of SPEC §2 in
:mod:`ocr.markup`; everything else is a stage over them or an exporter.
"""
from __future__ import annotations

__version__ = "0.1.0"
