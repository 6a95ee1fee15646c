"""The one adapter to Tesseract: images in, :class:`~ocr.model.Word` records out.

Create one :class:`TesseractEngine` per worker process and reuse it. It
talks to Tesseract through ``tesserocr`` (the library in-process, fast) when
that imports, else through ``pytesseract`` (the ``tesseract`` command), with
the same interface and the same explicit settings either way. Whatever
Tesseract returns is turned into the page model right here: boxes in the
crop's pixels (``x1``/``y1`` exclusive), confidence 0..1, text in NFC.
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Mapping, Protocol

import numpy as np

from ocr.errors import EngineError
from ocr.model import Box, Word

TESSDATA_CANDIDATES = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata")
SETUP_HINT = "run scripts/setup to install Tesseract 5 and its Russian model"
PSM_SINGLE_LINE, PSM_SINGLE_BLOCK = 7, 6
# The Russian model with Tesseract's Cyrillic script model beside it: on the
# synthetic corpus the pair reads worn type and handwriting better than `rus`
# alone (cer_typed 4.80% -> 4.51%, cer_reading 6.48% -> 6.26% on 88 pages).
DEFAULT_LANG = "rus+Cyrillic"
BACKENDS = ("tesserocr", "pytesseract")
MIN_CONTRAST = 24  # gray levels between darkest and brightest pixel below which a crop is blank


def _one_thread() -> None:
    """One OpenMP thread for Tesseract: parallelism comes from processes, and
    Tesseract's threads collapse throughput under parallel load. Set before
    Tesseract is first loaded (OpenMP reads it then; forked workers inherit
    it) and not on importing this module, which would bind every OpenMP
    library of the process (torch in ``scripts/train_hand``) to one thread."""
    os.environ["OMP_THREAD_LIMIT"] = "1"


class Engine(Protocol):
    """What the pipeline needs from a recognizer (the real one and test fakes)."""

    def recognize_line(self, image: np.ndarray, **settings: Any) -> list[Word]: ...

    def recognize_block(self, image: np.ndarray, **settings: Any) -> list[list[Word]]: ...

    def info(self) -> dict[str, str]: ...


def find_tessdata(lang: str = "rus", *, environ: Mapping[str, str] = os.environ) -> Path:
    """The tessdata folder holding every model in ``lang`` (``rus``, ``rus+eng``).

    ``TESSDATA_PREFIX`` first (the folder itself or its parent), then the
    Debian locations of Tesseract 5 and 4.
    """
    tried: list[Path] = []
    prefix = environ.get("TESSDATA_PREFIX")
    if prefix:
        tried += [Path(prefix), Path(prefix) / "tessdata"]
    tried += [Path(p) for p in TESSDATA_CANDIDATES]
    for folder in tried:
        if all((folder / f"{name}.traineddata").is_file() for name in lang.split("+")):
            return folder
    raise EngineError(
        f"Tesseract model '{lang}' not found (looked in {', '.join(map(str, tried))}); "
        f"{SETUP_HINT}, or set TESSDATA_PREFIX to the folder holding {lang}.traineddata")


def _as_engine_image(image: np.ndarray) -> np.ndarray:
    """A C-contiguous uint8 gray or RGB array; bool masks (True = ink) become black on white."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected an ndarray, got {type(image).__name__}")
    if image.dtype == bool:
        image = np.where(image, 0, 255).astype(np.uint8)
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 or bool image, got {image.dtype}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3) or min(image.shape[:2]) == 0:
        raise ValueError(f"expected a non-empty (h, w) or (h, w, 3) image, got shape {image.shape}")
    return np.ascontiguousarray(image)


def _word(text: str, box: tuple[int, int, int, int], conf: float, size: tuple[int, int]) -> Word | None:
    text = unicodedata.normalize("NFC", text or "").strip()
    if not text:
        return None
    x0, y0, x1, y1 = (int(v) for v in box)
    return Word(text, Box(x0, y0, max(x1, x0), max(y1, y0)).clip(*size),
                float(min(max(conf, 0.0), 100.0)) / 100.0)


