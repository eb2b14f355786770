"""Follow a search: valid Atom, the same selection as the list, stable ids, changes in words."""

from datetime import date, timedelta

import feedparser
import pytest
from django.db.models import Q
from django.utils import timezone

from interventions.models import Contact, Intervention, Municipality
from tests.factories import ContactFactory, InterventionFactory, confirm

pytestmark = pytest.mark.django_db
FEED = "/indsatser/feed.atom"


def parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed


def back_date(entry: Intervention, days: int = 1) -> None:
    """Move the entry's history so far back that the next change is an item of its own."""
    when = timezone.now() - timedelta(days=days)
    entry.history.all().update(history_date=when)
    Contact.history.filter(intervention_id=entry.pk).update(history_date=when)


@pytest.fixture
def followed():
    """An entry in Ærø (which no curated entry names), published a day ago."""
    place = Municipality.objects.get(slug="aeroe")
    entry = InterventionFactory(status=Intervention.Status.PLANNED, municipalities=[place])
    back_date(entry)
    return entry


def test_the_feed_is_valid_atom_for_the_lists_selection(client):
    feed = parse(client, f"{FEED}?municipality=aarhus")
    assert feed.feed.title == "Indsatskataloget: Aarhus Kommune"
    assert feed.feed.link.endswith("/indsatser/?municipality=aarhus")
    # The list's selection: the entries Aarhus runs or that serve Aarhus (ADR 0012).
    in_list = set(
        Intervention.objects.published()
        .filter(Q(municipalities__slug="aarhus") | Q(served_municipalities__slug="aarhus"))
        .values_list("slug", flat=True)
    )
    linked = {entry.link.rstrip("/").rsplit("/", 1)[1] for entry in feed.entries}
    assert linked and linked <= in_list
    assert all(e.title.startswith("Ny i kataloget: ") for e in feed.entries)


def test_ids_are_stable_and_items_newest_first(client):
    first = parse(client, FEED)
    again = parse(client, FEED)
    assert [e.id for e in first.entries] == [e.id for e in again.entries]
    assert len({e.id for e in first.entries}) == len(first.entries) <= 50
    updated = [e.updated_parsed for e in first.entries]
    assert updated == sorted(updated, reverse=True)


def test_a_status_change_is_an_item_in_words(client, followed):
    before = parse(client, f"{FEED}?municipality=aeroe")
    assert [e.title for e in before.entries] == [f"Ny i kataloget: {followed.title}"]

    followed.status = Intervention.Status.RUNNING
    followed.save()
    after = parse(client, f"{FEED}?municipality=aeroe")
    assert len(after.entries) == 2
    newest = after.entries[0]
    assert newest.title == f"{followed.title}: Status ændret fra »Planlagt« til »I drift«"
    assert newest.id != before.entries[0].id
    assert after.entries[1].id == before.entries[0].id, "an item keeps its id"


def test_budget_text_and_confirmation_are_items(client, followed):
    followed.budget_dkk = 250000
    followed.budget_note = "Samlet budget"
    followed.purpose = "Et nyt formål."
    followed.save()
    # Half a day before the confirmation, so the two are items of their own.
    newest = Intervention.history.filter(id=followed.pk).latest("history_id")
    Intervention.history.filter(history_id=newest.history_id).update(
        history_date=timezone.now() - timedelta(hours=12)
    )
    confirm(followed, date(2026, 11, 1), by="Testkommune")
    feed = parse(client, f"/indsatser/{followed.slug}/feed.atom")
    texts = [e.summary for e in feed.entries]
    assert "Bekræftet af Testkommune." in texts[0]
    assert "Budget oplyst: 250.000 kr." in texts[1]
    assert "Teksten er ændret: Formål." in texts[1]


def test_contact_changes_are_items(client, followed):
    contact = ContactFactory(intervention=followed, name="Anna Andersen")
    feed = parse(client, f"/indsatser/{followed.slug}/feed.atom")
    assert feed.entries[0].title == f"{followed.title}: Kontaktperson tilføjet: Anna Andersen"
    back_date(followed)
    contact.email = "anna@example.dk"
    contact.save()
    feed = parse(client, f"/indsatser/{followed.slug}/feed.atom")
    assert "Kontaktoplysninger ændret: Anna Andersen" in feed.entries[0].title


def test_changes_in_one_save_are_one_item(client, followed):
    followed.status = Intervention.Status.ENDED
    followed.period_end = 2025
    followed.save()
    newest = parse(client, f"/indsatser/{followed.slug}/feed.atom").entries[0]
    assert "Status ændret fra »Planlagt« til »Afsluttet«." in newest.summary
    assert "Periode ændret" in newest.summary


def test_drafts_and_changes_while_a_draft_are_not_shown(client):
    draft = InterventionFactory(
        is_published=False, municipalities=[Municipality.objects.get(slug="aeroe")]
    )
    feed = parse(client, f"{FEED}?municipality=aeroe")
    assert feed.entries == []
    assert client.get(f"/indsatser/{draft.slug}/feed.atom").status_code == 404


def test_bad_input_is_400_or_404_in_danish(client):
    response = client.get(f"{FEED}?target_group=findes-ikke")
    assert response.status_code == 400
    assert "Filtrene i adressen kunne ikke bruges" in response.content.decode()
    assert client.get("/indsatser/findes-ikke/feed.atom").status_code == 404


def test_the_list_and_the_detail_page_offer_their_feeds(client, followed):
    body = client.get("/indsatser/?municipality=aeroe&page=1&sort=title").content.decode()
    assert f'href="{FEED}?municipality=aeroe"' in body
    assert "Følg denne søgning" in body
    detail = client.get(followed.get_absolute_url()).content.decode()
    assert f'href="/indsatser/{followed.slug}/feed.atom"' in detail


def test_english_labels_at_en(client, followed):
    feed = parse(client, f"/en{FEED}?municipality=aeroe")
    assert feed.feed.language == "en"
    assert feed.entries[0].title == f"New in the catalogue: {followed.title}"


def test_a_search_with_control_characters_names_the_selection_without_them(client):
    """XML 1.0 cannot carry them: the feed's title drops them instead of failing (found by fuzz)."""
    feed = parse(client, f"{FEED}?q=%01psykiatri%1B")
    assert feed.feed.title == "Indsatskataloget: »psykiatri«"


def test_a_feed_of_all_chosen_values_says_and_and_keeps_the_mode_in_its_link(client):
    query = "target_group=hjemloese&target_group=unge-15-25&match_all=target_group"
    feed = parse(client, f"{FEED}?{query}")
    assert feed.feed.title == "Indsatskataloget: Hjemløse og Unge 15-25"
    assert "match_all=target_group" in feed.feed.link
