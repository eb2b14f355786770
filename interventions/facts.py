"""The facts a reader compares, follows and downloads: one ordered list, three uses.

Each `Fact` is one thing the catalogue says about an entry (its target groups, its owner, its
status as the source said ...). The list is read by

- the compare page (interventions/views/compare.py): one row per fact, `text()` in each column;
- the open dataset (interventions/views/data.py): one CSV column per fact, `value()` in each
  cell, and the column's description in datapackage.json (`name`, `type`, `description`,
  `enum`);
- the feed (interventions/views/feeds.py): a change in a fact's `watched` model fields is an
  item, worded by `changed()`.

A new fact is one entry here; all three follow. The entries must come with
`InterventionQuerySet.with_relations()`: every relation a fact reads is prefetched there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interventions.models import TEXT_SECTIONS, Intervention

SEPARATOR = "; "  # between the values of a multi-valued fact in a CSV cell


@dataclass(frozen=True)
class Fact:
    """One fact about an entry.

    `name` is the stable machine name (the CSV column and the datapackage field); `label` the row
    heading people read; `description` what the column means (English, for datapackage.json);
    `type` a Table Schema type; `value` the plain data of a CSV cell; `text` the words of a
    compare cell (default: the value as text); `enum` the allowed values of a coded column;
    `watched` the model fields whose change the feed reports, `changed` how it words it;
    a `format` "uri" value is a path the dataset makes absolute.
    """

    name: str
    label: Promise
    description: str
    value: Callable[[Intervention], Any]
    type: str = "string"
    text: Callable[[Intervention], str] | None = None
    enum: Sequence[str] | None = None
    compare: bool = True
    watched: tuple[str, ...] = ()
    changed: Callable[[dict, dict], str] | None = None
    constraints: dict = field(default_factory=dict)
    format: str = "default"

    def display(self, obj: Intervention) -> str:
        if self.text is not None:
            return self.text(obj)
        value = self.value(obj)
        return "" if value is None else str(value)


def _joined(values) -> str:
    return SEPARATOR.join(str(v) for v in values)


def kroner(amount: int | None) -> str:
    return "" if amount is None else _("%(amount)s kr.") % {"amount": intcomma(amount)}


def _status_label(value: str) -> str:
    return str(Intervention.Status(value).label)


def information_date(obj: Intervention) -> date:
    """The date the information is from: the source's publication or the latest confirmation,
    whichever is later (Intervention.information_date). Reviewing an entry against its source
    is no confirmation (CURATION.md)."""
    return obj.information_date


def information_text(obj: Intervention) -> str:
    if obj.information_is_confirmation:
        return _("Bekræftet %(date)s") % {"date": obj.last_confirmed_on.strftime("%d.%m.%Y")}
    return _("Som kilden oplyste i %(date)s") % {"date": obj.source.published_label}


def confirmation_text(obj: Intervention) -> str:
    latest = obj.latest_confirmation()
    if latest is None:
        return _("Aldrig bekræftet")
    return _("Bekræftet af %(by)s %(date)s (%(method)s)") % {
        "by": latest.confirmed_by,
        "date": latest.confirmed_on.strftime("%d.%m.%Y"),
        "method": latest.get_method_display(),
    }


def _as_said(obj: Intervention, text: str) -> str:
    """The period is as the source said on its date, until someone confirms it (worded as the
    entry's page words it: "2016– ifølge kilden (2016)")."""
    according = obj.according_to_source
    return f"{text} {according}" if text and according else text


def served_names(obj: Intervention, rows=None) -> list[str]:
    """The municipalities an entry serves, each marked when it is the editors' inference.

    `rows`: its ServedMunicipality rows if already read (default: the prefetched `served`)."""
    return [
        s.municipality.name
        + ("" if s.basis == s.Basis.SOURCE else " " + _("(redaktionens vurdering)"))
        for s in (obj.served.all() if rows is None else rows)
    ]


def _legal_bases(obj: Intervention) -> list[str]:
    return [
        b.paragraph.label + ("" if b.stated_in_source else " " + _("(tilføjet af redaktionen)"))
        for b in obj.legal_bases.all()
    ]


def _contacts(obj: Intervention) -> list[str]:
    return [
        ", ".join(part for part in (c.name, c.role, c.organisation, c.email, c.phone) if part)
        for c in obj.contacts.all()
    ]


def _status_changed(old: dict, new: dict) -> str:
    return _("Status ændret fra »%(old)s« til »%(new)s«") % {
        "old": _status_label(old["status"]),
        "new": _status_label(new["status"]),
    }


def _budget_changed(old: dict, new: dict) -> str:
    before, after = kroner(old["budget_dkk"]), kroner(new["budget_dkk"])
    if before == after:
        return _("Budgettets forklaring ændret til »%(note)s«") % {"note": new["budget_note"]}
    if not before:
        return _("Budget oplyst: %(new)s") % {"new": after}
    if not after:
        return _("Budgettet (%(old)s) er fjernet") % {"old": before}
    return _("Budget ændret fra %(old)s til %(new)s") % {"old": before, "new": after}


def _period_changed(old: dict, new: dict) -> str:
    def period(row: dict) -> str:
        start, end = row["period_start"], row["period_end"]
        return f"{start or '?'}–{end or ''}" if start or end else _("ingen")

    return _("Periode ændret fra %(old)s til %(new)s") % {"old": period(old), "new": period(new)}


TEXT_FIELDS = ("summary", *(section.field for section in TEXT_SECTIONS))


def _text_changed(old: dict, new: dict) -> str:
    headings = [str(gettext_lazy("Resumé"))] if old["summary"] != new["summary"] else []
    headings += [
        str(section.heading)
        for section in TEXT_SECTIONS
        if old[section.field] != new[section.field]
    ]
    return _("Teksten er ændret: %(sections)s") % {"sections": ", ".join(headings)}


def _evaluation_changed(old: dict, new: dict) -> str:
    def label(value: str) -> str:
        return str(Intervention.EvaluationLevel(value).label)

    return _("Evaluering ændret fra »%(old)s« til »%(new)s«") % {
        "old": label(old["evaluation_level"]),
        "new": label(new["evaluation_level"]),
    }


FACTS: tuple[Fact, ...] = (
    Fact(
        "slug",
        gettext_lazy("Id"),
        "The entry's stable identifier; its page is /indsatser/<slug>/.",
        lambda o: o.slug,
        compare=False,
        constraints={"required": True, "unique": True, "pattern": "^[-a-zA-Z0-9_]+$"},
    ),
    Fact(
        "title",
        gettext_lazy("Titel"),
        "The title, as in the source document.",
        lambda o: o.title,
        compare=False,
        constraints={"required": True},
    ),
    Fact(
        "summary",
        gettext_lazy("Resumé"),
        "One to three sentences of plain Danish, written by the curator.",
        lambda o: o.summary,
        watched=TEXT_FIELDS,
        changed=_text_changed,
    ),
    Fact(
        "target_groups",
        gettext_lazy("Målgrupper"),
        "The target groups (controlled vocabulary), separated by '; '.",
        lambda o: _joined(o.target_groups.all()),
    ),
    Fact(
        "organisation",
        gettext_lazy("Ejer"),
        "The owning organisation, as the source writes it.",
        lambda o: o.organisation,
    ),
    Fact(
        "sector",
        gettext_lazy("Sektor"),
        "The owner's sector.",
        lambda o: o.sector,
        text=lambda o: str(Intervention.Sector(o.sector).label),
        enum=Intervention.Sector.values,
    ),
    Fact(
        "municipalities",
        gettext_lazy("Kommuner"),
        "The municipalities that run or co-run the entry, separated by '; '.",
        lambda o: _joined(m.name for m in o.municipalities.all()),
    ),
    Fact(
        "served_municipalities",
        gettext_lazy("Betjente kommuner"),
        "Municipalities whose citizens the entry serves without running it, separated by '; '; "
        "those the editors inferred (not stated in the source) are followed by "
        "'(redaktionens vurdering)'.",
        lambda o: _joined(served_names(o)),
    ),
    Fact(
        "regions",
        gettext_lazy("Regioner"),
        "The regions that take part, separated by '; '.",
        lambda o: _joined(r.name for r in o.regions.all()),
    ),
    Fact(
        "legal_basis",
        gettext_lazy("Lovgrundlag"),
        "Legal paragraphs ('SEL § 85'), separated by '; '; those an editor assigned (not stated "
        "in the source) are followed by '(tilføjet af redaktionen)'.",
        lambda o: _joined(_legal_bases(o)),
    ),
    Fact(
        "methods",
        gettext_lazy("Metoder"),
        "Named methods or models the entry uses, separated by '; '.",
        lambda o: _joined(o.methods.all()),
    ),
    Fact(
        "status",
        gettext_lazy("Status"),
        "The state as the source said on its date (or as last confirmed); the text says "
        "which, and 'Ukendt' when the stated period has ended.",
        lambda o: o.status,
        text=lambda o: o.status_as_stated,
        enum=Intervention.Status.values,
        watched=("status",),
        changed=_status_changed,
    ),
    Fact(
        "period_start",
        gettext_lazy("Periode"),
        "First year, when the source gives it.",
        lambda o: o.period_start,
        type="integer",
        text=lambda o: _as_said(o, o.period_label),
        watched=("period_start", "period_end"),
        changed=_period_changed,
    ),
    Fact(
        "period_end",
        gettext_lazy("Slutår"),
        "Last year, when the source gives it.",
        lambda o: o.period_end,
        type="integer",
        compare=False,
    ),
    Fact(
        "budget_dkk",
        gettext_lazy("Budget"),
        "An amount in DKK, only when the source states one.",
        lambda o: o.budget_dkk,
        type="integer",
        text=lambda o: f"{o.budget_label} ({o.budget_note})" if o.budget_note else o.budget_label,
        watched=("budget_dkk", "budget_note", "budget_kind"),
        changed=_budget_changed,
        constraints={"minimum": 0},
    ),
    Fact(
        "budget_kind",
        gettext_lazy("Beløbets art"),
        "What the amount is: per_year, period_total (for the years given), per_unit (per "
        "participant or course) or construction. Amounts of different kinds are not comparable.",
        lambda o: o.budget_kind or None,
        enum=Intervention.BudgetKind.values,
        compare=False,
    ),
    Fact(
        "budget_first_year",
        gettext_lazy("Beløbet gælder fra år"),
        "The year, or first year of the period, the amount is for, as the source says.",
        lambda o: o.budget_first_year,
        type="integer",
        compare=False,
    ),
    Fact(
        "budget_last_year",
        gettext_lazy("Beløbet gælder til år"),
        "The last year of the period the amount is for, as the source says.",
        lambda o: o.budget_last_year,
        type="integer",
        compare=False,
    ),
    Fact(
        "budget_price_year",
        gettext_lazy("Prisår"),
        "The year whose prices the amount is in, only when the source says so.",
        lambda o: o.budget_price_year,
        type="integer",
        compare=False,
    ),
    Fact(
        "budget_note",
        gettext_lazy("Hvad beløbet dækker"),
        "What the amount covers (total, per year, per course).",
        lambda o: o.budget_note,
        compare=False,
    ),
    Fact(
        "evaluation_level",
        gettext_lazy("Evaluering"),
        "How the entry has been evaluated, from the source's evaluation text.",
        lambda o: o.evaluation_level,
        text=lambda o: str(Intervention.EvaluationLevel(o.evaluation_level).label),
        enum=Intervention.EvaluationLevel.values,
        watched=("evaluation_level",),
        changed=_evaluation_changed,
    ),
    Fact(
        "contacts",
        gettext_lazy("Kontakt"),
        "Contacts exactly as the source gives them (name, role, organisation, e-mail, phone), "
        "separated by '; '.",
        lambda o: _joined(_contacts(o)),
        text=lambda o: "\n".join(_contacts(o)),
    ),
    Fact(
        "information_date",
        gettext_lazy("Oplysningernes dato"),
        "The date of the information: the source's publication (first day of the month or "
        "year it gives) or the latest confirmation, whichever is later.",
        lambda o: information_date(o),
        type="date",
        text=information_text,
        constraints={"required": True},
    ),
    Fact(
        "confirmed",
        gettext_lazy("Bekræftet"),
        "Whether the owner (or an editor after contact) has confirmed the entry: the latest "
        "confirmation's date, or empty when it was never confirmed.",
        lambda o: o.last_confirmed_on,
        type="date",
        text=confirmation_text,
    ),
    Fact(
        "information_basis",
        gettext_lazy("Datoens grundlag"),
        "What the information date rests on: 'source' (the source's publication) or "
        "'confirmation' (the latest confirmation).",
        lambda o: "confirmation" if o.information_is_confirmation else "source",
        enum=("source", "confirmation"),
        compare=False,
    ),
    Fact(
        "freshness",
        gettext_lazy("Aktualitet"),
        "How current the information is (older than 24 months counts as old).",
        lambda o: o.freshness.value,
        text=lambda o: str(o.freshness.label),
        enum=Intervention.Freshness.values,
        compare=False,
    ),
    Fact(
        "status_as_stated",
        gettext_lazy("Status som oplyst"),
        "The status in words with its age ('I drift ifølge kilden (2016)'), or 'Ukendt — "
        "perioden sluttede 2018' when the stated period has ended.",
        lambda o: o.status_as_stated,
        compare=False,
    ),
    Fact(
        "reviewed_on",
        gettext_lazy("Gennemgået mod kilden"),
        "The day the editors reviewed the entry against its source document; not a confirmation.",
        lambda o: o.reviewed_on,
        type="date",
        compare=False,
    ),
    Fact(
        "public_note",
        gettext_lazy("Bemærkning"),
        "A note for readers (the editors' internal notes are never published).",
        lambda o: o.public_note,
        compare=False,
    ),
    Fact(
        "source",
        gettext_lazy("Kilde"),
        "The source document and the place in it.",
        lambda o: f"{o.source}, {o.locator}",
    ),
    Fact(
        "source_year",
        gettext_lazy("Kildens år"),
        "The year the source document was published.",
        lambda o: o.source.year,
        type="integer",
        compare=False,
    ),
    Fact(
        "url",
        gettext_lazy("Link"),
        "The entry's page in the catalogue.",
        lambda o: o.get_absolute_url(),
        compare=False,
        format="uri",
    ),
    Fact(
        "updated_at",
        gettext_lazy("Opdateret i kataloget"),
        "When the entry was last changed in the catalogue (UTC).",
        lambda o: timezone.localtime(o.updated_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        type="datetime",
        compare=False,
    ),
)

COMPARED = tuple(fact for fact in FACTS if fact.compare)
WATCHED = tuple(fact for fact in FACTS if fact.watched)
