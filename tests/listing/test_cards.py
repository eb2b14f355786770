"""A result card says how old its information is (#18): the status as the source said, the date
of the information, and a worded marker when it is more than two years old; a kept card never
outlives the day it was rendered for."""

import datetime

import pytest
from django.utils import timezone, translation
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
    assert (
        '<span class="sr-only">Ejer:</span> Testkommune · Aarhus · Betjener Herning, Skive</p>'
        in html
    )


# --- Cards that inform a decision (#21) ----------------------------------------------------------


def test_a_card_shows_owner_period_and_budget_with_what_it_covers(client):
    entry = InterventionFactory(
        title="Zyxkort med budget",
        organisation="Zyx Kommune, Socialforvaltningen",
        period_start=2016,
        period_end=2018,
        budget_dkk=5_900_000,
        budget_note="Afsat årligt til indsatsen for 2016",
    )
    html = card(client, entry)
    assert "Zyx Kommune, Socialforvaltningen" in html
    assert "Periode: 2016–2018" in html
    assert "Budget: 5.900.000 kr." in html
    assert "(Afsat årligt til indsatsen for 2016)" in html


def test_a_card_without_period_or_budget_says_nothing_of_them(client):
    entry = InterventionFactory(title="Zyxkort uden tal", period_start=None, budget_dkk=None)
    html = card(client, entry)
    assert "Periode:" not in html and "Budget:" not in html


@pytest.mark.parametrize(
    ("sort", "line"),
    [
        ("-updated", "Sorteret efter senest ændret i kataloget: {updated}"),
        ("-budget", "Sorteret efter budget: 780.000 kr."),
        ("budget", "Sorteret efter budget: 780.000 kr."),
        ("-start", "Sorteret efter startår: 2019"),
        ("-information", "Sorteret efter oplysningernes dato: januar 2016"),
    ],
)
def test_a_card_shows_the_value_the_list_is_sorted_by(client, sort, line):
    entry = InterventionFactory(title="Zyxkort sorteret", period_start=2019, budget_dkk=780_000)
    updated = date_format(timezone.localtime(entry.updated_at), "j. F Y")
    html = card(client, entry, sort=sort)
    assert '<p class="result-sort">Sorteret efter ' in html
    assert line.format(updated=updated) in html
    # The same kept card shows no sort line when the list is not sorted.
    assert "result-sort" not in card(client, entry)


def test_a_card_sorted_by_an_amount_it_lacks_says_so(client):
    entry = InterventionFactory(title="Zyxkort uden beløb", budget_dkk=None)
    assert "Sorteret efter budget: ikke oplyst" in card(client, entry, sort="-budget")


def test_sorted_by_title_or_relevance_a_card_has_no_sort_line(client):
    entry = InterventionFactory(title="Zyxkort titel")
    assert "result-sort" not in card(client, entry, sort="title")
    assert "result-sort" not in card(client, entry)


def test_english_cards_write_amounts_and_dates_the_english_way(client):
    entry = InterventionFactory(title="Zyxkort engelsk", budget_dkk=5_900_000, period_start=2016)
    html = client.get("/en/indsatser/", {"q": entry.title, "sort": "-updated"}).content.decode()
    assert "DKK 5,900,000" in html
    with translation.override("en"):
        updated = date_format(timezone.localtime(entry.updated_at))
    assert f"Sorted by last changed in the catalogue: {updated}" in html  # "Dec. 3, 2026"


# --- Cards kept in the process (ADR 0017, eighth round) ------------------------------------------


def _listed(entry: Intervention) -> Intervention:
    return Intervention.objects.published().get(pk=entry.pk)


def test_a_card_read_once_is_served_by_the_process_without_the_shared_cache(monkeypatch):
    from django.core.cache import cache

    from interventions.listing import cards
    from interventions.listing.index import catalogue_index

    entry = InterventionFactory(title="Zyxkort i processen")
    index = catalogue_index()
    first = _listed(entry)
    cards.attach_cards([first], index)

    def shared_cache_read(*args, **kwargs):
        raise AssertionError("the shared cache was read")

    monkeypatch.setattr(cache, "get_many", shared_cache_read)
    again = _listed(entry)
    cards.attach_cards([again], index)
    assert again.card == first.card
    assert "Zyxkort i processen" in again.card


