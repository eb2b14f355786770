"""Optimistic locking for the entry form: a form opened before someone else's change cannot
overwrite it, and its editor is told who changed what.

The form carries an `EditStamp`: the entry's `edit_version` when the form was opened, and when
that was. Every change to the entry raises the version (models.py: its fields, contacts, legal
basis and links, wherever they are changed). On save, `check()` reads the current version with a
row lock, held until the save commits, so of two saves at the same moment the second waits and
then sees the first. A different version refuses the save before anything is written, and
`EditConflict` says who changed the entry, when, and what changed since the form was opened (from
the history of the entry, its contacts and its legal basis). See ADR 0007.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from simple_history.utils import get_m2m_reverse_field_name

from interventions.models import Contact, Intervention, LegalBasis, LegalParagraph

# How much of a long text (a text section) a changed field shows.
SHOWN_CHARS = 600


@dataclass(frozen=True)
class EditStamp:
    """The entry's version when its form was opened, and the moment it was opened."""

    version: int
    opened: dt.datetime

    @classmethod
    def of(cls, entry: Intervention) -> EditStamp:
        return cls(entry.edit_version, timezone.now())

    @classmethod
    def parse(cls, value: str) -> EditStamp | None:
        """The stamp written by `str()`, or None for anything else."""
        version, _sep, opened = str(value).partition("/")
        try:
            stamp = cls(int(version), dt.datetime.fromisoformat(opened))
        except ValueError:
            return None
        if stamp.version < 0 or timezone.is_naive(stamp.opened):
            return None
        return stamp

    def __str__(self) -> str:
        return f"{self.version}/{self.opened.isoformat()}"


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class EditConflict:
    entry_pk: int
    changed_by: str | None
    changed_at: dt.datetime | None
    changes: list[Change]

    @property
    def message(self) -> str:
        if self.changed_at is None:
            changed = _("Indsatsen er ændret, mens du redigerede.")
        else:
            local = timezone.localtime(self.changed_at)
            time = local.strftime("%H:%M")
            if local.date() == timezone.localdate():
                when = _("kl. %(time)s") % {"time": time}
            else:
                when = _("den %(date)s kl. %(time)s") % {
                    "date": date_format(local.date(), "j. F Y"),
                    "time": time,
                }
            if self.changed_by:
                changed = _("Indsatsen er ændret af %(who)s %(when)s, mens du redigerede.") % {
                    "who": self.changed_by,
                    "when": when,
                }
            else:
                changed = _("Indsatsen er ændret %(when)s, mens du redigerede.") % {"when": when}
        return " ".join(
            [
                changed,
                _(
                    "Dine ændringer er ikke gemt. Se hvad der er ændret nedenfor, åbn indsatsen "
                    "igen, og gentag dine ændringer i den gemte udgave."
                ),
            ]
        )

    @property
    def change_url(self) -> str:
        return reverse("admin:interventions_intervention_change", args=[self.entry_pk])

    @property
    def history_url(self) -> str:
        return reverse("admin:interventions_intervention_history", args=[self.entry_pk])


def check(entry_pk: int, stamp: EditStamp) -> EditConflict | None:
    """None while the entry is at the stamp's version; else who changed what since it was opened.

    Inside a transaction the entry's row stays locked until it ends (PostgreSQL; SQLite lets one
    writer at a time in), so a save that passes this check is the only one in progress.
    """
    rows = Intervention.objects.filter(pk=entry_pk)
    if transaction.get_connection().in_atomic_block:
        rows = rows.select_for_update()
    current = rows.values_list("edit_version", flat=True).first()
    if current is None or current == stamp.version:
        return None
    return describe(entry_pk, since=stamp.opened)


