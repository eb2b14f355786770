"""Rebuilding a kept thing behind the requests, when it is only old (issue #23).

Each process keeps things read from the catalogue per data version (`version.data_version`):
the search's values (`search.query.KeptValue`), the catalogue index
(`listing.index.catalogue_index`) and the values of each `entries.VersionedCache` (the entries'
pages, the search's published ids and vocabulary links, the API's list items). Within one data
version a kept thing is still right when it is old: what it was read from has not changed, or
the version would have. Its age only bounds how long a change that bumps no version (made by
hand in the database) goes unseen.

So past its age a kept thing is served while one thread builds it again (`Behind.start`), for
a bounded time more. A rebuild that fails is logged, and the next request that finds the thing
old starts another; past the bound (rebuilds that fail or hang) a request builds it itself, as
all did before. A new data version is never served from the old one (nor, for the index, a new
day: the freshness of facts depends on the date): the request that finds it builds it.

The thread closes its own database connections when it ends (`refresh_behind`; tests replace
that function by one that keeps or runs the rebuild in their own thread, when they say).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import connections

logger = logging.getLogger(__name__)

# How long past CATALOGUE_INDEX_SECONDS the catalogue index or a VersionedCache's value may be
# served while a thread builds it again: many times the slowest rebuild (the index, 11-15 s at
# 100,000 entries on a loaded machine, ADR 0006), short beside CATALOGUE_INDEX_SECONDS. The
# search's kept values have their own, shorter bound (`search.query.STALE_SECONDS`).
INDEX_STALE_SECONDS = 120


class Behind:
    """One rebuild at a time of one kept thing, each in a thread of its own."""

    def __init__(self, what: str) -> None:
        self.what = what  # for the log: "The catalogue index"
        self._lock = threading.Lock()
        self._running = False

    def start(self, rebuild: Callable[[], None]) -> bool:
        """Have a thread run `rebuild`, unless one runs already; False if no thread could be
        started (the interpreter is shutting down), when the caller must build it itself.

        `rebuild` decides itself whether what it built may replace what is kept (the same version,
        nothing forgotten meanwhile). If it raises, the kept thing stays (logged): the next
        request that finds it old starts another rebuild.
        """
        with self._lock:
            if self._running:
                return True  # another request's rebuild is under way
            self._running = True

        def run() -> None:
            try:
                rebuild()
            except Exception:
                logger.warning("%s could not be loaded again", self.what, exc_info=True)
            finally:
                self._running = False

        try:
            refresh_behind(run)
        except RuntimeError:  # no new thread
            self._running = False
            return False
        return True


def refresh_behind(refresh: Callable[[], None]) -> None:
    """Run `refresh` in a thread of its own, which closes its database connections at the end.

    The one place a rebuild leaves the request's thread: tests replace it (see
    tests/caching/test_behind.py).
    """

    def run() -> None:
        try:
            refresh()
        finally:
            connections.close_all()  # this thread's

    threading.Thread(target=run, name="refresh-behind", daemon=True).start()
