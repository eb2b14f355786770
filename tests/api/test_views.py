"""The JSON API under /api/: the list page's filters, strict paging, the export format, counts."""

from urllib.parse import urlencode

import pytest
from django.test import Client

from interventions.api.serializers import InterventionExportSerializer, forget_items
from interventions.curation.export import intervention_data
from interventions.models import (
    Guidance,
    Intervention,
    KKRGoal,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    Region,
    SourceDocument,
    TargetGroup,
)
from interventions.search.query import search
from tests.factories import ContactFactory, InterventionFactory

pytestmark = pytest.mark.django_db
LIST = "/api/interventions/"


def api_slugs(client: Client, query: str) -> list[str]:
    response = client.get(f"{LIST}?{query}&page_size=200" if query else f"{LIST}?page_size=200")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] <= 200, "the comparison needs every result on one page"
    return [item["slug"] for item in body["results"]]


def page_slugs(client: Client, query: str) -> list[str]:
    response = client.get(f"/indsatser/?{query}")
    assert response.status_code == 200
    return [i.slug for i in response.context["page"].paginator.object_list]


# --- The list ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "target_group=hjemloese",
        "target_group=hjemloese&target_group=voksne-med-autisme",
        "region=region-midtjylland&sector=kommunal",
        "paragraph=sel-85&paragraph=sel-107&status=running",
        "q=bostøtte",
        "q=psykiatri&sort=-updated",
        "has_budget=true&sort=-budget",
        "source=dassos-2015&sort=start,title",
        "section=boern-og-unge&evaluation=none_known",
        "policy_area=psykiatri&method=recovery&method=peer-stoette",
        "target_group=hjemloese&target_group=unge-15-25&match_all=target_group",
        "paragraph=sel-85&paragraph=sel-107&match_all=paragraph&match_all=method&sort=title",
        "kkr_goal=styrke-handicappede-borgeres-medborgerskab-og-aktive&municipality=aarhus",
        "target_group=&sector=",
    ],
)
def test_the_list_has_the_same_entries_in_the_same_order_as_the_list_page(client, query):
    slugs = api_slugs(client, query)
    assert slugs, "each query is chosen to find something"
    assert slugs == page_slugs(client, query)


def test_a_filter_narrows_the_list(client):
    everything = api_slugs(client, "")
    homeless = api_slugs(client, "target_group=hjemloese")
    assert 0 < len(homeless) < len(everything)
    assert len(everything) == Intervention.objects.published().count()


def test_with_a_query_and_no_sort_the_search_order_is_kept(client):
    expected = list(
        search(Intervention.objects.published(), "indsats").values_list("slug", flat=True)
    )
    assert len(expected) > 1
    assert api_slugs(client, "q=indsats") == expected


def test_list_items_are_compact_and_link_to_the_page_and_the_api(client):
    item = next(
        i
        for i in client.get(LIST, {"page_size": 200}).json()["results"]
        if i["slug"] == "biofeedback-horsens"
    )
    assert set(item) == {
        "slug", "title", "summary", "url", "api_url", "organisation", "municipalities",
        "served_municipalities", "target_groups", "legal_paragraphs", "status",
        "status_as_stated", "sector", "information_date", "information_basis", "confirmed",
        "freshness", "reviewed_on", "public_note", "updated_at",
    }  # fmt: skip
    assert item["url"] == "http://testserver/indsatser/biofeedback-horsens/"
    assert item["api_url"] == "http://testserver/api/interventions/biofeedback-horsens/"
    assert item["municipalities"] == [{"slug": "horsens", "name": "Horsens"}]
    assert item["target_groups"]
    assert client.get(item["api_url"]).json()["slug"] == "biofeedback-horsens"


def test_paragraphs_in_a_list_item_carry_label_slug_and_provenance(client):
    results = client.get(LIST, {"paragraph": "sel-85", "page_size": 200}).json()["results"]
    assert results
    for item in results:
        assert {"slug": "sel-85", "label": "SEL § 85"}.items() <= next(
            p for p in item["legal_paragraphs"] if p["slug"] == "sel-85"
        ).items()
        assert all(isinstance(p["stated_in_source"], bool) for p in item["legal_paragraphs"])


# --- Pagination ----------------------------------------------------------------------------------


