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

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.signals import post_save
from django.utils.text import slugify

from interventions.models import (
    TEXT_SECTIONS,
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
from interventions.validators import parse_kroner, validate_danish_phone, validate_year

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
CONTACT_KEYS = ("name", "role", "organisation", "email", "phone")


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


class _Checker:
    def __init__(self) -> None:
        self.problems: list[IntakeProblem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(IntakeProblem(field, message))

    def text(self, data: dict, key: str, max_length: int) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.add(key, "skal være tekst")
            return ""
        if len(value.strip()) > max_length:
            self.add(key, f"må højst være {max_length} tegn (er {len(value.strip())})")
        return value.strip()

    def terms(self, data: dict, key: str, model, label: str) -> list:
        """Vocabulary values by name or slug (any case); municipalities also as 'X Kommune'."""
        values = data.get(key) or []
        if not isinstance(values, list):
            self.add(key, "skal være en liste, fx [Aarhus, Horsens]")
            return []
        found = []
        for value in values:
            text = str(value).strip()
            if model is Municipality:
                text = re.sub(r"\s+Kommune$", "", text)
            obj = (
                model.objects.filter(name__iexact=text).first()
                or model.objects.filter(slug__iexact=text).first()
            )
            if obj is None:
                names = ", ".join(model.objects.values_list("name", flat=True)[:30])
                self.add(key, f"ukendt {label}: “{value}”. Brug en af: {names}")
            elif obj in found:
                self.add(key, f"“{value}” står der to gange")
            else:
                found.append(obj)
        return found


def check_intake(data: Any) -> tuple[Intake | None, list[IntakeProblem]]:
    """Check a parsed intake form; the Intake when it can be loaded, and every problem."""
    check = _Checker()
    if not isinstance(data, dict):
        check.add("-", "filen skal udfyldes som skabelonen: felt: værdi, ét felt pr. linje")
        return None, check.problems
    for key in sorted(set(data) - FIELDS):
        check.add(key, "ukendt felt; brug felterne fra skabelonen")
    for key, label in REQUIRED.items():
        if data.get(key) in (None, "", []):
            check.add(key, f"skal udfyldes ({label})")

    values: dict[str, Any] = {
        "title": check.text(data, "title", 250),
        "summary": check.text(data, "summary", 2000),
        "organisation": check.text(data, "organisation", 250),
        "budget_note": check.text(data, "budget_note", 300),
        "funding_source": check.text(data, "funding_source", 250),
    }
    alternative = data.get("alternative_titles") or []
    if not isinstance(alternative, list) or not all(isinstance(t, str) for t in alternative):
        check.add("alternative_titles", "skal være en liste af titler")
        alternative = []
    values["alternative_titles"] = [t.strip() for t in alternative if t.strip()]
    for key, choices, default in (
        ("sector", Intervention.Sector, None),
        ("status", Intervention.Status, Intervention.Status.UNKNOWN),
        ("evaluation_level", Intervention.EvaluationLevel, Intervention.EvaluationLevel.NONE_KNOWN),
    ):
        value = data.get(key) or default
        if value is not None and value not in choices.values:
            options = ", ".join(f"{c.value} ({c.label})" for c in choices)
            check.add(key, f"“{value}” er ikke en mulighed; vælg en af: {options}")
        values[key] = value

    for key in ("period_start", "period_end"):
        value = data.get(key)
        if value is None:
            values[key] = None
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            check.add(key, f"skal være et årstal, fx 2021 (ikke “{value}”)")
            values[key] = None
            continue
        try:
            validate_year(value)
        except ValidationError as exc:
            check.add(key, " ".join(exc.messages))
        values[key] = value
    if (values["period_start"] or 0) > (values["period_end"] or 9999):
        check.add(
            "period_end",
            f"slutåret ({values['period_end']}) ligger før startåret ({values['period_start']})",
        )

    budget = data.get("budget_dkk")
    values["budget_dkk"] = None
    if budget not in (None, ""):
        try:
            values["budget_dkk"] = parse_kroner(budget)
        except ValueError:
            check.add("budget_dkk", f"skriv beløbet i hele kroner, fx 780.000 (ikke “{budget}”)")
        else:
            if not values["budget_note"]:
                check.add("budget_note", "skriv hvad beløbet dækker, fx 'Samlet budget 2024-2026'")

    sections = data.get("sections") or {}
    if not isinstance(sections, dict):
        check.add("sections", "skal være afsnit med tekst under hinanden, som i skabelonen")
        sections = {}
    for key, text in sections.items():
        if key not in SECTION_FIELDS:
            check.add(f"sections.{key}", f"ukendt afsnit; brug {', '.join(SECTION_FIELDS)}")
        elif text is not None and not isinstance(text, str):
            check.add(f"sections.{key}", "skal være tekst")
        else:
            values[SECTION_FIELDS[key]] = (text or "").strip()

    links = {
        "municipalities": check.terms(data, "municipalities", Municipality, "kommune"),
        "regions": check.terms(data, "regions", Region, "region"),
        "target_groups": check.terms(data, "target_groups", TargetGroup, "målgruppe"),
        "policy_areas": check.terms(data, "policy_areas", PolicyArea, "fagområde"),
        "methods": check.terms(data, "methods", Method, "metode"),
    }
    if len(links["target_groups"]) > 4:
        check.add("target_groups", "vælg højst 4 målgrupper, de vigtigste")

    paragraphs = []
    for value in data.get("legal_basis") or []:
        try:
            paragraphs.append(LegalParagraph.objects.get_by_label(str(value)))
        except ValueError:
            check.add("legal_basis", f"skriv paragraffen som “SEL § 85” (ikke “{value}”)")
        except LegalParagraph.DoesNotExist:
            check.add("legal_basis", f"kataloget kender ikke {value}; skriv den i redaktionel note")

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
        row = {k: str(contact.get(k) or "").strip() for k in CONTACT_KEYS}
        if not row["name"]:
            check.add(f"{where}.name", "skal udfyldes")
        if row["email"]:
            try:
                validate_email(row["email"])
            except ValidationError:
                check.add(f"{where}.email", f"“{row['email']}” er ikke en gyldig e-mailadresse")
            row["email"] = row["email"].lower()
        try:
            validate_danish_phone(row["phone"])
        except ValidationError as exc:
            check.add(f"{where}.phone", " ".join(exc.messages))
        contacts.append(row)

    submitted_by = data.get("submitted_by")
    if submitted_by is not None and not isinstance(submitted_by, str):
        check.add("submitted_by", "skal være tekst, fx 'Anne Hansen, Horsens Kommune'")
    elif submitted_by:
        values["editorial_note"] = f"Indberettet af {submitted_by.strip()}."
    if values["title"] and values["organisation"]:
        twin = Intervention.objects.filter(
            title__iexact=values["title"], organisation__iexact=values["organisation"]
        ).first()
        if twin:
            check.add(
                "title",
                f"{values['organisation']} har allerede en indsats med denne titel "
                f"({twin.get_absolute_url()}); ret den i stedet for at indberette den igen",
            )
    if check.problems:
        return None, check.problems
    return Intake(values, links, paragraphs, contacts), []


def read_intake(path: Path) -> tuple[Intake | None, list[IntakeProblem]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"linje {mark.line + 1}" if mark else "ukendt sted"
        return None, [
            IntakeProblem("-", f"filen kan ikke læses ({where}): tjek indrykning og kolon")
        ]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [IntakeProblem("-", f"filen kan ikke åbnes: {exc}")]
    return check_intake(data)


def _intake_source() -> SourceDocument:
    source, _ = SourceDocument.objects.get_or_create(
        key=INTAKE_SOURCE,
        defaults={
            "title": "Indberetninger til Indsatskataloget",
            "publisher": "Kommuner og regioner",
            "year": today().year,
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


@transaction.atomic
def load_intake(path: Path) -> Intervention:
    """Load a filled-in form as a draft; IntakeInvalid (nothing written) when it has problems."""
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
        last_verified=None,
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
    for i, contact in enumerate(intake.contacts):
        Contact.objects.create(intervention=obj, order=i, **contact)
    del obj.skip_history_when_saving
    obj._change_reason = INTAKE_REASON
    post_save.send(sender=Intervention, instance=obj, created=True, update_fields=None, raw=False)
    obj.refresh_search_document()
    return obj
