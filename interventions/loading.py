"""Read, validate and load the curated fixtures (see fixtures/README.md for the format).

`read_fixtures()` parses every file, `validate()` checks everything without touching the
database, and `load()` writes all of it in one transaction. A problem is reported with the file,
the entry and the field it concerns; when there is any, nothing is written.

Loading never silently overwrites an entry an editor changed after it was loaded: such entries
are listed (`EditedEntries`) and nothing is written unless `overwrite=True`. Every entry the
loader writes gets one history record ("Indlæst fra fixtures"), so an overwrite can be undone.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.signals import post_save

from interventions.fixture_format import (
    CURATED_ON,
    ENTRY_KEYS,
    content_checksum,
    entry_from_db,
    entry_from_fixture,
    related_links,
)
from interventions.models import (
    MAX_YEAR,
    MIN_YEAR,
    TEXT_SECTIONS,
    Contact,
    Guidance,
    Intervention,
    KKRGoal,
    Law,
    LegalBasis,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    Region,
    SourceDocument,
    SourceSection,
    TargetGroup,
    collect_entry_changes,
)
from interventions.text import debris_problems
from interventions.validators import validate_danish_phone

# libyaml's parser when installed: the same results, a fraction of the time on large files.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Change reason on the history records the loader writes.
LOADED_REASON = "Indlæst fra fixtures"

VOCABULARY_FILES = (
    "regions",
    "municipalities",
    "target_groups",
    "policy_areas",
    "methods",
    "kkr_goals",
    "legal_paragraphs",
    "sources",
)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SECTION_KEYS = {s.key: s.field for s in TEXT_SECTIONS}
INTERVENTION_KEYS = set(ENTRY_KEYS)  # the fixture format's keys, in fixture_format.py
REQUIRED_INTERVENTION_KEYS = (
    "slug",
    "title",
    "summary",
    "locator",
    "sector",
    "organisation",
    "target_groups",
)
CONTACT_KEYS = {"name", "role", "organisation", "email", "phone"}
GUIDANCE_KEYS = {"number", "group", "title", "text", "source_lines"}
SECTION_DEF_KEYS = {"code", "kind", "name", "parent", "order"}


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file} · {self.entry} · {self.field}: {self.message}"


class CatalogueInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class EditedEntry:
    """An entry whose fixture changed while an editor also changed it in the database."""

    slug: str
    file: str
    changed_at: datetime.datetime | None
    changed_by: str

    def __str__(self) -> str:
        when = self.changed_at.strftime("%Y-%m-%d %H:%M") if self.changed_at else "?"
        return f"{self.file} · {self.slug}: edited in the admin ({when}, {self.changed_by})"


class EditedEntries(Exception):
    """Loading would overwrite editors' changes; nothing was written."""

    def __init__(self, entries: list[EditedEntry]) -> None:
        self.entries = entries
        super().__init__("\n".join(str(e) for e in entries))


@dataclass
class Fixtures:
    """The parsed contents of a fixtures folder."""

    vocabularies: dict[str, Any] = field(default_factory=dict)
    sources: list[tuple[str, dict]] = field(default_factory=list)  # (file name, content)

    def interventions(self) -> list[tuple[str, str, dict]]:
        return [
            (name, content["source"], entry)
            for name, content in self.sources
            for entry in content.get("interventions") or []
        ]

    def guidance(self) -> list[tuple[str, str, dict]]:
        return [
            (name, content["source"], item)
            for name, content in self.sources
            for item in content.get("guidance") or []
        ]

    def sections(self) -> list[tuple[str, str, dict]]:
        return [
            (name, content["source"], item)
            for name, content in self.sources
            for item in content.get("sections") or []
        ]


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    guidance: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged "
            f"interventions; {self.guidance} guidance items"
        )


# --- Reading ------------------------------------------------------------------------------------


def _read_yaml(path: Path, display: str, problems: list[Problem]) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problems.append(
            Problem(display, "-", "-", f"malformed YAML at {where}: {getattr(exc, 'problem', exc)}")
        )
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(display, "-", "-", f"cannot read file: {exc}"))
    return None


