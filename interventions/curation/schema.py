"""The one entry schema: the fixture format's keys, what each value may be (read from the model
fields it is stored in), and the rules of a valid entry that no single field states.

Used by `Intervention.clean()` (the admin), the fixture loader (validate.py) and the intake, so
that each rule is written once. The module imports no model (the models import it): the model
classes reach it as arguments, and a model's fields are read when it is first asked about them.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from interventions.curation.pdf_text import forbidden_character
from interventions.curation.problems import shown

# --- The fixture format's keys ----------------------------------------------------------------

# An entry's keys, in the order the files write them (fixtures/README.md).
ENTRY_KEYS = (
    "slug",
    "title",
    "alternative_titles",
    "summary",
    "locator",
    "source_lines",
    "source_section",
    "sector",
    "organisation",
    "municipalities",
    "regions",
    "served_municipalities",
    "target_groups",
    "policy_areas",
    "kkr_goals",
    "legal_basis",
    "methods",
    "period_start",
    "period_end",
    "status",
    "budget_dkk",
    "budget_note",
    "budget_kind",
    "budget_first_year",
    "budget_last_year",
    "budget_price_year",
    "funding_source",
    "evaluation_level",
    "editorial_note",
    "public_note",
    "published",
    "reviewed_on",
    "related",
    "sections",
    "contacts",
    "confirmations",
)
# Keys a curated entry may leave out; the value they then have. (`reviewed_on` has none: each
# entry states the day it was reviewed against its source, ADR 0012.)
OPTIONAL_DEFAULTS: dict[str, Any] = {
    "published": True,
    "public_note": "",
    "served_municipalities": [],
    "confirmations": [],
    "budget_kind": "",
    "budget_first_year": None,
    "budget_last_year": None,
    "budget_price_year": None,
}
# Vocabulary links: sets in the database, curated lists in the files.
SET_KEYS = ("municipalities", "regions", "target_groups", "policy_areas", "kkr_goals", "methods")
CONTACT_KEYS = ("name", "role", "organisation", "email", "phone", "kind")
CONTACT_DEFAULTS = {"kind": "contact"}
SERVED_KEYS = ("municipality", "basis", "source_lines", "note")
CONFIRMATION_KEYS = ("confirmed_on", "confirmed_by", "method", "note")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _same(*names: str) -> dict[str, str | None]:
    """Keys stored in model fields of the same name."""
    return {name: name for name in names}


# Each kind of row: its keys and the model fields they are stored in (None: checked on its own),
# and the keys that hold running text (checked for PDF debris too).
INTERVENTION_FIELDS: dict[str, str | None] = {
    **_same(*(key for key in ENTRY_KEYS if key not in ("published",))),
    "published": "is_published",
    # Checked on their own: a list of titles, two line numbers, and nested rows.
    "alternative_titles": None,
    "source_lines": None,
    "legal_basis": None,
    "sections": None,
    "contacts": None,
    "served_municipalities": None,
    "confirmations": None,
}
INTERVENTION_PROSE = frozenset(
    {"title", "summary", "locator", "organisation", "budget_note", "funding_source"}
    | {"editorial_note", "public_note"}
)
CONTACT_FIELDS = _same(*CONTACT_KEYS)
SERVED_FIELDS: dict[str, str | None] = {"municipality": None, "source_lines": None}
SERVED_FIELDS |= _same("basis", "note")
SERVED_PROSE = frozenset({"note"})
CONFIRMATION_FIELDS = _same(*CONFIRMATION_KEYS)
CONFIRMATION_PROSE = frozenset({"confirmed_by", "note"})
CONTACT_PROSE = frozenset({"name", "role", "organisation"})
SOURCE_SECTION_FIELDS = _same("code", "kind", "name", "parent", "order")
SOURCE_SECTION_PROSE = frozenset({"name"})
GUIDANCE_FIELDS = {**_same("number", "group", "title", "text"), "source_lines": None}
GUIDANCE_PROSE = frozenset({"title", "text", "group"})
# Vocabulary files: the model (by name) each row is stored in, and its keys.
VOCABULARY_FIELDS: dict[str, tuple[str, dict[str, str | None]]] = {
    "regions": ("Region", _same("code", "name", "slug")),
    "municipalities": ("Municipality", _same("code", "name", "slug", "region")),
    # aliases: a list of other names (checked on its own), stored one a line.
    "target_groups": ("TargetGroup", {**_same("slug", "name", "description"), "aliases": None}),
    "policy_areas": ("PolicyArea", {**_same("slug", "name", "description"), "aliases": None}),
    "methods": ("Method", {**_same("slug", "name", "description"), "aliases": None}),
    "kkr_goals": ("KKRGoal", _same("slug", "area", "text", "order")),
    "laws": ("Law", _same("abbreviation", "name", "full_name", "url")),
    "paragraphs": ("LegalParagraph", _same("law", "number", "title", "url")),
    "sources": (
        "SourceDocument",
        {
            **_same("key", "title", "publisher", "year", "file", "description"),
            **_same("published_basis", "short_name", "citation", "url", "isbn"),
            "published": None,  # "2016", "2016-01" or 2018-11-30: parse_published()
        },
    ),
}
VOCABULARY_PROSE = frozenset(
    {"name", "title", "text", "description", "short_name", "citation", "published_basis"}
)

ALIAS_MAX_LENGTH = 120  # an alias is a name, as long as a name may be


def aliases_text(aliases: list[str] | None) -> str:
    """A term's aliases as the database stores them: one a line."""
    return "\n".join(a.strip() for a in aliases or [] if a.strip())


