"""SAM embeddings precomputed in the background for the frames the annotator will need next."""

from __future__ import annotations

import io
import json
import os
import time

import pytest
from django.core.management import call_command

from masks.embeddings import frames_around, prune_disk_cache
from masks.models import FrameEmbedding
from masks.segmenters import active_segmenter
from tests.conftest import run_worker_until_idle

pytestmark = pytest.mark.django_db


def request(api, sequence, index, direction=1):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):  # enqueueing waits for the commit
        response = api.post(
            f"/api/sequences/{sequence.id}/embeddings/", json.dumps({"frame_index": index, "direction": direction}),
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    return response.json()["states"]


def test_frames_are_wanted_in_the_direction_of_movement(sequence):
    assert [f.index for f in frames_around(sequence, 2, 1)] == [2, 3, 4, 5, 1, 0]
    assert [f.index for f in frames_around(sequence, 2, -1)] == [2, 1, 0, 3, 4]


def test_cpu_default_needs_no_embeddings(api, sequence):
    states = request(api, sequence, 0)
    assert set(states.values()) == {"not_needed"}
    assert not FrameEmbedding.objects.exists()


def test_precomputed_embeddings_spare_the_first_click(api, sequence, sam_settings):
    sam, _ = active_segmenter()
    states = request(api, sequence, 1)
    ids = {f.index: str(f.id) for f in sequence.frames.all()}
    assert states[ids[1]] == "queued" and states[ids[2]] == "queued" and states[ids[0]] == "queued"
    run_worker_until_idle()
    assert sam.encoder_runs == 6  # every frame of this short sequence was around frame 1
    after = api.get(f"/api/sequences/{sequence.id}/embeddings/?frame_ids={ids[1]},{ids[5]}").json()["states"]
    assert after == {ids[1]: "ready", ids[5]: "ready"}
    frame = sequence.frames.get(index=3)
    click = {"sequence_id": sequence.id, "frame_id": frame.id, "points": [{"x": 100, "y": 100, "sign": "+"}],
             "preview": True}
    assert api.post("/generate_mask/", json.dumps(click), content_type="application/json").status_code == 200
    assert sam.encoder_runs == 6  # the click used the embedding the worker computed


def test_moving_on_drops_requests_no_longer_needed(api, sequence, sam_settings):
    request(api, sequence, 0, 1)
    request(api, sequence, 5, -1)
    queued = set(FrameEmbedding.objects.filter(state="queued").values_list("frame__index", flat=True))
    assert queued == {5, 4, 3, 2, 1, 0}
    request(api, sequence, 0, -1)  # frames 0, then 1 and 2 behind
    queued = set(FrameEmbedding.objects.filter(state="queued").values_list("frame__index", flat=True))
    assert queued == {0, 1, 2}


def test_bad_requests(api, sequence):
    bad = api.post(f"/api/sequences/{sequence.id}/embeddings/", "{}", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"] == "Missing field 'frame_index'."
    assert api.get(f"/api/sequences/{sequence.id}/embeddings/?frame_ids=a,b").status_code == 400
    assert api.get("/api/sequences/999/embeddings/").status_code == 404


def test_precompute_command_with_progress(sequence, sam_settings):
    out = io.StringIO()
    call_command("precompute_embeddings", str(sequence.id), stdout=out)
    assert "6 embeddings computed" in out.getvalue()
    assert set(FrameEmbedding.objects.values_list("state", flat=True)) == {"ready"}
    out = io.StringIO()
    call_command("precompute_embeddings", str(sequence.id), stdout=out)
    assert "0 embeddings computed, 6 already cached" in out.getvalue()


def test_disk_cache_is_pruned_oldest_first(tmp_path):
    for number in range(5):
        path = tmp_path / "model" / f"{number}.pt"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (time.time() - 100 + number, time.time() - 100 + number))
    assert prune_disk_cache(tmp_path, 2500) == 3
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["3.pt", "4.pt"]
