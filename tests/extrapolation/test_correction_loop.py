"""The correction loop of a track: a correction is a keyframe whose rerun recomputes only the frames between its
neighbouring keyframes, rejections are remembered, masks made by hand are never covered by a duplicate, and a
frame the method is unsure of is left to the annotator."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import TestCase

from extrapolation.models import ExtrapolationJob, RejectedFrame
from extrapolation.propagation import propagate
from extrapolation.services import run_extrapolation, start_extrapolation
from masks import services
from masks.models import Mask
from masks.segmentation.base import Click

pytestmark = pytest.mark.django_db


def extrapolate(keyframe: Mask, user, **options) -> ExtrapolationJob:
    job = start_extrapolation(keyframe=keyframe, created_by=user, enqueue=False, **options)
    run_extrapolation(str(job.id))
    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    return job


def proposals(track_id: int) -> dict[int, Mask]:
    masks = Mask.objects.filter(track_id=track_id, source="propagated").select_related("frame")
    return {m.frame.index: m for m in masks}


@pytest.fixture
def extrapolated(sequence, synthetic, polyp, user):
    """Frame 0's lesion drawn by hand and extrapolated through the six frames."""
    keyframe = services.save_mask(frame=sequence.frames.get(index=0), tag=polyp, color=polyp.color,
                                  mask=synthetic[1][0], created_by=user)
    job = extrapolate(keyframe, user)
    keyframe.refresh_from_db()
    assert job.span_start is None and set(proposals(keyframe.track_id)) == {1, 2, 3, 4, 5}
    return keyframe


def test_a_correction_reruns_only_the_frames_between_its_neighbouring_keyframes(extrapolated, synthetic, user):
    track = extrapolated.track_id
    before = proposals(track)
    services.accept_mask(mask=before[4], user=user)  # frame 4 confirmed: a keyframe too
    corrected = services.replace_mask_pixels(mask=before[2], pixels=synthetic[1][2], user=user)
    assert corrected.source == "manual" and corrected.track_id == track

    job = extrapolate(corrected, user)
    assert (job.span_start, job.span_end) == (1, 4) and job.total == 2  # frames 1 and 3
    after = proposals(track)
    assert after[1].id != before[1].id and after[3].id != before[3].id  # recomputed from the correction
    assert after[4].id == before[4].id and after[5].id == before[5].id  # outside the span: untouched
    assert after[3].keyframe_id in (corrected.id, before[4].id)

    whole = extrapolate(corrected, user, whole=True)
    assert whole.span_start is None and proposals(track)[5].id != before[5].id


def test_a_correction_queues_its_rerun_when_it_commits(extrapolated, synthetic, user, settings):
    target = proposals(extrapolated.track_id)[3]
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.replace_mask_pixels(mask=target, pixels=synthetic[1][3], user=user)
    job = ExtrapolationJob.objects.filter(track_id=extrapolated.track_id).first()
    assert job.state == "queued" and (job.span_start, job.span_end) == (1, 6)

    settings.EXTRAPOLATE_AFTER_CORRECTION = False
    job.delete()
    other = proposals(extrapolated.track_id)[5]
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.replace_mask_pixels(mask=other, pixels=synthetic[1][5], user=user)
    assert not ExtrapolationJob.objects.filter(state="queued").exists()


def test_a_rejected_proposal_is_not_written_again_by_a_rerun(extrapolated, user):
    track = extrapolated.track_id
    services.reject_mask(mask=proposals(track)[3], user=user)
    assert RejectedFrame.objects.filter(track_id=track, frame__index=3).exists()
    job = extrapolate(extrapolated, user, whole=True)
    assert 3 not in proposals(track) and 3 in job.left_frames and job.left_to_annotator >= 1