def read_fixtures(fixtures_dir: Path) -> tuple[Fixtures, list[Problem]]:
    problems: list[Problem] = []
    fixtures = Fixtures()
    for name in VOCABULARY_FILES:
        display = f"vocabularies/{name}.yaml"
        path = fixtures_dir / "vocabularies" / f"{name}.yaml"
        if not path.exists():
            problems.append(Problem(display, "-", "-", "file is missing"))
            continue
        data = _read_yaml(path, display, problems)
        expected = dict if name == "legal_paragraphs" else list
        if data is not None and not isinstance(data, expected):
            problems.append(
                Problem(display, "-", "-", f"expected a {expected.__name__} at the top level")
            )
            continue
        fixtures.vocabularies[name] = data or expected()
    for path in sorted((fixtures_dir / "sources").glob("*.yaml")):
        display = f"sources/{path.name}"
        data = _read_yaml(path, display, problems)
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("source"), str):
            problems.append(
                Problem(display, "-", "source", "a source file is a mapping with a 'source' key")
            )
            continue
        unknown = set(data) - {"source", "sections", "interventions", "guidance"}
        if unknown:
            problems.append(
                Problem(display, "-", ", ".join(sorted(unknown)), "unknown top-level key")
            )
        for key in ("sections", "interventions", "guidance"):
            if data.get(key) is not None and not isinstance(data[key], list):
                problems.append(Problem(display, "-", key, "must be a list"))
                data[key] = []
        fixtures.sources.append((display, data))
    return fixtures, problems


# --- Validation ---------------------------------------------------------------------------------


class _Checker:
    """Collects problems for one file/entry."""

    def __init__(self, problems: list[Problem], file: str, entry: str) -> None:
        self.problems, self.file, self.entry = problems, file, entry

    def add(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.entry, field_name, message))

    def text(
        self, field_name: str, value: Any, required: bool = False, max_length: int | None = None
    ) -> None:
        if value is None or value == "":
            if required:
                self.add(field_name, "is required")
            return
        if not isinstance(value, str):
            self.add(field_name, f"must be text, not {type(value).__name__}")
            return
        if max_length and len(value) > max_length:
            self.add(field_name, f"is longer than {max_length} characters")
        for problem in debris_problems(value.rstrip("\n")):
            self.add(field_name, f"PDF debris: {problem}")

    def year(self, field_name: str, value: Any) -> None:
        if value is None:
            return
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not MIN_YEAR <= value <= MAX_YEAR
        ):
            self.add(field_name, f"must be a year between {MIN_YEAR} and {MAX_YEAR}, got {value!r}")

    def references(self, field_name: str, values: Any, known: set[str], what: str) -> list[str]:
        if values is None:
            return []
        if not isinstance(values, list):
            self.add(field_name, "must be a list")
            return []
        for value in values:
            if value not in known:
                self.add(field_name, f"unknown {what}: {value!r}")
        if len(set(map(str, values))) != len(values):
            self.add(field_name, "lists a value twice")
        return values

    def source_lines(self, value: Any, line_count: int | None) -> None:
        if value is None:
            return
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
            or value[0] > value[1]
        ):
            self.add("source_lines", f"must be [first, last] line numbers, got {value!r}")
        elif line_count is not None and value[1] > line_count:
            self.add(
                "source_lines",
                f"line {value[1]} is past the end of the source ({line_count} lines)",
            )


def _seed_line_counts(fixtures: Fixtures, seeds_dir: Path | None) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    for source in fixtures.vocabularies.get("sources", []):
        path = seeds_dir / source.get("file", "") if seeds_dir and source.get("file") else None
        counts[source.get("key")] = (
            len(path.read_text(encoding="utf-8").split("\n")) if path and path.is_file() else None
        )
    return counts


