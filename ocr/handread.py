"""A handwriting line recogniser of our own: a small CRNN run in NumPy.

Tesseract's models are trained on print; on the editors' hands they read
about a quarter of the letters wrong. This is a convolutional network over
the line image, height normalised to :data:`HEIGHT`, then a bidirectional
LSTM over its columns and a per-column letter distribution decoded greedily
(CTC: repeats merged, blanks dropped).

The weights (``ocr/data/hand_crnn.npz``) are trained by ``scripts/train_hand``
on lines written in handwriting fonts that the synthetic corpus does not use
(see :data:`ocr.synth.fonts.TRAIN_HAND_FAMILIES`), so the corpus measures how
the model reads hands it has never seen. Batch norm is folded into the
convolutions at export, so inference is convolutions, ReLU, max pooling, an
LSTM and a softmax, written here in NumPy: torch is needed only to train.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ocr.lexicon import near_words, russian_zipf

HEIGHT = 32          # line image height the network reads
PAD_X = 4            # blank columns either side, room for the first and last letter
MIN_INK = 0.2        # ink level that counts when cropping the line to its ink
FAINT_MIN_INK = 0.1  # and the least it is lowered to for faint pencil
MODEL_PATH = Path(__file__).resolve().parent / "data" / "hand_crnn.npz"


@dataclass(frozen=True)
class LineImage:
    """A crop as the network reads it, and where it came from: the crop's
    ink box starts at (``x0``, ``y0``) and was scaled by ``scale``."""

    pixels: np.ndarray     # float32 (HEIGHT, W), ink 0..1
    x0: int
    y0: int
    y1: int
    scale: float

    def crop_x(self, column: float) -> float:
        """The crop's x of a column of :attr:`pixels`."""
        return self.x0 + (column - PAD_X) / self.scale


def line_image(crop: np.ndarray) -> LineImage:
    """A gray crop (ink dark on 255) as the network's input: ink 0..1, float32,
    cropped to the ink, :data:`HEIGHT` rows, width in proportion, the ink's
    contrast stretched so that pencil reads as pen."""
    if crop.ndim != 2:
        raise ValueError(f"expected a 2-D gray crop, got shape {crop.shape}")
    ink = 1.0 - crop.astype(np.float32) / 255.0
    # Faint pencil may nowhere reach MIN_INK: then a quarter of its darkest counts.
    level = min(MIN_INK, max(0.25 * float(np.percentile(ink, 99.5)), FAINT_MIN_INK)) if ink.size else MIN_INK
    rows = np.flatnonzero(ink.max(axis=1) > level)
    cols = np.flatnonzero(ink.max(axis=0) > level)
    if not len(rows):
        return LineImage(np.zeros((HEIGHT, HEIGHT), np.float32), 0, 0, crop.shape[0], 1.0)
    ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    inner = HEIGHT - 4
    scale = inner / ink.shape[0]
    width = max(int(round(ink.shape[1] * scale)), 1)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    ink = cv2.resize(ink, (width, inner), interpolation=interpolation)
    strong = ink[ink > level]
    if len(strong):
        ink = ink / max(float(np.percentile(strong, 90)), 1.5 * level)
    out = np.zeros((HEIGHT, width + 2 * PAD_X), np.float32)
    out[2:2 + inner, PAD_X:PAD_X + width] = np.clip(ink, 0.0, 1.0)
    return LineImage(out, int(cols[0]), int(rows[0]), int(rows[-1]) + 1, scale)


def normalize(crop: np.ndarray) -> np.ndarray:
    """Just the pixels of :func:`line_image`: what training writes."""
    return line_image(crop).pixels