def test_masks_made_by_hand_are_never_covered_by_a_duplicate(extrapolated, synthetic, polyp, user):
    track = extrapolated.track_id
    # frame 2: the same lesion drawn by hand, outside the track; frame 4: another lesion of the same tag
    services.save_mask(frame=extrapolated.frame.sequence.frames.get(index=2), tag=polyp, color=polyp.color,
                       mask=synthetic[1][2], created_by=user, track=None)
    elsewhere = np.zeros_like(synthetic[1][4])
    elsewhere[10:30, 10:30] = True
    elsewhere &= ~synthetic[1][4]
    services.save_mask(frame=extrapolated.frame.sequence.frames.get(index=4), tag=polyp, color=polyp.color,
                       mask=elsewhere, created_by=user)
    services.reject_mask(mask=proposals(track)[3], user=user)  # (also: a rejection does not block the rest)
    job = extrapolate(extrapolated, user, whole=True)
    written = proposals(track)
    assert 2 not in written and 2 not in job.left_frames  # done by a person: neither duplicated nor left to do
    assert 4 in written  # beside the second lesion


def test_a_mask_drawn_over_a_proposal_joins_its_track_and_replaces_it(extrapolated, synthetic, polyp, user):
    track = extrapolated.track_id
    frame = extrapolated.frame.sequence.frames.get(index=3)
    truth = synthetic[1][3]
    ys, xs = np.nonzero(truth)
    point = Click(float(xs.mean()), float(ys.mean()), True)
    drawn = services.generate_mask(frame=frame, tag=polyp, color=polyp.color, points=[point], created_by=user)
    assert drawn.track_id == track and drawn.source == "manual"
    assert list(Mask.objects.filter(frame=frame).values_list("id", flat=True)) == [drawn.id]


def test_unsure_frames_are_left_to_the_annotator(sequence, synthetic, polyp, user, settings):
    settings.EXTRAPOLATION_MIN_CONFIDENCE = 1.01  # nothing is ever that sure
    keyframe = services.save_mask(frame=sequence.frames.get(index=0), tag=polyp, color=polyp.color,
                                  mask=synthetic[1][0], created_by=user)
    job = extrapolate(keyframe, user)
    assert job.written == 0 and job.left_frames == [1, 2, 3, 4, 5] and job.left_to_annotator == 5


def test_propagation_computes_only_the_span():
    frames, masks = [], []
    for shift in range(8):
        image = np.full((64, 80, 3), 90, np.uint8)
        image[20:40, 10 + shift * 3:30 + shift * 3] = (220, 160, 140)
        frames.append(image)
        masks.append(np.all(image == (220, 160, 140), axis=2))
    seen: list[int] = []
    results = propagate(frames, None, {0: masks[0], 3: masks[3], 7: masks[7]},
                        on_frame=lambda i, r: seen.append(i), span=(4, 7))
    assert sorted(seen) == [4, 5, 6] and set(results) <= {4, 5, 6}


def test_review_puts_frames_left_empty_inside_a_track_first_then_the_least_confident(extrapolated, user, api):
    track = extrapolated.track_id
    services.reject_mask(mask=proposals(track)[3], user=user)
    extrapolate(extrapolated, user, whole=True)
    answer = api.get(f"/api/sequences/{extrapolated.frame.sequence_id}/review/").json()
    assert answer["left"] == [[extrapolated.tag_id, [3]]]
    rest = sorted((m.confidence, i) for i, m in proposals(track).items())
    assert answer["order"] == [3] + [i for _, i in rest]
    services.accept_mask(mask=proposals(track)[rest[0][1]], user=user)
    assert rest[0][1] not in api.get(f"/api/sequences/{extrapolated.frame.sequence_id}/review/").json()["order"]


def test_the_api_reruns_between_keyframes_unless_asked_for_the_whole_sequence(extrapolated, api):
    import json

    from django.test import TestCase

    for body, span in (({}, [0, 6]), ({"whole": True}, None)):  # the keyframe is frame 0: no neighbour
        ExtrapolationJob.objects.filter(state="queued").delete()
        with TestCase.captureOnCommitCallbacks(execute=False):
            answer = api.post("/extrapolate_masks/", json.dumps({"mask_id": extrapolated.id, **body}),
                              content_type="application/json")
        assert answer.status_code == 202, answer.content
        assert answer.json()["span"] == span
