"""Decoding scans: every mode, EXIF orientation, multi-page TIFF, DPI, bad files, input walking."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocr.errors import NotAnImageError, UsageError
from ocr.imageio import count_pages, iter_pages, list_inputs, load_page


def _gradient_rgb(h: int = 12, w: int = 20) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 10, y * 20, np.full_like(x, 200)], axis=-1).astype(np.uint8)


def _one(path: Path):
    pages = list(iter_pages(path))
    assert len(pages) == 1
    return pages[0]


@pytest.mark.parametrize("fmt,suffix", [("PNG", ".png"), ("TIFF", ".tif")])
def test_rgb_lossless_round_trip_with_dpi(tmp_path: Path, fmt: str, suffix: str) -> None:
    rgb = _gradient_rgb()
    path = tmp_path / f"page{suffix}"
    Image.fromarray(rgb).save(path, fmt, dpi=(300, 300))
    page = _one(path)
    assert page.image.dtype == np.uint8 and page.image.shape == (12, 20, 3)
    np.testing.assert_array_equal(page.image, rgb)
    assert page.dpi == 300 and page.index == 0 and page.path == path


def test_gray_stays_gray(tmp_path: Path) -> None:
    gray = np.arange(240, dtype=np.uint8).reshape(12, 20)
    Image.fromarray(gray).save(tmp_path / "g.png")
    page = _one(tmp_path / "g.png")
    assert page.image.shape == (12, 20)
    np.testing.assert_array_equal(page.image, gray)


def test_sixteen_bit_gray_scaled_to_eight(tmp_path: Path) -> None:
    wide = np.array([[0, 257, 65535, 32896]], dtype=np.uint16)
    Image.fromarray(wide).save(tmp_path / "w.png")
    Image.fromarray(wide).save(tmp_path / "w.tif")
    for name in ("w.png", "w.tif"):
        np.testing.assert_array_equal(_one(tmp_path / name).image, [[0, 1, 255, 128]])


def test_one_bit_becomes_0_and_255(tmp_path: Path) -> None:
    bits = np.zeros((8, 16), dtype=bool)
    bits[2:4, 3:9] = True
    Image.fromarray(bits).convert("1").save(tmp_path / "b.tif", compression="group4", dpi=(400, 400))
    page = _one(tmp_path / "b.tif")
    assert page.image.dtype == np.uint8 and set(np.unique(page.image)) == {0, 255}
    np.testing.assert_array_equal(page.image == 255, bits)
    assert page.dpi == 400


def test_rgba_is_composited_on_white(tmp_path: Path) -> None:
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = (0, 0, 0, 255)      # opaque black
    rgba[0, 1] = (0, 0, 0, 0)        # fully transparent -> white
    rgba[1, 0] = (0, 0, 255, 128)    # half blue
    rgba[1, 1] = (200, 10, 10, 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    img = _one(tmp_path / "a.png").image
    assert img.shape == (2, 2, 3)
    assert tuple(img[0, 0]) == (0, 0, 0)
    assert tuple(img[0, 1]) == (255, 255, 255)
    assert tuple(img[1, 0]) == (127, 127, 255)
    assert tuple(img[1, 1]) == (200, 10, 10)


def test_palette_and_cmyk_become_rgb(tmp_path: Path) -> None:
    rgb = _gradient_rgb()
    Image.fromarray(rgb).quantize(colors=256).save(tmp_path / "p.png")
    pal = _one(tmp_path / "p.png").image
    assert pal.shape == (12, 20, 3) and np.abs(pal.astype(int) - rgb).max() <= 12

    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "c.tif")
    cmyk = _one(tmp_path / "c.tif").image
    assert cmyk.shape == (12, 20, 3) and np.abs(cmyk.astype(int) - rgb).max() <= 2


def test_jpeg_jfif_dpi_and_missing_dpi(tmp_path: Path) -> None:
    rgb = _gradient_rgb(32, 48)
    Image.fromarray(rgb).save(tmp_path / "with.jpg", quality=95, dpi=(200, 200))
    Image.fromarray(rgb).save(tmp_path / "without.jpg", quality=95)
    Image.fromarray(rgb).save(tmp_path / "default72.jpg", quality=95, dpi=(72, 72))
    assert _one(tmp_path / "with.jpg").dpi == 200
    assert _one(tmp_path / "without.jpg").dpi is None
    assert _one(tmp_path / "default72.jpg").dpi is None  # a software default, not a scan setting
    Image.fromarray(rgb).save(tmp_path / "nodpi.png")
    assert _one(tmp_path / "nodpi.png").dpi is None


def test_tiff_resolution_in_centimetres(tmp_path: Path) -> None:
    Image.fromarray(_gradient_rgb()).save(
        tmp_path / "cm.tif", tiffinfo={282: 118.11, 283: 118.11, 296: 3})
    assert _one(tmp_path / "cm.tif").dpi == 300


@pytest.mark.parametrize("orientation,expected", [
    (1, lambda a: a),
    (3, lambda a: np.rot90(a, 2)),
    (6, lambda a: np.rot90(a, -1)),   # stored rotated: the viewer turns it 90° clockwise
    (8, lambda a: np.rot90(a, 1)),
])
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int, expected) -> None:
    gray = np.zeros((10, 30), dtype=np.uint8)
    gray[0:3, 0:3] = 255  # a marker in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(gray).save(tmp_path / "o.png", exif=exif)
    Image.fromarray(gray).save(tmp_path / "o.jpg", exif=exif, quality=100)
    np.testing.assert_array_equal(_one(tmp_path / "o.png").image, expected(gray))
    jpeg = _one(tmp_path / "o.jpg").image
    assert jpeg.shape == expected(gray).shape
    assert np.abs(jpeg.astype(int) - expected(gray)).max() < 40


def test_multi_page_tiff_yields_each_page(tmp_path: Path) -> None:
    frames = [Image.fromarray(np.full((6, 9), v, dtype=np.uint8)) for v in (10, 120, 250)]
    frames[1] = frames[1].convert("RGB")
    path = tmp_path / "multi.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(300, 300))
    pages = list(iter_pages(path))
    assert [p.index for p in pages] == [0, 1, 2]
    assert [int(p.image.flat[0]) for p in pages] == [10, 120, 250]
    assert pages[1].image.shape == (6, 9, 3)
    assert count_pages(path) == 3
    assert int(load_page(path, 2).image.flat[0]) == 250
    with pytest.raises(NotAnImageError, match="3 page"):
        load_page(path, 3)


def test_not_an_image_says_what_to_do(tmp_path: Path) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("this is not a picture")
    with pytest.raises(NotAnImageError, match="notes.png") as err:
        list(iter_pages(bad))
    assert "convert" in str(err.value)


def test_truncated_image_raises_not_an_image(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(_gradient_rgb(200, 200)).save(good)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(NotAnImageError, match="cut.png"):
        load_page(cut)


def test_list_inputs_walks_folders_sorted_and_filters(tmp_path: Path) -> None:
    (tmp_path / "box" / "sub").mkdir(parents=True)
    (tmp_path / "box" / ".hidden").mkdir()
    for name in ("box/p10.PNG", "box/p2.jpg", "box/sub/a.TIFF", "box/sub/b.jpeg",
                 "box/readme.txt", "box/.hidden/x.png", "box/._p3.jpg", "loose.tif"):
        (tmp_path / name).write_bytes(b"x")
    found = list_inputs([tmp_path / "box", tmp_path / "loose.tif", tmp_path / "box/p2.jpg"])
    rel = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rel == ["box/p2.jpg", "box/p10.PNG", "box/sub/a.TIFF", "box/sub/b.jpeg", "loose.tif"]


def test_list_inputs_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="no images"):
        list_inputs([tmp_path / "empty"])
    with pytest.raises(UsageError, match="no such file"):
        list_inputs([tmp_path / "missing"])


def test_sixteen_bit_rgb_scaled_to_eight(tmp_path: Path) -> None:
    import cv2

    bgr = np.zeros((4, 6, 3), np.uint16)
    bgr[..., 0], bgr[..., 1] = 65535, 32896   # full blue, half green
    for name in ("rgb48.tif", "rgb48.png"):
        assert cv2.imwrite(str(tmp_path / name), bgr)
        assert tuple(_one(tmp_path / name).image[0, 0]) == (0, 128, 255)
