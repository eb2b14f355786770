"""Helpers for tests that need real processes: scratch databases, a server, a breakable link.

The test database belongs to pytest; these tests also start `manage.py` and gunicorn in
subprocesses, which need a database of their own. `ScratchDatabases` makes them next to the test
database (an SQLite file, or a PostgreSQL database on the same server) and drops them afterwards.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]
# Variables the tests set themselves; everything else (PATH, ...) is passed through.
_OWN_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    # The browser tests set it for their session (tests/system/browser/conftest.py); nothing else.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "ADMIN_URL",
    "DJANGO_SETTINGS_MODULE",
}


class Clock:
    """`time.monotonic()` under a test's control: it reads `now`, which only the test moves on."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def require_seeds(file: str = "") -> Path:
    """The seeds folder (settings.SEEDS_DIR: the source documents as text), or the seed `file`
    in it. A test that needs it skips with a message when it is not there, and fails instead
    when REQUIRE_SEEDS=1 (CI), so that the source-text checks cannot silently not run."""
    path = Path(settings.SEEDS_DIR) / file
    if not (path.is_file() if file else path.is_dir()):
        message = f"the seed {'file ' + file if file else 'folder'} is not in {settings.SEEDS_DIR}"
        if os.environ.get("REQUIRE_SEEDS") == "1":
            pytest.fail(f"{message}; REQUIRE_SEEDS=1 makes the source-text tests mandatory")
        pytest.skip(f"{message}; set REQUIRE_SEEDS=1 to fail instead")
    return path


def production_env(database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a production deployment behind a TLS proxy (see docs/operations.md)."""
    env = {k: v for k, v in os.environ.items() if k not in _OWN_VARIABLES}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="localhost,127.0.0.1",
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="1",
        DJANGO_SETTINGS_MODULE="catalogue.settings",
        SITE_URL="https://localhost",
        DEFAULT_FROM_EMAIL="Indsatskataloget <noreply@indsatskataloget.example.dk>",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], check: bool = True, **kwargs):
    return subprocess.run(
        [*MANAGE, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=check,
        **kwargs,
    )


def ensure_collected_static() -> None:
    """Production serves hashed static files from the manifest that collectstatic writes."""
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        manage("collectstatic", "--noinput", "--verbosity", "0", env=production_env())


# --- Scratch databases ----------------------------------------------------------------------------


class ScratchDatabases:
    """Databases beside the test database, for subprocesses. Created empty, migrated or cloned."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.settings = dict(connection.settings_dict)
        self.postgres = connection.vendor == "postgresql"
        self.prefix = f"{self.settings['NAME']}_scratch" if self.postgres else "scratch"
        self.names: list[str] = []

    def url(self, name: str) -> str:
        if not self.postgres:
            return f"sqlite:///{self.directory / (name + '.sqlite3')}"
        s = self.settings
        password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
        host = s.get("HOST") or "127.0.0.1"
        return (
            f"postgres://{s['USER']}{password}@{host}:{s.get('PORT') or 5432}/{self.prefix}_{name}"
        )

    def _admin(self, sql: str) -> None:
        import psycopg

        s = self.settings
        with psycopg.connect(
            dbname="postgres",
            user=s["USER"],
            password=s.get("PASSWORD") or None,
            host=s.get("HOST") or "127.0.0.1",
            port=s.get("PORT") or 5432,
            autocommit=True,
        ) as admin:
            admin.execute(sql)

    def create(self, name: str, template: str | None = None) -> str:
        """An empty database (or a copy of `template`); returns its DATABASE_URL."""
        self.drop(name)
        self.names.append(name)
        if self.postgres:
            copy = f' TEMPLATE "{self.prefix}_{template}"' if template else ""
            self._admin(f'CREATE DATABASE "{self.prefix}_{name}"{copy}')
        elif template:
            shutil.copyfile(
                self.directory / f"{template}.sqlite3", self.directory / f"{name}.sqlite3"
            )
        return self.url(name)

    def drop(self, name: str) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.prefix}_{name}" WITH (FORCE)')
        else:
            for suffix in ("", "-journal", "-wal", "-shm"):
                (self.directory / f"{name}.sqlite3{suffix}").unlink(missing_ok=True)

    def drop_all(self) -> None:
        for name in self.names:
            self.drop(name)


# --- Comparing whole databases --------------------------------------------------------------------


