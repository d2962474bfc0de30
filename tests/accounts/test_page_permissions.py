"""The writes made through pages (and the admin), tried by every role: a refusal is a 403 page naming the role
needed, and changes nothing."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User

from datasets.models import DatasetExport
from sequences.models import FrameSequence
from training.forms import TrainingForm
from training.models import LiveVideo, TrainedModel, TrainingRun

from .conftest import PEOPLE

MANAGERS = {"max", "root"}
REVIEWERS = {"rita", "max", "root"}


def refused(response, role: str) -> bool:
    """True for a 403 page that names ``role``; a login redirect for an anonymous visitor counts too."""
    if response.status_code == 302 and response["Location"].startswith("/login/"):
        return True
    if response.status_code == 403:
        assert f"needs the {role} role" in response.content.decode()
        return True
    return False


@pytest.mark.parametrize("name", PEOPLE)
def test_setting_a_sequence_done_from_its_page(page_as, sequence, name):
    response = page_as(name).post(f"/sequences/{sequence.id}/status/", {"status": "done"})
    sequence.refresh_from_db()
    if name in REVIEWERS:
        assert response.status_code == 302 and sequence.status == FrameSequence.Status.DONE
    else:
        assert refused(response, "reviewer") and sequence.status == FrameSequence.Status.IN_PROGRESS


@pytest.mark.parametrize("name", PEOPLE)
def test_the_import_page_is_a_managers(page_as, name):
    response = page_as(name).get("/sequences/import/")
    if name in MANAGERS:
        assert response.status_code == 200 and 'id="import-form"' in response.content.decode()
    else:
        assert refused(response, "manager")


def test_an_import_posted_by_a_reviewer_stores_nothing(page_as, media_root):
    upload = io.BytesIO(b"\x89PNG not really")
    upload.name = "frame.png"
    response = page_as("rita").post("/sequences/import/", {"name": "x", "procedure": "colonoscopy",
                                                           "every_nth": 1, "files": [upload]})
    assert refused(response, "manager")
    assert not FrameSequence.objects.exists() and not (media_root / "sequences").exists()


def test_the_import_link_shows_only_to_those_who_may_import(page_as):
    assert 'href="/sequences/import/"' in page_as("max").get("/").content.decode()
    assert 'href="/sequences/import/"' not in page_as("rita").get("/").content.decode()


@pytest.mark.parametrize("name", PEOPLE)
def test_exporting_a_dataset(page_as, work, sequence, polyp, name):
    response = page_as(name).post("/datasets/", {
        "name": "export", "sequences": [sequence.id], "tags": [polyp.id], "train_fraction": 1,
        "val_fraction": 0, "test_fraction": 0, "seed": 0,
    })
    if name in MANAGERS:
        assert response.status_code == 302 and DatasetExport.objects.get().created_by.username == name
    else:
        assert refused(response, "manager") and not DatasetExport.objects.exists()


@pytest.fixture
def export(people) -> DatasetExport:
    return DatasetExport.objects.create(name="done", state=DatasetExport.State.SUCCEEDED, file="exports/done.zip",
                                        created_by=people["max"])


@pytest.mark.parametrize("name", ["anna", "rita", "max"])
def test_cancelling_and_downloading_an_export(page_as, export, name):
    DatasetExport.objects.filter(pk=export.pk).update(state=DatasetExport.State.QUEUED)
    client = page_as(name)
    response = client.post(f"/datasets/exports/{export.id}/cancel/")
    export.refresh_from_db()
    if name in MANAGERS:
        assert response.status_code == 302 and export.state == DatasetExport.State.CANCELLED
        assert client.get(f"/datasets/exports/{export.id}/download/").status_code == 404  # no zip: past the role
    else:
        assert refused(response, "manager") and export.state == DatasetExport.State.QUEUED
        assert refused(client.get(f"/datasets/exports/{export.id}/download/"), "manager")


@pytest.mark.parametrize("name", PEOPLE)
def test_starting_a_training_run(page_as, export, name):
    # The form's own defaults, whatever fields it has: the role is what this test is about.
    data = {field: form.initial for field, form in TrainingForm().fields.items() if form.initial is not None}
    response = page_as(name).post("/training/", {**data, "export": export.id, "epochs": 1, "minutes": 1})
    if name in MANAGERS:
        assert response.status_code == 302 and TrainingRun.objects.get().created_by.username == name
    else:
        assert refused(response, "manager") and not TrainingRun.objects.exists()


@pytest.mark.parametrize("name", ["anna", "rita", "max"])
def test_cancelling_a_training_run(page_as, export, name):
    run = TrainingRun.objects.create(name="run", export=export, total=1)
    response = page_as(name).post(f"/training/runs/{run.id}/cancel/")
    run.refresh_from_db()
    assert (run.state == TrainingRun.State.CANCELLED) == (name in MANAGERS)
    assert response.status_code == 302 if name in MANAGERS else refused(response, "manager")


@pytest.fixture
def model(polyp) -> TrainedModel:
    return TrainedModel.objects.create(name="m", checkpoint="models/missing.pt", class_names=["Polyp"],
                                       input_size=[64, 96])


@pytest.mark.parametrize("name", ["anna", "rita", "max"])
def test_uploading_a_video_to_play_live(page_as, model, media_root, name):
    upload = io.BytesIO(b"not a video at all")
    upload.name = "clip.mp4"
    response = page_as(name).post("/training/live-videos/", {"video": upload, "model": model.id})
    if name in MANAGERS:  # past the role, the file itself is refused
        assert response.status_code == 200 and "cannot be played" in response.content.decode()
    else:
        assert refused(response, "manager")
    assert not LiveVideo.objects.exists() and not list((media_root).rglob("*.mp4"))


@pytest.mark.parametrize("name", ["anna", "rita", "max"])
def test_deleting_a_live_video(page_as, media_root, name):
    (media_root / "live-videos").mkdir()
    (media_root / "live-videos" / "clip.mp4").write_bytes(b"video")
    video = LiveVideo.objects.create(name="clip", file="live-videos/clip.mp4", width=8, height=8)
    response = page_as(name).post(f"/training/live-videos/{video.id}/delete/")
    if name in MANAGERS:
        assert response.status_code == 302 and not LiveVideo.objects.exists()
    else:
        assert refused(response, "manager") and LiveVideo.objects.filter(pk=video.pk).exists()
        assert (media_root / "live-videos" / "clip.mp4").exists()


@pytest.mark.parametrize("name", ["anna", "rita", "max"])
def test_pre_annotating_from_the_models_page(page_as, model, sequence, name):
    response = page_as(name).post(f"/training/models/{model.id}/preannotate/", {"sequence": sequence.id})
    if name in MANAGERS:  # past the role: the missing checkpoint is the message
        assert response.status_code == 302
    else:
        assert refused(response, "manager")


# ---------- the admin ----------


def test_only_managers_are_staff_and_reach_the_admin(page_as, people):
    assert [n for n in ("anna", "rita", "max") if people[n].is_staff] == ["max"]
    assert page_as("rita").get("/admin/").status_code == 302  # to the admin's login
    assert page_as("max").get("/admin/auth/user/").status_code == 200


def test_a_manager_adds_a_user_with_a_role_in_the_admin(page_as):
    response = page_as("max").post("/admin/auth/user/add/", {
        "username": "newbie", "role": "reviewer", "usable_password": "true",
        "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    newbie = User.objects.get(username="newbie")
    assert list(newbie.groups.values_list("name", flat=True)) == ["reviewer"] and not newbie.is_staff
    assert newbie.has_perm("masks.review_mask") and not newbie.has_perm("datasets.export")
    assert "reviewer" in page_as("max").get("/admin/auth/user/").content.decode()


def test_a_manager_cannot_make_an_admin_nor_change_one(page_as, people):
    url = f"/admin/auth/user/{people['anna'].id}/change/"
    page = page_as("max").get(url).content.decode()
    assert 'name="groups"' in page and 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    assert 'name="is_superuser"' in page_as("root").get(url).content.decode()
    response = page_as("max").post(f"/admin/auth/user/{people['root'].id}/change/", {"username": "taken-over"})
    assert response.status_code == 403 and User.objects.filter(username="root").exists()
    response = page_as("max").post(f"/admin/auth/user/{people['root'].id}/delete/", {"post": "yes"})
    assert response.status_code == 403 and User.objects.filter(username="root").exists()


def test_deleting_a_sequence_in_the_admin_needs_the_manager_role(page_as, people, sequence, media_root,
                                                                 django_capture_on_commit_callbacks):
    folder = media_root / "sequences" / str(sequence.id)
    assert folder.exists()
    User.objects.filter(pk=people["rita"].pk).update(is_staff=True)  # staff, but a reviewer
    response = page_as("rita").post(f"/admin/sequences/framesequence/{sequence.id}/delete/", {"post": "yes"})
    assert response.status_code == 403 and FrameSequence.objects.filter(pk=sequence.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = page_as("max").post(f"/admin/sequences/framesequence/{sequence.id}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not FrameSequence.objects.exists()
    assert not folder.exists()  # its files go with it once that commits (core.files)
