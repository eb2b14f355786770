"""The catalogue index and the kept cards follow the catalogue: never stale, never unbounded.
Within a version, an old index is built again behind the requests."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interventions.caching.behind import INDEX_STALE_SECONDS
from interventions.caching.version import bump_catalogue_version, catalogue_version
from interventions.listing import index as index_module
from interventions.listing.index import catalogue_index, forget_index
from interventions.models import Intervention
from interventions.search.query import ranked

pytestmark = pytest.mark.django_db


def test_the_index_is_kept_while_the_catalogue_version_holds():
    assert catalogue_index() is catalogue_index()


def test_another_process_s_committed_edit_makes_a_new_index():
    before = catalogue_index()
    bump_catalogue_version()  # what a commit in any process sharing the cache does
    assert catalogue_index() is not before


# --- An old index within a version is built again behind the requests ---------------------------


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx)


def test_an_old_index_is_served_while_one_thread_builds_the_next(settings, clock, held_rebuilds):
    """After CATALOGUE_INDEX_SECONDS (a cache per process: no version reaches it) the index is
    built again, but no request waits for it."""
    before = catalogue_index()
    clock.now += settings.CATALOGUE_INDEX_SECONDS
    assert catalogue_index() is before
    assert not held_rebuilds
    clock.now += 1
    assert _queries(catalogue_index) == 0
    assert catalogue_index() is before
    assert len(held_rebuilds) == 1  # one rebuild at a time
    assert _queries(held_rebuilds.pop()) > 0  # the index's queries, in the rebuild's thread
    after = catalogue_index()
    assert after is not before
    assert (after.version, after.day) == (before.version, before.day)
    assert after.stamp != before.stamp  # its cards are rendered anew
    clock.now += settings.CATALOGUE_INDEX_SECONDS  # its time counts from its build
    assert catalogue_index() is after
    assert not held_rebuilds


def test_an_old_index_is_never_served_in_a_new_version(settings, clock, held_rebuilds):
    before = catalogue_index()
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    bump_catalogue_version()
    after = catalogue_index()
    assert after is not before
    assert after.version != before.version
    assert not held_rebuilds


def test_an_old_index_is_never_served_on_a_new_day(settings, clock, held_rebuilds, monkeypatch):
    before = catalogue_index()
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    after = catalogue_index()
    assert after is not before
    assert after.day == tomorrow
    assert not held_rebuilds


def test_a_rebuild_begun_in_an_older_version_does_not_replace_a_newer_index(
    settings, clock, held_rebuilds
):
    catalogue_index()
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    catalogue_index()  # its rebuild starts
    bump_catalogue_version()
    newer = catalogue_index()
    held_rebuilds.pop()()
    assert catalogue_index() is newer
    forget_index()  # this process dropped it
    catalogue_index()
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    catalogue_index()
    forget_index()
    held_rebuilds.pop()()
    assert index_module._index is None


def test_a_failed_rebuild_keeps_the_old_index_and_is_tried_again(
    settings, clock, held_rebuilds, monkeypatch, caplog
):
    before = catalogue_index()
    builds = []
    real = index_module.FacetIndex

    def fails_once(version):
        builds.append(version)
        if len(builds) == 1:
            raise ConnectionError("the database went away")
        return real(version)

    monkeypatch.setattr(index_module, "FacetIndex", fails_once)
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    assert catalogue_index() is before
    held_rebuilds.pop()()
    assert "The catalogue index could not be loaded again" in caplog.text
    assert catalogue_index() is before  # still served, and a new rebuild started
    held_rebuilds.pop()()
    after = catalogue_index()
    assert after is not before
    assert builds == [before.version, before.version]


def test_past_the_bound_a_request_builds_the_index(settings, clock, held_rebuilds):
    before = catalogue_index()
    clock.now += settings.CATALOGUE_INDEX_SECONDS + INDEX_STALE_SECONDS
    assert catalogue_index() is before  # its rebuild hangs
    clock.now += 1
    after = catalogue_index()
    assert after is not before
    assert catalogue_index() is after
    held_rebuilds.pop()()  # the hung rebuild ends at last: it does not replace the newer index
    assert catalogue_index() is after


def _searched(index, *queries) -> None:
    for query in queries:
        index.search(query, index.understood(query))


@pytest.fixture
def rankings(monkeypatch) -> list:
    """The searches ranked from now on (each `ranked_groups` call's query)."""
    calls = []
    real = index_module.ranked_groups

    def counted(query, **kwargs):
        calls.append(query)
        return real(query, **kwargs)

    monkeypatch.setattr(index_module, "ranked_groups", counted)
    return calls


def test_a_rebuild_behind_the_requests_ranks_the_old_index_s_searches_again(
    settings, clock, held_rebuilds, rankings
):
    """So the first request of each, after the rebuild, finds it kept; ranked afresh, so a change
    made by hand (no new version: what the rebuild is for) is seen."""
    before = catalogue_index()
    _searched(before, "hjemløse", "misbrug", "bostøtte")
    gone = before.pks[before.search("hjemløse").ordered[0]]
    Intervention.objects.filter(pk=gone).update(is_published=False)
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    assert catalogue_index() is before
    rankings.clear()
    held_rebuilds.pop()()
    assert len(rankings) == 3  # in the rebuild's thread
    after = catalogue_index()
    assert after is not before
    rankings.clear()
    found = after.search("hjemløse", after.understood("hjemløse"))
    _searched(after, "misbrug", "bostøtte")
    assert rankings == []  # every one kept
    assert found.ordered
    assert gone not in {after.pks[at] for at in found.ordered}
    # In the order they were asked: the least recently asked leaves first.
    assert list(after._searches) == ["hjemløse", "misbrug", "bostøtte"]


def test_the_rebuild_ranks_the_latest_searches_first_for_about_its_own_build_time(
    settings, clock, held_rebuilds, monkeypatch
):
    before = catalogue_index()
    _searched(before, "hjemløse", "misbrug", "bostøtte")
    real = index_module.ranked_groups

    def slow(query, **kwargs):
        clock.now += 1  # longer than the build, which took no time on this clock
        return real(query, **kwargs)

    monkeypatch.setattr(index_module, "ranked_groups", slow)
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    catalogue_index()
    held_rebuilds.pop()()
    assert list(catalogue_index()._searches) == ["bostøtte"]  # the latest asked, then time ran out


def test_a_rebuild_overtaken_by_a_new_version_ranks_nothing(
    settings, clock, held_rebuilds, rankings
):
    before = catalogue_index()
    _searched(before, "hjemløse", "misbrug")
    clock.now += settings.CATALOGUE_INDEX_SECONDS + 1
    catalogue_index()  # its rebuild starts
    bump_catalogue_version()
    newer = catalogue_index()
    rankings.clear()
    held_rebuilds.pop()()
    assert rankings == []
    assert catalogue_index() is newer


def test_only_the_latest_searches_are_kept(monkeypatch):
    monkeypatch.setattr(index_module, "SEARCHES_KEPT", 2)
    index = catalogue_index()

    def runs_a_query(query: str) -> bool:
        # A search's lookups (one per pattern and matched relation, search.query.ranked), or none.
        with CaptureQueriesContext(connection) as ctx:
            index.search(query)
        return len(ctx) > 0

    assert [runs_a_query(q) for q in ("bolig", "psykiatri", "bolig", "misbrug")] == [
        True,
        True,
        False,
        True,
    ]
    assert runs_a_query("psykiatri")  # the least recently asked went first
    assert len(index._searches) == 2


def test_an_edited_entry_shows_its_new_card(client):
    entry = Intervention.objects.published().get(slug="cafe-tumling-aarhus")
    query = {"q": "tumling"}
    assert entry.title in client.get("/indsatser/", query).content.decode()
    entry.title = "Café Tumling – nyt navn"
    entry.save()
    html = client.get("/indsatser/", query).content.decode()
    assert "Café Tumling – nyt navn" in html


def test_a_card_shows_the_snippet_when_searched_and_the_summary_otherwise(client):
    entry = Intervention.objects.published().get(slug="cafe-tumling-aarhus")
    plain = client.get("/indsatser/", {"source": entry.source.key}).content.decode()
    searched = client.get("/indsatser/", {"q": "tumling"}).content.decode()
    start = entry.summary.split()[0]
    assert start in plain
    assert "<mark>" in searched and "<mark>" not in plain


def test_an_unpublished_entry_leaves_the_list_at_once(client):
    entry = Intervention.objects.published().get(slug="cafe-tumling-aarhus")
    client.get("/indsatser/", {"q": "tumling"})
    entry.is_published = False
    entry.save()
    response = client.get("/indsatser/", {"q": "tumling"})
    assert entry.slug not in [e.slug for e in response.context["page"]]


def test_an_entry_unpublished_by_another_process_leaves_when_its_commit_is_heard_of(client):
    # Another process's edit (no signal here): this process keeps the entry it read for its card,
    # as it keeps the index, until it reads the shared version that process's commit bumped (at
    # most CATALOGUE_VERSION_SECONDS later), as the entry's own page does.
    client.get("/indsatser/", {"q": "tumling"})
    Intervention.objects.filter(slug="cafe-tumling-aarhus").update(is_published=False)
    bump_catalogue_version()
    response = client.get("/indsatser/", {"q": "tumling"})
    assert "cafe-tumling-aarhus" not in [e.slug for e in response.context["page"]]


def test_an_entry_unpublished_before_its_card_is_read_is_left_out():
    # Unpublished behind the index's back before any page showed it: the index still has it,
    # but its card's entry is read as published, so it is left out (and not remembered).
    index = catalogue_index()
    entry = Intervention.objects.published().get(slug="cafe-tumling-aarhus")
    other = Intervention.objects.published().exclude(pk=entry.pk).first()
    Intervention.objects.filter(pk=entry.pk).update(is_published=False)
    assert list(index.card_entries([entry.pk, other.pk])) == [other.pk]
    with CaptureQueriesContext(connection) as ctx:
        assert index.card_entries([entry.pk]) == {}
    assert len(ctx) == 1


def test_card_entries_are_read_once_per_index_and_copied_for_each_request():
    index = catalogue_index()
    pks = list(index.pks[:3])
    with CaptureQueriesContext(connection) as ctx:
        first = index.card_entries(pks)
        again = index.card_entries(pks)
    assert len(ctx) == 1
    assert sorted(first) == sorted(again) == sorted(pks)
    for pk in pks:
        assert first[pk] is not again[pk]  # what one request sets, another does not see
        first[pk].snippet = "mine"
        assert not hasattr(again[pk], "snippet")


def test_only_the_last_card_entries_are_kept(monkeypatch):
    monkeypatch.setattr(index_module, "CARD_ENTRIES_KEPT", 2)
    index = catalogue_index()
    a, b, c = index.pks[:3]
    index.card_entries([a, b, c])
    with CaptureQueriesContext(connection) as ctx:
        index.card_entries([b, c])
    assert len(ctx) == 0
    with CaptureQueriesContext(connection) as ctx:
        index.card_entries([a])
    assert len(ctx) == 1


def test_a_full_local_cache_does_not_lose_the_catalogue_version(settings):
    from django.core.cache import cache

    before, index = catalogue_version(), catalogue_index()
    for i in range(settings.CACHES["default"].get("OPTIONS", {}).get("MAX_ENTRIES", 300) * 2):
        cache.set(f"filler-{i}", i)  # a local-memory cache culls at random when full
    assert catalogue_version() == before
    assert catalogue_index() is index


@pytest.mark.parametrize("query", ["bolig", "psykiatri", "unge misbrug", "borgere", "kommune"])
def test_a_search_s_matches_are_best_first_with_equal_ranks_in_title_order(query):
    index = catalogue_index()
    matches = index.search(query)
    # The reference: every (id, rank) sorted as pairs, as the index did before it sorted a score
    # at a time.
    expected = sorted((-rank, index.position[pk]) for pk, rank in ranked(query))
    assert list(matches.ordered) == [at for _key, at in expected]
    assert list(matches.ranks) == [-key for key, _at in expected]
    assert matches.bits == sum(1 << at for _key, at in expected)
    assert len(expected) > 1  # the queries find entries, with ties among them
    assert len(set(matches.ranks)) < len(expected)


def test_a_bitset_holds_exactly_the_positions_of_its_ids():
    index = catalogue_index()
    last = len(index.pks) - 1
    for positions in ([], [0], [last], [0, 3, 8, 9, last], list(range(0, last + 1, 7))):
        pks = [index.pks[at] for at in positions]
        assert index.bits_of(pks) == sum(1 << at for at in set(positions))
    assert index.bits_of(index.pks) == index.all
    assert index.bits_of([-1]) == 0  # an id the index does not hold
