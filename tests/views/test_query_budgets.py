"""Query budgets: every public page costs an exact number of SQL queries.

The number never depends on how many facets are selected, how many entries are on the page or
in the catalogue. A change to a number here is a decision: say why in the commit.
"""

import datetime

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from interventions.caching.version import catalogue_version
from interventions.models import Intervention, Municipality, ServedMunicipality
from interventions.search.hints import understand
from tests.factories import ContactFactory, InterventionFactory, confirm

pytestmark = pytest.mark.django_db

# The list page: its entries. The result count, the 12 facets and which entries the page shows
# come from the catalogue index, in memory, and each card is rendered once and kept.
LIST = 1
# The index keeps the entries it has read for their cards (FacetIndex.card_entries): a page
# whose entries were all shown before in the index's life reads none. A chosen sort orders in the
# database and reads its page each time (LIST).
LIST_AGAIN = 0
# Cards not kept yet: their places (run and served: 2 -> 3, ADR 0012) and target groups, for all
# of them at once, as names in one statement (3 -> 1, ADR 0011's ninth round).
CARDS = 1
# The chosen values of every vocabulary (target group, policy area, region...) are checked in the
# catalogue index: no query, like choice facets (sector, status, evaluation), has_budget and sort.
LOOKUP = 0
# A search runs one indexed lookup per group of patterns of its words (a compound's parts in one)
# the first time it is asked in a catalogue version (search.query.ranked); the index keeps it.
# Was 1 (one query for all words): the first search after the entries' search texts change also
# reads the catalogue's lexicon, for typo correction (search.hints, kept per catalogue version),
# so "psykiatri" (one pattern) costs 1 + 1 in this test.
LEXICON = 1
# Building the catalogue index: the published entries (with their freshness, computed in the same
# query), 8 link tables (the served municipalities since ADR 0012: 17 -> 18) and 9 vocabularies.
# Once per catalogue version, day and process, whatever the catalogue's size; the list page, the
# API and the downloads share it.
INDEX = 18

PSYKIATRI = {"target_group": "borgere-i-akut-psykisk-krise", "policy_area": "psykiatri"}
THREE_FACETS = {**PSYKIATRI, "region": "region-midtjylland"}

LIST_CASES = [
    ("no filter", {}, 0),
    ("one facet", {"target_group": "hjemloese"}, LOOKUP),
    ("two values in one facet", {"target_group": ["hjemloese", "borgere-med-misbrug"]}, LOOKUP),
    ("two facets", PSYKIATRI, LOOKUP),
    ("three facets", THREE_FACETS, LOOKUP),
    ("three facets and choices", {**THREE_FACETS, "sector": "tvaersektoriel"}, LOOKUP),
    ("choice facets only", {"sector": "kommunal", "status": "running"}, 0),
    ("search", {"q": "psykiatri"}, 0),
    ("search and three facets", {**THREE_FACETS, "q": "psykiatri"}, LOOKUP),
    ("budget and a facet", {"has_budget": "true", "source": "dassos-2015"}, LOOKUP),
    ("sorted, page 2", {"sort": "-updated", "page": "2"}, 0),
    # The information date and freshness are computed in the same query (ADR 0012).
    (
        "newest information, one freshness",
        {"sort": "-information", "freshness": "never_confirmed"},
        0,
    ),
    ("runs or serves a municipality", {"municipality": "aarhus"}, LOOKUP),
    ("source and section", {"source": "dassos-2015", "section": "voksne-med-handicap"}, LOOKUP),
    (
        "seven vocabularies",
        {
            **THREE_FACETS,
            "source": "defactum-akutpsykiatri",
            "municipality": "silkeborg",
            "paragraph": "sel-85",
            "method": "nada",
        },
        LOOKUP,
    ),
]

