"""Comments on a frame or on a mask: the JSON API, who may write and delete them, the admin."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.test import Client

from accounts.roles import ANNOTATOR, REVIEWER, assign_role
from comments.models import Comment
from masks.services import save_mask
from tags.models import Tag

pytestmark = pytest.mark.django_db


def send(client, method: str, url: str, body=None):
    return getattr(client, method)(url, json.dumps(body) if body is not None else None, content_type="application/json")


@pytest.fixture
def mask(sequence, user):
    polyp = Tag.objects.get(name="Polyp")
    pixels = np.zeros((288, 384), bool)
    pixels[100:140, 150:200] = True
    return save_mask(frame=sequence.frames.get(index=2), tag=polyp, color=polyp.color, mask=pixels, created_by=user)


def client_of(django_user_model, name: str, role: str) -> Client:
    person = django_user_model.objects.create_user(username=name, password="secret-pass-123")
    assign_role(user=person, role=role)
    client = Client()
    client.force_login(person)
    return client


def test_comment_on_a_frame_and_on_a_mask_listed_with_author_and_time(api, sequence, mask, user):
    url = f"/api/sequences/{sequence.id}/comments/"
    frame = sequence.frames.get(index=1)
    on_frame = send(api, "post", url, {"frame_id": frame.id, "text": "  Is this a polyp or a fold?  "})
    assert on_frame.status_code == 201, on_frame.content
    body = on_frame.json()
    assert (body["text"], body["frame_index"], body["mask_id"], body["created_by"]) == (
        "Is this a polyp or a fold?", 1, None, user.username)
    assert body["created_at"]
    on_mask = send(api, "post", url, {"frame_id": mask.frame_id, "mask_id": mask.id, "text": "Edge too wide"}).json()
    assert on_mask["mask_id"] == mask.id and on_mask["frame_index"] == 2

    listed = api.get(url).json()["comments"]
    assert [c["id"] for c in listed] == [body["id"], on_mask["id"]]  # in frame order
    assert [c["id"] for c in api.get(f"{url}?frame_id={frame.id}").json()["comments"]] == [body["id"]]

    # A deleted mask's comment stays on its frame.
    mask.delete()
    assert Comment.objects.get(pk=on_mask["id"]).mask_id is None


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"text": "   "}, 400, "The comment is empty"),
    ({"text": "x" * 2001}, 400, "at most 2000"),
    ({"text": 5}, 400, "'text' must be a string"),
    ({}, 400, "Missing field 'text'"),
    ({"text": "hi", "mask_id": 999999}, 404, "No mask with id 999999"),
])
def test_bad_comments_are_refused_with_the_reason(api, sequence, body, status, message):
    frame = sequence.frames.get(index=0)
    response = send(api, "post", f"/api/sequences/{sequence.id}/comments/", {"frame_id": frame.id, **body})
    assert response.status_code == status and message in response.json()["error"]
    assert not Comment.objects.exists()


def test_a_mask_of_another_frame_or_a_frame_of_another_sequence_is_refused(api, sequence, mask):
    url = f"/api/sequences/{sequence.id}/comments/"
    other_frame = sequence.frames.get(index=0)
    response = send(api, "post", url, {"frame_id": other_frame.id, "mask_id": mask.id, "text": "hi"})
    assert response.status_code == 400 and "not on frame" in response.json()["error"]
    elsewhere = f"/api/sequences/{sequence.id + 1000}/comments/"
    response = send(api, "post", elsewhere, {"frame_id": other_frame.id, "text": "x"})
    assert response.status_code == 404


def test_authors_delete_their_comments_and_reviewers_anyones(django_user_model, sequence):
    ann, other = client_of(django_user_model, "ann", ANNOTATOR), client_of(django_user_model, "otto", ANNOTATOR)
    rev = client_of(django_user_model, "rita", REVIEWER)
    frame = sequence.frames.get(index=0)
    url = f"/api/sequences/{sequence.id}/comments/"
    first = send(ann, "post", url, {"frame_id": frame.id, "text": "one"}).json()["id"]
    second = send(ann, "post", url, {"frame_id": frame.id, "text": "two"}).json()["id"]
    refused = send(other, "delete", f"/api/comments/{first}/")
    assert refused.status_code == 403 and "reviewer role" in refused.json()["error"]
    assert send(ann, "delete", f"/api/comments/{first}/").json() == {"deleted": 1}
    assert send(rev, "delete", f"/api/comments/{second}/").json() == {"deleted": 1}
    assert not Comment.objects.exists()
    nobody = django_user_model.objects.create_user(username="nobody", password="secret-pass-123")
    client = Client()
    client.force_login(nobody)
    response = send(client, "post", url, {"frame_id": frame.id, "text": "hi"})
    assert response.status_code == 403 and "annotator role" in response.json()["error"]


def test_comments_in_the_admin(admin_client, sequence, user):
    Comment.objects.create(frame=sequence.frames.get(index=0), text="Look at the left wall", created_by=user)
    page = admin_client.get("/admin/comments/comment/")
    assert page.status_code == 200 and "Look at the left wall" in page.content.decode()
