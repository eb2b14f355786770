"""An owner confirms by link, in a real browser with and without JavaScript (issue #19, item 1):
an editor asks through the admin action → the e-mail (locmem, in this process: the live server
runs in a thread) holds the link → the owner confirms → the entry's page and the API say
"bekræftet af … <date>". axe finds nothing on the owner's pages."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from interventions.changes import refresh_search_texts
from interventions.feedback.models import ConfirmationRequest, SentMessage
from interventions.models import Contact, Intervention
from tests.system.browser.conftest import axe_violations, committed

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PASSWORD = "en-lang-hemmelig-kode-19"
LINK = re.compile(r"http://[^\s]+/bekraeft/[^\s]+/")


@pytest.fixture
def owned_entry():
    def create():
        entry = Intervention.objects.create(
            slug="browser-test-owned",
            title="Bostøtte ved browsertest",
            summary="En indsats, hvis ejer bekræfter den i browseren.",
            source=Intervention.objects.first().source,
            locator="nr. 0",
            sector="kommunal",
            organisation="Testkommune",
        )
        Contact.objects.create(intervention=entry, name="Anne Ejer", email="anne@example.dk")
        refresh_search_texts(entry)
        return entry

    def remove():
        # What the flow made for the entry first, one table at a time, then the entry.
        requests = ConfirmationRequest.objects.filter(intervention__slug=entry.slug)
        SentMessage.objects.filter(request__in=list(requests)).delete()
        ConfirmationRequest.history.filter(intervention_id=entry.pk).delete()
        requests.delete()
        Intervention.objects.filter(slug=entry.slug).delete()

    entry = committed(create)
    yield entry
    committed(remove)


@pytest.fixture
def editor(django_user_model):
    def create():
        user = django_user_model.objects.create_user(
            "browser-redaktor", "r@example.dk", PASSWORD, is_staff=True
        )
        user.groups.add(Group.objects.get(name="Redaktør"))
        return user

    user = committed(create)
    yield user
    committed(lambda: django_user_model.objects.filter(pk=user.pk).delete())


def no_violations(page) -> None:
    violations = axe_violations(page)
    assert violations == [], violations


def test_editor_asks_owner_confirms_page_and_api_say_so(page, owned_entry, editor, server_url):
    walk(page, owned_entry, editor, server_url, javascript=True)


def test_the_same_without_javascript(nojs_page, owned_entry, editor, server_url):
    walk(nojs_page, owned_entry, editor, server_url, javascript=False)


def walk(page, owned_entry, editor, server_url, *, javascript: bool) -> None:
    """Editor asks → e-mail holds the link → owner confirms → page and API say so."""
    mail.outbox = []

    # The editor asks through the action on the entries' list.
    page.goto("/admin/login/?next=/admin/interventions/intervention/")
    page.fill("#id_username", editor.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto(f"/admin/interventions/intervention/?q={owned_entry.slug}")
    page.check(f"input[name=_selected_action][value='{owned_entry.pk}']")
    page.select_option("select[name=action]", "request_confirmation")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("anmodning sendt til anne@example.dk")

    # The e-mail holds the link.
    assert len(mail.outbox) == 1
    link = LINK.search(mail.outbox[0].body).group(0)
    assert link.startswith(server_url)

    # The owner opens it (no login) and confirms.
    page.context.clear_cookies()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Er oplysningerne korrekte?")
    expect(page.locator(".owner-facts")).to_contain_text("Anne Ejer")
    if javascript:
        no_violations(page)
        page.goto(link + "ret/")
        expect(page.locator("h1")).to_contain_text("Ret oplysningerne")
        no_violations(page)
        page.goto(link)
    field = page.get_by_label("Dit navn og din organisation")
    expect(field).to_have_value("Anne Ejer, Testkommune")
    page.get_by_role("button", name="Oplysningerne er korrekte").click()
    expect(page.locator("h1")).to_have_text("Tak for dit svar")
    if javascript:
        no_violations(page)

    # The entry's page and the API say who confirmed and when.
    day = date_format(timezone.localdate(), "j. F Y")
    page.goto(owned_entry.get_absolute_url())
    expect(page.locator(".facts-information")).to_have_text(
        f"bekræftet af Anne Ejer, Testkommune den {day}"
    )
    expect(page.locator(".freshness")).to_contain_text("bekræftet af Anne Ejer, Testkommune")
    api = page.request.get(f"/api/interventions/{owned_entry.slug}/").json()
    assert api["confirmed"] == timezone.localdate().isoformat()
    assert api["confirmations"][0]["confirmed_by"] == "Anne Ejer, Testkommune"
    assert api["confirmations"][0]["method"] == "link"

    # The link is used up: a clear page that says what happened.
    response = page.goto(link)
    assert response.status == 410
    expect(page.locator("h1")).to_have_text("Linket er allerede brugt")
    if javascript:
        no_violations(page)


def test_an_altered_link_gets_a_readable_page(page):
    response = page.goto("/bekraeft/ikke-et-rigtigt-link/")
    assert response.status == 400
    expect(page.locator("h1")).to_have_text("Linket virker ikke")
    no_violations(page)
