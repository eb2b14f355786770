"""The living catalogue's records: confirmation requests, the messages sent for them, proposals.

Imported at the end of `interventions.models`, so they belong to the `interventions` app.

`Proposal.changes` is the one format every part agrees on: a dict from a key of
`CORRECTABLE_FIELDS` (or `SUGGESTION_FIELDS` for a suggested intervention) to the proposed value,
holding only what differs from the entry as it stood when the proposal was made:
- "status": a `Status` value; "period_start"/"period_end"/"budget_dkk": an int or None;
- "budget_kind": a `BudgetKind` value or "";
- "budget_note", "summary" and the text sections (the field names of `TEXT_SECTIONS`): text;
- "contact_name"/"contact_email"/"contact_phone": text, for the entry's first contact person;
- "served_municipalities"/"municipalities": a sorted list of municipality slugs.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from interventions.models import TEXT_SECTIONS, Intervention

# What an owner can correct through the link (item 1 of issue #19), in the order of the form.
CORRECTABLE_FIELDS: tuple[str, ...] = (
    "status",
    "period_start",
    "period_end",
    "contact_name",
    "contact_email",
    "contact_phone",
    "budget_dkk",
    "budget_note",
    "budget_kind",
    "summary",
    *(section.field for section in TEXT_SECTIONS),
    "served_municipalities",
)
# The essentials of a suggested intervention; accepted, they become a draft entry.
SUGGESTION_FIELDS: tuple[str, ...] = (
    "title",
    "organisation",
    "municipalities",
    "summary",
    "period_start",
    "contact_name",
    "contact_email",
    "contact_phone",
)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Afventer svar")
    CONFIRMED = "confirmed", _("Bekræftet af ejeren")
    CORRECTED = "corrected", _("Ejeren har foreslået rettelser")
    NO_ANSWER = "no_answer", _("Ejeren svarede ikke")


class ConfirmationRequest(models.Model):
    """An editor asked the entry's owner to confirm it: one signed, expiring, single-use link.

    The link carries the id and the random nonce, signed with a timestamp (`django.core.signing`);
    the nonce makes it unguessable even to someone who knows the id, and the status makes it
    single-use. Sent by e-mail when the owner's address is known, otherwise shown to the editor.
    """

    Status = RequestStatus

    intervention = models.ForeignKey(
        Intervention,
        on_delete=models.CASCADE,
        related_name="confirmation_requests",
        verbose_name=_("indsats"),
    )
    nonce = models.CharField(max_length=32, unique=True, default=new_nonce, editable=False)
    recipient_name = models.CharField(_("modtager"), max_length=250, blank=True)
    recipient_email = models.EmailField(
        _("modtagerens e-mail"),
        blank=True,
        help_text=_("Tom: linket vises for redaktøren, som sender det på anden vis."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bedt om af"),
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    expires_at = models.DateTimeField(_("udløber"))
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus, default=RequestStatus.PENDING
    )
    answered_at = models.DateTimeField(_("besvaret"), null=True, blank=True)
    answered_by = models.CharField(
        _("besvaret af"), max_length=250, blank=True, help_text=_("Som ejeren selv skrev det.")
    )
    reminders_sent = models.PositiveSmallIntegerField(_("påmindelser sendt"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values),
                name="confirmation_request_status_valid",
            ),
        ]
        verbose_name = _("anmodning om bekræftelse")
        verbose_name_plural = _("anmodninger om bekræftelse")

    def __str__(self) -> str:
        return f"{self.intervention} ({self.created_at:%d.%m.%Y})" if self.created_at else ""


class MessageKind(models.TextChoices):
    REQUEST = "request", _("Anmodning")
    REMINDER = "reminder", _("Påmindelse")


class SentMessage(models.Model):
    """One e-mail sent (or tried) for a confirmation request: what went to whom, when, and whether
    the mail server took it. Editors see these beside the request."""

    Kind = MessageKind

    request = models.ForeignKey(
        ConfirmationRequest, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("art"), max_length=10, choices=MessageKind)
    recipient = models.EmailField(_("til"))
    subject = models.CharField(_("emne"), max_length=250)
    sent_at = models.DateTimeField(_("sendt"), auto_now_add=True)
    delivered = models.BooleanField(_("afleveret til mailserveren"), default=False)
    error = models.CharField(_("fejl"), max_length=500, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MessageKind.values), name="sent_message_kind_valid"
            ),
        ]
        verbose_name = _("sendt besked")
        verbose_name_plural = _("sendte beskeder")

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"


class ProposalKind(models.TextChoices):
    CORRECTION = "correction", _("Rettelse fra ejeren")
    ERROR_REPORT = "error_report", _("Fejlmelding")
    SUGGESTION = "suggestion", _("Forslag til ny indsats")


class ProposalStatus(models.TextChoices):
    NEW = "new", _("Ny")
    IN_PROGRESS = "in_progress", _("Under behandling")
    ACCEPTED = "accepted", _("Godkendt")
    REJECTED = "rejected", _("Afvist")


class Proposal(models.Model):
    """A correction from an owner's link, an error report or a suggested intervention, waiting
    for an editor. Never shown publicly; applied only by an editor's decision.

    The entry's slug and title are copied when the proposal is made, so a proposal for an entry
    deleted meanwhile is kept and flagged (`entry_deleted`), not lost.
    """

    Kind = ProposalKind
    Status = ProposalStatus

    kind = models.CharField(_("art"), max_length=15, choices=ProposalKind)
    status = models.CharField(
        _("status"), max_length=12, choices=ProposalStatus, default=ProposalStatus.NEW
    )
    intervention = models.ForeignKey(
        Intervention,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("indsats"),
    )
    intervention_slug = models.CharField(_("indsatsens slug"), max_length=120, blank=True)
    intervention_title = models.CharField(_("indsatsens titel"), max_length=250, blank=True)
    request = models.ForeignKey(
        ConfirmationRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("anmodning"),
    )
    changes = models.JSONField(_("foreslåede ændringer"), default=dict, blank=True)
    message = models.TextField(_("besked"), blank=True)
    submitter_name = models.CharField(_("indsenderens navn"), max_length=200, blank=True)
    submitter_email = models.EmailField(_("indsenderens e-mail"), blank=True)
    submitted_at = models.DateTimeField(_("indsendt"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("afgjort af"),
    )
    decided_at = models.DateTimeField(_("afgjort"), null=True, blank=True)
    decision_reason = models.TextField(_("begrundelse"), blank=True)
    accepted_fields = models.JSONField(_("godkendte felter"), default=list, blank=True)
    draft = models.ForeignKey(
        Intervention,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oprettet som kladde"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        permissions = [("decide_proposal", _("Kan godkende og afvise forslag"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProposalKind.values), name="proposal_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values), name="proposal_status_valid"
            ),
        ]
        verbose_name = _("forslag")
        verbose_name_plural = _("forslag og fejlmeldinger")

    def __str__(self) -> str:
        about = self.intervention_title or self.changes.get("title", "")
        return f"{self.get_kind_display()}: {about}" if about else str(self.get_kind_display())

    def save(self, *args, **kwargs):
        if self.intervention_id and not self.intervention_slug:
            self.intervention_slug = self.intervention.slug
            self.intervention_title = self.intervention.title
        super().save(*args, **kwargs)

    @property
    def entry_deleted(self) -> bool:
        """The entry this proposal is about no longer exists."""
        return self.kind != ProposalKind.SUGGESTION and self.intervention_id is None

    @property
    def is_open(self) -> bool:
        return self.status in (ProposalStatus.NEW, ProposalStatus.IN_PROGRESS)