def test_a_card_in_the_shared_cache_is_kept_in_the_process_too(monkeypatch):
    from django.core.cache import cache

    from interventions.listing import cards
    from interventions.listing.index import catalogue_index

    entry = InterventionFactory(title="Zyxkort delt")
    index = catalogue_index()
    cards.attach_cards([_listed(entry)], index)  # rendered: kept in both
    cards.kept_cards.clear()  # as in another process, which finds it in the shared cache
    cards.attach_cards([_listed(entry)], index)
    cache.clear()

    def rendered(entry):
        raise AssertionError("the card was rendered again")

    monkeypatch.setattr(cards, "_render", rendered)
    served = _listed(entry)
    cards.attach_cards([served], index)  # neither rendered nor read from the shared cache
    assert "Zyxkort delt" in served.card


def test_a_new_index_never_serves_a_card_kept_for_the_old_one(client):
    entry = InterventionFactory(title="Zyxkort redigeret")
    assert "Zyxkort redigeret" in card(client, entry)
    entry.organisation = "Zyx Ny Organisation"
    entry.save()  # a new catalogue version: a new index, with a new stamp
    assert "Zyx Ny Organisation" in card(client, entry)


def test_the_process_keeps_at_most_its_bound_of_cards(monkeypatch):
    from interventions.listing import cards
    from interventions.listing.index import catalogue_index

    monkeypatch.setattr(cards, "kept_cards", cards._KeptCards(2))
    entries = [InterventionFactory(title=f"Zyxkort grænse {n}") for n in range(3)]
    cards.attach_cards([_listed(e) for e in entries], catalogue_index())
    assert len(cards.kept_cards) == 2


# --- The card written in Python (ADR 0011, ninth round) -------------------------------------------

