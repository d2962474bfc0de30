"""The PostgreSQL configuration (DATABASE_URL), for real, against the local server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.servers import ROOT, FreshDatabase, manage, postgres_url, require_postgres

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_postgres():
    require_postgres()
    database = FreshDatabase()
    yield database
    database.drop()


def test_migrate_installs_taxonomy_and_demo_on_postgresql(fresh_postgres, tmp_path):
    env = {"DATABASE_URL": fresh_postgres.url, "MEDIA_ROOT": str(tmp_path / "media")}
    manage("migrate", "--no-input", env=env)
    manage("setup_demo", "--frames", "3", env=env)
    out = manage(
        "shell", "--verbosity", "0", "-c",
        "from tags.models import Tag; from sequences.models import Frame; from django.db import connection; "
        "print(connection.vendor, Tag.objects.count() > 40, Frame.objects.count())",
        env=env,
    ).stdout.split()
    assert out == ["postgresql", "True", "3"]


def test_api_and_import_tests_pass_on_postgresql():
    """The API and import suites, run again with their test database on PostgreSQL."""
    require_postgres()
    name = f"annotator_{os.getpid()}"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/masks/test_api.py", "tests/sequences/test_import.py"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": postgres_url(name)},
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]
