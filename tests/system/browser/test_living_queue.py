"""The public forms and the editors' queue in a real browser, with and without JavaScript.

An anonymous error report that an editor rejects with a reason; a suggested intervention that an
editor accepts as a draft; an owner's correction (set up as the owner's link form stores it) of
which an editor accepts two of three fields. axe finds nothing on the new public pages.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from playwright.sync_api import expect

from interventions.curation.intake import INTAKE_SOURCE
from interventions.feedback.models import ConfirmationRequest, Proposal, RequestStatus
from interventions.models import Intervention, SourceDocument
from tests.factories import ContactFactory, InterventionFactory
from tests.system.browser.conftest import axe_violations, committed

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

MODES = ["page", "nojs_page"]


@pytest.fixture(params=MODES)
def any_page(request, browser):
    # `browser` first: started inside a test, Playwright would switch the test's context after
    # its database transaction began.
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def editor(django_db_blocker):
    """A Redaktør, committed for the live server and left in the session's test database
    (deleting a user touches every table that names one, while the server may hold them)."""

    def create():
        user, _ = User.objects.get_or_create(username="browser-redaktor", is_staff=True)
        user.groups.add(Group.objects.get(name="Redaktør"))
        return user

    with django_db_blocker.unblock():
        return committed(create)


@pytest.fixture
def cleanup():
    """Remove what the live server committed: proposals, the entries named here, and the intake
    source a first accepted suggestion creates (left behind, it would be a source facet value that
    later tests' selections carry to servers over other databases)."""
    slugs: list[str] = []
    had_intake = committed(lambda: SourceDocument.objects.filter(key=INTAKE_SOURCE).exists())
    yield slugs
    committed(lambda: Proposal.objects.all().delete())
    committed(lambda: Intervention.objects.filter(slug__in=slugs).delete())
    if not had_intake:
        committed(lambda: SourceDocument.objects.filter(key=INTAKE_SOURCE).delete())


def log_in(page, server_url: str, user) -> None:
    """An editor's session, as the admin's login form would leave it."""

    def create() -> str:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return session.session_key

    key = committed(create)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": server_url}]
    )


def open_proposal(page, about: str) -> None:
    page.goto(f"/{settings.ADMIN_URL}interventions/proposal/")
    page.get_by_role("link", name=re.compile(re.escape(about))).first.click()
    expect(page.locator(".proposal-meta")).to_be_visible()


def test_an_anonymous_error_report_is_rejected_with_a_reason(any_page, server_url, editor, cleanup):
    page = any_page
    entry = Intervention.objects.published().order_by("slug").first()
    page.goto(entry.get_absolute_url())
    page.get_by_role("link", name="Ret en fejl").click()
    expect(page.locator("h1")).to_have_text("Ret en fejl")
    # Sent empty first: the form again, the message beside the field.
    page.get_by_role("button", name="Send fejlmeldingen").click()
    expect(page.locator(".form-error-message")).to_contain_text("Dette felt er påkrævet.")
    page.get_by_label("Hvad er forkert?").fill("Kontaktpersonen er gået på pension. <b>x</b>")
    page.get_by_label("Din e-mail").fill("borger@example.dk")
    page.get_by_role("button", name="Send fejlmeldingen").click()
    expect(page.locator("h1")).to_have_text("Tak for din henvendelse")

    log_in(page, server_url, editor)
    open_proposal(page, entry.title)
    expect(page.locator(".proposal-message")).to_have_text(
        "Kontaktpersonen er gået på pension. <b>x</b>"
    )
    page.get_by_label("Begrundelse").fill("Kontaktpersonen er stadig ansat.")
    page.get_by_role("button", name="Afvis forslaget").click()
    expect(page.locator(".messagelist")).to_contain_text("er afvist")
    proposal = committed(lambda: Proposal.objects.get())
    assert proposal.status == Proposal.Status.REJECTED
    assert proposal.decision_reason == "Kontaktpersonen er stadig ansat."
    assert proposal.decided_by_id == editor.pk


