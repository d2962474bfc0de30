"""A real browser: Debian's headless Chromium driven by Playwright, against pytest-django's live server, or against
the production server ./scripts/test-production started (BROWSER_TESTS_SERVER). Every page a test opens is held to
the Content-Security-Policy: a violation fails the test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.test.utils import override_settings

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it are
# ordinary synchronous calls, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


# The production server's URL. This process then shares the server's settings (the same ENV_FILE): the rows and
# files a test makes are those the server reads.
SERVER = os.environ.get("BROWSER_TESTS_SERVER", "").rstrip("/")


class ProductionServer:
    """Stands where pytest-django's live server would: the server ./scripts/test-production started."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._live_server_modified_settings = override_settings()  # pytest-django enables and disables it


if SERVER:
    @pytest.fixture(scope="session")
    def django_db_setup():
        """The server's own database, which scripts/serve migrated, used as it is (emptied after each test)."""

    @pytest.fixture
    def live_server():
        return ProductionServer(SERVER)

    @pytest.fixture(autouse=True)
    def media_root(settings):
        """The server's MEDIA_ROOT, so that the server finds the frames a test imports; passwords are hashed the way
        the server checks them."""
        settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
        settings.SAM_CHECKPOINT = ""
        return settings.MEDIA_ROOT


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed (scripts/test installs Debian's chromium); set CHROMIUM_PATH.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def taxonomy(transactional_db):
    """Browser tests run on a flushed database (the live server needs committed data): tags again."""
    from tags.taxonomy import install_default_tags

    install_default_tags()


@pytest.fixture
def csp_violations() -> list[str]:
    """What the Content-Security-Policy refused on the test's pages (directive, what was blocked, where)."""
    return []


@pytest.fixture
def page(browser, csp_violations):
    # The production server in CI speaks HTTPS with a certificate made for the run.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, ignore_https_errors=bool(SERVER))
    context.expose_function("reportViolation", lambda text: csp_violations.append(text))
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation("
        "`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || e.documentURI}:"
        "${e.lineNumber}`));"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: "Content Security Policy" in msg.text and csp_violations.append(msg.text))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not csp_violations, f"The Content-Security-Policy refused: {csp_violations}"


@pytest.fixture
def screenshot(page):
    """Save a screenshot of the page as a test artefact under test-artifacts/."""

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take


def log_in(page, live_server, username: str, password: str, next_url: str = "/") -> None:
    page.goto(f"{live_server.url}{next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