def validate(fixtures: Fixtures, seeds_dir: Path | None = None) -> list[Problem]:
    """Every problem in the fixtures; an empty list means they can be loaded."""
    problems: list[Problem] = []
    vocab = fixtures.vocabularies
    known = _validate_vocabularies(vocab, problems)
    line_counts = _seed_line_counts(fixtures, seeds_dir)

    sections_by_source: dict[str, set[str]] = defaultdict(set)
    all_codes: set[str] = set()
    for file, source_key, item in fixtures.sections():
        check = _Checker(
            problems, file, f"section {item.get('code', '?') if isinstance(item, dict) else '?'}"
        )
        if not isinstance(item, dict):
            check.add("-", "must be a mapping")
            continue
        code = item.get("code")
        if not isinstance(code, str) or not SLUG_RE.match(code):
            check.add("code", f"must be a slug, got {code!r}")
        elif code in all_codes:
            check.add("code", "is used by another section")
        else:
            all_codes.add(code)
            sections_by_source[source_key].add(code)
        if item.get("kind") not in SourceSection.Kind.values:
            check.add("kind", f"must be one of {', '.join(SourceSection.Kind.values)}")
        check.text("name", item.get("name"), required=True, max_length=250)
        for key in set(item) - SECTION_DEF_KEYS:
            check.add(key, "unknown field")
    for file, source_key, item in fixtures.sections():
        parent = item.get("parent") if isinstance(item, dict) else None
        if parent is not None and parent not in sections_by_source[source_key]:
            _Checker(problems, file, f"section {item.get('code')}").add(
                "parent", f"unknown section in this source: {parent!r}"
            )

    for file, content in fixtures.sources:
        if content["source"] not in known["sources"]:
            problems.append(
                Problem(file, "-", "source", f"unknown source document: {content['source']!r}")
            )

    entries = fixtures.interventions()
    slugs: dict[str, str] = {}
    for file, _source, entry in entries:
        slug = entry.get("slug") if isinstance(entry, dict) else None
        if isinstance(slug, str):
            if slug in slugs:
                problems.append(
                    Problem(file, slug, "slug", f"duplicate slug (also in {slugs[slug]})")
                )
            else:
                slugs[slug] = file
    for file, source_key, entry in entries:
        _validate_intervention(
            entry,
            _Checker(
                problems, file, str(entry.get("slug", "?")) if isinstance(entry, dict) else "?"
            ),
            known,
            sections_by_source[source_key],
            set(slugs),
            line_counts.get(source_key),
        )

    numbers: dict[str, set[int]] = defaultdict(set)
    for file, source_key, item in fixtures.guidance():
        check = _Checker(
            problems, file, f"guidance {item.get('number', '?') if isinstance(item, dict) else '?'}"
        )
        if not isinstance(item, dict):
            check.add("-", "must be a mapping")
            continue
        number = item.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            check.add("number", f"must be a positive whole number, got {number!r}")
        elif number in numbers[source_key]:
            check.add("number", "is used twice in this source")
        else:
            numbers[source_key].add(number)
        check.text("title", item.get("title"), required=True, max_length=300)
        check.text("text", item.get("text"), required=True)
        check.text("group", item.get("group"), max_length=250)
        check.source_lines(item.get("source_lines"), line_counts.get(source_key))
        for key in set(item) - GUIDANCE_KEYS:
            check.add(key, "unknown field")
    return problems


