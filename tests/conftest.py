"""Fixtures shared by every test: an isolated MEDIA_ROOT, users, tokens, a generated sequence, a tiny SAM."""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import pytest
from django.test import Client

from accounts.models import ApiToken
from accounts.roles import MANAGER, assign_role
from sequences.services import import_sequence
from sequences.synthetic import make_sequence
from tags.models import Tag

SHARED = Path(__file__).resolve().parents[2] / "shared"


# A test that needs one of these is slow wherever it is: a trained network, the tiny SAM, a live server.
SLOW_FIXTURES = {"short_run", "trained", "tiny_sam_checkpoint", "live_server"}


def pytest_collection_modifyitems(items):
    """Mark slow, beside the tests marked by hand, every browser test and every test needing a slow fixture:
    ``-m "not slow"`` leaves them all out."""
    for item in items:
        if item.get_closest_marker("browser") or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """SQLite's test database in a file rather than in memory, so that threads other than the test's
    (the browser tests' live server, a job worker) see the same data through their own connections."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Every test writes its frames, masks and caches into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SAM_EMBEDDING_CACHE_DIR = tmp_path / "media" / "cache" / "embeddings"
    settings.SAM_CHECKPOINT = ""
    settings.MEDIA_ROOT.mkdir()
    # Password hashing is deliberately slow; tests log in often and need no protection.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


@pytest.fixture
def user(django_user_model):
    """The user most tests act as: a manager, whose role holds every write (tests/accounts/ try each role)."""
    user = django_user_model.objects.create_user(username="annotator", password="secret-pass-123")
    assign_role(user=user, role=MANAGER)
    return user


@pytest.fixture
def polyp(db) -> Tag:
    return Tag.objects.get(name="Polyp")


@pytest.fixture
def blur(db) -> Tag:
    return Tag.objects.get(name="Blur")


@pytest.fixture
def client_logged_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.fixture
def token(user) -> str:
    _, key = ApiToken.issue(user=user, name="tests")
    return key


@pytest.fixture
def api(token) -> Client:
    """A client authenticated the way scripts are: ``Authorization: Token <key>``."""
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def write_frames(folder: Path, images, prefix: str = "frame_") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(images):
        cv2.imwrite(str(folder / f"{prefix}{index}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return folder


@pytest.fixture(scope="session")
def synthetic():
    """Six generated 384×288 endoscopy-like frames and their lesion masks."""
    return make_sequence(count=6, seed=3)


@pytest.fixture
def sequence(synthetic, user, db):
    images, _ = synthetic
    with tempfile.TemporaryDirectory() as folder:
        report = import_sequence(
            source=write_frames(Path(folder), images), name="Synthetic", procedure="colonoscopy", created_by=user
        )
    return report.sequence


@pytest.fixture(scope="session")
def tiny_sam_checkpoint(tmp_path_factory) -> Path:
    from tests.tiny_sam import build_tiny_sam_checkpoint

    return build_tiny_sam_checkpoint(tmp_path_factory.mktemp("sam") / "tiny_sam.pth")


@pytest.fixture
def sam_settings(settings, tiny_sam_checkpoint):
    """Configure the application to use the tiny SAM, through the real loading path."""
    settings.SAM_CHECKPOINT = str(tiny_sam_checkpoint)
    settings.SAM_MODEL_TYPE = "vit_b"
    settings.SAM_DEVICE = "cpu"
    return settings


def run_worker_until_idle() -> None:
    """Run the queue's real database worker in this process until no task is left.

    The worker closes "old" database connections between tasks, which inside a test's transaction
    would close the test's own connection; in this process that hygiene is switched off.
    """
    from unittest import mock

    from django.core.management import call_command

    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command(
            "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--queue-name", "*", "--interval", "0",
            verbosity=0,
        )
