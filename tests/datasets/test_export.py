"""Exports: what the zip holds, split rules, the pycocotools round trip, label maps, progress, failures."""

from __future__ import annotations

import io
import json
import zipfile

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from core.errors import InvalidInput
from core.jobs import cancel
from datasets.models import DatasetExport
from datasets.services import create_export, export_path, run_export
from datasets.splits import cross_validation_folds
from findings.services import create_finding
from masks.models import Mask
from masks.services import accept_mask
from masks.storage import absolute, read_mask
from tags.models import Tag

pytestmark = pytest.mark.django_db


def make_export(sequences, tags, **options) -> DatasetExport:
    export = create_export(name="Test export", sequences=sequences, tags=tags, enqueue=False, **options)
    assert run_export(export.id) == DatasetExport.State.SUCCEEDED, DatasetExport.objects.get(pk=export.id).error
    export.refresh_from_db()
    return export


def open_zip(export: DatasetExport) -> zipfile.ZipFile:
    return zipfile.ZipFile(export_path(export.file.name))


def test_zip_layout_manifest_and_split_by_sequence(annotated, polyp, ulcer):
    export = make_export(annotated, [polyp, ulcer], fractions=(0.6, 0.2, 0.2), seed=3)
    assert export.state == "succeeded" and export.done == export.total == 5 * 4 - 5  # frame 3s hold only propagated
    with open_zip(export) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        assert {"manifest.json", "classes.json", "classes.csv"} <= names
        assert {f"annotations/instances_{s}.json" for s in ("train", "val", "test")} <= names
        # Each sequence is on exactly one side, and its frames' files are on that side only.
        sides = {side: set(manifest["split"][side]) for side in ("train", "val", "test")}
        assert [len(v) for v in sides.values()] == [3, 1, 1]
        assert set.union(*sides.values()) == {s.id for s in annotated}
        for side, ids in sides.items():
            coco = json.loads(archive.read(f"annotations/instances_{side}.json"))
            assert {image["sequence_id"] for image in coco["images"]} == ids
            assert all(image["file_name"].startswith(f"images/{side}/") and image["file_name"] in names
                       for image in coco["images"])
        assert manifest["split"]["by"] == "sequence" and manifest["split"]["seed"] == 3
        assert manifest["counts"] == export.counts and manifest["frame_findings"] == []
        assert manifest["masks"] == "manual and reviewed propagated"
        assert [c["name"] for c in manifest["classes"]] == ["background", "Polyp", "Ulcer"]
        assert archive.read("classes.csv").decode().splitlines()[:2] == ["index,name,kind,color,tag_id",
                                                                         "0,background,,#000000,"]
        # The frame images are the stored files, byte for byte.
        first = json.loads(archive.read("annotations/instances_train.json"))["images"][0]
        frame_file = absolute(f"sequences/{first['sequence_id']}/frames/{first['frame_index']:06d}.png")
        assert archive.read(first["file_name"]) == frame_file.read_bytes()
    assert export.split == {k: sorted(v) for k, v in sides.items()}


def test_same_seed_same_split_other_seed_other_split(annotated, polyp):
    first = make_export(annotated, [polyp], seed=1)
    again = make_export(list(reversed(annotated)), [polyp], seed=1)
    assert first.split == again.split
    splits = {json.dumps(make_export(annotated, [polyp], seed=s).split, sort_keys=True) for s in range(2, 6)}
    assert len(splits) > 1


