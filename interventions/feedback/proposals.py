"""What an editor does with a proposal: see it beside the entry, accept chosen fields, reject.

- `current_values(entry)`: the entry's values in the format of `Proposal.changes`.
- `rows(proposal)`: the proposal field by field beside the entry's current values, each proposed
  value checked on its own (the problem is shown beside it and the row cannot be accepted).
- `accept(proposal, fields, user)`: the chosen fields in one transaction under the catalogue's
  write lock, validated with the models' `full_clean` first (nothing half-written); the entry's
  history record names the proposal; an owner's correction through a request also records a
  confirmation; a suggestion becomes an unpublished draft from the intake source.
- `reject(proposal, reason, user)` and `take_up(proposal, user)` ("Under behandling").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from interventions.changes import refresh_search_texts
from interventions.curation.intake import _danish_slug, _free_slug, _intake_source
from interventions.curation.load import catalogue_transaction
from interventions.feedback.models import (
    CORRECTABLE_FIELDS,
    SUGGESTION_FIELDS,
    Proposal,
    ProposalKind,
    ProposalStatus,
)
from interventions.models import (
    TEXT_SECTIONS,
    Confirmation,
    Contact,
    Intervention,
    Municipality,
    ServedMunicipality,
    Status,
    today,
)

CONTACT_KEYS = {"contact_name": "name", "contact_email": "email", "contact_phone": "phone"}
LIST_KEYS = frozenset({"served_municipalities", "municipalities"})
# The entry's own (scalar) fields among the keys.
ENTRY_KEYS = frozenset(
    {"title", "organisation", "summary", "status", "period_start", "period_end", "budget_dkk"}
    | {"budget_note", "budget_kind"}
    | {section.field for section in TEXT_SECTIONS}
)

LABELS: dict[str, Any] = {
    "title": _("titel"),
    "organisation": _("organisation"),
    "municipalities": _("kommuner"),
    "summary": _("resumé"),
    "status": _("status"),
    "period_start": _("startår"),
    "period_end": _("slutår"),
    "contact_name": _("kontaktperson"),
    "contact_email": _("kontaktpersonens e-mail"),
    "contact_phone": _("kontaktpersonens telefon"),
    "budget_dkk": _("budget (kr.)"),
    "budget_note": _("hvad beløbet dækker"),
    "budget_kind": _("beløbets art"),
    **{section.field: section.heading for section in TEXT_SECTIONS},
    "served_municipalities": _("betjente kommuner"),
}
SUGGESTION_REASON = "Forslag #{pk} godkendt som kladde: {fields}"
ACCEPT_REASON = "Forslag #{pk} godkendt: {fields}"


class ProposalError(Exception):
    """The proposal cannot be decided as asked; the message is for the editor (active language)."""


class ProposalInvalid(ProposalError):
    """Chosen values that the models refuse: `problems` maps a key to its messages."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(f"{label(key)}: {' '.join(msgs)}" for key, msgs in problems.items())
        )


def label(key: str) -> str:
    if key == NON_FIELD_ERRORS:
        return gettext("indsatsen")
    return str(LABELS.get(key, key))


def allowed_keys(proposal: Proposal) -> tuple[str, ...]:
    if proposal.kind == ProposalKind.SUGGESTION:
        return SUGGESTION_FIELDS
    return CORRECTABLE_FIELDS


# --- Current values ---------------------------------------------------------------------------


def _first_contact(entry: Intervention) -> Contact | None:
    return entry.contacts.filter(kind=Contact.Kind.CONTACT).order_by("order", "pk").first()


def current_values(entry: Intervention) -> dict[str, Any]:
    """The entry's values for every key of CORRECTABLE_FIELDS and SUGGESTION_FIELDS, in the
    format of `Proposal.changes` (the contact is the entry's first contact person)."""
    contact = _first_contact(entry)
    values: dict[str, Any] = {key: getattr(entry, key) for key in ENTRY_KEYS}
    for key, attribute in CONTACT_KEYS.items():
        values[key] = getattr(contact, attribute) if contact else ""
    values["served_municipalities"] = sorted(
        entry.served_municipalities.values_list("slug", flat=True)
    )
    values["municipalities"] = sorted(entry.municipalities.values_list("slug", flat=True))
    return values


def shown(key: str, value: Any) -> str:
    """A value as the editor reads it (plain text; templates escape it)."""
    if value is None or value == "" or value == []:
        return "—"
    if key == "status":
        return str(Status(value).label) if value in Status.values else str(value)
    if key == "budget_kind":
        kinds = Intervention.BudgetKind
        return str(kinds(value).label) if value in kinds.values else str(value)
    if key in LIST_KEYS and isinstance(value, list):
        names = dict(Municipality.objects.filter(slug__in=value).values_list("slug", "name"))
        return ", ".join(names.get(slug, str(slug)) for slug in value)
    return str(value)


# --- Validation -------------------------------------------------------------------------------


