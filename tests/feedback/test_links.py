"""Signed links: the right request, or why none (tampered, unknown, used, expired)."""

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from interventions.feedback import links
from interventions.feedback.links import LinkProblem
from interventions.feedback.models import ConfirmationRequest, RequestStatus

pytestmark = pytest.mark.django_db


def token_of(asked) -> str:
    return asked.link.rstrip("/").rsplit("/", 1)[1]


def test_a_fresh_link_opens_its_request(asked):
    link = links.resolve(token_of(asked))
    assert link.usable and link.request == asked.request


def test_the_link_holds_no_guessable_id_alone(asked):
    forged = signing.dumps({"r": asked.request.pk, "n": "guess"}, salt=links.SALT)
    assert links.resolve(forged).problem == LinkProblem.UNKNOWN


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature altered
        lambda t: t[: len(t) // 2],  # truncated (a wrapped line in an e-mail)
        lambda t: "x" + t,
        lambda t: "",
        lambda t: "ikke-et-token",
    ],
)
def test_an_altered_link_is_tampered(asked, mangle):
    assert links.resolve(mangle(token_of(asked))).problem == LinkProblem.TAMPERED


def test_a_link_signed_with_another_salt_is_tampered(asked):
    other = signing.dumps({"r": asked.request.pk, "n": asked.request.nonce}, salt="other")
    assert links.resolve(other).problem == LinkProblem.TAMPERED


def test_a_deleted_request_is_unknown(asked):
    token = token_of(asked)
    ConfirmationRequest.objects.filter(pk=asked.request.pk).delete()
    assert links.resolve(token).problem == LinkProblem.UNKNOWN


@pytest.mark.parametrize("status", [RequestStatus.CONFIRMED, RequestStatus.CORRECTED])
def test_an_answered_request_is_used(asked, status):
    ConfirmationRequest.objects.filter(pk=asked.request.pk).update(status=status)
    assert links.resolve(token_of(asked)).problem == LinkProblem.USED


def test_past_its_expiry_or_closed_the_link_has_expired(asked):
    token = token_of(asked)
    ConfirmationRequest.objects.filter(pk=asked.request.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert links.resolve(token).problem == LinkProblem.EXPIRED
    ConfirmationRequest.objects.filter(pk=asked.request.pk).update(
        expires_at=timezone.now() + timedelta(days=1), status=RequestStatus.NO_ANSWER
    )
    assert links.resolve(token).problem == LinkProblem.EXPIRED


def test_the_signature_expires_with_the_request_even_if_its_row_is_not_checked(asked, monkeypatch):
    token = token_of(asked)
    later = timezone.now() + timedelta(days=31)
    monkeypatch.setattr("django.core.signing.time.time", lambda: later.timestamp())
    # The row says the link still works (an editor extended it), the signature is older than
    # the span the request was given when made: refused.
    ConfirmationRequest.objects.filter(pk=asked.request.pk).update(
        expires_at=later + timedelta(days=1), created_at=later - timedelta(days=1)
    )
    assert links.resolve(token).problem == LinkProblem.EXPIRED