def _validate_vocabularies(vocab: dict[str, Any], problems: list[Problem]) -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}

    def collect(name: str, key: str, required: tuple[str, ...], rows: Any = None) -> set[str]:
        rows = vocab.get(name, []) if rows is None else rows
        seen: set[str] = set()
        for i, row in enumerate(rows or [], start=1):
            check = _Checker(problems, f"vocabularies/{name}.yaml", f"#{i}")
            if not isinstance(row, dict):
                check.add("-", "must be a mapping")
                continue
            for req in required:
                if row.get(req) in (None, ""):
                    check.add(req, "is required")
            value = str(row.get(key, ""))
            if value in seen:
                check.add(key, f"duplicate {key}: {value!r}")
            seen.add(value)
            for text_field in ("name", "title", "text", "description"):
                if isinstance(row.get(text_field), str):
                    check.text(text_field, row[text_field])
        return seen

    known["regions"] = collect("regions", "name", ("code", "name", "slug"))
    known["municipalities"] = collect("municipalities", "name", ("code", "name", "slug", "region"))
    for i, row in enumerate(vocab.get("municipalities", []), start=1):
        if isinstance(row, dict) and row.get("region") not in known["regions"]:
            problems.append(
                Problem(
                    "vocabularies/municipalities.yaml",
                    f"#{i}",
                    "region",
                    f"unknown region: {row.get('region')!r}",
                )
            )
    for name in ("target_groups", "policy_areas", "methods"):
        known[name] = collect(name, "slug", ("slug", "name"))
    known["kkr_goals"] = collect("kkr_goals", "slug", ("slug", "area", "text"))
    legal = vocab.get("legal_paragraphs") or {}
    laws = collect(
        "legal_paragraphs",
        "abbreviation",
        ("abbreviation", "name", "full_name"),
        legal.get("laws", []),
    )
    labels: set[str] = set()
    for i, row in enumerate(legal.get("paragraphs", []) or [], start=1):
        check = _Checker(problems, "vocabularies/legal_paragraphs.yaml", f"paragraph #{i}")
        if not isinstance(row, dict):
            check.add("-", "must be a mapping")
            continue
        if row.get("law") not in laws:
            check.add("law", f"unknown law: {row.get('law')!r}")
        number = str(row.get("number", ""))
        if not re.match(r"^\d{1,4}[a-z]?$", number):
            check.add("number", f"must be digits with an optional letter, got {number!r}")
        check.text("title", row.get("title"), required=True, max_length=200)
        label = f"{row.get('law')} § {number}"
        if label in labels:
            check.add("number", f"duplicate paragraph {label}")
        labels.add(label)
    known["paragraphs"] = labels
    known["sources"] = collect("sources", "key", ("key", "title", "publisher", "year"))
    for i, row in enumerate(vocab.get("sources", []), start=1):
        if isinstance(row, dict):
            _Checker(problems, "vocabularies/sources.yaml", f"#{i}").year("year", row.get("year"))
    for name in ("target_groups", "policy_areas", "methods", "kkr_goals"):
        for i, row in enumerate(vocab.get(name, []), start=1):
            if isinstance(row, dict) and not SLUG_RE.match(str(row.get("slug", ""))):
                problems.append(
                    Problem(
                        f"vocabularies/{name}.yaml",
                        f"#{i}",
                        "slug",
                        f"not a slug: {row.get('slug')!r}",
                    )
                )
    return known


