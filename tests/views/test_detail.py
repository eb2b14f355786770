"""The detail page /indsatser/<slug>/: every field, escaped, in a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.models import Intervention
from tests.factories import ContactFactory, InterventionFactory

pytestmark = pytest.mark.django_db


def test_shows_a_curated_entry_with_its_facts_and_source(client):
    entry = Intervention.objects.get(slug="cafe-tumling-aarhus")
    response = client.get(entry.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 lang="da">Café Tumling</h1>' in html
    assert entry.source.title in html and entry.locator in html
    for contact in entry.contacts.all():
        assert contact.name in html
        if contact.email:
            assert f'href="mailto:{contact.email}"' in html
    for group in entry.target_groups.all():
        assert group.name in html


def test_legal_paragraphs_show_whether_the_source_states_them(client):
    entry = InterventionFactory(paragraphs=["SEL § 85"])
    entry.legal_bases.update(stated_in_source=False)
    html = client.get(entry.get_absolute_url()).content.decode()
    assert "SEL § 85" in html and "tilføjet af redaktionen" in html


def test_text_markup_is_rendered_and_html_is_escaped(client):
    entry = InterventionFactory(
        title="<script>alert(1)</script>",
        purpose="Første afsnit.\n\n- punkt <b>et</b>\n- punkt to\n\n### Underoverskrift\nTekst.",
    )
    html = client.get(entry.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "<ul><li>punkt &lt;b&gt;et&lt;/b&gt;</li><li>punkt to</li></ul>" in html
    assert "<h4>Underoverskrift</h4>" in html


def test_unknown_and_draft_entries_are_404(client):
    assert client.get("/indsatser/findes-ikke/").status_code == 404
    draft = InterventionFactory(is_published=False)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_query_count_is_constant(client):
    entry = InterventionFactory(paragraphs=["SEL § 85", "SEL § 107"])
    ContactFactory(intervention=entry)
    with CaptureQueriesContext(connection) as one:
        client.get(entry.get_absolute_url())
    for n in range(5):
        ContactFactory(intervention=entry, name=f"Person {n}")
    entry.related.set(Intervention.objects.exclude(pk=entry.pk)[:5])
    with CaptureQueriesContext(connection) as many:
        client.get(entry.get_absolute_url())
    assert len(many) == len(one)
