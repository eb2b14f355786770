"""Facet counts tell how many results a click gives: computed with every other facet applied."""

from urllib.parse import urlencode as stdlib_urlencode

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interventions import facets_registry
from interventions.listing import facets as facets_module
from interventions.listing.facets import compute_facets
from interventions.listing.filters import InterventionFilter
from interventions.models import Intervention

pytestmark = pytest.mark.django_db


def facet_counts(query: str, param: str) -> dict[str, int]:
    facets = compute_facets(QueryDict(query))
    return {v.value: v.count for v in next(f for f in facets if f.param == param).values}


def count(query: str) -> int:
    return InterventionFilter(
        QueryDict(query), queryset=Intervention.objects.published()
    ).qs.count()


def test_counts_match_the_result_of_clicking():
    for value, n in facet_counts("source=dassos-2015", "target_group").items():
        assert n == count(f"source=dassos-2015&target_group={value}"), value


def test_a_facets_own_selection_does_not_shrink_its_counts():
    unselected = facet_counts("", "target_group")
    selected = facet_counts("target_group=hjemloese", "target_group")
    assert selected == unselected


def test_counts_for_or_within_a_facet_are_what_adding_the_value_gives():
    for value, n in facet_counts("target_group=hjemloese", "source").items():
        assert n == count(f"target_group=hjemloese&source={value}")


def test_region_counts_each_entry_once():
    for value, n in facet_counts("", "region").items():
        assert n == count(f"region={value}"), value


ALL_OF = "target_group=hjemloese&target_group=unge-15-25&match_all=target_group"


def test_in_all_chosen_mode_a_count_is_what_adding_the_value_gives():
    """With "alle valgte" a value narrows the selection: its count is the entries that have it
    and every value already chosen, not the entries that have it."""
    counts = facet_counts(ALL_OF, "target_group")
    total = count(ALL_OF)
    assert counts["hjemloese"] == counts["unge-15-25"] == total
    for value, n in counts.items():
        assert n == count(f"{ALL_OF}&target_group={value}"), value
    assert sum(counts.values()) < sum(
        facet_counts(ALL_OF.rsplit("&", 1)[0], "target_group").values()
    )


def test_other_facets_count_on_the_anded_selection():
    for value, n in facet_counts(ALL_OF, "region").items():
        assert n == count(f"{ALL_OF}&region={value}"), value


def test_budget_choices_count_what_choosing_them_gives():
    result = compute_facets(QueryDict("target_group=hjemloese"))
    budget = {choice.value: (choice.count, choice.selected) for choice in result.budget}
    assert budget[""] == (count("target_group=hjemloese"), True)
    assert budget["true"] == (count("target_group=hjemloese&has_budget=true"), False)
    assert budget["false"][0] == count("target_group=hjemloese&has_budget=false")


def test_selected_values_stay_visible_with_zero_results():
    facets = compute_facets(QueryDict("target_group=aeldre&source=defactum-akutpsykiatri"))
    values = {v.value: v for v in next(f for f in facets if f.param == "target_group").values}
    assert values["aeldre"].selected


def test_toggle_urls_add_and_remove_values_and_reset_the_page():
    facets = compute_facets(QueryDict("target_group=hjemloese&page=3"))
    values = {v.value: v for v in next(f for f in facets if f.param == "target_group").values}
    assert "page" not in values["hjemloese"].toggle_url
    assert "target_group=hjemloese" not in values["hjemloese"].toggle_url
    other = next(v for k, v in values.items() if k != "hjemloese")
    assert (
        "target_group=hjemloese" in other.toggle_url
        and f"target_group={other.value}" in other.toggle_url
    )


# --- The facet index counts exactly what the FilterSet filters -----------------------------------

FACET_VALUES = {
    "target_group": ["hjemloese", "borgere-med-misbrug", "voksne-med-psykiske-lidelser"],
    "region": ["region-midtjylland", "region-hovedstaden"],
    "section": ["voksne-med-handicap", "tema-5", "spor-5-2"],
    "municipality": ["aarhus", "silkeborg"],
    "paragraph": ["sel-85", "sel-107"],
    "sector": ["kommunal", "tvaersektoriel"],
    "source": ["dassos-2015", "defactum-akutpsykiatri", "dsr-investering-2019"],
}


@st.composite
def queries(draw) -> str:
    params = QueryDict(mutable=True)
    for param in draw(st.lists(st.sampled_from(sorted(FACET_VALUES)), max_size=3, unique=True)):
        chosen = draw(st.lists(st.sampled_from(FACET_VALUES[param]), min_size=1, unique=True))
        params.setlist(param, chosen)
    q = draw(st.sampled_from(["", "psykiatri", "bolig", "§ 85", "unge misbrug"]))
    if q:
        params["q"] = q
    if draw(st.booleans()):
        params["has_budget"] = draw(st.sampled_from(["true", "false"]))
    every = draw(st.lists(st.sampled_from(["target_group", "paragraph"]), unique=True))
    if every:
        params.setlist("match_all", every)
    return params.urlencode()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=queries())
