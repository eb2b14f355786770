"""A rate limit per client address for the public forms, kept in Django's cache.

Each address may send FEEDBACK_RATE_LIMIT posts per FEEDBACK_RATE_WINDOW seconds (settings, from
the environment); more get 429 with a Danish page and Retry-After. The address is the one the
project trusts behind its proxies (`catalogue.security.client_ip_address`, as django-axes uses).
A cache that fails lets the post through: the forms store nothing public, an editor decides.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalogue.security import client_ip_address

logger = logging.getLogger(__name__)


def _key(request: HttpRequest, scope: str) -> str:
    address = client_ip_address(request) or "unknown"
    window = int(time.time()) // settings.FEEDBACK_RATE_WINDOW
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"feedback-rate:{scope}:{window}:{digest}"


def allow(request: HttpRequest, scope: str = "forms") -> bool:
    """Count one post from the request's address; False once it is over the limit."""
    key = _key(request, scope)
    try:
        cache.add(key, 0, settings.FEEDBACK_RATE_WINDOW)
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first post of a new window
        cache.set(key, 1, settings.FEEDBACK_RATE_WINDOW)
        count = 1
    except Exception:  # noqa: BLE001 (a failing cache must not take the forms down)
        logger.warning("Rate limit cache unavailable; letting a feedback post through")
        return True
    return count <= settings.FEEDBACK_RATE_LIMIT


def too_many(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "feedback/public/too_many.html",
        {"minutes": max(1, settings.FEEDBACK_RATE_WINDOW // 60)},
        status=429,
    )
    response["Retry-After"] = str(settings.FEEDBACK_RATE_WINDOW)
    response["Cache-Control"] = "no-store"
    return response