# (url, budget) for pages whose cost does not depend on a query string.
PAGE_BUDGETS = [
    # counts, target groups, the entry points by paragraph/place/source, newest (with the served
    # municipalities and confirmations every entry is shown with, ADR 0012; the requests an owner
    # left unanswered, ADR 0015: 17 -> 18)
    ("/", 18),
    # The API list: count and page. Its items are kept per entry (api/serializers.py), so the
    # relations they show (municipalities, served municipalities, target groups, paragraphs:
    # four queries) are read only for a page with an item not kept yet (6 -> 2, ADR 0017).
    ("/api/interventions/", 2),
    ("/api/interventions/?page_size=200", 2),
    # A search in the API is paged by the catalogue index, as the list page is (which remembers
    # the search): no search and no count in SQL; the page (5 -> 1, as above), and it by key,
    # reading only the entries whose items are not kept (1 -> 0, ADR 0017).
    ("/api/interventions/?q=psykiatri", 0),
    ("/api/interventions/?q=psykiatri&target_group=borgere-i-akut-psykisk-krise&page=2", 0),
    # the source documents with their entry counts, and their recommendations: the citation,
    # publication date and where it is stated are columns of the document (ADR 0012)
    ("/kilder/", 2),
]
# The entry, its 10 prefetched relations and its related entries. What the page says about the
# age of the information (confirmations, served municipalities, contacts and meeting participants)
# is read from those prefetches in Python, so it costs nothing more. The requests the owner left
# unanswered (ADR 0015) are one more prefetch: 12 -> 13. The first request for an entry in a
# catalogue version; each process keeps the loaded entry until the version changes
# (caching/entries.py), so the next request for it costs DETAIL_AGAIN.
DETAIL = 13
DETAIL_AGAIN = 0


def count_queries(client, url: str, data: dict | None = None) -> tuple[int, object]:
    """Queries of a request once the process is warm (the facet index is built)."""
    client.get(url, data or {})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200, response.content[:500]
    return len(ctx), response


@pytest.mark.parametrize(
    ("query", "extra"),
    [case[1:] for case in LIST_CASES],
    ids=[case[0] for case in LIST_CASES],
)
def test_list_page_budget(client, query, extra):
    queries, response = count_queries(client, "/indsatser/", query)
    # An empty page skips the prefetches; every case here shows entries, so the budget is full.
    assert response.context["page"].object_list, "choose a query that shows entries"
    # A chosen sort reads its page in the database; otherwise the entries were read by the
    # request before.
    assert queries == (LIST if "sort" in query else LIST_AGAIN) + extra


def queries(client, params) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/indsatser/", params).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def searches(sqls: list[str]) -> int:
    """The queries that read the entries' words: the lexicon (the words' counts in
    `SearchWord`) and the lookups (their narrow copies in `SearchEntry`, ADR 0011)."""
    read = ("search_document", "interventions_searchentry", "interventions_searchword")
    return sum(any(table in sql for table in read) for sql in sqls)


def search_lookups(query: str) -> int:
    """The indexed lookups a search makes: one per group of patterns of its words (a compound's
    parts in one query, search.query.Term.looked_up), and one per word that finds entries for
    the titles and metadata that hold it (search.query._fields_counted)."""
    return sum(len(term.looked_up) + bool(term.counted) for term in understand(query).terms)


def test_the_index_is_built_once_per_catalogue_version_and_a_search_run_once(client):
    def cold_then_warm() -> None:
        assert len(queries(client, THREE_FACETS)) == INDEX + LIST + CARDS
        assert len(queries(client, THREE_FACETS)) == LIST_AGAIN
        found = searches(queries(client, {"q": "psykiatri"}))
        assert found == LEXICON + search_lookups("psykiatri")
        assert searches(queries(client, {"q": "psykiatri", "sector": "kommunal"})) == 0

    cold_then_warm()
    # Any change to the catalogue makes a new version: the next list request rebuilds the index
    # at the same cost however many entries there are, renders its cards afresh, and searches
    # run again.
    InterventionFactory.create_batch(25)
    cold_then_warm()


def test_cards_are_rendered_once_per_language(client):
    assert len(queries(client, {"sector": "kommunal"})) == INDEX + LIST + CARDS
    assert len(queries(client, {"sector": "kommunal"})) == LIST_AGAIN
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/en/indsatser/", {"sector": "kommunal"}).status_code == 200
    assert len(ctx) == LIST_AGAIN + CARDS


def test_a_chosen_sort_orders_in_the_database(client):
    assert count_queries(client, "/indsatser/", {"sort": "-budget", **THREE_FACETS})[0] == (
        LIST + LOOKUP
    )


