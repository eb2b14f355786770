"""The search texts follow the data: edits, new words, renamed vocabulary terms
(interventions/search/documents.py, interventions/changes.py, interventions/signals.py)."""

import pytest

from interventions.changes import refresh_search_texts
from interventions.models import Intervention, SearchWord
from interventions.search.documents import searched_fields
from interventions.search.hints import suggest
from interventions.search.query import search
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db


def slugs(query: str) -> list[str]:
    return list(search(Intervention.objects.published(), query).values_list("slug", flat=True))


def test_search_text_follows_edits_and_the_lexicon_follows_the_catalogue():
    entry = InterventionFactory(title="Zebrafisk")
    assert suggest("okapiii") is None or "okapi" not in suggest("okapiii")
    entry.title = "Okapi-huset"
    entry.save()
    refresh_search_texts(entry)
    assert slugs("okapi") == [entry.slug]
    assert slugs("zebrafisk") == []
    assert suggest("okapii") == "okapi"


def test_every_word_of_every_search_document_is_in_the_vocabulary():
    entry = InterventionFactory(title="Zebrafiskeprojektet i Ølstykke")
    known = set(SearchWord.objects.values_list("word", flat=True))
    for document in Intervention.objects.values_list("search_document", flat=True):
        assert set(document.split()) <= known
    assert search(Intervention.objects.all(), "zebrafisk").get() == entry


@pytest.mark.parametrize(
    ("model", "lookup", "field"),
    [
        ("TargetGroup", {"slug": "hjemloese"}, "name"),
        ("Municipality", {"name": "Samsø"}, "name"),
        ("Method", {"slug": "fact"}, "name"),
        ("LegalParagraph", {"slug": "sel-85"}, "title"),
    ],
)
def test_renaming_a_vocabulary_term_updates_the_search(model, lookup, field):
    from django.apps import apps

    term = apps.get_model("interventions", model).objects.get(**lookup)
    # The entries using the term (a search for its old name leaves out those far below the best).
    _fields, relation = searched_fields(type(term))
    if model == "LegalParagraph":
        relation = "legal_bases__paragraph"
    users = set(Intervention.objects.filter(**{relation: term}).values_list("slug", flat=True))
    setattr(term, field, "Zebrafiskeriet")
    term.save()
    found = set(slugs("zebrafiskeriet"))
    assert found
    assert found <= users
