"""Published entries as their page reads them, kept in this process for the catalogue version.

An entry's page reads the entry and its ten relations in 13 queries, and compiling and running
them is most of what the page costs when the page cache does not answer (a new language, a
cookie, the page cache off). The loaded entry does not depend on the request: so each process
keeps the last `ENTRIES_KEPT` entries it loaded, for the data version they were loaded in
(`version.data_version`: every process's committed changes, and this process's own before they
commit); an entry older than `CATALOGUE_INDEX_SECONDS` in the version is served while a thread
loads it again (`VersionedCache`). Any edit to the catalogue starts a new version, and the kept
entries are dropped at the next request.

What the page says about dates (how old the information is) is computed while it renders, so a
kept entry is as right tomorrow as today. The entries are only read while rendering: nothing
writes to a kept entry.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Generic, TypeVar

from django.conf import settings

from interventions.caching.behind import INDEX_STALE_SECONDS, Behind
from interventions.caching.version import data_version

ENTRIES_KEPT = 256  # some 30-40 kB each with their relations (ADR 0017's soak)

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """The last `size` values built, by key, for one data version; a new version starts empty.

    Each value lives `CATALOGUE_INDEX_SECONDS` from its build within the version, as the
    catalogue index does: the time only bounds how long a change that bumps no version (made by
    hand in the database) goes unseen. Past it (`caching.behind`):

    - with `behind` (the default: the build needs nothing of the request that gives it, no
      request, language or rows it read) the value is served while one thread builds it again
      with the build the request gave, at most `INDEX_STALE_SECONDS` more; one key at a time
      per cache (at most one more database connection per cache and process), so a key that
      falls old while another is rebuilt waits for the next request that finds it old. The new
      value replaces the old only if that is still the one kept, in the same version: a key
      dropped meanwhile (for room, a new version, `clear()`) is not brought back, so the cache
      never holds more than `size`. Past the bound (rebuilds that fail or hang) the request
      builds it;
    - without (`behind=False`: the build is the request's own, say an item serialized in its
      language) the request builds it again, as a value not kept.

    A new version is never served from the old one: the request that finds it builds its value.
    """

    def __init__(self, size: int, *, behind: bool = True) -> None:
        self.size = size
        self._lock = threading.Lock()
        # key -> (value, when it was built); one tuple per build, so a rebuild can tell whether
        # the value it replaces is still the one kept.
        self._values: OrderedDict[str, tuple[T, float]] = OrderedDict()
        self._version: tuple[int, int] | None = None
        self._behind = Behind("A kept value") if behind else None

    def get(self, key: str, build: Callable[[], T]) -> T:
        """The value kept for `key` in the current version, else `build()` (kept unless it
        raises: a missing entry is not remembered)."""
        version = data_version()
        with self._lock:
            if version != self._version:
                self._values.clear()
                self._version = version
            kept = self._values.get(key)
            if kept is not None:
                self._values.move_to_end(key)
        if kept is not None:
            age = time.monotonic() - kept[1]
            if age <= settings.CATALOGUE_INDEX_SECONDS:
                return kept[0]
            if (
                self._behind is not None
                and age <= settings.CATALOGUE_INDEX_SECONDS + INDEX_STALE_SECONDS
                and self._behind.start(partial(self._built, key, build, version, kept))
            ):
                return kept[0]
        return self._built(key, build, version, kept)

    def _built(
        self,
        key: str,
        build: Callable[[], T],
        version: tuple[int, int],
        replaces: tuple[T, float] | None,
    ) -> T:
        """`build()`, kept for `key` if the version is still `version` and the key still holds
        `replaces` (a value, or nothing)."""
        # Built outside the lock: what it reads is at least as new as `version`, and a change
        # meanwhile gives the next request a new version, which drops it.
        built_at = time.monotonic()
        value = build()
        with self._lock:
            if self._version == version and self._values.get(key) is replaces:
                self._values[key] = (value, built_at)
                self._values.move_to_end(key)
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._version = None

    def __len__(self) -> int:
        return len(self._values)


published_entries: VersionedCache = VersionedCache(ENTRIES_KEPT)


def forget_entries() -> None:
    """Drop every kept entry (tests do, when a rolled-back transaction took their data away)."""
    published_entries.clear()
