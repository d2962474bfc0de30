"""Frames with frame-level findings and no masks are exported (issue 14, bug 5), with a segmentation label only
where the frame is known to be fully annotated (a person's mask on it, or its sequence done); the training data
loader keeps the others for the findings head and never scores them as empty masks."""

from __future__ import annotations

import json
import zipfile

import pytest

from datasets.services import create_export, export_path, run_export
from findings.services import create_finding
from sequences.models import FrameSequence
from tests.datasets.factories import annotated_sequence
from training.data import load_export
from training.network import SMALL, NetworkConfig, build_network
from training.trainer import evaluate, pick_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def sequence_with_findings(polyp, blur, user):
    """Six frames; Polyp masks by hand on frames 1–2 only (indices 0, 1); Blur found on frames 3–5 (indices 2–4)."""
    sequence = annotated_sequence("findings", seed=70, count=6, tag=polyp, user=user)[0]
    sequence.frames.get(index=5).masks.all().delete()
    for index in (2, 3, 4):
        sequence.frames.get(index=index).masks.all().delete()
    create_finding(sequence=sequence, tag=blur, first_index=2, last_index=4)
    return sequence


def exported(sequence, tags) -> tuple[dict, dict, set[str], str]:
    export = create_export(name="with findings", sequences=[sequence], tags=tags, enqueue=False)
    assert run_export(export.id) == "succeeded"
    export.refresh_from_db()
    path = export_path(export.file.name)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        coco = json.loads(archive.read("annotations/instances_train.json"))
        names = set(archive.namelist())
    return manifest, coco, names, str(path)


def test_frames_with_findings_and_no_masks_are_exported_without_a_segmentation_label(
    sequence_with_findings, polyp, blur
):
    manifest, coco, names, _ = exported(sequence_with_findings, [polyp, blur])
    images = {image["frame_index"]: image for image in coco["images"]}
    assert sorted(images) == [0, 1, 2, 3, 4]  # index 5: neither mask nor finding
    assert [images[i]["masked"] for i in range(5)] == [True, True, False, False, False]
    assert images[2]["label_file"] is None and not any(n.endswith("-000002.png") and n.startswith("labels/")
                                                       for n in names)
    assert images[0]["label_file"] in names
    assert {(f["frame_index"], f["tag"]) for f in manifest["frame_findings"]} == {(2, "Blur"), (3, "Blur"), (4, "Blur")}
    assert "segmentation_labels" in manifest


def test_in_a_done_sequence_a_frame_without_masks_has_an_empty_label(sequence_with_findings, polyp, blur):
    FrameSequence.objects.filter(pk=sequence_with_findings.pk).update(status=FrameSequence.Status.DONE)
    _, coco, names, _ = exported(sequence_with_findings, [polyp, blur])
    images = {image["frame_index"]: image for image in coco["images"]}
    assert all(images[i]["masked"] for i in range(5)) and images[2]["label_file"] in names


def test_the_loader_keeps_finding_frames_for_the_findings_head_and_scores_no_empty_mask_on_them(
    sequence_with_findings, polyp, blur
):
    _, _, _, path = exported(sequence_with_findings, [polyp, blur])
    data = load_export(path)
    samples = data.splits["train"]
    assert [s.masked for s in samples] == [True, True, False, False, False]
    assert data.finding_names == ["Blur"] and [float(s.findings[0]) for s in samples] == [0, 0, 1, 1, 1]
    polyp_channel = data.class_names.index("Polyp")
    network = build_network(NetworkConfig(classes=len(data.class_names), architecture=SMALL))
    _, with_findings, _ = evaluate(network, samples, input_size=(32, 64), device=pick_device("cpu"),
                                   class_names=data.class_names)
    _, drawn_only, _ = evaluate(network, samples[:2], input_size=(32, 64), device=pick_device("cpu"),
                                class_names=data.class_names)
    assert with_findings == drawn_only  # the three unlabelled frames are not scored as empty masks
    assert all(not s.masks[polyp_channel].any() for s in samples[2:])


def test_the_export_form_offers_tags_that_have_findings_only(client_logged_in, sequence_with_findings, blur):
    page = client_logged_in.get("/datasets/").content.decode()
    assert f'name="tags" value="{blur.id}"' in page