def describe(entry_pk: int, since: dt.datetime) -> EditConflict:
    """Who last changed the entry after `since`, when, and what differs from then to now."""
    histories = (
        Intervention.history.filter(id=entry_pk),
        Contact.history.filter(intervention_id=entry_pk),
        LegalBasis.history.filter(intervention_id=entry_pk),
    )
    latest = [
        h.filter(history_date__gt=since).select_related("history_user").first() for h in histories
    ]
    last = max((r for r in latest if r is not None), key=lambda r: r.history_date, default=None)
    user = last.history_user if last else None
    return EditConflict(
        entry_pk=entry_pk,
        changed_by=(user.get_full_name() or user.get_username()) if user else None,
        changed_at=last.history_date if last else None,
        changes=[
            *_entry_changes(entry_pk, since),
            *_contact_changes(entry_pk, since),
            *_legal_basis_changes(entry_pk, since),
        ],
    )


def _entry_changes(entry_pk: int, since: dt.datetime) -> list[Change]:
    history = Intervention.history.filter(id=entry_pk)
    before = history.filter(history_date__lte=since).first()
    after = history.first()
    if before is None or after is None or before.pk == after.pk:
        return []
    delta = after.diff_against(before, foreign_keys_are_objs=True)
    order = {f.name: i for i, f in enumerate(Intervention._meta.get_fields())}
    changes = []
    for change in sorted(delta.changes, key=lambda c: order.get(c.field, len(order))):
        field = Intervention._meta.get_field(change.field)
        if field.many_to_many:
            column = get_m2m_reverse_field_name(field)
            old = _listed(str(row[column]) for row in change.old)
            new = _listed(str(row[column]) for row in change.new)
        else:
            old, new = _shown(field, change.old), _shown(field, change.new)
        changes.append(Change(capfirst(field.verbose_name), old, new))
    return changes


def _shown(field, value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("ja") if value else _("nej")
    if isinstance(value, list):
        return _listed(str(v) for v in value)
    if isinstance(value, dt.date):
        return date_format(value)
    return Truncator(str(value)).chars(SHOWN_CHARS)


def _listed(values) -> str:
    return ", ".join(sorted(values)) or "—"


def _rows_then(history, entry_pk: int, moment: dt.datetime) -> dict[int, object]:
    """The entry's rows (as history records) as they were at `moment`."""
    latest = {}
    records = history.filter(intervention_id=entry_pk, history_date__lte=moment)
    for record in records.order_by("history_date", "history_id"):
        latest[record.id] = record
    return {pk: r for pk, r in latest.items() if r.history_type != "-"}


def _contact_text(contact) -> str:
    if contact is None:
        return "—"
    parts = (contact.name, contact.role, contact.organisation, contact.email, contact.phone)
    return ", ".join(p for p in parts if p)


def _contact_changes(entry_pk: int, since: dt.datetime) -> list[Change]:
    then = _rows_then(Contact.history, entry_pk, since)
    now = {c.pk: c for c in Contact.objects.filter(intervention_id=entry_pk)}
    changes = []
    for pk in sorted(then.keys() | now.keys()):
        before, after = _contact_text(then.get(pk)), _contact_text(now.get(pk))
        if before != after:
            name = (now.get(pk) or then.get(pk)).name
            label = _("Kontaktperson: %(name)s") % {"name": name}
            changes.append(Change(label, before, after))
    return changes


def _legal_basis_changes(entry_pk: int, since: dt.datetime) -> list[Change]:
    rows_then = _rows_then(LegalBasis.history, entry_pk, since).values()
    then = {(r.paragraph_id, r.stated_in_source) for r in rows_then}
    now = set(
        LegalBasis.objects.filter(intervention_id=entry_pk).values_list(
            "paragraph_id", "stated_in_source"
        )
    )
    if then == now:
        return []
    paragraphs = LegalParagraph.objects.select_related("law").in_bulk(
        {pk for pk, _stated in then | now}
    )

    def text(rows) -> str:
        return _listed(
            paragraphs[pk].label
            if stated
            else _("%(label)s (tilføjet af en redaktør)") % {"label": paragraphs[pk].label}
            for pk, stated in rows
            if pk in paragraphs
        )

    return [Change(capfirst(LegalBasis._meta.verbose_name), text(then), text(now))]
