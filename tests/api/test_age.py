"""The age of every fact in the API (#18): list items and the detail carry the date of the
information, what it rests on, the confirmation state, the review against the source, the
status as stated and the served municipalities; the editors' internal note never."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from interventions.models import Intervention, Municipality, ServedMunicipality
from tests.factories import InterventionFactory, confirm

pytestmark = pytest.mark.django_db
LIST = "/api/interventions/"
SCHEMA_URL = "/api/schema/?format=json"


def item(client, slug: str, **query) -> dict:
    response = client.get(LIST, {"page_size": 200, **query})
    assert response.status_code == 200, response.json()
    return next(i for i in response.json()["results"] if i["slug"] == slug)


@pytest.fixture
def confirmed():
    entry = InterventionFactory(
        title="Bekræftet i API'et",
        status=Intervention.Status.RUNNING,
        reviewed_on=datetime.date(2026, 11, 22),
        public_note="Perioden er uklar i kilden.",
    )
    on = timezone.localdate() - datetime.timedelta(days=20)
    confirmation = confirm(entry, on, by="Horsens Kommune, Socialforvaltningen")
    confirmation.note = "Telefonnotat med lokalnummer"
    confirmation.save()
    ServedMunicipality.objects.create(
        intervention=entry, municipality=Municipality.objects.get(slug="herning")
    )
    ServedMunicipality.objects.create(
        intervention=entry,
        municipality=Municipality.objects.get(slug="skive"),
        basis=ServedMunicipality.Basis.EDITORS,
    )
    return entry, on


def test_an_unconfirmed_list_item_dates_its_information_from_the_source(client):
    entry = InterventionFactory(status=Intervention.Status.RUNNING, reviewed_on=None)
    data = item(client, entry.slug)
    assert data["information_date"] == "2016-01-01"  # DASSOS' catalogue, January 2016
    assert data["information_basis"] == "source"
    assert data["confirmed"] is None
    assert data["freshness"] == "never_confirmed"
    assert data["reviewed_on"] is None
    assert data["status"] == "running"
    assert data["status_as_stated"] == "I drift ifølge kilden (2016)"
    assert data["served_municipalities"] == []


def test_a_confirmed_list_item_says_when_and_what_it_serves(client, confirmed):
    entry, on = confirmed
    data = item(client, entry.slug)
    assert data["information_date"] == on.isoformat()
    assert data["information_basis"] == "confirmation"
    assert data["confirmed"] == on.isoformat()
    assert data["freshness"] == "confirmed"
    assert data["reviewed_on"] == "2026-11-22"
    assert data["status_as_stated"] == f"I drift, bekræftet {on.year}"
    assert data["public_note"] == "Perioden er uklar i kilden."
    assert data["served_municipalities"] == [
        {"slug": "herning", "name": "Herning", "basis": "source"},
        {"slug": "skive", "name": "Skive", "basis": "editors"},
    ]
    assert data["municipalities"] == []  # it runs in none of them


def test_the_detail_lists_the_confirmations_without_their_notes(client, confirmed):
    entry, on = confirmed
    data = client.get(f"{LIST}{entry.slug}/").json()
    assert data["confirmations"] == [
        {
            "confirmed_on": on.isoformat(),
            "confirmed_by": "Horsens Kommune, Socialforvaltningen",
            "method": "email",
        }
    ]
    assert data["information_basis"] == "confirmation"
    assert data["freshness"] == "confirmed"
    assert data["source"]["published_on"] == "2016-01-01"
    assert data["source"]["published_precision"] == "month"
    assert [s["name"] for s in data["served_municipalities"]] == ["Herning", "Skive"]
    assert "Telefonnotat" not in str(data)


def test_the_editors_internal_note_is_never_in_the_api(client):
    entry = InterventionFactory(editorial_note="INTERN-NOTE-zyx seed 003 l.6443")
    listed = client.get(LIST, {"page_size": 200}).content.decode()
    detail = client.get(f"{LIST}{entry.slug}/").content.decode()
    for body in (listed, detail):
        assert entry.slug in body
        assert "INTERN-NOTE" not in body and "editorial_note" not in body


def test_served_municipalities_find_the_entry_through_the_api(client, confirmed):
    entry, _on = confirmed
    herning = client.get(LIST, {"municipality": "herning", "page_size": 200}).json()
    assert entry.slug in [i["slug"] for i in herning["results"]]
    region = client.get(LIST, {"region": "region-midtjylland", "page_size": 200}).json()
    assert entry.slug in [i["slug"] for i in region["results"]]


def test_the_api_sorts_by_the_newest_information(client, confirmed):
    entry, _on = confirmed
    results = client.get(LIST, {"sort": "-information"}).json()["results"]
    assert results[0]["slug"] == entry.slug
    dates = [i["information_date"] for i in results]
    assert dates == sorted(dates, reverse=True)


def test_the_api_filters_by_freshness(client, confirmed):
    entry, _on = confirmed
    results = client.get(LIST, {"freshness": "confirmed"}).json()["results"]
    assert [i["slug"] for i in results] == [entry.slug]
    response = client.get(LIST, {"freshness": "for-evigt"})
    assert response.status_code == 400
    assert list(response.json()) == ["freshness"]


@pytest.mark.parametrize(
    "query",
    ["freshness=never_confirmed", "freshness=recent_source", "municipality=herning"],
)
def test_page_api_and_csv_count_alike(client, confirmed, query):
    page = client.get(f"/indsatser/?{query}").context["page"].paginator.count
    api = client.get(f"{LIST}?{query}").json()["count"]
    text = client.get(f"/indsatser/download.csv?{query}").content.decode("utf-8-sig")
    _header, *rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert page == api == len(rows)
    assert page > 0


def test_the_schema_documents_the_freshness_filter_and_the_sort(client):
    parameters = {
        p["name"]: p for p in client.get(SCHEMA_URL).json()["paths"][LIST]["get"]["parameters"]
    }
    assert parameters["freshness"]["schema"]["items"]["enum"] == Intervention.Freshness.values
    assert "Aktualitet" in parameters["freshness"]["description"]
    assert {"-information", "information"} <= set(parameters["sort"]["schema"]["items"]["enum"])


def test_the_schema_describes_the_age_fields(client):
    components = client.get(SCHEMA_URL).json()["components"]["schemas"]
    listed = components["InterventionList"]["properties"]
    for name in ("information_date", "information_basis", "confirmed", "freshness"):
        assert listed[name].get("description") or listed[name].get("allOf"), name
    assert "editorial_note" not in listed
    exported = components["InterventionExport"]["properties"]
    assert {"confirmations", "served_municipalities", "reviewed_on"} <= set(exported)
    assert "editorial_note" not in exported
