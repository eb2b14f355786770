"""Facet counts tell how many results a click gives: computed with every other facet applied."""

import pytest
from django.http import QueryDict

from interventions.facets import compute_facets
from interventions.filters import InterventionFilter
from interventions.models import Intervention

pytestmark = pytest.mark.django_db


def facet_counts(query: str, param: str) -> dict[str, int]:
    facets = compute_facets(QueryDict(query), Intervention.objects.published())
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


def test_selected_values_stay_visible_with_zero_results():
    facets = compute_facets(
        QueryDict("target_group=aeldre&source=defactum-akutpsykiatri"),
        Intervention.objects.published(),
    )
    values = {v.value: v for v in next(f for f in facets if f.param == "target_group").values}
    assert values["aeldre"].selected


def test_toggle_urls_add_and_remove_values_and_reset_the_page():
    facets = compute_facets(
        QueryDict("target_group=hjemloese&page=3"), Intervention.objects.published()
    )
    values = {v.value: v for v in next(f for f in facets if f.param == "target_group").values}
    assert "page" not in values["hjemloese"].toggle_url
    assert "target_group=hjemloese" not in values["hjemloese"].toggle_url
    other = next(v for k, v in values.items() if k != "hjemloese")
    assert (
        "target_group=hjemloese" in other.toggle_url
        and f"target_group={other.value}" in other.toggle_url
    )
