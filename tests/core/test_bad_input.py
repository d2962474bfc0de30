"""Bad input answers 4xx JSON naming the problem, never a 500 or an HTML page (the security probe's cases)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from findings.models import FrameFinding
from masks.models import Mask
from tags.models import Tag

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


@pytest.fixture
def safe_api(api) -> Client:
    """The token client, answering server errors as responses (a 500 fails the assertion, not the test run)."""
    api.raise_request_exception = False
    return api


def json_routes(sequence, mask) -> list[tuple[str, str]]:
    finding = FrameFinding.objects.create(
        sequence=sequence, tag=Tag.objects.exclude(kind="pathology").first(), first_index=0, last_index=0
    )
    return [
        ("post", "/generate_mask/"),
        ("post", "/extrapolate_masks/"),
        ("post", f"/api/masks/{mask.id}/pixels/"),
        ("post", f"/api/masks/{mask.id}/review/"),
        ("post", f"/api/sequences/{sequence.id}/findings/"),
        ("patch", f"/api/findings/{finding.id}/"),
        ("post", f"/api/sequences/{sequence.id}/embeddings/"),
        ("post", f"/api/sequences/{sequence.id}/status/"),
    ]


@pytest.fixture
def mask(sequence):
    import numpy as np

    from masks.services import save_mask

    frame = sequence.frames.get(index=0)
    pixels = np.zeros((frame.height, frame.width), bool)
    pixels[100:140, 150:200] = True
    return save_mask(frame=frame, tag=Tag.objects.get(name="Polyp"), color="#FF0000", mask=pixels)


def send(client: Client, method: str, url: str, body: bytes | str):
    return getattr(client, method)(url, body, content_type="application/json")


def assert_json_error(response, status: int | tuple[int, ...] = 400) -> str:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    message = response.json()["error"]
    assert message
    return message


@pytest.mark.parametrize(
    "body, says",
    [
        ("[" * 100_000 + "]" * 100_000, "nests deeper"),
        ('{"a":' * 40 + "1" + "}" * 40, "nests deeper"),
        ('{"sequence_id": 1e400}', "out of range"),
        ('{"sequence_id": -1e400}', "out of range"),
        ('{"sequence_id": NaN}', "NaN"),
        ('{"sequence_id": Infinity}', "Infinity"),
        ('{"sequence_id": ' + "7" * 5000 + "}", "out of range"),
        ('{"sequence_id": 1' + "0" * 30 + "}", "out of range"),
        ('{"note": "\\ud800"}', "not valid Unicode"),
        ('{"points": [{"x": 1e400, "y": 2, "sign": "+"}]}', "out of range"),
    ],
)
def test_every_json_endpoint_refuses_hostile_bodies_with_400_json(safe_api, sequence, mask, body, says):
    for method, url in json_routes(sequence, mask):
        message = assert_json_error(send(safe_api, method, url, body))
        assert says in message, (url, message)


def test_lone_surrogate_in_a_finding_note_is_refused_and_nothing_is_stored(safe_api, sequence):
    tag = Tag.objects.exclude(kind="pathology").first()
    body = '{"tag_id": ' + str(tag.id) + ', "first_index": 0, "note": "bleeding \\ud800 here"}'
    assert_json_error(send(safe_api, "post", f"/api/sequences/{sequence.id}/findings/", body))
    assert not FrameFinding.objects.exists()


def test_frame_index_beyond_64_bits_is_refused(safe_api, sequence):
    tag = Tag.objects.exclude(kind="pathology").first()
    body = json.dumps({"tag_id": tag.id, "first_index": 10**30})
    assert "out of range" in assert_json_error(send(safe_api, "post", f"/api/sequences/{sequence.id}/findings/", body))
    body = json.dumps({"frame_index": 10**30, "direction": 1})
    assert_json_error(send(safe_api, "post", f"/api/sequences/{sequence.id}/embeddings/", body))


@pytest.mark.parametrize("value", [HUGE, "²", "١", "-1", "1.5", "0x10", " ", "1;2"])
def test_query_string_ids_that_are_not_ids_answer_400(safe_api, sequence, value):
    for url in (
        f"/api/sequences/{sequence.id}/masks/?frame_id={value}",
        f"/api/sequences/{sequence.id}/masks/?tag_id={value}",
        f"/api/sequences/{sequence.id}/findings/?frame={value}",
        f"/api/sequences/{sequence.id}/embeddings/?frame_ids={value},1",
    ):
        assert_json_error(safe_api.get(url))


def test_ids_in_the_path_beyond_64_bits_answer_404_json(safe_api, sequence):
    for url in (f"/api/masks/{HUGE}/", f"/api/sequences/{HUGE}/masks/", f"/api/findings/{HUGE}/"):
        assert_json_error(safe_api.get(url), 404)


def test_annotation_page_ignores_a_frame_number_it_cannot_read(client_logged_in, sequence):
    client_logged_in.raise_request_exception = False
    for value in ("²", HUGE, "-3"):
        response = client_logged_in.get(f"/sequences/{sequence.id}/annotate/?frame={value}")
        assert response.status_code == 200, value


def test_body_over_the_memory_limit_answers_413_json(safe_api, client_logged_in, sequence, mask, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"png": "data:image/png;base64," + "A" * 2000})
    assert "larger than" in assert_json_error(send(safe_api, "post", f"/api/masks/{mask.id}/pixels/", body), 413)
    # a logged-in page's session whose CSRF check reads the form body first
    client_logged_in.raise_request_exception = False
    client_logged_in.cookies["csrftoken"] = "x" * 32  # so that the CSRF check reads the form's token
    response = client_logged_in.post(f"/api/masks/{mask.id}/review/", {"decision": "x" * 2000})
    assert_json_error(response, 413)


def test_too_many_prompt_points_are_refused_before_segmenting(safe_api, sequence, settings):
    frame = sequence.frames.get(index=0)
    body = {
        "sequence_id": sequence.id, "frame_id": frame.id, "tag_id": Tag.objects.get(name="Polyp").id,
        "points": [{"x": 10 + i % 300, "y": 10 + i % 200, "sign": "+"} for i in range(settings.MAX_PROMPT_POINTS + 1)],
    }
    message = assert_json_error(send(safe_api, "post", "/generate_mask/", json.dumps(body)))
    assert f"at most {settings.MAX_PROMPT_POINTS}" in message and "MAX_PROMPT_POINTS" in message
    assert not Mask.objects.exclude(pk__isnull=True).filter(frame=frame).exists()


def test_mask_pixels_declaring_a_huge_image_are_refused_from_the_header(safe_api, mask):
    """The probe's decompression bomb: a small PNG declaring 20000×20000 (1.2 GB decoded) is never decoded."""
    import base64

    from tests.sequences.test_import_limits import blank_png

    before = mask.file.name
    body = json.dumps({"png": "data:image/png;base64," + base64.b64encode(blank_png(20000, 20000)).decode()})
    message = assert_json_error(send(safe_api, "post", f"/api/masks/{mask.id}/pixels/", body))
    assert "MAX_FRAME_PIXELS" in message
    mask.refresh_from_db()
    assert mask.file.name == before
