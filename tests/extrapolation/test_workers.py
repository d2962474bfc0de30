"""Real worker processes: a worker killed mid-job (failed by the next worker), and two workers sharing one
PostgreSQL queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.servers import ROOT, FreshDatabase, manage, require_postgres

pytestmark = pytest.mark.slow

MAKE_KEYFRAME = """
from masks.services import generate_mask
from masks.segmentation.base import Click
from sequences.models import Frame
from sequences.synthetic import lesion_path
from tags.models import Tag
frame = Frame.objects.get(sequence__name__startswith="Demo", index={index})
x, y, _ = lesion_path({index}, {count}, frame.height, frame.width)
mask = generate_mask(frame=frame, tag=Tag.objects.get(name="{tag}"), color="#FF0000", points=[Click(x, y, True)])
print(mask.id)
"""

JOB_STATE = """
from extrapolation.models import ExtrapolationJob as J
for job in J.objects.order_by("created_at"):
    print(job.id, job.state, job.done, job.attempts, job.error)
"""

CHECK = """
from pathlib import Path
from django.conf import settings
from extrapolation.models import ExtrapolationJob
from masks.models import Mask
from masks.storage import absolute
job = ExtrapolationJob.objects.get()
print(job.state)
print(job.error)
names = set(Mask.objects.values_list("file", flat=True))
print(all(absolute(name).is_file() for name in names))
root = Path(settings.MEDIA_ROOT)
files = {path.relative_to(root).as_posix() for path in (root / "masks").rglob("*.png")}
print(sorted(files - names))
from django_tasks_db.models import DBTaskResult
print([task.status for task in DBTaskResult.objects.all()])
"""


def shell(code: str, env: dict[str, str]) -> str:
    return manage("shell", "--verbosity", "0", "-c", code, env=env).stdout.strip()


def start_worker(env: dict[str, str], *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload", "--no-startup-delay",
         "--interval", "0.2", *extra],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def jobs(env) -> list[list[str]]:
    return [line.split() for line in shell(JOB_STATE, env).splitlines()]


def queue_demo_jobs(env: dict[str, str], frames: int, keyframes: list[tuple[int, str]]) -> list[str]:
    manage("migrate", "--no-input", env=env)
    manage("setup_demo", "--frames", str(frames), env=env)
    ids = []
    for index, tag in keyframes:
        mask_id = shell(MAKE_KEYFRAME.format(index=index, count=frames, tag=tag), env)
        ids.append(manage("extrapolate", mask_id, env=env).stdout.strip())
    return ids


def test_worker_killed_mid_job_leaves_it_failed_and_storage_consistent(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "MEDIA_ROOT": str(tmp_path / "media"),
           "JOB_STALE_SECONDS": "3"}
    (job_id,) = queue_demo_jobs(env, 120, [(0, "Polyp")])
    worker = start_worker(env)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            state = jobs(env)[0]
            if state[1] == "running" and int(state[2]) >= 3:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"the job did not get going: {jobs(env)}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert jobs(env)[0][1] == "running"  # nobody has noticed yet
    # Reading the job's state (as its page does) changes nothing: the workers fail a job whose worker died.
    time.sleep(3.5)
    assert jobs(env)[0][1] == "running"
    reaper = start_worker(env)  # idle: no task is left to run; it notices the dead worker's job
    try:
        deadline = time.monotonic() + 60
        while jobs(env)[0][1] == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        reaper.terminate()
        reaper.wait(timeout=30)
    report = shell(CHECK, env).splitlines()
    assert report[0] == "failed" and "stopped reporting" in report[1], report
    assert report[2] == "True"  # no row without its file
    assert report[3] == "[]"  # no file without its row
    assert report[4] == "['FAILED']"  # the queue's own row is reconciled too, not left RUNNING
    assert jobs(env)[0][0] == job_id


def test_two_workers_on_postgresql_run_each_job_once(tmp_path):
    require_postgres()
    database = FreshDatabase()
    try:
        env = {"DATABASE_URL": database.url, "MEDIA_ROOT": str(tmp_path / "media")}
        queued = queue_demo_jobs(env, 24, [(0, "Polyp"), (12, "Ulcer")])
        workers = [start_worker(env, "--batch"), start_worker(env, "--batch")]
        for worker in workers:
            assert worker.wait(timeout=300) == 0
        states = jobs(env)
        assert sorted(row[0] for row in states) == sorted(queued)
        assert all(row[1] == "succeeded" and row[3] == "1" for row in states), states  # none ran twice
        tasks = shell(
            "from django_tasks_db.models import DBTaskResult as T; print(T.objects.count(),"
            " T.objects.filter(status='SUCCESSFUL').count())", env,
        )
        assert tasks == "2 2"
    finally:
        database.drop()
