"""The list page's helpers that stand in for template tags give what those tags give."""

from unittest.mock import Mock

import pytest
from django.conf import settings
from django.core.paginator import Paginator
from django.http import QueryDict
from django.template import Context, Engine, Library, RequestContext
from django.template.defaulttags import querystring
from django.templatetags.i18n import do_translate
from django.test import RequestFactory
from django.urls import translate_url
from django.utils import translation

from interventions.listing.facets import compute_facets, toggle_url
from interventions.templatetags import site_tags
from interventions.templatetags.site_tags import (
    SelectionLinks,
    language_links,
    query_string,
    reversed_url,
)

QUERIES = [
    "",
    "page=2",
    "q=psykiatri",
    "q=%22unge%22+%3Cb%3E&target_group=a&target_group=b&page=3&sort=-budget",
    "page=1&page=2&sep=%3B",
    "q=b%C3%B8rn+%26+unge&region=",
]
CHANGES = [
    {"page": None},
    {"page": 4},
    {"page": None, "sort": None},
    {"page": None, "sep": ","},
    {"sort": "title", "page": None},
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("changes", CHANGES)
def test_query_string_is_what_the_querystring_tag_gives(query, changes):
    params = QueryDict(query)
    context = Context({"request": RequestFactory().get("/indsatser/", data=params)})
    assert query_string(params, **changes) == querystring(context, params, **changes)


def test_selection_links_keep_the_selection_without_page_or_feed_sort():
    request = RequestFactory().get("/indsatser/?q=unge&region=x&page=3&sort=-budget")
    links = SelectionLinks(request.GET)
    assert links.csv == "/indsatser/download.csv?q=unge&region=x&sort=-budget"
    assert links.csv_comma == "/indsatser/download.csv?q=unge&region=x&sort=-budget&sep=%2C"
    assert links.xlsx == reversed_url("interventions:download_xlsx") + links.selection
    assert links.json == reversed_url("interventions:download_json") + links.selection
    assert links.feed == reversed_url("interventions:feed") + "?q=unge&region=x"


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_the_list_page_builds_its_title_and_each_link_once(client, monkeypatch, htmx):
    """The title (`<title>` and `og:title`, or htmx's `<title>`) and the feed link (in the
    head and under the results) are each built once a page, however often the page shows them."""
    from interventions.views import pages

    titles, strings = [], []
    list_title, query_string = pages.list_title, site_tags.query_string

    def counting_title(*args):
        titles.append(args)
        return list_title(*args)

    def counting_strings(params, **changes):
        strings.append(tuple(sorted(changes.items())))
        return query_string(params, **changes)

    monkeypatch.setattr(pages, "list_title", counting_title)
    monkeypatch.setattr(site_tags, "query_string", counting_strings)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    html = client.get("/indsatser/?q=unge&target_group=hjemloese", **headers).content.decode()
    assert len(titles) == 1
    title = list_title(*titles[0])
    assert title.startswith("“unge”, ") and html.count(f"{title} · Indsatskataloget") == 1
    if not htmx:
        assert f'<meta property="og:title" content="{title}">' in html
    feed = reversed_url("interventions:feed") + "?q=unge&amp;target_group=hjemloese"
    assert html.count(f'href="{feed}"') == (1 if htmx else 2)
    assert strings.count((("page", None), ("sort", None))) == 1


def test_reversed_urls_follow_the_language():
    from django.utils import translation

    with translation.override("en"):
        english = reversed_url("interventions:list")
    with translation.override("da"):
        danish = reversed_url("interventions:list")
    assert (danish, english) == ("/indsatser/", "/en/indsatser/")


def reference_toggle_url(params, param, value):
    """The toggle link as it was built from a copy of the query (before ADR 0017's fifth round)."""
    new = params.copy()
    new.pop("page", None)
    values = new.getlist(param)
    new.setlist(param, [v for v in values if v != value] if value in values else [*values, value])
    encoded = new.urlencode()
    return f"?{encoded}" if encoded else "?"


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("target_group", "a"),
        ("target_group", "c"),
        ("region", ""),
        ("q", "psykiatri"),
        ("page", "2"),
        ("sector", "kommunal"),
    ],
)
def test_a_toggle_link_is_what_it_was(query, param, value):
    params = QueryDict(query)
    assert toggle_url(params, param, value) == reference_toggle_url(params, param, value)


