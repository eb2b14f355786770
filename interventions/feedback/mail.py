"""E-mail to an entry's owner, from Danish templates, each message recorded (ADR 0015).

One message per request (and one per reminder). Whatever the mail server says is recorded as a
`SentMessage`: delivered, or the error it gave. A failure is never raised to the caller: the
editor is told and sees it beside the request; the request and its link stand, so the editor can
send the link another way.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from interventions.feedback.models import ConfirmationRequest, MessageKind, SentMessage

logger = logging.getLogger(__name__)

TEMPLATES = {
    MessageKind.REQUEST: "feedback/email/request",
    MessageKind.REMINDER: "feedback/email/reminder",
}


def render_message(request: ConfirmationRequest, kind: str, link: str) -> tuple[str, str]:
    """The subject (one line) and plain-text body, always in Danish: the owners are Danish."""
    context = {
        "request": request,
        "intervention": request.intervention,
        "link": link,
        "expires_at": request.expires_at,
    }
    name = TEMPLATES[MessageKind(kind)]
    with translation.override("da"):
        subject = render_to_string(f"{name}_subject.txt", context)
        body = render_to_string(f"{name}_body.txt", context)
    return " ".join(subject.split())[:250], body


def send(request: ConfirmationRequest, kind: str, link: str) -> SentMessage:
    """Send one message to the request's recipient and record it; never raises for the mail
    server's failures."""
    subject, body = render_message(request, kind, link)
    message = SentMessage(
        request=request, kind=kind, recipient=request.recipient_email, subject=subject
    )
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [request.recipient_email]).send(
            fail_silently=False
        )
    except Exception as exc:  # any failure of the backend (socket, SMTP, TLS) is recorded
        logger.warning("Mail for confirmation request %s failed: %s", request.pk, exc)
        message.error = f"{type(exc).__name__}: {exc}"[:500]
    else:
        message.delivered = True
    message.save()
    return message
