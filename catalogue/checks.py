"""`manage.py check --deploy`: settings under which an outage or an edit would not be handled.

- catalogue.W001: processes learn of another process's edit only after CATALOGUE_VERSION_SECONDS;
  longer than a few seconds, a withdrawn entry stays visible that long.
- catalogue.W002: a limit that keeps a hung database or cache from holding a worker is off.
- catalogue.W003: a request may wait for a hung database longer than gunicorn lets it run, so
  gunicorn kills the worker and nobody gets the maintenance page.
- catalogue.W004: owners' confirmation requests would not reach them: the mail backend keeps
  messages in the process (console, memory, file, dummy), or the sender is the development
  default at localhost, which receiving servers refuse or file as spam.
- catalogue.W005: SITE_URL is unset, so the commands that e-mail links (cron) cannot run.

Registered by `interventions.apps`; ids are stable, so an operator can silence one on purpose
(SILENCED_SYSTEM_CHECKS).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Warning, register

from catalogue.database import ANSWER_MARGIN

VERSION_SECONDS_LIMIT = 5
GUNICORN_TIMEOUT_DEFAULT = 30  # catalogue/gunicorn.conf.py


def _postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _redis_timeouts() -> list[object]:
    config = settings.CACHES["default"]
    if "redis" not in config["BACKEND"].lower():
        return []
    options = config.get("OPTIONS", {})
    return [options.get("socket_connect_timeout"), options.get("socket_timeout")]


@register("outages", deploy=True)
def check_edits_reach_every_process(app_configs, **kwargs) -> list[Warning]:
    seconds = settings.CATALOGUE_VERSION_SECONDS
    if seconds <= VERSION_SECONDS_LIMIT:
        return []
    return [
        Warning(
            f"CATALOGUE_VERSION_SECONDS is {seconds:g}: after an entry is withdrawn, other "
            f"processes go on showing it for up to {seconds:g} s.",
            hint=f"Keep it at {VERSION_SECONDS_LIMIT} s or less (default 1).",
            id="catalogue.W001",
        )
    ]


@register("outages", deploy=True)
def check_outages_are_bounded(app_configs, **kwargs) -> list[Warning]:
    warnings = []
    if _postgresql():
        options = settings.DATABASES["default"].get("OPTIONS", {})
        off = [
            name
            for name, value in (
                ("DB_CONNECT_TIMEOUT", options.get("connect_timeout")),
                ("DB_TCP_USER_TIMEOUT", options.get("tcp_user_timeout")),
                ("DB_STATEMENT_TIMEOUT", settings.DB_STATEMENT_TIMEOUT),
            )
            if not float(value or 0)
        ]
        if off:
            warnings.append(
                Warning(
                    f"{', '.join(off)} off: a database that hangs holds every worker until "
                    "gunicorn kills it, and nobody gets the maintenance page.",
                    hint="Unset the variable for its default, or give it a number of seconds.",
                    id="catalogue.W002",
                )
            )
        connect = float(options.get("connect_timeout") or 0)
        worst = 2 * connect + settings.DB_STATEMENT_TIMEOUT + ANSWER_MARGIN
        gunicorn_timeout = int(os.environ.get("GUNICORN_TIMEOUT", GUNICORN_TIMEOUT_DEFAULT))
        if not off and worst >= gunicorn_timeout:
            warnings.append(
                Warning(
                    f"A request may wait {worst:g} s for a database that hangs "
                    f"(2 x DB_CONNECT_TIMEOUT + DB_STATEMENT_TIMEOUT + {ANSWER_MARGIN:g} s), "
                    f"not less than GUNICORN_TIMEOUT ({gunicorn_timeout} s): gunicorn kills the "
                    "worker before the maintenance page can be sent.",
                    hint="Shorten the database timeouts or lengthen GUNICORN_TIMEOUT.",
                    id="catalogue.W003",
                )
            )
    if any(not value for value in _redis_timeouts()):
        warnings.append(
            Warning(
                "CACHE_SOCKET_TIMEOUT is off: a Redis that hangs holds every worker until "
                "gunicorn kills it.",
                hint="Unset it for its default (0.5 s).",
                id="catalogue.W002",
            )
        )
    return warnings


# Backends that never hand a message to a mail server.
_UNSENT_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@register("mail", deploy=True)
def check_mail_reaches_owners(app_configs, **kwargs) -> list[Warning]:
    warnings = []
    if settings.EMAIL_BACKEND in _UNSENT_BACKENDS:
        warnings.append(
            Warning(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: confirmation requests to owners "
                "are recorded as sent but never leave the server.",
                hint="Set EMAIL_URL to the mail server (smtp://user:password@host:587?tls=1).",
                id="catalogue.W004",
            )
        )
    if settings.DEFAULT_FROM_EMAIL.rstrip(">").endswith("@localhost"):
        warnings.append(
            Warning(
                f"DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL!r}: mail from localhost "
                "is refused or filed as spam by the owners' mail servers.",
                hint="Set DEFAULT_FROM_EMAIL to an address of the site's own domain.",
                id="catalogue.W004",
            )
        )
    if not settings.SITE_URL:
        warnings.append(
            Warning(
                "SITE_URL is unset: request_confirmations and follow_up_confirmations cannot "
                "build the links they e-mail, so the cron jobs fail.",
                hint="Set SITE_URL to the site's address, e.g. https://indsatskataloget.dk.",
                id="catalogue.W005",
            )
        )
    return warnings
