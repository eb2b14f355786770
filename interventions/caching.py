"""HTTP caching of the public, anonymous pages and the API.

Rendered responses are stored in Django's cache under a key made of the catalogue version, the
path, the normalised query string, the language and the request headers a response may depend on
(htmx, Accept). Any change to catalogue data bumps the version (signals below, after the
transaction commits), so every earlier entry is simply never read again; nothing is deleted by
pattern. The same version gives each response an `ETag` and a `Last-Modified`, so a client or a
CDN revalidates with a 304 and no rendering at all.

Logged-in users (editors previewing drafts) neither read nor fill the cache and get `private`
responses. A response that sets a cookie, uses a CSRF token, or is not a plain 200 is not stored.

Which URLs: everything under `settings.PUBLIC_CACHE_PREFIXES`, and views decorated with
`@public_cache`.

The version lives in the database (a one-row table, ADR 0008), not in the cache: every process
and every management command shares it whatever the cache, even a local-memory cache per
process. A process reads it at most once per `CATALOGUE_VERSION_SECONDS` (so an edit made through
another process shows within that time; this process's own commits show at once), and when the
database cannot answer it keeps the version it last read, so pages already cached are still
served. The cache itself may fail at any time (catalogue/cache.py): a failure is a miss.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)
from django.utils.http import http_date

from catalogue.database import answers_within
from catalogue.middleware import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)

CATALOGUE_APP = "interventions"
# Request headers a cached response may depend on; each is part of the key and of `Vary`.
KEY_HEADERS = ("Accept", "HX-Request", "HX-Boosted", "HX-Target")
# Parameters that never change what is shown (campaign tracking): left out of the key.
IGNORED_PARAMS = frozenset({"fbclid", "gclid", "msclkid", "mc_cid", "mc_eid"})
# Requests carrying these cookies may see per-user content (flash messages): never cached.
BYPASS_COOKIES = ("messages",)


# --- The catalogue version ------------------------------------------------------------------------

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
    now = time.monotonic()
    if _version is not None and (
        now - _version_read_at < settings.CATALOGUE_VERSION_SECONDS or now < _version_retry_at
    ):
        return _version
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
    if connection.in_atomic_block and any(
        getattr(callback, "bump_pending", False)
        for _ids, callback, _robust in connection.run_on_commit
    ):
        return  # this transaction bumps already
    transaction.on_commit(_pending_bump(), robust=True)


def _pending_bump() -> Callable[[], None]:
    """An on-commit `bump_catalogue_version` that says whether it is still to run."""

    def bump() -> None:
        bump.bump_pending = False
        bump_catalogue_version()

    bump.bump_pending = True
    return bump


def data_version() -> tuple[int, int]:
    """What in-process indexes of the catalogue are keyed by (see `index.FacetIndex`).

    The shared version tells of every process's committed changes; the local count also of this
    process's own changes before they commit, so code that reads its own writes in a transaction
    (an import, a test) never meets an index built before them.
    """
    return catalogue_version(), _local_changes


def _is_catalogue(sender) -> bool:
    return getattr(getattr(sender, "_meta", None), "app_label", None) == CATALOGUE_APP


@receiver(post_save, dispatch_uid="catalogue_saved")
@receiver(post_delete, dispatch_uid="catalogue_deleted")
def _on_save_or_delete(sender, **kwargs) -> None:
    if _is_catalogue(sender):  # raw saves too: a restore changes what every page shows
        catalogue_changed()


@receiver(m2m_changed, dispatch_uid="catalogue_m2m_changed")
def _on_m2m_changed(sender, action, **kwargs) -> None:
    if _is_catalogue(sender) and action.startswith("post_"):
        catalogue_changed()


# --- Keys -----------------------------------------------------------------------------------------


def normalised_query(query_string: str) -> str:
    """The query string as the key sees it: parameters sorted by name, tracking dropped.

    Two query strings share a key only if every view must answer them alike: Django reads
    parameters by name, so their order does not matter, but the values of one parameter keep
    their order (for a single-valued parameter the last wins), and a blank parameter is not an
    absent one (`/api/docs/?script=` is Swagger UI's script, `/api/docs/` its page).
    """
    pairs = [
        (name, value)
        for name, value in parse_qsl(query_string, keep_blank_values=True)
        if name not in IGNORED_PARAMS and not name.startswith("utm_")
    ]
    return urlencode(sorted(pairs, key=lambda pair: pair[0]))


def has_ignored_params(query_string: str) -> bool:
    return any(
        name in IGNORED_PARAMS or name.startswith("utm_")
        for name, _value in parse_qsl(query_string, keep_blank_values=True)
    )


def cache_key(request: HttpRequest, version: int) -> str:
    parts = [
        str(version),
        request.path,
        normalised_query(request.META.get("QUERY_STRING", "")),
        getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
        *(request.headers.get(h, "") for h in KEY_HEADERS),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"page:{digest}"


# --- The middleware -------------------------------------------------------------------------------


def public_cache(view: Callable) -> Callable:
    """Mark a view as public and cacheable for anonymous users (like `csrf_exempt`)."""
    view.public_cache = True
    return view


def _without_language(path: str) -> str:
    """/en/indsatser/ -> /indsatser/: the prefixes name pages in every interface language."""
    first, _, rest = path.lstrip("/").partition("/")
    return f"/{rest}" if first in dict(settings.LANGUAGES) else path


class PublicCacheMiddleware:
    """Serves and stores anonymous public responses; adds ETag, Last-Modified, Cache-Control.

    Sits after LocaleMiddleware and AuthenticationMiddleware (it needs the language and the user).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        return self.process_response(request, response)

    def _is_public(self, request: HttpRequest, view_func) -> bool:
        if request.method not in ("GET", "HEAD"):
            return False
        marked = getattr(view_func, "public_cache", False)
        cls = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        marked = marked or getattr(cls, "public_cache", False)
        return marked or _without_language(request.path).startswith(
            tuple(settings.PUBLIC_CACHE_PREFIXES)
        )

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not self._is_public(request, view_func):
            return None
        if request.user.is_authenticated or any(c in request.COOKIES for c in BYPASS_COOKIES):
            request._public_cache = "private"
            return None
        try:
            version = catalogue_version()
        except DATABASE_UNAVAILABLE:
            return None  # no version known yet: the view answers (with 503 if it needs the DB)
        key = cache_key(request, version)
        request._public_cache = key
        request._public_cache_validators = (
            f'W/"{key[5:37]}"',  # weak: equivalent query strings share one ETag
            version // 1_000_000_000,
        )
        etag, last_modified = request._public_cache_validators
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            request._public_cache_hit = True
            return not_modified
        if settings.PUBLIC_PAGE_CACHE_SECONDS <= 0:
            return None
        entry = cache.get(key)
        if entry is None:
            return None
        status, content, headers = entry
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        request._public_cache_hit = True
        response["X-Cache"] = "hit"
        return response

    def process_response(self, request: HttpRequest, response: HttpResponseBase):
        state = getattr(request, "_public_cache", None)
        if state is None:
            return response
        if state == "private":
            add_never_cache_headers(response)
            patch_vary_headers(response, ("Cookie",))
            return response
        if response.status_code not in (200, 304):
            return response
        hit = getattr(request, "_public_cache_hit", False)
        if not hit and self._storable(request, response):
            cache.set(
                state,
                (response.status_code, response.content, list(response.items())),
                settings.PUBLIC_PAGE_CACHE_SECONDS,
            )
            response["X-Cache"] = "miss"
        etag, last_modified = request._public_cache_validators
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_MAX_AGE)
        patch_vary_headers(response, ("Accept-Language", "Cookie", *KEY_HEADERS))
        return response

    @staticmethod
    def _storable(request: HttpRequest, response: HttpResponseBase) -> bool:
        return (
            settings.PUBLIC_PAGE_CACHE_SECONDS > 0
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not has_ignored_params(request.META.get("QUERY_STRING", ""))
            and len(response.content) <= settings.PUBLIC_CACHE_MAX_BYTES
        )
