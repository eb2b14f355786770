"""The entries kept for their pages (interventions/caching/entries.py): one load per catalogue
version and process, and an edit shows at once; an old value within a version is built again
behind the requests, never across a version."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.caching.behind import INDEX_STALE_SECONDS
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


# --- Old values within a version ------------------------------------------------------------------


class Builds:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"build {self.count}"


def test_an_old_value_is_served_while_one_thread_builds_it_again(settings, clock, held_rebuilds):
    kept, build = VersionedCache(size=4), Builds()
    assert kept.get("a", build) == "build 1"
    clock.now += settings.CATALOGUE_INDEX_SECONDS
    assert kept.get("a", build) == "build 1"
    assert not held_rebuilds
    clock.now += 1
    assert [kept.get("a", build), kept.get("a", build)] == ["build 1", "build 1"]
    assert len(held_rebuilds) == 1  # no request waits for it, and one rebuild at a time
    held_rebuilds.pop()()
    assert kept.get("a", build) == "build 2"
    clock.now += settings.CATALOGUE_INDEX_SECONDS  # its time counts from the rebuild
    assert kept.get("a", build) == "build 2"
    assert not held_rebuilds and build.count == 2


def test_an_old_value_is_never_served_in_a_new_version(settings, clock, held_rebuilds):
    kept, build = VersionedCache(size=4), Builds()
    kept.get("a", build)
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    InterventionFactory()  # a new data version
    assert kept.get("a", build) == "build 2"  # built by the request
    assert not held_rebuilds


def test_a_rebuild_begun_in_an_older_version_is_not_kept(settings, clock, held_rebuilds):
    kept, build = VersionedCache(size=4), Builds()
    kept.get("a", build)
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    kept.get("a", build)
    InterventionFactory()  # the version moves while the rebuild runs
    assert kept.get("a", build) == "build 2"
    held_rebuilds.pop()()  # "build 3", read in the older version
    assert kept.get("a", build) == "build 2"


def test_a_failed_rebuild_keeps_the_old_value_and_is_tried_again(
    settings, clock, held_rebuilds, caplog
):
    kept, calls = VersionedCache(size=4), []

    def build() -> str:
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return f"build {len(calls)}"

    kept.get("a", build)
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    assert kept.get("a", build) == "build 1"
    held_rebuilds.pop()()
    assert "could not be loaded again" in caplog.text
    assert kept.get("a", build) == "build 1"  # still served, and a new rebuild started
    held_rebuilds.pop()()
    assert kept.get("a", build) == "build 3"


def test_past_the_bound_the_request_builds_the_value(settings, clock, held_rebuilds):
    kept, build = VersionedCache(size=4), Builds()
    kept.get("a", build)
    clock.now += settings.CATALOGUE_INDEX_SECONDS + INDEX_STALE_SECONDS
    assert kept.get("a", build) == "build 1"  # its rebuild hangs
    clock.now += 1
    assert kept.get("a", build) == "build 2"
    held_rebuilds.pop()()  # the hung rebuild ends at last: it does not replace the newer value
    assert kept.get("a", build) == "build 2"


def test_one_key_is_built_again_at_a_time(settings, clock, held_rebuilds):
    kept, build = VersionedCache(size=4), Builds()
    kept.get("a", build)
    kept.get("b", build)
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    assert [kept.get("a", build), kept.get("b", build)] == ["build 1", "build 2"]
    assert len(held_rebuilds) == 1
    held_rebuilds.pop()()
    assert kept.get("a", build) == "build 3"
    assert kept.get("b", build) == "build 2"  # the next request that finds it old starts it
    held_rebuilds.pop()()
    assert kept.get("b", build) == "build 4"


def test_a_rebuild_does_not_bring_back_a_value_dropped_meanwhile(settings, clock, held_rebuilds):
    kept, build = VersionedCache(size=2), Builds()
    kept.get("a", build)
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    kept.get("a", build)  # its rebuild starts
    kept.get("b", build)
    kept.get("c", build)  # "a" makes room
    held_rebuilds.pop()()
    assert len(kept) == 2
    kept.get("b", lambda: pytest.fail("b is kept"))
    kept.get("c", lambda: pytest.fail("c is kept"))
    kept.clear()
    kept.get("d", build)
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    kept.get("d", build)
    kept.clear()  # this process dropped what it kept
    held_rebuilds.pop()()
    assert len(kept) == 0


def test_without_behind_the_request_builds_an_old_value_again(settings, clock, held_rebuilds):
    """For values the request's own build makes (the API's items, in the request's language)."""
    kept, build = VersionedCache(size=4, behind=False), Builds()
    kept.get("a", build)
    clock.now += settings.CATALOGUE_INDEX_SECONDS
    assert kept.get("a", build) == "build 1"
    clock.now += 1
    assert kept.get("a", build) == "build 2"
    assert not held_rebuilds
    assert len(kept) == 1


def test_an_old_entry_s_page_reads_nothing_while_it_is_loaded_again(
    client, settings, clock, held_rebuilds
):
    url = Intervention.objects.published().first().get_absolute_url()
    loading = _queries(lambda: client.get(url))
    assert loading > 0
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    assert _queries(lambda: client.get(url)) == 0
    assert _queries(held_rebuilds.pop()) == loading
    assert _queries(lambda: client.get(url)) == 0


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx)
