"""A production deployment: settings pass Django's deploy checks, and gunicorn serves the site.

These tests start real processes with the production environment from README (DEBUG off, HTTPS
behind a proxy, HSTS), against a scratch copy of the loaded catalogue.
"""

import re
import subprocess
import sys

import pytest

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


def test_gunicorn_refuses_a_malformed_setting_naming_it():
    result = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            "catalogue/gunicorn.conf.py",
            "--check-config",
        ],
        env=production_env(GUNICORN_TIMEOUT="soon"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "GUNICORN_TIMEOUT" in result.stdout + result.stderr


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
