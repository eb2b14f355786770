"""The entries kept for their pages (interventions/caching/entries.py): one load per catalogue
version and process, and an edit shows at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.caching.entries import VersionedCache, published_entries
from interventions.models import Intervention
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db


def test_a_kept_value_is_built_once_per_version():
    kept = VersionedCache(size=4)
    built = []

    def build():
        built.append(1)
        return object()

    first = kept.get("a", build)
    assert kept.get("a", build) is first
    assert len(built) == 1
    InterventionFactory()  # a change to the catalogue: a new data version
    assert kept.get("a", build) is not first
    assert len(built) == 2


def test_only_the_last_values_are_kept():
    kept = VersionedCache(size=2)
    for key in ("a", "b", "c"):
        kept.get(key, object)
    assert len(kept) == 2
    kept.get("b", lambda: pytest.fail("b is kept"))
    kept.get("c", lambda: pytest.fail("c is kept"))


def test_a_failed_build_is_not_kept():
    kept = VersionedCache(size=2)

    def missing():
        raise LookupError

    with pytest.raises(LookupError):
        kept.get("a", missing)
    assert len(kept) == 0


def test_an_edit_shows_on_the_next_request(client):
    entry = Intervention.objects.published().first()
    url = entry.get_absolute_url()
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    assert len(ctx) == 0, "kept"
    entry.title = "En helt ny titel"
    entry.save()
    assert "En helt ny titel" in client.get(url).content.decode()


def test_an_unpublished_entry_is_gone_from_the_next_request(client):
    entry = Intervention.objects.published().first()
    url = entry.get_absolute_url()
    assert client.get(url).status_code == 200
    assert len(published_entries) == 1
    entry.is_published = False
    entry.save()
    assert client.get(url).status_code == 404
