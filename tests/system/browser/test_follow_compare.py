"""Follow a search and compare entries in a real browser, with and without JavaScript."""

import re
from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interventions.changes import refresh_search_texts
from interventions.models import Contact, Intervention, Municipality, TargetGroup
from tests.system.browser.conftest import MOBILE, axe_violations, committed, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

FOUR = [
    "cafe-tumling-aarhus",
    "act-holstebro",
    "afklaringspladser-aarhus",
    "360-graders-blik-paa-de-unge-aarhus",
]


@pytest.fixture
def followed_entry():
    """A published entry in Ærø (no curated entry names it), first published a day ago."""

    def create():
        entry = Intervention.objects.create(
            slug="browser-test-foelg",
            title="Følgetest i Ærø",
            summary="En indsats som browsertesten følger.",
            source=Intervention.objects.first().source,
            locator="nr. 0",
            sector="kommunal",
            organisation="Ærø Kommune",
            status=Intervention.Status.PLANNED,
        )
        entry.municipalities.set([Municipality.objects.get(slug="aeroe")])
        entry.target_groups.set([TargetGroup.objects.get(slug="hjemloese")])
        refresh_search_texts(entry)
        entry.history.all().update(history_date=timezone.now() - timedelta(days=1))
        return entry

    def remove():
        Intervention.objects.filter(pk=entry.pk).delete()
        Intervention.history.filter(id=entry.pk).delete()
        Contact.history.filter(intervention_id=entry.pk).delete()

    entry = committed(create)
    yield entry
    committed(remove)


def read_feed(page, url: str):
    response = page.request.get(url)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.body())
    assert not feed.bozo, feed.bozo_exception
    return feed


def test_follow_a_search_then_see_the_entry_change(page, followed_entry):
    page.goto("/indsatser/?municipality=aeroe")
    expect(page.locator(".result-title a")).to_have_text([followed_entry.title])
    link = page.get_by_role("link", name="Følg denne søgning")
    href = link.get_attribute("href")
    assert href == "/indsatser/feed.atom?municipality=aeroe"
    alternate = page.locator("link[rel=alternate][type='application/atom+xml']")
    assert alternate.get_attribute("href") == href

    feed = read_feed(page, href)
    assert [e.title for e in feed.entries] == [f"Ny i kataloget: {followed_entry.title}"]
    first_id = feed.entries[0].id

    def change():
        entry = Intervention.objects.get(pk=followed_entry.pk)
        entry.status = Intervention.Status.RUNNING
        entry.save()

    committed(change)
    feed = read_feed(page, href)
    assert [e.title for e in feed.entries] == [
        f"{followed_entry.title}: Status ændret fra »Planlagt« til »I drift«",
        f"Ny i kataloget: {followed_entry.title}",
    ]
    assert feed.entries[1].id == first_id, "an item's id is stable"

    response = page.goto(followed_entry.get_absolute_url())
    assert response.status == 200, response.text()[:2000]
    own = page.get_by_role("link", name="Følg ændringer")
    assert len(read_feed(page, own.get_attribute("href")).entries) == 2


def compare_boxes(page):
    return page.locator(".result-compare input[type=checkbox]")


def test_compare_four_with_javascript_keeps_the_choice_while_browsing(page):
    page.goto("/indsatser/")
    page.evaluate("window.__samePage = true")
    url = page.url
    titles = page.locator(".result-title a")
    chosen = [titles.nth(0).inner_text(), titles.nth(1).inner_text()]
    compare_boxes(page).nth(0).check()
    compare_boxes(page).nth(1).check()
    assert page.url == url, "ticking Sammenlign does not filter the list"
    tray = page.locator("[data-compare-tray] li")
    expect(tray).to_have_count(2)

    page.locator(".pagination a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert page.evaluate("window.__samePage") is True
    expect(tray).to_have_count(2)
    chosen += [titles.nth(0).inner_text(), titles.nth(1).inner_text()]
    compare_boxes(page).nth(0).check()
    compare_boxes(page).nth(1).check()
    expect(tray).to_have_count(4)
    compare_boxes(page).nth(2).click()  # a fifth is refused
    expect(compare_boxes(page).nth(2)).not_to_be_checked()
    expect(tray).to_have_count(4)

    # Back on page 1 the boxes of the chosen entries are ticked again.
    page.go_back()
    page.wait_for_url(lambda u: "page=2" not in u)
    expect(compare_boxes(page).nth(0)).to_be_checked()

    page.get_by_role("button", name="Sammenlign valgte").click()
    page.wait_for_url(re.compile(r"/sammenlign/\?indsats="))
    headers = page.locator(".compare-table thead th a:not(.compare-remove)")
    expect(headers).to_have_text(chosen)
    assert axe_violations(page) == []

    page.locator(".compare-remove").first.click()
    expect(page.locator(".compare-table thead th")).to_have_count(3)


def test_compare_two_then_four_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/indsatser/")
    titles = [page.locator(".result-title a").nth(i).inner_text() for i in range(2)]
    compare_boxes(page).nth(0).check()
    compare_boxes(page).nth(1).check()
    page.get_by_role("button", name="Sammenlign valgte").click()
    page.wait_for_url(re.compile(r"/sammenlign/\?indsats=.*&indsats="))
    expect(page.locator(".compare-table thead th a:not(.compare-remove)")).to_have_text(titles)
    for count in (3, 4):
        select = page.get_by_label("Tilføj en indsats")
        select.select_option(index=1)
        page.get_by_role("button", name="Tilføj", exact=True).click()
        page.wait_for_load_state()
        expect(page.locator(".compare-table thead th")).to_have_count(count)
    expect(page.get_by_label("Tilføj en indsats")).to_have_count(0)
    expect(page.locator(".compare-differs").first).to_be_visible()


def test_compare_from_the_detail_page_without_javascript(nojs_page):
    page = nojs_page
    page.goto(f"/indsatser/{FOUR[0]}/")
    page.get_by_role("link", name="Sammenlign med andre indsatser").click()
    page.wait_for_url(re.compile(rf"indsats={FOUR[0]}"))
    page.get_by_label("Tilføj en indsats").select_option(FOUR[1])
    page.get_by_role("button", name="Tilføj", exact=True).click()
    page.wait_for_url(re.compile(rf"indsats={FOUR[0]}&indsats={FOUR[1]}"))
    expect(page.locator(".compare-table thead th")).to_have_count(2)


def test_compare_is_readable_at_375_px_and_prints(new_page):
    page = new_page(viewport=MOBILE)
    page.goto("/sammenlign/?" + "&".join(f"indsats={s}" for s in FOUR))
    expect(page.locator(".compare-table thead th")).to_have_count(4)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    region = page.locator(".compare-scroll")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth"), "the table scrolls inside"
    # The row headings stay in view while the columns scroll.
    region.evaluate("el => el.scrollLeft = 400")
    box = page.locator(".compare-table tbody th").first.bounding_box()
    assert 0 <= box["x"] < 40
    screenshot(page, "compare-mobile")
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator(".compare-remove").first).to_be_hidden()
    expect(page.locator(".compare-table")).to_be_visible()
    screenshot(page, "compare-print")
