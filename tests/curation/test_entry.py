"""The one entry<->dict conversion and the one checksum (curation/entry.py)."""

import pytest

from interventions.curation.entry import (
    assign_entry,
    checksum,
    entry_from_db,
    entry_from_fixture,
    paragraph_label,
    related_links,
)
from interventions.models import Intervention, SourceSection

pytestmark = pytest.mark.django_db


def in_any_order(entry: dict) -> dict:
    """The legal basis is a set: the database lists it in its own order, a file in the curator's."""
    return {**entry, "legal_basis": sorted(entry["legal_basis"], key=lambda b: b["paragraph"])}


def test_a_loaded_entry_and_its_fixture_are_the_same_dict(curated_fixtures):
    """For every curated entry: the dict from the file, the dict from the database and the
    checksum stored when it was loaded agree, so a reload writes nothing."""
    entries = [entry for _file, _source, entry in curated_fixtures.interventions()]
    links = related_links(entries)
    stored = {obj.slug: obj for obj in Intervention.objects.with_relations()}
    assert len(entries) == len(stored) == 186
    for entry in entries:
        obj = stored[entry["slug"]]
        from_file = entry_from_fixture(entry, links.get(entry["slug"], set()))
        assert in_any_order(entry_from_db(obj)) == in_any_order(from_file), entry["slug"]
        assert checksum(from_file) == checksum(entry_from_db(obj)) == obj.loaded_checksum


def test_assign_entry_writes_what_entry_from_db_reads_back(curated_fixtures):
    _file, source_key, entry = curated_fixtures.interventions()[0]
    wanted = entry_from_fixture(entry, set())
    wanted.update(title="Ny titel", budget_dkk=1, budget_note="Alt", published=False)
    wanted["sections"]["purpose"] = "Et nyt formål."
    obj = Intervention.objects.get(slug=entry["slug"])
    sections = {s.code: s for s in SourceSection.objects.filter(source=obj.source)}
    assign_entry(obj, wanted, source=obj.source, sections=sections)
    obj.save()
    got = entry_from_db(Intervention.objects.with_relations().get(pk=obj.pk))
    assert {k: got[k] for k in ("title", "budget_dkk", "budget_note", "published")} == {
        "title": "Ny titel",
        "budget_dkk": 1,
        "budget_note": "Alt",
        "published": False,
    }
    assert got["sections"]["purpose"] == "Et nyt formål."
    assert checksum(got) != obj.loaded_checksum  # now it counts as edited


def test_the_checksum_ignores_the_order_of_the_legal_basis_only():
    entry = {"slug": "a", "legal_basis": [{"paragraph": "SEL § 85"}, {"paragraph": "SEL § 107"}]}
    swapped = {**entry, "legal_basis": entry["legal_basis"][::-1]}
    assert checksum(entry) == checksum(swapped)
    assert checksum(entry) != checksum({**entry, "slug": "b"})


def test_a_related_link_counts_for_both_sides():
    assert related_links([{"slug": "a", "related": ["b"]}, {"slug": "c"}]) == {
        "a": {"b"},
        "b": {"a"},
    }


def test_paragraph_labels_are_written_one_way():
    assert paragraph_label("SEL §85") == "SEL § 85"
    assert paragraph_label("ikke en paragraf") == "ikke en paragraf"  # validate.py reports it