def snapshot() -> dict[str, list]:
    """Every row of every table Django knows (auth, sessions, axes, history, m2m ...), generically.

    A row is compared by its field values. References to a model with a natural key use that key,
    and such a model's own primary key is left out, so a faithful copy compares equal even when
    it numbered its rows differently; so are the rows of automatic many-to-many tables. Rows of
    other models keep their primary key.
    """
    identities: dict[type, dict] = {}

    def identity(model, pk):
        if model not in identities:
            if hasattr(model, "natural_key"):
                identities[model] = {o.pk: list(o.natural_key()) for o in model._base_manager.all()}
            else:
                identities[model] = {}
        return identities[model].get(pk, pk)

    result: dict[str, list] = {}
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        anonymous = hasattr(model, "natural_key") or opts.auto_created
        fields = [f for f in opts.concrete_fields if not (f.primary_key and anonymous)]
        rows = []
        for values in model._base_manager.values_list(*(f.attname for f in fields)):
            row = []
            for field, value in zip(fields, values, strict=True):
                if field.is_relation and value is not None and field.target_field.primary_key:
                    value = identity(field.related_model, value)
                row.append(value if isinstance(value, int | float | bool | None) else str(value))
            rows.append(json.dumps(row, ensure_ascii=False))
        result[opts.label_lower] = sorted(Counter(rows).items())
    return result


def snapshot_of(database_url: str) -> dict[str, list]:
    """`snapshot()` of another database, taken by a subprocess."""
    code = (
        "import django, json, sys; django.setup(); "
        "from tests.support import snapshot; json.dump(snapshot(), sys.stdout)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(database_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        label: [tuple(row) for row in rows] for label, rows in json.loads(result.stdout).items()
    }


# --- A real server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str


def fetch(
    port: int,
    path: str,
    *,
    https: bool = True,
    timeout: float = 20,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> Response:
    """GET (or `method`) from a local server, as the TLS proxy in front of it would pass it on."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Host": "localhost", **(headers or {})}
    if https:
        headers["X-Forwarded-Proto"] = "https"
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return Response(response.status, response.headers, response.read().decode("utf-8"))
    finally:
        conn.close()


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int = 1):
    """The production server command (docs/operations.md) on a free port, stopped on leaving."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "catalogue/gunicorn.conf.py"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start-up:\n{process.stdout.read()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start listening within 60 s")
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def finishes_within(seconds: float, work):
    """Run `work` in a thread: (finished in time, its result or exception, seconds taken).

    For code that, when broken, would wait forever: the test fails instead of hanging.
    """
    outcome: list = []

    def run():
        try:
            outcome.append(work())
        except Exception as exc:
            outcome.append(exc)

    start = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), (outcome or [None])[0], time.monotonic() - start


# --- A link to the database that the test can cut or black-hole ----------------------------------


class TcpProxy:
    """Forwards a local port to a server; `cut()`, `black_hole()` and `restore()` make outages.

    Cutting closes the listening socket and every open connection, so clients see exactly what a
    database crash or a network failure that resets connections looks like: refused connections
    and broken sockets. A black hole is a partition that holds packets instead: connections are
    still accepted, but nothing sent either way is delivered, nothing is answered and nothing is
    reset, so a client waits until a timeout of its own gives up. (The proxy's kernel still
    acknowledges what it receives; a client cannot tell this from a server that hangs.)
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._held: set[socket.socket] = set()  # connections in the black hole
        self._holding = False
        self._lock = threading.Lock()

    def restore(self) -> None:
        """Forward again. Connections caught in a black hole are closed (their clients gave up)."""
        with self._lock:
            self._holding = False
            held, self._held = self._held, set()
            self._sockets -= held
            listening = self._listener is not None
        self._close(held)
        if listening:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def black_hole(self) -> None:
        """From now on hold everything: open connections go silent, new ones are accepted mute."""
        with self._lock:
            self._holding = True
            self._held |= self._sockets

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            doomed, self._sockets, self._held = self._sockets | self._held, set(), set()
            self._holding = False
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self._close(doomed)

    @staticmethod
    def _close(sockets) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                if self._holding:
                    self._held.add(client)  # accepted, never answered
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, destination: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if source in self._held:
                    continue  # swallowed: neither delivered nor answered
                destination.sendall(data)
        with contextlib.suppress(OSError):
            destination.shutdown(socket.SHUT_WR)