def test_a_given_split_such_as_a_cross_validation_fold_is_exported_as_given(annotated, polyp):
    ids = [s.id for s in annotated]
    fold = cross_validation_folds(ids, folds=5, seed=0)[2]
    export = make_export(annotated, [polyp], split=fold)
    assert export.split == fold and export.split["test"] == []
    assert (export.train_fraction, export.val_fraction, export.test_fraction) == (0.8, 0.2, 0.0)
    with open_zip(export) as archive:
        coco = json.loads(archive.read("annotations/instances_val.json"))
        assert {image["sequence_id"] for image in coco["images"]} == set(fold["val"])
    for split, message in [
        ({"train": ids[1:], "val": ids[:2]}, "two sides"),
        ({"train": ids[2:], "val": ids[:1]}, "every chosen sequence"),
        ({"train": [], "val": ids}, "train side of the split is empty"),
        ({"train": ids[1:], "holdout": ids[:1]}, "Unknown split side"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            create_export(name="x", sequences=annotated, tags=[polyp], split=split, enqueue=False)


def test_coco_round_trip_matches_the_stored_masks_exactly(annotated, polyp, ulcer, tmp_path):
    export = make_export(annotated, [polyp, ulcer], include_propagated=True)
    checked = 0
    with open_zip(export) as archive:
        for side in ("train", "val", "test"):
            path = tmp_path / f"{side}.json"
            path.write_bytes(archive.read(f"annotations/instances_{side}.json"))
            coco = COCO(str(path))
            for annotation in coco.loadAnns(coco.getAnnIds()):
                stored = read_mask(Mask.objects.get(pk=annotation["id"]).file.name)
                decoded = coco.annToMask(annotation).astype(bool)
                assert np.array_equal(decoded, stored)
                assert annotation["area"] == stored.sum()
                checked += 1
    assert checked == Mask.objects.count() == 5 * 4 + 1


def test_label_maps_hold_class_indices_and_the_higher_class_wins(annotated, polyp, ulcer):
    export = make_export(annotated, [polyp, ulcer], fractions=(1.0, 0.0, 0.0))
    ulcer_mask = Mask.objects.get(tag=ulcer)
    frame = ulcer_mask.frame
    polyp_mask = read_mask(Mask.objects.get(tag=polyp, frame=frame).file.name)
    with open_zip(export) as archive:
        coco = json.loads(archive.read("annotations/instances_train.json"))
        image = next(i for i in coco["images"] if i["id"] == frame.id)
        labels = cv2.imdecode(np.frombuffer(archive.read(image["label_file"]), np.uint8), cv2.IMREAD_UNCHANGED)
    assert labels.dtype == np.uint8 and labels.shape == (frame.height, frame.width)
    ulcer_pixels = read_mask(ulcer_mask.file.name)
    assert set(np.unique(labels)) == {0, 1, 2}
    assert np.all(labels[ulcer_pixels] == 2)  # Ulcer (class 2) over Polyp (class 1) where they overlap
    assert np.all(labels[polyp_mask & ~ulcer_pixels] == 1) and np.all(labels[~polyp_mask] == 0)


def annotations(export: DatasetExport) -> list[dict]:
    with open_zip(export) as archive:
        return [a for s in ("train", "val", "test")
                for a in json.loads(archive.read(f"annotations/instances_{s}.json"))["annotations"]]


def test_manual_and_reviewed_only_versus_including_propagated(annotated, polyp, user):
    manual = make_export(annotated, [polyp])
    everything = make_export(annotated, [polyp], include_propagated=True)
    manual_polyps = Mask.objects.filter(source="manual", tag=polyp).count()
    assert sum(c["masks"] for c in manual.counts.values()) == manual_polyps == 15
    assert sum(c["masks"] for c in everything.counts.values()) == 20
    assert {a["source"] for a in annotations(manual)} == {"manual"}
    # A propagated mask someone accepted counts as trusted: it is exported without --include-propagated.
    accepted = accept_mask(mask=Mask.objects.filter(source="propagated").first(), user=user)
    reviewed = make_export(annotated, [polyp])
    assert sum(c["masks"] for c in reviewed.counts.values()) == 16
    assert [a["id"] for a in annotations(reviewed) if a["source"] == "propagated"] == [accepted.id]


def test_frame_findings_of_the_exported_frames_are_in_the_manifest(annotated, polyp, user):
    blur, bubbles = Tag.objects.get(name="Blur"), Tag.objects.get(name="Bubbles")
    first, second = annotated[0], annotated[1]
    create_finding(sequence=first, tag=blur, first_index=1, last_index=3)  # frame 3 holds only a propagated mask
    create_finding(sequence=first, tag=blur, first_index=2)  # overlapping ranges of one tag count once
    create_finding(sequence=second, tag=bubbles, first_index=0)
    export = make_export(annotated, [polyp])
    with open_zip(export) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["finding_names"] == sorted(["Blur", "Bubbles"], key=lambda n: Tag.objects.get(name=n).order)
    found = [(e["sequence_id"], e["frame_index"], e["tag"]) for e in manifest["frame_findings"]]
    assert found == [(first.id, 1, "Blur"), (first.id, 2, "Blur"), (second.id, 0, "Bubbles")]
    frame = first.frames.get(index=1)
    assert {"frame_id": frame.id, "sequence_id": first.id, "frame_index": 1, "tag_id": blur.id,
            "tag": "Blur"} in manifest["frame_findings"]


def test_bad_requests_are_refused_before_anything_is_written(annotated, polyp, ulcer):
    with pytest.raises(InvalidInput, match="sum to 1"):
        create_export(name="x", sequences=annotated, tags=[polyp], fractions=(0.5, 0.2, 0.2), enqueue=False)
    with pytest.raises(InvalidInput, match="at least one tag"):
        create_export(name="x", sequences=annotated, tags=[], enqueue=False)
    with pytest.raises(InvalidInput, match="needs a name"):
        create_export(name=" ", sequences=annotated, tags=[polyp], enqueue=False)
    with pytest.raises(InvalidInput, match="No mask made by hand or reviewed of the chosen tags"):
        create_export(name="x", sequences=annotated[1:], tags=[ulcer], enqueue=False)
    assert not DatasetExport.objects.exists()


def test_a_failing_export_leaves_no_zip(annotated, polyp):
    absolute(Mask.objects.filter(source="manual").last().file.name).unlink()  # a mask file lost on disk
    export = create_export(name="broken", sequences=annotated, tags=[polyp], enqueue=False)
    assert run_export(export.id) == "failed"
    export.refresh_from_db()
    assert "missing" in export.error and not export.file
    assert not list((absolute("exports")).glob("*"))


def test_cancelled_export_stops_and_leaves_no_zip(annotated, polyp):
    export = create_export(name="cancelled", sequences=annotated, tags=[polyp], enqueue=False)
    cancel(export)
    assert run_export(export.id) == "cancelled"  # a queued export is cancelled before it starts
    export = create_export(name="running", sequences=annotated, tags=[polyp], enqueue=False)
    DatasetExport.objects.filter(pk=export.pk).update(cancel_requested=True)  # asked while it runs
    assert run_export(export.id) == "cancelled"
    export.refresh_from_db()
    assert export.done == 10 and not export.file  # stopped at its first progress report
    assert not list(absolute("exports").glob("*.zip"))


def test_export_through_the_task_queue(annotated, polyp, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        export = create_export(name="queued", sequences=annotated, tags=[polyp])
    export.refresh_from_db()
    assert export.state == "succeeded" and export.progress == 1.0 and export.task_id
    assert zipfile.is_zipfile(io.BytesIO(export_path(export.file.name).read_bytes()))
