"""Asking owners to confirm their entry, and what their answers record (ADR 0015).

Writes that span several models (a request and its message; a confirmation and the request it
answers; a proposal and the request), in one place, for the admin action, the commands and the
link views alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from interventions.feedback import links, mail, proposals
from interventions.feedback.models import (
    CORRECTABLE_FIELDS,
    ConfirmationRequest,
    MessageKind,
    Proposal,
    ProposalKind,
    RequestStatus,
    SentMessage,
)
from interventions.models import (
    Confirmation,
    ConfirmationMethod,
    Contact,
    ContactKind,
    Intervention,
    today,
)

# --- Who is asked --------------------------------------------------------------------------------


def owner_contact(intervention: Intervention) -> Contact | None:
    """The person to ask: the first contact person (never a meeting participant) with an e-mail
    address, else the first contact person at all (whose link the editor sends another way)."""
    people = [c for c in intervention.contacts.all() if c.kind == ContactKind.CONTACT]
    return next((c for c in people if c.email), people[0] if people else None)


def open_request(intervention: Intervention) -> ConfirmationRequest | None:
    """A request still waiting for the owner, whose link still works."""
    return (
        intervention.confirmation_requests.filter(
            status=RequestStatus.PENDING, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )


@dataclass
class Asked:
    """What asking an entry's owner came to: a new request (sent by e-mail, or with the link for
    the editor to send), or none because one is already waiting."""

    intervention: Intervention
    request: ConfirmationRequest | None = None
    link: str = ""
    message: SentMessage | None = None
    already_waiting: ConfirmationRequest | None = None

    @property
    def mailed(self) -> bool:
        return self.message is not None and self.message.delivered


def ask_owner(
    intervention: Intervention,
    *,
    base_url: str,
    requested_by=None,
    days_valid: int | None = None,
    send_mail: bool = True,
) -> Asked:
    """Create one confirmation request for the entry and e-mail its link to the owner when an
    address is known; an entry with a request still waiting is not asked twice."""
    waiting = open_request(intervention)
    if waiting is not None:
        return Asked(intervention, already_waiting=waiting)
    contact = owner_contact(intervention)
    days = days_valid or settings.CONFIRMATION_LINK_DAYS
    request = ConfirmationRequest.objects.create(
        intervention=intervention,
        recipient_name=contact.name if contact else "",
        recipient_email=contact.email if contact else "",
        requested_by=requested_by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    asked = Asked(intervention, request=request, link=links.url_for(request, base_url))
    if request.recipient_email and send_mail:
        asked.message = mail.send(request, MessageKind.REQUEST, asked.link)
    return asked


# --- The owner's answers -------------------------------------------------------------------------


def confirm(request: ConfirmationRequest, *, by: str) -> Confirmation:
    """The owner says the entry is correct: a confirmation by link, dated today, shown as
    "Bekræftet af <by>"; the request is answered."""
    with transaction.atomic():
        confirmation = Confirmation(
            intervention=request.intervention,
            confirmed_on=today(),
            confirmed_by=by,
            method=ConfirmationMethod.LINK,
            note=f"Bekræftet via link (anmodning nr. {request.pk}).",
        )
        confirmation._change_reason = "Bekræftet af ejeren via link"
        confirmation.save()
        _answered(request, RequestStatus.CONFIRMED, by)
    return confirmation


def correct(
    request: ConfirmationRequest, *, changes: dict, message: str, name: str, email: str
) -> Proposal:
    """The owner proposes corrections: a proposal for the editors, never applied here."""
    with transaction.atomic():
        proposal = Proposal.objects.create(
            kind=ProposalKind.CORRECTION,
            intervention=request.intervention,
            request=request,
            changes=changes,
            message=message,
            submitter_name=name,
            submitter_email=email,
        )
        _answered(request, RequestStatus.CORRECTED, name)
    return proposal


def _answered(request: ConfirmationRequest, status: str, by: str) -> None:
    request.status = status
    request.answered_at = timezone.now()
    request.answered_by = by
    request._change_reason = str(RequestStatus(status).label)
    request.save(update_fields=["status", "answered_at", "answered_by"])


def current_values(intervention: Intervention) -> dict:
    """The entry's values under the keys of `CORRECTABLE_FIELDS`, in the `Proposal.changes`
    format: what the owner's correction form starts from (the editors' queue compares with the
    same values)."""
    values = proposals.current_values(intervention)
    return {key: values[key] for key in CORRECTABLE_FIELDS}


def changed_values(intervention: Intervention, proposed: dict) -> dict:
    """Only what differs from the entry as it stands."""
    current = current_values(intervention)

    def same(a, b) -> bool:
        if isinstance(a, str) and isinstance(b, str):
            return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()
        return a == b

    return {key: value for key, value in proposed.items() if not same(current.get(key), value)}


# --- Follow-up -----------------------------------------------------------------------------------


def unanswered(after_days: int, *, now=None):
    """Requests still waiting after `after_days` days."""
    now = now or timezone.now()
    return ConfirmationRequest.objects.filter(
        status=RequestStatus.PENDING, created_at__lte=now - timedelta(days=after_days)
    ).select_related("intervention")


def last_sent(request: ConfirmationRequest):
    return max((m.sent_at for m in request.messages.all()), default=request.created_at)


def remind(request: ConfirmationRequest, *, base_url: str) -> SentMessage:
    """Send a reminder with a fresh link to the same request (its expiry unchanged)."""
    message = mail.send(request, MessageKind.REMINDER, links.url_for(request, base_url))
    request.reminders_sent += 1
    request._change_reason = "Påmindelse sendt"
    request.save(update_fields=["reminders_sent"])
    return message


def give_up(request: ConfirmationRequest) -> None:
    """The owner did not answer in time: the request is closed as NO_ANSWER (its link stops
    working). Never a confirmation: the entry stays as unconfirmed as it was."""
    request.status = RequestStatus.NO_ANSWER
    request._change_reason = "Ejeren svarede ikke"
    request.save(update_fields=["status"])


def unanswered_request(intervention: Intervention) -> ConfirmationRequest | None:
    """The latest request the owner left unanswered (closed as NO_ANSWER) since the entry was
    last confirmed: what the entry's page and the API say honestly."""
    requests = intervention.confirmation_requests.filter(status=RequestStatus.NO_ANSWER)
    if intervention.last_confirmed_on:
        requests = requests.filter(created_at__date__gt=intervention.last_confirmed_on)
    return requests.order_by("-created_at").first()


