"""Check parsed fixtures (read.py) against the entry schema (schema.py) without touching the
database: every value against the model field it is stored in, every reference against the
vocabularies, and the rules of a valid entry. Each problem names its file, entry and field."""

from __future__ import annotations

import contextlib
import datetime
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import translation

from interventions.curation.entry import related_links
from interventions.curation.pdf_text import debris_problems, excerpt, forbidden_character
from interventions.curation.problems import SHOWN_LENGTH, Problem, shown
from interventions.curation.read import Fixtures
from interventions.curation.schema import (
    ALIAS_MAX_LENGTH,
    CONFIRMATION_FIELDS,
    CONFIRMATION_PROSE,
    CONTACT_FIELDS,
    CONTACT_PROSE,
    ENGLISH,
    ENGLISH_RULES,
    GUIDANCE_FIELDS,
    GUIDANCE_PROSE,
    INTERVENTION_FIELDS,
    INTERVENTION_PROSE,
    NOT_NULL_KINDS,
    SERVED_FIELDS,
    SERVED_PROSE,
    SLUG_RE,
    SOURCE_SECTION_FIELDS,
    SOURCE_SECTION_PROSE,
    VOCABULARY_FIELDS,
    VOCABULARY_PROSE,
    entry_rule_breaches,
    field_limits,
    found_kind,
    parse_published,
    title_key,
    value_problems,
)
from interventions.models import (
    MAX_YEAR,
    MIN_YEAR,
    TEXT_SECTIONS,
    Confirmation,
    Contact,
    Guidance,
    Intervention,
    LegalBasis,
    LegalParagraph,
    ServedMunicipality,
    SourceSection,
    confirmation_date_problems,
    today,
)

# The text sections of an entry: the fixture's key and the model field it is stored in.
SECTION_KEYS = {s.key: s.field for s in TEXT_SECTIONS}


class _Checker:
    """Collects problems for one file/entry."""

    def __init__(self, problems: list[Problem], file: str, entry: str) -> None:
        self.problems, self.file, self.entry = problems, file, entry

    def add(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.entry, field_name, message))

    def value(
        self,
        field_name: str,
        value: Any,
        model: type[models.Model],
        model_field: str,
        *,
        prose: bool = False,
        present: bool = False,
    ) -> bool:
        """Check `value` against the model field it is stored in; False when it has a problem.
        `prose` also looks for PDF debris (only in running text: a code "101" is no page number).
        `present`: the key is there, so None is a null the column may not hold, not a default.
        """
        limits = field_limits(model, model_field)
        if value is None and present and not limits.field.null and limits.kind in NOT_NULL_KINDS:
            self.add(field_name, ENGLISH.kinds[limits.kind].format(found="null"))
            return False
        problems = value_problems(value, limits)
        for message in problems:
            self.add(field_name, message)
        if not problems and prose and isinstance(value, str) and value:
            for problem in debris_problems(value.rstrip("\n")):
                self.add(field_name, f"PDF debris: {problem}")
        return not problems

    def record(
        self,
        row: Any,
        model: type[models.Model],
        keys: dict[str, str | None],
        prose: frozenset[str] = frozenset(),
        where: str = "",
    ) -> bool:
        """Check a mapping whose `keys` are stored in `model`'s fields (None: the caller checks
        that key): unknown keys, required ones, and every value. False when it is no mapping."""
        if not isinstance(row, dict):
            self.add(where or "-", f"must be a mapping, not {found_kind(row, ENGLISH)}")
            return False
        prefix = f"{where}." if where else ""
        for key in sorted(set(row) - set(keys), key=str):
            self.add(prefix + excerpt(str(key), SHOWN_LENGTH), "unknown field")
        for key, model_field in keys.items():
            if model_field is None:
                continue
            value = row.get(key)
            if value is None or value == "" or value == []:
                if field_limits(model, model_field).required:
                    self.add(prefix + key, "is required")
                    continue
                if value is not None:
                    continue
            self.value(
                prefix + key, value, model, model_field, prose=key in prose, present=key in row
            )
        return True

    def year(self, field_name: str, value: Any) -> None:
        if value is None:
            return
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not MIN_YEAR <= value <= MAX_YEAR
        ):
            self.add(
                field_name, f"must be a year between {MIN_YEAR} and {MAX_YEAR}, got {shown(value)}"
            )

    def references(self, field_name: str, values: Any, known: set[str], what: str) -> list[str]:
        """The text values of a list of references, each of which must be in `known`."""
        if not isinstance(values, list):
            return []
        texts = [value for value in values if isinstance(value, str)]
        for value in texts:
            if value not in known:
                self.add(field_name, f"unknown {what}: {shown(value)}")
        if len(set(texts)) != len(texts):
            self.add(field_name, "lists a value twice")
        return texts

    def source_lines(
        self,
        value: Any,
        line_count: int | None,
        model: type[models.Model],
        field_name: str = "source_lines",
    ) -> None:
        if value is None:
            return
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
            or value[0] > value[1]
        ):
            self.add(field_name, f"must be [first, last] line numbers, got {shown(value)}")
        elif line_count is not None and value[1] > line_count:
            self.add(
                field_name,
                f"line {value[1]} is past the end of the source ({line_count} lines)",
            )
        else:
            for number in value:
                for message in value_problems(number, field_limits(model, "source_first_line")):
                    self.add(field_name, message)


