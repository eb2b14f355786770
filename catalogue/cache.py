"""Django's Redis cache backend, made safe to lose: a cache that fails is a cache that is empty.

Everything this site keeps in the cache (rendered pages, result cards) can be made again from the
database, so a Redis that is down, restarting or hung must cost speed, never pages. Each command
waits at most `CACHE_SOCKET_TIMEOUT` (settings); a failed command reads as a miss and a failed
write is dropped. After a failure the process leaves Redis alone for `CACHE_RETRY_SECONDS`, so a
hung Redis costs one timeout per process now and then, not one per cache call. Failures are
logged when Redis goes away, at most once a minute while it stays away, and when it is back.

`incr`/`decr` are not made safe: a counter has no sensible miss, and nothing here uses one.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

FAILURES = (RedisError, OSError)
LOG_EVERY = 60.0  # seconds between two log lines about the same outage


class FailSafeRedisCache(RedisCache):
    """`CACHE_URL=redis://...`: Django's RedisCache with `FailSafeClient` under it."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailSafeClient


class Outage:
    """Whether a Redis server is to be left alone, shared by every thread of the process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.skip_until = 0.0  # time.monotonic() before which the server is not asked
        self.down_since: float | None = None
        self.logged_at = 0.0
        self.failures = 0

    def failed(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        with self.lock:
            self.skip_until = now + settings.CACHE_RETRY_SECONDS
            self.failures += 1
            if self.down_since is None:
                first, self.down_since = True, now
            elif now - self.logged_at < LOG_EVERY:
                return
            else:
                first = False
            self.logged_at, failures, since = now, self.failures, self.down_since
        if first:
            logger.warning(
                "Cache unreachable (%s: %s); serving from the database, retrying every %g s",
                operation,
                exc,
                settings.CACHE_RETRY_SECONDS,
            )
        else:
            logger.warning(
                "Cache still unreachable: %d failures in %.0f s (%s: %s)",
                failures,
                now - since,
                operation,
                exc,
            )

    def recovered(self) -> None:
        with self.lock:
            since, self.down_since, self.failures = self.down_since, None, 0
        if since is not None:
            logger.warning("Cache reachable again after %.0f s", time.monotonic() - since)


_outages: dict[str, Outage] = {}
_outages_lock = threading.Lock()


class FailSafeClient(RedisCacheClient):
    """Each command either succeeds or reads as a miss / a write that did not happen."""

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        # Django makes a cache object per thread; the outage is the server's, so one per process.
        with _outages_lock:
            self._outage = _outages.setdefault(",".join(servers), Outage())

    def _safely(self, operation: str, fallback, call, *args):
        outage = self._outage
        if time.monotonic() < outage.skip_until:
            return fallback
        try:
            result = call(*args)
        except FAILURES as exc:
            outage.failed(operation, exc)
            return fallback
        if outage.down_since is not None:
            outage.recovered()
        return result

    def add(self, key, value, timeout):
        return self._safely("add", False, super().add, key, value, timeout)

    def get(self, key, default):
        return self._safely("get", default, super().get, key, default)

    def set(self, key, value, timeout):
        self._safely("set", None, super().set, key, value, timeout)

    def touch(self, key, timeout):
        return self._safely("touch", False, super().touch, key, timeout)

    def delete(self, key):
        return self._safely("delete", False, super().delete, key)

    def get_many(self, keys):
        return self._safely("get_many", {}, super().get_many, keys)

    def has_key(self, key):
        return self._safely("has_key", False, super().has_key, key)

    def set_many(self, data, timeout):
        return self._safely("set_many", list(data), super().set_many, data, timeout)

    def delete_many(self, keys):
        self._safely("delete_many", None, super().delete_many, keys)

    def clear(self):
        return self._safely("clear", False, super().clear)
