"""The public pages without a browser: browse pages and their counts, the htmx partial, the
language switch, the error pages and the site frame every page shares."""

import gzip
import re

import pytest
from django.db import connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from interventions.listing import run
from interventions.models import (
    Intervention,
    LegalParagraph,
    Method,
    Municipality,
    Region,
    SourceDocument,
    TargetGroup,
)
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db

BROWSE = ["/paragraffer/", "/maalgrupper/", "/kommuner/", "/metoder/", "/kilder/"]
ALL_PAGES = ["/", "/indsatser/", "/indsatser/cafe-tumling-aarhus/", *BROWSE, "/om/",
             "/tilgaengelighed/"]  # fmt: skip


def published_count(**lookup) -> int:
    return Intervention.objects.published().filter(**lookup).distinct().count()


@pytest.mark.parametrize("url", ALL_PAGES)
def test_every_page_has_the_frame_one_h1_and_no_inline_code(client, url):
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert 'class="skipnav" href="#main"' in html and 'id="main"' in html
    assert "<header" in html and "<footer" in html and 'aria-label="Hovedmenu"' in html
    # A strict Content-Security-Policy allows no inline script, handler or style.
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert " style=" not in html and "<style" not in html
    assert "http://" not in html.replace("http://testserver", "")


def test_drafts_never_count_on_browse_pages(client):
    group = TargetGroup.objects.get(slug="hjemloese")

    def shown() -> int:
        groups = client.get("/maalgrupper/").context["groups"]
        return next(g.n for g in groups if g.pk == group.pk)

    before = shown()
    InterventionFactory(is_published=False, target_groups=[group])
    after = shown()
    assert before == after == published_count(target_groups=group)


def test_paragraphs_are_grouped_by_law_with_titles_and_counts(client):
    response = client.get("/paragraffer/")
    html = response.content.decode()
    for law in response.context["laws"]:
        assert law.name in html
        for paragraph in law.used_paragraphs:
            assert paragraph.n == published_count(legal_paragraphs=paragraph) > 0
            assert f"?paragraph={paragraph.slug}" in html and paragraph.title in html
    shown = {p.pk for law in response.context["laws"] for p in law.used_paragraphs}
    assert shown == set(
        LegalParagraph.objects.filter(interventions__is_published=True).values_list("pk", flat=True)
    )


def test_places_count_an_entry_once_per_region_however_it_belongs(client):
    region = Region.objects.get(slug="region-midtjylland")
    aarhus = Municipality.objects.get(slug="aarhus")
    entry = InterventionFactory(municipalities=[aarhus])
    entry.regions.add(region)  # belongs both directly and through Aarhus
    rows = {row["region"].slug: row for row in client.get("/kommuner/").context["regions"]}
    # Runs or serves (ADR 0012): a region's and a municipality's entries include those serving it.
    in_region = (
        Q(regions=region)
        | Q(municipalities__region=region)
        | Q(served_municipalities__region=region)
    )
    expected = Intervention.objects.published().filter(in_region).distinct().count()
    assert rows["region-midtjylland"]["count"] == expected
    listed = {m.slug: m.n for m in rows["region-midtjylland"]["municipalities"]}
    in_aarhus = Q(municipalities=aarhus) | Q(served_municipalities=aarhus)
    assert listed["aarhus"] == Intervention.objects.published().filter(in_aarhus).distinct().count()
    assert len(rows) == Region.objects.count()


def test_the_region_count_matches_the_region_filter(client):
    rows = client.get("/kommuner/").context["regions"]
    for row in rows:
        listed = client.get("/indsatser/", {"region": row["region"].slug}).context["page"]
        assert listed.paginator.count == row["count"]


def test_methods_and_target_groups_link_into_the_list(client):
    html = client.get("/metoder/").content.decode()
    for method in Method.objects.filter(interventions__is_published=True).distinct():
        assert f"?method={method.slug}" in html
    html = client.get("/maalgrupper/").content.decode()
    assert "?target_group=voksne-med-autisme" in html


