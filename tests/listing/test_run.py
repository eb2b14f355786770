"""One listing entry point: every list request parses `q` once and consults the index once.

The list page (whole and as an htmx partial), the API's list and both downloads run a `Listing`;
`parse_query` and `catalogue_index` are counted wherever the app calls them from.
"""

import sys
from collections import Counter

import pytest
from django.urls import get_resolver

from interventions.listing import index as index_module
from interventions.search import query as query_module

pytestmark = pytest.mark.django_db

FILTERED = {"q": "psykiatri", "target_group": "hjemloese", "region": "region-midtjylland"}


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """How often each request calls parse_query and catalogue_index, from any module."""
    counted: Counter = Counter()
    # Import every view first: a module imported while the patch is on would keep the wrapper.
    assert get_resolver().url_patterns

    def counting(name, original):
        def wrapper(*args, **kwargs):
            counted[name] += 1
            return original(*args, **kwargs)

        return wrapper

    for name, original in [
        ("parse_query", query_module.parse_query),
        ("catalogue_index", index_module.catalogue_index),
    ]:
        wrapper = counting(name, original)
        patched = 0
        for module in list(sys.modules.values()):
            module_name = getattr(module, "__name__", "")
            if module_name.startswith("interventions") and getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, wrapper)
                patched += 1
        assert patched, name
    return counted


def requested(client, calls: Counter, url: str, params: dict, **headers) -> Counter:
    calls.clear()
    response = client.get(url, params, headers=headers)
    assert response.status_code == 200, response.content[:300]
    return Counter(calls)


CASES = {
    "list page": ("/indsatser/", {}),
    "htmx partial": ("/indsatser/", {"HX-Request": "true"}),
    "sorted list page": ("/indsatser/", {}),
    "API list": ("/api/interventions/", {}),
    "CSV download": ("/indsatser/download.csv", {}),
    "JSON download": ("/indsatser/download.json", {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_filtered_search_parses_once_and_consults_the_index_once(client, calls, case):
    url, headers = CASES[case]
    params = {**FILTERED, "sort": "-budget"} if case.startswith("sorted") else FILTERED
    cold = requested(client, calls, url, params, **headers)  # the index is built in here
    warm = requested(client, calls, url, params, **headers)  # the search is remembered
    # The index keeps the query as understood: parsed at most once, then not again in the index's
    # lifetime (another test may have parsed it in this index already).
    assert cold["catalogue_index"] == 1 and cold["parse_query"] <= 1, cold
    assert warm == {"catalogue_index": 1}


@pytest.mark.parametrize(
    ("url", "headers"),
    [CASES["list page"], CASES["htmx partial"], CASES["API list"]],
    ids=["list page", "htmx partial", "API list"],
)
def test_a_search_alone_is_parsed_through_the_index_and_kept(client, calls, url, headers):
    """Without a facet to check, nothing looks up the index before the search is parsed: the
    listing looks it up first, so the index keeps the parsed query for the next request."""
    params = {"q": "psykiatri plejefamilie"}
    requested(client, calls, url, params, **headers)
    assert requested(client, calls, url, params, **headers) == {"catalogue_index": 1}


def test_a_suggestion_reuses_the_parsed_query(client, calls):
    response = client.get("/indsatser/", {"q": "psykiatrj"})  # a typo: "Mente du"
    assert response.context["suggestion"]["text"] == "psykiatri"
    assert calls["parse_query"] <= 1 and calls["catalogue_index"] == 1, calls


def test_the_index_keeps_a_query_as_understood_and_a_new_index_parses_it_again(calls):
    """The facet clicks, pages and sorts of one search parse it once per catalogue index; the
    kept result is what parsing it afresh gives, and an index of a new version starts empty."""
    from interventions.search.hints import understand

    index = index_module.catalogue_index()
    calls.clear()
    first = index.understood("psykiatrj hjemløse")
    assert index.understood("psykiatrj hjemløse") is first
    assert calls == {"parse_query": 1}
    fresh = understand("psykiatrj hjemløse")
    assert (first.terms, first.corrected, first.text) == (fresh.terms, fresh.corrected, fresh.text)
    calls.clear()
    other = index_module.FacetIndex(index.version)
    assert other.understood("psykiatrj hjemløse") is not first
    assert calls == {"parse_query": 1}


def test_the_index_keeps_a_bounded_number_of_queries(calls):
    index = index_module.FacetIndex(index_module.catalogue_index().version)
    for n in range(index_module.SEARCHES_KEPT + 5):
        index.understood(f"ord{n}")
    assert len(index._understood) == index_module.SEARCHES_KEPT
    assert "ord0" not in index._understood and f"ord{n}" in index._understood


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The page counts its facets in the index whatever the query.
        ("/indsatser/", {"catalogue_index": 1}),
        # The API and the downloads read their rows from the database: with no vocabulary value
        # to check, they need no index.
        ("/api/interventions/", {}),
        ("/indsatser/download.csv", {}),
    ],
)
def test_without_a_query_nothing_is_parsed(client, calls, url, expected):
    assert requested(client, calls, url, {"sector": "kommunal"}) == expected
