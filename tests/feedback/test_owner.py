"""The owner's pages behind the link: confirm, correct, and the clear pages for links that no
longer work (used 410, expired 410, altered 400, unknown 404), never a 500."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from interventions.feedback.confirmations import ask_owner
from interventions.feedback.models import (
    ConfirmationRequest,
    Proposal,
    ProposalKind,
    RequestStatus,
)
from interventions.models import Confirmation, Freshness, Intervention, Municipality, today
from tests.factories import ContactFactory, InterventionFactory
from tests.feedback.conftest import BASE, path_of

pytestmark = pytest.mark.django_db


def correction_post(client, path, **changes):
    """The correction form as the browser posts it unchanged, with `changes` applied."""
    form = client.get(path).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if name == "served_municipalities":
            data[name] = list(value or [])
        else:
            data[name] = "" if value is None else value
    data.update(changes)
    return client.post(path, data)


def test_the_link_shows_the_entry_and_both_choices(client, asked):
    response = client.get(path_of(asked.link))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bostøtte til unge" in html and "Anne Ejer" in html
    assert "Oplysningerne er korrekte" in html and "Ret oplysningerne" in html
    assert "Mødedeltager" not in html  # a meeting participant is not the contact
    assert response["Cache-Control"] == "private, no-store"
    assert "noindex" in response["X-Robots-Tag"]


def test_confirming_records_a_link_confirmation_shown_on_the_page_and_in_the_api(client, asked):
    entry = asked.intervention
    response = client.post(path_of(asked.link), {"confirmed_by": "Anne Ejer, Testkommune"})
    assert response.status_code == 302
    confirmation = Confirmation.objects.get(intervention=entry)
    assert confirmation.method == Confirmation.Method.LINK
    assert confirmation.confirmed_on == today()
    assert confirmation.confirmed_by == "Anne Ejer, Testkommune"
    request = ConfirmationRequest.objects.get(pk=asked.request.pk)
    assert request.status == RequestStatus.CONFIRMED
    assert request.answered_by == "Anne Ejer, Testkommune" and request.answered_at
    entry.refresh_from_db()
    assert entry.last_confirmed_on == today() and entry.freshness == Freshness.CONFIRMED

    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "Tak for dit svar" in thanks.content.decode()
    page = client.get(entry.get_absolute_url()).content.decode()
    day = date_format(today(), "j. F Y")
    assert f"bekræftet af Anne Ejer, Testkommune den {day}" in page
    api = client.get(f"/api/interventions/{entry.slug}/").json()
    assert api["confirmed"] == today().isoformat()
    assert api["confirmations"][0] == {
        "confirmed_on": today().isoformat(),
        "confirmed_by": "Anne Ejer, Testkommune",
        "method": "link",
    }


def test_a_confirmation_reaches_cached_pages_at_once(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    """The page cache and the catalogue index are keyed by the catalogue version, which a new
    confirmation bumps once its transaction commits."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 600
    with django_capture_on_commit_callbacks(execute=True):
        entry = InterventionFactory(title="Cachet indsats")
        ContactFactory(intervention=entry, name="Anne Ejer", email="anne@example.dk")
        asked = ask_owner(entry, base_url=BASE)
    before = client.get(entry.get_absolute_url())
    assert "Aldrig bekræftet af ejeren" in before.content.decode()
    assert client.get(entry.get_absolute_url())["X-Cache"] == "hit"
    listed = client.get("/indsatser/", {"freshness": "confirmed"}).content.decode()
    assert "Cachet indsats" not in listed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path_of(asked.link), {"confirmed_by": "Anne Ejer"})
    after = client.get(entry.get_absolute_url())
    assert after["X-Cache"] == "miss" and "bekræftet af Anne Ejer" in after.content.decode()
    listed = client.get("/indsatser/", {"freshness": "confirmed"}).content.decode()
    assert "Cachet indsats" in listed