def aliases_list(text: str) -> list[str]:
    """A term's stored aliases as the files list them."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# A source's publication date as precise as the document gives it.
_PUBLISHED_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def parse_published(value: Any) -> tuple[datetime.date, str]:
    """A source's `published` value as (first day, precision): "2016" -> (2016-01-01, "year"),
    "2016-01" -> (2016-01-01, "month"), a date -> (it, "day"). ValueError if it is none."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value, "day"
    match = _PUBLISHED_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(
            f"must be a year, year-month or date like 2016, 2016-01, 2018-11-30; got {shown(value)}"
        )
    year, month = int(match[1]), int(match[2] or 1)
    if not 1 <= month <= 12:
        raise ValueError(f"has no month {month}")
    return datetime.date(year, month, 1), ("month" if match[2] else "year")


# --- What the database accepts, read from the models --------------------------------------------

# A text column without a length (TextField) still gets a limit: no curated text comes near it
# (the longest section holds 6,100 characters), and a 50 MB "section" is a mistake or an attack.
TEXT_MAX_LENGTH = 20_000
# Texts that are short by nature get a tighter limit.
TEXT_MAX_LENGTHS = {
    "interventions.Intervention.summary": 2_000,  # 1-3 sentences
    "interventions.Intervention.editorial_note": 5_000,
    "interventions.Intervention.public_note": 2_000,
    "interventions.Confirmation.note": 2_000,
}


@dataclass(frozen=True)
class FieldLimits:
    """What one model field accepts: its kind of value and the limits its column and validators
    set. `kind` is "text", "integer", "boolean", "date", "reference" (a natural key, as text) or
    "references" (a list of them)."""

    field: models.Field
    kind: str
    required: bool
    unique: bool
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: tuple[str, ...] = ()


@functools.cache
def field_limits(model: type[models.Model], name: str) -> FieldLimits:
    """The limits of `model.name`, read from the field itself (never copied into the checks):
    its max_length, the range of its integer column (the same on every database: SQLite would
    store more, PostgreSQL not), its choices, and whether it may be left empty."""
    model_field = model._meta.get_field(name)
    common = {
        "field": model_field,
        "required": not model_field.blank and not model_field.has_default(),
        "unique": model_field.unique,
        "choices": tuple(str(value) for value, _label in model_field.flatchoices),
    }
    if isinstance(model_field, models.ManyToManyField):
        return FieldLimits(kind="references", **common)
    if isinstance(model_field, models.ForeignKey):
        return FieldLimits(kind="reference", **common)
    if isinstance(model_field, models.BooleanField):
        return FieldLimits(kind="boolean", **common)
    if isinstance(model_field, models.DateTimeField):
        raise TypeError(f"no input rule for {model_field!r}")
    if isinstance(model_field, models.DateField):
        return FieldLimits(kind="date", **common)
    if isinstance(model_field, models.IntegerField):
        low, high = BaseDatabaseOperations.integer_field_ranges[model_field.get_internal_type()]
        return FieldLimits(kind="integer", min_value=low, max_value=high, **common)
    if isinstance(model_field, models.CharField | models.TextField):
        label = f"{model._meta.label}.{name}"
        length = model_field.max_length or TEXT_MAX_LENGTHS.get(label, TEXT_MAX_LENGTH)
        return FieldLimits(kind="text", max_length=length, **common)
    raise TypeError(f"no input rule for {model_field!r}")


