"""`SearchEntry` and `SearchEntryText`: each entry's search texts in narrow rows of their own,
what the search's lookups read (the words; the title and metadata). They hold exactly the
entry's texts after every kind of write: the catalogue load, an edit, a new entry, a vocabulary
rename, the `refresh_search` command, a rebuild; they go with the entry.
"""

import pytest
from django.core.management import call_command

from interventions.models import Intervention, SearchEntry, SearchEntryText, TargetGroup
from interventions.search.query import ranked
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db


def entries_texts() -> dict[int, tuple[str, str, str]]:
    rows = Intervention.objects.values_list("pk", "search_document", "search_title", "search_meta")
    return {pk: texts for pk, *texts in rows for texts in [tuple(texts)] if any(texts)}


def kept_texts() -> dict[int, tuple[str, str, str]]:
    """The entries' texts as the two tables hold them; each entry in both, or the test fails."""
    words = dict(SearchEntry.objects.values_list("intervention_id", "words"))
    fields = {pk: (t, m) for pk, t, m in SearchEntryText.objects.values_list("pk", "title", "meta")}
    assert words.keys() == fields.keys()
    return {pk: (words[pk], *fields[pk]) for pk in words}


def test_the_loaded_catalogue_has_every_entry_s_texts():
    assert len(entries_texts()) > 150
    assert kept_texts() == entries_texts()


def test_an_edit_a_new_entry_and_a_deletion_are_followed():
    entry = InterventionFactory(title="Zebrafiskens hus")
    assert kept_texts()[entry.pk][1] == " zebrafiskens hus "
    entry.title = "Kamelrytternes hus"
    entry.save()
    assert kept_texts()[entry.pk][1] == " kamelrytternes hus "
    assert [pk for pk, _score in ranked("kamelrytter")] == [entry.pk]
    assert ranked("zebrafisk") == []
    entry.delete()
    assert entry.pk not in kept_texts()
    assert kept_texts() == entries_texts()


def test_a_renamed_vocabulary_term_is_followed():
    group = TargetGroup.objects.create(slug="zebrafiskere", name="Zebrafiskere")
    entry = InterventionFactory(target_groups=[group])
    group.name = "Kamelryttere"
    group.save()
    assert " kamelryttere " in kept_texts()[entry.pk][2]
    assert kept_texts() == entries_texts()


def test_an_unpublished_entry_is_kept_but_not_found():
    entry = InterventionFactory(title="Zebrafiskens hus", is_published=False)
    assert entry.pk in kept_texts()
    assert ranked("zebrafisk") == []
    entry.is_published = True
    entry.save(update_fields=["is_published"])  # no new texts; a new catalogue version
    assert [pk for pk, _score in ranked("zebrafisk")] == [entry.pk]


def test_the_refresh_command_and_a_rebuild_give_the_entries_texts():
    SearchEntry.objects.filter(pk__in=list(entries_texts())[:20]).delete()
    SearchEntryText.objects.filter(pk__in=list(entries_texts())[10:30]).delete()
    Intervention.objects.filter(pk__in=list(entries_texts())[:5]).update(search_title="")
    call_command("refresh_search", verbosity=0)
    assert kept_texts() == entries_texts()
    SearchEntry.objects.all().delete()
    SearchEntryText.objects.update(title="", meta="")
    SearchEntry.rebuild()
    assert kept_texts() == entries_texts()
