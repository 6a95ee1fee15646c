"""The NumPy handwriting recogniser: its layers against plain loops, CTC
decoding, the line normalisation, and the bundled model on hands it was not
trained on."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from ocr.handread import (HEIGHT, PAD_X, _conv3x3, _lstm, _maxpool, ctc_log_likelihoods, decode, hand_model,
                          lexicon_words, line_image, text_of)


def test_convolution_is_a_same_padded_3x3_correlation_with_relu() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 6)).astype(np.float32)
    w = rng.normal(size=(3, 2, 3, 3)).astype(np.float32)
    b = rng.normal(size=3).astype(np.float32)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    want = np.zeros((3, 5, 6), np.float32)
    for o in range(3):
        for i in range(5):
            for j in range(6):
                want[o, i, j] = max(float((padded[:, i:i + 3, j:j + 3] * w[o]).sum() + b[o]), 0.0)
    assert np.allclose(_conv3x3(x, w, b), want, atol=1e-5)


def test_max_pooling_takes_the_largest_of_each_window() -> None:
    x = np.arange(2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6)
    x[0, 0, 0] = 100
    out = _maxpool(x, 2, 3)
    assert out.shape == (2, 2, 2)
    assert out[0, 0, 0] == 100 and out[1, 1, 1] == x[1, 3, 5]


def test_lstm_step_follows_the_gate_equations() -> None:
    rng = np.random.default_rng(1)
    hidden, features = 3, 2
    w_ih = rng.normal(size=(4 * hidden, features)).astype(np.float32)
    w_hh = rng.normal(size=(4 * hidden, hidden)).astype(np.float32)
    b = rng.normal(size=4 * hidden).astype(np.float32)
    seq = rng.normal(size=(4, features)).astype(np.float32)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h, c = np.zeros(hidden), np.zeros(hidden)
    for x in seq:
        g = w_ih @ x + w_hh @ h + b
        i, f, cell, o = sig(g[:3]), sig(g[3:6]), np.tanh(g[6:9]), sig(g[9:])
        c = f * c + i * cell
        h = o * np.tanh(c)
    assert np.allclose(_lstm(seq, w_ih, w_hh, b)[-1], h, atol=1e-5)


def _steps(classes: list[int], size: int) -> np.ndarray:
    probs = np.full((len(classes), size), 0.01, np.float32)
    for t, k in enumerate(classes):
        probs[t, k] = 0.9
    return probs


def test_ctc_decoding_merges_repeats_keeps_blank_separated_doubles_and_splits_words() -> None:
    alphabet = "ал н"  # classes 1..4; 0 is the blank
    # а а _ л _ л ' ' н н  ->  "алл н"
    words = decode(_steps([1, 1, 0, 2, 0, 2, 3, 4, 4], 5), alphabet)
    assert text_of(words) == "алл н"
    assert [(w[1], w[2]) for w in words] == [(0, 5), (7, 7)]
    assert all(0.85 < w[3] < 0.95 for w in words)


def _collapse(path: tuple[int, ...]) -> list[int]:
    out, previous = [], 0
    for k in path:
        if k != previous and k != 0:
            out.append(k)
        previous = k
    return out


@pytest.mark.parametrize("labels", [[1], [1, 2], [1, 1], [2, 1, 2]])
def test_ctc_likelihood_sums_every_alignment(labels: list[int]) -> None:
    """Against the sum over all 3^6 paths that collapse to the labels."""
    probs = np.random.default_rng(len(labels)).dirichlet(np.ones(3), size=6)
    total = sum(np.prod(probs[np.arange(6), path]) for path in itertools.product(range(3), repeat=6)
                if _collapse(path) == labels)
    assert ctc_log_likelihoods(np.log(probs), [labels])[0] == pytest.approx(np.log(total))


def test_ctc_likelihoods_of_sequences_of_any_length_at_once() -> None:
    """The batch pads short sequences with blanks; each must still get the
    sum over its own paths, as counted one sequence at a time."""
    probs = np.random.default_rng(7).dirichlet(np.ones(3), size=6)
    seqs = [[2, 1, 2], [1], [], [1, 1]]

    def alone(labels: list[int]) -> float:
        return float(np.log(sum(np.prod(probs[np.arange(6), path])
                                for path in itertools.product(range(3), repeat=6) if _collapse(path) == labels)))

    assert ctc_log_likelihoods(np.log(probs), seqs) == pytest.approx([alone(s) for s in seqs])


def _spelled(text: str, alphabet: str, doubts: dict[int, tuple[str, float]] | None = None) -> np.ndarray:
    """Steps spelling ``text`` a letter and a blank at a time, each letter at
    0.9 unless ``doubts`` gives another letter that step's probability."""
    probs = np.full((2 * len(text) + 1, len(alphabet) + 1), 1e-4)
    probs[0::2, 0] = 0.9
    for i, ch in enumerate(text):
        other, p = (doubts or {}).get(i, (ch, 0.0))
        probs[2 * i + 1, alphabet.index(ch) + 1] = 0.9 - p
        probs[2 * i + 1, alphabet.index(other) + 1] += p
    return probs / probs.sum(axis=1, keepdims=True)


