"""The API list's items are serialized once per entry, catalogue version, day, language and
address, and kept (interventions/api/serializers.py, `KeptItems`): a kept item is what a fresh
one would be, and an edit shows on the next request."""

import pytest

from interventions.api import serializers
from interventions.api.serializers import forget_items
from interventions.models import Intervention

pytestmark = pytest.mark.django_db

LIST = "/api/interventions/"


def items(client, url=LIST, **headers) -> list[dict]:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.json()["results"]


def test_a_kept_item_is_what_a_fresh_one_is(client):
    for url in (LIST, f"{LIST}?q=psykiatri", f"{LIST}?page=2&sort=-budget"):
        fresh = items(client, url)
        assert items(client, url) == fresh  # kept
        forget_items()
        assert items(client, url) == fresh


def test_items_are_serialized_once_and_then_kept(client, monkeypatch):
    items(client)
    calls = []
    original = serializers.InterventionListSerializer.to_representation
    monkeypatch.setattr(
        serializers.InterventionListSerializer,
        "to_representation",
        lambda self, entry: calls.append(entry.pk) or original(self, entry),
    )
    items(client)
    assert calls == []
    items(client, f"{LIST}?page=2")
    assert len(calls) == 20  # another page's entries are new


def test_the_links_follow_the_address_the_request_came_to(client):
    assert items(client)[0]["api_url"].startswith("http://testserver/")
    other = items(client, HOST="localhost")
    assert other[0]["api_url"].startswith("http://localhost/")
    assert other[0]["url"].startswith("http://localhost/")


def test_an_edit_shows_on_the_next_request(client):
    first = items(client)[0]
    entry = Intervention.objects.get(slug=first["slug"])
    entry.summary = "Et nyt resumé."
    entry.save()
    assert items(client)[0]["summary"] == "Et nyt resumé."


def test_a_search_reads_only_the_entries_whose_items_are_not_kept(
    client, django_assert_num_queries
):
    """A search is paged by the catalogue index by key: a page of kept items reads nothing, and
    a page with new items reads those entries only (and their relations), in the index's order."""
    url = f"{LIST}?q=psykiatri&page_size=4"
    fresh = items(client, url)
    with django_assert_num_queries(0):
        assert items(client, url) == fresh
    wider = items(client, f"{LIST}?q=psykiatri&page_size=6")
    assert wider[:4] == fresh
    read = []
    original = serializers.InterventionListSerializer.to_representation
    serializers.InterventionListSerializer.to_representation = lambda self, entry: (
        read.append(entry.slug) or original(self, entry)
    )
    try:
        forget_items()
        items(client, url)  # four kept again
        # The page's entry and its four relations, for the two entries not kept.
        with django_assert_num_queries(5):
            assert items(client, f"{LIST}?q=psykiatri&page_size=6") == wider
    finally:
        serializers.InterventionListSerializer.to_representation = original
    assert sorted(read[:4]) == sorted(item["slug"] for item in fresh)
    assert sorted(read[4:]) == sorted(item["slug"] for item in wider[4:])