def test_sources_show_their_guidance_grouped(client):
    response = client.get("/kilder/")
    html = response.content.decode()
    dsr = SourceDocument.objects.get(key="dsr-investering-2019")
    assert dsr.title in html and f"?source={dsr.key}" in html
    for item in dsr.guidance.all()[:5]:
        assert item.title in html
    document = next(d for d in response.context["documents"] if d.key == dsr.key)
    assert sum(len(items) for _, items in document.guidance_groups) == dsr.guidance.count()
    assert document.n == published_count(source=dsr)


@pytest.mark.parametrize("url", ["/", *BROWSE, "/om/"])
def test_query_count_does_not_grow_with_the_catalogue(client, url):
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    group, method = TargetGroup.objects.first(), Method.objects.first()
    aarhus = Municipality.objects.get(slug="aarhus")
    for _ in range(10):
        entry = InterventionFactory(
            target_groups=[group], paragraphs=["SEL § 85"], municipalities=[aarhus]
        )
        entry.methods.add(method)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before) <= 18  # 17 before the unanswered requests (ADR 0015)


def test_home_shows_search_tiles_entry_points_and_latest(client):
    response = client.get("/")
    html = response.content.decode()
    assert 'name="q"' in html and 'action="/indsatser/"' in html
    assert "?target_group=voksne-med-psykiske-lidelser" in html
    for url in ("/paragraffer/", "/kommuner/", "/metoder/", "/kilder/"):
        assert f'href="{url}"' in html
    assert response.context["entry_points"]["sources"] == SourceDocument.objects.count()
    assert len(response.context["latest"]) == 6


