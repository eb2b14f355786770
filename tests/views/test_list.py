"""The list page /indsatser/: filters, facets, pagination, errors and a constant query count."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.models import Intervention, TargetGroup
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db
URL = "/indsatser/"


def test_lists_published_entries_with_a_count(client):
    response = client.get(URL)
    assert response.status_code == 200
    total = Intervention.objects.published().count()
    assert response.context["page"].paginator.count == total
    assert f"{total} indsatser" in response.content.decode()


def test_drafts_are_not_listed(client):
    InterventionFactory(title="Hemmeligt udkast", is_published=False)
    InterventionFactory(title="Hemmeligt, men offentliggjort")
    response = client.get(URL, {"q": "hemmeligt"})
    # The search finds the published one, so it would have found the draft too.
    assert [e.title for e in response.context["page"]] == ["Hemmeligt, men offentliggjort"]


def test_filters_and_facets_are_shown(client):
    response = client.get(URL, {"target_group": "hjemloese"})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.object_list  # so the next line has something to check
    assert all(i.target_groups.filter(slug="hjemloese").exists() for i in page.object_list)
    assert (
        page.paginator.count
        == TargetGroup.objects.get(slug="hjemloese").interventions.filter(is_published=True).count()
    )
    facets = {f.param: f for f in response.context["facets"]}
    assert "target_group" in facets and "paragraph" in facets
    assert [v.value for v in facets["target_group"].selected] == ["hjemloese"]


@pytest.mark.parametrize(
    "query",
    [{"target_group": "findes-ikke"}, {"sort": "hemmelig"}, {"q": "%%%"}, {"q": "x" * 201}],
)
def test_invalid_values_give_400_with_a_danish_message(client, query):
    response = client.get(URL, query)
    assert response.status_code == 400
    assert response.context["errors"]
    assert "Noget i søgningen kunne ikke bruges" in response.content.decode()


@pytest.mark.parametrize("page", ["999", "abc", "-1", ""])
def test_any_page_number_answers(client, page):
    assert client.get(URL, {"page": page}).status_code == 200


def test_post_is_refused(client):
    assert client.post(URL).status_code == 405


def _queries(client, query: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, query).status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "bostøtte"},
        {"target_group": "hjemloese", "region": "region-midtjylland", "q": "indsats"},
    ],
)
def test_query_count_does_not_grow_with_the_number_of_entries(client, query):
    before = _queries(client, query)
    assert before  # the page reads its entries, at least
    for n in range(25):
        InterventionFactory(title=f"Ekstra indsats {n}", summary="bostøtte indsats")
    assert _queries(client, query) == before


# --- Search on the page: corrections, paragraphs in the text, places, English --------------------


def test_the_page_searches_a_corrected_typo_and_says_so(client):
    response = client.get("/indsatser/", {"q": "støtekontaktperson"})
    assert response.context["page"].paginator.count
    html = response.content.decode()
    assert "Viser resultater for »støttekontaktperson«" in html
    assert "?q=%22st%C3%B8tekontaktperson%22" in html  # the original, quoted: never corrected
    quoted = client.get("/indsatser/", {"q": '"støtekontaktperson"'})
    assert quoted.context["suggestion"] is None


def test_the_page_finds_a_paragraph_stated_in_the_text(client):
    response = client.get("/indsatser/", {"q": "§ 110"})
    slugs = [i.slug for i in response.context["page"].paginator.object_list]
    assert "forebyggelse-funktionel-hjemloeshed-act-aarhus" in slugs


def test_the_page_lists_a_places_entries_first(client):
    response = client.get("/indsatser/", {"q": "Struer"})
    slugs = [i.slug for i in response.context["page"].paginator.object_list]
    struer = set(
        Intervention.objects.published()
        .filter(municipalities__name="Struer")
        .values_list("slug", flat=True)
    )
    assert struer and set(slugs[: len(struer)]) == struer


def test_an_english_query_reaches_danish_entries_through_aliases(client):
    response = client.get("/en/indsatser/", {"q": "dual diagnosis"})
    slugs = [i.slug for i in response.context["page"].paginator.object_list]
    assert "fact-team-dobbeltdiagnose-silkeborg" in slugs
    assert response.context["danish_hint"] is None


def test_an_english_query_that_finds_nothing_is_told_the_data_is_danish(client):
    response = client.get("/en/indsatser/", {"q": "homelesness shelter"})
    assert response.context["page"].paginator.count == 0
    assert response.context["danish_hint"]["terms"][0]["text"] == "Hjemløse"
    html = response.content.decode()
    assert "The interventions are described in Danish" in html
    danish = client.get("/indsatser/", {"q": "zyxkvantum"})
    assert danish.context["danish_hint"] is None


def test_the_english_hint_links_the_danish_term_marked_as_danish(client):
    html = client.get("/en/indsatser/", {"q": "homelesness shelter"}).content.decode()
    assert re.search(r'<a href="\?q=Hjeml%C3%B8se"[^>]*lang="da">Hjemløse</a>', html)


def test_english_pages_mark_the_danish_data_for_screen_readers(client):
    html = client.get("/en/indsatser/", {"target_group": "hjemloese"}).content.decode()
    assert '<html lang="en">' in html
    assert "The interventions are described in Danish" in html
    assert '<h3 class="result-title" lang="da">' in html
    assert '<p class="result-text" lang="da">' in html
    assert '<span lang="da">Hjemløse</span>' in html  # the facet value and its chip
    assert '<span class="badge" lang="da">' in html
    entry = Intervention.objects.published().first()
    detail = client.get(f"/en/indsatser/{entry.slug}/").content.decode()
    assert f'<h1 lang="da">{entry.title}</h1>' in detail
    assert '<p class="font-lead detail-lead" lang="da">' in detail


# --- Every active filter is visible and removable (#21) ------------------------------------------


def active_groups(html: str) -> list[str]:
    """The active-filter groups as a reader sees them: "Målgruppe: Hjemløse eller Unge 15-25"."""
    block = re.search(r'<ul class="unstyled-list active-filter-list">(.*?)</ul>', html, re.S)
    if block is None:
        return []
    groups = re.findall(r'<li class="active-filter-group">(.*?)</li>', block.group(1), re.S)
    visible = [
        re.sub(r'<span class="sr-only">.*?</span>|<svg.*?</svg>', "", g, flags=re.S) for g in groups
    ]
    return [" ".join(re.sub(r"<[^>]+>", " ", g).split()) for g in visible]


def test_chips_say_that_values_within_a_facet_are_ored(client):
    html = client.get(URL, {"target_group": ["hjemloese", "unge-15-25"]}).content.decode()
    assert active_groups(html) == ["Målgruppe: Hjemløse eller Unge 15-25"]
    assert "(2 valgt, mindst én skal passe)" in html


def test_all_chosen_mode_is_a_control_a_chip_and_fewer_results(client):
    either = client.get(URL, {"target_group": ["hjemloese", "unge-15-25"]})
    both = client.get(
        URL, {"target_group": ["hjemloese", "unge-15-25"], "match_all": "target_group"}
    )
    html = both.content.decode()
    assert 0 < both.context["page"].paginator.count < either.context["page"].paginator.count
    assert active_groups(html) == ["Målgruppe: Hjemløse og Unge 15-25 alle valgte skal passe"]
    assert re.search(r'name="match_all" value="target_group"[^>]* checked', html)
    assert "(2 valgt, alle skal passe)" in html
    # The mode's chip switches it off and keeps the values.
    assert 'href="?target_group=hjemloese&amp;target_group=unge-15-25"' in html
    # The switch shows where it matters: in a facet that offers it, once two values are chosen.
    assert 'id="match-all-target_group"' in either.content.decode()
    assert 'id="match-all-method"' not in either.content.decode()
    two_each = client.get(
        URL,
        {
            "method": ["housing-first", "fact"],
            "paragraph": ["sel-85", "sel-107"],
            "policy_area": ["bolig", "psykiatri"],
            "region": ["region-midtjylland", "region-hovedstaden"],
        },
    ).content.decode()
    for offered in ("method", "paragraph", "policy_area"):
        assert f'id="match-all-{offered}"' in two_each
    assert 'id="match-all-region"' not in two_each


def test_has_budget_has_a_control_a_chip_and_a_reset(client):
    response = client.get(URL, {"has_budget": "true"})
    html = response.content.decode()
    with_budget = Intervention.objects.published().exclude(budget_dkk=None).count()
    assert response.context["page"].paginator.count == with_budget
    assert active_groups(html) == ["Budget: Med oplyst budget"]
    assert re.search(r'name="has_budget" value="true" checked', html)
    assert f'Med oplyst budget <span class="facet-count">({with_budget})</span>' in html
    assert 'href="?" hx-get="?"' in html  # the chip removes the only filter
    assert "Nulstil alle filtre" in html
    assert active_groups(client.get(URL, {"has_budget": "false"}).content.decode()) == [
        "Budget: Uden oplyst budget"
    ]


def test_the_sort_order_and_the_search_are_chips_too(client):
    html = client.get(URL, {"q": "bolig", "sort": "-budget", "page": "2"}).content.decode()
    assert active_groups(html) == ["Søgning: “bolig”", "Sortering: Største budget"]
    assert 'href="?sort=-budget"' in html  # removes the search, back on page 1
    assert 'href="?q=bolig"' in html


def test_a_freshness_filter_is_a_chip(client):
    html = client.get(URL, {"freshness": "never_confirmed"}).content.decode()
    assert active_groups(html) == ["Aktualitet: Ældre oplysninger, aldrig bekræftet"]


def test_no_filter_no_chips_and_no_reset(client):
    html = client.get(URL).content.decode()
    assert active_groups(html) == [] and "Nulstil alle filtre" not in html


def test_every_public_parameter_of_the_list_has_a_control(client):
    """Each FilterSet parameter is a field of the page's form (a box, a radio, the search
    field or the sort menu), so what a shared link sets can be seen and changed."""
    from interventions.listing.filters import InterventionFilter

    html = client.get(URL, {"target_group": ["hjemloese", "unge-15-25"]}).content.decode()
    for name in InterventionFilter.base_filters:
        assert f'name="{name}"' in html, name