def _seed_line_counts(fixtures: Fixtures, seeds_dir: Path | None) -> dict[str, int | None]:
    """Lines in each source's seed file; None when it is not there (or not a plain file name)."""
    counts: dict[str, int | None] = {}
    for source in fixtures.vocabularies.get("sources", []):
        if not isinstance(source, dict) or not isinstance(source.get("key"), str):
            continue
        name = source.get("file")
        path = None
        if seeds_dir and isinstance(name, str) and name and Path(name).name == name:
            path = seeds_dir / name
        counts[source["key"]] = (
            len(path.read_text(encoding="utf-8").split("\n")) if path and path.is_file() else None
        )
    return counts


def _entry_label(entry: Any, number: int) -> str:
    """How problems name an entry: its slug, or its position in the file."""
    slug = entry.get("slug") if isinstance(entry, dict) else None
    if isinstance(slug, str) and SLUG_RE.match(slug) and len(slug) <= SHOWN_LENGTH * 2:
        return slug
    return f"#{number}"


def _title_key(entry: Any) -> tuple[str, str] | None:
    """The entry's title_key(), when it has a title and an owner as text."""
    if not isinstance(entry, dict):
        return None
    title, organisation = entry.get("title"), entry.get("organisation")
    if isinstance(title, str) and isinstance(organisation, str) and title and organisation:
        return title_key(title, organisation)
    return None


