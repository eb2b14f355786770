"""Test set-up: every test database starts with the real curated catalogue loaded."""

import pytest
from django.conf import settings

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