class TestHtmx:
    def test_an_htmx_request_gets_only_the_results_region(self, client):
        response = client.get("/indsatser/", {"target_group": "hjemloese"}, HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.status_code == 200
        assert html.lstrip().startswith('<form id="results-form"')
        assert "<html" not in html and "<h1" not in html
        count = published_count(target_groups__slug="hjemloese")
        assert f"{count} indsatser" in html
        # The screen-reader announcement is swapped in out of band.
        assert 'id="results-status" hx-swap-oob="innerHTML"' in html
        assert f"{count} indsatser fundet" in html
        # Caches must keep the partial and the page apart.
        assert "HX-Request" in response["Vary"]

    def test_a_history_restore_gets_the_whole_page(self, client):
        response = client.get(
            "/indsatser/",
            {"target_group": "hjemloese"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_HISTORY_RESTORE_REQUEST="true",
        )
        assert "<html" in response.content.decode()

    def test_a_full_page_has_an_empty_live_region_and_no_out_of_band_part(self, client):
        html = client.get("/indsatser/").content.decode()
        assert 'role="status" aria-live="polite"' in html and "hx-swap-oob" not in html

    def test_errors_come_back_in_the_partial_with_400(self, client):
        response = client.get(
            "/indsatser/", {"target_group": "findes-ikke"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 400
        assert "Noget i søgningen kunne ikke bruges" in response.content.decode()


def test_the_list_form_works_without_javascript(client):
    html = client.get("/indsatser/", {"target_group": "hjemloese"}).content.decode()
    assert '<form id="results-form"' in html and 'method="get"' in html
    box = 'id="f-target_group-hjemloese" name="target_group" value="hjemloese" checked'
    assert box in html
    assert "Anvend filtre" in html and 'type="submit"' in html
    # The active filter is a removable tag: a plain link without the value.
    assert re.search(r'<a class="tag tag-icon" href="\?"', html)
    assert 'rel="next"' in html or published_count(target_groups__slug="hjemloese") <= 20


def test_the_download_links_carry_the_selection_when_the_api_branch_is_merged(client):
    from django.urls import NoReverseMatch, reverse

    html = client.get("/indsatser/", {"target_group": "hjemloese", "page": "1"}).content.decode()
    try:
        csv_url = reverse("interventions:download_csv")
    except NoReverseMatch:
        assert "Hent udvalget" not in html
    else:
        assert f'href="{csv_url}?target_group=hjemloese"' in html


def test_the_card_shows_title_owner_municipalities_groups_and_snippet(client):
    entry = Intervention.objects.get(slug="cafe-tumling-aarhus")
    html = client.get("/indsatser/", {"q": "Café Tumling"}).content.decode()
    assert entry.get_absolute_url() in html and entry.organisation in html
    for group in entry.target_groups.all():
        assert group.name in html


def test_a_correction_is_shown_with_a_link_to_the_original(client):
    # The view adds `suggestion` when a typo was corrected; the template says what was searched.
    response = client.get("/indsatser/", {"q": "psykiatr"})
    context = response.context[-1].flatten()
    context["suggestion"] = {
        "text": "psykiatri",
        "original": "psykiatr",
        "url": "?q=%22psykiatr%22",
    }
    html = render_to_string(
        "interventions/includes/_results.html", context, request=response.wsgi_request
    )
    assert "Viser resultater for »psykiatri«. Søg i stedet efter »<a" in html
    assert '<a href="?q=%22psykiatr%22" hx-get="?q=%22psykiatr%22">psykiatr</a>«' in html


class TestLanguages:
    def test_danish_is_the_default_whatever_the_browser_asks(self, client):
        response = client.get("/indsatser/", HTTP_ACCEPT_LANGUAGE="en")
        html = response.content.decode()
        assert '<html lang="da">' in html and "Søg i indsatserne" in html
        assert "Set-Cookie" not in str(response.headers)

    def test_english_lives_under_en_and_the_data_stays_danish(self, client):
        html = client.get("/en/indsatser/cafe-tumling-aarhus/").content.decode()
        assert '<html lang="en">' in html
        assert "Facts" in html and "Target groups" in html and "Café Tumling" in html
        assert (
            TargetGroup.objects.get(slug="udsatte-familier").name
            in client.get("/en/maalgrupper/").content.decode()
        )

    def test_the_switch_keeps_the_page_and_its_filters(self, client):
        html = client.get("/indsatser/", {"target_group": "hjemloese"}).content.decode()
        assert 'href="/en/indsatser/?target_group=hjemloese" lang="en"' in html
        html = client.get("/en/indsatser/", {"target_group": "hjemloese"}).content.decode()
        assert 'href="/indsatser/?target_group=hjemloese" lang="da"' in html
        assert 'lang="da" hreflang="da"' in html

    def test_english_pages_exist_for_every_page_type(self, client):
        for url in ALL_PAGES:
            assert client.get(f"/en{url}").status_code == 200


class TestErrorPages:
    def test_404_is_friendly_danish(self, client):
        response = client.get("/findes-ikke/")
        html = response.content.decode()
        assert response.status_code == 404
        assert "Siden findes ikke" in html and 'href="/indsatser/"' in html

    def test_500_renders_without_a_request_or_the_database(self, django_assert_num_queries):
        # Django renders 500.html with an empty context; it must not need anything else.
        with django_assert_num_queries(0):
            html = render_to_string("500.html")
        assert "Der skete en fejl" in html and "<h1" in html and 'href="/"' in html

    def test_500_is_served_when_a_view_fails(self, client, monkeypatch):
        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(run, "compute_facets", broken)
        client.raise_request_exception = False
        response = client.get("/indsatser/")
        assert response.status_code == 500
        assert "Der skete en fejl" in response.content.decode()


def test_the_detail_page_has_a_table_of_contents_in_section_order(client):
    entry = Intervention.objects.get(slug="cafe-tumling-aarhus")
    html = client.get(entry.get_absolute_url()).content.decode()
    start = html.index('aria-labelledby="toc-heading"')
    toc = html[start : html.index("</nav>", start)]
    anchors = re.findall(r'href="#section-([a-z_]+)"', toc)
    assert anchors == [section.key for section, _ in entry.text_sections()]
    for key in anchors:
        assert f'id="section-{key}"' in html
    assert 'href="#source-heading"' in toc


def test_the_print_stylesheet_is_linked_for_print_only(client):
    html = client.get("/indsatser/cafe-tumling-aarhus/").content.decode()
    assert re.search(
        r'<link rel="stylesheet" href="/static/css/print[^"]*\.css" media="print">', html
    )


def test_browse_lists_are_in_danish_alphabetical_order(client):
    names = [g.name for g in client.get("/maalgrupper/").context["groups"]]
    assert names[-1] == "Ældre" and names.index("Børn og unge med særlige behov") < names.index(
        "Dobbeltdiagnose"
    )
    tiles = [g.name for g in client.get("/").context["target_groups"]]
    assert tiles[-1] == "Ældre"
    for row in client.get("/kommuner/").context["regions"]:
        listed = [m.name for m in row["municipalities"]]
        assert listed == sorted(
            listed, key=lambda n: n.lower().translate(str.maketrans("æøå", "{|}"))
        )


# --- HEAD ----------------------------------------------------------------------------------------

DETAIL_SLUG = "cafe-tumling-aarhus"


def _every_public_get_path() -> list[str]:
    """Every page of the site's URLconf in both languages, and every API endpoint: taken from the
    URLconfs, so a new page is tested without being listed here."""
    from django.urls import reverse
    from django.utils import translation

    from interventions import urls as page_urls
    from interventions.api import urls as api_urls

    def kwargs(pattern) -> dict[str, str]:
        return dict.fromkeys(pattern.pattern.regex.groupindex, DETAIL_SLUG)  # only `slug` so far

    paths = []
    for language in ("da", "en"):
        with translation.override(language):
            paths += [
                reverse(f"interventions:{p.name}", kwargs=kwargs(p))
                for p in page_urls.urlpatterns
                # An owner's link needs a signed token (tests/feedback/test_owner.py).
                if "token" not in p.pattern.regex.groupindex
            ]
    paths += ["/indsatser/?q=bostøtte&target_group=hjemloese", "/indsatser/download.csv?q=bostøtte"]
    paths += [
        reverse(f"api:{p.name}", kwargs=kwargs(p))
        for p in api_urls.urlpatterns
        if p.name and p.name != "api-root"
    ]
    return paths


@pytest.mark.parametrize("path", _every_public_get_path())
def test_head_answers_every_public_page_like_get_without_a_body(client, path):
    """HEAD (link checkers, monitors, proxies) gets GET's status and headers, and no body."""
    get, head = client.get(path), client.head(path)
    assert (get.status_code, head.status_code) == (200, 200)
    assert head.content == b""
    for header in ("Content-Type", "Content-Disposition", "Content-Length", "Cache-Control"):
        assert head.get(header) == get.get(header), header


def test_head_on_an_unknown_path_is_404_also_under_the_api(client):
    assert client.head("/findes-ikke/").status_code == 404
    assert client.head("/api/findes-ikke/").status_code == 404


def test_a_head_request_does_not_leave_an_empty_page_in_the_page_cache(client, settings):
    """The page cache stores what the view rendered for a HEAD; the GET after it is whole."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    page, download = "/indsatser/?target_group=hjemloese", "/indsatser/download.csv"
    for path in (page, download):
        assert client.head(path).status_code == 200
    cached_page, cached_download = client.get(page), client.get(download)
    assert cached_page["X-Cache"] == cached_download["X-Cache"] == "hit"  # what the HEADs stored
    assert cached_page.content.rstrip().endswith(b"</html>")
    assert int(cached_page["Content-Length"]) == len(cached_page.content)
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    assert cached_download.content == client.get(download).content


@pytest.mark.parametrize("url", ["/indsatser/", "/indsatser/biofeedback-horsens/", "/en/om/"])
def test_pages_are_compressed_for_a_client_that_accepts_it(client, url):
    plain = client.get(url)
    packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content)
    assert len(packed.content) < len(html) / 2
    assert html.startswith(b"<!doctype html>") and html.rstrip().endswith(b"</html>")


def test_a_recommendation_does_not_repeat_its_heading_as_its_text(client):
    """Most sources' recommendation titles are the first sentence of the text, or its start."""
    from interventions.models import Guidance

    source = Guidance.objects.first().source
    whole = Guidance(
        source=source, number=1, title="Sørg for ro.", text="Sørg for ro. Det hjælper."
    )
    cut = Guidance(
        source=source,
        number=2,
        title="Der skal være fokus på X",
        text="Der skal være fokus på X, for at sikre Y.",
    )
    other = Guidance(source=source, number=3, title="Fortæl", text="Medarbejderne skal informeres.")
    assert whole.text_after_title == "Det hjælper."
    assert cut.text_after_title == "… for at sikre Y."
    assert other.text_after_title == "Medarbejderne skal informeres."
    html = client.get("/kilder/").content.decode()
    for guidance in Guidance.objects.all():
        title = re.escape(guidance.title)
        assert not re.search(rf'guidance-title">{title}</h4><p>{title}', html), guidance.title
