"""Each search word's count of published entries (`SearchWord.entries`, what the typo lexicon
reads): after every kind of write it equals a count over every published entry's words."""

import importlib
import shutil
from collections import Counter

import pytest
import yaml
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from interventions.changes import collect_entry_changes
from interventions.curation.load import load
from interventions.curation.read import read_fixtures
from interventions.models import Intervention, SearchEntry, SearchWord, TargetGroup
from interventions.search.hints import lexicon
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db


def scanned() -> Counter:
    """What a pass over every published entry's words gives (the lexicon's read before)."""
    counted: Counter = Counter()
    for document in Intervention.objects.published().values_list("search_document", flat=True):
        counted.update(document.split())
    return counted


def stored() -> Counter:
    return Counter(dict(SearchWord.objects.filter(entries__gt=0).values_list("word", "entries")))


def assert_exact() -> None:
    assert stored() == scanned()
    # Every word of every entry is stored, published or not (the lookup finds entries by it).
    known = set(SearchWord.objects.values_list("word", flat=True))
    for document in Intervention.objects.values_list("search_document", flat=True):
        assert set(document.split()) <= known
    rows = dict(SearchEntry.objects.values_list("intervention_id", "published"))
    assert rows == dict(Intervention.objects.values_list("pk", "is_published"))


def test_the_loaded_catalogue_is_counted_exactly():
    assert scanned()  # the curated catalogue, loaded by the loader (tests/conftest.py)
    assert_exact()


def test_counts_follow_new_entries_edits_and_deletes():
    entry = InterventionFactory(title="Okapiværkstedet", summary="Okapier og zebraer.")
    other = InterventionFactory(title="Zebraværkstedet", summary="Zebraer alene.")
    assert stored()["zebraer"] == 2
    assert_exact()
    entry.summary = "Okapier og giraffer."
    entry.save()
    assert stored()["zebraer"] == 1
    assert stored()["giraffer"] == 1
    assert_exact()
    entry.delete()
    assert stored()["okapier"] == 0
    assert_exact()
    Intervention.objects.filter(pk=other.pk).delete()  # a queryset's delete
    assert stored()["zebraer"] == 0
    assert_exact()


def test_counts_follow_publishing_and_withdrawing():
    entry = InterventionFactory(title="Okapiværkstedet", is_published=False)
    assert stored()["okapiværkstedet"] == 0
    assert SearchWord.objects.filter(word="okapiværkstedet").exists()
    assert_exact()
    for published in (True, False, True):  # as the admin's actions save
        entry.is_published = published
        entry.save(update_fields=["is_published", "updated_at"])
        assert stored()["okapiværkstedet"] == int(published)
        assert_exact()
    entry.is_published = False
    entry.save()  # the change form's full save
    assert_exact()


def test_counts_follow_a_batch_that_withdraws_and_edits_an_entry():
    entry = InterventionFactory(title="Okapiværkstedet")
    with transaction.atomic(), collect_entry_changes():
        entry.is_published = False
        entry.save()
        entry.title = "Giraffværkstedet"
        entry.save()
        entry.target_groups.clear()
    assert stored()["giraffværkstedet"] == 0
    assert stored()["okapiværkstedet"] == 0
    assert_exact()


def test_counts_follow_a_renamed_vocabulary_term():
    group = TargetGroup.objects.get(slug="hjemloese")
    group.name = "Okapihjemløse"
    group.save()
    assert stored()["okapihjemløse"] == group.interventions.filter(is_published=True).count() > 0
    assert_exact()


def test_a_rolled_back_write_leaves_the_counts_as_they_were():
    before = stored()
    with pytest.raises(RuntimeError), transaction.atomic():
        InterventionFactory(title="Okapiværkstedet")
        raise RuntimeError
    assert stored() == before


def test_counts_follow_a_load_of_changed_fixtures(tmp_path):
    target = tmp_path / "fixtures"
    shutil.copytree(settings.FIXTURES_DIR, target)
    path = next(iter(sorted((target / "sources").glob("*.yaml"))))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["interventions"][0]["summary"] += " Okapiværksted."
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    fixtures, problems = read_fixtures(target)
    assert not problems
    load(fixtures, settings.SEEDS_DIR)
    assert stored()["okapiværksted"] == 1
    assert_exact()


def test_the_bench_generators_entries_are_counted():
    from bench.generate import synthesise

    size = Intervention.objects.count() + 5
    assert synthesise(size) == 5
    assert_exact()


def test_a_recount_a_rebuild_and_the_migration_make_the_counts_exact():
    InterventionFactory(title="Okapiværkstedet")
    SearchWord.objects.update(entries=7)
    SearchWord.recount()
    assert_exact()
    SearchEntry.objects.update(published=False, words="")  # as before the migration
    SearchWord.objects.update(entries=0)
    call_command("refresh_search", verbosity=0)  # SearchEntry.rebuild
    assert_exact()
    migration = importlib.import_module("interventions.migrations.0015_search_word_counts")
    SearchEntry.objects.update(published=True)  # the new column's default
    SearchWord.objects.update(entries=0)
    migration.copy_withdrawn(apps, None)
    migration.count_words(apps, None)
    assert_exact()


def test_the_lexicon_is_read_from_the_counts_and_follows_them_at_once():
    assert lexicon().frequency == Counter(
        {w: n for w, n in scanned().items() if w.isalpha() and len(w) > 2}
    )
    entry = InterventionFactory(title="Okapiværkstedet")
    assert lexicon().frequency["okapiværkstedet"] == 1
    entry.is_published = False
    entry.save(update_fields=["is_published", "updated_at"])
    assert "okapiværkstedet" not in lexicon().frequency  # no published entry has it any more
    words = lexicon().words
    assert [lexicon().frequency[w] for w in words] == sorted(
        (lexicon().frequency[w] for w in words), reverse=True
    )


def test_a_count_that_drifted_never_fails_a_save_and_a_recount_mends_it():
    entry = InterventionFactory(title="Okapiværkstedet", summary="Okapier og zebraer.")
    SearchWord.objects.filter(word="zebraer").update(entries=0)  # changed by hand
    entry.is_published = False
    entry.save(update_fields=["is_published", "updated_at"])  # would go below 0
    assert SearchWord.objects.get(word="zebraer").entries == 0
    entry.is_published = True
    entry.save(update_fields=["is_published", "updated_at"])
    assert stored()["zebraer"] == 1
    SearchWord.objects.filter(word="okapier").update(entries=7)
    SearchWord.recount()
    assert_exact()
