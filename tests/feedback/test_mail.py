"""E-mail: one Danish message per request with the link, every message recorded; a mail server
failure is recorded, never raised. EMAIL_URL is read as documented."""

import smtplib

import pytest
from django.core.exceptions import ImproperlyConfigured

from catalogue.settings import email_config
from interventions.feedback.confirmations import ask_owner
from interventions.feedback.models import SentMessage
from tests.factories import InterventionFactory
from tests.feedback.conftest import BASE

pytestmark = pytest.mark.django_db


def test_one_danish_message_per_request_holds_the_link(asked, mailoutbox):
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["anne@example.dk"]
    assert message.subject == 'Er oplysningerne om "Bostøtte til unge" stadig korrekte?'
    assert "Kære Anne Ejer" in message.body and asked.link in message.body
    assert "&" not in message.body.replace(asked.link, "")  # plain text, nothing escaped
    sent = SentMessage.objects.get(request=asked.request)
    assert sent.delivered and sent.error == "" and sent.kind == "request"
    assert sent.recipient == "anne@example.dk" and sent.subject == message.subject


def test_no_address_means_no_message_and_a_link_for_the_editor(mailoutbox):
    asked = ask_owner(InterventionFactory(), base_url=BASE)
    assert mailoutbox == [] and asked.message is None
    assert asked.link.startswith(f"{BASE}/bekraeft/")
    assert not SentMessage.objects.exists()


def test_a_mail_server_failure_is_recorded_not_raised(entry, mailoutbox, monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"anne@example.dk": (550, b"No such user")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    asked = ask_owner(entry, base_url=BASE)
    assert asked.request is not None and not asked.mailed
    sent = SentMessage.objects.get(request=asked.request)
    assert not sent.delivered and "SMTPRecipientsRefused" in sent.error


def test_markup_in_a_title_stays_as_typed_in_plain_text(mailoutbox):
    from tests.factories import ContactFactory

    entry = InterventionFactory(title="Unge & <voksne>")
    ContactFactory(intervention=entry)
    ask_owner(entry, base_url=BASE)
    assert 'indsatsen "Unge & <voksne>"' in mailoutbox[0].body


@pytest.mark.parametrize(
    "url, expected",
    [
        ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ("locmem://", {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}),
        (
            "smtp://user%40x.dk:p%3Ass@mail.example.dk:587?tls=1",
            {
                "EMAIL_HOST": "mail.example.dk",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "user@x.dk",
                "EMAIL_HOST_PASSWORD": "p:ss",
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
            },
        ),
        ("smtps://mail.example.dk", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
        ("smtp://localhost", {"EMAIL_PORT": 25, "EMAIL_USE_TLS": False}),
    ],
)
def test_email_url_is_read(url, expected):
    config = email_config(url)
    assert {key: config[key] for key in expected} == expected


@pytest.mark.parametrize(
    "url",
    ["http://mail.example.dk", "smtp://", "smtp://h?tls=maybe", "smtp://h?tls=1&ssl=1", "x"],
)
def test_a_malformed_email_url_stops_start_up(url):
    with pytest.raises(ImproperlyConfigured):
        email_config(url)
