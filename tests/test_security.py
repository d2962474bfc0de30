"""Security of the served pages: the Content-Security-Policy and what it forbids in templates and scripts, login
throttling (django-axes), password validation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "secret-pass-123"  # the `user` fixture's


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.django_db
def test_pages_carry_a_policy_that_refuses_inline_scripts_and_styles(client, user, sequence):
    client.force_login(user)
    for url in ["/login/", "/", f"/sequences/{sequence.id}/annotate/", "/admin/"]:
        directives = policy(client.get(url))
        assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"], url
        assert directives["default-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
        # frames and masks from /media/, mask previews and live frames as data: URLs; the API and the live stream
        assert directives["img-src"] == ["'self'", "data:"] and directives["connect-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]


def source_files() -> list[Path]:
    folders = [ROOT / "templates", ROOT / "static", *ROOT.glob("*/templates")]
    return sorted(p for folder in folders for p in folder.rglob("*") if p.suffix in {".html", ".js"})


@pytest.mark.parametrize("pattern, what", [
    (r"<script(?![^>]*\bsrc=)[^>]*>", "an inline <script> (move it to static/js/)"),
    (r"<[a-z][^>]*\son[a-z]+\s*=", "an inline event handler (use addEventListener in static/js/)"),
    (r"javascript:", "a javascript: URL"),
    (r"\sstyle\s*=", "a style attribute (use a class in static/css/, or set element.style from a script)"),
])
def test_templates_and_scripts_have_nothing_the_policy_would_block(pattern, what):
    """The browser test walks the main pages; this catches the same faults in every template and script."""
    found = [f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
             for path in source_files() for text in [path.read_text()] for m in re.finditer(pattern, text, re.I)]
    assert len(source_files()) > 10
    assert not found, f"{what} in {found}"


def log_in(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_the_login_after_the_failure_limit_is_refused_even_with_the_right_password(user, token, settings):
    settings.AXES_FAILURE_LIMIT = 3
    browser = Client()
    for _ in range(2):
        assert log_in(browser, "annotator", "wrong").status_code == 200  # the form again, with its error
    assert log_in(browser, "annotator", PASSWORD).status_code == 302  # under the limit: in, and the count is reset
    browser.post("/logout/")
    for _ in range(2):
        assert log_in(browser, "annotator", "wrong").status_code == 200
    assert log_in(browser, "annotator", "wrong").status_code == 429  # the 3rd failure starts the lockout
    refused = log_in(browser, "annotator", PASSWORD)  # the 4th attempt, N + 1 with N = 3
    assert refused.status_code == 429 and "Too many failed logins" in refused.content.decode()
    assert "_auth_user_id" not in browser.session

    # Another user from the same address is not locked out, nor are scripts with an API token.
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="colleague", password=PASSWORD)
    assert log_in(Client(), "colleague", PASSWORD).status_code == 302
    assert Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/tags/").status_code == 200


@pytest.mark.django_db
def test_the_lockout_ends_after_its_cool_off(user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = 0.0001  # hours: under half a second
    browser = Client()
    for _ in range(2):
        log_in(browser, "annotator", "wrong")
    assert log_in(browser, "annotator", PASSWORD).status_code == 429
    import time

    time.sleep(0.5)
    assert log_in(browser, "annotator", PASSWORD).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("password, reason", [
    ("annotator-1", "too similar to the username"),
    ("short1", "too short"),
    ("password123", "too common"),
    ("4815162342", "entirely numeric"),
])
def test_weak_passwords_are_refused(user, password, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_password(password, user=user)
    validate_password("mucosa-lesion-tracker", user=user)
