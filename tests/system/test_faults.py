"""Faults: the database or the cache going away or hanging, and loads that fail or die half-way.

The shared PostgreSQL server is never stopped: an outage is simulated by a TCP proxy between
the application and the server that the test cuts, black-holes and restores (on SQLite, by a
database file that is not there yet). Redis outages use a Redis server of the test's own on a
free port (`redis-server` must be installed: the tests skip without it, unless REQUIRE_REDIS=1).
"""

import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client, RequestFactory

from catalogue.middleware import maintenance_response, server_error
from interventions.curation import load as loading
from interventions.curation.load import load
from interventions.curation.read import read_fixtures
from interventions.models import Intervention
from tests.support import (
    ROOT,
    TcpProxy,
    ensure_collected_static,
    fetch,
    finishes_within,
    free_port,
    gunicorn,
    manage,
    production_env,
    snapshot,
    snapshot_of,
)

pytestmark = pytest.mark.django_db

DANISH_NOTICE = "Kataloget er midlertidigt utilgængeligt"
GUNICORN_TIMEOUT = 30  # seconds; catalogue/gunicorn.conf.py's default


def database_down(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def public_urls() -> list[str]:
    detail = Intervention.objects.published().first().get_absolute_url()
    return ["/", "/indsatser/", "/indsatser/?q=bostøtte&sector=kommunal", detail]


def assert_maintenance_page(status: int, headers, body: str) -> None:
    assert status == 503
    assert headers["Retry-After"] == str(settings.MAINTENANCE_RETRY_AFTER)
    assert "no-store" in headers["Cache-Control"]
    assert DANISH_NOTICE in body
    for leak in ("Traceback", "OperationalError", "Connection refused", "psycopg", "sqlite"):
        assert leak not in body


# --- In process: every query fails ----------------------------------------------------------------


def test_public_pages_answer_503_with_a_danish_page_while_the_database_is_down():
    urls = public_urls()
    client = Client()
    with connection.execute_wrapper(database_down):
        for url in urls:
            response = client.get(url)
            assert_maintenance_page(response.status_code, response, response.content.decode())
    # ... and the very next request after the database is back is served normally.
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_maintenance_page_needs_no_database(rf, django_assert_num_queries):
    request = rf.get("/")
    with django_assert_num_queries(0):
        response = maintenance_response(request)
    assert response.status_code == 503 and DANISH_NOTICE in response.content.decode()


def test_the_maintenance_page_style_carries_the_policy_nonce():
    client = Client()
    with connection.execute_wrapper(database_down):
        first, second = client.get("/indsatser/"), client.get("/indsatser/")
    for response in (first, second):
        policy = response["Content-Security-Policy"]
        nonce = response.content.decode().split('<style nonce="')[1].split('"')[0]
        assert f"'nonce-{nonce}'" in policy and "'unsafe-inline'" not in policy
    assert first["Content-Security-Policy"] != second["Content-Security-Policy"]


def test_an_outage_outside_a_view_is_503_too_and_other_errors_stay_500():
    request = RequestFactory().get("/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        assert server_error(request).status_code == 503
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


# --- A real server, a real outage -----------------------------------------------------------------


@pytest.fixture(scope="module")
def collected_static():
    ensure_collected_static()


def served(port: int) -> list[tuple]:
    return [fetch(port, url) for url in ("/indsatser/", "/indsatser/biofeedback-horsens/")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a network outage needs a server")
def test_the_server_answers_503_while_postgresql_is_unreachable_and_recovers(
    scratch_databases, collected_static
):
    s = connection.settings_dict
    proxy = TcpProxy(s.get("HOST") or "127.0.0.1", int(s.get("PORT") or 5432))
    proxy.restore()
    url = scratch_databases.url("loaded").replace(f":{s.get('PORT') or 5432}/", f":{proxy.port}/")
    try:
        # Page cache off: a cached page would (rightly) still be served during the outage.
        with gunicorn(production_env(url, PUBLIC_PAGE_CACHE_SECONDS="0")) as port:
            assert [r.status for r in served(port)] == [200, 200]  # with a pooled connection

            proxy.cut()
            # What needs the database: a list page whose entries the worker has not read, an
            # entry it has not kept, a new search.
            for url in (
                "/indsatser/?page=2",
                "/indsatser/akutteam-herning/",
                "/indsatser/?q=misbrug",
            ):
                response = fetch(port, url)
                assert_maintenance_page(response.status, response.headers, response.body)
            # What the worker has kept for the catalogue version is still served from memory, as
            # a cached page would be: an entry (caching/entries.py) and a list page whose entries
            # it has read (the catalogue index's kept entries, ADR 0017).
            assert fetch(port, "/indsatser/biofeedback-horsens/").status == 200
            assert fetch(port, "/indsatser/").status == 200

            proxy.restore()
            assert [r.status for r in served(port)] == [200, 200]
    finally:
        proxy.cut()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's database is a file")
def test_the_server_answers_503_while_the_sqlite_file_is_missing_and_recovers(
    scratch_databases, collected_static, tmp_path
):
    missing = tmp_path / "not-yet" / "catalogue.sqlite3"
    with gunicorn(production_env(f"sqlite:///{missing}", PUBLIC_PAGE_CACHE_SECONDS="0")) as port:
        for response in served(port):
            assert_maintenance_page(response.status, response.headers, response.body)

        missing.parent.mkdir()
        shutil.copyfile(scratch_databases.directory / "loaded.sqlite3", missing)
        assert [r.status for r in served(port)] == [200, 200]


# --- A database that holds packets (PostgreSQL: SQLite has no network) ----------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a network partition needs a database server"
)
# A hung database must give the maintenance page well before gunicorn kills the worker. With the
# defaults a request waits at most about 2 x DB_CONNECT_TIMEOUT + DB_STATEMENT_TIMEOUT + 2 s.
HUNG_DATABASE_BOUND = 20


def proxied(database_url: str, proxy: TcpProxy) -> str:
    s = connection.settings_dict
    return database_url.replace(f":{s.get('PORT') or 5432}/", f":{proxy.port}/")


@pytest.fixture
def database_proxy():
    s = connection.settings_dict
    proxy = TcpProxy(s.get("HOST") or "127.0.0.1", int(s.get("PORT") or 5432))
    proxy.restore()
    yield proxy
    proxy.cut()


@postgresql_only
def test_a_web_process_gives_up_on_a_database_that_holds_packets(database_proxy, settings):
    """A query on an open connection into a black hole fails after DB_STATEMENT_TIMEOUT + 2 s."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    settings.DB_STATEMENT_TIMEOUT = 1
    Client().get("/")  # a web handler: it sets the web processes' limits on new connections
    wrapper = DatabaseWrapper(
        {**connection.settings_dict, "PORT": database_proxy.port}, alias="through-proxy"
    )
    wrapper.inc_thread_sharing()  # used from the watching thread below
    try:
        wrapper.ensure_connection()
        database_proxy.black_hole()
        finished, outcome, took = finishes_within(15, lambda: wrapper.cursor().execute("SELECT 1"))
        assert finished, "the query is still waiting for the black hole"
        assert isinstance(outcome, OperationalError), outcome
        assert took < 1 + 2 + 1
    finally:
        wrapper.close()


@postgresql_only
def test_web_statements_are_cancelled_after_the_statement_timeout_and_commands_are_not(
    scratch_databases, settings
):
    """The web processes' statement timeout: a slow statement becomes an OperationalError (so
    the maintenance page), while a management command (load, backup, restore, migrate) with the
    very same environment runs as long as it needs to."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    settings.DB_STATEMENT_TIMEOUT = 1
    Client().get("/")
    wrapper = DatabaseWrapper(dict(connection.settings_dict), alias="web")
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"):
            wrapper.cursor().execute("SELECT pg_sleep(3)")
        assert time.monotonic() - started < 2.5
    finally:
        wrapper.close()

    slow = "from django.db import connection; connection.cursor().execute('SELECT pg_sleep(2)')"
    env = production_env(scratch_databases.url("loaded"), DB_STATEMENT_TIMEOUT="1")
    result = manage("shell", "-c", slow, env=env, check=False)
    assert result.returncode == 0, result.stderr


@postgresql_only
def test_a_database_that_holds_packets_gives_the_maintenance_page_within_seconds(
    scratch_databases, collected_static, database_proxy
):
    """A partition that holds packets instead of resetting them: cached pages are still served,
    others get the maintenance page well within gunicorn's timeout, and the site recovers."""
    url = proxied(scratch_databases.url("loaded"), database_proxy)
    cached, uncached = "/indsatser/", "/indsatser/akutteam-herning/"
    with gunicorn(production_env(url), workers=1) as port:
        assert fetch(port, cached).status == 200
        assert fetch(port, cached).headers["X-Cache"] == "hit"
        assert fetch(port, "/indsatser/biofeedback-horsens/").status == 200  # pooled connection

        database_proxy.black_hole()
        time.sleep(1.5)  # the catalogue version is due to be read again: it meets the hang too
        for path, status in ((cached, 200), (uncached, 503), (cached, 200)):
            started = time.monotonic()
            response = fetch(port, path, timeout=GUNICORN_TIMEOUT + 10)
            took = time.monotonic() - started
            assert response.status == status, (path, response.status)
            assert took < HUNG_DATABASE_BOUND, (path, took)
            if status == 503:
                assert_maintenance_page(response.status, response.headers, response.body)

        database_proxy.restore()
        deadline = time.monotonic() + HUNG_DATABASE_BOUND
        while (status := fetch(port, uncached).status) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert status == 200


# --- The cache going away: a cache is not a source of truth -------------------------------------

PUBLIC_PAGES = [
    "/",
    "/indsatser/",
    "/indsatser/?q=bost%C3%B8tte&sector=kommunal",
    "/indsatser/biofeedback-horsens/",
    "/api/interventions/",
    "/api/interventions/biofeedback-horsens/",
]


def redis_ping(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")
    return False


@pytest.fixture
def redis_server(tmp_path):
    """A Redis server of this test's own on a free port: (process, port)."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail("REQUIRE_REDIS=1 but redis-server is not installed")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not redis_ping(port):
            assert process.poll() is None and time.monotonic() < deadline, "Redis did not start"
            time.sleep(0.1)
        yield process, port
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGCONT)
        process.kill()
        process.wait()


def test_the_site_is_served_from_the_database_while_redis_hangs_or_is_down(
    scratch_databases, collected_static, redis_server
):
    """With CACHE_URL=redis://... (docs/operations.md), a hung or stopped Redis is a cache with
    nothing in it: every public page still answers 200 from the database, each within about a
    second more."""
    redis, redis_port = redis_server
    env = production_env(
        scratch_databases.url("loaded"), CACHE_URL=f"redis://127.0.0.1:{redis_port}/0"
    )
    # One worker, warmed by the first round: the times below measure the outage, not a second
    # worker building its catalogue index and search caches on a busy machine (8.7 s once in CI).
    with gunicorn(env, workers=1) as port:
        for path in PUBLIC_PAGES:
            assert fetch(port, path).status == 200, path
        assert fetch(port, "/indsatser/").headers["X-Cache"] == "hit"  # Redis is in use

        for outage in ("hung", "down"):
            if outage == "hung":
                redis.send_signal(signal.SIGSTOP)  # connections accepted, nothing answered
            else:
                redis.send_signal(signal.SIGCONT)
                redis.kill()
                redis.wait()
            for path in PUBLIC_PAGES:
                started = time.monotonic()
                response = fetch(port, path, timeout=GUNICORN_TIMEOUT + 10)
                assert response.status == 200, (outage, path, response.status)
                assert time.monotonic() - started < 5, (outage, path)


# --- Fixture loads that fail part-way -------------------------------------------------------------


def changed_fixtures(target: Path, poison_last_entry: bool = False) -> Path:
    """A copy of the fixtures in which every entry's summary changed, so a load writes a lot."""
    shutil.copytree(settings.FIXTURES_DIR, target)
    files = sorted((target / "sources").glob("*.yaml"))
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data.get("interventions") or []:
            entry["summary"] = entry["summary"].strip() + " Ændret i en test."
        if poison_last_entry and path == files[-1]:
            # Past validation (see below), this only the database's CHECK constraint refuses.
            data["interventions"][-1]["sector"] = "ugyldig"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def test_bad_data_in_the_middle_of_a_load_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    fixtures, problems = read_fixtures(changed_fixtures(tmp_path / "f", poison_last_entry=True))
    assert not problems
    # The validator would catch this entry; pretend it slipped through, so that the database
    # refuses it after 185 entries were already written in the same transaction.
    monkeypatch.setattr(loading, "validate", lambda *args: [])
    before = snapshot()
    with pytest.raises(Exception, match="(?i)check|constraint"):
        load(fixtures, settings.SEEDS_DIR)
    assert snapshot() == before


LOAD_AND_PAUSE = """
import sys, time, django
django.setup()
from django.core.management import call_command
from django.db.models.signals import post_save
from interventions.models import Intervention

saved = []

def pause_half_way(sender, **kwargs):
    saved.append(1)
    if len(saved) == 90:
        print("HALF-WAY", flush=True)
        time.sleep(600)

post_save.connect(pause_half_way, sender=Intervention)
call_command("load_catalogue", "--fixtures", sys.argv[1])
"""


def test_a_load_killed_half_way_leaves_the_database_as_it_was(scratch_databases, tmp_path):
    url = scratch_databases.create("killed", template="loaded")
    env = production_env(url)
    fixtures = changed_fixtures(tmp_path / "f")
    before = snapshot_of(url)

    process = subprocess.Popen(
        [sys.executable, "-c", LOAD_AND_PAUSE, str(fixtures)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 180)
        assert ready and process.stdout.readline().strip() == "HALF-WAY", process.stderr.read()
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    time.sleep(0.5)  # let PostgreSQL notice the dead client

    assert snapshot_of(url) == before
    # The same load, left to finish, does change the database: the kill really interrupted it.
    manage("load_catalogue", "--fixtures", str(fixtures), env=env)
    after = snapshot_of(url)
    assert after != before
    assert sum(count for _row, count in after["interventions.intervention"]) == 186
