"""What every bench step shares: where the bench databases live and how a step is started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results"
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DATABASES = ("sqlite", "postgres")
CURATED = 0  # "size" of the real curated catalogue, with nothing generated
# Several checkouts sharing one PostgreSQL server keep their bench databases apart with this.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "indsats_bench")


def db_name(size: int) -> str:
    return f"{DB_PREFIX}_{size or 'curated'}"


def database_url(db: str, size: int) -> str:
    """The bench database for a size; never the development or the test databases."""
    if db == "sqlite":
        return f"sqlite:///{DATA / (db_name(size) + '.sqlite3')}"
    if db == "postgres":
        return f"{PG_SERVER}/{db_name(size)}"
    raise ValueError(f"unknown database {db!r}; choose from {', '.join(DATABASES)}")


def django_env(db: str, size: int, **extra: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) pointed at a bench database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CACHE_URL", "PUBLIC_PAGE_CACHE_SECONDS", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="catalogue.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key",
        ALLOWED_HOSTS="testserver,localhost,127.0.0.1",
        DATABASE_URL=database_url(db, size),
        LOG_LEVEL="ERROR",
    )
    env.update(extra)
    return env


def run_step(module: str, args: list[str], env: dict[str, str]) -> dict:
    """Run `python -m bench.<module>` in its own process; it prints one JSON object last."""
    process = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if process.returncode != 0:
        raise SystemExit(f"bench.{module} {' '.join(args)} failed (exit {process.returncode})")
    return json.loads(process.stdout.strip().splitlines()[-1])


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
    django.setup()
