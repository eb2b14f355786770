"""Findability and sharing (#21): a title per search, link previews, robots.txt, a sitemap of
every published entry and browse page, the API and the data's licence in the footer, and an API
any web page may read."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from interventions.models import Intervention
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def meta(html: str, prop: str) -> str:
    return re.search(rf'<meta property="{prop}" content="([^"]*)"', html).group(1)


# --- Titles and link previews --------------------------------------------------------------------


def test_every_search_has_its_own_title_naming_what_was_chosen_and_found(client):
    response = client.get("/indsatser/", {"target_group": "hjemloese", "municipality": "aarhus"})
    n = response.context["page"].paginator.count
    assert (
        title(response.content.decode()) == f"Hjemløse, Aarhus — {n} indsatser · Indsatskataloget"
    )
    searched = client.get("/indsatser/", {"q": "bostøtte"})
    found = searched.context["page"].paginator.count
    assert title(searched.content.decode()).startswith(f"“bostøtte” — {found} indsatser")
    assert title(client.get("/indsatser/").content.decode()) == "Indsatser · Indsatskataloget"


def test_one_result_is_counted_in_the_singular(client):
    entry = InterventionFactory(title="Zyxenestående")
    html = client.get("/indsatser/", {"q": entry.title}).content.decode()
    assert title(html) == "“Zyxenestående” — 1 indsats · Indsatskataloget"


def test_an_htmx_update_brings_the_new_title(client):
    html = client.get(
        "/indsatser/", {"target_group": "hjemloese"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert re.search(r"<title>Hjemløse — \d+ indsatser · Indsatskataloget</title>", html)


def test_pages_have_open_graph_tags_with_their_own_title_and_address(client):
    html = client.get("/indsatser/", {"target_group": "hjemloese"}).content.decode()
    assert meta(html, "og:site_name") == "Indsatskataloget"
    assert meta(html, "og:title").startswith("Hjemløse — ")
    assert meta(html, "og:url") == "http://testserver/indsatser/?target_group=hjemloese"
    assert meta(html, "og:locale") == "da_DK"
    entry = Intervention.objects.published().first()
    detail = client.get(entry.get_absolute_url()).content.decode()
    assert meta(detail, "og:type") == "article"
    assert meta(detail, "og:title") == entry.title
    assert meta(client.get("/en/").content.decode(), "og:locale") == "en_GB"


# --- robots.txt and sitemap.xml ------------------------------------------------------------------


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_filter_combinations(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Disallow: /indsatser/?" in text and "Disallow: /indsatser/download." in text
    assert "admin" not in text.lower()  # the admin's address is not advertised


def test_the_sitemap_lists_every_published_entry_and_browse_page_in_both_languages(client):
    draft = InterventionFactory(title="Zyxudkast", is_published=False)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    locations = {loc.text for loc in root.findall("s:url/s:loc", SITEMAP_NS)}
    for entry in Intervention.objects.published():
        assert f"http://testserver{entry.get_absolute_url()}" in locations
        assert f"http://testserver/en{entry.get_absolute_url()}" in locations
    for name in ("list", "browse_target_groups", "browse_paragraphs", "browse_places"):
        assert f"http://testserver{reverse(f'interventions:{name}')}" in locations
    assert not any(draft.slug in location for location in locations)
    assert (
        len(root.findall("s:url/s:lastmod", SITEMAP_NS))
        >= 2 * Intervention.objects.published().count()
    )


# --- Footer --------------------------------------------------------------------------------------


def test_the_footer_links_to_the_api_its_documentation_and_says_the_licence_is_undecided(client):
    html = client.get("/").content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert 'href="/api/"' in footer and 'href="/api/docs/"' in footer
    assert "Licensen for katalogets data er endnu ikke besluttet af ejeren." in footer
    assert "CC BY" not in footer


# --- CORS on the read-only API -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/interventions/", "/api/target-groups/", "/api/findes-ikke/"]
)
def test_any_site_may_read_the_api(client, path):
    response = client.get(path, headers={"Origin": "https://example.org"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


def test_a_bad_request_is_readable_across_sites_too(client):
    response = client.get("/api/interventions/", {"sort": "x"}, headers={"Origin": "https://a.dk"})
    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_allows_reading_only(client):
    ok = client.options(
        "/api/interventions/",
        headers={"Origin": "https://a.dk", "Access-Control-Request-Method": "GET"},
    )
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == "*"
    assert ok["Access-Control-Allow-Methods"] == "GET, HEAD"
    refused = client.options(
        "/api/interventions/",
        headers={"Origin": "https://a.dk", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in refused


def test_writes_and_pages_get_no_cors_headers(client):
    assert "Access-Control-Allow-Origin" not in client.post("/api/interventions/")
    assert "Access-Control-Allow-Origin" not in client.get(
        "/indsatser/", headers={"Origin": "https://a.dk"}
    )
