"""A long import writes its frames in short transactions: other writers are never locked out, the sequence is
hidden until complete, and a failure midway leaves no row and no file."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from django.db import OperationalError, connection

from sequences import services
from sequences.models import Frame, FrameSequence
from sequences.services import import_sequence
from tests.conftest import write_frames

pytestmark = pytest.mark.django_db(transaction=True)

FRAMES = 160  # three full batches and a part


def slowed_store(monkeypatch, seconds: float, fail_at: int | None = None) -> None:
    """Each frame takes ``seconds`` longer to store (a large frame would), optionally failing at one index."""
    original = services._store_frame

    def store(sequence, index, frame, root):
        if index == fail_at:
            raise OSError("disk full")
        time.sleep(seconds)
        return original(sequence, index, frame, root)

    monkeypatch.setattr(services, "_store_frame", store)


class OtherUser(threading.Thread):
    """Saves a row again and again through its own connection, as another annotator's request would; a write
    waiting more than ``patience`` seconds for the lock fails with 'database is locked'."""

    def __init__(self, sequence_id: int, patience: float = 0.5) -> None:
        super().__init__()
        self.sequence_id, self.patience = sequence_id, patience
        self.done = threading.Event()
        self.errors: list[str] = []
        self.waits: list[float] = []
        self.saw_import_running = self.saw_it_listed = False

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(self.patience * 1000)}")
            number = 0
            while not self.done.is_set():
                started = time.monotonic()
                try:
                    FrameSequence.objects.filter(pk=self.sequence_id).update(description=f"save {number}")
                except OperationalError as exc:
                    self.errors.append(str(exc))
                self.waits.append(time.monotonic() - started)
                if FrameSequence.all_objects.filter(name="Long", importing=True).exists():
                    self.saw_import_running = True
                    # importing=True in the same query: the import may finish between the two reads
                    self.saw_it_listed |= FrameSequence.objects.filter(name="Long", importing=True).exists()
                number += 1
                time.sleep(0.02)
        finally:
            connection.close()


def test_other_writers_are_not_locked_out_while_a_long_import_runs(tmp_path, monkeypatch):
    other = FrameSequence.objects.create(name="Other")
    folder = write_frames(tmp_path / "long", [np.full((48, 64, 3), i % 250, np.uint8) for i in range(FRAMES)])
    slowed_store(monkeypatch, 0.01)
    user = OtherUser(other.id)
    user.start()
    try:
        started = time.monotonic()
        report = import_sequence(source=folder, name="Long")
        elapsed = time.monotonic() - started
    finally:
        user.done.set()
        user.join()
    assert user.errors == []
    assert elapsed > 1.5 and len(user.waits) > 20
    assert max(user.waits) < 0.4
    assert user.saw_import_running and not user.saw_it_listed
    assert report.frame_count == FRAMES and not FrameSequence.objects.get(name="Long").importing
    assert FrameSequence.objects.get(pk=other.id).description.startswith("save ")


def test_failure_midway_leaves_no_sequence_no_frame_and_no_file(tmp_path, media_root, monkeypatch):
    folder = write_frames(tmp_path / "long", [np.full((48, 64, 3), i, np.uint8) for i in range(FRAMES)])
    slowed_store(monkeypatch, 0, fail_at=FRAMES - 10)
    with pytest.raises(OSError, match="disk full"):
        import_sequence(source=folder, name="Interrupted")
    assert not FrameSequence.all_objects.exists()
    assert not Frame.objects.exists()
    assert not list(media_root.rglob("*.*"))


def test_sequences_still_importing_are_hidden_from_pages_and_the_api(client, api, user):
    done = FrameSequence.objects.create(name="Complete")
    hidden = FrameSequence.all_objects.create(name="Half imported", importing=True)
    client.force_login(user)
    assert "Half imported" not in client.get("/").content.decode()
    assert client.get(f"/sequences/{hidden.id}/").status_code == 404
    names = [s["name"] for s in api.get("/api/sequences/").json()["sequences"]]
    assert names == [done.name]
    assert api.get(f"/api/sequences/{hidden.id}/frames/").status_code == 404
