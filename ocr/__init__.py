"""archocr: OCR of Soviet-era Russian typescripts with handwritten corrections.

The page model lives in :mod:`ocr.model`, the markup of SPEC §2 in
:mod:`ocr.markup`; everything else is a stage over them or an exporter.
"""
from __future__ import annotations

import os

# Pages run in parallel as processes, one per core; a BLAS thread pool in each
# (numpy's matrix products in ocr.glyphs) only fights the others for the cores:
# on 2 cores, 2 jobs, the glyph stage took 0.36 s a page with it, 0.16 s without.
# Set before numpy is first imported, which reads it once.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
