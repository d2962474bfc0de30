"""The benchmark dataset layout (BENCHMARKS.md) read back: sequences in the listed order, or one per image."""

import json
from pathlib import Path

import numpy as np

from vision.benchmark_dataset import load_dataset
from vision.io import write_mask, write_rgb


def _write(root: Path, names: list[str]) -> None:
    (root / "frames").mkdir(parents=True)
    (root / "masks").mkdir()
    for number, name in enumerate(names):
        write_rgb(root / "frames" / name, np.full((4, 6, 3), (number, 2 * number, 3), np.uint8))
        mask = np.zeros((4, 6), bool)
        mask[0, number] = True
        write_mask(root / "masks" / name, mask)


def test_sequences_come_in_the_order_of_sequences_json(tmp_path: Path):
    _write(tmp_path, ["b.png", "a.png", "c.png"])
    (tmp_path / "sequences.json").write_text(json.dumps([{"id": "two", "frames": ["b.png", "a.png"]},
                                                          {"id": 1, "frames": ["c.png"]}]))
    sequences = load_dataset(tmp_path)
    assert [(s.id, s.frame_names) for s in sequences] == [("two", ("b.png", "a.png")), ("1", ("c.png",))]
    first = sequences[0]
    assert first.image("a.png").tolist()[0][0] == [1, 2, 3]  # RGB, as written
    truth = first.ground_truth("a.png")
    assert truth.dtype == bool and truth.sum() == 1 and truth[0, 1]


def test_a_folder_without_sequences_json_is_one_sequence_per_image_in_natural_order(tmp_path: Path):
    _write(tmp_path, ["frame10.png", "frame2.png", ".hidden.png"])
    assert [(s.id, s.frame_names) for s in load_dataset(tmp_path)] == [
        ("frame2", ("frame2.png",)), ("frame10", ("frame10.png",)),
    ]
