"""The catalogue version: what every cached page, card and in-process index is keyed by.

The version lives in the database (a one-row table, ADR 0008), not in the cache: every process
and every management command shares it whatever the cache, even a local-memory cache per
process. A process reads it at most once per `CATALOGUE_VERSION_SECONDS` (so an edit made through
another process shows within that time; this process's own commits show at once), and when the
database cannot answer it keeps the version it last read, so pages already cached are still
served. Any change to catalogue data calls `catalogue_changed()` (interventions/signals.py), which
bumps the version after the transaction commits, so every earlier cache entry is simply never read
again; nothing is deleted by pattern.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection, transaction

from catalogue.database import answers_within
from catalogue.middleware import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)

# One row (migration 0007): not a model, so backups, restores, `flush` and the admin never see it.
VERSION_TABLE = "interventions_catalogue_version"
# A web process waits this long for the version (a one-row read) before it falls back on the
# version it last read; after a failure it asks again 5 s later, then 10, 20, 30, 30 ... so that
# a database that hangs costs a worker a few seconds now and then, not most of its time.
VERSION_ANSWER_SECONDS = 1.0
VERSION_RETRY_SECONDS = (5.0, 10.0, 20.0, 30.0)
VERSION_LOG_EVERY = 60.0

_version: int | None = None  # the version as this process last read or wrote it
_version_read_at = 0.0  # time.monotonic() of that read or write
_version_failures = 0  # failed reads since then
_version_retry_at = 0.0  # after a failed read: time.monotonic() before which none is tried
_version_logged_at = -VERSION_LOG_EVERY


def _read_version() -> int:
    with answers_within(VERSION_ANSWER_SECONDS), connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {VERSION_TABLE} WHERE id = 1")
        return cursor.fetchone()[0]


def catalogue_version() -> int:
    """The current version: the time (ns) of the last committed change to the catalogue.

    Read from the database at most once per `CATALOGUE_VERSION_SECONDS`. If the database does not
    answer, the version last read stands in (see `VERSION_RETRY_SECONDS`); only a process that
    has never read it raises.
    """
    global _version, _version_read_at, _version_failures, _version_retry_at, _version_logged_at
    known = known_catalogue_version()
    if known is not None:
        return known
    now = time.monotonic()
    try:
        version = _read_version()
    except DATABASE_UNAVAILABLE as exc:
        if _version is None:
            raise
        wait = VERSION_RETRY_SECONDS[min(_version_failures, len(VERSION_RETRY_SECONDS) - 1)]
        _version_failures += 1
        _version_retry_at = time.monotonic() + wait
        if now - _version_logged_at >= VERSION_LOG_EVERY:
            _version_logged_at = now
            logger.warning("Catalogue version unreadable, using the last one read: %s", exc)
        return _version
    _version, _version_read_at, _version_failures = version, now, 0
    return version


def known_catalogue_version() -> int | None:
    """The version `catalogue_version()` would answer without asking the database, else None.

    For a path that must not wait for the database (the early page-cache hit, ADR 0017): when
    the version is due to be read again, it leaves the request to the path that reads it.
    """
    now = time.monotonic()
    if _version is not None and (
        now - _version_read_at < settings.CATALOGUE_VERSION_SECONDS or now < _version_retry_at
    ):
        return _version
    return None


def bump_catalogue_version() -> None:
    """Start a new version: a time (ns) later than the current version and than any before it."""
    global _version, _version_read_at
    now = time.time_ns()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {VERSION_TABLE} SET version = CASE WHEN version < %s THEN %s "
            "ELSE version + 1 END WHERE id = 1",
            [now, now],
        )
        cursor.execute(f"SELECT version FROM {VERSION_TABLE} WHERE id = 1")
        version = cursor.fetchone()[0]
    _version, _version_read_at, _version_failures = version, time.monotonic(), 0


_local_changes = 0  # changes this process made, committed or not (see `data_version`)


def catalogue_changed() -> None:
    """Invalidate every cached page once the current transaction commits (at once outside one).

    After the commit, not before: a request that read the version before the commit may render
    the old data, and it stores that under the old version, which nobody reads any more. One
    bump per transaction, however many rows it changed; a failed bump is logged, not raised,
    since the change itself is committed.
    """
    global _local_changes
    _local_changes += 1
    # Django keeps (savepoint ids, callback, robust) per on-commit callback.
    callbacks = (entry[1] for entry in connection.run_on_commit)
    if connection.in_atomic_block and any(
        isinstance(c, _PendingBump) and c.pending for c in callbacks
    ):
        return  # this transaction bumps already
    transaction.on_commit(_PendingBump(), robust=True)


class _PendingBump:
    """An on-commit `bump_catalogue_version` that says whether it is still to run."""

    def __init__(self) -> None:
        self.pending = True

    def __call__(self) -> None:
        self.pending = False
        bump_catalogue_version()


def data_version() -> tuple[int, int]:
    """What in-process indexes of the catalogue are keyed by (see `index.FacetIndex`).

    The shared version tells of every process's committed changes; the local count also of this
    process's own changes before they commit, so code that reads its own writes in a transaction
    (an import, a test) never meets an index built before them.
    """
    return catalogue_version(), _local_changes