def _named(item: Any, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    return excerpt(str(value), SHOWN_LENGTH) if isinstance(value, str | int) else "?"


def validate(fixtures: Fixtures, seeds_dir: Path | None = None) -> list[Problem]:
    """Every problem in the fixtures; an empty list means they can be loaded."""
    # Curators read English; the models' validators speak it under this override.
    with translation.override("en"):
        return _validate(fixtures, seeds_dir)


def _validate(fixtures: Fixtures, seeds_dir: Path | None) -> list[Problem]:
    problems: list[Problem] = []
    known = _validate_vocabularies(fixtures.vocabularies, problems)
    line_counts = _seed_line_counts(fixtures, seeds_dir)

    sections_by_source: dict[str, set[str]] = defaultdict(set)
    all_codes: set[str] = set()
    for file, source_key, item in fixtures.sections():
        check = _Checker(problems, file, f"section {_named(item, 'code')}")
        if not check.record(item, SourceSection, SOURCE_SECTION_FIELDS, SOURCE_SECTION_PROSE):
            continue
        code = item.get("code")
        if not isinstance(code, str):
            continue
        if not SLUG_RE.match(code):
            check.add("code", f"must be a slug, got {shown(code)}")
        elif code in all_codes:
            check.add("code", "is used by another section")
        else:
            all_codes.add(code)
            sections_by_source[source_key].add(code)
    for file, source_key, item in fixtures.sections():
        parent = item.get("parent") if isinstance(item, dict) else None
        if isinstance(parent, str) and parent not in sections_by_source[source_key]:
            _Checker(problems, file, f"section {_named(item, 'code')}").add(
                "parent", f"unknown section in this source: {shown(parent)}"
            )

    for file, content in fixtures.sources:
        if content["source"] not in known["sources"]:
            problems.append(
                Problem(file, "-", "source", f"unknown source document: {shown(content['source'])}")
            )

    entries = [
        (file, content["source"], entry, _entry_label(entry, number))
        for file, content in fixtures.sources
        for number, entry in enumerate(content.get("interventions") or [], start=1)
    ]
    slugs: dict[str, str] = {}
    for file, _source, entry, label in entries:
        slug = entry.get("slug") if isinstance(entry, dict) else None
        if isinstance(slug, str):
            if slug in slugs:
                problems.append(
                    Problem(file, label, "slug", f"duplicate slug (also in {slugs[slug]})")
                )
            else:
                slugs[slug] = file
    # The duplicate-title rule: an entry with the title and owner of an earlier one that it is not
    # linked to as related (two sources describing one service are linked, CURATION.md).
    links = related_links([entry for _f, _s, entry, _l in entries if isinstance(entry, dict)])
    titles: dict[tuple[str, str], list[Any]] = defaultdict(list)
    published = _published_dates(fixtures.vocabularies.get("sources") or [])
    for file, source_key, entry, label in entries:
        key = _title_key(entry)
        twins = []
        if key is not None:
            twins = [s for s in titles[key] if s not in links.get(entry.get("slug"), set())]
            titles[key].append(entry.get("slug"))
        _validate_intervention(
            entry,
            _Checker(problems, file, label),
            known,
            sections_by_source[source_key],
            set(slugs),
            line_counts.get(source_key),
            has_twin=bool(twins),
            published_on=published.get(source_key),
        )

    numbers: dict[str, set[int]] = defaultdict(set)
    for file, source_key, item in fixtures.guidance():
        check = _Checker(problems, file, f"guidance {_named(item, 'number')}")
        if not check.record(item, Guidance, GUIDANCE_FIELDS, GUIDANCE_PROSE):
            continue
        number = item.get("number")
        if not isinstance(number, int) or isinstance(number, bool):
            continue
        if number < 1:
            check.add("number", f"must be a positive whole number, got {shown(number)}")
        elif number in numbers[source_key]:
            check.add("number", "is used twice in this source")
        else:
            numbers[source_key].add(number)
        check.source_lines(item.get("source_lines"), line_counts.get(source_key), Guidance)
    return problems


def _validate_rows(
    name: str, rows: Any, problems: list[Problem], file: str, label: str = "#{number}"
) -> list[dict]:
    """Check the rows of one vocabulary: each against its model, and the model's unique fields
    for values given twice. The rows that are mappings."""
    model_name, keys = VOCABULARY_FIELDS[name]
    model = apps.get_model("interventions", model_name)
    if not isinstance(rows, list):
        problems.append(Problem(file, "-", name, "must be a list"))
        return []
    valid = []
    seen: dict[str, Counter] = defaultdict(Counter)
    for number, row in enumerate(rows, start=1):
        check = _Checker(problems, file, label.format(number=number))
        if not check.record(row, model, keys, VOCABULARY_PROSE):
            continue
        if "aliases" in keys:
            _check_aliases(check, row.get("aliases"))
        valid.append(row)
        for key, model_field in keys.items():
            value = row.get(key)
            if model_field and field_limits(model, model_field).unique and isinstance(value, str):
                seen[key][value] += 1
                if seen[key][value] == 2:
                    check.add(key, f"duplicate {key}: {shown(value)}")
    return valid


def _check_aliases(check: _Checker, aliases: Any) -> None:
    """A term's aliases: a list of distinct short names, each on one line."""
    if aliases is None:
        return
    if not isinstance(aliases, list):
        check.add("aliases", f"must be a list, not {found_kind(aliases, ENGLISH)}")
        return
    for alias in aliases:
        if not isinstance(alias, str) or not alias.strip() or "\n" in alias:
            check.add("aliases", f"must hold names of one line, got {shown(alias)}")
        elif len(alias) > ALIAS_MAX_LENGTH:
            check.add("aliases", f"an alias is at most {ALIAS_MAX_LENGTH} characters")
    if len({a.casefold() for a in aliases if isinstance(a, str)}) < len(aliases):
        check.add("aliases", "lists a name twice")


def _texts(rows: list[dict], key: str) -> set[str]:
    return {row[key] for row in rows if isinstance(row.get(key), str)}


def _validate_vocabularies(vocab: dict[str, Any], problems: list[Problem]) -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}
    rows: dict[str, list[dict]] = {}
    for name in ("regions", "municipalities", "target_groups", "policy_areas", "methods"):
        rows[name] = _validate_rows(
            name, vocab.get(name, []), problems, f"vocabularies/{name}.yaml"
        )
    rows["kkr_goals"] = _validate_rows(
        "kkr_goals", vocab.get("kkr_goals", []), problems, "vocabularies/kkr_goals.yaml"
    )
    rows["sources"] = _validate_rows(
        "sources", vocab.get("sources", []), problems, "vocabularies/sources.yaml"
    )
    known["regions"] = _texts(rows["regions"], "name")
    known["municipalities"] = _texts(rows["municipalities"], "name")
    for i, row in enumerate(vocab.get("municipalities") or [], start=1):
        region = row.get("region") if isinstance(row, dict) else None
        if isinstance(region, str) and region not in known["regions"]:
            problems.append(
                Problem(
                    "vocabularies/municipalities.yaml",
                    f"#{i}",
                    "region",
                    f"unknown region: {shown(region)}",
                )
            )
    for name in ("target_groups", "policy_areas", "methods", "kkr_goals"):
        known[name] = _texts(rows[name], "slug")
        for i, row in enumerate(vocab.get(name) or [], start=1):
            slug = row.get("slug") if isinstance(row, dict) else None
            if isinstance(slug, str) and not SLUG_RE.match(slug):
                problems.append(
                    Problem(
                        f"vocabularies/{name}.yaml", f"#{i}", "slug", f"not a slug: {shown(slug)}"
                    )
                )

    file = "vocabularies/legal_paragraphs.yaml"
    legal = vocab.get("legal_paragraphs") or {}
    for key in sorted(set(legal) - {"laws", "paragraphs"}, key=str):
        problems.append(Problem(file, "-", excerpt(str(key), SHOWN_LENGTH), "unknown field"))
    laws = _texts(_validate_rows("laws", legal.get("laws") or [], problems, file), "abbreviation")
    labels: set[str] = set()
    paragraphs = legal.get("paragraphs") or []
    _validate_rows("paragraphs", paragraphs, problems, file, "paragraph #{number}")
    for i, row in enumerate(paragraphs if isinstance(paragraphs, list) else [], start=1):
        if not isinstance(row, dict):
            continue
        check = _Checker(problems, file, f"paragraph #{i}")
        law, number = row.get("law"), row.get("number")
        if isinstance(law, str) and law not in laws:
            check.add("law", f"unknown law: {shown(law)}")
        if isinstance(law, str) and isinstance(number, str):
            label = f"{law} § {number}"
            if label in labels:
                check.add("number", f"duplicate paragraph {shown(label)}")
            labels.add(label)
    known["paragraphs"] = labels
    known["sources"] = _texts(rows["sources"], "key")
    for i, row in enumerate(rows["sources"], start=1):
        check = _Checker(problems, "vocabularies/sources.yaml", f"#{i}")
        check.year("year", row.get("year"))
        if row.get("published") is None:
            check.add("published", "is required: the month or year the document was published")
            continue
        try:
            published_on, _precision = parse_published(row["published"])
        except ValueError as exc:
            check.add("published", str(exc))
            continue
        if isinstance(row.get("year"), int) and published_on.year != row["year"]:
            check.add("published", f"is in {published_on.year}, but the year says {row['year']}")
    return known