# The list reads only the columns a card and its sort line show (Intervention.for_cards): a card
# rendered afresh that read another column would cost a query per entry.
@pytest.mark.parametrize("sort", ["title", "-information", "-updated", "start", "-budget"])
def test_new_cards_in_any_order_read_only_the_columns_the_list_loads(client, sort):
    confirm(InterventionFactory(), datetime.date(2025, 6, 2), by="Ejer")
    assert len(queries(client, {"sort": sort})) == INDEX + LIST + CARDS
    assert len(queries(client, {"sort": sort})) == LIST


def test_new_cards_with_snippets_read_only_the_columns_the_list_loads(client):
    # The search, its caches, the index and the entries once, with English cards; the Danish
    # ones are new.
    assert client.get("/en/indsatser/", {"q": "psykiatri"}).status_code == 200
    assert len(queries(client, {"q": "psykiatri"})) == LIST_AGAIN + CARDS


def test_list_budget_does_not_grow_with_the_catalogue(client):
    before, _ = count_queries(client, "/indsatser/", THREE_FACETS)
    InterventionFactory.create_batch(25, target_groups=[], municipalities=[])
    after, response = count_queries(client, "/indsatser/", THREE_FACETS)
    assert after == before
    assert response.context["page"].paginator.count > 0


@pytest.mark.parametrize(("url", "budget"), PAGE_BUDGETS)
def test_page_budget(client, url, budget):
    assert count_queries(client, url)[0] == budget


def detail_queries(client, url: str) -> tuple[int, int, object]:
    """Queries of an entry's page the first time it is asked in a catalogue version, and again."""
    catalogue_version()  # the process is warm: it has read the catalogue version
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as again:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(first), len(again), response


def test_detail_budget_is_the_same_for_every_entry(client):
    entries = Intervention.objects.published().annotate(
        n=Count("contacts", distinct=True) + Count("legal_bases", distinct=True)
    )
    # The entry with the most contacts and paragraphs costs the same as one with none.
    for intervention in (entries.order_by("-n")[0], entries.order_by("n")[0]):
        first, again, _ = detail_queries(client, intervention.get_absolute_url())
        assert (first, again) == (DETAIL, DETAIL_AGAIN)


def test_detail_budget_with_confirmations_served_municipalities_and_participants(client):
    entry = InterventionFactory(municipalities=list(Municipality.objects.all()[:2]))
    for n, on in enumerate((datetime.date(2024, 5, 1), datetime.date(2025, 6, 2))):
        confirm(entry, on, by=f"Ejer {n}")
    for municipality in Municipality.objects.all()[2:5]:
        ServedMunicipality.objects.create(intervention=entry, municipality=municipality)
    ContactFactory(intervention=entry)
    ContactFactory(intervention=entry, name="Trine", kind="meeting_participant")
    first, again, response = detail_queries(client, entry.get_absolute_url())
    assert "Trine" in response.content.decode()
    assert (first, again) == (DETAIL, DETAIL_AGAIN)


# --- The one-query lookup still refuses what it does not know -------------------------------------


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({**THREE_FACETS, "method": "findes-ikke"}, "method"),
        (
            {"target_group": ["hjemloese", "findes-ikke"], "region": "region-midtjylland"},
            "target_group",
        ),
        ({"section": "voksne-med-handicap", "source": "nul\x00tegn"}, "source"),
        ({"region": "aarhus", "municipality": "aarhus"}, "region"),  # a value of another facet
    ],
)
def test_an_unknown_value_is_refused_and_the_others_still_apply(client, query, bad):
    client.get("/indsatser/", query)  # build the index and render the cards
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/indsatser/", query)
    assert response.status_code == 400
    filterset = response.context["filterset"]
    assert list(filterset.errors) == [bad]
    assert bad not in filterset.form.cleaned_data
    assert len(ctx) == LIST_AGAIN + LOOKUP


def test_the_cleaned_values_are_the_chosen_rows(client):
    filterset = client.get("/indsatser/", THREE_FACETS).context["filterset"]
    chosen = filterset.form.cleaned_data
    assert [t.name for t in chosen["target_group"]] == ["Borgere i akut psykisk krise"]
    assert [r.slug for r in chosen["region"]] == ["region-midtjylland"]
    assert not chosen["method"]
