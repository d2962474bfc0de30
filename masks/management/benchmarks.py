"""What the benchmark commands share: reading a dataset folder and choosing the segmenter, with the command's
errors (``CommandError``) for a bad folder or an unusable SAM."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.test import override_settings

from masks.segmenters import SegmenterStatus, active_segmenter
from vision.benchmark_dataset import BenchmarkSequence, load_dataset

SEGMENTER_CHOICES = ("active", "opencv", "sam")
SEGMENTER_HELP = "active: what the application uses now; opencv: the CPU default; sam: SAM as configured."


def read_dataset(path: str) -> list[BenchmarkSequence]:
    """The sequences of a folder in the BENCHMARKS.md layout, or CommandError saying what is wrong with it."""
    try:
        return load_dataset(path)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise CommandError(str(exc)) from exc


@contextmanager
def chosen_segmenter(choice: str) -> Iterator[tuple[object, SegmenterStatus]]:
    """Within the block, the application's active segmenter is the ``choice`` (one of SEGMENTER_CHOICES); yields
    it with its status. CommandError when SAM is asked for and cannot be used."""
    with override_settings(**({"SAM_CHECKPOINT": ""} if choice == "opencv" else {})):
        segmenter, status = active_segmenter()
        if choice == "sam" and status.kind != "sam":
            raise CommandError(f"SAM is not usable: {status.problem or 'SAM_CHECKPOINT is not set'}.")
        yield segmenter, status
