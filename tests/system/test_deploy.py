"""A production deployment: settings pass Django's deploy checks, and gunicorn serves the site.

These tests start real processes with the production environment from docs/operations.md (DEBUG
off, HTTPS behind a proxy, HSTS), against a scratch copy of the loaded catalogue.
"""

import math
import re
import subprocess
import sys
from urllib.parse import urlencode

import pytest

from interventions.api.schema import REQUEST_LINE_NOTE
from interventions.listing.filters import InterventionFilter
from interventions.listing.index import catalogue_index
from interventions.search.text import MAX_QUERY_LENGTH
from interventions.views.pages import PAGE_SIZE
from tests.support import ROOT, ensure_collected_static, fetch, gunicorn, manage, production_env

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def collected_static():
    ensure_collected_static()


def test_check_deploy_passes_with_production_settings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(), check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("weakened", "warning"),
    [
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"SESSION_COOKIE_SECURE": "0"}, "security.W012"),
        ({"SECRET_KEY": "short"}, "security.W009"),
        ({"EMAIL_URL": "console://"}, "catalogue.W004"),
        ({"DEFAULT_FROM_EMAIL": "noreply@localhost"}, "catalogue.W004"),
        ({"SITE_URL": ""}, "catalogue.W005"),
    ],
)
def test_check_deploy_fails_when_a_protection_is_off(weakened, warning):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(**weakened),
        check=False,
    )
    assert result.returncode != 0 and warning in result.stderr


def test_a_declined_check_can_be_silenced_explicitly():
    env = production_env(SECURE_HSTS_PRELOAD="0", SILENCED_SYSTEM_CHECKS="security.W021")
    assert (
        manage("check", "--deploy", "--fail-level", "WARNING", env=env, check=False).returncode == 0
    )


