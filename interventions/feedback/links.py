"""Signed links to a confirmation request (ADR 0015).

A link carries the request's id and its random nonce, signed with the secret key and a salt of
its own (`django.core.signing`, with a timestamp), so it cannot be guessed or altered: an id
alone, or an id with another request's nonce, opens nothing. The request's `expires_at` is the
link's expiry (the signature's timestamp is checked against the same span, so a link cannot
outlive it even if the row were edited), and the request's status makes the link single use.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from interventions.feedback.models import ConfirmationRequest, RequestStatus

SALT = "interventions.feedback.confirmation-link"


class LinkProblem(StrEnum):
    TAMPERED = "tampered"  # not a signature we made: altered, truncated or invented
    UNKNOWN = "unknown"  # signed, but no such request any more (deleted with its entry)
    USED = "used"  # answered already: confirmed or corrected
    EXPIRED = "expired"  # past its expiry, or closed without an answer


@dataclass(frozen=True)
class Link:
    request: ConfirmationRequest | None
    problem: LinkProblem | None = None

    @property
    def usable(self) -> bool:
        return self.problem is None


def token_for(request: ConfirmationRequest) -> str:
    return signing.dumps({"r": request.pk, "n": request.nonce}, salt=SALT, compress=False)


def path_for(request: ConfirmationRequest) -> str:
    return reverse("interventions:confirm", kwargs={"token": token_for(request)})


def url_for(request: ConfirmationRequest, base_url: str) -> str:
    """The absolute link, e.g. https://indsatskataloget.dk/bekraeft/…/"""
    return f"{base_url.rstrip('/')}{path_for(request)}"


def resolve(token: str, *, for_update: bool = False) -> Link:
    """What a token opens: the request, or why it opens nothing. Never raises for bad input."""
    try:
        payload = signing.loads(token, salt=SALT)
        pk, nonce = int(payload["r"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return Link(None, LinkProblem.TAMPERED)
    requests = ConfirmationRequest.objects.select_related("intervention__source")
    if for_update:
        requests = requests.select_for_update(of=("self",))
    request = requests.filter(pk=pk).first()
    if request is None or not secrets.compare_digest(request.nonce, nonce):
        return Link(None, LinkProblem.UNKNOWN)
    if request.status in (RequestStatus.CONFIRMED, RequestStatus.CORRECTED):
        return Link(request, LinkProblem.USED)
    if request.status == RequestStatus.NO_ANSWER or timezone.now() >= request.expires_at:
        return Link(request, LinkProblem.EXPIRED)
    try:  # the signature's own age, against the span the request was given
        signing.loads(token, salt=SALT, max_age=request.expires_at - request.created_at)
    except signing.SignatureExpired:
        return Link(request, LinkProblem.EXPIRED)
    return Link(request)
