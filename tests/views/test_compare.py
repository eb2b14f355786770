"""The compare page: 2-4 published entries in columns, the facts in rows, differences marked;
bad choices answer 400/404 with a Danish message."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.facts import COMPARED
from interventions.models import Intervention
from interventions.views.compare import MAX_ENTRIES
from tests.factories import InterventionFactory, confirm

pytestmark = pytest.mark.django_db
URL = "/sammenlign/"


def published_slugs(n: int) -> list[str]:
    return list(
        Intervention.objects.published().order_by("slug").values_list("slug", flat=True)[:n]
    )


def query(slugs) -> str:
    return "?" + "&".join(f"indsats={slug}" for slug in slugs)


def column_titles(body: str) -> list[str]:
    return re.findall(r'<th scope="col"><a href="/indsatser/([^/]+)/">', body)


def rows(body: str) -> list[tuple[str, bool]]:
    """(row heading, marked as different) for each row of the table."""
    found = re.findall(r'<tr( class="compare-differs")?>\s*<th scope="row">([^<]+)', body)
    return [(heading.strip(), bool(marked)) for marked, heading in found]


@pytest.mark.parametrize("count", [2, 4])
def test_entries_in_columns_and_facts_in_rows(client, count):
    slugs = published_slugs(count)
    response = client.get(URL + query(slugs))
    assert response.status_code == 200
    body = response.content.decode()
    assert column_titles(body) == slugs, "the columns keep the order of the URL"
    assert [heading for heading, _marked in rows(body)] == [str(f.label) for f in COMPARED]
    assert "<caption" in body and 'role="region"' in body
    assert response["Cache-Control"].startswith("public") and response["ETag"]


def test_a_row_is_marked_only_where_the_entries_differ(client):
    a = InterventionFactory(status=Intervention.Status.RUNNING, organisation="Aarhus Kommune")
    b = InterventionFactory(status=Intervention.Status.RUNNING, organisation="Odense Kommune")
    marked = dict(rows(client.get(URL + query([a.slug, b.slug])).content.decode()))
    assert marked["Ejer"] is True
    assert marked["Status"] is False
    assert marked["Målgrupper"] is False  # both have the factory's one target group


def test_status_is_shown_as_the_source_said_until_confirmed(client):
    a = InterventionFactory(status=Intervention.Status.PLANNED)
    b = InterventionFactory(status=Intervention.Status.PLANNED)
    confirm(b, datetime.date(2026, 1, 15), by="Testkommune")
    body = client.get(URL + query([a.slug, b.slug])).content.decode()
    assert "Planlagt ifølge kilden (2016)" in body
    assert "Planlagt, bekræftet 2026" in body
    assert "Bekræftet 15.01.2026" in body
    assert "Bekræftet af Testkommune 15.01.2026 (E-mail)" in body


def test_the_same_entry_twice_is_one_column(client):
    slugs = published_slugs(2)
    response = client.get(URL + query([slugs[0], slugs[1], slugs[0]]))
    assert column_titles(response.content.decode()) == slugs


def test_more_than_four_entries_is_refused_in_danish(client):
    response = client.get(URL + query(published_slugs(MAX_ENTRIES + 1)))
    assert response.status_code == 400
    assert (
        "Du kan sammenligne højst 4 indsatser ad gangen; du valgte 5." in response.content.decode()
    )


@pytest.mark.parametrize("bad", ["findes-ikke", "a\x00b", "x" * 500, "<script>"])
def test_an_unknown_entry_is_404_in_danish(client, bad):
    response = client.get(URL, {"indsats": [published_slugs(1)[0], bad]})
    assert response.status_code == 404
    assert "Kataloget har ingen offentliggjort indsats med id" in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_a_draft_cannot_be_compared(client):
    draft = InterventionFactory(is_published=False)
    response = client.get(URL + query([published_slugs(1)[0], draft.slug]))
    assert response.status_code == 404


def test_fewer_than_two_entries_explains_and_offers_more(client):
    empty = client.get(URL)
    assert empty.status_code == 200
    assert "Vælg to til 4 indsatser" in empty.content.decode()
    one = client.get(URL + query(published_slugs(1)))
    body = one.content.decode()
    assert one.status_code == 200
    assert 'name="indsats"' in body and "Tilføj en indsats" in body
    # The choices leave out the entry already chosen; drafts are never offered.
    assert f'<option value="{published_slugs(1)[0]}"' not in body


def test_four_entries_offer_no_fifth_and_each_column_can_be_removed(client):
    slugs = published_slugs(4)
    body = client.get(URL + query(slugs)).content.decode()
    assert "Tilføj en indsats" not in body
    assert f'href="{URL}{query(slugs[1:])}"' in body.replace("&amp;", "&")


def test_the_page_is_shareable_and_english_at_en(client):
    slugs = published_slugs(2)
    body = client.get(URL + query(slugs)).content.decode().replace("&amp;", "&")
    assert f"http://testserver{URL}{query(slugs)}" in body
    english = client.get("/en" + URL + query(slugs)).content.decode()
    assert "Compare interventions" in english and "Target groups" in english


def test_queries_do_not_grow_with_the_number_of_entries(client):
    def count(n: int) -> int:
        url = URL + query(published_slugs(n))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count(2)  # warm the catalogue version and the index
    assert count(2) == count(3)
    assert count(4) == count(3) - 1, "four entries: no choices to add are looked up"


def test_cards_and_the_detail_page_offer_compare(client):
    listing = client.get("/indsatser/").content.decode()
    assert 'id="compare-form"' in listing
    assert re.search(
        r'type="checkbox" id="compare-[^"]+" name="indsats" [^>]*form="compare-form"', listing
    )
    slug = published_slugs(1)[0]
    detail = client.get(f"/indsatser/{slug}/").content.decode()
    assert f'href="{URL}?indsats={slug}"' in detail
