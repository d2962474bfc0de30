"""Production settings: safe defaults, every setting documented, `check --deploy` passing with the production example,
and the production server's configuration."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / ".env.example"
PRODUCTION_EXAMPLE = ROOT / ".env.production.example"


def documented(example: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in example.read_text().splitlines() if re.match(r"[A-Z_]+=", line))


def run_with(env_file: Path, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``args`` in a child process that reads its settings from ``env_file`` alone: the application's settings
    module (not the test suite's) and none of the settings this process has in its environment."""
    # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests in this process (Playwright's loop); never in deployment
    names = set(documented(EXAMPLE)) | {"SECRET_KEY", "DEBUG", "ENV_FILE", "DJANGO_SETTINGS_MODULE",
                                        "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(DJANGO_SETTINGS_MODULE="annotator.settings", ENV_FILE=str(env_file), **(extra or {}))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_check_deploy_passes_with_the_production_example(tmp_path):
    """The example as an operator fills it in: a generated SECRET_KEY, nothing else changed."""
    text = PRODUCTION_EXAMPLE.read_text()
    assert re.search(r"^SECRET_KEY=$", text, re.M), "the example must not carry a usable key"
    env_file = tmp_path / "production.env"
    env_file.write_text(re.sub(r"^SECRET_KEY=$", f"SECRET_KEY={secrets.token_urlsafe(50)}", text, flags=re.M))
    result = run_with(env_file, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_check_deploy_fails_with_the_local_defaults(tmp_path):
    env_file = tmp_path / "local.env"
    env_file.write_text("DEBUG=True\n")
    result = run_with(env_file, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for check in ["security.W004", "security.W008", "security.W009", "security.W012", "security.W016",
                  "security.W018"]:
        assert check in result.stderr + result.stdout, check


def test_debug_is_off_unless_set_and_there_is_no_default_secret_outside_it(tmp_path):
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    refused = run_with(env_file, "manage.py", "check")
    assert refused.returncode != 0 and "SECRET_KEY is not set" in refused.stderr

    show = "-c", "from annotator import settings; print(settings.DEBUG, settings.SECRET_KEY)"
    assert run_with(env_file, *show, extra={"SECRET_KEY": "k" * 50}).stdout.split() == ["False", "k" * 50]
    env_file.write_text("DEBUG=True\n")  # a developer's own machine: a key that `check --deploy` flags
    assert run_with(env_file, *show).stdout.split() == ["True", "django-insecure-local-debug-only"]


def test_every_setting_read_is_documented_in_the_example():
    read = set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z_]+)["']""", (ROOT / "annotator" / "settings.py").read_text()))
    assert {"DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "LOGIN_FAILURE_LIMIT", "WEB_WORKERS"} <= read
    missing = read - set(documented(EXAMPLE)) - {"ENV_FILE"}  # ENV_FILE names the file: documented in its header
    assert not missing, f"settings read but not documented in .env.example: {sorted(missing)}"
    assert "ENV_FILE" in EXAMPLE.read_text()
    assert set(documented(PRODUCTION_EXAMPLE)) <= set(documented(EXAMPLE))


def test_gunicorn_serves_with_threads_from_the_settings(tmp_path):
    """The live page's stream holds a thread while it plays: gthread workers, sized by the settings."""
    env_file = tmp_path / "serve.env"
    env_file.write_text("SECRET_KEY=" + "k" * 50 + "\nSERVE_ADDRESS=127.0.0.1:9123\nWEB_WORKERS=4\nWEB_THREADS=6\n")
    script = ("import runpy; c = runpy.run_path('gunicorn.conf.py');"
              "print(c['wsgi_app'], c['bind'], c['workers'], c['worker_class'], c['threads'])")
    result = run_with(env_file, "-c", script)
    assert result.stdout.split() == ["annotator.wsgi:application", "['127.0.0.1:9123']", "4", "gthread", "6"], (
        result.stderr)


@pytest.mark.django_db
def test_static_files_are_served_by_whitenoise_with_hashed_names(settings, tmp_path):
    """What gunicorn serves in production: collectstatic's compressed, content-hashed files, through WhiteNoise."""
    from django.core.management import call_command
    from django.templatetags.static import static
    from django.test import Client
    from django.test.utils import override_settings

    manifest = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    with override_settings(STATIC_ROOT=tmp_path / "static",
                           STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": manifest}}):
        call_command("collectstatic", "--no-input", verbosity=0)
        url = static("js/annotate.js")
        assert re.fullmatch(r"/static/js/annotate\.[0-9a-f]{12}\.js", url)
        # WhiteNoise reads STATIC_ROOT when the middleware starts: a new client starts a new middleware chain.
        response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
        assert "immutable" in response["Cache-Control"]
