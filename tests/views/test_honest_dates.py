"""The age of every fact on the entry's page (#18, ADR 0012): the date of the information and what
it rests on, confirmations, status and contacts as the source said, served municipalities."""

import datetime
import html as html_lib
import re

import pytest
from django.conf import settings
from django.utils import timezone, translation

from interventions.models import Intervention, Municipality, ServedMunicipality, SourceDocument
from tests.factories import ContactFactory, InterventionFactory, confirm

pytestmark = pytest.mark.django_db

TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")
# The only ways an unconfirmed entry's page may use the word: saying it is not confirmed.
NEGATIONS = ("ikke bekræftet", "Aldrig bekræftet af ejeren")
CLAIMS = ("bekræftet af", "sidst bekræftet", "Bekræftet")

# The six entries whose own period ended while the source said running or planned (#18, point 4).
PERIOD_ENDED = {
    "breddeidraetsprojektet-kom-igen-aarhus",
    "ligestillet-stoette-aarhus-viborg-randers",
    "maalrettet-stoette-til-foraeldre-anbragte-boern-aarhus",
    "konference-fremtidens-byggeri-aarhus",
    "sundhedsprojekt-voksne-med-handicap-aarhus",
    "fact-skive",
}


def visible_text(page: str) -> str:
    """The page's text as a reader sees it: no tags, entities decoded, spaces collapsed."""
    body = page.split("<main", 1)[-1]
    return SPACE.sub(" ", html_lib.unescape(TAG.sub(" ", body))).strip()


