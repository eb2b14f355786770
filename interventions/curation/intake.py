"""Intake: a municipality describes a new intervention in fixtures/intake/TEMPLATE.yaml.

`check_intake()` reads a filled-in form and reports every problem in Danish; `load_intake()`
loads a valid one as a draft (unpublished, not yet verified) for an editor to review and publish.
Vocabulary values may be written as the names people know ("Voksne med autisme") or as slugs.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.signals import post_save
from django.utils import translation
from django.utils.text import slugify

from interventions.changes import refresh_search_texts
from interventions.curation.load import catalogue_transaction
from interventions.curation.pdf_text import excerpt, forbidden_character
from interventions.curation.problems import SHOWN_LENGTH, shown
from interventions.curation.read import InputRefused, field_path, read_yaml
from interventions.curation.schema import (
    CONTACT_KEYS,
    DANISH_RULES,
    ValueMessages,
    entry_rule_breaches,
    field_limits,
    twins,
    value_problems,
)
from interventions.models import (
    TEXT_SECTIONS,
    Confirmation,
    Contact,
    Intervention,
    LegalBasis,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    Region,
    SourceDocument,
    TargetGroup,
    today,
)
from interventions.validators import parse_kroner

INTAKE_SOURCE = "indberetninger"
INTAKE_REASON = "Indberetning indlæst som kladde"
FIELDS = {
    "title",
    "alternative_titles",
    "summary",
    "sector",
    "organisation",
    "municipalities",
    "regions",
    "target_groups",
    "policy_areas",
    "methods",
    "legal_basis",
    "period_start",
    "period_end",
    "status",
    "budget_dkk",
    "budget_note",
    "budget_kind",
    "funding_source",
    "evaluation_level",
    "sections",
    "contacts",
    "submitted_by",
}
REQUIRED = {
    "title": "titel",
    "summary": "resumé",
    "organisation": "organisation",
    "sector": "sektor",
    "target_groups": "målgrupper",
    "contacts": "kontaktpersoner",
}
SECTION_FIELDS = {s.key: s.field for s in TEXT_SECTIONS}
# A filled-in form is a few kilobytes; ten sections at their longest are well under this.
MAX_INTAKE_BYTES = 1024 * 1024

# How the intake words what schema.value_problems() and read.read_yaml() find.
DANISH = ValueMessages(
    kinds={
        "text": "skal være tekst, ikke {found}",
        "integer": "skal være et helt tal, ikke {found}",
        "boolean": "skal være true eller false, ikke {found}",
        "date": "skal være en dato som 2026-11-22, ikke {found}",
        "reference": "skal være tekst, ikke {found}",
        "references": "skal være en liste, fx [Aarhus, Horsens], ikke {found}",
        "reference item": "skal være en liste af navne, ikke {found}",
    },
    found={
        str: "tekst",
        bool: "true/false",
        int: "et tal",
        float: "et kommatal",
        list: "en liste",
        dict: "felter",
        datetime.date: "en dato",
        datetime.datetime: "et tidspunkt",
        type(None): "tom",
    },
    character="indeholder kontroltegnet {code} (tegn nr. {position}), som ikke må stå i en tekst",
    too_long="må højst være {limit} tegn (er {length})",
    out_of_range="skal være et helt tal fra {min} til {max} (ikke {value})",
    negative="skal være et helt tal fra 0 til {max} (ikke {value})",
    choice="“{value}” er ikke en mulighed; vælg en af: {choices}",
)
READ_DANISH = {
    "missing": "filen findes ikke",
    "unreadable": "filen kan ikke åbnes: {reason}",
    "too_large": "filen er større end {limit} byte; et udfyldt skema fylder langt mindre",
    "empty": "filen er tom; udfyld skabelonen fixtures/intake/TEMPLATE.yaml",
    "encoding": "filen er ikke gemt som UTF-8-tekst (byte {position}); gem den som UTF-8",
    "malformed": "filen kan ikke læses{at}: tjek indrykning og kolon ({problem})",
    "alias": "YAML-alias *{name}{at} er ikke tilladt; skriv værdien helt ud",
    "anchor": "YAML-anker &{name}{at} er ikke tilladt; skriv værdien ud der hvor den bruges",
    "nesting": "mere end {limit} niveauer inden i hinanden{at}",
    "values": "mere end {limit} værdier i én fil{at}",
    "key_type": "feltnavnet {key}{at} er ikke tekst; sæt det i anførselstegn",
    "merge_key": "flettenøglen (<<){at} er ikke tilladt; skriv felterne ud",
    "duplicate_key": "feltet {key} står to gange{at}; det sidste ville erstatte det første",
    "number": "et tal med mere end {limit} cifre{at}",
    "date": "ikke en gyldig dato{at}: {value}",
}
READ_POSITION_DANISH = " i linje {line}, kolonne {column}"


@dataclass(frozen=True)
class IntakeProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class IntakeInvalid(Exception):
    def __init__(self, problems: list[IntakeProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Intake:
    """A checked form: the entry's values and the vocabulary objects it links to."""

    values: dict[str, Any]
    links: dict[str, list]
    paragraphs: list[LegalParagraph]
    contacts: list[dict[str, str]]


