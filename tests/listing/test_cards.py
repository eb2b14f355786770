"""A result card says how old its information is (#18): the status as the source said, the date
of the information, and a worded marker when it is more than two years old; a kept card never
outlives the day it was rendered for."""

import datetime

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from interventions.models import Intervention, Municipality, ServedMunicipality
from tests.factories import InterventionFactory, confirm

pytestmark = pytest.mark.django_db
STALE = "Over to år gamle oplysninger"


def card(client, entry: Intervention, **query) -> str:
    """The markup of `entry`'s card on the list page (found by a search for its title)."""
    html = client.get("/indsatser/", {"q": entry.title, **query}).content.decode()
    cards = [c for c in html.split('<li class="result-card">')[1:] if entry.get_absolute_url() in c]
    assert len(cards) == 1, f"no card for {entry.slug}"
    return cards[0].split("</li>")[0]


def test_an_unconfirmed_card_says_what_the_source_said_and_when_and_that_it_is_old(client):
    entry = InterventionFactory(
        title="Zyxkort fra kilden", status=Intervention.Status.RUNNING, period_start=2016
    )
    html = card(client, entry)
    assert "I drift ifølge kilden (2016)" in html
    assert "Oplysninger fra januar 2016" in html  # DASSOS' catalogue, January 2016
    assert STALE in html
    assert "bekræftet" not in html.lower()


def test_a_recently_confirmed_card_says_when_and_is_not_marked_old(client):
    entry = InterventionFactory(title="Zyxkort bekræftet", status=Intervention.Status.RUNNING)
    on = timezone.localdate() - datetime.timedelta(days=10)
    confirm(entry, on)
    html = card(client, entry)
    assert f"I drift, bekræftet {on.year}" in html
    assert f"Bekræftet {date_format(on, 'F Y')}" in html
    assert STALE not in html


def test_a_card_whose_period_has_ended_does_not_say_it_runs(client):
    entry = InterventionFactory(
        title="Zyxkort afsluttet periode",
        status=Intervention.Status.RUNNING,
        period_start=2015,
        period_end=2018,
    )
    html = card(client, entry)
    assert "Ukendt — perioden sluttede 2018" in html
    assert "I drift" not in html


def test_a_recent_source_is_not_marked_old(client):
    entry = Intervention.objects.published().filter(source__key="defactum-akutpsykiatri")[0]
    html = card(client, entry, source="defactum-akutpsykiatri")
    assert "Oplysninger fra 2025" in html
    assert STALE not in html


def test_a_kept_card_does_not_outlive_its_day(client, monkeypatch):
    entry = InterventionFactory(title="Zyxkort aldrende")
    on = timezone.localdate() - datetime.timedelta(days=10)
    confirm(entry, on)
    assert STALE not in card(client, entry)
    assert STALE not in card(client, entry)  # kept, and still true today
    two_years_on = on + datetime.timedelta(days=2 * 366)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: two_years_on)
    assert STALE in card(client, entry)


def test_the_card_shows_the_stale_marker_in_words_inside_the_card(client):
    entry = InterventionFactory(title="Zyxkort markør")
    html = card(client, entry)
    assert f'<strong class="result-stale">{STALE}</strong>' in html


def test_a_card_names_the_municipalities_it_serves_apart_from_those_that_run_it(client):
    entry = InterventionFactory(
        title="Zyxkort betjener", municipalities=Municipality.objects.filter(slug="aarhus")
    )
    for slug in ("herning", "skive"):
        ServedMunicipality.objects.create(
            intervention=entry, municipality=Municipality.objects.get(slug=slug)
        )
    html = card(client, entry)
    assert "Testkommune · Aarhus · Betjener Herning, Skive</p>" in html
