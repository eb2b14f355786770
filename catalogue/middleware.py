"""When the database cannot be reached, answer 503 with a Danish maintenance page.

A database that is down, restarting or unreachable raises OperationalError or InterfaceError.
Instead of a 500 (which says "our bug") the site answers 503 with Retry-After (which says "come
back soon"), renders the page without touching the database, and recovers by itself: Django
drops a connection that failed at the end of the request and opens a new one on the next.

A database that hangs instead (a partition that holds packets, a server that does not answer)
is made to raise too, within seconds: the middleware gives the web process's connections their
statement timeout and answer deadline (catalogue/database.py).
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

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