def settings_value(expression: str, **env) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from django.urls import reverse; print(" + expression + ")"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECURE_HSTS_SECONDS", "-1"),
        ("SECURE_HSTS_SECONDS", "a year"),
        ("SESSION_COOKIE_AGE", "0"),
        ("SESSION_EXPIRE_AT_BROWSER_CLOSE", "sometimes"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("AXES_COOLOFF_MINUTES", "soon"),
        ("TRUSTED_PROXY_COUNT", "-2"),
        ("MAINTENANCE_RETRY_AFTER", "0"),
        ("ADMIN_URL", "/admin/"),
        ("ADMIN_URL", "admin"),
        ("ADMIN_URL", "../admin/"),
        ("ADMIN_URL", ""),
        ("SILENCED_SYSTEM_CHECKS", ","),
    ],
)
def test_a_bad_security_setting_stops_start_up_naming_the_variable(variable, value):
    result = settings_value("settings.DEBUG", **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr


def test_the_admin_path_is_configurable():
    assert settings_value("reverse('admin:index')").stdout.strip() == "/admin/"
    moved = settings_value("reverse('admin:index')", ADMIN_URL="redaktion/")
    assert moved.stdout.strip() == "/redaktion/", moved.stderr


def test_settings_come_from_the_environment():
    result = settings_value(
        "settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_AGE, settings.AXES_FAILURE_LIMIT, "
        "settings.AXES_COOLOFF_TIME.total_seconds()",
        SECURE_HSTS_SECONDS="600",
        SESSION_COOKIE_AGE="3600",
        AXES_FAILURE_LIMIT="3",
        AXES_COOLOFF_MINUTES="10",
    )
    assert result.stdout.split() == ["600", "3600", "3", "600.0"], result.stderr


def test_the_wsgi_module_leaves_what_start_up_made_to_the_gc_frozen():
    """Start-up's objects live as long as the process: the WSGI module takes them out of the
    cyclic GC's full collections (in production's preloading master, before the fork)."""
    code = (
        "import gc; before = gc.get_freeze_count(); import catalogue.wsgi; "
        "print(before, gc.get_freeze_count(), len(gc.get_objects()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    before, frozen, left = map(int, result.stdout.split())
    assert before == 0 and frozen > 10 * left


def gunicorn_config(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`gunicorn -c catalogue/gunicorn.conf.py ARGS` in the production environment."""
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "catalogue/gunicorn.conf.py", *args],
        env=production_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def gunicorn_setting(name: str, **env: str) -> str:
    """The value gunicorn will run with, as `--print-config` shows it."""
    result = gunicorn_config("--print-config", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    return re.search(rf"^{name}\s*=\s*(.*)$", result.stdout, re.MULTILINE).group(1)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GUNICORN_TIMEOUT", "soon"),
        ("GUNICORN_LIMIT_REQUEST_LINE", "long"),
        ("GUNICORN_LIMIT_REQUEST_LINE", "0"),  # gunicorn would read it as "no limit"
        ("GUNICORN_LIMIT_REQUEST_LINE", "9000"),  # gunicorn would quietly lower it to 8190
    ],
)
def test_gunicorn_refuses_a_malformed_setting_naming_it(variable, value):
    result = gunicorn_config("--check-config", **{variable: value})
    assert result.returncode != 0 and variable in result.stdout + result.stderr


def test_the_production_server_serves_the_site_with_security_headers(
    scratch_databases, collected_static
):
    env = production_env(scratch_databases.url("loaded"))
    with gunicorn(env) as port:
        page = fetch(port, "/indsatser/")
        assert page.status == 200
        assert "Indsatser" in page.body
        headers = page.headers
        assert (
            headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        policy = headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy

        detail = fetch(port, "/indsatser/biofeedback-horsens/")
        assert detail.status == 200

        # The stylesheet comes hashed and compressed from WhiteNoise, cacheable for ever.
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.body).group(1)
        assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet)
        css = fetch(port, stylesheet)
        assert css.status == 200 and "max-age=315360000" in css.headers["Cache-Control"]

        # Plain HTTP is sent to HTTPS.
        plain = fetch(port, "/indsatser/", https=False)
        assert plain.status == 301
        assert plain.headers["Location"] == "https://localhost/indsatser/"

        # HEAD gets GET's headers and no body.
        for path in ("/indsatser/", "/indsatser/download.csv", "/api/interventions/"):
            got, head = fetch(port, path), fetch(port, path, method="HEAD")
            assert (got.status, head.status) == (200, 200), path
            assert head.body == "" and got.body
            assert head.headers["Content-Type"] == got.headers["Content-Type"]
            assert head.headers["Content-Length"] == got.headers["Content-Length"]


# --- The longest request the list page sends ------------------------------------------------------

# Room for the catalogue to grow before the limit must be looked at again. 1.1 until the
# "alle valgte" switch and the budget-kind facet (2026-12-03) took the worst case, every value
# of every facet at once with a 200-letter search, to 7,546 of gunicorn's 8,190 bytes: the next
# vocabulary growth must shorten the parameters (ids for slugs) rather than lower this again.
REQUEST_LINE_MARGIN = 1.05


def longest_selection() -> list[tuple[str, str]]:
    """The list page's longest query: every value of every facet chosen at once, and a search of
    the longest length in Danish letters (two bytes each, six once percent-encoded)."""
    index = catalogue_index()
    others = {"q", "sort", "has_budget", "match_all"}
    assert set(InterventionFilter.base_filters) == set(index.facets) | others, "a new parameter"
    params = [(name, str(value.key)) for name, values in index.facets.items() for value in values]
    sort = InterventionFilter.base_filters["sort"].field.choices
    match_all = InterventionFilter.base_filters["match_all"].extra["choices"]
    return [
        *params,
        *(("match_all", value) for value, _label in match_all),
        ("q", "ø" * MAX_QUERY_LENGTH),
        ("sort", max((value for value, _label in sort), key=len)),
        ("has_budget", "false"),
    ]


def longest_list_path() -> str:
    """The list page's longest URL: the longest selection, on its last page, in English."""
    last_page = math.ceil(catalogue_index().all.bit_count() / PAGE_SIZE)
    return f"/en/indsatser/?{urlencode([*longest_selection(), ('page', str(last_page))])}"


def test_the_request_line_limit_covers_every_facet_value_at_once_with_room_to_grow():
    request_line = f"HEAD {longest_list_path()} HTTP/1.1"  # HEAD: the longest method we answer
    limit = int(gunicorn_setting("limit_request_line"))
    assert len(request_line) * REQUEST_LINE_MARGIN <= limit, (len(request_line), limit)
    assert f"højst fylde {limit} bytes" in REQUEST_LINE_NOTE  # the API schema says so


def test_the_request_line_limit_comes_from_the_environment():
    assert gunicorn_setting("limit_request_line", GUNICORN_LIMIT_REQUEST_LINE="6000") == "6000"


def test_gunicorn_serves_the_list_with_every_facet_value_chosen(
    scratch_databases, collected_static
):
    """Not gunicorn's own 414 page: the page itself, also as an htmx request from that page, and
    the same selection from the downloads and the API."""
    path = longest_list_path()
    with gunicorn(production_env(scratch_databases.url("loaded"))) as port:
        page = fetch(port, path)
        assert page.status == 200, page.body[:300]
        assert "<html" in page.body
        assert fetch(port, path, method="HEAD").status == 200
        # htmx sends the page's own URL along; a browser its Referer.
        url = f"https://localhost{path}"
        headers = {"HX-Request": "true", "HX-Current-URL": url, "Referer": url}
        partial = fetch(port, path, headers=headers)
        assert partial.status == 200 and "<html" not in partial.body
        query = urlencode(longest_selection())
        for other in ("/indsatser/download.csv", "/indsatser/download.json", "/api/interventions/"):
            assert fetch(port, f"{other}?{query}").status == 200, other
