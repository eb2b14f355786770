"""Test set-up: every test database starts with the real curated catalogue loaded."""

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from interventions.api.serializers import forget_items
from interventions.caching import behind
from interventions.caching.entries import forget_entries
from interventions.caching.version import catalogue_version
from interventions.curation.load import load
from interventions.curation.read import read_fixtures
from interventions.listing.index import forget_index
from interventions.search import side
from interventions.search.documents import forget_caches
from tests.support import Clock

SYSTEM = Path(__file__).parent / "system"


def pytest_collection_modifyitems(config, items):
    """`system`: what starts real processes (tests/system/, or a scratch database for one), so
    `make test-fast` can leave it out."""
    for item in items:
        if SYSTEM in item.path.parents or "scratch_databases" in item.fixturenames:
            item.add_marker(pytest.mark.system)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        fixtures, problems = read_fixtures(settings.FIXTURES_DIR)
        assert not problems, problems
        load(fixtures, settings.SEEDS_DIR)
        catalogue_version()  # known to the process from the start, as in a running server
    yield
    # A search may have used a second connection (outside a transaction: a live server's
    # requests); an open one would keep the test database from being dropped.
    side.close()


@pytest.fixture
def curated_fixtures():
    fixtures, problems = read_fixtures(settings.FIXTURES_DIR)
    assert not problems
    return fixtures


@pytest.fixture(autouse=True)
def _danish_after_each_test():
    """A request to /en/ leaves English active in the thread; the next test starts in Danish, so
    a URL it reverses or a label it reads does not depend on which test ran before it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Pages are rendered afresh in every test; tests/test_caching.py turns the cache on.

    The facet index, the entries kept for their pages and the search's caches go too: the
    rollback that ends a test takes data away without a signal.
    The tests run in one process, which learns of its own commits at once, so the shared
    catalogue version is not read again every second: query counts do not depend on how fast a
    test runs (tests/caching/test_page_cache.py checks what reading it costs).
    """
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    settings.CATALOGUE_VERSION_SECONDS = 3600
    cache.clear()
    forget_index()
    forget_entries()
    forget_items()  # the API's kept list items
    forget_caches()  # the search's words, names and places, for the same reason


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The process's monotonic clock, moved on by the test (a kept thing's age)."""
    clock = Clock()
    monkeypatch.setattr(time, "monotonic", clock)
    return clock


@pytest.fixture
def held_rebuilds(monkeypatch) -> list:
    """The rebuilds started behind the requests (`caching.behind`), held until the test runs
    them, as a thread would, later."""
    started: list = []
    monkeypatch.setattr(behind, "refresh_behind", started.append)
    return started


@pytest.fixture(scope="session")
def scratch_databases(django_db_setup, django_db_blocker, tmp_path_factory):
    """Databases for subprocesses (servers, loads, backups), beside the test database.

    `migrated` has the schema only, `loaded` also the catalogue; tests that change one work on a
    copy: `scratch_databases.create("mine", template="loaded")`.
    """
    from tests.support import ScratchDatabases, manage, production_env

    with django_db_blocker.unblock():
        databases = ScratchDatabases(tmp_path_factory.mktemp("scratch"))
        env = production_env(databases.create("migrated"))
        manage("migrate", "--noinput", env=env)
        manage(
            "load_catalogue", env={**env, "DATABASE_URL": databases.create("loaded", "migrated")}
        )
        yield databases
        databases.drop_all()