# The card as `interventions/includes/_card.html` wrote it before the card moved to Python: every
# byte of it, in both languages. {url}, {slug}, {confirmed} (the month and year) and {year} are
# the entry's.
FULL_CARD = {
    "da": (
        '<li class="result-card">\n<article>\n<h3 class="result-title">'
        '<a href="{url}">Zyx &quot;kort&quot; &amp; &lt;co&gt;</a></h3>\n'
        '<p class="result-meta"><span class="sr-only">Ejer:</span> '
        "Zyx &amp; Søn &lt;ApS&gt; · Aarhus, Herning · Betjener Skive, Viborg</p>\n"
        '<p class="result-status">I drift, bekræftet {year} · <span class="result-age">'
        "Bekræftet {confirmed}</span></p>\n"
        '<p class="result-facts"><span>Periode: 2016–2030</span> · <span>Budget: 5.900.000 '
        'kr. om året (2016) <span class="result-budget-note">(Afsat årligt til '
        "indsatsen &amp; &lt;andet&gt; for 2016 …)</span></span></p>{sort}\n"
        '<p class="result-text">{text}</p>\n'
        '<p class="result-compare form-group-checkbox"><input class="form-checkbox" '
        'type="checkbox" id="compare-{slug}" name="indsats" value="{slug}" form="compare-form" '
        'data-title="Zyx &quot;kort&quot; &amp; &lt;co&gt;"><label class="form-label" '
        'for="compare-{slug}">Sammenlign<span class="sr-only"> Zyx &quot;kort&quot; &amp; '
        "&lt;co&gt;</span></label></p>\n"
        '<p class="result-groups"><span class="sr-only">Målgrupper:</span> <span '
        'class="badge">Borgere med misbrug</span> <span class="badge">'
        "Hjemløse</span> </p>\n</article>\n</li>\n"
    ),
    "en": (
        '<li class="result-card">\n<article>\n<h3 class="result-title" lang="da">'
        '<a href="{url}">Zyx &quot;kort&quot; &amp; &lt;co&gt;</a></h3>\n'
        '<p class="result-meta"><span class="sr-only">Owner:</span> <span lang="da">'
        "Zyx &amp; Søn &lt;ApS&gt;</span> · Aarhus, Herning · Serves Skive, Viborg</p>\n"
        '<p class="result-status">Running, confirmed {year} · <span class="result-age">'
        "Confirmed {confirmed}</span></p>\n"
        '<p class="result-facts"><span>Period: 2016–2030</span> · <span>Budget: DKK '
        '5,900,000 a year (2016) <span class="result-budget-note" lang="da">(Afsat årligt til '
        "indsatsen &amp; &lt;andet&gt; for 2016 …)</span></span></p>{sort}\n"
        '<p class="result-text" lang="da">{text}</p>\n'
        '<p class="result-compare form-group-checkbox"><input class="form-checkbox" '
        'type="checkbox" id="compare-{slug}" name="indsats" value="{slug}" form="compare-form" '
        'data-title="Zyx &quot;kort&quot; &amp; &lt;co&gt;"><label class="form-label" '
        'for="compare-{slug}">Compare<span class="sr-only"> Zyx &quot;kort&quot; &amp; '
        "&lt;co&gt;</span></label></p>\n"
        '<p class="result-groups"><span class="sr-only">Target groups:</span> <span '
        'class="badge" lang="da">Borgere med misbrug</span> <span class="badge" lang="da">'
        "Hjemløse</span> </p>\n</article>\n</li>\n"
    ),
}
FULL_SUMMARY = (
    "Et resumé med &lt;b&gt;tegn&lt;/b&gt; &amp; mere. "
    + " ".join(f"ord{n}" for n in range(39))
    + " …"
)
# No places, no target groups, no summary, an amount without a period, never confirmed.
BARE_CARD = {
    "da": (
        '<li class="result-card">\n<article>\n<h3 class="result-title">'
        '<a href="{url}">Zyxkort bart</a></h3>\n'
        '<p class="result-meta"><span class="sr-only">Ejer:</span> '
        "Testkommune</p>\n"
        '<p class="result-status">Ukendt · <span class="result-age">Oplysninger fra januar '
        '2016</span> <strong class="result-stale">Over to år gamle oplysninger</strong></p>\n'
        '<p class="result-facts"><span>Budget: 780.000 kr.</span></p>\n'
        '<p class="result-text"></p>\n'
        '<p class="result-compare form-group-checkbox"><input class="form-checkbox" '
        'type="checkbox" id="compare-{slug}" name="indsats" value="{slug}" form="compare-form" '
        'data-title="Zyxkort bart"><label class="form-label" for="compare-{slug}">Sammenlign'
        '<span class="sr-only"> Zyxkort bart</span></label></p>\n\n</article>\n</li>\n'
    ),
    "en": (
        '<li class="result-card">\n<article>\n<h3 class="result-title" lang="da">'
        '<a href="{url}">Zyxkort bart</a></h3>\n'
        '<p class="result-meta"><span class="sr-only">Owner:</span> <span lang="da">'
        "Testkommune</span></p>\n"
        '<p class="result-status">Unknown · <span class="result-age">Information from '
        'January 2016</span> <strong class="result-stale">Information over two years old'
        "</strong></p>\n"
        '<p class="result-facts"><span>Budget: DKK 780,000</span></p>\n'
        '<p class="result-text" lang="da"></p>\n'
        '<p class="result-compare form-group-checkbox"><input class="form-checkbox" '
        'type="checkbox" id="compare-{slug}" name="indsats" value="{slug}" form="compare-form" '
        'data-title="Zyxkort bart"><label class="form-label" for="compare-{slug}">Compare'
        '<span class="sr-only"> Zyxkort bart</span></label></p>\n\n</article>\n</li>\n'
    ),
}


