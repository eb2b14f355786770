"""Issue #21 in a real browser: "eller" or "alle valgte" in a facet, the budget filter and its
chip, the card's fields, the sort menu from the keyboard, and the English hint; with and without
JavaScript, on desktop and at 375 px."""

import re

import pytest
from playwright.sync_api import expect

from tests.system.browser.conftest import MOBILE, axe_violations
from tests.system.browser.test_flows import open_facet, result_count, wait_for_results

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

GROUPS = ("hjemloese", "unge-15-25")


def chip_group(page, label: str) -> str:
    """The visible words of one active-filter group: "Målgruppe: Hjemløse eller Unge 15-25"."""
    group = page.locator(".active-filter-group", has=page.locator(f"text={label}:"))
    # What is seen: without the words only screen readers hear ("Fjern filteret Målgruppe:").
    seen = group.evaluate(
        """g => { const copy = g.cloneNode(true);
                  copy.querySelectorAll('.sr-only').forEach(e => e.remove());
                  return copy.textContent; }"""
    )
    return " ".join(seen.split())


def test_either_or_all_chosen_target_groups_with_javascript(page):
    page.goto("/indsatser/")
    page.evaluate("window.__samePage = true")
    open_facet(page, "target_group")
    counts = []
    for value in GROUPS:
        page.locator(f"#facet-target_group input[value='{value}']").check()
        page.wait_for_url(re.compile(rf"target_group={value}"))
        wait_for_results(page)
        counts.append(result_count(page))
    either = counts[-1]
    assert either >= counts[0], "a second value within a facet adds entries (OR)"
    assert chip_group(page, "Målgruppe") == "Målgruppe: Hjemløse eller Unge 15-25"
    expect(page.locator("#facet-target_group-button")).to_contain_text("mindst én skal passe")

    open_facet(page, "target_group")
    page.locator("#match-all-target_group").check()
    page.wait_for_url(re.compile(r"match_all=target_group"))
    wait_for_results(page)
    both = result_count(page)
    assert 0 < both < either
    assert chip_group(page, "Målgruppe").startswith("Målgruppe: Hjemløse og Unge 15-25")
    expect(page.locator("#facet-target_group-button")).to_contain_text("alle skal passe")
    # Every shown count is what a click would give, so none is above the result in AND mode.
    counts_shown = page.locator("#facet-target_group .facet-count").all_inner_texts()
    assert all(int(text.strip("()")) <= both for text in counts_shown)

    page.locator(".active-filter-mode").click()
    page.wait_for_url(lambda url: "match_all" not in url)
    wait_for_results(page)
    assert result_count(page) == either
    assert page.evaluate("window.__samePage") is True
    assert axe_violations(page) == []


def test_all_chosen_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/indsatser/?target_group=hjemloese&target_group=unge-15-25")
    either = result_count(page)
    page.locator("#match-all-target_group").check()
    page.get_by_role("button", name="Anvend filtre").click()
    page.wait_for_url(re.compile(r"match_all=target_group"))
    assert 0 < result_count(page) < either
    assert chip_group(page, "Målgruppe").startswith("Målgruppe: Hjemløse og Unge 15-25")


def test_the_budget_filter_has_a_control_and_a_removable_chip(page):
    page.goto("/indsatser/")
    total = result_count(page)
    open_facet(page, "has_budget")
    page.locator("#f-has_budget-true").check()
    page.wait_for_url(re.compile(r"has_budget=true"))
    wait_for_results(page, total)
    with_budget = result_count(page)
    assert 0 < with_budget < total
    assert chip_group(page, "Budget") == "Budget: Med oplyst budget"
    page.locator(".active-filter-group", has_text="Budget:").locator("a").click()
    page.wait_for_url(lambda url: "has_budget" not in url)
    wait_for_results(page)
    assert result_count(page) == total


def test_a_shared_budget_link_shows_its_chip_without_javascript(nojs_page):
    nojs_page.goto("/indsatser/?has_budget=true")
    assert chip_group(nojs_page, "Budget") == "Budget: Med oplyst budget"
    expect(nojs_page.locator("#f-has_budget-true")).to_be_checked()
    expect(nojs_page.get_by_role("link", name="Nulstil alle filtre")).to_be_visible()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_cards_show_status_period_age_budget_owner_and_the_sort_key(new_page, viewport):
    options = {"viewport": MOBILE} if viewport == "phone" else {}
    page = new_page(**options)
    page.goto("/indsatser/?has_budget=true&sort=-budget")
    card = page.locator(".result-card").first
    # The status as the source said it, or why it cannot be true any more, with a year.
    expect(card.locator(".result-status")).to_contain_text(
        re.compile(r"(ifølge kilden \(\d{4}\)|bekræftet \d{4}|perioden sluttede \d{4})")
    )
    expect(card.locator(".result-age")).to_contain_text(re.compile(r"Oplysninger fra|Bekræftet"))
    # The amount with what kind of amount it is: the largest yearly sum comes first.
    expect(card.locator(".result-facts")).to_contain_text(
        re.compile(r"Budget: [\d.]+ kr\. om året")
    )
    expect(card.locator(".result-meta")).not_to_be_empty()
    expect(card.locator(".result-sort")).to_have_text(
        re.compile(r"^Sorteret efter budget: [\d.]+ kr\. om året( \(\d{4}\))?$")
    )
    assert card.locator(".result-sort").is_visible()


def test_arrow_keys_on_the_sort_menu_do_not_rerun_the_search_until_a_choice(page):
    page.goto("/indsatser/")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/indsatser/?" in r.url else None)
    history = page.evaluate("history.length")
    menu = page.get_by_label("Sortér efter")
    menu.focus()
    menu.press("ArrowDown")
    menu.press("ArrowDown")
    page.wait_for_timeout(300)
    assert requests == [], "an arrow key reran the search"
    assert page.evaluate("history.length") == history
    menu.press("Enter")
    page.wait_for_url(re.compile(r"sort="))
    wait_for_results(page)
    assert len(requests) == 1
    assert page.evaluate("history.length") == history + 1


def test_an_english_search_that_finds_nothing_offers_the_danish_term(page):
    page.goto("/en/indsatser/?q=homelesness+shelter")
    expect(page.locator("#result-count")).to_have_text("0 interventions")
    hint = page.locator(".suggestion", has_text="described in Danish")
    expect(hint).to_be_visible()
    term = hint.locator("a[lang=da]").first
    expect(term).to_have_text("Hjemløse")
    term.click()
    page.wait_for_url(re.compile(r"q=Hjeml"))
    wait_for_results(page)
    assert page.locator(".result-card").count() > 0
    expect(page.locator(".result-title").first).to_have_attribute("lang", "da")
