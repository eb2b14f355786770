"""Settings come from the environment and fail loudly on bad values."""

import json
import os
import subprocess
import sys

import pytest


def start(**env) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    environment.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os;"
            "os.environ['DJANGO_SETTINGS_MODULE'] = 'catalogue.settings'; django.setup()",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "0", "ALLOWED_HOSTS": "x"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "s"}, "ALLOWED_HOSTS"),
        ({"DEBUG": "1", "DB_CONN_MAX_AGE": "lots"}, "DB_CONN_MAX_AGE"),
        ({"DEBUG": "1", "DATABASE_URL": "nonsense://"}, "DATABASE_URL"),
    ],
)
def test_bad_values_stop_start_up_naming_the_variable(env, variable):
    result = start(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr


def test_debug_is_off_unless_asked_for():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; os.environ['DJANGO_SETTINGS_MODULE']='catalogue.settings';"
            "from django.conf import settings as s; print(s.DEBUG, s.LANGUAGE_CODE, s.TIME_ZONE)",
        ],
        env={
            **{k: v for k, v in os.environ.items() if k != "DEBUG"},
            "SECRET_KEY": "s",
            "ALLOWED_HOSTS": "x",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["False", "da", "Europe/Copenhagen"]


# --- Outages: timeouts for the database and the cache, and what check --deploy says -------------


def settings_of(expression: str, **env):
    from tests.support import ROOT, production_env

    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({expression}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


POSTGRES = "postgres://catalogue@db.internal:5432/catalogue"


def test_postgresql_connections_give_up_on_a_silent_network():
    """Connecting, and waiting on a connection whose packets go nowhere, end in seconds."""
    options = settings_of("settings.DATABASES['default']['OPTIONS']", DATABASE_URL=POSTGRES)
    assert options["connect_timeout"] == 3
    assert options["keepalives"] == 1 and options["keepalives_idle"] <= 10
    assert options["tcp_user_timeout"] == 10_000  # milliseconds
    # A value in the URL wins over the default.
    options = settings_of(
        "settings.DATABASES['default']['OPTIONS']",
        DATABASE_URL=POSTGRES + "?connect_timeout=9",
        DB_TCP_USER_TIMEOUT="4",
    )
    assert str(options["connect_timeout"]) == "9" and options["tcp_user_timeout"] == 4000


def test_a_redis_cache_has_short_socket_timeouts():
    from catalogue.settings import cache_config

    config = cache_config("redis://127.0.0.1:6379/0")
    assert config["OPTIONS"]["socket_connect_timeout"] <= 1
    assert config["OPTIONS"]["socket_timeout"] <= 1


@pytest.mark.parametrize(
    "variable",
    [
        "DB_CONNECT_TIMEOUT",
        "DB_STATEMENT_TIMEOUT",
        "DB_TCP_USER_TIMEOUT",
        "CACHE_SOCKET_TIMEOUT",
        "CACHE_RETRY_SECONDS",
        "CATALOGUE_VERSION_SECONDS",
    ],
)
@pytest.mark.parametrize("value", ["soon", "nan", "-1"])
def test_a_bad_timeout_stops_start_up_naming_the_variable(variable, value):
    result = start(DEBUG="1", **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr


def check_deploy(**env) -> subprocess.CompletedProcess:
    from tests.support import manage, production_env

    return manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(**env), check=False
    )


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        # Another process could show a withdrawn entry for a minute.
        ({"CATALOGUE_VERSION_SECONDS": "60"}, "catalogue.W001"),
        # A hung database or cache would hold every worker until gunicorn kills it.
        ({"DATABASE_URL": POSTGRES, "DB_STATEMENT_TIMEOUT": "0"}, "catalogue.W002"),
        ({"CACHE_URL": "redis://127.0.0.1:6379/0", "CACHE_SOCKET_TIMEOUT": "0"}, "catalogue.W002"),
        # ... or the wait is longer than gunicorn gives a request: no maintenance page.
        ({"DATABASE_URL": POSTGRES, "DB_STATEMENT_TIMEOUT": "40"}, "catalogue.W003"),
        ({"DATABASE_URL": POSTGRES, "GUNICORN_TIMEOUT": "10"}, "catalogue.W003"),
    ],
)
def test_check_deploy_warns_where_an_outage_or_an_edit_would_not_be_handled(env, warning):
    result = check_deploy(**env)
    assert result.returncode != 0 and warning in result.stderr, result.stderr


def test_check_deploy_passes_with_the_documented_defaults_on_either_database_and_cache():
    for env in ({}, {"DATABASE_URL": POSTGRES, "CACHE_URL": "redis://127.0.0.1:6379/0"}):
        result = check_deploy(**env)
        assert result.returncode == 0, result.stderr