@dataclass(frozen=True)
class ValueMessages:
    """How `value_problems()` words what it finds: English for curators, Danish for intake."""

    kinds: dict[str, str]  # "text": "must be text", ...; {found} is what the value is instead
    found: dict[type, str]  # list: "a list", ...
    character: str  # {code} {position}
    too_long: str  # {length} {limit}
    out_of_range: str  # {value} {min} {max}
    negative: str  # {value} {max}
    choice: str  # {value} {choices}


ENGLISH = ValueMessages(
    kinds={
        "text": "must be text, not {found}",
        "integer": "must be a whole number, not {found}",
        "boolean": "must be true or false, not {found}",
        "date": "must be a date like 2026-11-22, not {found}",
        "reference": "must be text, not {found}",
        "references": "must be a list of text values, not {found}",
        "reference item": "must list text values, not {found}",
    },
    found={
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number with decimals",
        list: "a list",
        dict: "a mapping",
        datetime.date: "a date",
        datetime.datetime: "a date and time",
        type(None): "null",
    },
    character="holds the control character {code} (character {position}), which no text may hold",
    too_long="is {length} characters long; at most {limit} fit",
    out_of_range="must be a whole number from {min} to {max}, got {value}",
    negative="must be a whole, non-negative number of at most {max}, got {value}",
    choice="must be one of {choices}, got {value}",
)


def found_kind(value: Any, messages: ValueMessages) -> str:
    return messages.found.get(type(value), type(value).__name__)


def _is_kind(value: Any, kind: str) -> bool:
    """Whether `value` is an integer / boolean / date as YAML reads one (true is no number)."""
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def _character_problem(text: str, messages: ValueMessages) -> str | None:
    found = forbidden_character(text)
    if found is None:
        return None
    position, code = found
    return messages.character.format(code=code, position=position)


def value_problems(value: Any, limits: FieldLimits, messages: ValueMessages = ENGLISH) -> list[str]:
    """Why the database or the field's validators would refuse `value`; [] if they store it.

    `value` is taken as the input file holds it, not converted: a number is not text, true is
    not a number, a list is not a name. None (and "" for text) means "not given"; whether that
    is allowed is the caller's question (FieldLimits.required). Messages from the model's own
    validators come in the active language.
    """
    if value is None:
        return []
    kind = limits.kind
    if kind == "references":
        if not isinstance(value, list):
            return [messages.kinds[kind].format(found=found_kind(value, messages))]
        for item in value:
            if not isinstance(item, str):
                return [messages.kinds["reference item"].format(found=found_kind(item, messages))]
            if problem := _character_problem(item, messages):
                return [problem]
        return []
    if kind in ("text", "reference"):
        if not isinstance(value, str):
            return [messages.kinds[kind].format(found=found_kind(value, messages))]
        if problem := _character_problem(value, messages):
            return [problem]
        if kind == "reference":
            return []
        if len(value) > limits.max_length:
            return [messages.too_long.format(length=len(value), limit=limits.max_length)]
        if limits.choices and value not in limits.choices:
            choices = ", ".join(limits.choices)
            return [messages.choice.format(choices=choices, value=shown(value))]
    elif not _is_kind(value, kind):
        return [messages.kinds[kind].format(found=found_kind(value, messages))]
    elif kind == "integer" and not limits.min_value <= value <= limits.max_value:
        template = messages.negative if limits.min_value == 0 else messages.out_of_range
        return [template.format(value=shown(value), min=limits.min_value, max=limits.max_value)]
    try:
        limits.field.run_validators(value)
    except ValidationError as exc:
        return list(exc.messages)
    return []


# Kinds of value for which a null in the input is no "leave it empty": the loader would store
# the null, and the column refuses it.
NOT_NULL_KINDS = ("integer", "boolean", "date")


# --- The rules of a valid entry -----------------------------------------------------------------

# An entry is for at least one and at most this many target groups, the most important ones.
MAX_TARGET_GROUPS = 4


@dataclass(frozen=True)
class RuleBreach:
    """An entry breaks one of the rules below: the field it concerns, the rule (a key of the
    message tables) and what the message quotes."""

    field: str
    rule: str
    params: dict[str, Any]

    def message(self, messages: dict[str, Any]) -> str:
        return str(messages[self.rule]) % self.params