def test_pages_of_twenty_by_default_with_links(client):
    total = Intervention.objects.published().count()
    body = client.get(LIST).json()
    assert set(body) == {"count", "next", "previous", "results", "corrected_query"}
    assert body["corrected_query"] is None
    assert body["count"] == total and len(body["results"]) == 20
    assert body["previous"] is None
    second = client.get(body["next"]).json()
    assert second["previous"] and len(second["results"]) == 20
    assert not {i["slug"] for i in body["results"]} & {i["slug"] for i in second["results"]}


@pytest.mark.parametrize("size", [1, 37, 200])
def test_page_size_up_to_200(client, size):
    body = client.get(LIST, {"page_size": size}).json()
    assert len(body["results"]) == min(size, body["count"])


def test_the_last_page_holds_the_rest(client):
    total = Intervention.objects.published().count()
    last = -(-total // 50)
    body = client.get(LIST, {"page_size": 50, "page": last}).json()
    assert len(body["results"]) == total - 50 * (last - 1)
    assert body["next"] is None


# --- Errors: 400 naming the parameter, 404 as JSON -----------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"target_group": "findes-ikke"}, "target_group"),
        ({"municipality": "atlantis"}, "municipality"),
        ({"region": "region-sydslesvig"}, "region"),
        ({"paragraph": "sel-9999"}, "paragraph"),
        ({"kkr_goal": "nope"}, "kkr_goal"),
        ({"method": "nope"}, "method"),
        ({"policy_area": "nope"}, "policy_area"),
        ({"source": "nope"}, "source"),
        ({"section": "nope"}, "section"),
        ({"sector": "privat"}, "sector"),
        ({"status": "forever"}, "status"),
        ({"evaluation": "perfect"}, "evaluation"),
        ({"has_budget": "maybe"}, "has_budget"),
        ({"match_all": "region"}, "match_all"),  # offered for many-to-many vocabularies only
        ({"match_all": "findes-ikke"}, "match_all"),
        ({"sort": "hemmelig"}, "sort"),
        ({"q": "%%%"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "-5"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "1.5"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"page": ""}, "page"),
        ({"page_size": " "}, "page_size"),
        ({"page": "abc"}, "page"),
        ({"page": "999"}, "page"),
        ({"page": "99999999999999999999999"}, "page"),
        ({"municipality": "aar\x00hus"}, "municipality"),
    ],
)
def test_an_invalid_parameter_gives_400_naming_it(client, query, parameter):
    response = client.get(LIST, query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == [parameter]
    assert body[parameter] and all(isinstance(m, str) and m for m in body[parameter])


def test_messages_are_danish(client):
    assert client.get(LIST, {"page_size": "201"}).json() == {
        "page_size": ["Skal være et helt tal fra 1 til 200."]
    }
    assert "gyldig" in client.get(LIST, {"sector": "privat"}).json()["sector"][0]


def test_every_invalid_parameter_is_named_at_once(client):
    body = client.get(LIST, {"target_group": "x", "sort": "y", "status": "z"}).json()
    assert set(body) == {"target_group", "sort", "status"}


def test_an_unknown_slug_is_a_json_404(client):
    response = client.get(f"{LIST}findes-ikke/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Indsatsen findes ikke."}


@pytest.mark.parametrize("path", ["/api/nope/", f"{LIST}a/b/", f"{LIST}æøå/", "/api/nope"])
def test_any_other_api_path_is_a_json_404(client, path):
    response = client.get(path, follow=True)  # a missing slash is added first
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_api_is_read_only(client):
    assert client.post(LIST, {}).status_code == 405
    assert client.delete(f"{LIST}biofeedback-horsens/").status_code == 405
    assert client.post("/api/target-groups/").status_code == 405


def test_json_is_the_only_format(client):
    response = client.get(LIST, HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert response["Content-Type"] == "application/json"
    # No browsable API: a `format` parameter is ignored, the answer is still JSON.
    response = client.get(LIST, {"format": "api"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


# --- Drafts never appear -------------------------------------------------------------------------


def test_drafts_are_invisible_everywhere(client):
    draft = InterventionFactory(title="Hemmeligt udkast", is_published=False)
    assert api_slugs(client, "q=hemmeligt") == []
    assert draft.slug not in api_slugs(client, "")
    assert client.get(f"{LIST}{draft.slug}/").status_code == 404


def test_vocabulary_counts_leave_drafts_out(client):
    def homeless_count():
        terms = client.get("/api/target-groups/").json()
        return next(t["count"] for t in terms if t["slug"] == "hjemloese")

    before = homeless_count()
    InterventionFactory(is_published=False)
    assert homeless_count() == before
    InterventionFactory()
    assert homeless_count() == before + 1


# --- One entry: the export format ----------------------------------------------------------------


def test_one_entry_is_the_export_format_with_absolute_links(client):
    obj = Intervention.objects.with_relations().get(slug="biofeedback-horsens")
    body = client.get(f"{LIST}biofeedback-horsens/").json()
    assert body == intervention_data(obj, base_url="http://testserver")
    assert body["url"] == "http://testserver/indsatser/biofeedback-horsens/"


def test_the_schema_describes_exactly_the_export_format(client):
    obj = Intervention.objects.with_relations().get(slug="biofeedback-horsens")
    data = intervention_data(obj)
    serializer = InterventionExportSerializer()
    assert set(serializer.fields) == set(data)
    assert set(serializer.fields["source"].fields) == set(data["source"])
    assert set(serializer.fields["sections"].fields) == set(data["sections"])
    contact = ContactFactory(intervention=InterventionFactory())
    exported = intervention_data(
        Intervention.objects.with_relations().get(pk=contact.intervention.pk)
    )
    assert set(serializer.fields["contacts"].child.fields) == set(exported["contacts"][0])
    paragraphs = Intervention.objects.with_relations().filter(legal_bases__isnull=False)[0]
    assert set(serializer.fields["legal_paragraphs"].child.fields) == set(
        intervention_data(paragraphs)["legal_paragraphs"][0]
    )


# --- Vocabularies with counts --------------------------------------------------------------------

VOCABULARIES = [
    ("/api/target-groups/", TargetGroup, "target_group", "slug"),
    ("/api/legal-paragraphs/", LegalParagraph, "paragraph", "slug"),
    ("/api/municipalities/", Municipality, "municipality", "slug"),
    ("/api/regions/", Region, "region", "slug"),
    ("/api/methods/", Method, "method", "slug"),
    ("/api/kkr-goals/", KKRGoal, "kkr_goal", "slug"),
    ("/api/policy-areas/", PolicyArea, "policy_area", "slug"),
    ("/api/sources/", SourceDocument, "source", "key"),
]


@pytest.mark.parametrize(("path", "model", "param", "key"), VOCABULARIES)
def test_each_count_is_what_filtering_by_the_term_gives(client, path, model, param, key):
    terms = client.get(path).json()
    assert len(terms) == model.objects.count()
    assert any(t["count"] for t in terms)
    for term in terms:
        filtered = client.get(term["interventions_url"]).json()
        assert term["interventions_url"].endswith(f"{LIST}?{param}={term[key]}")
        assert filtered["count"] == term["count"], term[key]


def test_paragraphs_have_law_title_and_link(client):
    sel85 = next(p for p in client.get("/api/legal-paragraphs/").json() if p["slug"] == "sel-85")
    assert sel85["label"] == "SEL § 85"
    assert sel85["law"] == "Serviceloven"
    assert sel85["title"]
    assert sel85["url"].startswith("https://")


def test_municipalities_name_their_region(client):
    horsens = next(m for m in client.get("/api/municipalities/").json() if m["slug"] == "horsens")
    assert horsens["region"] == {"slug": "region-midtjylland", "name": "Region Midtjylland"}
    assert horsens["code"] == "615"


def test_sources_count_their_guidance(client):
    sources = {s["key"]: s for s in client.get("/api/sources/").json()}
    for source in SourceDocument.objects.all():
        assert (
            sources[source.key]["guidance_count"] == Guidance.objects.filter(source=source).count()
        )
    assert any(s["guidance_count"] for s in sources.values())


# --- A constant number of queries ----------------------------------------------------------------

# The count, the page (with its source, for the age of the information), and one query each for
# municipalities, served municipalities (ADR 0012: 5 -> 6), target groups and paragraphs.
LIST_QUERIES = 6
# The same page again: its items are kept (serializers.KeptItems), and their relations are read
# only for a page with an item not kept yet (ADR 0017).
LIST_QUERIES_KEPT = 2
# The entry with source and section, then ten relations (see InterventionQuerySet.with_relations),
# and the requests its owner left unanswered (ADR 0015: 11 -> 12).
DETAIL_QUERIES = 12


@pytest.mark.parametrize("size", [1, 200])
def test_the_list_takes_the_same_queries_for_one_row_or_many(
    client, django_assert_num_queries, size
):
    for _n in range(20):
        InterventionFactory(paragraphs=["SEL § 85"], municipalities=Municipality.objects.all()[:3])
    with django_assert_num_queries(LIST_QUERIES):
        body = client.get(LIST, {"page_size": size}).json()
    assert len(body["results"]) == size
    with django_assert_num_queries(LIST_QUERIES_KEPT):
        assert client.get(LIST, {"page_size": size}).json() == body


def test_a_page_with_an_item_not_kept_reads_the_relations(client, django_assert_num_queries):
    first = client.get(LIST, {"page_size": 3}).json()["results"]
    with django_assert_num_queries(LIST_QUERIES):
        wider = client.get(LIST, {"page_size": 4}).json()["results"]
    assert wider[:3] == first
    forget_items()
    assert client.get(LIST, {"page_size": 4}).json()["results"] == wider  # as read afresh


def test_the_chosen_vocabulary_values_cost_no_query_to_check(client, django_assert_num_queries):
    # The catalogue index, which knows every value, is built once per catalogue version.
    client.get(LIST, {"target_group": "aeldre"})
    forget_items()  # the items' relations are read again, as for a page not seen before
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST, {"target_group": "hjemloese", "region": "region-midtjylland"})
    assert response.status_code == 200


def test_one_entry_takes_a_fixed_number_of_queries(client, django_assert_num_queries):
    big = InterventionFactory(
        paragraphs=["SEL § 85", "SEL § 107"], municipalities=Municipality.objects.all()[:10]
    )
    ContactFactory(intervention=big)
    for slug in (big.slug, "biofeedback-horsens"):
        with django_assert_num_queries(DETAIL_QUERIES):
            assert client.get(f"{LIST}{slug}/").status_code == 200


@pytest.mark.parametrize(("path", "model", "param", "key"), VOCABULARIES)
def test_a_vocabulary_is_one_query(client, django_assert_num_queries, path, model, param, key):
    with django_assert_num_queries(1):
        assert client.get(path).status_code == 200


# --- Search: the same results as the list page, and the corrected query -------------------------


@pytest.mark.parametrize(
    ("q", "corrected"),
    [
        ("støtekontaktperson", "støttekontaktperson"),
        ("hjemloese", "hjemløse"),
        ("psykatri Herning", "psykiatri Herning"),
        ('"psykatri"', None),  # quoted: taken as typed
        ("psykiatri", None),
    ],
)
def test_a_typo_is_corrected_in_the_results_and_named(client, q, corrected):
    body = client.get(LIST, {"q": q, "page_size": 200}).json()
    assert body["corrected_query"] == corrected
    slugs = [item["slug"] for item in body["results"]]
    assert slugs == page_slugs(client, urlencode({"q": q}))
    if corrected:
        assert slugs and slugs == api_slugs(client, urlencode({"q": corrected}))


@pytest.mark.parametrize("q", ["§ 110", "Struer", "Region Midtjylland bostøtte", "peer support"])
def test_paragraphs_in_the_text_places_and_aliases_match_the_list_page(client, q):
    slugs = api_slugs(client, urlencode({"q": q}))
    assert slugs
    assert slugs == page_slugs(client, urlencode({"q": q}))


def test_a_paragraph_stated_in_the_text_is_found_through_the_api(client):
    assert "forebyggelse-funktionel-hjemloeshed-act-aarhus" in api_slugs(client, "q=§ 110")


def test_a_place_ranks_its_own_entries_first_in_the_api(client):
    struer = set(
        Intervention.objects.published()
        .filter(municipalities__name="Struer")
        .values_list("slug", flat=True)
    )
    slugs = api_slugs(client, "q=Struer")
    assert set(slugs[: len(struer)]) == struer


def test_target_groups_policy_areas_and_methods_list_their_aliases(client):
    methods = {m["slug"]: m for m in client.get("/api/methods/").json()}
    assert "Individual Placement and Support" in methods["ips"]["aliases"]
    groups = {t["slug"]: t for t in client.get("/api/target-groups/").json()}
    assert "dual diagnosis" in groups["dobbeltdiagnose"]["aliases"]
    areas = client.get("/api/policy-areas/").json()
    assert all(isinstance(a["aliases"], list) for a in areas)
