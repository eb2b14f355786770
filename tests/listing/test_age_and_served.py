"""#18 in the list: the facet "Aktualitet", municipalities that run or serve an entry, the sort
by the newest information, and an index that serves one day only.

The served municipalities are created here rather than read from the fixtures, so these tests
say what the filter does whatever the curated data holds.
"""

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from interventions.listing.facets import compute_facets
from interventions.listing.filters import InterventionFilter
from interventions.listing.index import catalogue_index
from interventions.models import Intervention, Municipality, ServedMunicipality
from tests.factories import InterventionFactory, confirm

pytestmark = pytest.mark.django_db

FRESHNESS = Intervention.Freshness


def facet_counts(query: str, param: str) -> dict[str, int]:
    facets = compute_facets(QueryDict(query))
    return {v.value: v.count for v in next(f for f in facets if f.param == param).values}


def slugs(query: str) -> list[str]:
    filterset = InterventionFilter(QueryDict(query), queryset=Intervention.objects.published())
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs.values_list("slug", flat=True))


def serve(entry: Intervention, *municipalities: str, basis=ServedMunicipality.Basis.SOURCE):
    for slug in municipalities:
        ServedMunicipality.objects.get_or_create(
            intervention=entry,
            municipality=Municipality.objects.get(slug=slug),
            defaults={"basis": basis},
        )


def recently() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=30)


# --- The facet "Aktualitet" ----------------------------------------------------------------------


def test_the_freshness_facet_is_labelled_aktualitet_and_lists_its_buckets_in_order():
    facet = next(f for f in compute_facets(QueryDict("")) if f.param == "freshness")
    assert facet.label == "Aktualitet"
    order = [value for value, _label in FRESHNESS.choices]
    shown = [v.value for v in facet.values]
    assert shown == [value for value in order if value in shown]


@pytest.mark.parametrize("query", ["", "source=dassos-2015", "region=region-midtjylland"])
def test_freshness_counts_add_up_to_the_list_and_match_the_filter(query):
    confirm(InterventionFactory(), recently())
    counts = facet_counts(query, "freshness")
    assert sum(counts.values()) == len(slugs(query))
    for value, n in counts.items():
        assert n == len(slugs(f"{query}&freshness={value}")), value


def test_a_recent_confirmation_moves_an_entry_into_confirmed_and_an_old_one_does_not():
    confirmed, long_ago, never = InterventionFactory.create_batch(3)
    confirm(confirmed, recently())
    confirm(long_ago, datetime.date(2016, 6, 1))
    assert slugs("freshness=confirmed") == [confirmed.slug]
    assert long_ago.slug in slugs("freshness=confirmed_long_ago")
    assert never.slug in slugs("freshness=never_confirmed")
    assert facet_counts("", "freshness")["confirmed"] == 1


def test_the_defactum_source_is_recent_and_the_dassos_source_is_old():
    recent = set(slugs("freshness=recent_source"))
    assert recent and recent == set(slugs("source=defactum-akutpsykiatri"))
    assert set(slugs("source=dassos-2015")) <= set(slugs("freshness=never_confirmed"))


def test_an_unknown_freshness_is_refused():
    filterset = InterventionFilter(QueryDict("freshness=evig"))
    assert not filterset.is_valid()
    assert list(filterset.errors) == ["freshness"]


# --- Runs or serves -------------------------------------------------------------------------------


def test_an_entry_is_found_by_a_municipality_it_serves_and_not_by_one_it_does_not():
    entry = InterventionFactory(municipalities=[])
    assert entry.slug not in slugs("municipality=herning")
    serve(entry, "herning", "ringkoebing-skjern")
    assert entry.slug in slugs("municipality=herning")
    assert entry.slug in slugs("municipality=ringkoebing-skjern")
    assert entry.slug not in slugs("municipality=ikast-brande")


@pytest.mark.parametrize(
    ("slug", "municipalities"),
    [
        ("psykiatrisk-mobilteam-goedstrup", ("herning", "ringkoebing-skjern", "ikast-brande")),
        ("psykiatrisk-akutteam-regionspsykiatrien-midt", ("skive", "viborg")),
    ],
)
def test_the_regional_teams_are_found_by_the_municipalities_they_serve(slug, municipalities):
    # The curated data says which municipalities they serve (seed 003); they run in none.
    team = Intervention.objects.get(slug=slug)
    assert not team.municipalities.exists()
    assert set(municipalities) <= set(team.served.values_list("municipality__slug", flat=True))
    for municipality in municipalities:
        assert team.slug in slugs(f"municipality={municipality}"), municipality
    assert team.slug not in slugs("municipality=aalborg")


