"""Published entries as their page reads them, kept in this process for the catalogue version.

An entry's page reads the entry and its ten relations in 13 queries, and compiling and running
them is most of what the page costs when the page cache does not answer (a new language, a
cookie, the page cache off). The loaded entry does not depend on the request: so each process
keeps the last `ENTRIES_KEPT` entries it loaded, for the data version they were loaded in
(`version.data_version`: every process's committed changes, and this process's own before they
commit), and at most `CATALOGUE_INDEX_SECONDS`, as the catalogue index lives. Any edit to the
catalogue starts a new version, and the kept entries are dropped at the next request.

What the page says about dates (how old the information is) is computed while it renders, so a
kept entry is as right tomorrow as today. The entries are only read while rendering: nothing
writes to a kept entry.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings

from interventions.caching.version import data_version

ENTRIES_KEPT = 256  # some 30-40 kB each with their relations (ADR 0017's soak)

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """The last `size` values built, by key, for one data version; a new version starts empty."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._values: OrderedDict[str, T] = OrderedDict()
        self._version: tuple[int, int] | None = None
        self._since = 0.0

    def get(self, key: str, build: Callable[[], T]) -> T:
        """The value kept for `key` in the current version, else `build()` (kept unless it
        raises: a missing entry is not remembered)."""
        version = data_version()
        with self._lock:
            now = time.monotonic()
            if version != self._version or now - self._since >= settings.CATALOGUE_INDEX_SECONDS:
                self._values.clear()
                self._version, self._since = version, now
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                return value
        # Built outside the lock: what it reads is at least as new as `version`, and a change
        # meanwhile gives the next request a new version, which drops it.
        value = build()
        with self._lock:
            if self._version == version:
                self._values[key] = value
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