def test_a_confirmation_needs_a_name_shown_beside_the_field(client, asked):
    response = client.post(path_of(asked.link), {"confirmed_by": "   "})
    assert response.status_code == 400
    assert "Skriv dit navn og din organisation." in response.content.decode()
    assert not Confirmation.objects.filter(intervention=asked.intervention).exists()


def test_a_used_link_says_what_happened_and_when(client, asked):
    client.post(path_of(asked.link), {"confirmed_by": "Anne Ejer"})
    for method in ("get", "post"):
        response = getattr(client, method)(path_of(asked.link), {"confirmed_by": "Igen"})
        assert response.status_code == 410
        html = response.content.decode()
        assert "Linket er allerede brugt" in html
        assert "bekræftet af Anne Ejer den" in html
    assert Confirmation.objects.filter(intervention=asked.intervention).count() == 1
    correct = client.get(path_of(asked.link) + "ret/")
    assert correct.status_code == 410


def test_an_expired_link_says_to_ask_the_editors(client, asked):
    ConfirmationRequest.objects.filter(pk=asked.request.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    for path in (path_of(asked.link), path_of(asked.link) + "ret/"):
        response = client.get(path)
        assert response.status_code == 410
        assert "Linket er udløbet" in response.content.decode()
        assert "Skriv til redaktionen" in response.content.decode()
    assert client.post(path_of(asked.link), {"confirmed_by": "x"}).status_code == 410


@pytest.mark.parametrize(
    "mangle, status",
    [
        (lambda p: p[:-5] + "AAAA/", 400),
        (lambda p: p.replace("/bekraeft/", "/bekraeft/x"), 400),
        (lambda p: "/bekraeft/%00%ff<script>/", 400),
    ],
)
def test_an_altered_link_gets_a_danish_page(client, asked, mangle, status):
    for suffix in ("", "ret/", "tak/"):
        response = client.get(mangle(path_of(asked.link)) + suffix)
        assert response.status_code == status
        assert "Linket virker ikke" in response.content.decode()


def test_a_link_whose_request_is_gone_is_not_found(client, asked):
    ConfirmationRequest.objects.filter(pk=asked.request.pk).delete()
    response = client.get(path_of(asked.link))
    assert response.status_code == 404
    assert "Linket virker ikke" in response.content.decode()


def test_thanks_before_an_answer_goes_back_to_the_link(client, asked):
    response = client.get(path_of(asked.link) + "tak/")
    assert response.status_code == 302 and response["Location"] == path_of(asked.link)


# --- Corrections ----------------------------------------------------------------------------------


def test_the_correction_form_is_prefilled_with_the_entry(client, asked):
    response = client.get(path_of(asked.link) + "ret/")
    assert response.status_code == 200
    form = response.context["form"]
    entry = asked.intervention
    assert form["summary"].value() == entry.summary
    assert form["contact_name"].value() == "Anne Ejer"
    assert form["submitter_email"].value() == "anne@example.dk"


def test_an_amount_must_say_what_kind_of_amount_it_is(client, asked):
    response = correction_post(
        client,
        path_of(asked.link) + "ret/",
        budget_dkk="780.000 kr.",
        budget_note="i alt",
        budget_kind="",
        submitter_name="Anne Ejer, Testkommune",
    )
    assert response.status_code == 400
    assert "Angiv beløbets art" in response.content.decode()
    assert not Proposal.objects.exists()


def test_only_changed_fields_become_the_proposal(client, asked):
    entry = asked.intervention
    herning = Municipality.objects.get(slug="herning")
    response = correction_post(
        client,
        path_of(asked.link) + "ret/",
        status="ended",
        contact_email="Ny.Ejer@Example.dk",
        budget_dkk="780.000 kr.",
        budget_note="i alt",
        budget_kind="period_total",
        served_municipalities=[herning.slug],
        message="Indsatsen sluttede i 2024.",
        submitter_name="Anne Ejer, Testkommune",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    proposal = Proposal.objects.get(request=asked.request)
    assert proposal.kind == ProposalKind.CORRECTION and proposal.intervention == entry
    assert proposal.changes == {
        "status": "ended",
        "contact_email": "ny.ejer@example.dk",
        "budget_dkk": 780000,
        "budget_note": "i alt",
        "budget_kind": "period_total",
        "served_municipalities": ["herning"],
    }
    assert proposal.message == "Indsatsen sluttede i 2024."
    assert proposal.submitter_name == "Anne Ejer, Testkommune"
    assert proposal.submitter_email == "anne@example.dk"
    request = ConfirmationRequest.objects.get(pk=asked.request.pk)
    assert request.status == RequestStatus.CORRECTED
    assert request.answered_by == "Anne Ejer, Testkommune"
    # Nothing is applied: the entry is as it was, and still unconfirmed.
    entry.refresh_from_db()
    assert entry.status != "ended" and entry.budget_dkk is None
    assert not Confirmation.objects.filter(intervention=entry).exists()
    assert "Dine rettelser" in client.get(response["Location"]).content.decode()


def test_an_unchanged_correction_is_refused_with_a_hint(client, asked):
    response = correction_post(client, path_of(asked.link) + "ret/", submitter_name="Anne")
    assert response.status_code == 400
    assert "Du har ikke ændret noget" in response.content.decode()
    assert not Proposal.objects.exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"period_start": "2020", "period_end": "2019"}, "slutår"),
        ({"period_start": "1200"}, "plausibelt årstal"),
        ({"period_start": "to tusind"}, "heltal"),
        ({"contact_phone": "123"}, "dansk telefonnummer"),
        ({"contact_email": "ikke en adresse"}, "e-mail"),
        ({"budget_dkk": "mange penge"}, "hele kroner"),
        ({"status": "lukket"}, "gyldig valgmulighed"),
        ({"summary": ""}, "Skriv et kort resumé"),
        ({"submitter_name": ""}, "Skriv dit navn"),
        ({"summary": "x" * 2001}, "2000 tegn"),
        ({"served_municipalities": ["atlantis"]}, "gyldig valgmulighed"),
        ({"contact_name": "", "contact_email": "a@example.dk"}, "kontaktpersonens navn"),
    ],
)
def test_bad_values_get_danish_messages_beside_the_field_and_400(client, asked, changes, message):
    response = correction_post(
        client, path_of(asked.link) + "ret/", **{"status": "ended", **changes}
    )
    assert response.status_code == 400
    assert message.lower() in response.content.decode().lower()
    assert not Proposal.objects.exists()
    assert ConfirmationRequest.objects.get(pk=asked.request.pk).status == RequestStatus.PENDING


def test_markup_in_a_correction_is_text(client, asked):
    response = correction_post(
        client,
        path_of(asked.link) + "ret/",
        summary="<script>alert(1)</script>",
        submitter_name="<b>Anne</b>",
        status="lukket",  # invalid, so the form is shown again with what was typed
    )
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>Anne</b>" not in html


def test_an_oversized_post_is_refused_with_a_danish_page(client, asked):
    response = client.post(
        path_of(asked.link) + "ret/", {"summary": "x" * 300_000, "submitter_name": "A"}
    )
    assert response.status_code == 413
    assert "For meget tekst" in response.content.decode()
    assert ConfirmationRequest.objects.get(pk=asked.request.pk).status == RequestStatus.PENDING


def test_the_owner_pages_are_in_english_under_en(client, asked):
    response = client.get("/en" + path_of(asked.link))
    assert response.status_code == 200


def test_a_request_is_never_a_confirmation(client, asked):
    entry = Intervention.objects.get(pk=asked.intervention.pk)
    assert entry.last_confirmed_on is None
    assert entry.freshness != Freshness.CONFIRMED