def test_an_entry_run_and_served_in_one_municipality_is_counted_once():
    entry = InterventionFactory(municipalities=Municipality.objects.filter(slug="herning"))
    serve(entry, "herning", "skive")
    assert slugs("municipality=herning").count(entry.slug) == 1
    counts = facet_counts("", "municipality")
    assert counts["herning"] == len(slugs("municipality=herning"))
    assert counts["skive"] == len(slugs("municipality=skive"))


def test_a_region_holds_the_entries_served_in_its_municipalities():
    entry = InterventionFactory(municipalities=[])
    assert entry.slug not in slugs("region=region-nordjylland")
    serve(entry, "aalborg", basis=ServedMunicipality.Basis.EDITORS)
    assert entry.slug in slugs("region=region-nordjylland")
    assert entry.slug not in slugs("region=region-syddanmark")
    for value, n in facet_counts("", "region").items():
        assert n == len(slugs(f"region={value}")), value


def test_municipality_counts_follow_the_other_facets():
    entry = InterventionFactory(municipalities=[])
    serve(entry, "herning")
    for value, n in facet_counts("target_group=hjemloese", "municipality").items():
        assert n == len(slugs(f"target_group=hjemloese&municipality={value}")), value


# --- Sort: the newest information first -----------------------------------------------------------


def information_dates(entries) -> list[datetime.date]:
    return [e.information_date for e in entries]


def test_the_newest_information_comes_first_then_title():
    confirmed = InterventionFactory(title="Åbenlyst bekræftet")
    confirm(confirmed, recently())
    filterset = InterventionFilter(
        QueryDict("sort=-information"), queryset=Intervention.objects.published()
    )
    entries = list(filterset.qs.select_related("source"))
    assert entries[0] == confirmed
    dates = information_dates(entries)
    assert dates == sorted(dates, reverse=True)
    same_day = [e.pk for e in entries if e.information_date == dates[1]]
    assert len(same_day) > 1
    # Equal dates in title order, as the database collates titles.
    by_title = Intervention.objects.filter(pk__in=same_day).order_by("title", "slug")
    assert same_day == list(by_title.values_list("pk", flat=True))


def test_the_oldest_information_first_is_the_reverse_order_of_dates():
    filterset = InterventionFilter(
        QueryDict("sort=information"), queryset=Intervention.objects.published()
    )
    dates = information_dates(filterset.qs.select_related("source"))
    assert dates == sorted(dates)
    assert dates[0] < dates[-1]


# --- An index serves one day ----------------------------------------------------------------------


def test_the_index_is_rebuilt_on_a_new_day(monkeypatch):
    before = catalogue_index()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    after = catalogue_index()
    assert after is not before
    assert after.stamp != before.stamp
    assert after is catalogue_index()


def test_the_freshness_counts_move_on_with_the_date(monkeypatch):
    entry = InterventionFactory()
    confirm(entry, recently())
    assert entry.slug in slugs("freshness=confirmed")
    assert facet_counts("", "freshness")["confirmed"] == 1
    later = recently() + datetime.timedelta(days=2 * 366)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: later)
    assert facet_counts("", "freshness").get("confirmed", 0) == 0
    assert entry.slug in slugs("freshness=confirmed_long_ago")


# --- On the page ---------------------------------------------------------------------------------


def test_the_page_offers_the_sort_and_the_facet_and_orders_by_the_newest_information(client):
    entry = InterventionFactory(title="Zyx nyeste oplysninger")
    confirm(entry, recently())
    response = client.get("/indsatser/", {"sort": "-information"})
    html = response.content.decode()
    assert '<option value="-information" selected>Nyeste oplysninger</option>' in html
    assert "Aktualitet" in html and "Bekræftet inden for 2 år" in html
    shown = list(response.context["page"])
    assert shown[0] == entry
    dates = [e.information_date for e in shown]
    assert dates == sorted(dates, reverse=True)


def test_the_page_filters_by_freshness_and_by_a_served_municipality(client):
    entry = InterventionFactory(municipalities=[])
    serve(entry, "herning")
    confirm(entry, recently())
    for query in ({"freshness": "confirmed"}, {"municipality": "herning"}):
        page = client.get("/indsatser/", query).context["page"]
        assert entry in page.paginator.object_list, query
        assert page.paginator.count == len(slugs("&".join(f"{k}={v}" for k, v in query.items())))
