import sys
import time

from django.core.management.base import BaseCommand, CommandError

from masks.embeddings import compute_embeddings, sam_in_use
from masks.models import FrameEmbedding
from sequences.models import FrameSequence


class Command(BaseCommand):
    help = "Compute the SAM image embedding of every frame of a sequence ahead of annotation (with progress)."

    def add_arguments(self, parser):
        parser.add_argument("sequence_id", type=int)

    def handle(self, *args, sequence_id: int, **options):
        sequence = FrameSequence.objects.filter(pk=sequence_id).first()
        if sequence is None:
            raise CommandError(f"No sequence with id {sequence_id}.")
        sam = sam_in_use()
        if sam is None:
            raise CommandError("SAM is not in use (SAM_CHECKPOINT unset or unusable): nothing to precompute.")
        frames = list(sequence.frames.order_by("index"))
        for frame in frames:
            FrameEmbedding.objects.update_or_create(
                frame=frame, model=sam.name, defaults={"state": FrameEmbedding.State.QUEUED}
            )
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            width = 30
            filled = round(width * done / total)
            elapsed = time.perf_counter() - started
            sys.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} frames, {elapsed:.0f} s")
            sys.stdout.flush()

        computed = compute_embeddings([f.id for f in frames], sam.name, progress=progress)
        sys.stdout.write("\n")
        self.stdout.write(self.style.SUCCESS(
            f"{computed} embeddings computed, {len(frames) - computed} already cached, for {sam.name}."
        ))