def test_a_suggested_intervention_is_accepted_as_a_draft(any_page, server_url, editor, cleanup):
    page = any_page
    page.goto("/indsatser/")
    page.get_by_role("link", name="Foreslå en indsats").first.click()
    expect(page.locator("h1")).to_have_text("Foreslå en indsats")
    page.get_by_label("Indsatsens navn").fill("Browserens gåhold")
    page.get_by_label("Organisation").fill("Testrup Kommune")
    page.get_by_label("Kommuner").select_option(["aarhus", "odder"])
    page.get_by_label("Kort beskrivelse").fill("Gåture for ældre der bor alene.")
    page.get_by_label("Startår").fill("2024")
    page.get_by_label("Kontaktperson (valgfrit)", exact=True).fill("Hanne Hansen")
    page.get_by_role("button", name="Send forslaget").click()
    expect(page.locator("h1")).to_have_text("Tak for din henvendelse")
    cleanup.append("browserens-gaahold-testrup-kommune")

    log_in(page, server_url, editor)
    open_proposal(page, "Browserens gåhold")
    expect(page.locator(".proposal-diff")).to_contain_text("Aarhus, Odder")
    page.get_by_role("button", name="Godkend som kladde").click()
    expect(page.locator(".messagelist")).to_contain_text("oprettet som kladde")
    draft = committed(lambda: Proposal.objects.select_related("draft__source").get().draft)
    assert draft.slug == "browserens-gaahold-testrup-kommune"
    assert not draft.is_published and draft.source.key == "indberetninger"
    # The editor previews the draft; the public does not see it.
    page.goto(draft.get_absolute_url())
    expect(page.locator("h1")).to_have_text("Browserens gåhold")


@pytest.fixture
def corrected_entry(cleanup):
    """An entry whose owner corrected status, contact name and e-mail through their link."""

    def create():
        entry = InterventionFactory(
            slug="browser-owner-correction", status=Intervention.Status.PLANNED
        )
        ContactFactory(intervention=entry, name="Gammel Kontakt", email="gammel@example.dk")
        request = ConfirmationRequest.objects.create(
            intervention=entry,
            recipient_email="ejer@example.dk",
            expires_at=timezone.now() + datetime.timedelta(days=30),
            status=RequestStatus.CORRECTED,
            answered_at=timezone.now(),
            answered_by="Anna Ejer, Testkommune",
        )
        Proposal.objects.create(
            kind=Proposal.Kind.CORRECTION,
            intervention=entry,
            request=request,
            changes={
                "status": "running",
                "contact_name": "Ny Kontakt",
                "contact_email": "ny@example.dk",
            },
            submitter_name="Anna Ejer",
        )
        return entry

    cleanup.append("browser-owner-correction")
    return committed(create)


def test_an_owners_correction_is_accepted_for_two_of_three_fields(
    any_page, server_url, editor, corrected_entry
):
    page = any_page
    log_in(page, server_url, editor)
    open_proposal(page, corrected_entry.title)
    expect(page.locator(".proposal-row")).to_have_count(3)
    page.get_by_label("anvend kontaktpersonens e-mail").uncheck()
    page.get_by_role("button", name="Godkend de valgte felter").click()
    expect(page.locator(".messagelist")).to_contain_text("er godkendt")

    page.goto(corrected_entry.get_absolute_url())
    expect(page.locator(".facts-status")).to_contain_text("I drift")
    expect(page.locator(".contacts")).to_contain_text("Ny Kontakt")
    expect(page.locator(".contacts")).to_contain_text("gammel@example.dk")
    expect(page.locator(".facts-confirmations")).to_contain_text("Anna Ejer, Testkommune")

    page.goto(f"/{settings.ADMIN_URL}interventions/intervention/{corrected_entry.pk}/history/")
    expect(page.locator("#change-history")).to_contain_text(
        re.compile(r"Forslag #\d+ godkendt: status, kontaktperson")
    )


def test_the_new_public_pages_have_no_axe_violations(page, cleanup):
    entry = Intervention.objects.published().order_by("slug").first()
    page.goto(f"{entry.get_absolute_url()}ret-en-fejl/")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Send fejlmeldingen").click()  # with errors shown
    expect(page.locator(".form-error-message")).to_be_visible()
    assert axe_violations(page) == []
    page.goto("/foreslaa-en-indsats/")
    assert axe_violations(page) == []
    page.get_by_label("Startår").fill("1200")
    page.get_by_role("button", name="Send forslaget").click()
    expect(page.locator(".form-error-message").first).to_be_visible()
    assert axe_violations(page) == []
    page.goto("/foreslaa-en-indsats/tak/")
    assert axe_violations(page) == []