def _published_dates(rows: list[Any]) -> dict[str, Any]:
    """Each source's publication date (sources whose date is unreadable are left out: the
    vocabulary check reports them)."""
    found = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and isinstance(row.get("key"), str):
            with contextlib.suppress(ValueError):
                found[row["key"]] = parse_published(row.get("published"))[0]
    return found


def _validate_intervention(
    entry: Any,
    check: _Checker,
    known: dict[str, set[str]],
    section_codes: set[str],
    all_slugs: set[str],
    line_count: int | None,
    has_twin: bool,
    published_on: Any = None,
) -> None:
    if not check.record(entry, Intervention, INTERVENTION_FIELDS, INTERVENTION_PROSE):
        return
    reviewed = entry.get("reviewed_on")
    # A draft may wait for its review (an owner's intake form); a published entry may not.
    if reviewed is None and entry.get("published", True) is not False:
        check.add("reviewed_on", "is required: the day the entry was reviewed against its source")
    elif not isinstance(reviewed, datetime.date):
        pass  # not given (a draft), or not a date: the field check above says so
    elif published_on is not None and reviewed < published_on:
        check.add("reviewed_on", f"is before the source was published ({published_on})")
    elif reviewed > today():
        check.add("reviewed_on", "is in the future")
    slug = entry.get("slug")
    if isinstance(slug, str) and slug and not SLUG_RE.match(slug):
        check.add("slug", f"must be a lower-case ASCII slug, got {shown(slug)}")
    alternative = entry.get("alternative_titles") or []
    if not isinstance(alternative, list) or not all(isinstance(t, str) and t for t in alternative):
        check.add("alternative_titles", "must be a list of titles")
    else:
        for i, title in enumerate(alternative, start=1):
            check.value(f"alternative_titles[{i}]", title, Intervention, "title", prose=True)
    check.source_lines(entry.get("source_lines"), line_count, Intervention)
    section = entry.get("source_section")
    if isinstance(section, str) and section not in section_codes:
        check.add("source_section", f"unknown section in this source: {shown(section)}")
    for key, what in (
        ("municipalities", "municipality"),
        ("regions", "region"),
        ("policy_areas", "policy area"),
        ("kkr_goals", "KKR goal"),
        ("methods", "method"),
    ):
        check.references(key, entry.get(key), known[key], what)
    groups = check.references(
        "target_groups", entry.get("target_groups"), known["target_groups"], "target group"
    )
    related = check.references("related", entry.get("related"), all_slugs, "intervention")
    if isinstance(slug, str) and slug in related:
        check.add("related", "an entry cannot be related to itself")
    _validate_legal_basis(entry.get("legal_basis"), check, known["paragraphs"])
    for breach in entry_rule_breaches(
        period_start=entry.get("period_start"),
        period_end=entry.get("period_end"),
        budget_dkk=entry.get("budget_dkk"),
        budget_note=entry.get("budget_note"),
        budget_kind=entry.get("budget_kind") or "",
        budget_years=(
            entry.get("budget_first_year"),
            entry.get("budget_last_year"),
            entry.get("budget_price_year"),
        ),
        target_groups=len(groups),
        title=entry.get("title"),
        organisation=entry.get("organisation"),
        has_twin=has_twin,
    ):
        check.add(breach.field, breach.message(ENGLISH_RULES))
    sections = entry.get("sections") or {}
    if not isinstance(sections, dict):
        check.add("sections", f"must be a mapping of section names to text, not {shown(sections)}")
    else:
        for key, value in sections.items():
            if key not in SECTION_KEYS:
                check.add(
                    f"sections.{excerpt(str(key), SHOWN_LENGTH)}",
                    f"unknown section; use one of {', '.join(SECTION_KEYS)}",
                )
            else:
                check.value(f"sections.{key}", value, Intervention, SECTION_KEYS[key], prose=True)
    contacts = entry.get("contacts") or []
    if not isinstance(contacts, list):
        check.add("contacts", "must be a list")
        contacts = []
    for i, contact in enumerate(contacts, start=1):
        check.record(contact, Contact, CONTACT_FIELDS, CONTACT_PROSE, where=f"contacts[{i}]")
    _validate_served(entry, check, known["municipalities"], line_count)
    _validate_confirmations(entry.get("confirmations"), check, published_on)


