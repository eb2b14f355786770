"""Test set-up: every test database starts with the real curated catalogue loaded."""

import pytest
from django.conf import settings
from django.core.cache import cache

from interventions.loading import load, read_fixtures


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        fixtures, problems = read_fixtures(settings.FIXTURES_DIR)
        assert not problems, problems
        load(fixtures, settings.SEEDS_DIR)


@pytest.fixture
def curated_fixtures():
    fixtures, problems = read_fixtures(settings.FIXTURES_DIR)
    assert not problems
    return fixtures


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Pages are rendered afresh in every test; tests/test_caching.py turns the cache on."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    cache.clear()
