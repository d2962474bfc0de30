"""Several people writing at once on the embedded default (SQLite): no 500, no lost write, and a lock held
past the busy timeout answers 503 with Retry-After. Requests go through a real threaded server."""

from __future__ import annotations

import json
import sqlite3
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
from django.db import connection

from masks.models import Mask
from masks.services import save_mask
from masks.storage import absolute
from tags.models import Tag
from tags.taxonomy import install_default_tags

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="these tests are about SQLite's locking (the embedded default)"
)


@pytest.fixture
def tags(transactional_db):
    install_default_tags()  # a transactional test starts from a flushed database


def call(url: str, token: str, method: str, body: dict | None = None) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Token {token}", "Content-Type": "application/json",
    })
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), dict(error.headers)


def at_once(calls) -> list:
    """Run the callables in threads released together; their results in order."""
    results = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index, target):
        start.wait()
        results[index] = target()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return results


def masks_on(sequence, count: int) -> list[Mask]:
    polyp = Tag.objects.get(name="Polyp")
    made = []
    for index in range(count):
        frame = sequence.frames.get(index=index % sequence.frames.count())
        pixels = np.zeros((frame.height, frame.width), bool)
        pixels[20 + 10 * index: 60 + 10 * index, 40:120] = True
        made.append(save_mask(frame=frame, tag=polyp, color="#FF0000", mask=pixels))
    return made


def test_sqlite_is_used_in_wal_mode_with_immediate_transactions(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert connection.transaction_mode == "IMMEDIATE"


def test_ten_concurrent_deletes_all_succeed(tags, live_server, sequence, token):
    masks = masks_on(sequence, 10)
    answers = at_once([
        lambda m=m: call(f"{live_server.url}/api/masks/{m.id}/", token, "DELETE") for m in masks
    ])
    assert [status for status, _, _ in answers] == [200] * 10, answers
    assert not Mask.objects.exists()
    assert not any(absolute(m.file.name).exists() for m in masks)


def test_concurrent_pixel_edits_of_one_mask_each_land_whole(tags, live_server, sequence, token):
    import base64

    from masks.storage import mask_png_bytes, read_mask

    (mask,) = masks_on(sequence, 1)
    frame = mask.frame
    edits = []
    for k in range(6):
        pixels = np.zeros((frame.height, frame.width), bool)
        pixels[10 + 20 * k: 30 + 20 * k, 10:200] = True
        edits.append(pixels)
    bodies = [{"png": "data:image/png;base64," + base64.b64encode(mask_png_bytes(p)).decode()} for p in edits]
    answers = at_once([
        lambda b=b: call(f"{live_server.url}/api/masks/{mask.id}/pixels/", token, "POST", b) for b in bodies
    ])
    assert [status for status, _, _ in answers] == [200] * 6, answers
    mask.refresh_from_db()
    stored = read_mask(mask.file.name)
    assert any(np.array_equal(stored, p) for p in edits)  # one edit, whole: the last to commit
    assert mask.area == int(stored.sum())
    files = list(absolute(f"masks/{sequence.id}").rglob("*.png"))
    assert [f.name for f in files] == [absolute(mask.file.name).name]  # the others' files removed


def test_two_simultaneous_extrapolations_of_one_mask_answer_202_and_409(tags, live_server, sequence, token):
    (mask,) = masks_on(sequence, 1)
    body = {"mask_id": mask.id}
    answers = at_once([
        lambda: call(f"{live_server.url}/extrapolate_masks/", token, "POST", body) for _ in range(2)
    ])
    assert sorted(status for status, _, _ in answers) == [202, 409], answers
    conflict = next(answer for status, answer, _ in answers if status == 409)
    assert "already being extrapolated" in conflict["error"]


def test_a_lock_held_past_the_busy_timeout_answers_503_with_retry_after(tags, live_server, sequence, token):
    (mask,) = masks_on(sequence, 1)
    options = connection.settings_dict["OPTIONS"]
    timeout = options["timeout"]
    options["timeout"] = 0.3  # the server's threads open their connections with it
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer, holding the lock for longer than the timeout
        status, answer, headers = call(f"{live_server.url}/api/masks/{mask.id}/", token, "DELETE")
        assert status == 503 and headers["Retry-After"].isdigit() and "busy" in answer["error"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        options["timeout"] = timeout
    assert Mask.objects.filter(pk=mask.id).exists()  # nothing half-done: the delete did not happen
    assert call(f"{live_server.url}/api/masks/{mask.id}/", token, "DELETE")[0] == 200  # and the retry works


def test_a_page_hitting_a_held_lock_answers_a_503_page_not_a_500(tags, sequence, user):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(user)
    connection.ensure_connection()
    connection.connection.execute("PRAGMA busy_timeout = 300")
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        response = client.post(f"/sequences/{sequence.id}/status/", {"status": "done"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        connection.close()  # the next connection gets the configured timeout again
    assert response.status_code == 503 and response["Retry-After"].isdigit()
    assert "Nothing was changed" in response.content.decode()
    sequence.refresh_from_db()
    assert sequence.status != "done"
