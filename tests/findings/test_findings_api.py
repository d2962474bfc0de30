"""Frame findings: validation, the JSON API (list, create, update, delete) and the selectors exports use."""

from __future__ import annotations

import json

import pytest

from findings import selectors
from findings.models import FrameFinding
from findings.services import create_finding
from tags.models import Tag

pytestmark = pytest.mark.django_db


def send(client, method: str, url: str, body=None):
    payload = body if isinstance(body, str) or body is None else json.dumps(body)
    return getattr(client, method)(url, payload, content_type="application/json")


def test_create_list_update_delete(api, sequence, blur, user):
    url = f"/api/sequences/{sequence.id}/findings/"
    response = send(api, "post", url, {"tag_id": blur.id, "first_index": 1, "last_index": 3, "note": "smear"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["tag"] == "Blur" and (created["first_index"], created["last_index"]) == (1, 3)
    assert created["created_by"] == user.username
    single = send(api, "post", url, {"tag_id": blur.id, "first_index": 5}).json()
    assert single["last_index"] == 5

    assert [f["id"] for f in api.get(url).json()["findings"]] == [created["id"], single["id"]]
    assert [f["id"] for f in api.get(url + "?frame=2").json()["findings"]] == [created["id"]]
    assert api.get(url + "?frame=4").json()["findings"] == []

    bubbles = Tag.objects.get(name="Bubbles")
    detail = f"/api/findings/{created['id']}/"
    updated = send(api, "patch", detail, {"tag_id": bubbles.id, "last_index": 4}).json()
    assert [updated[k] for k in ("tag", "first_index", "last_index", "note")] == ["Bubbles", 1, 4, "smear"]

    assert send(api, "delete", detail).json() == {"deleted": 1}
    assert list(FrameFinding.objects.values_list("id", flat=True)) == [single["id"]]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"first_index": 3, "last_index": 1}, 400, "comes before the first"),
        ({"first_index": 2, "last_index": 6}, 400, "has 6 frames"),
        ({"first_index": 6}, 400, "has 6 frames"),
        ({"first_index": -1}, 400, "frame index"),
        ({"first_index": "2"}, 400, "must be an integer"),
        ({"first_index": 1, "tag_id": 999999}, 404, "No tag with id 999999"),
        ({"last_index": 2}, 400, "Missing field 'first_index'"),
        ({"first_index": 1, "note": 5}, 400, "'note' must be a string"),
    ],
)
def test_bad_findings_get_json_errors_and_are_not_saved(api, sequence, blur, body, status, message):
    body = {"tag_id": blur.id, **body}
    response = send(api, "post", f"/api/sequences/{sequence.id}/findings/", body)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert not FrameFinding.objects.exists()


def test_update_is_validated_too(api, sequence, blur):
    finding = create_finding(sequence=sequence, tag=blur, first_index=2, last_index=4)
    response = send(api, "patch", f"/api/findings/{finding.id}/", {"first_index": 5})
    assert response.status_code == 400 and "comes before the first" in response.json()["error"]
    finding.refresh_from_db()
    assert (finding.first_index, finding.last_index) == (2, 4)


def test_unknown_ids_and_anonymous_users(client, api, sequence):
    assert api.get("/api/sequences/999/findings/").status_code == 404
    assert api.get("/api/findings/999/").status_code == 404
    assert client.get(f"/api/sequences/{sequence.id}/findings/").status_code == 401


def test_selectors_give_the_tags_of_each_frame(sequence, blur):
    landmark = Tag.objects.get(name="Rectum")
    create_finding(sequence=sequence, tag=blur, first_index=1, last_index=2)
    create_finding(sequence=sequence, tag=landmark, first_index=2)
    assert selectors.frame_tags(sequence_id=sequence.id) == {1: [blur.id], 2: [blur.id, landmark.id]}
    assert [f.tag.name for f in selectors.findings_on_frame(sequence_id=sequence.id, index=2)] == ["Blur", "Rectum"]