def test_lexicon_words_take_the_common_word_the_letters_support() -> None:
    alphabet = "адвкорМВ1"
    probs = _spelled("кадрав", alphabet, {4: ("о", 0.35)})
    assert text_of(decode(probs, alphabet)) == "кадрав"
    assert text_of(lexicon_words(probs, decode(probs, alphabet), alphabet)) == "кадров"


def test_lexicon_words_join_a_word_read_with_a_doubtful_space() -> None:
    alphabet = "советник "
    probs = _spelled("совет ник", alphabet)
    space = 2 * 5 + 1
    probs[space, 0], probs[space, alphabet.index(" ") + 1] = 0.45, 0.55  # a wide gap between two letters
    assert text_of(decode(probs, alphabet)) == "совет ник"
    assert text_of(lexicon_words(probs, decode(probs, alphabet), alphabet)) == "советник"


def test_lexicon_words_keep_two_words_a_clear_space_parts() -> None:
    alphabet = "непоздн "
    probs = _spelled("не позднее", alphabet)
    assert text_of(lexicon_words(probs, decode(probs, alphabet), alphabet)) == "не позднее"


@pytest.mark.parametrize("read", ["МВД", "1в"])
def test_lexicon_words_leave_abbreviations_and_figures(read: str) -> None:
    alphabet = "адвкорМВД1"
    probs = _spelled(read, alphabet)
    assert text_of(lexicon_words(probs, decode(probs, alphabet), alphabet)) == read


def test_line_image_crops_to_the_ink_and_maps_columns_back() -> None:
    crop = np.full((60, 200), 255, np.uint8)
    crop[20:44, 50:170] = 0
    line = line_image(crop)
    assert line.pixels.shape[0] == HEIGHT
    assert (line.x0, line.y0, line.y1) == (50, 20, 44)
    assert line.crop_x(PAD_X) == pytest.approx(50)
    assert line.crop_x(line.pixels.shape[1] - PAD_X) == pytest.approx(170, abs=1)
    assert line.pixels.max() == pytest.approx(1.0)


def test_line_image_stretches_faint_pencil_to_full_ink() -> None:
    crop = np.full((60, 200), 252, np.uint8)
    crop[20:44, 50:170] = 215  # fainter everywhere than MIN_INK
    line = line_image(crop)
    assert (line.x0, line.y0, line.y1) == (50, 20, 44)
    assert line.pixels.max() == pytest.approx(1.0)


def test_line_image_of_a_blank_crop_is_blank() -> None:
    assert not line_image(np.full((30, 40), 255, np.uint8)).pixels.any()


@pytest.mark.parametrize("family", ["neucha", "bad-script"])
def test_bundled_model_reads_hands_it_was_not_trained_on(family: str) -> None:
    """A print-like and a cursive family of the corpus, neither among the
    training families: a quarter of the letters wrong at most (Tesseract's
    print model gets about a quarter wrong on the corpus's insertions)."""
    from ocr.synth.fonts import TRAIN_HAND_FAMILIES
    from ocr.synth.handwriting import Hand, write
    assert family not in TRAIN_HAND_FAMILIES
    model = hand_model()
    assert model is not None, "ocr/data/hand_crnn.npz is missing"
    texts = ["необходимо дополнить", "кадров и мер", "ускорили рассмотрение", "через отдел"]
    errors = 0
    for k, text in enumerate(texts):
        written = write(text, Hand(family, 44, 0.15, "blue", 2.0), np.random.default_rng(k))
        crop = (255 * (1 - 0.85 * written.alpha)).astype(np.uint8)
        words = model.read(crop)
        errors += Levenshtein.distance(" ".join(w.text for w in words), text)
        assert all(0 <= w.x0 < w.x1 <= crop.shape[1] for w in words)
        assert [w.x0 for w in words] == sorted(w.x0 for w in words)
    assert errors / sum(len(t) for t in texts) <= 0.25
