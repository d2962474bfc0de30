"""Reaching the PostgreSQL and Redis servers that developers' machines and CI run, or skipping clearly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_HOST = os.environ.get("TEST_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("TEST_POSTGRES_PORT", "5432"))
POSTGRES_USER = os.environ.get("TEST_POSTGRES_USER", "postgres")


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    if not reachable(POSTGRES_HOST, POSTGRES_PORT):
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_HOST}:{POSTGRES_PORT} (set TEST_POSTGRES_HOST/PORT)")


def postgres_url(database: str) -> str:
    return f"postgres://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{database}"


class FreshDatabase:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""

    def __init__(self) -> None:
        import psycopg

        self.name = f"annotator_test_{uuid.uuid4().hex[:10]}"
        self._admin = psycopg.connect(postgres_url("postgres"), autocommit=True)
        self._admin.execute(f'CREATE DATABASE "{self.name}"')
        self.url = postgres_url(self.name)

    def drop(self) -> None:
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.close()


def manage(*args: str, env: dict[str, str], timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a child process with extra environment (its own DATABASE_URL, MEDIA_ROOT, ...)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**os.environ, **env},
        capture_output=True, text=True, timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result