def _validate_intervention(
    entry: Any,
    check: _Checker,
    known: dict[str, set[str]],
    section_codes: set[str],
    all_slugs: set[str],
    line_count: int | None,
) -> None:
    if not isinstance(entry, dict):
        check.add("-", "must be a mapping")
        return
    for key in sorted(set(entry) - INTERVENTION_KEYS):
        check.add(key, "unknown field")
    for key in REQUIRED_INTERVENTION_KEYS:
        if entry.get(key) in (None, "", []):
            check.add(key, "is required")
    slug = entry.get("slug")
    if slug is not None and (
        not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 120
    ):
        check.add(
            "slug", f"must be a lower-case ASCII slug of at most 120 characters, got {slug!r}"
        )
    check.text("title", entry.get("title"), max_length=250)
    check.text("summary", entry.get("summary"))
    check.text("locator", entry.get("locator"), max_length=250)
    check.text("organisation", entry.get("organisation"), max_length=250)
    check.text("budget_note", entry.get("budget_note"), max_length=300)
    check.text("funding_source", entry.get("funding_source"), max_length=250)
    check.text("editorial_note", entry.get("editorial_note"))
    if not isinstance(entry.get("published", True), bool):
        check.add("published", "must be true or false")
    verified = entry.get("last_verified")
    if verified is not None and (
        not isinstance(verified, datetime.date) or isinstance(verified, datetime.datetime)
    ):
        check.add("last_verified", f"must be a date like 2026-11-22 or null, got {verified!r}")
    alternative = entry.get("alternative_titles") or []
    if not isinstance(alternative, list) or not all(isinstance(t, str) and t for t in alternative):
        check.add("alternative_titles", "must be a list of titles")
    check.source_lines(entry.get("source_lines"), line_count)
    if entry.get("source_section") is not None and entry["source_section"] not in section_codes:
        check.add("source_section", f"unknown section in this source: {entry['source_section']!r}")
    if entry.get("sector") is not None and entry["sector"] not in Intervention.Sector.values:
        check.add("sector", f"must be one of {', '.join(Intervention.Sector.values)}")
    if entry.get("status", "unknown") not in Intervention.Status.values:
        check.add("status", f"must be one of {', '.join(Intervention.Status.values)}")
    if entry.get("evaluation_level", "none_known") not in Intervention.EvaluationLevel.values:
        check.add(
            "evaluation_level", f"must be one of {', '.join(Intervention.EvaluationLevel.values)}"
        )
    check.references(
        "municipalities", entry.get("municipalities"), known["municipalities"], "municipality"
    )
    check.references("regions", entry.get("regions"), known["regions"], "region")
    groups = check.references(
        "target_groups", entry.get("target_groups"), known["target_groups"], "target group"
    )
    if groups and not 1 <= len(groups) <= 4:
        check.add("target_groups", "must list 1-4 target groups")
    check.references(
        "policy_areas", entry.get("policy_areas"), known["policy_areas"], "policy area"
    )
    check.references("kkr_goals", entry.get("kkr_goals"), known["kkr_goals"], "KKR goal")
    check.references("methods", entry.get("methods"), known["methods"], "method")
    related = check.references("related", entry.get("related"), all_slugs, "intervention")
    if slug in related:
        check.add("related", "an entry cannot be related to itself")
    _validate_legal_basis(entry.get("legal_basis"), check, known["paragraphs"])
    check.year("period_start", entry.get("period_start"))
    check.year("period_end", entry.get("period_end"))
    start, end = entry.get("period_start"), entry.get("period_end")
    if isinstance(start, int) and isinstance(end, int) and start > end:
        check.add("period_end", f"ends ({end}) before it starts ({start})")
    budget = entry.get("budget_dkk")
    if budget is not None:
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 0:
            check.add(
                "budget_dkk", f"must be a whole, non-negative number of kroner, got {budget!r}"
            )
        elif not entry.get("budget_note"):
            check.add("budget_note", "must say what the budget covers")
    sections = entry.get("sections") or {}
    if not isinstance(sections, dict):
        check.add("sections", "must be a mapping of section names to text")
    else:
        for key, value in sections.items():
            if key not in SECTION_KEYS:
                check.add(
                    f"sections.{key}", f"unknown section; use one of {', '.join(SECTION_KEYS)}"
                )
            check.text(f"sections.{key}", value)
    contacts = entry.get("contacts") or []
    if not isinstance(contacts, list):
        check.add("contacts", "must be a list")
        contacts = []
    for i, contact in enumerate(contacts, start=1):
        _validate_contact(contact, check, f"contacts[{i}]")


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
        try:
            law, number = LegalParagraph.parse_label(basis.get("paragraph", ""))
        except ValueError as exc:
            check.add(where, str(exc))
            continue
        label = f"{law} § {number}"
        if label not in labels:
            check.add(where, f"unknown legal paragraph: {label}")
        if label in seen:
            check.add(where, f"{label} is listed twice")
        seen.add(label)
        if not isinstance(basis.get("stated_in_source", True), bool):
            check.add(where, "stated_in_source must be true or false")


def _validate_contact(contact: Any, check: _Checker, where: str) -> None:
    if not isinstance(contact, dict):
        check.add(where, "must be a mapping")
        return
    for key in sorted(set(contact) - CONTACT_KEYS):
        check.add(f"{where}.{key}", "unknown field")
    check.text(f"{where}.name", contact.get("name"), required=True, max_length=200)
    for key in ("role", "organisation", "phone"):
        check.text(f"{where}.{key}", contact.get(key), max_length=250)
    email = contact.get("email") or ""
    if email:
        if not isinstance(email, str):
            check.add(f"{where}.email", "must be text")
            return
        try:
            validate_email(email)
        except ValidationError:
            check.add(f"{where}.email", f"not a valid email address: {email!r}")
        if email != email.lower():
            check.add(f"{where}.email", f"must be lower case: {email!r}")
    phone = contact.get("phone") or ""
    if isinstance(phone, str) and phone:
        try:
            validate_danish_phone(phone)
        except ValidationError as exc:
            check.add(f"{where}.phone", " ".join(exc.messages))


# --- Loading ------------------------------------------------------------------------------------


