"""The public forms: "Ret en fejl" on every entry and "Foreslå en indsats", without login."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from interventions.feedback.models import Proposal
from interventions.models import Intervention

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def entry() -> Intervention:
    return Intervention.objects.published().order_by("slug").first()


def report_url(entry) -> str:
    return reverse("interventions:report_error", args=[entry.slug])


SUGGESTION = {
    "title": "Gå-hold for ensomme ældre",
    "organisation": "Testrup Kommune, Ældreområdet",
    "municipalities": ["aarhus", "horsens"],
    "summary": "Ugentlige gåture for ældre der bor alene.",
    "period_start": "2024",
    "contact_name": "Hanne Hansen",
    "contact_email": "Hanne.Hansen@Example.dk",
    "contact_phone": "76 29 00 00",
    "message": "Vi vil gerne med i kataloget.",
    "submitter_name": "Hanne",
    "submitter_email": "",
    "hjemmeside": "",
}


def test_every_published_entry_links_to_its_error_form(client, entry):
    page = client.get(entry.get_absolute_url()).content.decode()
    assert report_url(entry) in page
    assert (
        reverse("interventions:suggest")
        in client.get(reverse("interventions:about")).content.decode()
    )
    assert (
        reverse("interventions:suggest")
        in client.get(reverse("interventions:list")).content.decode()
    )


def test_the_error_form_is_danish_with_csrf_and_a_hidden_honeypot(client, entry):
    response = client.get(report_url(entry))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Hvad er forkert?" in page
    assert "csrfmiddlewaretoken" in page
    assert "<div hidden>" in page and 'name="hjemmeside"' in page
    assert "no-store" in response["Cache-Control"]


def test_an_error_report_is_stored_for_the_editors_and_redirects_to_thanks(client, entry):
    response = client.post(
        report_url(entry),
        {"message": "Telefonnummeret er forkert.", "submitter_email": "Ole@Example.dk"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("interventions:report_error_thanks", args=[entry.slug])
    proposal = Proposal.objects.get()
    assert proposal.kind == Proposal.Kind.ERROR_REPORT
    assert proposal.status == Proposal.Status.NEW
    assert proposal.intervention == entry and proposal.intervention_slug == entry.slug
    assert proposal.message == "Telefonnummeret er forkert."
    assert proposal.submitter_email == "ole@example.dk"
    assert proposal.changes == {}
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "Tak for din henvendelse" in thanks.content.decode()
    # Nothing changes publicly.
    assert (
        "Telefonnummeret er forkert." not in client.get(entry.get_absolute_url()).content.decode()
    )


def test_an_empty_or_too_long_report_gets_the_form_again_with_danish_messages(client, entry):
    response = client.post(report_url(entry), {"message": "", "submitter_email": "ikke-en-adresse"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Dette felt er påkrævet." in page
    assert "Angiv en gyldig e-mailadresse." in page
    assert 'aria-invalid="true"' in page
    response = client.post(report_url(entry), {"message": "x" * 4001})
    assert response.status_code == 400
    assert "højst have 4000 tegn" in response.content.decode()
    assert not Proposal.objects.exists()


def test_a_filled_honeypot_gets_the_same_thanks_and_stores_nothing(client, entry):
    response = client.post(
        report_url(entry), {"message": "Køb billigt", "hjemmeside": "spam.example"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("interventions:report_error_thanks", args=[entry.slug])
    response = client.post(reverse("interventions:suggest"), {**SUGGESTION, "hjemmeside": "x"})
    assert response.status_code == 302
    assert not Proposal.objects.exists()


def test_a_report_for_a_draft_or_a_missing_entry_is_404(client, entry):
    assert client.get("/indsatser/findes-ikke/ret-en-fejl/").status_code == 404
    assert client.post("/indsatser/findes-ikke/ret-en-fejl/", {"message": "x"}).status_code == 404
    Intervention.objects.filter(pk=entry.pk).update(is_published=False)
    assert client.post(report_url(entry), {"message": "x"}).status_code == 404
    assert not Proposal.objects.exists()


def test_the_form_refuses_a_post_without_csrf_token(entry):
    client = Client(enforce_csrf_checks=True)
    assert client.post(report_url(entry), {"message": "x"}).status_code == 403
    assert not Proposal.objects.exists()


def test_a_suggestion_is_stored_with_its_essentials(client):
    response = client.post(reverse("interventions:suggest"), SUGGESTION)
    assert response.status_code == 302
    assert response["Location"] == reverse("interventions:suggest_thanks")
    proposal = Proposal.objects.get()
    assert proposal.kind == Proposal.Kind.SUGGESTION
    assert proposal.intervention is None and not proposal.entry_deleted
    assert proposal.changes == {
        "title": "Gå-hold for ensomme ældre",
        "organisation": "Testrup Kommune, Ældreområdet",
        "municipalities": ["aarhus", "horsens"],
        "summary": "Ugentlige gåture for ældre der bor alene.",
        "period_start": 2024,
        "contact_name": "Hanne Hansen",
        "contact_email": "hanne.hansen@example.dk",
        "contact_phone": "76 29 00 00",
    }
    assert proposal.message == "Vi vil gerne med i kataloget."
    assert client.get(response["Location"]).status_code == 200
    assert not Intervention.objects.filter(title=SUGGESTION["title"]).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Dette felt er påkrævet."),
        ("period_start", "1200", "større end eller lig 1950"),
        ("period_start", "tyve", "Indtast et heltal."),
        ("contact_phone", "12", "er ikke et dansk telefonnummer"),
        ("contact_email", "nej@", "Angiv en gyldig e-mailadresse."),
        ("municipalities", ["atlantis"], "Marker en gyldig valgmulighed."),
        ("organisation", "o" * 251, "højst have 250 tegn"),
        ("summary", "a\x00b", "Null-tegn er ikke tilladte."),
    ],
)
def test_an_invalid_suggestion_gets_the_form_again_with_the_message_beside_the_field(
    client, field, value, message
):
    response = client.post(reverse("interventions:suggest"), {**SUGGESTION, field: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'id="id_{field}-error-1"' in page
    assert not Proposal.objects.exists()


def test_html_sent_in_a_form_comes_back_as_text(client):
    response = client.post(
        reverse("interventions:suggest"),
        {**SUGGESTION, "title": "", "summary": "<script>x</script>"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_a_flood_from_one_address_gets_429_in_danish(client, entry, settings):
    settings.FEEDBACK_RATE_LIMIT = 3
    for _ in range(3):
        assert client.post(report_url(entry), {"message": "fejl"}).status_code == 302
    response = client.post(report_url(entry), {"message": "fejl"})
    assert response.status_code == 429
    assert "For mange henvendelser" in response.content.decode()
    assert response["Retry-After"] == str(settings.FEEDBACK_RATE_WINDOW)
    assert client.post(reverse("interventions:suggest"), SUGGESTION).status_code == 429
    assert Proposal.objects.count() == 3
    # Another address is not affected; reading the forms is never limited.
    other = client.post(report_url(entry), {"message": "fejl"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302
    assert client.get(report_url(entry)).status_code == 200


def test_behind_the_proxy_the_limit_counts_the_trusted_address(client, entry, settings):
    settings.FEEDBACK_RATE_LIMIT = 1
    settings.TRUSTED_PROXY_COUNT = 1
    first = {"HTTP_X_FORWARDED_FOR": "1.2.3.4", "REMOTE_ADDR": "10.0.0.1"}
    assert client.post(report_url(entry), {"message": "a"}, **first).status_code == 302
    assert client.post(report_url(entry), {"message": "a"}, **first).status_code == 429
    # A client cannot escape by prepending its own X-Forwarded-For entries.
    spoofed = {"HTTP_X_FORWARDED_FOR": "9.9.9.9, 1.2.3.4", "REMOTE_ADDR": "10.0.0.1"}
    assert client.post(report_url(entry), {"message": "a"}, **spoofed).status_code == 429
    other = {"HTTP_X_FORWARDED_FOR": "5.6.7.8", "REMOTE_ADDR": "10.0.0.1"}
    assert client.post(report_url(entry), {"message": "a"}, **other).status_code == 302


def test_an_oversized_post_is_refused_with_413_in_danish(client, entry, settings):
    response = client.post(report_url(entry), {"message": "x" * (settings.FEEDBACK_MAX_BYTES + 10)})
    assert response.status_code == 413
    assert "Henvendelsen er for stor" in response.content.decode()
    assert not Proposal.objects.exists()


def test_the_forms_are_never_served_from_the_page_cache(entry, settings):
    """Each visitor gets their own CSRF token: the form page is neither stored nor shared."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 600
    for url in (report_url(entry), reverse("interventions:suggest")):
        first, second = Client().get(url), Client().get(url)
        assert first.status_code == second.status_code == 200
        assert "X-Cache" not in second or second["X-Cache"] != "hit"
        assert "no-store" in second["Cache-Control"]
