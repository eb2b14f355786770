"""Every page type in a real browser: no axe-core violations, usable from 320 px to desktop,
screenshots for a person to look at, and a clean printed handout."""

import pytest
from django.template.loader import render_to_string
from playwright.sync_api import expect

from tests.system.browser.conftest import ARTIFACTS, DESKTOP, MOBILE, axe_violations, screenshot

# django_db: the session sets up the test database (with the catalogue) only for tests that
# ask for it; each test runs in a transaction that is rolled back, as the other tests do.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

DETAIL = "/indsatser/cafe-tumling-aarhus/"
PAGES = {
    "home": "/",
    "list": "/indsatser/",
    "list-filtered": "/indsatser/?q=psykiatri&target_group=unge-15-25&sort=-title",
    "list-empty": "/indsatser/?q=zzzzzzqqq",
    "list-invalid": "/indsatser/?target_group=findes-ikke",
    "detail": DETAIL,
    "paragraphs": "/paragraffer/",
    "target-groups": "/maalgrupper/",
    "places": "/kommuner/",
    "methods": "/metoder/",
    "sources": "/kilder/",
    "about": "/om/",
    "accessibility": "/tilgaengelighed/",
    "not-found": "/findes-ikke/",
    "english-list": "/en/indsatser/?target_group=hjemloese",
    "english-detail": "/en" + DETAIL,
    "compare-two": "/sammenlign/?indsats=cafe-tumling-aarhus&indsats=act-holstebro",
    "compare-four": (
        "/sammenlign/?indsats=cafe-tumling-aarhus&indsats=act-holstebro"
        "&indsats=afklaringspladser-aarhus&indsats=360-graders-blik-paa-de-unge-aarhus"
    ),
    "compare-empty": "/sammenlign/",
    "compare-unknown": "/sammenlign/?indsats=findes-ikke",
    "open-data": "/data/",
    "english-open-data": "/en/data/",
}


def _open_everything(page) -> None:
    """Unfold accordions and details so axe checks their content too."""
    page.evaluate(
        """() => {
            document.querySelectorAll('.accordion-button[aria-expanded=false]')
                .forEach(b => b.click());
            document.querySelectorAll('details').forEach(d => d.open = true);
        }"""
    )


@pytest.mark.parametrize("name", PAGES)
def test_no_accessibility_violations(page, name):
    response = page.goto(PAGES[name])
    assert response.status in (200, 400, 404)
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []
    _open_everything(page)
    assert axe_violations(page) == []


def test_the_error_page_has_no_violations(page):
    # Django renders 500.html with an empty context; show exactly that in the site's origin.
    page.goto("/om/")
    page.set_content(render_to_string("500.html"))
    expect(page.locator("h1")).to_have_text("Der skete en fejl")
    assert axe_violations(page) == []


def test_a_live_update_keeps_the_page_accessible(page):
    page.goto("/indsatser/")
    page.locator("#facet-target_group-button").click()
    page.locator("#facet-target_group input[type=checkbox]").first.check()
    page.wait_for_url(lambda url: "target_group=" in url)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [320, 640])
@pytest.mark.parametrize(
    "name", ["home", "list-filtered", "detail", "places", "sources", "compare-four", "open-data"]
)
def test_nothing_scrolls_sideways_on_narrow_screens(new_page, name, width):
    """320 px is the WCAG reflow width; 640 px is a 1280 px screen at 200 % zoom."""
    page = new_page(viewport={"width": width, "height": 800})
    page.goto(PAGES[name])
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_skip_link_is_first_and_focus_is_visible(page):
    page.goto("/indsatser/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skipnav")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize(
    "name",
    ["home", "list-filtered", "detail", "paragraphs", "places", "sources", "about", "not-found"],
)
def test_screenshots_at_desktop_and_phone_width(new_page, name):
    for label, viewport in (("desktop", DESKTOP), ("mobile", MOBILE)):
        page = new_page(viewport=viewport)
        page.goto(PAGES[name])
        path = screenshot(page, f"{name}-{label}")
        assert path.stat().st_size > 10_000


def test_printing_an_entry_gives_a_clean_handout(new_page):
    page = new_page(viewport=DESKTOP)
    page.goto(DETAIL)
    page.emulate_media(media="print")
    for frame in ("header.site-header", ".site-footer", ".breadcrumbs", ".toc", ".skipnav"):
        expect(page.locator(frame).first).to_be_hidden()
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(".facts")).to_be_visible()
    expect(page.locator(".print-only")).to_be_visible()
    expect(page.locator(".print-only")).to_contain_text("Udskrevet")
    # Paper says how old the information is, as the screen does (#18).
    expect(page.locator(".freshness-notice")).to_be_visible()
    expect(page.locator(".facts-information")).to_be_visible()
    expect(page.locator(".facts-confirmations")).to_contain_text("Aldrig bekræftet af ejeren")
    screenshot(page, "detail-print")
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "detail-print.pdf"), format="A4")
