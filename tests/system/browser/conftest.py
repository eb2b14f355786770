"""Browser tests: Playwright drives Debian's Chromium against a live server.

The live server is our own session-wide thread, not pytest-django's `live_server`: that one
forces transactional tests, whose flush after each test would wipe the curated catalogue that
tests/conftest.py loads once for the whole session. Browser tests are ordinary `django_db`
tests (rolled back); the server reads the committed catalogue, and the few rows a test must
show are written with `committed()` and removed by that test's fixture, so the browser tests
and the other tests run in any order.

Without /usr/bin/chromium the tests skip with a message; with REQUIRE_BROWSER=1 (CI) they fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = settings.BASE_DIR / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}; REQUIRE_BROWSER=1 makes the browser tests mandatory")
        pytest.skip(message)
    return CHROMIUM


class _Server(ThreadedWSGIServer):
    # Non-daemon request threads are joined by server_close(), so each has closed its database
    # connection before the test database is dropped (PostgreSQL refuses while one is open).
    daemon_threads = False


class _LiveServerThread(LiveServerThread):
    server_class = _Server


class _PassThrough:
    """LiveServerThread wants a static-files handler; WhiteNoise in the app serves them."""

    def __new__(cls, application):
        return application


@pytest.fixture(scope="session")
def server_url(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A threaded live server on 127.0.0.1 over the session's test database."""
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists() and not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)
    # Request threads must not keep connections open between requests (a keep-alive browser
    # connection outlives the server), or PostgreSQL refuses to drop the test database.
    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = 0
    with django_db_blocker.unblock():
        # An in-memory SQLite database is only visible through the main thread's connection.
        overrides = {}
        for conn in connections.all():
            if conn.vendor == "sqlite" and conn.is_in_memory_db():
                overrides[conn.alias] = conn
                conn.inc_thread_sharing()
        _SERVER_CONNECTIONS.update(overrides)
        thread = _LiveServerThread("127.0.0.1", _PassThrough, connections_override=overrides)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://127.0.0.1:{thread.port}"
        finally:
            thread.terminate()
            for conn in overrides.values():
                conn.dec_thread_sharing()
            _SERVER_CONNECTIONS.clear()


# The live server's connection overrides: an in-memory SQLite database's main connection.
_SERVER_CONNECTIONS: dict = {}


def committed(write: Callable):
    """Run `write` outside the test's transaction, in a thread on the server's connections, so
    its rows are committed and the live server sees them (the caller removes them again)."""
    outcome: dict = {}

    def run():
        for alias, conn in _SERVER_CONNECTIONS.items():
            connections[alias] = conn
        try:
            outcome["value"] = write()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture(autouse=True)
def _db_open_for_the_server(django_db_blocker):
    """The server thread queries while a test runs; pytest-django blocks that by default."""
    with django_db_blocker.unblock():
        yield


def _catalogue_counts() -> dict[str, int]:
    from interventions.facets_registry import facets
    from interventions.models import Intervention

    models = {facet.model for facet in facets() if facet.model is not None} | {Intervention}
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture(autouse=True)
def _catalogue_left_as_found(browser):
    """What the live server committed during a test is gone after it: a leftover entry or facet
    value would reach later tests (a deploy test sends the test database's facet values to a
    server over another database)."""
    before = committed(_catalogue_counts)
    yield
    assert committed(_catalogue_counts) == before


@pytest.fixture(scope="session")
def browser(chromium_path, server_url):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread, which makes Django refuse ORM
    # calls as "async"; the tests and the server only ever use the ORM synchronously.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # Django's connections are context-local, and Playwright's greenlet gives the tests another
    # context: close the connections of each, or PostgreSQL cannot drop the test database.
    connections.close_all()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
            connections.close_all()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class RequestLog:
    """Every URL the browser asked for, to prove nothing leaves the live server's host."""

    def __init__(self, server_url: str):
        self.origin = urlsplit(server_url).netloc
        self.urls: list[str] = []

    def record(self, request) -> None:
        self.urls.append(request.url)

    def foreign(self) -> list[str]:
        return [
            url
            for url in self.urls
            if not url.startswith("data:") and urlsplit(url).netloc != self.origin
        ]


def _context(browser, server_url, request_log, **options):
    context = browser.new_context(base_url=server_url, **options)
    context.on("request", request_log.record)
    return context


@pytest.fixture
def request_log(server_url) -> Iterator[RequestLog]:
    log = RequestLog(server_url)
    yield log
    assert log.urls, "the test made no request at all"
    assert log.foreign() == [], "requests left the live server's host"


@pytest.fixture
def page(browser, server_url, request_log):
    """A desktop page with JavaScript; axe-core can be injected (CSP bypassed for that only)."""
    context = _context(browser, server_url, request_log, viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], "JavaScript errors on the page"


@pytest.fixture
def nojs_page(browser, server_url, request_log):
    context = _context(
        browser, server_url, request_log, viewport=DESKTOP, java_script_enabled=False
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(browser, server_url, request_log):
    """Pages with other options (viewport, print): `new_page(viewport=...)`."""
    contexts = []

    def make(**options):
        context = _context(browser, server_url, request_log, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core inside the page; every WCAG 2.0/2.1 A and AA rule and the best practices."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: "tag",
                values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(
                    n => n.target.join(" ") + " :: " + n.failureSummary)}));
        }"""
    )
    return result


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
