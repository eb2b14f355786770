"""Issue #21 (5, 6): the list page is laid out in its final state by the server. Nothing moves
between DOMContentLoaded and the end of loading (the facet panels used to collapse after
paint), fonts come as .woff2, and on a 375 px phone the first result is on the first screen."""

import pytest

from tests.system.browser.conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"width": 375, "height": 667}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
URLS = ("/indsatser/", "/indsatser/?has_budget=true", "/indsatser/?municipality=aarhus")

# At DOMContentLoaded (after the deferred scripts ran) note where the results heading and every
# facet panel are, and add up every layout shift the browser reports from the start.
RECORD = """
window.__shifts = [];
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__shifts.push(entry.value);
  }
}).observe({type: "layout-shift", buffered: true});
const boxes = () => {
  const box = el => {
    const r = el.getBoundingClientRect();
    return [r.x, r.y, r.width, r.height].map(Math.round);
  };
  const found = {heading: box(document.getElementById("result-count"))};
  document.querySelectorAll(".facets details").forEach(d => { found[d.id] = box(d); });
  return found;
};
window.__boxes = boxes;
document.addEventListener("DOMContentLoaded", () => { window.__early = boxes(); });
"""


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_nothing_moves_after_the_first_paint(new_page, viewport, url):
    page = new_page(viewport=VIEWPORTS[viewport])
    # Web fonts arriving after the first paint move text too (font-display: swap, a race with
    # the style sheets); they are left out here so the test sees what the page's own markup,
    # style and scripts do.
    page.route("**/dkfds/fonts/**", lambda route: route.abort())
    page.add_init_script(RECORD)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    early = page.evaluate("window.__early")
    assert early and early["heading"][3] > 0
    assert page.evaluate("window.__boxes()") == early
    shifts = page.evaluate("window.__shifts")
    assert sum(shifts) < 0.01, shifts


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_first_result_is_on_the_first_screen_of_a_phone(new_page, javascript):
    page = new_page(viewport=PHONE, java_script_enabled=javascript)
    page.goto("/indsatser/")
    card = page.locator(".result-card").first.bounding_box()
    assert card is not None
    assert card["y"] < PHONE["height"], f"the first result starts {card['y']:.0f} px down"
    # The filters are one tap away, and they open with and without JavaScript.
    toggle = page.locator("#facets-toggle")
    assert toggle.get_attribute("open") is None
    page.locator("#facets-toggle > summary").click()
    assert toggle.get_attribute("open") == ""
    assert page.locator("#facet-target_group-button").is_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_filters_show_on_desktop_and_panels_open_without_javascript(new_page, javascript):
    page = new_page(viewport=DESKTOP, java_script_enabled=javascript)
    page.goto("/indsatser/?has_budget=true")
    # Panels with a selection are open as served, the others closed; both kinds still open.
    assert page.locator("#facet-has_budget-panel").get_attribute("open") == ""
    assert page.locator("#f-has_budget-true").is_visible()
    target = page.locator("#facet-target_group-panel")
    assert target.get_attribute("open") is None
    assert not page.locator("#facet-target_group input[type=checkbox]").first.is_visible()
    # The municipalities' "find in the list" field only works with JavaScript.
    page.goto("/indsatser/?municipality=aarhus")
    assert page.locator("#facet-municipality-filter").is_visible() == javascript
    page.goto("/indsatser/?has_budget=true")
    page.locator("#facet-target_group-button").click()
    assert target.get_attribute("open") == ""
    assert page.locator("#facet-target_group input[type=checkbox]").first.is_visible()


def test_fonts_are_woff2(new_page):
    page = new_page(viewport=DESKTOP)
    fonts = []
    page.on("request", lambda r: fonts.append(r.url) if r.resource_type == "font" else None)
    page.goto("/indsatser/")
    page.wait_for_load_state("networkidle")
    assert fonts, "no font was loaded"
    assert all(".woff2" in url for url in fonts), fonts
