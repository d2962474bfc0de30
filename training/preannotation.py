"""Pre-annotation: a trained model run over a sequence as a background job, its masks saved as proposals
(``Mask.Source.MODEL``) to accept, correct or reject, and the procedure report of what it saw."""

from __future__ import annotations

import numpy as np
from django.db.models import F

from accounts import roles
from core import jobs
from core.errors import Conflict, InvalidInput
from core.jobs import JobRecord
from masks.models import Mask
from masks.services import delete_masks, save_mask
from reports.models import ProcedureReport
from reports.recording import Recorder
from reports.services import lesion_tags, save_report
from sequences.models import Frame
from sequences.selectors import frame_rgb
from tags.models import Tag

from .inference import TrainedNetwork
from .models import PreannotationJob, TrainedModel
from .selectors import checkpoint_path


class PreannotationConflict(Conflict):
    """The model is already pre-annotating the sequence (HTTP 409)."""


def start_preannotation(*, model: TrainedModel, sequence, created_by=None, enqueue: bool = True) -> PreannotationJob:
    """Record a job running ``model`` over every frame of ``sequence``; queue it unless not ``enqueue``.

    Only the model's tags that exist in the database get proposals; none existing is an error. ``created_by``
    starts it (``training.preannotate``) and is the author of its proposals.
    """
    roles.require(created_by, "training.preannotate", "Pre-annotating a sequence")
    if not checkpoint_path(model).is_file():
        raise InvalidInput(f"The checkpoint of model {model.id} “{model.name}” is missing.")
    # A findings classifier draws no mask: its run is for the procedure report (per-frame findings).
    names = [*model.class_names, *model.finding_names]
    if not Tag.objects.filter(name__in=names).exists():
        raise InvalidInput(f"None of model {model.id}'s tags ({', '.join(names)}) exists any more.")
    frames = Frame.objects.filter(sequence=sequence).count()
    if not frames:
        raise InvalidInput(f"Sequence {sequence.id} has no frames.")

    def create() -> PreannotationJob:
        if PreannotationJob.objects.filter(model=model, sequence=sequence, state__in=JobRecord.ACTIVE).exists():
            raise PreannotationConflict(
                f"Model {model.id} is already pre-annotating sequence {sequence.id}; wait for it or cancel it."
            )
        return PreannotationJob.objects.create(model=model, sequence=sequence, total=frames, created_by=created_by)

    return jobs.start_job(create, enqueue=enqueue)


def run_preannotation(job_id: int) -> str:
    """Run a queued pre-annotation job to its end (the body of the background task). Returns the final state."""
    return jobs.run_job(PreannotationJob, job_id, preannotate)


def preannotate(job: PreannotationJob, progress: jobs.Progress) -> None:
    """The work of a pre-annotation job: the model over every frame, its masks saved as proposals, then the
    procedure report (unless cancelled)."""
    # Loaded once for the whole sequence. Offline, test-time flips are worth their 4× arithmetic: they raised
    # Dice on unseen CVC-ClinicDB sequences by ~0.03 (docs/datasets-and-training.md).
    segmenter = TrainedNetwork(checkpoint_path(job.model), flips=True)
    tags = {t.name: t for t in Tag.objects.filter(name__in=segmenter.class_names)}
    sequence_masks = Mask.objects.filter(frame__sequence=job.sequence)
    # A new run replaces this model's unreviewed proposals; accepted ones are a person's work and stay.
    replaced = delete_masks(sequence_masks.filter(source=Mask.Source.MODEL, segmenter=job.segmenter,
                                                  reviewed_at__isnull=True))
    # Where a person already made or accepted a mask of a tag, a proposal of that tag would only be noise.
    settled = set(sequence_masks.trusted().values_list("frame_id", "tag_id"))
    frames = list(job.sequence.frames.order_by("index"))
    progress(0, len(frames), written=0, replaced=replaced)
    # Every frame's findings probabilities and lesion regions, for the procedure report.
    recorder = Recorder(names=segmenter.finding_names, thresholds=segmenter.finding_thresholds,
                        lesion_tags=lesion_tags(segmenter.class_names), threshold=job.threshold)
    for done, frame in enumerate(frames, start=1):
        prediction = segmenter.predict(np.ascontiguousarray(frame_rgb(frame)))
        recorder.add(findings=prediction.findings, masks=prediction.masks, frame_index=frame.index)
        written = 0
        for name, probability in prediction.masks.items():
            tag = tags.get(name)
            if tag is None or (frame.id, tag.id) in settled:
                continue
            mask = probability >= job.threshold
            if not mask.any():
                continue
            save_mask(
                frame=frame, tag=tag, color=tag.color, mask=mask, source=Mask.Source.MODEL,
                segmenter=job.segmenter, confidence=float(probability[mask].mean()), created_by=job.created_by,
            )
            written += 1
        if progress(done, written=F("written") + written):
            return
    save_report(recorder=recorder, source=ProcedureReport.Source.OFFLINE, fps=job.sequence.fps,
                sequence=job.sequence, model=job.model, preannotation=job, created_by=job.created_by)