class _Tesserocr:
    """Tesseract in-process via tesserocr; one initialised API kept for the life of the engine."""

    name = "tesserocr"

    def __init__(self, tessdata: Path, lang: str) -> None:
        import tesserocr

        self._tesserocr = tesserocr
        try:
            self._api = tesserocr.PyTessBaseAPI(path=str(tessdata), lang=lang,
                                                psm=tesserocr.PSM.SINGLE_LINE,
                                                oem=tesserocr.OEM.LSTM_ONLY)
        except RuntimeError as exc:
            raise EngineError(f"Tesseract could not load '{lang}' from {tessdata} ({exc}); "
                              f"{SETUP_HINT}") from exc

    def version(self) -> str:
        return _version_number(self._tesserocr.tesseract_version())

    def lines(self, image: np.ndarray, *, psm: int, dpi: int, variables: Mapping[str, str],
              timeout: float | None) -> list[list[Word]]:
        previous = {key: self._api.GetVariableAsString(key) for key in variables}
        try:
            for key, value in variables.items():
                if not self._api.SetVariable(key, value):
                    raise EngineError(f"Tesseract does not know the setting {key!r}")
            return self._recognize(image, psm=psm, dpi=dpi, timeout=timeout)
        finally:  # settings hold for this call only, as with pytesseract
            for key, value in previous.items():
                if value is not None:
                    self._api.SetVariable(key, value)

    def _recognize(self, image: np.ndarray, *, psm: int, dpi: int,
                   timeout: float | None) -> list[list[Word]]:
        tr, api = self._tesserocr, self._api
        api.SetPageSegMode(psm)
        h, w = image.shape[:2]
        channels = 1 if image.ndim == 2 else 3
        api.SetImageBytes(image.tobytes(), w, h, channels, w * channels)
        api.SetSourceResolution(int(dpi))
        if not api.Recognize(int((timeout or 0) * 1000)):
            raise EngineError(f"Tesseract gave up on a {w}x{h} image (timeout {timeout} s or failure)")
        lines: list[list[Word]] = []
        iterator = api.GetIterator()
        if iterator is None:
            return lines
        level = tr.RIL.WORD
        for item in tr.iterate_level(iterator, level):
            starts_line = item.IsAtBeginningOf(tr.RIL.TEXTLINE)
            box = item.BoundingBox(level)
            if box is None:
                continue
            word = _word(item.GetUTF8Text(level), box, item.Confidence(level), (w, h))
            if word is None:
                continue
            if starts_line or not lines:
                lines.append([])
            lines[-1].append(word)
        return lines

    def close(self) -> None:
        self._api.End()


class _Pytesseract:
    """Tesseract as a subprocess via pytesseract (``image_to_data``), when tesserocr is absent."""

    name = "pytesseract"

    def __init__(self, tessdata: Path, lang: str) -> None:
        try:
            import pytesseract
        except ImportError as exc:
            raise EngineError(f"neither tesserocr nor pytesseract can be imported; {SETUP_HINT}") from exc
        self._pt = pytesseract
        self._tessdata, self._lang = tessdata, lang
        try:
            self._version = str(pytesseract.get_tesseract_version())
        except pytesseract.TesseractNotFoundError as exc:
            raise EngineError(f"the tesseract command is not installed or not on PATH; {SETUP_HINT}") from exc

    def version(self) -> str:
        return _version_number(self._version)

    def lines(self, image: np.ndarray, *, psm: int, dpi: int, variables: Mapping[str, str],
              timeout: float | None) -> list[list[Word]]:
        from PIL import Image

        pt = self._pt
        settings = " ".join(f"-c {k}={v}" for k, v in variables.items())
        config = f'--oem 1 --psm {psm} --dpi {int(dpi)} --tessdata-dir "{self._tessdata}" {settings}'
        try:
            data = pt.image_to_data(Image.fromarray(image), lang=self._lang, config=config,
                                    output_type=pt.Output.DICT, timeout=timeout or 0)
        except (pt.TesseractError, RuntimeError) as exc:
            raise EngineError(f"tesseract failed on a {image.shape[1]}x{image.shape[0]} image: {exc}") from exc
        size = (image.shape[1], image.shape[0])
        grouped: dict[tuple[int, int, int], list[Word]] = {}
        for i, text in enumerate(data["text"]):
            if int(data["level"][i]) != 5:  # 5 = word
                continue
            left, top = int(data["left"][i]), int(data["top"][i])
            box = (left, top, left + int(data["width"][i]), top + int(data["height"][i]))
            word = _word(text, box, float(data["conf"][i]), size)
            if word is not None:
                key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
                grouped.setdefault(key, []).append(word)
        return list(grouped.values())

    def close(self) -> None:
        pass


