"""Browser journeys: Playwright driving Debian's Chromium against pytest-django's live server.

One browser for the whole session (a new context per test). The live server runs in a thread on the
test database, so these tests use transactional_db: the data they build is committed, its on-commit
hooks run (search indexing) and the server thread sees it. Documents go to the real S3 test server,
search to a tantivy index under tmp_path. Screenshots go to the test's tmp dir, or to docs/screenshots/
when DOSSIER_UPDATE_SCREENSHOTS=1.

We never run `playwright install`: the browser is Debian's (`apt-get install chromium fonts-noto-cjk`,
which the session fixture below does when it is missing and we are root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
APT_PACKAGES = ("chromium", "fonts-noto-cjk")
REPO = Path(__file__).resolve().parents[2]

# Playwright's sync API keeps an asyncio loop running in this thread; Django's ORM (used by the test's
# own set-up, not by the browser) would refuse to run beside it. The ORM calls here are ordinary
# synchronous test code, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _cjk_font_installed() -> bool:
    return Path("/usr/share/fonts/opentype/noto").exists() and any(
        "CJK" in path.name for path in Path("/usr/share/fonts/opentype/noto").glob("*"))


@pytest.fixture(scope="session")
def debian_chromium() -> str:
    """Debian's Chromium and the Noto CJK fonts; installed with apt-get when missing and we are root."""
    if not (Path(CHROMIUM).exists() and _cjk_font_installed()):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
            subprocess.run(["apt-get", "install", "-y", "-qq", *APT_PACKAGES], check=True, env=env,
                           stdout=subprocess.DEVNULL)
        else:
            pytest.fail(f"{CHROMIUM} or the Noto CJK fonts are missing: apt-get install -y {' '.join(APT_PACKAGES)}")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(debian_chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=debian_chromium, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_backends(settings, s3_server, tmp_path):
    """The live server's documents on a fresh S3 bucket, its search on a fresh tantivy index."""
    from indexing.engine import search_backend

    settings.STORAGE_URL = s3_server.url_for_bucket(f"browser-{uuid.uuid4().hex[:12]}")
    settings.SEARCH_URL = f"tantivy://{tmp_path / 'search'}"
    backend = search_backend()
    yield
    backend.close()


def wait_for_live_server_requests(timeout: float = 3.0) -> None:
    """Wait until the live server has no request left in hand. A page can still be fetching (a preview's
    images, a thumbnail) when a journey ends; its request runs on in a server thread after the browser is
    closed, and the database flush at the test's end then deadlocks with its transaction. A connection the
    browser keeps open also holds a thread, idle: hence the short bound."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture
def world(transactional_db, live_backends):
    from tests.web.world import build_world

    yield build_world()
    wait_for_live_server_requests()  # before transactional_db flushes the tables


@pytest.fixture
def shots(tmp_path):
    """shots(page, name): a full-page PNG, kept in docs/screenshots/ when DOSSIER_UPDATE_SCREENSHOTS=1."""
    target = REPO / "docs" / "screenshots" if os.environ.get("DOSSIER_UPDATE_SCREENSHOTS") == "1" else tmp_path

    def take(page, name: str, full_page: bool = True) -> Path:
        path = target / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def open_as(browser, live_server):
    """open_as(username, language): a signed-in page in a fresh browser context (signed in through the form),
    showing the interface in `language`."""
    contexts = []

    def sign_in(username: str, language: str = "en", password: str = "pw-for-tests"):
        context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                                      locale="zh-CN" if language.startswith("zh") else "en-US")
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/signin/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        # signing in switches to the person's own language; the journey asked for this one
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        return page

    yield sign_in
    for context in contexts:
        context.close()
    wait_for_live_server_requests()