PATHS = [
    "/indsatser/?q=psykiatri&region=region-midtjylland",
    "/en/indsatser/?q=b%C3%B8rn+%26+unge&page=2",
    "/indsatser/akutteam-herning/",
    "/en/indsatser/akutteam-herning/?print=1",
    "/no-such-page/?a=1",
    "//elsewhere.example/indsatser/?q=x",
    "/",
    "/en/",
]


@pytest.mark.parametrize("path", PATHS)
def test_the_language_links_are_what_translate_url_gives(path):
    """The language switch translates the path once per path (kept) and keeps the query: the
    same links as `translate_url` on the whole address, asked twice (the second from the kept
    path)."""
    request = RequestFactory().get(path)
    language = "en" if request.path.startswith("/en/") else "da"
    with translation.override(language):
        for _ in range(2):
            links = language_links(Context({"request": request}))
            assert [link["url"] for link in links] == [
                translate_url(request.get_full_path(), code) for code, _name in settings.LANGUAGES
            ]


TRANSLATE_CASES = [
    '{% translate "Kilde" %}',
    "{% translate 'Målgrupper' %}",
    '{% trans "Kilde" %}',
    '{% translate "Kilde" as label %}[{{ label }}]',
    '{% translate "Kilde" noop %}',
    '{% translate "Kilde" context "unknown" %}',
    '{% translate "Kilde"|upper %}',
    "{% translate message %}",
    '{% translate "a < b & 100%% sikkert" %}',
]


@pytest.mark.parametrize("source", TRANSLATE_CASES)
def test_the_kept_translate_tag_renders_what_djangos_does(source, settings):
    """`site_tags` keeps a literal message's rendering per language and autoescape; loaded after
    `i18n` it stands in for Django's tag: the same text every time, in every case."""
    settings.DEBUG = False  # with DEBUG on, the tag is Django's
    engine = Engine.get_default()
    for autoescape in (True, False):
        ours = engine.from_string("{% load i18n site_tags %}" + source)
        django = engine.from_string("{% load i18n %}" + source)
        for language in ("da", "en", "da"):
            with translation.override(language):
                context = {"message": "Kilde <b>"}
                expected = django.render(Context(context, autoescape=autoescape))
                for _ in range(2):
                    assert ours.render(Context(context, autoescape=autoescape)) == expected


@pytest.mark.parametrize(
    ("query", "chosen"),
    [("", ""), ("sort=-title", "-title"), ("sort=-updated&sort=-title", "-title"), ("sort=", "")],
)
def test_the_sort_menu_chooses_the_query_strings_last_sort(query, chosen):
    """The menu marks the query string's `sort` (its last value, as a template's look-up gives)
    and, without one, the default; a search adds relevance, chosen by default."""
    from interventions.templatetags.site_tags import sort_menu

    html = sort_menu(Context(), "", QueryDict(query))
    assert html.count(" selected") == 1
    assert f'<option value="{chosen}" selected>' in html
    searched = sort_menu(Context(), "psykiatri", QueryDict(query))
    assert searched.count(" selected") == 1 and f'value="{chosen}" selected' in searched