def _validate_served(
    entry: dict, check: _Checker, municipalities: set[str], line_count: int | None
) -> None:
    served = entry.get("served_municipalities")
    if served is None:
        return
    if not isinstance(served, list):
        check.add("served_municipalities", "must be a list")
        return
    runs = entry.get("municipalities")
    runs = set(runs) if isinstance(runs, list) else set()
    seen = set()
    for i, item in enumerate(served, start=1):
        where = f"served_municipalities[{i}]"
        if not check.record(item, ServedMunicipality, SERVED_FIELDS, SERVED_PROSE, where=where):
            continue
        name = item.get("municipality")
        if not isinstance(name, str) or name not in municipalities:
            check.add(f"{where}.municipality", f"unknown municipality: {shown(name)}")
        elif name in runs:
            check.add(f"{where}.municipality", f"{name} runs the entry (municipalities) already")
        elif name in seen:
            check.add(f"{where}.municipality", f"{name} is listed twice")
        seen.add(name)
        if item.get("basis", "source") == "source" and not item.get("source_lines"):
            check.add(where, "basis source needs the source_lines that say so")
        if item.get("basis") == "editors" and not (item.get("note") or "").strip():
            check.add(where, "basis editors needs a note saying why")
        check.source_lines(
            item.get("source_lines"), line_count, ServedMunicipality, f"{where}.source_lines"
        )