# How each rule's breach is worded: in Danish for editors (the admin, in their language) and
# municipalities (the intake), in English for curators (the fixture check).
DANISH_RULES: dict[str, Promise] = {
    "period_order": _("Slutåret (%(end)s) ligger før startåret (%(start)s)."),
    "budget_note": _("Skriv hvad beløbet dækker, fx 'Samlet projektbudget 2015-2016'."),
    "budget_kind": _("Angiv beløbets art (årligt, samlet for en periode, pr. deltager, anlæg)."),
    "budget_without_amount": _("Art, år og prisår hører til et beløb; der er intet beløb."),
    "budget_years_order": _("Beløbets sidste år (%(last)s) ligger før dets første (%(first)s)."),
    "target_groups": _("Vælg 1-%(max)s målgrupper, de vigtigste."),
    "duplicate_title": _("%(organisation)s har allerede en indsats med titlen “%(title)s”."),
}
ENGLISH_RULES = {
    "period_order": "ends (%(end)s) before it starts (%(start)s)",
    "budget_note": "must say what the budget covers",
    "budget_kind": "must say what kind of amount it is (per_year, period_total, per_unit, "
    "construction)",
    "budget_without_amount": "a budget kind, years or price year need an amount (budget_dkk)",
    "budget_years_order": "the amount's last year (%(last)s) is before its first (%(first)s)",
    "target_groups": "must list 1-%(max)s target groups",
    "duplicate_title": "%(organisation)s already has an entry titled %(title)r",
}


def entry_rule_breaches(
    *,
    period_start: Any = None,
    period_end: Any = None,
    budget_dkk: Any = None,
    budget_note: Any = "",
    budget_kind: Any = None,
    budget_years: tuple[Any, Any, Any] = (None, None, None),
    target_groups: int | None = None,
    title: Any = "",
    organisation: Any = "",
    has_twin: bool = False,
) -> list[RuleBreach]:
    """The rules of a valid entry that no single field states, on values already checked one by
    one (a value of the wrong kind is left to that check):

    - the period does not end before it starts;
    - a budget says what it covers, and what kind of amount it is (`budget_kind`; None: not
      asked, as in the intake form, where the editor decides it);
    - kind and years (`budget_years`: first, last, price year) only with an amount, in order;
    - 1 to MAX_TARGET_GROUPS target groups (`target_groups`: how many, None when not known yet;
      none at all is the required-field check's "is required");
    - no second entry of the same owner with the same title, unless the two are linked as
      related: one service that two sources describe (CURATION.md). `has_twin`: the caller
      looked for one, in the database (`twins()`) or among the files (`title_key()`).
    """
    breaches = []
    if isinstance(period_start, int) and isinstance(period_end, int) and period_start > period_end:
        breaches.append(
            RuleBreach("period_end", "period_order", {"start": period_start, "end": period_end})
        )
    if budget_dkk is not None and not (isinstance(budget_note, str) and budget_note.strip()):
        breaches.append(RuleBreach("budget_note", "budget_note", {}))
    if budget_dkk is not None and budget_kind is not None and not budget_kind:
        breaches.append(RuleBreach("budget_kind", "budget_kind", {}))
    if budget_dkk is None and (budget_kind or any(y is not None for y in budget_years)):
        breaches.append(RuleBreach("budget_dkk", "budget_without_amount", {}))
    first, last = budget_years[0], budget_years[1]
    if isinstance(first, int) and isinstance(last, int) and first > last:
        breaches.append(
            RuleBreach("budget_last_year", "budget_years_order", {"first": first, "last": last})
        )
    if target_groups is not None and target_groups > MAX_TARGET_GROUPS:
        breaches.append(RuleBreach("target_groups", "target_groups", {"max": MAX_TARGET_GROUPS}))
    if has_twin:
        breaches.append(
            RuleBreach("title", "duplicate_title", {"organisation": organisation, "title": title})
        )
    return breaches


def twins(entries: models.QuerySet, title: str, organisation: str) -> models.QuerySet:
    """The entries among `entries` with this title and owner (the duplicate-title rule; the
    caller leaves out the entry itself and those it is related to)."""
    return entries.filter(title__iexact=title.strip(), organisation__iexact=organisation.strip())


def title_key(title: str, organisation: str) -> tuple[str, str]:
    """Entries with the same key are twins (as twins() finds them in the database)."""
    return (title.strip().casefold(), organisation.strip().casefold())
