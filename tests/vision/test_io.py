"""Frames and masks read and written as arrays: RGB order, exact pixels (PNG), the 127 threshold of masks."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.io import decode_mask, decode_rgb, encode_mask, encode_rgb, read_mask, read_rgb, write_mask, write_rgb


def _frame() -> np.ndarray:
    image = np.zeros((4, 6, 3), np.uint8)
    image[0, 0] = (255, 0, 0)  # red, in RGB
    image[1, 2] = (0, 200, 30)
    image[3, 5] = (7, 8, 9)
    return image


def test_a_png_frame_round_trips_exactly_in_rgb_order(tmp_path: Path):
    path = tmp_path / "frame.png"
    write_rgb(path, _frame())
    on_disk = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert tuple(on_disk[0, 0]) == (0, 0, 255)  # OpenCV's file is BGR …
    image = read_rgb(path)
    assert image.dtype == np.uint8 and image.shape == (4, 6, 3)
    np.testing.assert_array_equal(image, _frame())  # … what we read is RGB again
    np.testing.assert_array_equal(decode_rgb(path.read_bytes()), _frame())
    np.testing.assert_array_equal(decode_rgb(encode_rgb(_frame())), _frame())


def test_read_rgb_resizes_to_width_and_height(tmp_path: Path):
    path = tmp_path / "flat.png"
    write_rgb(path, np.full((4, 6, 3), (10, 20, 30), np.uint8))
    image = read_rgb(path, size=(3, 2))
    assert image.shape == (2, 3, 3)
    assert (image == (10, 20, 30)).all()


def test_a_jpeg_frame_is_encoded_at_the_quality_asked(tmp_path: Path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    low, high = encode_rgb(image, ".jpg", quality=10), encode_rgb(image, ".jpg", quality=95)
    assert low[:2] == high[:2] == b"\xff\xd8"
    assert len(low) < len(high)


def test_unreadable_frames_are_refused(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        read_rgb(tmp_path / "missing.png")
    (tmp_path / "text.png").write_bytes(b"not an image")
    with pytest.raises(FileNotFoundError):
        read_rgb(tmp_path / "text.png")
    with pytest.raises(ValueError):
        decode_rgb(b"not an image")


def test_a_mask_is_written_as_0_and_255_and_read_back_as_bool(tmp_path: Path):
    mask = np.zeros((3, 5), bool)
    mask[1, 1:4] = True
    path = tmp_path / "deep" / "folder" / "mask.png"
    write_mask(path, mask)
    assert not path.with_suffix(".tmp").exists()
    on_disk = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert on_disk.dtype == np.uint8 and on_disk.shape == (3, 5)
    assert set(np.unique(on_disk)) == {0, 255}
    back = read_mask(path)
    assert back.dtype == bool
    np.testing.assert_array_equal(back, mask)
    np.testing.assert_array_equal(decode_mask(encode_mask(mask)), mask)


def test_a_mask_image_is_true_above_127(tmp_path: Path):
    grey = np.array([[0, 127, 128, 255]], np.uint8)
    path = tmp_path / "grey.png"
    cv2.imwrite(str(path), grey)
    np.testing.assert_array_equal(read_mask(path), [[False, False, True, True]])
    with pytest.raises(FileNotFoundError):
        read_mask(tmp_path / "missing.png")
    with pytest.raises(ValueError):
        decode_mask(b"\x89PNG but cut short")