def _validate_confirmations(value: Any, check: _Checker, published_on: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        check.add("confirmations", "must be a list")
        return
    for i, item in enumerate(value, start=1):
        where = f"confirmations[{i}]"
        if not check.record(
            item, Confirmation, CONFIRMATION_FIELDS, CONFIRMATION_PROSE, where=where
        ):
            continue
        confirmed_on = item.get("confirmed_on")
        if confirmed_on is not None and not isinstance(confirmed_on, str):
            for message in confirmation_date_problems(
                confirmed_on, source_published_on=published_on
            ):
                check.add(f"{where}.confirmed_on", str(message))


def _validate_legal_basis(value: Any, check: _Checker, labels: set[str]) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        check.add("legal_basis", "must be a list")
        return
    seen = set()
    for i, basis in enumerate(value, start=1):
        where = f"legal_basis[{i}]"
        if not isinstance(basis, dict) or set(basis) - {"paragraph", "stated_in_source"}:
            check.add(where, "must be {paragraph: 'SEL § 85', stated_in_source: true|false}")
            continue
        check.value(
            f"{where}.stated_in_source",
            basis.get("stated_in_source"),
            LegalBasis,
            "stated_in_source",
            present="stated_in_source" in basis,
        )
        paragraph = basis.get("paragraph")
        if not isinstance(paragraph, str) or forbidden_character(paragraph):
            check.add(where, f"must name a paragraph like 'SEL § 85', got {shown(paragraph)}")
            continue
        try:
            law, number = LegalParagraph.parse_label(paragraph)
        except ValueError:
            check.add(where, f"not a paragraph label like 'SEL § 85': {shown(paragraph)}")
            continue
        label = f"{law} § {number}"
        if label not in labels:
            check.add(where, f"unknown legal paragraph: {label}")
        if label in seen:
            check.add(where, f"{label} is listed twice")
        seen.add(label)