# The facet panels' part of `_facets.html` before `{% facet_list %}` took it over (without its
# indentation, which the tags leave out), and a template library (`{% load reference %}`)
# with the filter and tags it used.
register = Library()
register.filter("with_values", lambda facets: [facet for facet in facets if facet.values])
register.simple_tag(site_tags.facet_panels)
register.simple_tag(site_tags.budget_panel)
register.tag("translate", do_translate)
FACET_LIST_TEMPLATE = """{% load reference %}{% with shown=facets|with_values %}{% if shown %}
<ul class="unstyled-list facet-list">
{% facet_panels shown %}
{% budget_panel budget %}
</ul>
{% else %}
<p>{% translate "Der er intet at afgrænse i et tomt resultat." %}</p>
{% endif %}{% endwith %}"""


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize(
    "query", ["", "q=psykiatri&target_group=hjemloese&has_budget=true", "q=zzzxqy"]
)
def test_the_facet_list_is_what_its_template_wrote(query, language):
    engine = Engine(libraries={"reference": __name__})
    with translation.override(language):
        result = compute_facets(QueryDict(query))
        context = {"facets": result.facets, "budget": result.budget}
        expected = engine.from_string(FACET_LIST_TEMPLATE).render(Context(context))
        assert site_tags.facet_list(result.facets, result.budget) == expected
    assert ("facet-list" in expected) == (query != "q=zzzxqy")


@pytest.mark.django_db
def test_a_value_is_marked_danish_only_on_a_page_in_another_language():
    """The vocabularies are Danish in both languages: an English page marks their values
    `lang="da"` (a screen reader reads them with a Danish voice); on a Danish page the page's
    own `lang` says it already."""
    for language, marked in (("da", False), ("en", True)):
        with translation.override(language):
            result = compute_facets(QueryDict("target_group=hjemloese"))
            html = site_tags.facet_list(result.facets, result.budget)
        assert ('<span lang="da">Hjemløse</span>' in html) is marked
        assert ('lang="da"' in html) is marked
        assert 'Hjemløse <span class="facet-count">' in html or marked


@pytest.mark.django_db
def test_the_chips_and_page_links_translate_their_words_once_per_language(monkeypatch):
    """The active filters' and the page links' fixed words are translated once per language
    (each a gettext through the active translation), and each language keeps its own."""
    request = RequestFactory().get("/indsatser/?q=unge&target_group=hjemloese&sort=title")
    listing = compute_facets(request.GET)
    page = Paginator(range(100), 20).page(2)

    def render() -> str:
        return site_tags.active_filter_list(
            Context(), request.GET, listing.facets, listing.budget, "unge", "/indsatser/"
        ) + site_tags.pagination(RequestContext(request), page)

    with translation.override("da"):
        danish = render()
    with translation.override("en"):
        english = render()
    gettext = Mock(wraps=site_tags.gettext)
    monkeypatch.setattr(site_tags, "gettext", gettext)
    with translation.override("da"):
        assert render() == danish
    with translation.override("en"):
        assert render() == english
    assert gettext.call_args_list == []
    for words in ("Aktive filtre", "Fjern søgningen", "Fjern filteret Målgruppe", "Nulstil"):
        assert words in danish
    assert "Sortering:" in danish and "Side 2 af 5" in danish and "Forrige" in danish
    assert "Active filters" in english and "Page 2 of 5" in english


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("count", [0, 1, 2, 186, 100000])
def test_the_result_count_is_what_blocktranslate_wrote(language, count):
    """`{% result_count %}` writes the heading's "27 indsatser" as the `{% blocktranslate
    count %}` it stands in for did, in both languages."""
    old = Engine(libraries={"i18n": "django.templatetags.i18n"}).from_string(
        "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} indsats{% plural %}"
        "{{ counter }} indsatser{% endblocktranslate %}"
    )
    new = Engine(libraries={"site_tags": "interventions.templatetags.site_tags"}).from_string(
        "{% load site_tags %}{% result_count n %}"
    )
    with translation.override(language):
        written = new.render(Context({"n": count}))
        assert written == old.render(Context({"n": count}))
    assert written.startswith(f"{count} ") and ("intervention" in written) == (language == "en")