def _full_entry() -> tuple[Intervention, datetime.date]:
    """An entry with every part of a card, and characters that must be escaped."""
    from interventions.models import TargetGroup

    entry = InterventionFactory(
        title='Zyx "kort" & <co>',
        organisation="Zyx & Søn <ApS>",
        status=Intervention.Status.RUNNING,
        summary="Et resumé med <b>tegn</b> & mere. " + " ".join(f"ord{n}" for n in range(60)),
        municipalities=Municipality.objects.filter(slug__in=["herning", "aarhus"]),
        target_groups=TargetGroup.objects.filter(slug__in=["hjemloese", "borgere-med-misbrug"]),
        period_start=2016,
        period_end=2030,
        budget_dkk=5_900_000,
        budget_kind=Intervention.BudgetKind.PER_YEAR,
        budget_first_year=2016,
        budget_note="Afsat årligt til indsatsen & <andet> for 2016 og de følgende år",
    )
    for slug in ("viborg", "skive"):
        ServedMunicipality.objects.create(
            intervention=entry, municipality=Municipality.objects.get(slug=slug)
        )
    on = timezone.localdate() - datetime.timedelta(days=10)
    confirm(entry, on)
    return entry, on


def _attached(entry: Intervention, sort: str | None = None) -> str:
    from interventions.listing import cards
    from interventions.listing.index import catalogue_index

    listed = _listed(entry)
    cards.attach_cards([listed], catalogue_index(), sort=sort)
    return listed.card


@pytest.mark.parametrize("language", ["da", "en"])
def test_a_card_is_the_markup_its_template_wrote_byte_for_byte(language):
    full, on = _full_entry()
    bare = InterventionFactory(
        title="Zyxkort bart", summary="", period_start=None, budget_dkk=780_000
    )
    bare.target_groups.clear()
    with translation.override(language):
        facts = {
            "url": full.get_absolute_url(),
            "slug": full.slug,
            "year": on.year,
            "confirmed": date_format(on, "F Y"),
        }
        assert _attached(full) == FULL_CARD[language].format(**facts, sort="", text=FULL_SUMMARY)
        line = (
            '<p class="result-sort">'
            + ("Sorteret efter startår: 2016" if language == "da" else "Sorted by start year: 2016")
            + "</p>"
        )
        assert _attached(full, sort="-start") == FULL_CARD[language].format(
            **facts, sort=line, text=FULL_SUMMARY
        )
        expected = BARE_CARD[language].format(url=bare.get_absolute_url(), slug=bare.slug)
        assert _attached(bare) == expected


def test_a_card_shows_its_snippet_in_place_of_the_summary():
    full, on = _full_entry()
    listed = _listed(full)
    listed.snippet = "Et <mark>udsnit</mark>"  # escaped by the search, safe here
    from interventions.listing import cards
    from interventions.listing.index import catalogue_index

    cards.attach_cards([listed], catalogue_index())
    assert '<p class="result-text">Et <mark>udsnit</mark></p>' in listed.card
    assert "ord0" not in listed.card


def test_the_home_page_shows_the_same_card_as_the_list(client):
    full, _on = _full_entry()
    html = client.get("/").content.decode()
    assert _attached(full) in html


def test_new_cards_are_written_without_the_template_engine(client):
    from django.test.signals import template_rendered

    InterventionFactory(title="Zyxkort uden skabelon")
    rendered = []

    def seen(sender, template, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(seen)
    try:
        html = client.get("/indsatser/", {"q": "Zyxkort uden skabelon"}).content.decode()
    finally:
        template_rendered.disconnect(seen)
    assert "Zyxkort uden skabelon</a></h3>" in html
    assert "interventions/list.html" in rendered
    assert not [name for name in rendered if "card" in name], rendered


@pytest.mark.parametrize("language", ["da", "en"])
def test_a_card_links_where_the_entry_is_in_the_active_language(language):
    from interventions.listing.cards import _url

    entry = InterventionFactory(title="Zyxkort link", slug="zyx-kort_link-2")
    with translation.override(language):
        assert _url(entry) == entry.get_absolute_url()
        assert _url(entry) == ("/en" if language == "en" else "") + "/indsatser/zyx-kort_link-2/"
