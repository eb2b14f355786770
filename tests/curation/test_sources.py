"""The curated catalogue meets CURATION.md: complete, traceable to its source, clean."""

import re
from functools import cache

import pytest

from interventions.curation.pdf_text import normalise_chars
from interventions.models import Guidance, Intervention, SourceDocument
from tests.support import require_seeds

pytestmark = pytest.mark.django_db

# Entries per source, as the curation issues count them.
EXPECTED_INTERVENTIONS = {
    "dassos-2015": 25,
    "dsr-investering-2019": 38,
    "aarhus-baeredygtighedsplan-2020": 55,
    "defactum-akutpsykiatri": 63,
    "fremfaerd-alle-kan-bidrage": 5,
}
EXPECTED_GUIDANCE = {
    "dsr-investering-2019": 51,
    "fremfaerd-alle-kan-bidrage": 15,
}


@pytest.mark.parametrize(("source", "expected"), EXPECTED_INTERVENTIONS.items())
def test_every_intervention_of_each_source_is_in_the_catalogue(source, expected):
    assert Intervention.objects.filter(source__key=source).count() == expected


@pytest.mark.parametrize(("source", "expected"), EXPECTED_GUIDANCE.items())
def test_every_guidance_item_of_each_source_is_in_the_catalogue(source, expected):
    numbers = list(Guidance.objects.filter(source__key=source).values_list("number", flat=True))
    assert sorted(numbers) == list(range(1, expected + 1))


def test_002_has_a_theme_and_track_for_every_entry_and_keeps_the_duplicated_number_twice():
    entries = Intervention.objects.filter(source__key="aarhus-baeredygtighedsplan-2020")
    assert not entries.filter(source_section__parent__isnull=True).exists()
    assert entries.filter(locator__startswith="Initiativ 5.3.1").count() == 2


def test_003_locators_number_the_entries_1_to_63():
    locators = Intervention.objects.filter(source__key="defactum-akutpsykiatri").values_list(
        "locator", flat=True
    )
    assert sorted(int(re.search(r"\d+", loc).group()) for loc in locators) == list(range(1, 64))


def _letters(text: str) -> str:
    """Only letters and digits, lower-cased: line breaks, hyphenation and spacing fall away."""
    return re.sub(r"[\W_]+", "", normalise_chars(text).casefold())


@cache
def _seed_lines(file: str) -> list[str]:
    return require_seeds(file).read_text(encoding="utf-8").split("\n")


def _source_text(entry: Intervention) -> str:
    lines = _seed_lines(entry.source.file)
    return _letters("\n".join(lines[entry.source_first_line - 1 : entry.source_last_line]))


def curated_entries():
    return Intervention.objects.exclude(source_first_line=None).select_related("source")


def test_every_entry_says_where_in_its_source_it_stands():
    assert not Intervention.objects.filter(source_first_line=None).exists()
    assert not Intervention.objects.filter(locator="").exists()


def test_titles_come_from_the_source_range():
    missing = []
    for entry in curated_entries():
        text = _source_text(entry)
        titles = [entry.title, *entry.alternative_titles]
        if not any(_letters(t) in text for t in titles):
            missing.append(entry.slug)
    assert missing == []


def test_contacts_are_copied_exactly_from_the_source_range():
    wrong = []
    for entry in curated_entries().prefetch_related("contacts"):
        text = _source_text(entry)
        for contact in entry.contacts.all():
            for value in (contact.name, contact.email, contact.phone):
                if value and _letters(value) not in text:
                    wrong.append((entry.slug, value))
    assert wrong == []


def test_line_ranges_of_one_source_do_not_overlap():
    for source in SourceDocument.objects.all():
        ranges = sorted(
            source.interventions.exclude(source_first_line=None).values_list(
                "source_first_line", "source_last_line", "slug"
            )
        )
        for (_, end, slug), (start, _, next_slug) in zip(ranges, ranges[1:], strict=False):
            assert end < start, f"{slug} overlaps {next_slug}"


def test_every_entry_has_one_to_four_target_groups_and_a_summary():
    for entry in Intervention.objects.prefetch_related("target_groups"):
        assert 1 <= len(entry.target_groups.all()) <= 4, entry.slug
        assert entry.summary.strip(), entry.slug


def test_budget_amounts_say_what_they_cover():
    assert not Intervention.objects.filter(budget_dkk__isnull=False, budget_note="").exists()
