"""Settings come from the environment and fail loudly on bad values."""

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


# --- Outages: timeouts for the cache -------------------------------------------------------------


def test_a_redis_cache_has_short_socket_timeouts():
    from catalogue.settings import cache_config

    config = cache_config("redis://127.0.0.1:6379/0")
    assert config["OPTIONS"]["socket_connect_timeout"] <= 1
    assert config["OPTIONS"]["socket_timeout"] <= 1
