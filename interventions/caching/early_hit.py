"""A repeated page answered before the session, language, CSRF, auth and messages middleware.

A hit of the page cache (page_cache.py) costs little, but on the normal path it comes after nine
middleware that a cached page does not need: the session and the user (to know the visitor is
anonymous), the language (for the key), the URL resolver (for the view's `public_cache` mark),
CSRF, messages and the rest (ADR 0017, fourth round). `EarlyHitMiddleware` sits right after
WhiteNoise and answers a stored page itself, for a visitor who cannot be anyone in particular:

- a GET or HEAD, with no cookie but the harmless ones (`_harmless`: the language cookie, which
  a URL's language overrides, and a well-formed CSRF cookie, which a hit does not touch), so no
  session (no user, no editor previewing drafts) and no flash messages; no `Authorization`;
- not a conditional request (the page cache answers `If-None-Match` with a 304 on the normal
  path), for an allowed host, outside the admin (and not at all where CommonMiddleware would
  redirect to www. or refuse user agents);
- while the process knows the catalogue version without asking the database (it reads it at
  most once per `CATALOGUE_VERSION_SECONDS`, a second by default; the request that is due to
  read it goes the normal path), so the early path never touches the database, and an outage
  is met as before;
- and only if the page cache holds a page under the key the normal path would compute. It never
  stores: what it sends is what the normal path stored, and that path decided the page was
  public (the view's mark or the URL's prefix) and storable (anonymous, no cookie set, no CSRF
  token, no CSP nonce). The key holds the catalogue version, so an edit is a miss here too.

A hit sends what a hit on the normal path sends: the stored response, then the headers the
skipped middleware add to it (X-Frame-Options and Content-Length by Django's own code,
Content-Language; the `Vary` they add is in the page cache's already). The middleware outside
(security headers, CSP, CORS, GZip) runs on it as before. Everything else goes the normal path,
which is unchanged.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, CSRF_TOKEN_LENGTH
from django.utils import translation

from catalogue.middleware import language_from_url
from interventions.caching.page_cache import (
    CONDITIONAL_HEADERS,
    add_public_headers,
    public_page,
    stored_response,
    without_language,
)
from interventions.caching.version import known_catalogue_version

# What runs between this middleware and the page cache on the normal path, in order; on a hit
# each adds only what `EarlyHitMiddleware._finish` adds. Another middleware put in between
# would be skipped on a hit without anyone knowing, so a different list refuses to start.
SKIPPED = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "catalogue.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "catalogue.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
)
PAGE_CACHE = "interventions.caching.page_cache.PublicCacheMiddleware"
# Request headers that send a request the normal path: every precondition (a 304, or a 412 for
# If-Match and If-Unmodified-Since, which a stored page must not answer with a 200), and
# credentials of any kind.
NORMAL_PATH_HEADERS = (*CONDITIONAL_HEADERS, "HTTP_AUTHORIZATION")
# A CSRF cookie CsrfViewMiddleware accepts as it is (a secret, or a masked one): any other makes
# it set a new cookie, which only the normal path does.
_CSRF_COOKIE = re.compile(
    f"[{re.escape(CSRF_ALLOWED_CHARS)}]{{{CSRF_SECRET_LENGTH}}}"
    f"|[{re.escape(CSRF_ALLOWED_CHARS)}]{{{CSRF_TOKEN_LENGTH}}}"
)


def _harmless(name: str, value: str) -> bool:
    """A cookie that changes nothing in a hit's response on the normal path."""
    if name == settings.LANGUAGE_COOKIE_NAME:
        return True  # the URL says the language (`language_from_url`); LocaleMiddleware ignores it
    if name == settings.CSRF_COOKIE_NAME and not settings.CSRF_USE_SESSIONS:
        return _CSRF_COOKIE.fullmatch(value) is not None
    return False


class EarlyHitMiddleware:
    """Answers a stored anonymous page before the session middleware; see the module."""

    def __init__(self, get_response):
        self.get_response = get_response
        middleware = list(settings.MIDDLEWARE)
        own = f"{__name__}.{type(self).__name__}"
        start = middleware.index(own) + 1
        end = middleware.index(PAGE_CACHE) if PAGE_CACHE in middleware else -1
        if tuple(middleware[start:end]) != SKIPPED:
            raise ImproperlyConfigured(
                f"{own} must come right before {', '.join(SKIPPED)} and then {PAGE_CACHE}: "
                "it adds what they add to a cached page (interventions/caching/early_hit.py)."
            )
        self.xframe = XFrameOptionsMiddleware(get_response)
        self.common = CommonMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.hit(request)
        return self.get_response(request) if response is None else response

    def hit(self, request: HttpRequest) -> HttpResponseBase | None:
        """The stored page for an anonymous request, with a hit's headers; None: not early."""
        if (
            settings.PUBLIC_PAGE_CACHE_SECONDS <= 0
            or request.method not in ("GET", "HEAD")
            # CommonMiddleware's refusals and redirects: not repeated here
            or settings.DISALLOWED_USER_AGENTS
            or settings.PREPEND_WWW
        ):
            return None
        meta = request.META
        if any(name in meta for name in NORMAL_PATH_HEADERS):
            return None
        if "HTTP_COOKIE" in meta and not all(
            _harmless(name, value) for name, value in request.COOKIES.items()
        ):
            return None
        if without_language(request.path).startswith(f"/{settings.ADMIN_URL}"):
            return None
        try:
            request.get_host()  # CommonMiddleware's check: a 400 on the normal path
        except DisallowedHost:
            return None
        language = language_from_url(request)
        if language is None:
            return None
        version = known_catalogue_version()  # never the database: once due, the normal path
        if version is None:
            return None
        request.LANGUAGE_CODE = language  # the key's language, as LocaleMiddleware sets it
        page = public_page(request, version)
        response = stored_response(request, page.key)
        if response is None:
            return None
        page.hit = True
        return self._finish(request, response, page, language)

    def _finish(self, request, response, page, language: str) -> HttpResponseBase:
        """Add what the page cache and the skipped middleware add to a hit, innermost first."""
        add_public_headers(response, page)
        # HtmxMiddleware, MessageMiddleware (no messages), HistoryRequestMiddleware,
        # AuthenticationMiddleware and CsrfViewMiddleware (a well-formed cookie or none) add
        # nothing to a hit.
        response = self.xframe.process_response(request, response)
        response = self.common.process_response(request, response)  # Content-Length
        # LocaleMiddleware (as it leaves the thread, and its header). What it and
        # SessionMiddleware (the page cache's user check reads the empty session) add to `Vary`,
        # Accept-Language and Cookie, `add_public_headers` has put there already.
        translation.activate(language)
        response.headers.setdefault("Content-Language", language)
        return response
