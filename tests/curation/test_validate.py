"""Every place in curation/validate.py that reports a problem, triggered once each.

Each case breaks one thing in a copy of the curated fixtures (read once, in memory) and names the
exact line the check reports: `file · entry · field: message`. Validation touches no database.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable

import pytest
from django.conf import settings

from interventions.curation import schema
from interventions.curation.read import Fixtures, read_fixtures
from interventions.curation.validate import validate
from interventions.models import TEXT_SECTIONS, Intervention, KKRGoal
from tests.support import require_seeds

A = "sources/000-dassos-2015-a.yaml"  # its first entry is biofeedback-horsens (Horsens Kommune)
GUIDANCE = "sources/001-dsr-investering-2019-guidance.yaml"
FIRST = f"{A} · biofeedback-horsens"


@pytest.fixture(scope="module")
def curated() -> Fixtures:
    fixtures, problems = read_fixtures(settings.FIXTURES_DIR)
    assert problems == []
    return fixtures


def source(f: Fixtures, name: str) -> dict:
    return next(content for file, content in f.sources if file == name)


def entry(f: Fixtures, number: int = 1) -> dict:
    return source(f, A)["interventions"][number - 1]


def vocabulary(f: Fixtures, name: str) -> list:
    return f.vocabularies[name]


def limit(model, field: str) -> schema.FieldLimits:
    return schema.field_limits(model, field)


# (id, what to break, the problem it gives). `f` is a fresh copy of the curated fixtures.
Case = tuple[str, Callable[[Fixtures], object], str]

VALUE_CASES: list[Case] = [
    (
        "a null where the column holds no null",
        lambda f: entry(f).update(published=None),
        f"{FIRST} · published: must be true or false, not null",
    ),
    (
        "text that is a number",
        lambda f: entry(f).update(locator=5),
        f"{FIRST} · locator: must be text, not a number",
    ),
    (
        "text longer than its field",
        lambda f: entry(f).update(summary="x" * 2001),
        f"{FIRST} · summary: is 2001 characters long; at most 2000 fit",
    ),
    (
        "a value not among the field's choices",
        lambda f: entry(f).update(sector="privat"),
        f"{FIRST} · sector: must be one of {', '.join(Intervention.Sector.values)}, got 'privat'",
    ),
    (
        "a whole number that is text",
        lambda f: entry(f).update(budget_dkk="mange"),
        f"{FIRST} · budget_dkk: must be a whole number, not text",
    ),
    (
        "a negative amount",
        lambda f: entry(f).update(budget_dkk=-5),
        f"{FIRST} · budget_dkk: must be a whole, non-negative number of at most "
        f"{limit(Intervention, 'budget_dkk').max_value}, got -5",
    ),
    (
        "a whole number its column cannot hold",
        lambda f: vocabulary(f, "kkr_goals")[0].update(order=2**40),
        "vocabularies/kkr_goals.yaml · #1 · order: must be a whole, non-negative number of at "
        f"most {limit(KKRGoal, 'order').max_value}, got 1099511627776",
    ),
    (
        "true or false that is text",
        lambda f: entry(f).update(published="ja"),
        f"{FIRST} · published: must be true or false, not text",
    ),
    (
        "a date that is text",
        lambda f: entry(f).update(reviewed_on="i går"),
        f"{FIRST} · reviewed_on: must be a date like 2026-11-22, not text",
    ),
    (
        "a list of references that is text",
        lambda f: entry(f).update(municipalities="Horsens"),
        f"{FIRST} · municipalities: must be a list of text values, not text",
    ),
    (
        "a reference in a list that is a number",
        lambda f: entry(f).update(municipalities=[8700]),
        f"{FIRST} · municipalities: must list text values, not a number",
    ),
    (
        "a single reference that is a number",
        lambda f: entry(f).update(source_section=5),
        f"{FIRST} · source_section: must be text, not a number",
    ),
    (
        "a control character",
        lambda f: entry(f).update(title="Bio\x1bfeedback"),
        f"{FIRST} · title: holds the control character U+001B (character 4), which no text "
        "may hold",
    ),
    (
        "a control character in a list of references",
        lambda f: entry(f).update(municipalities=["Hor\x00sens"]),
        f"{FIRST} · municipalities: holds the control character U+0000 (character 4), which no "
        "text may hold",
    ),
    (
        "a value the field's own validator refuses",
        lambda f: entry(f)["contacts"][0].update(email="ikke-en-adresse"),
        f"{FIRST} · contacts[1].email: Enter a valid email address.",
    ),
    (
        "PDF debris in running text",
        lambda f: entry(f).update(summary="En særli- ge indsats."),
        f"{FIRST} · summary: PDF debris: word split by a hyphen: …En særli- ge indsats.…",
    ),
]


RECORD_CASES: list[Case] = [
    (
        "a row that is no mapping",
        lambda f: entry(f)["contacts"].append("Anne Hansen"),
        f"{FIRST} · contacts[2]: must be a mapping, not text",
    ),
    (
        "an unknown field",
        lambda f: entry(f).update(farve="blå"),
        f"{FIRST} · farve: unknown field",
    ),
    (
        "an unknown field in a nested row",
        lambda f: entry(f)["contacts"][0].update(fax="12345678"),
        f"{FIRST} · contacts[1].fax: unknown field",
    ),
    (
        "a required field left empty",
        lambda f: entry(f).update(title=""),
        f"{FIRST} · title: is required",
    ),
    (
        "a year outside the plausible range",
        lambda f: vocabulary(f, "sources")[0].update(year=1800),
        "vocabularies/sources.yaml · #1 · year: must be a year between 1950 and 2100, got 1800",
    ),
    (
        "an unknown reference",
        lambda f: entry(f).update(municipalities=["Atlantis"]),
        f"{FIRST} · municipalities: unknown municipality: 'Atlantis'",
    ),
    (
        "a reference listed twice",
        lambda f: entry(f).update(methods=["biofeedback", "biofeedback"]),
        f"{FIRST} · methods: lists a value twice",
    ),
    (
        "line numbers that are not [first, last]",
        lambda f: entry(f).update(source_lines=[118, 22]),
        f"{FIRST} · source_lines: must be [first, last] line numbers, got [118, 22]",
    ),
    (
        "a line number its column cannot hold",
        lambda f: entry(f).update(source_lines=[1, 2**40]),
        f"{FIRST} · source_lines: must be a whole, non-negative number of at most "
        f"{limit(Intervention, 'source_first_line').max_value}, got 1099511627776",
    ),
]

SECTION_AND_GUIDANCE_CASES: list[Case] = [
    (
        "a section code that is no slug",
        lambda f: source(f, A)["sections"][0].update(code="Voksne X"),
        f"{A} · section Voksne X · code: must be a slug, got 'Voksne X'",
    ),
    (
        "a section code used twice",
        lambda f: source(f, A)["sections"][1].update(code="voksne-med-handicap"),
        f"{A} · section voksne-med-handicap · code: is used by another section",
    ),
    (
        "a parent section the source does not have",
        lambda f: source(f, A)["sections"][1].update(parent="ingen-steder"),
        f"{A} · section misbrugs-og-psykiatriomraadet · parent: unknown section in this source: "
        "'ingen-steder'",
    ),
    (
        "a source file for an unknown source document",
        lambda f: source(f, A).update(source="ukendt-kilde"),
        f"{A} · - · source: unknown source document: 'ukendt-kilde'",
    ),
    (
        "a guidance number below 1",
        lambda f: source(f, GUIDANCE)["guidance"][0].update(number=0),
        f"{GUIDANCE} · guidance 0 · number: must be a positive whole number, got 0",
    ),
    (
        "a guidance number used twice",
        lambda f: source(f, GUIDANCE)["guidance"][1].update(number=1),
        f"{GUIDANCE} · guidance 1 · number: is used twice in this source",
    ),
    (
        "guidance line numbers that are not [first, last]",
        lambda f: source(f, GUIDANCE)["guidance"][0].update(source_lines=[3]),
        f"{GUIDANCE} · guidance 1 · source_lines: must be [first, last] line numbers, got [3]",
    ),
]

VOCABULARY_CASES: list[Case] = [
    (
        "a vocabulary that is no list",
        lambda f: f.vocabularies.update(methods={"fact": "FACT"}),
        "vocabularies/methods.yaml · - · methods: must be a list",
    ),
    (
        "a unique value given twice",
        lambda f: vocabulary(f, "methods")[1].update(slug="fact"),
        "vocabularies/methods.yaml · #2 · slug: duplicate slug: 'fact'",
    ),
    (
        "a municipality in an unknown region",
        lambda f: vocabulary(f, "municipalities")[0].update(region="Region Atlantis"),
        "vocabularies/municipalities.yaml · #1 · region: unknown region: 'Region Atlantis'",
    ),
    (
        "a vocabulary slug that is no slug",
        lambda f: vocabulary(f, "target_groups")[0].update(slug="Voksne_med"),
        "vocabularies/target_groups.yaml · #1 · slug: not a slug: 'Voksne_med'",
    ),
    (
        "aliases that are no list",
        lambda f: vocabulary(f, "methods")[0].update(aliases="peer support"),
        "vocabularies/methods.yaml · #1 · aliases: must be a list, not text",
    ),
    (
        "an alias given twice",
        lambda f: vocabulary(f, "target_groups")[0].update(aliases=["IPS", "ips"]),
        "vocabularies/target_groups.yaml · #1 · aliases: lists a name twice",
    ),
    (
        "an alias of two lines",
        lambda f: vocabulary(f, "policy_areas")[0].update(aliases=["a\nb"]),
        "vocabularies/policy_areas.yaml · #1 · aliases: must hold names of one line, got 'a\\nb'",
    ),
    (
        "an unknown part of the legal paragraphs",
        lambda f: f.vocabularies["legal_paragraphs"].update(chapters=[]),
        "vocabularies/legal_paragraphs.yaml · - · chapters: unknown field",
    ),
    (
        "a paragraph of an unknown law",
        lambda f: f.vocabularies["legal_paragraphs"]["paragraphs"][0].update(law="XYZ"),
        "vocabularies/legal_paragraphs.yaml · paragraph #1 · law: unknown law: 'XYZ'",
    ),
    (
        "a paragraph given twice",
        lambda f: f.vocabularies["legal_paragraphs"]["paragraphs"][1].update(number="1"),
        "vocabularies/legal_paragraphs.yaml · paragraph #2 · number: duplicate paragraph 'SEL § 1'",
    ),
]

ENTRY_CASES: list[Case] = [
    (
        "a slug given twice",
        lambda f: entry(f, 2).update(slug="biofeedback-horsens"),
        f"{FIRST} · slug: duplicate slug (also in {A})",
    ),
    (
        "an entry slug that is no slug",
        lambda f: entry(f).update(slug="Bio Feedback"),
        f"{A} · #1 · slug: must be a lower-case ASCII slug, got 'Bio Feedback'",
    ),
    (
        "alternative titles that are no list",
        lambda f: entry(f).update(alternative_titles="Biofeedback i Horsens"),
        f"{FIRST} · alternative_titles: must be a list of titles",
    ),
    (
        "an alternative title longer than a title",
        lambda f: entry(f).update(alternative_titles=["x" * 301]),
        f"{FIRST} · alternative_titles[1]: is 301 characters long; at most "
        f"{limit(Intervention, 'title').max_length} fit",
    ),
    (
        "a section of another source",
        lambda f: entry(f).update(source_section="ingen-steder"),
        f"{FIRST} · source_section: unknown section in this source: 'ingen-steder'",
    ),
    (
        "a link to an unknown entry",
        lambda f: entry(f).update(related=["ingen-steder"]),
        f"{FIRST} · related: unknown intervention: 'ingen-steder'",
    ),
    (
        "a link to itself",
        lambda f: entry(f).update(related=["biofeedback-horsens"]),
        f"{FIRST} · related: an entry cannot be related to itself",
    ),
    (
        "text sections that are no mapping",
        lambda f: entry(f).update(sections="Formål: at træne"),
        f"{FIRST} · sections: must be a mapping of section names to text, not 'Formål: at træne'",
    ),
    (
        "an unknown text section",
        lambda f: entry(f)["sections"].update(farve="blå"),
        f"{FIRST} · sections.farve: unknown section; use one of "
        f"{', '.join(s.key for s in TEXT_SECTIONS)}",
    ),
    (
        "a text section with PDF debris",
        lambda f: entry(f)["sections"].update(purpose="Side 3\n\n42\n\nFormålet er at træne."),
        f"{FIRST} · sections.purpose: PDF debris: bare page number line: …Side 3⏎⏎42⏎⏎Formålet er "
        "at træn…",
    ),
    (
        "contacts that are no list",
        lambda f: entry(f).update(contacts={"name": "Anne"}),
        f"{FIRST} · contacts: must be a list",
    ),
    (
        "a legal basis that is no list",
        lambda f: entry(f).update(legal_basis="SEL § 85"),
        f"{FIRST} · legal_basis: must be a list",
    ),
    (
        "a legal basis row of the wrong shape",
        lambda f: entry(f).update(legal_basis=[{"paragraph": "SEL § 85", "kilde": True}]),
        f"{FIRST} · legal_basis[1]: must be {{paragraph: 'SEL § 85', stated_in_source: "
        "true|false}",
    ),
    (
        "a legal basis stated as null",
        lambda f: entry(f).update(
            legal_basis=[{"paragraph": "SEL § 85", "stated_in_source": None}]
        ),
        f"{FIRST} · legal_basis[1].stated_in_source: must be true or false, not null",
    ),
    (
        "a paragraph that is no text",
        lambda f: entry(f).update(legal_basis=[{"paragraph": 85}]),
        f"{FIRST} · legal_basis[1]: must name a paragraph like 'SEL § 85', got 85",
    ),
    (
        "a paragraph that is no label",
        lambda f: entry(f).update(legal_basis=[{"paragraph": "paragraf 85"}]),
        f"{FIRST} · legal_basis[1]: not a paragraph label like 'SEL § 85': 'paragraf 85'",
    ),
    (
        "a paragraph the vocabulary lacks",
        lambda f: entry(f).update(legal_basis=[{"paragraph": "SEL § 9999"}]),
        f"{FIRST} · legal_basis[1]: unknown legal paragraph: SEL § 9999",
    ),
    (
        "a paragraph listed twice",
        lambda f: entry(f).update(
            legal_basis=[{"paragraph": "SEL § 85"}, {"paragraph": "SEL §85"}]
        ),
        f"{FIRST} · legal_basis[2]: SEL § 85 is listed twice",
    ),
]

# The age of the information (ADR 0012): review dates, confirmations, served municipalities,
# the sources' publication dates.
AGE_CASES: list[Case] = [
    (
        "a published entry without its review date",
        lambda f: entry(f).pop("reviewed_on"),
        f"{FIRST} · reviewed_on: is required: the day the entry was reviewed against its source",
    ),
    (
        "a review before the source was published",
        lambda f: entry(f).update(reviewed_on=datetime.date(2015, 12, 31)),
        f"{FIRST} · reviewed_on: is before the source was published (2016-01-01)",
    ),
    (
        "a confirmation in the future",
        lambda f: entry(f).update(
            confirmations=[
                {"confirmed_on": datetime.date(2099, 1, 1), "confirmed_by": "X", "method": "email"}
            ]
        ),
        f"{FIRST} · confirmations[1].confirmed_on: A confirmation cannot lie in the future.",
    ),
    (
        "a confirmation by an unknown method",
        lambda f: entry(f).update(
            confirmations=[
                {"confirmed_on": datetime.date(2026, 1, 5), "confirmed_by": "X", "method": "brev"}
            ]
        ),
        f"{FIRST} · confirmations[1].method: must be one of email, telephone, link, "
        "intake_form, meeting, got 'brev'",
    ),
    (
        "a served municipality the vocabulary lacks",
        lambda f: entry(f).update(
            served_municipalities=[{"municipality": "Atlantis", "source_lines": [22, 23]}]
        ),
        f"{FIRST} · served_municipalities[1].municipality: unknown municipality: 'Atlantis'",
    ),
    (
        "a served municipality that already runs the entry",
        lambda f: entry(f).update(
            served_municipalities=[{"municipality": "Horsens", "source_lines": [22, 23]}]
        ),
        f"{FIRST} · served_municipalities[1].municipality: Horsens runs the entry "
        "(municipalities) already",
    ),
    (
        "a served municipality stated in the source without the lines",
        lambda f: entry(f).update(served_municipalities=[{"municipality": "Skive"}]),
        f"{FIRST} · served_municipalities[1]: basis source needs the source_lines that say so",
    ),
    (
        "an editors' inference without a reason",
        lambda f: entry(f).update(
            served_municipalities=[{"municipality": "Skive", "basis": "editors"}]
        ),
        f"{FIRST} · served_municipalities[1]: basis editors needs a note saying why",
    ),
    (
        "a source without a publication date",
        lambda f: vocabulary(f, "sources")[0].pop("published"),
        "vocabularies/sources.yaml · #1 · published: is required: the month or year the "
        "document was published",
    ),
    (
        "a publication month that does not exist",
        lambda f: vocabulary(f, "sources")[0].update(published="2016-13"),
        "vocabularies/sources.yaml · #1 · published: has no month 13",
    ),
    (
        "a publication date in another year than the source's",
        lambda f: vocabulary(f, "sources")[0].update(published="2015-12"),
        "vocabularies/sources.yaml · #1 · published: is in 2015, but the year says 2016",
    ),
]

# The rules of a valid entry (schema.entry_rule_breaches), as the loader words them.
RULE_CASES: list[Case] = [
    (
        "a period that ends before it starts",
        lambda f: entry(f).update(period_start=2020, period_end=2010),
        f"{FIRST} · period_end: ends (2010) before it starts (2020)",
    ),
    (
        "a budget without a note",
        lambda f: entry(f).update(budget_note=""),
        f"{FIRST} · budget_note: must say what the budget covers",
    ),
    (
        "an amount that does not say what kind of amount it is",
        lambda f: entry(f).update(budget_kind=""),
        f"{FIRST} · budget_kind: must say what kind of amount it is (per_year, period_total, "
        "per_unit, construction)",
    ),
    (
        "a budget kind without an amount",
        lambda f: entry(f).update(budget_dkk=None),
        f"{FIRST} · budget_dkk: a budget kind, years or price year need an amount (budget_dkk)",
    ),
    (
        "an amount's years in the wrong order",
        lambda f: entry(f).update(budget_first_year=2018, budget_last_year=2016),
        f"{FIRST} · budget_last_year: the amount's last year (2016) is before its first (2018)",
    ),
    (
        "more than four target groups",
        lambda f: entry(f).update(
            target_groups=[t["slug"] for t in vocabulary(f, "target_groups")[:5]]
        ),
        f"{FIRST} · target_groups: must list 1-4 target groups",
    ),
    (
        "a second entry of the owner with the same title",
        lambda f: entry(f, 2).update(title="BIOFEEDBACK ", organisation="Horsens Kommune"),
        f"{A} · {{second}} · title: Horsens Kommune already has an entry titled 'BIOFEEDBACK '",
    ),
]


CASES = VALUE_CASES + RECORD_CASES + SECTION_AND_GUIDANCE_CASES + VOCABULARY_CASES
CASES += ENTRY_CASES + AGE_CASES + RULE_CASES


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_reported_with_file_entry_and_field(curated, change, expected):
    fixtures = copy.deepcopy(curated)
    assert validate(fixtures) == []  # the copy is valid before the change
    change(fixtures)
    expected = expected.replace("{second}", entry(fixtures, 2)["slug"])
    problems = [str(p) for p in validate(fixtures)]
    assert expected in problems, problems


def test_the_curated_fixtures_break_no_rule(curated):
    """Without the seeds the line ranges are checked for their form only; with them, against
    the length of each source (the test below)."""
    assert validate(copy.deepcopy(curated)) == []


def test_line_numbers_past_the_end_of_the_source_are_reported(curated):
    require_seeds()
    fixtures = copy.deepcopy(curated)
    seed = settings.SEEDS_DIR / next(
        s["file"] for s in fixtures.vocabularies["sources"] if s["key"] == "dassos-2015"
    )
    lines = len(seed.read_text(encoding="utf-8").split("\n"))
    entry(fixtures).update(source_lines=[22, lines + 1])
    problems = [str(p) for p in validate(fixtures, settings.SEEDS_DIR)]
    assert (
        f"{FIRST} · source_lines: line {lines + 1} is past the end of the source ({lines} lines)"
        in problems
    ), problems


def test_two_sources_describing_one_service_may_share_title_and_owner(curated):
    """The duplicate-title rule leaves out entries linked as related (CURATION.md): the curated
    catalogue has such a pair, and unlinking it makes the later one a duplicate."""
    fixtures = copy.deepcopy(curated)
    pair = {
        "samskabelse-velfaerdsteknologi-botilbud-greve",
        "samskabelse-fremtidens-botilbud-greve",
    }
    assert validate(fixtures) == []
    # The link is written on both sides; unlinking means removing it from both.
    for _f, _s, entry in fixtures.interventions():
        if entry.get("slug") in pair:
            entry["related"] = [slug for slug in entry.get("related") or [] if slug not in pair]
    problems = [p for p in validate(fixtures) if p.field == "title"]
    assert [p.message for p in problems] == [
        "Greve Kommune already has an entry titled "
        "'Samskabelse med velfærdsteknologi i fremtidens botilbud'"
    ]
