"""End-to-end speed of online mode: read (or decode) + predict + overlay + JPEG-encode per frame, unpaced."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sequences.models import FrameSequence
from sequences.selectors import frame_path
from sequences.synthetic import make_sequence
from tags.models import Tag
from training.inference import TrainedNetwork
from training.live import ImageFiles, LivePipeline, VideoError, VideoFile, hex_to_rgb, play, probe_video
from training.management.commands.train_model import parse_size as parse_input_size
from training.models import TrainedModel
from training.network import ARCHITECTURES, Checkpoint, NetworkConfig, build_network
from training.selectors import checkpoint_path
from training.trainer import TrainConfig
from vision.io import read_rgb, write_rgb


def parse_size(text: str) -> tuple[int, int]:
    """``"384x288"`` → (W, H)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise CommandError(f"--size must be WIDTHxHEIGHT, e.g. 384x288, not {text!r}.") from exc
    return width, height


class Command(BaseCommand):
    help = (
        "Measure online mode's end-to-end frames/s (read + predict + overlay + encode, no pacing) of a model "
        "over a sequence or a video file (--video), or of an untrained default-size network over generated "
        "frames (--synthetic, or --synthetic --video FILE)."
    )

    def add_arguments(self, parser):
        parser.add_argument("model_id", type=int, nargs="?")
        parser.add_argument("sequence_id", type=int, nargs="?")
        parser.add_argument("--frames", type=int, default=200, help="Frames to time (the sequence loops).")
        parser.add_argument("--size", default="", help="WIDTHxHEIGHT frames are resized to (default: their own).")
        parser.add_argument("--synthetic", action="store_true",
                            help="Generated frames and the default network (untrained: the same arithmetic).")
        parser.add_argument("--threads", type=int, default=0, help="Torch threads (default: torch's choice).")
        parser.add_argument("--video", default="", help="A video file decoded as it plays, instead of a sequence.")
        parser.add_argument("--architecture", choices=ARCHITECTURES, default=TrainConfig.architecture,
                            help="With --synthetic: the network to time (default: the training default).")
        parser.add_argument("--input-size", default="x".join(str(v) for v in TrainConfig.input_size),
                            help="With --synthetic: HxW the network sees (default: the training default).")

    def handle(self, *args, model_id, sequence_id, frames: int, size: str, synthetic: bool, threads: int,
               video: str, **o):
        if threads:
            torch.set_num_threads(threads)
        wanted = parse_size(size) if size else None
        with tempfile.TemporaryDirectory() as folder:
            if synthetic:
                segmenter, colors, paths = self._synthetic(Path(folder), wanted or (384, 288),
                                                           architecture=o["architecture"],
                                                           input_size=parse_input_size(o["input_size"]))
            else:
                if model_id is None or (sequence_id is None and not video):
                    raise CommandError("Give MODEL_ID SEQUENCE_ID, MODEL_ID --video FILE, or --synthetic.")
                segmenter, colors, paths = self._stored(model_id, sequence_id)
            source = ImageFiles(paths)
            shape = read_rgb(paths[0][1]).shape if paths else None
            if video:
                try:
                    info = probe_video(Path(video), max_pixels=settings.MAX_FRAME_PIXELS)
                except VideoError as exc:
                    raise CommandError(str(exc)) from exc
                source, shape = VideoFile(Path(video)), (info.height, info.width)
            if wanted is not None:
                shape = (wanted[1], wanted[0])
            pipeline = LivePipeline(segmenter, colors, size=wanted)
            warming = play(pipeline, source, fps=0, loop=True)  # first calls allocate; not what a stream sees
            warm = [next(warming) for _ in range(5)]
            warming.close()
            started = time.perf_counter()
            stream = play(pipeline, source, fps=0, loop=True)
            done = [next(stream) for _ in range(frames)]
            stream.close()
            seconds = time.perf_counter() - started
        latencies = [frame.latency_ms for frame in done]
        drawn = sum(bool(frame.tags) for frame in done) / frames  # the overlay costs more where there is a mask
        load = os.getloadavg()[0]
        self.stdout.write(
            f"{frames} frames at {shape[1]}×{shape[0]}: {frames / seconds:.1f} frames/s end to end; latency "
            f"median {statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms "
            f"(torch threads {torch.get_num_threads()}, load average {load:.2f} on {os.cpu_count()} CPUs; "
            f"JPEG {len(warm[-1].jpeg) // 1024} KiB; a mask drawn on {drawn:.0%} of the frames)"
        )

    def _stored(self, model_id: int, sequence_id: int | None):
        model = TrainedModel.objects.filter(pk=model_id).first()
        if model is None:
            raise CommandError(f"No trained model with id {model_id}.")
        if not checkpoint_path(model).is_file():
            raise CommandError(f"The checkpoint of model {model_id} is missing.")
        paths = []
        if sequence_id is not None:
            sequence = FrameSequence.objects.filter(pk=sequence_id).first()
            if sequence is None:
                raise CommandError(f"No sequence with id {sequence_id}.")
            paths = [(f.index, frame_path(f)) for f in sequence.frames.order_by("index")]
            if not paths:
                raise CommandError(f"Sequence {sequence_id} has no frames.")
        colors = {t.name: hex_to_rgb(t.color) for t in Tag.objects.filter(name__in=model.class_names)}
        return TrainedNetwork(checkpoint_path(model)), colors, paths

    def _synthetic(self, folder: Path, size: tuple[int, int], *, architecture: str, input_size: tuple[int, int]):
        width, height = size
        images, _ = make_sequence(count=24, height=height, width=width, seed=0)
        paths = []
        for index, image in enumerate(images):
            path = folder / f"frame_{index}.jpg"
            write_rgb(path, image, quality=92)
            paths.append((index, path))
        network = NetworkConfig(classes=1, architecture=architecture)
        checkpoint = Checkpoint(network=network, state_dict=build_network(network).state_dict(),
                                class_names=["Polyp"], input_size=input_size)
        return TrainedNetwork(checkpoint), {"Polyp": (255, 0, 0)}, paths