def checksum(source_key: str, entry: dict) -> str:
    payload = json.dumps(
        {"source": source_key, **entry}, sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def load(
    fixtures: Fixtures, seeds_dir: Path | None = None, *, overwrite: bool = False
) -> LoadReport:
    """Validate, then load everything in one transaction (all or nothing).

    Raises EditedEntries, writing nothing, when an entry whose fixture changed was also edited in
    the database since it was loaded; `overwrite=True` loads the fixture over the edit.
    """
    problems = validate(fixtures, seeds_dir)
    if problems:
        raise CatalogueInvalid(problems)
    # Entries' versions and search texts are brought up to date once each, at the end.
    with transaction.atomic(), collect_entry_changes():
        if not overwrite:
            edited = edited_since_loaded(fixtures)
            if edited:
                raise EditedEntries(edited)
        _load_vocabularies(fixtures.vocabularies)
        return _load_content(fixtures)


def edited_since_loaded(fixtures: Fixtures) -> list[EditedEntry]:
    """Entries the fixtures would change whose content was edited in the database since loading.

    An entry counts as edited when its content differs from what was last loaded (or it was
    created in the admin and never loaded) and the fixture does not already say the same.
    """
    files, digests = {}, {}
    for file, source_key, entry in fixtures.interventions():
        files[entry["slug"]] = (file, entry)
        digests[entry["slug"]] = checksum(source_key, entry)
    candidates = [
        slug
        for slug, stored in Intervention.objects.filter(slug__in=files).values_list(
            "slug", "fixture_checksum"
        )
        if stored != digests[slug]
    ]
    if not candidates:
        return []
    links = related_links([entry for _f, _s, entry in fixtures.interventions()])
    edited = []
    for obj in Intervention.objects.filter(slug__in=candidates).with_relations():
        current = content_checksum(entry_from_db(obj))
        if current == obj.loaded_checksum:
            continue
        file, entry = files[obj.slug]
        if current == content_checksum(entry_from_fixture(entry, links.get(obj.slug, set()))):
            continue  # the fixture already holds the edit (it was exported)
        last = obj.history.select_related("history_user").first()
        edited.append(
            EditedEntry(
                slug=obj.slug,
                file=file,
                changed_at=last.history_date if last else None,
                changed_by=str(last.history_user) if last and last.history_user else "?",
            )
        )
    return sorted(edited, key=lambda e: (e.file, e.slug))


def _upsert(manager, defaults: dict[str, Any], **lookup):
    """update_or_create that writes only when something differs (a reload writes nothing)."""
    obj = manager.filter(**lookup).first()
    if obj is not None and all(getattr(obj, k) == v for k, v in defaults.items()):
        return obj, False
    return manager.update_or_create(defaults=defaults, **lookup)


def _load_vocabularies(vocab: dict[str, Any]) -> None:
    regions = {}
    for row in vocab["regions"]:
        regions[row["name"]], _ = _upsert(
            Region.objects,
            code=str(row["code"]),
            defaults={"name": row["name"], "slug": row["slug"]},
        )
    for row in vocab["municipalities"]:
        _upsert(
            Municipality.objects,
            code=str(row["code"]),
            defaults={"name": row["name"], "slug": row["slug"], "region": regions[row["region"]]},
        )
    for name, model in (
        ("target_groups", TargetGroup),
        ("policy_areas", PolicyArea),
        ("methods", Method),
    ):
        for row in vocab[name]:
            _upsert(
                model.objects,
                slug=row["slug"],
                defaults={"name": row["name"], "description": row.get("description", "")},
            )
    for i, row in enumerate(vocab["kkr_goals"]):
        _upsert(
            KKRGoal.objects,
            slug=row["slug"],
            defaults={"area": row["area"], "text": row["text"], "order": row.get("order", i)},
        )
    laws = {}
    for row in vocab["legal_paragraphs"].get("laws", []):
        laws[row["abbreviation"]], _ = _upsert(
            Law.objects,
            abbreviation=row["abbreviation"],
            defaults={
                "name": row["name"],
                "full_name": row["full_name"],
                "url": row.get("url", ""),
            },
        )
    for row in vocab["legal_paragraphs"].get("paragraphs", []):
        paragraph = LegalParagraph.objects.filter(
            law=laws[row["law"]], number=str(row["number"])
        ).first()
        paragraph = paragraph or LegalParagraph(law=laws[row["law"]], number=str(row["number"]))
        wanted = (row["title"], row.get("url", ""))
        if paragraph.pk is None or (paragraph.title, paragraph.url) != wanted:
            paragraph.title, paragraph.url = row["title"], row.get("url", "")
            paragraph.save()
    for row in vocab["sources"]:
        _upsert(
            SourceDocument.objects,
            key=row["key"],
            defaults={
                "title": row["title"],
                "publisher": row["publisher"],
                "year": row["year"],
                "file": row.get("file", ""),
                "description": row.get("description", ""),
            },
        )


def _load_content(fixtures: Fixtures) -> LoadReport:
    sources = {s.key: s for s in SourceDocument.objects.all()}
    sections = {}
    for _file, source_key, item in fixtures.sections():
        sections[item["code"]], _ = _upsert(
            SourceSection.objects,
            code=item["code"],
            defaults={
                "source": sources[source_key],
                "kind": item["kind"],
                "name": item["name"],
                "order": item.get("order") or 0,
            },
        )
    for _file, _source_key, item in fixtures.sections():
        parent = sections.get(item.get("parent"))
        if sections[item["code"]].parent_id != (parent.pk if parent else None):
            sections[item["code"]].parent = parent
            sections[item["code"]].save(update_fields=["parent"])

    lookups = {
        "municipalities": {m.name: m for m in Municipality.objects.all()},
        "regions": {r.name: r for r in Region.objects.all()},
        "target_groups": {t.slug: t for t in TargetGroup.objects.all()},
        "policy_areas": {p.slug: p for p in PolicyArea.objects.all()},
        "methods": {m.slug: m for m in Method.objects.all()},
        "kkr_goals": {g.slug: g for g in KKRGoal.objects.all()},
    }
    paragraphs = {p.label: p for p in LegalParagraph.objects.select_related("law")}
    report = LoadReport()
    loaded: dict[str, Intervention] = {}
    written: list[tuple[Intervention, bool]] = []
    existing_by_slug = Intervention.objects.in_bulk(
        [entry["slug"] for _f, _s, entry in fixtures.interventions()], field_name="slug"
    )
    for _file, source_key, entry in fixtures.interventions():
        digest = checksum(source_key, entry)
        existing = existing_by_slug.get(entry["slug"])
        if existing and existing.fixture_checksum == digest:
            report.unchanged += 1
            loaded[entry["slug"]] = existing
            continue
        obj = existing or Intervention(slug=entry["slug"])
        _assign_fields(obj, entry, sources[source_key], sections, digest)
        # One history record per written entry, made below once its links are all in place,
        # rather than one for the save and one for every link set.
        obj.skip_history_when_saving = True
        obj.save()
        for name, table in lookups.items():
            getattr(obj, name).set([table[key] for key in entry.get(name) or []])
        _load_legal_basis(obj, entry.get("legal_basis") or [], paragraphs)
        _load_contacts(obj, entry.get("contacts") or [])
        loaded[entry["slug"]] = obj
        written.append((obj, existing is None))
        if existing:
            report.updated += 1
        else:
            report.created += 1

    # Related entries are symmetric: a link written on either side counts for both.
    partners: dict[str, set[str]] = defaultdict(set)
    for _file, _source_key, entry in fixtures.interventions():
        for other in entry.get("related") or []:
            partners[entry["slug"]].add(other)
            partners[other].add(entry["slug"])
    # Only entries written now are synced: a link an editor added to an entry whose fixture did
    # not change stays. A partner whose links change as a side effect keeps counting as
    # unedited if it was unedited before.
    written_pks = {obj.pk for obj, _ in written}
    before = {obj.pk: set(obj.related.values_list("pk", flat=True)) for obj, _ in written}
    partners_touched = {pk for pks in before.values() for pk in pks} | {
        loaded[s].pk for obj, _ in written for s in partners.get(obj.slug, ())
    }
    clean_partners = _unedited(partners_touched - written_pks)
    for obj, _ in written:
        wanted = {loaded[s].pk for s in partners.get(obj.slug, ())}
        if before[obj.pk] != wanted:
            obj.related.set(wanted)

    # Vocabulary names feed the search text, so refresh it wherever it no longer matches.
    for obj in Intervention.objects.filter(slug__in=loaded).select_related("source_section"):
        obj.refresh_search_document()

    _record_loaded(written)
    _store_loaded_checksums(Intervention.objects.filter(pk__in=clean_partners))

    for _file, source_key, item in fixtures.guidance():
        lines = item.get("source_lines") or [None, None]
        _upsert(
            Guidance.objects,
            source=sources[source_key],
            number=item["number"],
            defaults={
                "group": item.get("group") or "",
                "title": item["title"],
                "text": item["text"].rstrip("\n"),
                "source_first_line": lines[0],
                "source_last_line": lines[1],
            },
        )
        report.guidance += 1
    return report


def _load_legal_basis(obj: Intervention, wanted: list[dict], paragraphs: dict) -> None:
    """Make the entry's legal basis match the fixture, touching only rows that differ."""
    current = {b.paragraph_id: b for b in obj.legal_bases.all()}
    for basis in wanted:
        paragraph = paragraphs["{} § {}".format(*LegalParagraph.parse_label(basis["paragraph"]))]
        stated = basis.get("stated_in_source", True)
        row = current.pop(paragraph.pk, None) or LegalBasis(intervention=obj, paragraph=paragraph)
        if row.pk is None or row.stated_in_source != stated:
            row.stated_in_source = stated
            row._change_reason = LOADED_REASON
            row.save()
    for row in current.values():
        row._change_reason = LOADED_REASON
        row.delete()


def _load_contacts(obj: Intervention, wanted: list[dict]) -> None:
    """Make the entry's contacts match the fixture, position by position."""
    current = list(obj.contacts.all())
    for i, contact in enumerate(wanted):
        values = {key: contact.get(key) or "" for key in ("role", "organisation", "email", "phone")}
        values.update(name=contact["name"], order=i)
        row = current[i] if i < len(current) else Contact(intervention=obj)
        if row.pk is None or any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row._change_reason = LOADED_REASON
            row.save()
    for row in current[len(wanted) :]:
        row._change_reason = LOADED_REASON
        row.delete()


def _unedited(pks: set[int]) -> set[int]:
    """Those of the entries whose content is still what was last loaded."""
    return {
        obj.pk
        for obj in Intervention.objects.filter(pk__in=pks).with_relations()
        if content_checksum(entry_from_db(obj)) == obj.loaded_checksum
    }


def _store_loaded_checksums(entries) -> None:
    for obj in entries.with_relations():
        Intervention.objects.filter(pk=obj.pk).update(
            loaded_checksum=content_checksum(entry_from_db(obj))
        )


def _record_loaded(written: list[tuple[Intervention, bool]]) -> None:
    """One history record and the content checksum for each entry this load wrote."""
    if not written:
        return
    created = {obj.pk for obj, is_new in written if is_new}
    entries = Intervention.objects.filter(pk__in=[o.pk for o, _ in written])
    for obj in entries:
        obj._change_reason = LOADED_REASON
        # Sent by hand because the save above skipped history until the links were set.
        post_save.send(
            sender=Intervention,
            instance=obj,
            created=obj.pk in created,
            update_fields=None,
            raw=False,
            using=Intervention.objects.db,
        )
    _store_loaded_checksums(entries)


def _assign_fields(
    obj: Intervention, entry: dict, source: SourceDocument, sections: dict, digest: str
) -> None:
    lines = entry.get("source_lines") or [None, None]
    obj.title = entry["title"]
    obj.alternative_titles = entry.get("alternative_titles") or []
    obj.summary = entry["summary"].strip()
    obj.source = source
    obj.locator = entry["locator"]
    obj.source_first_line, obj.source_last_line = lines
    obj.source_section = sections.get(entry.get("source_section"))
    obj.sector = entry["sector"]
    obj.organisation = entry["organisation"]
    obj.period_start = entry.get("period_start")
    obj.period_end = entry.get("period_end")
    obj.status = entry.get("status") or Intervention.Status.UNKNOWN
    obj.budget_dkk = entry.get("budget_dkk")
    obj.budget_note = entry.get("budget_note") or ""
    obj.funding_source = entry.get("funding_source") or ""
    obj.evaluation_level = entry.get("evaluation_level") or Intervention.EvaluationLevel.NONE_KNOWN
    obj.editorial_note = (entry.get("editorial_note") or "").strip()
    obj.is_published = entry.get("published", True)
    obj.last_verified = entry.get("last_verified", CURATED_ON)
    sections_text = entry.get("sections") or {}
    for key, field_name in SECTION_KEYS.items():
        setattr(obj, field_name, (sections_text.get(key) or "").strip())
    obj.fixture_checksum = digest