def _danish_slug(text: str) -> str:
    for letter, plain in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        text = text.lower().replace(letter, plain)
    return slugify(text)[:110].strip("-")


def _quoted(value: Any) -> str:
    """A value from the form as a message quotes it: short, and harmless on a terminal."""
    return excerpt(value, SHOWN_LENGTH) if isinstance(value, str) else shown(value)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[IntakeProblem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(IntakeProblem(field, message))

    def has_problem(self, *fields: str) -> bool:
        return any(p.field in fields for p in self.problems)

    def value(self, field: str, value: Any, model, model_field: str) -> bool:
        """Check a value against the model field it is stored in (schema.field_limits)."""
        problems = value_problems(value, field_limits(model, model_field), DANISH)
        for message in problems:
            self.add(field, message)
        return not problems

    def text(self, data: dict, key: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, str):
            value = value.strip()
        return value if self.value(key, value, Intervention, key) else ""

    def terms(self, data: dict, key: str, model, label: str) -> list:
        """Vocabulary values by name or slug (any case); municipalities also as 'X Kommune'."""
        values = data.get(key) or []
        if not self.value(key, values, Intervention, key):
            return []
        longest = field_limits(model, "name").max_length
        found = []
        for value in values:
            text = value.strip()
            if model is Municipality:
                text = re.sub(r"\s+Kommune$", "", text)
            obj = None
            if len(text) <= longest:
                obj = (
                    model.objects.filter(name__iexact=text).first()
                    or model.objects.filter(slug__iexact=text).first()
                )
            if obj is None:
                names = ", ".join(model.objects.values_list("name", flat=True)[:30])
                self.add(key, f"ukendt {label}: “{_quoted(value)}”. Brug en af: {names}")
            elif obj in found:
                self.add(key, f"“{_quoted(value)}” står der to gange")
            else:
                found.append(obj)
        return found


def check_intake(data: Any) -> tuple[Intake | None, list[IntakeProblem]]:
    """Check a parsed intake form; the Intake when it can be loaded, and every problem.

    Every value is checked against the limits of the model field it goes into (the same
    schema.field_limits the fixture loader uses), before any of it reaches a query.
    """
    check = _Checker()
    if not isinstance(data, dict):
        check.add("-", "filen skal udfyldes som skabelonen: felt: værdi, ét felt pr. linje")
        return None, check.problems
    with translation.override("da"):
        intake = _check_fields(data, check)
    if check.problems:
        return None, check.problems
    return intake, []


def _check_fields(data: dict, check: _Checker) -> Intake:
    for key in sorted(set(data) - FIELDS, key=str):
        check.add(_quoted(str(key)), "ukendt felt; brug felterne fra skabelonen")
    for key, label in REQUIRED.items():
        if data.get(key) in (None, "", []):
            check.add(key, f"skal udfyldes ({label})")

    values: dict[str, Any] = {
        key: check.text(data, key)
        for key in ("title", "summary", "organisation", "budget_note", "funding_source")
    }
    alternative = data.get("alternative_titles") or []
    if not isinstance(alternative, list) or not all(isinstance(t, str) for t in alternative):
        check.add("alternative_titles", "skal være en liste af titler")
        alternative = []
    values["alternative_titles"] = [
        t.strip()
        for i, t in enumerate(alternative, start=1)
        if t.strip() and check.value(f"alternative_titles[{i}]", t.strip(), Intervention, "title")
    ]
    for key, choices, default in (
        ("sector", Intervention.Sector, None),
        ("status", Intervention.Status, Intervention.Status.UNKNOWN),
        ("evaluation_level", Intervention.EvaluationLevel, Intervention.EvaluationLevel.NONE_KNOWN),
        ("budget_kind", Intervention.BudgetKind, None),
    ):
        value = data.get(key) or default
        if value is not None and value not in choices.values:
            options = ", ".join(f"{c.value} ({c.label})" for c in choices)
            check.add(key, f"“{_quoted(value)}” er ikke en mulighed; vælg en af: {options}")
        values[key] = value
    values["budget_kind"] = values["budget_kind"] or ""

    for key in ("period_start", "period_end"):
        value = data.get(key)
        values[key] = None
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            check.add(key, f"skal være et årstal, fx 2021 (ikke “{_quoted(value)}”)")
        elif check.value(key, value, Intervention, key):
            values[key] = value
    budget = data.get("budget_dkk")
    values["budget_dkk"] = amount = None
    if budget not in (None, ""):
        try:
            amount = parse_kroner(budget if isinstance(budget, int | str) else None)
        except ValueError:
            check.add(
                "budget_dkk", f"skriv beløbet i hele kroner, fx 780.000 (ikke “{_quoted(budget)}”)"
            )
        else:
            if check.value("budget_dkk", amount, Intervention, "budget_dkk"):
                values["budget_dkk"] = amount

    sections = data.get("sections") or {}
    if not isinstance(sections, dict):
        check.add("sections", "skal være afsnit med tekst under hinanden, som i skabelonen")
        sections = {}
    for key, text in sections.items():
        where = f"sections.{_quoted(str(key))}"
        if key not in SECTION_FIELDS:
            check.add(where, f"ukendt afsnit; brug {', '.join(SECTION_FIELDS)}")
        elif text is not None:
            text = text.strip() if isinstance(text, str) else text
            if check.value(where, text, Intervention, SECTION_FIELDS[key]):
                values[SECTION_FIELDS[key]] = text

    links = {
        "municipalities": check.terms(data, "municipalities", Municipality, "kommune"),
        "regions": check.terms(data, "regions", Region, "region"),
        "target_groups": check.terms(data, "target_groups", TargetGroup, "målgruppe"),
        "policy_areas": check.terms(data, "policy_areas", PolicyArea, "fagområde"),
        "methods": check.terms(data, "methods", Method, "metode"),
    }
    paragraphs = []
    labels = data.get("legal_basis") or []
    if not isinstance(labels, list):
        check.add("legal_basis", 'skal være en liste, fx ["SEL § 85", "SEL § 107"]')
        labels = []
    for value in labels:
        if not isinstance(value, str) or forbidden_character(value) or len(value) > 30:
            check.add("legal_basis", f"skriv paragraffen som “SEL § 85” (ikke “{_quoted(value)}”)")
            continue
        try:
            paragraphs.append(LegalParagraph.objects.get_by_label(value))
        except ValueError:
            check.add("legal_basis", f"skriv paragraffen som “SEL § 85” (ikke “{_quoted(value)}”)")
        except LegalParagraph.DoesNotExist:
            check.add(
                "legal_basis",
                f"kataloget kender ikke {_quoted(value)}; skriv den i redaktionel note",
            )

    contacts = []
    raw_contacts = data.get("contacts") or []
    if not isinstance(raw_contacts, list):
        check.add("contacts", "skal være en liste af kontaktpersoner, som i skabelonen")
        raw_contacts = []
    for i, contact in enumerate(raw_contacts, start=1):
        where = f"contacts[{i}]"
        if not isinstance(contact, dict):
            check.add(where, "skal have name, role, organisation, email og phone")
            continue
        contacts.append(_check_contact(contact, check, where))

    submitted_by = data.get("submitted_by")
    if submitted_by is not None and not isinstance(submitted_by, str):
        check.add("submitted_by", "skal være tekst, fx 'Anne Hansen, Horsens Kommune'")
    elif submitted_by and submitted_by.strip():
        note = f"Indberettet af {submitted_by.strip()}."
        if check.value("submitted_by", note, Intervention, "editorial_note"):
            values["editorial_note"] = note
    twin = None
    if (
        not check.has_problem("title", "organisation")
        and values["title"]
        and values["organisation"]
    ):
        twin = twins(Intervention.objects.all(), values["title"], values["organisation"]).first()
    for breach in entry_rule_breaches(
        period_start=values["period_start"],
        period_end=values["period_end"],
        budget_dkk=amount,  # as written, even when out of range: it needs its note all the same
        budget_note=values["budget_note"],
        budget_kind=values["budget_kind"],
        target_groups=len(links["target_groups"]),
        title=values["title"],
        organisation=values["organisation"],
        has_twin=twin is not None,
    ):
        message = breach.message(DANISH_RULES)
        if twin is not None and breach.rule == "duplicate_title":
            message += f" Ret den i stedet for at indberette den igen: {twin.get_absolute_url()}"
        check.add(breach.field, message)
    return Intake(values, links, paragraphs, contacts)


# The owner's form names contact persons; whether someone was only at a meeting is a curator's
# distinction (Contact.kind), not asked for.
INTAKE_CONTACT_KEYS = tuple(key for key in CONTACT_KEYS if key != "kind")


def _check_contact(contact: dict, check: _Checker, where: str) -> dict[str, str]:
    for key in sorted(set(contact) - set(INTAKE_CONTACT_KEYS), key=str):
        check.add(
            f"{where}.{_quoted(str(key))}",
            "ukendt felt; brug name, role, organisation, email og phone",
        )
    row = {}
    for key in INTAKE_CONTACT_KEYS:
        value = contact.get(key)
        if key == "phone" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # 76290000 written without quotes
        value = value.strip() if isinstance(value, str) else value
        if key == "email" and isinstance(value, str) and value:
            try:
                validate_email(value)
            except ValidationError:
                check.add(f"{where}.email", f"“{_quoted(value)}” er ikke en gyldig e-mailadresse")
                continue
            value = value.lower()
        if value is None or check.value(f"{where}.{key}", value, Contact, key):
            row[key] = value or ""
    if not row.get("name") and not check.has_problem(f"{where}.name"):
        check.add(f"{where}.name", "skal udfyldes")
    return row


def read_intake(path: Path) -> tuple[Intake | None, list[IntakeProblem]]:
    try:
        data = read_yaml(path, MAX_INTAKE_BYTES)
    except InputRefused as exc:
        return None, [
            IntakeProblem(field_path(exc.path), exc.describe(READ_DANISH, READ_POSITION_DANISH))
        ]
    return check_intake(data)


def _intake_source() -> SourceDocument:
    source, _ = SourceDocument.objects.get_or_create(
        key=INTAKE_SOURCE,
        defaults={
            "title": "Indberetninger til Indsatskataloget",
            "publisher": "Kommuner og regioner",
            "year": today().year,
            "published_on": today().replace(month=1, day=1),
            "published_precision": "year",
            "short_name": "ejerens egen indberetning",
            "description": "Indsatser som kommuner og regioner selv har beskrevet i "
            "katalogets indberetningsskema (fixtures/intake/TEMPLATE.yaml).",
        },
    )
    return source


def _free_slug(base: str) -> str:
    slug, n = base, 2
    while Intervention.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def load_intake(path: Path) -> Intervention:
    """Load a filled-in form as a draft; IntakeInvalid (nothing written) when it has problems.

    Under the catalogue's write lock, as loads are: two intakes of the same form at once would
    otherwise both pass the check for an existing entry and both be loaded.
    """
    with catalogue_transaction():
        return _load_intake(path)


def _load_intake(path: Path) -> Intervention:
    intake, problems = read_intake(path)
    if problems:
        raise IntakeInvalid(problems)
    values = intake.values
    on = datetime.date.today().isoformat()
    obj = Intervention(
        **values,
        slug=_free_slug(_danish_slug(f"{values['title']} {values['organisation']}")),
        source=_intake_source(),
        locator=f"Indberetning fra {values['organisation']}, {on}",
        is_published=False,
        reviewed_on=None,
    )
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise IntakeInvalid(
            [IntakeProblem(field, " ".join(msgs)) for field, msgs in exc.message_dict.items()]
        ) from None
    obj.skip_history_when_saving = True
    obj.save()
    for name, objects in intake.links.items():
        getattr(obj, name).set(objects)
    for paragraph in intake.paragraphs:
        LegalBasis.objects.create(intervention=obj, paragraph=paragraph, stated_in_source=True)
    # The owner wrote the form: its information is the owner's own, as of the day it came in.
    Confirmation.objects.create(
        intervention=obj,
        confirmed_on=today(),
        confirmed_by=values["organisation"],
        method=Confirmation.Method.INTAKE_FORM,
        note=f"Indberetningsskemaet {path.name}",
    )
    for i, contact in enumerate(intake.contacts):
        Contact.objects.create(intervention=obj, order=i, **contact)
    del obj.skip_history_when_saving
    obj._change_reason = INTAKE_REASON
    post_save.send(sender=Intervention, instance=obj, created=True, update_fields=None, raw=False)
    refresh_search_texts(obj)
    return obj