def squash(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def facts_value(page: str, css_class: str) -> str:
    match = re.search(rf'<dd class="{css_class}">(.*?)</dd>', page, re.DOTALL)
    assert match, css_class
    return squash(html_lib.unescape(TAG.sub(" ", match.group(1))))


def test_every_published_entry_says_how_old_its_information_is(client):
    """Walks all published pages (186): one client, the entries loaded once."""
    entries = list(Intervention.objects.published().select_related("source"))
    assert len(entries) >= 186
    ended = set()
    for entry in entries:
        response = client.get(entry.get_absolute_url())
        assert response.status_code == 200, entry.slug
        page = response.content.decode()
        text = visible_text(page)
        stated = f"{entry.source.short_name} ({entry.source.published_label})"
        assert not entry.is_confirmed, "no entry is confirmed yet: a test must create one"
        # The opening line and the facts box both date the information by its source.
        assert f"Oplysningerne stammer fra {stated} og er ikke bekræftet siden." in text, entry.slug
        assert facts_value(page, "facts-information").startswith(stated), entry.slug
        assert facts_value(page, "facts-confirmations") == "Aldrig bekræftet af ejeren"
        unclaimed = text
        for negation in NEGATIONS:
            unclaimed = unclaimed.replace(negation, "")
        assert not [c for c in CLAIMS if c in unclaimed], entry.slug
        if entry.editorial_note.strip():
            assert squash(entry.editorial_note) not in text, entry.slug
        assert facts_value(page, "facts-status") == entry.status_as_stated, entry.slug
        if entry.period_ended_while_active:
            ended.add(entry.slug)
            assert "Ukendt — perioden sluttede" in facts_value(page, "facts-status")
        elif entry.status != Intervention.Status.UNKNOWN:
            year = entry.source.published_on.year
            assert facts_value(page, "facts-status").endswith(f"ifølge kilden ({year})")
        assert f"Kontakt ifølge kilden ({entry.source.published_on.year})" in text, entry.slug
    assert ended >= PERIOD_ENDED


def test_a_confirmed_entry_says_who_confirmed_it_and_when(client):
    entry = InterventionFactory(period_start=2015, period_end=None, budget_dkk=400_000)
    entry.status = Intervention.Status.RUNNING
    entry.save()
    ContactFactory(intervention=entry)
    today = timezone.localdate()
    confirm(entry, today - datetime.timedelta(days=400), by="Testkommune, Socialforvaltningen")
    latest = confirm(
        entry,
        today,
        by="Testkommune, Socialforvaltningen",
        method=entry.confirmations.model.Method.TELEPHONE,
    )
    # The note is the recording editor's (who was spoken to, what was said): not for the page.
    latest.note = "Talte med lederen, der bad os rette budgettet"
    latest.save()
    page = client.get(entry.get_absolute_url()).content.decode()
    text = visible_text(page)
    date = f"{today.day}. {DANISH_MONTHS[today.month - 1]} {today.year}"
    assert f"Oplysningerne er bekræftet af Testkommune, Socialforvaltningen den {date}." in text
    assert (
        facts_value(page, "facts-information")
        == f"bekræftet af Testkommune, Socialforvaltningen den {date}"
    )
    confirmations = facts_value(page, "facts-confirmations")
    assert confirmations.startswith(f"{date} af Testkommune, Socialforvaltningen (telefon)")
    assert "(e-mail)" in confirmations  # the earlier one stays in the history
    assert facts_value(page, "facts-status") == f"I drift, bekræftet {today.year}"
    assert facts_value(page, "facts-period") == "2015–"  # confirmed: no "ifølge kilden"
    assert f"Kontakt, bekræftet {today.year}" in text
    assert "ikke bekræftet" not in text and "Mere end to år gamle" not in text
    assert latest.note not in text


def test_a_confirmation_long_ago_is_marked_stale(client):
    entry = InterventionFactory()
    confirm(entry, datetime.date(2019, 3, 5))
    page = client.get(entry.get_absolute_url()).content.decode()
    text = visible_text(page)
    assert "Oplysningerne er bekræftet af Horsens Kommune den 5. marts 2019." in text
    assert "Bekræftelsen er mere end to år gammel" in text
    assert facts_value(page, "facts-information").endswith("Mere end to år gamle")


def test_a_recent_source_is_not_marked_stale(client):
    entry = InterventionFactory(source=SourceDocument.objects.get(key="defactum-akutpsykiatri"))
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "Mere end to år gamle" not in visible_text(page)


def test_an_old_source_is_marked_stale_and_states_period_and_budget_as_the_source_said(client):
    entry = InterventionFactory(
        period_start=2016, period_end=2019, budget_dkk=250_000, budget_note="årligt"
    )
    page = client.get(entry.get_absolute_url()).content.decode()
    assert facts_value(page, "facts-information") == (
        "DASSOS' inspirationskatalog (januar 2016) Mere end to år gamle"
    )
    assert facts_value(page, "facts-period") == "2016–2019 ifølge kilden (2016)"
    assert facts_value(page, "facts-budget") == (
        "250.000 kr. ifølge kilden (2016) Beløbet dækker: årligt"
    )
    assert '<a href="/kilder/#source-dassos-2015">DASSOS&#x27; inspirationskatalog</a>' in page


def test_the_print_view_keeps_the_age_of_the_information(client):
    entry = InterventionFactory()
    page = client.get(entry.get_absolute_url()).content.decode()
    printed = re.search(r'<p class="detail-muted print-only">(.*?)</p>', page, re.DOTALL)
    assert printed and squash(printed.group(1)).startswith("Udskrevet ")
    # Paper keeps the opening line and the facts box, which date the information.
    hidden = set()
    css = (settings.BASE_DIR / "static" / "css" / "print.css").read_text()
    for selectors, rules in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        if "display: none" in rules:
            hidden |= {sel.strip() for sel in selectors.split(",")}
    assert hidden and not hidden & {".facts", ".freshness", ".freshness-notice", ".alert"}
    assert 'class="alert alert-info freshness-notice"' in page and 'class="facts"' in page


def test_contacts_meeting_participants_and_no_contact(client):
    entry = InterventionFactory(organisation="Horsens Kommune")
    page = client.get(entry.get_absolute_url()).content.decode()
    text = visible_text(page)
    assert (
        "Kontakt ifølge kilden (2016) Kilden nævner ingen kontaktperson. "
        "Kontakt Horsens Kommune og spørg efter indsatsen."
    ) in text
    ContactFactory(
        intervention=entry,
        name="Trine",
        role="Ledelsespraktikant",
        email="trine@example.dk",
        kind="meeting_participant",
    )
    page = client.get(entry.get_absolute_url()).content.decode()
    text = visible_text(page)
    assert "Kilden nævner ingen kontaktperson." in text  # a participant is no contact
    assert "Mødedeltagere nævnt i kilden" in text and "Trine, Ledelsespraktikant" in text
    assert "trine@example.dk" not in page
    ContactFactory(intervention=entry, name="Ole Olsen", email="ole@example.dk")
    page = client.get(entry.get_absolute_url()).content.decode()
    assert 'href="mailto:ole@example.dk"' in page and "trine@example.dk" not in page
    assert "Kilden nævner ingen kontaktperson." not in visible_text(page)


def test_runs_and_serves_are_told_apart_with_their_basis(client):
    entry = InterventionFactory(municipalities=[Municipality.objects.get(slug="herning")])
    ServedMunicipality.objects.create(
        intervention=entry, municipality_id=_municipality("ikast-brande"), note="Seed 003 l.6445"
    )
    ServedMunicipality.objects.create(
        intervention=entry,
        municipality_id=_municipality("norddjurs"),
        basis=ServedMunicipality.Basis.EDITORS,
        note="Teamet dækker hele klyngen",
    )
    page = client.get(entry.get_absolute_url()).content.decode()
    assert facts_value(page, "facts-run-by") == "Herning"
    served = facts_value(page, "facts-served")
    assert "Ikast-Brande (ifølge kilden)" in served
    assert "Norddjurs (redaktionens vurdering: Teamet dækker hele klyngen)" in served
    assert 'title="Seed 003 l.6445"' in page
    assert "<dt>Dækker også</dt>" in page
    entry.municipalities.clear()  # a regional team: it runs in no municipality, it covers some
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "<dt>Dækker</dt>" in page and "Drives af" not in page


def test_the_sources_page_gives_full_citations_and_the_entries_link_to_it(client):
    page = client.get("/kilder/").content.decode()
    text = visible_text(page)
    for source in SourceDocument.objects.all():
        assert f'id="source-{source.key}"' in page
        assert f"udgivet {source.published_label}" in text
        assert squash(source.citation) in text
        assert squash(source.published_basis) in text
    entry = Intervention.objects.published().first()
    detail = client.get(entry.get_absolute_url()).content.decode()
    assert f'href="/kilder/#source-{entry.source.key}"' in detail


def test_a_source_with_an_address_and_isbn_shows_them(client):
    SourceDocument.objects.filter(key="dassos-2015").update(
        url="https://example.dk/katalog.pdf", isbn="978-87-93000-00-0"
    )
    page = client.get("/kilder/").content.decode()
    assert '<a href="https://example.dk/katalog.pdf">' in page and "978-87-93000-00-0" in page


def test_front_page_and_about_do_not_promise_contacts(client):
    for url in ("/", "/om/"):
        text = visible_text(client.get(url).content.decode())
        assert "med kilde og kontaktpersoner" not in text, url
        assert "hvem man kan ringe til" not in text, url
    assert "Hvor gamle er oplysningerne?" in visible_text(client.get("/om/").content.decode())


def test_the_english_page_reads_naturally(client):
    entry = InterventionFactory(organisation="Horsens Kommune", period_start=2016)
    # The request activates English in this thread; the override puts Danish back afterwards,
    # or the next test's reverse() would give /en/ addresses.
    with translation.override("da"):
        text = visible_text(client.get("/en" + entry.get_absolute_url()).content.decode())
    assert (
        "The information comes from DASSOS' inspirationskatalog (January 2016) and has not been "
        "confirmed since. Contact the owner before referring anyone."
    ) in text
    assert "Contact according to the source (2016)" in text
    assert "The source names no contact person. Contact Horsens Kommune and ask about" in text
    assert "Never confirmed by the owner" in text
    assert "2016– according to the source (2016)" in text


def _municipality(slug: str) -> int:
    return Municipality.objects.get(slug=slug).pk


DANISH_MONTHS = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
]
