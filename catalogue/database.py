"""How long a web request may wait for PostgreSQL (ADR 0008).

Settings give every process's connections a connect timeout, TCP keepalives and a TCP user
timeout: a network that drops packets breaks the connection within seconds. Two more limits hold
in the web processes only, set on each new connection by `limit_web_connections()`, which the
web handler's middleware calls (`catalogue.middleware.DatabaseUnavailableMiddleware`):

- `statement_timeout`: the server cancels a statement after `DB_STATEMENT_TIMEOUT` seconds. A
  public page's statements take milliseconds; one that waits on a lock or an overloaded server
  becomes an OperationalError, so the maintenance page, instead of a worker held until gunicorn
  kills it. Management commands never load the handler, so a migration, a load, a backup or a
  restore runs as long as it needs.
- An answer deadline, 2 s later: psycopg stops waiting for any answer on the connection and
  closes it. This is what ends a wait on a server that hangs, or on a path that swallows packets
  while something on the way still acknowledges them (where TCP's own timeouts never fire).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db.backends.signals import connection_created

# How much longer than the statement timeout the process waits for the server's answer (which,
# from a live server, is the result or the cancellation).
ANSWER_MARGIN = 2.0

_tighter = threading.local()


@contextmanager
def answers_within(seconds: float) -> Iterator[None]:
    """In this block, wait at most `seconds` for each answer (if less than the usual deadline).

    For a lookup that has something to fall back on, so it should not wait as long as a page's
    query: `caching.catalogue_version` keeps the version it last read.
    """
    previous = getattr(_tighter, "seconds", None)
    _tighter.seconds = seconds
    try:
        yield
    finally:
        _tighter.seconds = previous


def limit_web_connections() -> None:
    """Give every connection this process opens from now on the web processes' limits."""
    connection_created.connect(_limit, dispatch_uid="catalogue-web-database-limits")


def _limit(sender, connection, **kwargs) -> None:
    seconds = settings.DB_STATEMENT_TIMEOUT
    if connection.vendor != "postgresql" or not seconds:
        return
    raw = connection.connection
    # Straight on psycopg's connection, as Django sets the time zone: no query is logged.
    raw.execute(f"SET statement_timeout = {round(seconds * 1000)}")
    _bound_answers(raw, seconds + ANSWER_MARGIN)


def _bound_answers(raw: psycopg.Connection, seconds: float) -> None:
    """Make every wait for the server on this connection end after `seconds`.

    psycopg runs each exchange with the server (query, fetch, commit, rollback) through the
    connection's `wait()`, which can stop at a deadline (psycopg 3.3+). The connection is then in
    the middle of an exchange, so it is closed; Django opens a new one on the next request.
    """
    wait = raw.wait

    def bounded_wait(gen, *args, **kwargs):
        limit = min(seconds, getattr(_tighter, "seconds", None) or seconds)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = limit
        try:
            return wait(gen, *args, **kwargs)
        except psycopg.errors._WaitTimeout as exc:  # what wait() raises at its deadline
            raw.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {limit:g} s"
            ) from exc

    raw.wait = bounded_wait  # type: ignore[method-assign]  # this connection's own, on purpose
