"""When the database cannot be reached, answer 503 with a Danish maintenance page; the
compression of responses (`GZipMiddleware`, `gzip_compress`); and Django's locale and messages
middleware without the work an anonymous public GET throws away (ADR 0017, tenth round).

A database that is down, restarting or unreachable raises OperationalError or InterfaceError.
Instead of a 500 (which says "our bug") the site answers 503 with Retry-After (which says "come
back soon"), renders the page without touching the database, and recovers by itself: Django
drops a connection that failed at the end of the request and opens a new one on the next.

A database that hangs instead (a partition that holds packets, a server that does not answer)
is made to raise too, within seconds: the middleware gives the web process's connections their
statement timeout and answer deadline (catalogue/database.py).
"""

from __future__ import annotations

import gzip
import logging
import secrets
import sys

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.messages import middleware as django_messages
from django.contrib.messages.storage import default_storage
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware import gzip as django_gzip
from django.middleware import locale as django_locale
from django.template import loader
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject, empty
from django.views import defaults
from zlib_ng import gzip_ng

from catalogue.database import limit_web_connections

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def maintenance_response(request: HttpRequest | None = None) -> HttpResponse:
    """The 503 page. No request context: context processors could query the database."""
    # str() makes django-csp generate the nonce (it is lazy) and add it to the policy header.
    nonce = str(getattr(request, "csp_nonce", "")) if request is not None else ""
    html = loader.get_template("503.html").render({"csp_nonce": nonce})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(settings.MAINTENANCE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database outage during a view into the maintenance page."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        # Built once per web process (gunicorn, runserver, the test client), never by a
        # management command: the place for limits that must not cut a long migration or load.
        limit_web_connections()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_UNAVAILABLE):
            logger.error("Database unavailable, answering 503: %s", exception)
            return maintenance_response(request)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the same 503 for an outage raised outside a view (e.g. saving a session)."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_UNAVAILABLE):
        return maintenance_response(request)
    return defaults.server_error(request)


# zlib-ng, not the zlib in Python: the same gzip format, a stream any browser reads, made in
# ~55% of the CPU time and a little smaller at the same level (a list page: 0.39 ms and 15.4 kB
# against zlib's 0.73 ms and 15.6 kB; ADR 0017, thirteenth round). Level 3, not Django's 6: most
# compressed pages are sent once (a new search, a facet click); since the list pages' markup
# lost its indentation, level 3 sends what level 4 sent before, in ~80% of the time (fourteenth
# round).
GZIP_LEVEL = 3
MIN_COMPRESSED_BYTES = 200  # GZipMiddleware leaves shorter bodies alone


def gzip_compress(content: bytes, *, max_random_bytes: int = 0) -> bytes:
    """`content` gzip-compressed by zlib-ng at GZIP_LEVEL. With `max_random_bytes`, padded as
    Django pads against BREACH (`django.utils.text.compress_string`): a file name of random
    length in the gzip header, so the length of a body that holds a secret says less about it."""
    packed = gzip_ng.compress(content, compresslevel=GZIP_LEVEL, mtime=0)
    if not max_random_bytes:
        return packed
    header = bytearray(packed[:10])
    header[3] = gzip.FNAME
    name = b"a" * secrets.randbelow(max_random_bytes) + b"\x00"
    return bytes(header) + name + packed[10:]


class GZipMiddleware(django_gzip.GZipMiddleware):
    """Django's GZipMiddleware, compressing a whole body at GZIP_LEVEL instead of 6; a streamed
    body, one already encoded, a short one or a client that takes no gzip go to Django's."""

    def process_response(self, request: HttpRequest, response):
        if (
            response.streaming
            or len(response.content) < MIN_COMPRESSED_BYTES
            or response.has_header("Content-Encoding")
            or not django_gzip.re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        ):
            return super().process_response(request, response)
        # What Django's does, in its order (the headers' order is the same too).
        patch_vary_headers(response, ("Accept-Encoding",))
        packed = gzip_compress(response.content, max_random_bytes=self.max_random_bytes)
        if len(packed) >= len(response.content):
            return response
        response.content = packed
        response.headers["Content-Length"] = str(len(packed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response


def language_from_url(request: HttpRequest) -> str | None:
    """The language Django's LocaleMiddleware chooses, where the URL alone decides it (else None).

    Under `i18n_patterns` without a prefix for the default language, a path with a language
    prefix is in that language and every other path (`/api/` too) in `LANGUAGE_CODE`, whatever
    the language cookie or `Accept-Language` say.
    """
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    i18n_patterns_used, prefixed_default_language = is_language_prefix_patterns_used(urlconf)
    if not i18n_patterns_used or prefixed_default_language:
        return None
    return translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE


class LocaleMiddleware(django_locale.LocaleMiddleware):
    """Django's, without parsing the cookie and `Accept-Language` (18-23 us a request) when the
    URL decides the language anyway (`language_from_url`): Django's reads them, then discards
    them. Any other URL configuration goes Django's way."""

    def process_request(self, request: HttpRequest) -> None:
        language = language_from_url(request)
        if language is None:
            super().process_request(request)
            return
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class MessageMiddleware(django_messages.MessageMiddleware):
    """Django's, with the message storage made when first used. The public pages never read or
    add a message, yet Django's builds the storage (a cookie signer among it, ~17 us) and updates
    it on every request; the admin and anything that calls `messages.add_message` or reads
    `messages` get the same storage, made then, from the same request."""

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request: HttpRequest, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            # Never used: a new storage's `update()` stores nothing and leaves the cookie alone.
            return response
        return super().process_response(request, response)
