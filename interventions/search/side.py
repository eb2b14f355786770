"""A second database connection for a search's statements, so that it waits for the slowest of
them rather than for their sum (ADR 0017, thirteenth round).

A new search of a broad word at 100,000 entries on PostgreSQL waits for statements that do not
depend on each other: the ids of each group of patterns (`SearchEntry`'s GIN index) and the
counts of the term in the entries' title and metadata (`SearchEntryText`'s), 50-180 ms each. The
server runs each on one core, one after the other on one connection. `run(calls)` runs them on
two: the request's thread and one side thread per process (with its own connection, which Django
opens and keeps as it does a request's) each take the next call of the list until none is left,
and the results come back in the list's order.

Everything runs in the calling thread, in order, as it would without this module, when:
- the database is not PostgreSQL (SQLite answers in the process: there is nothing to wait for);
- the caller's connection is in a transaction (`atomic`: a test, a view that writes): another
  connection would not see its rows before they are committed;
- connections are not kept between requests (`CONN_MAX_AGE` 0): the side connection would be
  opened again for every search, which costs about what it saves;
- another thread of the process is using the side thread (a worker with several threads);
- there is one call.

Each call compiles nothing shared: it gets its SQL ready made and runs it through
`django.db.connections[alias]` of the thread it runs in. The side thread's connection gets what
every new connection of the process gets (the web processes' statement limit, ADR 0008), and
is closed and opened again as a request's is (`close_if_unusable_or_obsolete` before each use:
after an error, or when older than `CONN_MAX_AGE`). A call's exception is raised in the caller,
after the other thread's call has ended.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import connections

T = TypeVar("T")

_lock = threading.Lock()  # held while a caller's calls use the side thread
_executor: ThreadPoolExecutor | None = None
_pid: int | None = None  # the process the executor's thread belongs to (a fork has none)
_aliases: set[str] = set()  # the databases the side thread has used


def run(alias: str, calls: Sequence[Callable[[], T]]) -> list[T]:
    """The results of `calls`, in order: on two connections of the database `alias` at once
    where that is possible (the module's docstring), else one after the other here."""
    if len(calls) < 2 or not may_share(alias) or not _lock.acquire(blocking=False):
        return [call() for call in calls]
    try:
        return _shared(alias, calls)
    finally:
        _lock.release()


def may_share(alias: str) -> bool:
    """Whether `run` may use the side connection for the database `alias` (not whether the side
    thread is free)."""
    connection = connections[alias]
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.settings_dict.get("CONN_MAX_AGE") != 0
    )


def _shared(alias: str, calls: Sequence[Callable[[], T]]) -> list[T]:
    """Both threads take the next call left until none is; each result is put in its place."""
    results: list[Any] = [None] * len(calls)
    taken = iter(range(len(calls)))  # next() on it under the GIL: each index taken once
    take = threading.Lock()

    def work() -> None:
        while True:
            with take:
                at = next(taken, None)
            if at is None:
                return
            results[at] = calls[at]()

    side = _side().submit(_in_side, alias, work)
    try:
        work()
    finally:
        side_error = side.exception()  # waits for the side thread's work to end
    if side_error is not None:
        raise side_error
    return results


def _in_side(alias: str, work: Callable[[], None]) -> None:
    _aliases.add(alias)
    # As Django does at each request's start and end: a connection that failed, or is older
    # than CONN_MAX_AGE, is closed here and opened again by its next statement.
    connections[alias].close_if_unusable_or_obsolete()
    work()


def _side() -> ThreadPoolExecutor:
    global _executor, _pid
    if _executor is None or _pid != os.getpid():  # a forked worker has no thread of its parent
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-side")
        _pid = os.getpid()
    return _executor


def close() -> None:
    """Close the side thread's connections (the test database is dropped at the end of a run;
    an open connection to it would prevent that)."""
    if _executor is None or _pid != os.getpid():
        return
    with _lock:
        _executor.submit(_close_all).result()


def _close_all() -> None:
    for alias in _aliases:
        connections[alias].close()