def describe_asked(asked: Asked) -> tuple[int, str]:
    """What the editor is told about one entry (a message level and the text, in the active
    language): sent to whom, the link to send another way, a mail failure, or asked already."""
    title = asked.intervention.title
    if asked.already_waiting is not None:
        waiting = asked.already_waiting
        return messages.WARNING, _(
            "%(title)s: ikke spurgt igen; ejeren blev spurgt den %(date)s, og linket virker "
            "til den %(expires)s."
        ) % {
            "title": title,
            "date": date_format(timezone.localtime(waiting.created_at), "j. F Y"),
            "expires": date_format(timezone.localtime(waiting.expires_at), "j. F Y"),
        }
    request = asked.request
    if asked.message is None:
        return messages.WARNING, _(
            "%(title)s: ingen e-mailadresse på en kontaktperson. Send selv dette link til "
            "ejeren: %(link)s"
        ) % {"title": title, "link": asked.link}
    if not asked.mailed:
        return messages.ERROR, _(
            "%(title)s: e-mailen til %(email)s kunne ikke sendes (%(error)s). Send selv dette "
            "link til ejeren: %(link)s"
        ) % {
            "title": title,
            "email": request.recipient_email,
            "error": asked.message.error,
            "link": asked.link,
        }
    return messages.SUCCESS, _("%(title)s: anmodning sendt til %(email)s.") % {
        "title": title,
        "email": request.recipient_email,
    }
