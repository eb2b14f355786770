"""The page cache: anonymous public responses stored under the catalogue version.

Rendered responses are stored in Django's cache under a key made of the catalogue version
(interventions/caching/version.py), the path, the normalised query string, the language and the
request headers a response may depend on (htmx, Accept). The same version gives each response an
`ETag` and a `Last-Modified`, so a client or a CDN revalidates with a 304 and no rendering at all.

Logged-in users (editors previewing drafts) neither read nor fill the cache and get `private`
responses. A response that sets a cookie, uses a CSRF token or a CSP nonce, or is not a plain 200
is not stored: what is stored holds nothing secret or particular to one request.

An entry keeps the body twice: as rendered, and gzip-compressed once when stored, so a hit for
a client that accepts gzip (every browser) is sent as it is, not compressed again on every hit
(ADR 0005, 0017).

Which URLs: everything under `settings.PUBLIC_CACHE_PREFIXES`, and views decorated with
`@public_cache`. The cache itself may fail at any time (catalogue/cache.py): a failure is a miss.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)
from django.utils.http import http_date

from catalogue.middleware import DATABASE_UNAVAILABLE, gzip_compress
from interventions.caching.version import catalogue_version

# Request headers a cached response may depend on; each is part of the key and of `Vary`.
KEY_HEADERS = ("Accept", "HX-Request", "HX-Boosted", "HX-Target")
# Parameters that never change what is shown (campaign tracking): left out of the key.
IGNORED_PARAMS = frozenset({"fbclid", "gclid", "msclkid", "mc_cid", "mc_eid"})
# Requests carrying these cookies may see per-user content (flash messages): never cached.
BYPASS_COOKIES = ("messages",)
# GZipMiddleware's own test: a request that accepts gzip.
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# The request headers `get_conditional_response` reads.
CONDITIONAL_HEADERS = (
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
)
MIN_PACKED_BYTES = 200  # GZipMiddleware leaves shorter bodies alone, and so does the cache


def normalised_query(query_string: str) -> str:
    """The query string as the key sees it: parameters sorted by name, tracking dropped.

    Two query strings share a key only if every view must answer them alike: Django reads
    parameters by name, so their order does not matter, but the values of one parameter keep
    their order (for a single-valued parameter the last wins), and a blank parameter is not an
    absent one (`/api/docs/?script=` is Swagger UI's script, `/api/docs/` its page).
    """
    return _normalised_query(query_string) if query_string else ""


@lru_cache(maxsize=256)  # a repeated URL is what the cache is for; ~0.1 ms of a 0.4 ms hit
def _normalised_query(query_string: str) -> str:
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
    meta = request.META
    parts = [
        str(version),
        # Pages hold absolute addresses (og:url, the API's links, the feeds): a page read over
        # one allowed host or scheme is not another's.
        request.scheme,
        request.get_host(),
        request.path,
        normalised_query(meta.get("QUERY_STRING", "")),
        getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
        # `request.headers.get(h, "")`, without building the whole `HttpHeaders` of the request
        *(meta.get(name, "") for name in _KEY_META),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"page:{digest}"


_KEY_META = tuple(f"HTTP_{h.upper().replace('-', '_')}" for h in KEY_HEADERS)


# --- The middleware -------------------------------------------------------------------------------


V = TypeVar("V", bound=Callable)


def public_cache(view: V) -> V:
    """Mark a view as public and cacheable for anonymous users (like `csrf_exempt`)."""
    setattr(view, "public_cache", True)  # noqa: B010 (a function attribute, as csrf_exempt sets)
    return view


_STATE = "_public_page"  # the request attribute that carries a request's page-cache state


@dataclass
class _PublicPage:
    """A public request's cache key and validators, and whether the cache answered it."""

    key: str
    etag: str
    last_modified: int
    hit: bool = False


PRIVATE = _PublicPage("", "", 0)  # a signed-in or bypassing visitor: never cached


def without_language(path: str) -> str:
    """/en/indsatser/ -> /indsatser/: the prefixes name pages in every interface language."""
    first, _, rest = path.lstrip("/").partition("/")
    return f"/{rest}" if first in dict(settings.LANGUAGES) else path


def public_page(request: HttpRequest, version: int) -> _PublicPage:
    """A public request's key and validators (the language must be known: LocaleMiddleware)."""
    key = cache_key(request, version)
    # Weak ETag: equivalent query strings share one.
    return _PublicPage(key, etag=f'W/"{key[5:37]}"', last_modified=version // 1_000_000_000)


def stored_response(request: HttpRequest, key: str) -> HttpResponse | None:
    """The response stored under `key`, as a hit sends it (before `add_public_headers`)."""
    if settings.PUBLIC_PAGE_CACHE_SECONDS <= 0:
        return None
    entry = cache.get(key)
    if entry is None or len(entry) != 4:  # (an entry stored by an older release: a miss)
        return None
    status, content, headers, packed = entry
    response = HttpResponse(status=status)
    for name, value in headers:
        response[name] = value
    _set_body(request, response, content, packed)
    response["X-Cache"] = "hit"
    return response


def add_public_headers(response: HttpResponseBase, page: _PublicPage) -> None:
    """What every anonymous public response says, cached or not: validators, age, `Vary`."""
    response["ETag"] = page.etag
    response["Last-Modified"] = _http_date(page.last_modified)
    max_age = settings.PUBLIC_CACHE_MAX_AGE
    if response.get("Cache-Control"):
        patch_cache_control(response, public=True, max_age=max_age)
    else:  # what `patch_cache_control` writes when there is none, without parsing
        response["Cache-Control"] = f"public, max-age={max_age}"
    # Accept-Encoding last, where GZipMiddleware puts it; one patch adds what two would.
    patch_vary_headers(
        response, _VARY_GZIP if response.get("Content-Encoding") == "gzip" else _VARY
    )


_VARY = ("Accept-Language", "Cookie", *KEY_HEADERS)
_VARY_GZIP = (*_VARY, "Accept-Encoding")


@lru_cache(maxsize=8)  # one per catalogue version, which changes with an edit
def _http_date(seconds: int) -> str:
    return http_date(seconds)


def _set_body(
    request: HttpRequest, response: HttpResponse, content: bytes, packed: bytes | None
) -> None:
    """The stored compressed body for a client that accepts gzip, else the plain one.

    GZipMiddleware leaves a response with a `Content-Encoding` alone, so the `Vary` it would
    add is added in `add_public_headers`. Its random padding against BREACH is not needed: a
    stored page holds no secret (`_storable`), so nothing can be learnt from its length.
    """
    if packed is None or not ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        response.content = content
        return
    response.content = packed
    response["Content-Encoding"] = "gzip"


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
        return marked or without_language(request.path).startswith(
            tuple(settings.PUBLIC_CACHE_PREFIXES)
        )

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not self._is_public(request, view_func):
            return None
        if request.user.is_authenticated or any(c in request.COOKIES for c in BYPASS_COOKIES):
            setattr(request, _STATE, PRIVATE)
            return None
        try:
            version = catalogue_version()
        except DATABASE_UNAVAILABLE:
            return None  # no version known yet: the view answers (with 503 if it needs the DB)
        page = public_page(request, version)
        setattr(request, _STATE, page)
        meta = request.META
        # Without a precondition header, Django's function answers None (it parses all four).
        if any(name in meta for name in CONDITIONAL_HEADERS):
            not_modified = get_conditional_response(
                request, etag=page.etag, last_modified=page.last_modified
            )
            if not_modified is not None:
                page.hit = True
                return not_modified
        response = stored_response(request, page.key)
        page.hit = response is not None
        return response

    def process_response(self, request: HttpRequest, response: HttpResponseBase):
        page = getattr(request, _STATE, None)
        if page is None:
            return response
        if page is PRIVATE:
            add_never_cache_headers(response)
            patch_vary_headers(response, ("Cookie",))
            return response
        if response.status_code not in (200, 304):
            return response
        if (
            not page.hit
            and isinstance(response, HttpResponse)
            and self._storable(request, response)
        ):
            content, headers = response.content, list(response.items())
            packed = None
            if len(content) >= MIN_PACKED_BYTES and not response.has_header("Content-Encoding"):
                packed = gzip_compress(content)
                packed = packed if len(packed) < len(content) else None
            cache.set(
                page.key,
                (response.status_code, content, headers, packed),
                settings.PUBLIC_PAGE_CACHE_SECONDS,
            )
            _set_body(request, response, content, packed)
            response["X-Cache"] = "miss"
        add_public_headers(response, page)
        return response

    @staticmethod
    def _storable(request: HttpRequest, response: HttpResponse) -> bool:
        return (
            settings.PUBLIC_PAGE_CACHE_SECONDS > 0
            and response.status_code == 200
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            # A nonce in the body would be stale on a hit, whose header gets none (django-csp
            # puts a nonce in the header only when the request used one).
            and getattr(request, "_csp_nonce", None) is None
            and not has_ignored_params(request.META.get("QUERY_STRING", ""))
            and len(response.content) <= settings.PUBLIC_CACHE_MAX_BYTES
        )