def _version_number(text: str) -> str:
    found = re.search(r"\d+\.\d+(?:\.\d+)?", text)
    return found.group(0) if found else text.strip()


class TesseractEngine:
    """Tesseract with an LSTM model, created once per worker process.

    ``backend`` forces 'tesserocr' or 'pytesseract'; by default tesserocr
    when it imports. ``timeout`` bounds each recognition call (seconds).
    Raises :class:`~ocr.errors.EngineError` when Tesseract or the model is
    missing.
    """

    def __init__(self, *, lang: str = DEFAULT_LANG, tessdata: str | Path | None = None,
                 backend: str | None = None, timeout: float | None = None) -> None:
        if backend not in (None, *BACKENDS):
            raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
        _one_thread()
        self.lang = lang
        self.tessdata = Path(tessdata) if tessdata else find_tessdata(lang)
        self.timeout = timeout
        if backend is None:
            try:
                import tesserocr  # noqa: F401
                backend = "tesserocr"
            except ImportError:
                backend = "pytesseract"
        self._backend = (_Tesserocr if backend == "tesserocr" else _Pytesseract)(self.tessdata, lang)

    @property
    def backend(self) -> str:
        return self._backend.name

    def recognize_line(self, image: np.ndarray, *, psm: int = PSM_SINGLE_LINE, dpi: int = 300,
                       preserve_interword_spaces: bool = True,
                       variables: Mapping[str, str] | None = None) -> list[Word]:
        """The words of one text line, left to right, boxes in ``image`` pixels."""
        lines = self.recognize_block(image, psm=psm, dpi=dpi,
                                     preserve_interword_spaces=preserve_interword_spaces,
                                     variables=variables)
        return [word for line in lines for word in line]

    def recognize_block(self, image: np.ndarray, *, psm: int = PSM_SINGLE_BLOCK, dpi: int = 300,
                        preserve_interword_spaces: bool = True,
                        variables: Mapping[str, str] | None = None) -> list[list[Word]]:
        """The lines of a text block, top to bottom, each a list of words.

        ``dpi`` is the crop's resolution (Tesseract's ``user_defined_dpi``);
        ``variables`` are further Tesseract settings by name.
        """
        image = _as_engine_image(image)
        if int(image.max()) - int(image.min()) < MIN_CONTRAST:
            return []  # nothing drawn; Tesseract would invent a letter or two
        settings = {"preserve_interword_spaces": "1" if preserve_interword_spaces else "0",
                    **dict(variables or {})}
        return self._backend.lines(image, psm=int(psm), dpi=dpi, variables=settings,
                                   timeout=self.timeout)

    def version(self) -> str:
        """Tesseract's version number, e.g. '5.5.4'."""
        return self._backend.version()

    def info(self) -> dict[str, str]:
        """Provenance for the page JSON's ``engine`` key."""
        return {"tesseract": self.version(), "model": self.lang, "tessdata": str(self.tessdata),
                "backend": self.backend}

    def close(self) -> None:
        self._backend.close()

    def __enter__(self) -> TesseractEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_available(lang: str = DEFAULT_LANG) -> None:
    """Raise :class:`~ocr.errors.EngineError` now, before a batch starts, if Tesseract cannot run."""
    _one_thread()
    find_tessdata(lang)
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        _Pytesseract(find_tessdata(lang), lang)
