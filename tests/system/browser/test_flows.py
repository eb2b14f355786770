"""The list page in a real browser: search, filter, open an entry, come back; JS on and off."""

import re

import pytest
from playwright.sync_api import expect

from interventions.changes import refresh_search_texts
from interventions.models import Intervention
from tests.system.browser.conftest import committed

# django_db: the session sets up the test database (with the catalogue) only for tests that
# ask for it; each test runs in a transaction that is rolled back, as the other tests do.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

COUNT = re.compile(r"^(\d+) indsats")


def result_count(page) -> int:
    text = page.locator("#result-count").inner_text()
    return int(COUNT.match(text).group(1))


def wait_for_results(page, previous: int | None = None):
    """htmx has swapped the region in (and the count changed, when one is given)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    if previous is not None:
        expect(page.locator("#result-count")).not_to_have_text(re.compile(rf"^{previous} indsats"))


def open_facet(page, param: str) -> None:
    panel = page.locator(f"#facet-{param}-panel")
    if panel.get_attribute("open") is None:
        page.locator(f"#facet-{param}-button").click()
    expect(panel).to_have_attribute("open", "")


def open_first_result_and_come_back(page, list_url: str) -> None:
    first = page.locator(".result-title a").first
    title = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_have_text(title)
    page.go_back()
    page.wait_for_url(list_url)


def test_search_filter_open_and_come_back_with_javascript(page):
    page.goto("/indsatser/")
    total = result_count(page)
    # A marker on window survives htmx swaps but not a full page load.
    page.evaluate("window.__samePage = true")

    page.get_by_label("Søg i indsatserne").fill("bostøtte")
    page.get_by_label("Søg i indsatserne").press("Enter")
    page.wait_for_url(re.compile(r"q=bost"))
    wait_for_results(page, total)
    found = result_count(page)
    assert 0 < found < total

    open_facet(page, "target_group")
    box = page.locator("#facet-target_group input[type=checkbox]").first
    value = box.get_attribute("value")
    box.check()
    page.wait_for_url(re.compile(rf"target_group={value}"))
    wait_for_results(page)
    narrowed = result_count(page)
    assert narrowed <= found
    assert page.evaluate("window.__samePage") is True, "the filter reloaded the whole page"
    assert "q=" in page.url and "sort=" not in page.url, "empty fields stay out of the URL"
    expect(page.locator("#results-status")).to_contain_text(str(narrowed))

    # Remove the filter through its tag, then add it back.
    page.locator(".active-filter-list a", has_text="Fjern filteret").first.click()
    page.wait_for_url(lambda url: "target_group" not in url)
    wait_for_results(page)
    assert result_count(page) == found
    open_facet(page, "target_group")
    page.locator(f"#facet-target_group input[value='{value}']").check()
    page.wait_for_url(re.compile(rf"target_group={value}"))
    wait_for_results(page)

    open_first_result_and_come_back(page, page.url)
    expect(page.locator(f"#facet-target_group input[value='{value}']")).to_be_checked()
    expect(page.get_by_label("Søg i indsatserne")).to_have_value("bostøtte")
    assert result_count(page) == narrowed


def test_paging_and_sorting_update_in_place(page):
    page.goto("/indsatser/")
    page.evaluate("window.__samePage = true")
    first_title = page.locator(".result-title a").first.inner_text()
    page.locator(".pagination a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    wait_for_results(page)
    assert page.locator(".result-title a").first.inner_text() != first_title
    # The focused link was replaced: focus continues at the result count, not at the top.
    assert page.evaluate("document.activeElement.id") == "result-count"

    page.get_by_label("Sortér efter").select_option("-updated")
    page.wait_for_url(re.compile(r"sort=-updated"))
    wait_for_results(page)
    assert "page=" not in page.url, "a new order starts on page 1"
    assert page.evaluate("window.__samePage") is True


def test_the_same_flow_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/indsatser/")
    total = result_count(page)
    page.get_by_label("Søg i indsatserne").fill("bostøtte")
    page.get_by_role("button", name="Søg", exact=True).click()
    page.wait_for_url(re.compile(r"q=bost"))
    found = result_count(page)
    assert 0 < found < total

    # Without JavaScript a closed facet panel opens all the same (a native <details>); ticking
    # needs the submit button.
    box = page.locator("#facet-target_group input[type=checkbox]").first
    assert not box.is_visible()
    page.locator("#facet-target_group-button").click()
    assert box.is_visible()
    value = box.get_attribute("value")
    box.check()
    page.get_by_role("button", name="Anvend filtre").click()
    page.wait_for_url(re.compile(rf"target_group={value}"))
    narrowed = result_count(page)
    assert narrowed <= found

    page.locator(".active-filter-list a", has_text="Fjern filteret").first.click()
    page.wait_for_url(lambda url: "target_group" not in url)
    assert result_count(page) == found

    page.goto(f"/indsatser/?q=bost%C3%B8tte&target_group={value}")
    filtered_url = page.url
    page.get_by_label("Sortér efter").select_option("-title")
    page.get_by_role("button", name="Sortér", exact=True).click()
    page.wait_for_url(re.compile(r"sort=-title"))

    page.goto(filtered_url)
    open_first_result_and_come_back(page, filtered_url)
    expect(page.locator(f"#facet-target_group input[value='{value}']")).to_be_checked()
    assert result_count(page) == narrowed


def test_paging_without_javascript(nojs_page):
    nojs_page.goto("/indsatser/")
    nojs_page.locator(".pagination a[rel=next]").click()
    nojs_page.wait_for_url(re.compile(r"page=2"))
    expect(nojs_page.locator(".pagination [aria-current=page]")).to_contain_text("2")


def test_facet_panel_works_from_the_keyboard(page):
    page.goto("/indsatser/")
    policy = page.locator("#facet-policy_area-panel")
    expect(policy).not_to_have_attribute("open", "")
    # Tab from the search button to the first facet panel's button, then on to Fagområde.
    page.get_by_role("button", name="Søg", exact=True).focus()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "facet-policy_area-button":
            break
    else:
        pytest.fail("Tab never reached the Fagområde panel")
    page.keyboard.press("Enter")
    expect(policy).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith("f-policy_area-")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"policy_area="))
    wait_for_results(page)
    # After the update the same checkbox has focus, is ticked, and its panel is still open.
    assert page.evaluate("document.activeElement.id") == focused
    expect(page.locator(f"#{focused}")).to_be_checked()
    expect(page.locator("#facet-policy_area-panel")).to_have_attribute("open", "")
    page.keyboard.press("Space")
    page.wait_for_url(lambda url: "policy_area" not in url)
    wait_for_results(page)
    expect(page.locator(f"#{focused}")).not_to_be_checked()


def test_long_facet_lists_can_be_narrowed_by_typing(page):
    page.goto("/indsatser/")
    open_facet(page, "municipality")
    field = page.get_by_label("Find kommune i listen")
    field.fill("aarh")
    visible = page.locator("#facet-municipality-values li:visible")
    expect(visible).to_have_count(1)
    expect(visible.first).to_contain_text("Aarhus")
    field.press("Enter")  # narrowing is not submitting
    assert "municipality" not in page.url and "?" not in page.url


@pytest.fixture
def hostile_entry():
    def create():
        entry = Intervention.objects.create(
            slug="browser-test-hostile",
            title="<script>window.__pwned = 1</script>Fjendtlig titel",
            summary="Resumé med <img src=x onerror=window.__pwned=2> i teksten.",
            purpose="<script>window.__pwned = 3</script>",
            source=Intervention.objects.first().source,
            locator="nr. 0",
            sector="kommunal",
            organisation="<b>Ejer</b>",
        )
        refresh_search_texts(entry)
        return entry

    entry = committed(create)
    yield entry
    committed(lambda: Intervention.objects.filter(slug=entry.slug).delete())


def test_stored_markup_is_shown_as_text(page, hostile_entry):
    page.goto(hostile_entry.get_absolute_url())
    expect(page.locator("h1")).to_have_text("<script>window.__pwned = 1</script>Fjendtlig titel")
    expect(page.locator(".detail-lead")).to_contain_text("<img src=x")
    assert page.evaluate("window.__pwned") is None
    page.goto("/indsatser/?q=fjendtlig")
    expect(page.locator(".result-title")).to_contain_text("<script>")
    assert page.evaluate("window.__pwned") is None