def test_the_index_counts_what_the_filters_keep(query):
    result = compute_facets(QueryDict(query))
    assert result.total == count(query), query
    # Every shown count is what a click on that value gives.
    for facet in result.facets:
        if facet.param in ("region", "section", "sector") and not facet.selected:
            for value in facet.values[:3]:
                assert value.count == count(value.toggle_url[1:]), (query, value.value)
        if facet.matching_all:  # a value's count is what adding it to the selection gives
            for value in [v for v in facet.values if not v.selected][:3]:
                assert value.count == count(value.toggle_url[1:]), (query, value.value)
    budget = {choice.value: choice.count for choice in result.budget}
    without = QueryDict(query, mutable=True)
    without.pop("has_budget", None)
    for value in ("true", "false"):
        without["has_budget"] = value
        assert budget[value] == count(without.urlencode()), (query, value)


def test_the_index_follows_an_edit_before_it_commits():
    entry = Intervention.objects.published().filter(target_groups__slug="hjemloese").first()
    before = facet_counts("", "target_group")["hjemloese"]
    entry.target_groups.remove(*entry.target_groups.filter(slug="hjemloese"))
    assert facet_counts("", "target_group")["hjemloese"] == before - 1


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=queries(), start=st.sampled_from([0, 5, 20]))
def test_the_index_pages_in_the_order_the_database_sorts(query, start):
    filterset = InterventionFilter(QueryDict(query), queryset=Intervention.objects.published())
    filterset.is_valid()
    expected = list(filterset.qs[start : start + 20])
    shown = compute_facets(QueryDict(query), filterset).selection.entries(start, start + 20)
    assert [e.slug for e in shown] == [e.slug for e in expected], query
    if "q=" in query:
        assert [e.rank for e in shown] == [e.rank for e in expected]


def test_the_list_page_shows_the_indexed_page(client):
    response = client.get("/indsatser/", {"q": "psykiatri", "page": "2"})
    page = response.context["page"]
    filterset = InterventionFilter(
        QueryDict("q=psykiatri"), queryset=Intervention.objects.published()
    )
    assert page.paginator.count == filterset.qs.count()
    assert [e.slug for e in page] == [e.slug for e in filterset.qs[20:40]]


def test_every_filter_is_a_registered_facet_or_one_the_index_answers_apart():
    """The index counts the registry's facets; `q`, `match_all` and `has_budget` it answers on
    its own (`facets.compute_facets`) and `sort` only orders. A filter declared beside the
    registry would be neither counted nor applied to the facets: it belongs in the registry."""
    registered = [f.param for f in facets_registry.facets()]
    assert registered
    assert list(InterventionFilter.base_filters) == [
        "q",
        *registered,
        "match_all",
        "has_budget",
        "sort",
    ]
    assert [f.param for f in compute_facets(QueryDict("")).facets] == registered


def _values(result, param: str) -> dict:
    return {v.value: v for v in next(f for f in result if f.param == param).values}


def test_value_texts_are_made_once_per_index_and_language_and_shared_by_requests():
    """What a value shows besides its count and state (label, group, id) is built once per
    catalogue index and language: two requests share it; each language has its own, translated."""
    from django.utils import translation

    from interventions.listing.index import forget_index

    forget_index()
    with translation.override("da"):
        first = _values(compute_facets(QueryDict("")), "status")
        second = _values(compute_facets(QueryDict("status=running")), "status")
    with translation.override("en"):
        english = _values(compute_facets(QueryDict("status=running")), "status")
    assert first["running"].text is second["running"].text
    assert (first["running"].selected, second["running"].selected) == (False, True)
    assert (first["running"].label, english["running"].label) == ("I drift", "Running")
    assert english["running"].text is not second["running"].text
    forget_index()  # a new index (an edit, a new day): new texts
    with translation.override("da"):
        rebuilt = _values(compute_facets(QueryDict("")), "status")
    assert rebuilt["running"].text is not first["running"].text
    assert rebuilt["running"].label == "I drift"


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=12),
            st.one_of(st.text(max_size=12), st.integers(), st.sampled_from(["a b", "æ", "-_.~"])),
        ),
        max_size=6,
    )
)
def test_the_query_strings_encoding_is_the_standard_librarys(pairs):
    """Every query string a list page builds (pages, downloads, feed, chips, facet values) is
    encoded as `urllib.parse.urlencode` encodes it."""
    assert facets_module.urlencode(pairs) == stdlib_urlencode(pairs)


def test_a_plain_name_or_value_is_its_own_encoding(monkeypatch):
    """Slugs, numbers and plain words (most of a list page's parameters) are not run through
    `quote_plus`; anything else is."""

    def refused(text, *args, **kwargs):
        raise AssertionError(f"quote_plus({text!r})")

    monkeypatch.setattr(facets_module, "quote_plus", refused)
    plain = [("target_group", "unge-15-25"), ("page", 2), ("q", "A.b_c~")]
    assert facets_module.urlencode(plain) == "target_group=unge-15-25&page=2&q=A.b_c~"
    with pytest.raises(AssertionError, match="quote_plus"):
        facets_module.urlencode([("q", "unge voksne")])


def test_only_the_given_parameters_are_read_for_a_selection(monkeypatch):
    """A facet the query string does not name has nothing chosen: its cleaned value is not read
    (a dozen facets a page)."""
    read = []
    selected_values = facets_module._selected_values

    def recording(filterset, param):
        read.append(param)
        return selected_values(filterset, param)

    monkeypatch.setattr(facets_module, "_selected_values", recording)
    result = compute_facets(QueryDict("target_group=hjemloese&sector=&q=unge"))
    assert read == ["target_group"]
    chosen = {f.param: [v.value for v in f.selected] for f in result.facets}
    assert chosen["target_group"] == ["hjemloese"] and not chosen["sector"]