def _conv3x3(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """'Same' 3×3 convolution of (C, H, W) with (O, C, 3, 3), bias, ReLU."""
    c, h, wd = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # C,H,W,3,3
    cols = windows.transpose(1, 2, 0, 3, 4).reshape(h * wd, c * 9)
    out = cols @ w.reshape(w.shape[0], -1).T + b
    return np.maximum(out, 0.0).T.reshape(w.shape[0], h, wd)


def _maxpool(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    c, h, w = x.shape
    h, w = h // ph, w // pw
    return x[:, :h * ph, :w * pw].reshape(c, h, ph, w, pw).max(axis=(2, 4))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def _lstm(seq: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One direction of an LSTM (torch's gate order i, f, g, o) over (T, F)."""
    hidden = w_hh.shape[1]
    gates_in = seq @ w_ih.T + b
    h = np.zeros(hidden, np.float32)
    c = np.zeros(hidden, np.float32)
    out = np.empty((len(seq), hidden), np.float32)
    for t, g_in in enumerate(gates_in):
        g = g_in + w_hh @ h
        i, f, cell, o = _sigmoid(g[:hidden]), _sigmoid(g[hidden:2 * hidden]), \
            np.tanh(g[2 * hidden:3 * hidden]), _sigmoid(g[3 * hidden:])
        c = f * c + i * cell
        h = o * np.tanh(c)
        out[t] = h
    return out


@dataclass(frozen=True)
class HandWord:
    text: str
    x0: int                # in the crop
    y0: int
    x1: int
    y1: int
    conf: float            # mean probability of its letters, 0..1


class HandModel:
    """The exported network: convolution stack, BiLSTM, per-column classes."""

    def __init__(self, weights: dict[str, np.ndarray], *, name: str = "crnn") -> None:
        self.name = name
        weights = {k: v.astype(np.float32) if v.dtype == np.float16 else v for k, v in weights.items()}
        self.alphabet = str(weights["alphabet"])  # class 0 is the CTC blank
        self.pools = [tuple(int(v) for v in p) for p in weights["pools"]]
        self.convs = [(weights[f"conv{i}.w"], weights[f"conv{i}.b"]) for i in range(len(self.pools))]
        self.lstm = {d: (weights[f"lstm.{d}.w_ih"], weights[f"lstm.{d}.w_hh"], weights[f"lstm.{d}.b"])
                     for d in ("fwd", "bwd")}
        self.fc = (weights["fc.w"], weights["fc.b"])

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "HandModel":
        with np.load(path, allow_pickle=False) as data:
            return cls({k: data[k] for k in data.files}, name=f"crnn {path.name}")

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """(T, classes) letter distribution per column step of a normalised line."""
        x = image[None].astype(np.float32)
        for (w, b), (ph, pw) in zip(self.convs, self.pools):
            x = _conv3x3(x, w, b)
            if ph > 1 or pw > 1:
                x = _maxpool(x, ph, pw)
        seq = x.transpose(2, 0, 1).reshape(x.shape[2], -1)  # T, C*H
        fwd = _lstm(seq, *self.lstm["fwd"])
        bwd = _lstm(seq[::-1], *self.lstm["bwd"])[::-1]
        logits = np.concatenate([fwd, bwd], axis=1) @ self.fc[0].T + self.fc[1]
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def read(self, crop: np.ndarray, *, lexicon: bool = True) -> list[HandWord]:
        """The words of a gray line crop (ink dark on white), boxes in the
        crop; with ``lexicon``, words of the word list where the network's
        letters support them (:func:`lexicon_words`)."""
        line = line_image(crop)
        if line.pixels.shape[1] < 8:
            return []
        probs = self.probabilities(line.pixels)
        step = line.pixels.shape[1] / len(probs)  # input columns per output step
        words = decode(probs, self.alphabet)
        if lexicon:
            words = lexicon_words(probs, words, self.alphabet)
        out = []
        for text, first, last, conf in words:
            x0 = int(max(line.crop_x(first * step), 0))
            x1 = int(np.ceil(min(line.crop_x((last + 1) * step), crop.shape[1])))
            out.append(HandWord(text, x0, line.y0, max(x1, x0 + 1), line.y1, conf))
        return out


def decode(probs: np.ndarray, alphabet: str) -> list[tuple[str, int, int, float]]:
    """Greedy CTC decoding into words: the best class per step, repeats merged,
    blanks dropped, split at spaces. Each word comes with its first and last
    step and the mean probability of its letters (0..1)."""
    best = probs.argmax(axis=1)
    words: list[tuple[str, int, int, float]] = []
    letters: list[tuple[str, int, float]] = []

    def close() -> None:
        if letters:
            words.append(("".join(c for c, _, _ in letters), letters[0][1], letters[-1][1],
                          float(np.mean([p for _, _, p in letters]))))
            letters.clear()

    previous = 0
    for t, k in enumerate(best):
        if k != 0 and k != previous:
            char = alphabet[k - 1]
            if char == " ":
                close()
            else:
                letters.append((char, t, float(probs[t, k])))
        previous = k
    close()
    return words


# Read greedily, a word is often a letter or two from the word meant. The
# common words near the reading compete with it, each weighed by how likely
# the network finds it over the word's steps (the CTC likelihood, every
# alignment summed) plus LEXICON_WEIGHT nats per Zipf unit of frequency. On
# the 145 insertion crops of the 88-page set this cut the CER from 16.1%
# (greedy, then the nearest word by shape) to 14.8%; weights 1 to 3 and
# reaches of 0.35 to 0.7 edits a letter measured within 0.2 points of it.
# The frequency counts from ZIPF_ONE, the Zipf value of a word met once in
# a billion: LEXICON_WEIGHT (about ln 10) nats a unit makes it the log
# probability of the word, so that one word and two compete fairly when a
# space read inside a word is weighed against the word without it.
LEXICON_WEIGHT = 2.0
LEXICON_REACH = 0.35  # edits per letter to the farthest word that competes
LEXICON_CANDIDATES = 60
ZIPF_ONE = 9.0
_MARKS = ".,:;-()!?\"'/№"  # around a word's letters, kept as read


def ctc_log_likelihoods(logp: np.ndarray, label_seqs: list[list[int]]) -> np.ndarray:
    """log P(labels | ``logp``) for each of ``label_seqs`` at once, ``logp``
    (T, classes) log probabilities with class 0 the blank: the CTC forward
    pass over blank-separated labels, the sequences padded with blanks after
    their ends (nothing flows back from the padding)."""
    n = len(label_seqs)
    ends = np.array([2 * len(labels) for labels in label_seqs])
    ext = np.zeros((n, int(ends.max()) + 1), dtype=int)
    for i, labels in enumerate(label_seqs):
        ext[i, 1:ends[i]:2] = labels
    alpha = np.full(ext.shape, -np.inf)
    alpha[:, :2] = logp[0][ext[:, :2]]
    # a label may follow the one before the blank between them, unless the two are one letter
    skip = (ext[:, 2:] != 0) & (ext[:, 2:] != ext[:, :-2])
    for t in range(1, len(logp)):
        came = alpha.copy()
        came[:, 1:] = np.logaddexp(came[:, 1:], alpha[:, :-1])
        came[:, 2:] = np.where(skip, np.logaddexp(came[:, 2:], alpha[:, :-2]), came[:, 2:])
        alpha = came + logp[t][ext]
    rows = np.arange(n)
    before = np.where(ends > 0, alpha[rows, np.maximum(ends - 1, 0)], -np.inf)
    return np.logaddexp(alpha[rows, ends], before)


class _Lexicon:
    """Common words against a line's letter distribution (see :func:`lexicon_words`)."""

    def __init__(self, probs: np.ndarray, alphabet: str) -> None:
        self.index = {ch: i + 1 for i, ch in enumerate(alphabet)}
        self.logp = np.log(np.clip(probs, 1e-8, 1.0))
        self.best = probs.argmax(axis=1)

    def steps(self, first: int, last: int) -> np.ndarray:
        """The log probabilities of steps ``first..last`` and the blanks either side."""
        while first > 0 and self.best[first - 1] == 0:
            first -= 1
        while last + 1 < len(self.best) and self.best[last + 1] == 0:
            last += 1
        return self.logp[first:last + 1]

    def weighed(self, steps: np.ndarray, words: list[str]) -> float:
        """The likelihood of ``words`` (spaced) over ``steps`` and their frequency."""
        return float(self.weighed_each(steps, [words])[0])

    def weighed_each(self, steps: np.ndarray, readings: list[list[str]]) -> np.ndarray:
        """:meth:`weighed` of each reading (a list of words), in one pass."""
        labels = [[self.index[ch] for ch in " ".join(words)] for words in readings]
        prior = np.array([sum(LEXICON_WEIGHT * (russian_zipf(w) - ZIPF_ONE) for w in words) for words in readings])
        return ctc_log_likelihoods(steps, labels) + prior

    def listed(self, core: str) -> bool:
        """Whether ``core`` is a word that the lexicon may replace: letters, not
        an abbreviation in capitals, all in the alphabet."""
        return len(core) >= 2 and core.isalpha() and not core.isupper() and all(ch in self.index for ch in core)

    def best_word(self, steps: np.ndarray, read: str) -> tuple[float, str] | None:
        """The best weighed common word near ``read``, in its capitalisation."""
        capital = read[0].isupper()
        candidates = [w[0].upper() + w[1:] if capital else w
                      for w in near_words(read.lower(), max_edits=max(1, int(LEXICON_REACH * len(read))),
                                          limit=LEXICON_CANDIDATES)
                      if all(ch in self.index for ch in w)]
        if not candidates:
            return None
        scores = self.weighed_each(steps, [[w] for w in candidates])
        best = int(np.argmax(scores))
        return float(scores[best]), candidates[best]


def lexicon_words(probs: np.ndarray, words: list[tuple[str, int, int, float]], alphabet: str
                  ) -> list[tuple[str, int, int, float]]:
    """``words`` (from :func:`decode`) with each word of letters replaced by
    the common word that the network's distribution, weighed with the word's
    frequency, supports better than the reading (see :data:`LEXICON_WEIGHT`).
    Then two neighbours become one common word where that is weighed better
    than the pair (a space read inside a word: ``т ретий`` → ``третий``).
    Abbreviations in capitals and words with figures stay as read."""
    lex = _Lexicon(probs, alphabet)
    out = []
    for text, first, last, conf in words:
        start = len(text) - len(text.lstrip(_MARKS))
        core = text[start:len(text.rstrip(_MARKS))]
        if lex.listed(core):
            steps = lex.steps(first, last)
            scored = lex.best_word(steps, core)
            if scored is not None and scored[0] > lex.weighed(steps, [core]):
                text = text[:start] + scored[1] + text[start + len(core):]
        out.append((text, first, last, conf))
    i = 0
    while i + 1 < len(out):
        (a, first, _, conf_a), (b, _, last, conf_b) = out[i], out[i + 1]
        if b.islower() and lex.listed(a + b) and " " in lex.index:  # listed: both of letters alone
            steps = lex.steps(first, last)
            scored = lex.best_word(steps, a + b)
            if scored is not None and scored[0] > lex.weighed(steps, [a, b]):
                out[i:i + 2] = [(scored[1], first, last, (conf_a + conf_b) / 2)]
                continue
        i += 1
    return out


def text_of(words: list[tuple[str, int, int, float]]) -> str:
    return " ".join(w[0] for w in words)


@lru_cache(maxsize=1)
def hand_model() -> HandModel | None:
    """The bundled model, loaded once per process; None when it is not there."""
    return HandModel.load() if MODEL_PATH.is_file() else None
