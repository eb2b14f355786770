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
    page.route("**/build/fonts/**", lambda route: route.abort())
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


# Where the text blocks of the main column are: the top and height of each heading, paragraph,
# list item, term and summary in the first two screens.
TEXT_BOXES = """() => Array.from(document.querySelectorAll(
    "main h1, main h2, main h3, main p, main li, main dt, main dd, main summary"))
  .map(e => e.getBoundingClientRect())
  .map(r => [Math.round(r.y), Math.round(r.height)])
  .filter(([y]) => y < 2 * innerHeight)"""

# Whether the fallback face finds a local Arial or a metric twin (Debian: fonts-liberation).
HAS_ARIAL_METRICS = """() => new FontFace("probe", "local('Arial'), local('Liberation Sans')")
  .load().then(() => true, () => false)"""


@pytest.mark.parametrize(
    "url", ["/indsatser/", "/indsatser/akutteam-herning/", "/en/"], ids=["list", "detail", "en"]
)
def test_the_web_font_arriving_does_not_move_the_text_on_a_phone(new_page, url):
    """Issue #21: until IBM Plex Sans arrives (font-display: swap) text is set in a fallback
    face sized to its metrics, so on a 375 px phone no line wraps anew and nothing moves when
    it arrives. The page without the web font is compared with the page with it."""
    without = new_page(viewport=PHONE)
    if not without.evaluate(HAS_ARIAL_METRICS):
        pytest.skip("no Arial or Liberation Sans on this machine for the fallback face")
    without.route("**/*.woff*", lambda route: route.abort())
    without.goto(url)
    without.wait_for_load_state("networkidle")
    fallback = without.evaluate(TEXT_BOXES)
    with_font = new_page(viewport=PHONE)
    with_font.goto(url)
    with_font.wait_for_load_state("networkidle")
    assert with_font.evaluate(
        "document.fonts.ready.then(() => document.fonts.check('16px \"IBM Plex Sans\"'))"
    )
    assert with_font.evaluate(
        "[...document.fonts].some(f => f.family.includes('IBM Plex Sans') && f.status === 'loaded')"
    )
    web_font = with_font.evaluate(TEXT_BOXES)
    assert len(fallback) > 5 and len(fallback) == len(web_font)
    moved = [
        (a, b)
        for a, b in zip(fallback, web_font, strict=True)
        if abs(a[0] - b[0]) > 2 or a[1] != b[1]
    ]
    assert not moved, f"{len(moved)} text blocks move when the web font arrives: {moved[:3]}"
