"""Importing a long video while people save masks: errors, lost writes and timings.

Runs in a temporary SQLite database and MEDIA_ROOT (migrated here, removed at the end), with the configured
database options (journal mode, transaction mode, busy timeout). A generated video is imported in one thread
while ``--users`` threads, each with its own database connection like the server's request threads, save masks
through the JSON API (``POST /generate_mask/`` with a token) on another sequence until the import ends. A lost
write is a save answered with a mask id that is not in the database (or whose file is missing) afterwards.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import threading
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import override_settings

from accounts.models import ApiToken
from accounts.roles import ANNOTATOR, MANAGER, assign_role
from masks.models import Mask
from sequences.services import import_sequence
from sequences.synthetic import make_sequence
from tags.models import Tag

DISTINCT_FRAMES = 40  # generated once, then shifted: the import's cost does not depend on the pixels


class Command(BaseCommand):
    help = "Import a generated video while simulated users save masks through the API; print errors and timings."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--frames", type=int, default=1000, help="Frames of the imported video.")
        parser.add_argument("--users", type=int, default=3, help="Users saving masks while it imports.")
        parser.add_argument("--think", type=float, default=0.1, help="Seconds each user waits between saves.")
        parser.add_argument("--no-deidentify", dest="deidentify", action="store_false")
        parser.add_argument(
            "--one-transaction", action="store_true",
            help="For comparison: the whole import in one transaction, as imports were written before batches.",
        )

    def handle(self, *args, frames: int, users: int, think: float, deidentify: bool, one_transaction: bool,
               **options):
        database = settings.DATABASES["default"]
        if not database["ENGINE"].endswith("sqlite3"):
            raise CommandError("This benchmark measures SQLite's locking; the configured database is not SQLite.")
        workdir = Path(tempfile.mkdtemp(prefix="benchmark-concurrency-"))
        configured_name = database["NAME"]
        connections.close_all()
        database["NAME"] = str(workdir / "benchmark.sqlite3")
        try:
            with override_settings(MEDIA_ROOT=workdir / "media", SAM_CHECKPOINT="",
                                   SAM_EMBEDDING_CACHE_DIR=workdir / "media" / "cache"):
                self.run(workdir, frames=frames, users=users, think=think, deidentify=deidentify,
                         one_transaction=one_transaction)
        finally:
            connections.close_all()
            database["NAME"] = configured_name
            shutil.rmtree(workdir, ignore_errors=True)

    def run(self, workdir: Path, *, frames: int, users: int, think: float, deidentify: bool,
            one_transaction: bool) -> None:
        self.stdout.write(f"Temporary database and media in {workdir}; migrating…")
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        self.stdout.write(f"SQLite journal mode {journal}, options {settings.DATABASES['default'].get('OPTIONS')}")
        people = get_user_model()
        manager = people.objects.create_user(username="importer")
        assign_role(user=manager, role=MANAGER)
        images, _ = make_sequence(count=DISTINCT_FRAMES, seed=7)
        target_folder = workdir / "target"
        target_folder.mkdir()
        for index, image in enumerate(images[:10]):
            cv2.imwrite(str(target_folder / f"{index}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        target = import_sequence(source=target_folder, name="Annotated", created_by=manager).sequence
        target_frames = list(target.frames.values_list("id", flat=True))
        tag = Tag.objects.filter(is_active=True).first()
        video = write_video(workdir / "procedure.avi", images, frames)
        self.stdout.write(f"Generated {frames}-frame video ({video.stat().st_size / 1024**2:.1f} MB).")

        clients = []
        for number in range(users):
            user = people.objects.create_user(username=f"annotator{number}")
            assign_role(user=user, role=ANNOTATOR)
            _, key = ApiToken.issue(user=user, name="benchmark")
            clients.append(Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_HOST="localhost"))
        importing = threading.Event()
        importing.set()
        savers = [
            Saver(client, target.id, target_frames, tag.id, importing, think, seed=number)
            for number, client in enumerate(clients)
        ]
        for saver in savers:
            saver.start()
        while not all(saver.saves for saver in savers):  # each user's first save warms the segmenter up
            time.sleep(0.05)
        started = time.monotonic()
        import_error = ""
        try:
            with transaction.atomic() if one_transaction else nullcontext():
                report = import_sequence(source=video, name="Long video", created_by=manager, deidentify=deidentify)
                imported = report.frame_count
        except Exception as exc:  # reported, not raised: the figure is what happened
            import_error, imported = f"{type(exc).__name__}: {exc}", 0
        import_seconds = time.monotonic() - started
        importing.clear()
        for saver in savers:
            saver.join()

        saves = [s[1:] for saver in savers for s in saver.saves if s[0] >= started]
        ok_ids = [mask_id for _, status, mask_id in saves if mask_id is not None]
        stored = set(Mask.objects.filter(id__in=ok_ids).values_list("id", flat=True))
        missing_files = sum(
            1 for name in Mask.objects.filter(id__in=stored).values_list("file", flat=True)
            if not (Path(settings.MEDIA_ROOT) / name).is_file()
        )
        lost = len(ok_ids) - len(stored) + missing_files
        statuses = Counter(status for _, status, _ in saves)
        errors = [s for s in saves if s[2] is None]
        latencies = sorted(seconds for seconds, _, _ in saves)
        self.stdout.write("")
        self.stdout.write(f"import: {imported} frames in {import_seconds:.1f} s "
                          f"({imported / max(import_seconds, 1e-9):.1f} frames/s), de-identified: {deidentify}, "
                          f"{'one transaction' if one_transaction else 'batches'}"
                          + (f", FAILED: {import_error}" if import_error else ""))
        self.stdout.write(f"saves by {users} users during the import: {len(saves)}, statuses {dict(statuses)}")
        self.stdout.write(f"errors: {len(errors)}; lost writes: {lost}")
        if latencies:
            self.stdout.write(
                f"save latency: p50 {1000 * statistics.median(latencies):.0f} ms, "
                f"p95 {1000 * latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms, max {1000 * latencies[-1]:.0f} ms"
            )
        for _, status, _ in errors[:5]:
            self.stdout.write(f"  error: {status}")


class Saver(threading.Thread):
    """One person saving masks: a + click on a random frame of the sequence, again and again."""

    def __init__(self, client: Client, sequence_id: int, frame_ids: list[int], tag_id: int,
                 running: threading.Event, think: float, seed: int) -> None:
        super().__init__()
        self.client, self.sequence_id, self.frame_ids, self.tag_id = client, sequence_id, frame_ids, tag_id
        self.running, self.think = running, think
        self.random = random.Random(seed)
        # (started at, seconds, status, saved mask id or None)
        self.saves: list[tuple[float, float, str, int | None]] = []

    def run(self) -> None:
        try:
            while self.running.is_set():
                body = {
                    "sequence_id": self.sequence_id, "frame_id": self.random.choice(self.frame_ids),
                    "tag_id": self.tag_id,
                    "points": [{"x": self.random.randint(120, 260), "y": self.random.randint(90, 200), "sign": "+"}],
                }
                started = time.monotonic()
                try:
                    response = self.client.post("/generate_mask/", body, content_type="application/json")
                    status = str(response.status_code)
                    mask_id = response.json().get("id") if response.status_code in (200, 201) else None
                    if mask_id is None:
                        status += f" {response.content[:200]!r}"
                except Exception as exc:
                    status, mask_id = f"{type(exc).__name__}: {exc}", None
                self.saves.append((started, time.monotonic() - started, status, mask_id))
                time.sleep(self.think)
        finally:
            connection.close()


def write_video(path: Path, images: list[np.ndarray], count: int) -> Path:
    """``count`` frames cycling through ``images`` (RGB), shifted a little each cycle, as an MJPEG AVI."""
    height, width = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (width, height))
    for index in range(count):
        image = np.roll(images[index % len(images)], index // len(images), axis=1)
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    writer.release()
    return path