def _problems(error: ValidationError, mapping: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        found.setdefault(mapping.get(name, name), []).extend(messages)
    return found


def _candidate(proposal: Proposal, keys: list[str]) -> tuple[Intervention, Contact | None]:
    """The entry (or a new draft) and its contact with the chosen values set, not saved."""
    changes = proposal.changes
    if proposal.kind == ProposalKind.SUGGESTION:
        entry = Intervention(
            sector=Intervention.Sector.KOMMUNAL,
            is_published=False,
            locator="forslag",
            title="",
            organisation="",
            summary="",
        )
        contact = None
    else:
        entry = Intervention.objects.get(pk=proposal.intervention_id)
        contact = _first_contact(entry)
    for key in keys:
        if key in ENTRY_KEYS:
            setattr(entry, key, changes[key])
    if any(key in CONTACT_KEYS for key in keys):
        contact = contact or Contact(kind=Contact.Kind.CONTACT, order=0)
        for key in keys:
            if key in CONTACT_KEYS:
                setattr(contact, CONTACT_KEYS[key], changes[key] or "")
    return entry, contact


def problems(proposal: Proposal, keys: list[str]) -> dict[str, list[str]]:
    """Why the chosen keys cannot be applied together ({} when they can), from the models'
    `full_clean` and the municipalities known to the catalogue."""
    if proposal.kind != ProposalKind.SUGGESTION and proposal.entry_deleted:
        return {NON_FIELD_ERRORS: [gettext("Indsatsen er slettet.")]}
    found: dict[str, list[str]] = {}
    unknown = [key for key in keys if key not in allowed_keys(proposal)]
    for key in unknown:
        found[key] = [gettext("Feltet kan ikke rettes på denne måde.")]
    keys = [key for key in keys if key not in unknown and key in proposal.changes]
    entry, contact = _candidate(proposal, keys)
    try:
        # A draft gets its source and slug when it is created.
        entry.full_clean(exclude=["source", "slug"] if entry.pk is None else None)
    except ValidationError as exc:
        found.update(_problems(exc, {}))
    if contact is not None:
        try:
            contact.full_clean(exclude=["intervention"])
        except ValidationError as exc:
            found.update(_problems(exc, {v: k for k, v in CONTACT_KEYS.items()}))
    for key in keys:
        if key in LIST_KEYS:
            value = proposal.changes[key]
            slugs = value if isinstance(value, list) else []
            known = set(Municipality.objects.filter(slug__in=slugs).values_list("slug", flat=True))
            if not isinstance(value, list) or set(slugs) - known:
                found.setdefault(key, []).append(gettext("Ukendt kommune."))
    return found


# --- The editor's view ------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    label: str
    current: str
    proposed: str
    problems: list[str] = field(default_factory=list)
    changed: bool = True

    @property
    def acceptable(self) -> bool:
        return not self.problems and self.changed


def rows(proposal: Proposal) -> list[Row]:
    """The proposal field by field: current value, proposed value, problems of the value alone."""
    entry = None if proposal.entry_deleted else proposal.intervention
    current = current_values(entry) if entry is not None else {}
    # All proposed values checked together, each problem beside its field: a suggestion's title
    # alone is no valid entry, and two periods are only wrong together.
    keys = [key for key in allowed_keys(proposal) if key in proposal.changes]
    found = problems(proposal, keys) if proposal.is_open else {}
    result = []
    for key in allowed_keys(proposal):
        if key not in proposal.changes:
            continue
        value = proposal.changes[key]
        row = Row(
            key=key,
            label=label(key),
            current=shown(key, current.get(key)) if entry is not None else "—",
            proposed=shown(key, value),
        )
        if entry is not None and key in current:
            row.changed = current[key] != value
        row.problems = list(found.get(key, []))
        result.append(row)
    for key in proposal.changes:
        if key not in allowed_keys(proposal):
            result.append(
                Row(
                    key, str(key), "—", shown(key, proposal.changes[key]), [gettext("Ukendt felt.")]
                )
            )
    return result


def general_problems(proposal: Proposal) -> list[str]:
    """Problems of the proposed values that belong to no single row (shown above the table)."""
    if not proposal.is_open:
        return []
    keys = [key for key in allowed_keys(proposal) if key in proposal.changes]
    shown_keys = set(keys)
    return [
        f"{label(key)}: {message}" if key != NON_FIELD_ERRORS else message
        for key, messages in problems(proposal, keys).items()
        if key not in shown_keys
        for message in messages
    ]


# --- Decisions --------------------------------------------------------------------------------


def _locked_open(proposal: Proposal) -> Proposal:
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not locked.is_open:
        raise ProposalError(gettext("Forslaget er allerede afgjort."))
    return locked


def _decided(proposal: Proposal, status: str, user, **values) -> None:
    proposal.status = status
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    for name, value in values.items():
        setattr(proposal, name, value)
    proposal._history_user = user
    proposal.save()


def accept(proposal: Proposal, fields: list[str], user) -> Proposal:
    """Apply the chosen fields (keys of `proposal.changes`) in one transaction; ProposalError
    (nothing written) when the proposal is decided, its entry deleted or a value invalid."""
    with catalogue_transaction():
        locked = _locked_open(proposal)
        keys = [key for key in allowed_keys(locked) if key in fields]
        if not keys:
            raise ProposalError(gettext("Vælg mindst ét felt at anvende."))
        if locked.entry_deleted:
            raise ProposalError(gettext("Indsatsen er slettet; forslaget kan ikke anvendes."))
        found = problems(locked, keys)
        if found:
            raise ProposalInvalid(found)
        if locked.kind == ProposalKind.SUGGESTION:
            draft = _create_draft(locked, keys, user)
            _decided(locked, ProposalStatus.ACCEPTED, user, accepted_fields=keys, draft=draft)
        else:
            _apply(locked, keys, user)
            _decided(locked, ProposalStatus.ACCEPTED, user, accepted_fields=keys)
    proposal.refresh_from_db()
    return proposal


# simple-history's change reason column holds 100 characters; the proposal keeps the full list.
REASON_LENGTH = 100


def _reason(template: str, proposal: Proposal, keys: list[str], limit: int = REASON_LENGTH) -> str:
    with translation.override("da"):
        text = template.format(pk=proposal.pk, fields=", ".join(label(key) for key in keys))
    return text if len(text) <= limit else text[: limit - 1].rstrip(", ") + "…"


def _apply(proposal: Proposal, keys: list[str], user) -> None:
    entry, contact = _candidate(proposal, keys)
    entry._history_user = user
    entry._change_reason = _reason(ACCEPT_REASON, proposal, keys)
    entry.save()
    if contact is not None and any(key in CONTACT_KEYS for key in keys):
        contact.intervention = entry
        contact._history_user = user
        contact.save()
    if "served_municipalities" in keys:
        _set_served(entry, proposal.changes["served_municipalities"], user)
    request = proposal.request
    if proposal.kind == ProposalKind.CORRECTION and request is not None:
        answered = request.answered_at or proposal.submitted_at
        confirmation = Confirmation(
            intervention=entry,
            confirmed_on=timezone.localdate(answered),
            confirmed_by=(request.answered_by or request.recipient_name or entry.organisation)[
                :250
            ],
            method=Confirmation.Method.LINK,
            note=_reason("Rettelser i forslag #{pk} godkendt: {fields}", proposal, keys, 2000),
            recorded_by=user,
        )
        confirmation._history_user = user
        confirmation.save()


def _set_served(entry: Intervention, slugs: list[str], user) -> None:
    wanted = set(slugs)
    for row in entry.served.select_related("municipality"):
        if row.municipality.slug not in wanted:
            row._history_user = user
            row.delete()
        wanted.discard(row.municipality.slug)
    for municipality in Municipality.objects.filter(slug__in=wanted):
        # The owner said so: not the source's statement, an editor's accepted judgement.
        ServedMunicipality.objects.create(
            intervention=entry, municipality=municipality, basis=ServedMunicipality.Basis.EDITORS
        )


def _create_draft(proposal: Proposal, keys: list[str], user) -> Intervention:
    entry, contact = _candidate(proposal, keys)
    entry.source = _intake_source()
    entry.slug = _free_slug(_danish_slug(f"{entry.title} {entry.organisation}"))
    entry.locator = f"Forslag #{proposal.pk} fra {today():%d.%m.%Y}"
    entry.reviewed_on = None
    # As the intake does: the history record is written once the links are set, so it holds them.
    entry.skip_history_when_saving = True
    entry.save()
    if "municipalities" in keys:
        chosen = proposal.changes["municipalities"]
        entry.municipalities.set(Municipality.objects.filter(slug__in=chosen))
    if contact is not None:
        contact.intervention = entry
        contact._history_user = user
        contact.save()
    del entry.skip_history_when_saving
    entry._history_user = user
    entry._change_reason = _reason(SUGGESTION_REASON, proposal, keys)
    post_save.send(sender=Intervention, instance=entry, created=True, update_fields=None, raw=False)
    refresh_search_texts(entry)
    return entry


def reject(proposal: Proposal, reason: str, user) -> Proposal:
    reason = reason.strip()
    if not reason:
        raise ProposalError(gettext("Skriv en begrundelse for afvisningen."))
    with transaction.atomic():
        locked = _locked_open(proposal)
        _decided(locked, ProposalStatus.REJECTED, user, decision_reason=reason)
    proposal.refresh_from_db()
    return proposal


def take_up(proposal: Proposal, user) -> Proposal:
    """Mark the proposal "Under behandling" (in progress)."""
    with transaction.atomic():
        locked = _locked_open(proposal)
        locked.status = ProposalStatus.IN_PROGRESS
        locked._history_user = user
        locked.save(update_fields=["status"])
    proposal.refresh_from_db()
    return proposal


def acknowledge(proposal: Proposal, user, note: str = "") -> Proposal:
    """Accept an error report that proposes no values: the editor corrected the entry by hand."""
    with transaction.atomic():
        locked = _locked_open(proposal)
        if locked.changes:
            raise ProposalError(gettext("Vælg de felter der skal anvendes."))
        _decided(locked, ProposalStatus.ACCEPTED, user, decision_reason=note.strip())
    proposal.refresh_from_db()
    return proposal
