"""The editors' side: the action on the entries' list, the request's page with its messages."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages

from interventions.feedback.models import ConfirmationRequest
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        "redaktor", "r@example.dk", "x" * 14, is_staff=True
    )
    user.groups.add(Group.objects.get(name="Redaktør"))
    client.force_login(user)
    return client


def act(client, *entries):
    return client.post(
        "/admin/interventions/intervention/",
        {"action": "request_confirmation", "_selected_action": [e.pk for e in entries]},
        follow=True,
    )


def test_the_action_mails_one_owner_and_shows_the_link_for_another(
    editor_client, entry, mailoutbox
):
    no_address = InterventionFactory(title="Uden adresse")
    response = act(editor_client, entry, no_address)
    texts = [str(m) for m in get_messages(response.wsgi_request)] or [
        str(m) for m in response.context["messages"]
    ]
    assert any("anmodning sendt til anne@example.dk" in t for t in texts)
    assert any("Uden adresse" in t and "/bekraeft/" in t for t in texts)
    assert len(mailoutbox) == 1
    requests = ConfirmationRequest.objects.filter(intervention__in=[entry, no_address])
    assert requests.count() == 2 and {r.requested_by.username for r in requests} == {"redaktor"}
    again = act(editor_client, entry)
    assert "ikke spurgt igen" in again.content.decode()
    assert ConfirmationRequest.objects.filter(intervention=entry).count() == 1


def test_a_reader_has_no_such_action(client, django_user_model, entry):
    reader = django_user_model.objects.create_user(
        "laeser", "l@example.dk", "x" * 14, is_staff=True
    )
    reader.groups.add(Group.objects.get(name="Læser"))
    client.force_login(reader)
    page = client.get("/admin/interventions/intervention/").content.decode()
    assert "request_confirmation" not in page
    act(client, entry)
    assert not ConfirmationRequest.objects.exists()


def test_the_request_page_shows_the_messages_and_the_link(editor_client, asked):
    listing = editor_client.get("/admin/interventions/confirmationrequest/", {"status": "pending"})
    assert listing.status_code == 200 and "Bostøtte til unge" in listing.content.decode()
    page = editor_client.get(f"/admin/interventions/confirmationrequest/{asked.request.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    payload = asked.link.split("/bekraeft/")[1].split(":")[0]  # the signature carries a time
    assert f"http://testserver/bekraeft/{payload}:" in html
    assert "Er oplysningerne om" in html  # the message sent, with its subject
