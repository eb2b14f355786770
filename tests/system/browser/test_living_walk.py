"""The whole loop in a real browser, with and without JavaScript (issue #19): an editor asks the
owner through the admin action → the e-mail holds the link → the owner corrects status, contact
name and e-mail through "Ret oplysningerne" → an editor accepts two of the three changed fields →
the entry shows them, names the owner as confirming, and its history names the proposal."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core import mail
from playwright.sync_api import expect

from interventions.changes import refresh_search_texts
from interventions.feedback.models import ConfirmationRequest, Proposal, SentMessage
from interventions.models import Confirmation, Contact, Intervention
from tests.system.browser.conftest import committed

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PASSWORD = "en-lang-hemmelig-kode-walk"
LINK = re.compile(r"http://[^\s]+/bekraeft/[^\s]+/")
SLUG = "browser-walk-owned"


@pytest.fixture(params=["page", "nojs_page"])
def any_page(request, browser):
    # `browser` first: started inside a test, Playwright would switch the test's context after
    # its database transaction began.
    return request.getfixturevalue(request.param)


@pytest.fixture
def owned_entry():
    def create():
        entry = Intervention.objects.create(
            slug=SLUG,
            title="Gåhold ved hele vejen rundt",
            summary="En indsats, hvis ejer retter den i browseren.",
            source=Intervention.objects.first().source,
            locator="nr. 0",
            sector="kommunal",
            organisation="Testkommune",
            status=Intervention.Status.PLANNED,
        )
        Contact.objects.create(intervention=entry, name="Anne Ejer", email="anne@example.dk")
        refresh_search_texts(entry)
        return entry

    def remove():
        requests = ConfirmationRequest.objects.filter(intervention__slug=SLUG)
        Proposal.objects.filter(intervention_slug=SLUG).delete()
        SentMessage.objects.filter(request__in=list(requests)).delete()
        ConfirmationRequest.history.filter(intervention_id=entry.pk).delete()
        Confirmation.objects.filter(intervention__slug=SLUG).delete()
        requests.delete()
        Intervention.objects.filter(slug=SLUG).delete()

    entry = committed(create)
    yield entry
    committed(remove)


@pytest.fixture
def editor():
    def create():
        user, _ = User.objects.get_or_create(username="browser-walk-redaktor", is_staff=True)
        user.set_password(PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name="Redaktør"))
        return user

    return committed(create)


def log_in(page, user) -> None:
    page.goto(f"/{settings.ADMIN_URL}login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page.locator("#user-tools")).to_be_visible()


def test_asked_corrected_two_of_three_accepted(any_page, owned_entry, editor):
    page = any_page
    mail.outbox = []

    # The editor asks the owner through the action on the entries' list.
    log_in(page, editor)
    page.goto(f"/{settings.ADMIN_URL}interventions/intervention/?q={SLUG}")
    page.check(f"input[name=_selected_action][value='{owned_entry.pk}']")
    page.select_option("select[name=action]", "request_confirmation")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("anmodning sendt til anne@example.dk")
    [message] = mail.outbox
    link = LINK.search(message.body).group(0)

    # The owner, without an account, corrects status, contact name and e-mail.
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_role("link", name="Ret oplysningerne").first.click()
    expect(page.locator("h1")).to_contain_text("Ret oplysningerne")
    page.locator("#id_status").select_option("running")
    page.locator("#id_contact_name").fill("Bo Ny")
    page.locator("#id_contact_email").fill("bo.ny@example.dk")
    page.locator("#id_submitter_name").fill("Anne Ejer, Testkommune")
    page.get_by_role("button", name="Send rettelserne").click()
    expect(page.locator("h1")).to_have_text("Tak for dit svar")

    # Nothing is public yet.
    page.goto(owned_entry.get_absolute_url())
    expect(page.locator(".contacts")).to_contain_text("Anne Ejer")
    expect(page.locator(".contacts")).not_to_contain_text("Bo Ny")

    # The editor accepts status and name, not the e-mail.
    log_in(page, editor)
    page.goto(f"/{settings.ADMIN_URL}interventions/proposal/")
    page.get_by_role("link", name=re.compile(re.escape(owned_entry.title))).first.click()
    expect(page.locator(".proposal-row")).to_have_count(3)
    page.get_by_label("anvend kontaktpersonens e-mail").uncheck()
    page.get_by_role("button", name="Godkend de valgte felter").click()
    expect(page.locator(".messagelist")).to_contain_text("er godkendt")

    page.goto(owned_entry.get_absolute_url())
    expect(page.locator(".facts-status")).to_contain_text("I drift")
    expect(page.locator(".contacts")).to_contain_text("Bo Ny")
    expect(page.locator(".contacts")).to_contain_text("anne@example.dk")
    expect(page.locator(".facts-confirmations")).to_contain_text("Anne Ejer, Testkommune")
    api = page.request.get(f"/api/interventions/{SLUG}/").json()
    assert api["status"] == "running"
    assert api["confirmations"][0]["confirmed_by"] == "Anne Ejer, Testkommune"

    page.goto(f"/{settings.ADMIN_URL}interventions/intervention/{owned_entry.pk}/history/")
    expect(page.locator("#change-history")).to_contain_text(
        re.compile(r"Forslag #\d+ godkendt: status, kontaktperson")
    )
