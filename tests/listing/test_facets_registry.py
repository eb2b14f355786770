"""Adding a facet is one registry entry: a throwaway facet gets a filter, a facet count, an API
parameter (and endpoint) and a CSV column, with nothing else changed.

Two throwaway facets, one of each shape the registry knows: a vocabulary reached through another
relation (a law, through the entry's legal paragraphs) and a value the database computes (the
size of the budget).
"""

import csv
import importlib
import io
from contextlib import contextmanager

import pytest
from django.db.models import Case, CharField, Value, When
from django.http import QueryDict
from django.urls import clear_url_caches

from interventions import facets_registry
from interventions.facets_registry import Api, Csv, Facet, Membership
from interventions.listing.facets import compute_facets
from interventions.listing.filters import InterventionFilter
from interventions.listing.index import forget_index
from interventions.models import Intervention, Law, LegalParagraph

pytestmark = pytest.mark.django_db

LAW = Facet(
    "law",
    "Lov",  # a test's label: not marked for translation
    model=Law,
    relation="legal_paragraphs",
    membership=(Membership("legal_paragraphs", via="law"),),
    key="abbreviation",
    value_label=lambda law: law.name,
    api=Api("laws", "law", "Love", "Lovene; `abbreviation` er værdien til `law`.", ("name",)),
    csv=Csv(
        "Love",
        after="paragraph",
        rows=lambda: LegalParagraph.objects.select_related("law"),
        text=lambda paragraph: paragraph.law.abbreviation,
    ),
)
BUDGET_SIZE = Facet(
    "budget_size",
    "Budgettets størrelse",
    choices=[("small", "Under 1 mio. kr."), ("large", "1 mio. kr. og derover")],
    computed=lambda: Case(
        When(budget_dkk__lt=1_000_000, then=Value("small")),
        When(budget_dkk__gte=1_000_000, then=Value("large")),
        default=Value("none"),
        output_field=CharField(),
    ),
    csv=Csv("Budgettets størrelse"),
)


def _rebuild() -> None:
    """Rebuild what is built from the registry once, at import: the FilterSet's filters and the
    API's routes; and drop this process's catalogue index."""
    InterventionFilter.rebuild()
    forget_index()
    importlib.reload(importlib.import_module("interventions.api.urls"))
    importlib.reload(importlib.import_module("catalogue.urls"))
    clear_url_caches()


@contextmanager
def registered(facet: Facet):
    facets_registry.FACETS.append(facet)
    _rebuild()
    try:
        yield facet
    finally:
        facets_registry.FACETS.remove(facet)
        _rebuild()


@pytest.fixture
def law():
    with registered(LAW) as facet:
        yield facet


@pytest.fixture
def budget_size():
    with registered(BUDGET_SIZE) as facet:
        yield facet


def filtered(query: str) -> set[str]:
    filterset = InterventionFilter(QueryDict(query), queryset=Intervention.objects.published())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("slug", flat=True))


def published(**lookups) -> set[str]:
    return set(
        Intervention.objects.published().filter(**lookups).values_list("slug", flat=True).distinct()
    )


def counts(param: str, query: str = "") -> dict[str, int]:
    facet = next(f for f in compute_facets(QueryDict(query)).facets if f.param == param)
    return {value.value: value.count for value in facet.values}


def csv_rows(client, query: dict) -> list[dict[str, str]]:
    response = client.get("/indsatser/download.csv", query)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def parameters(client) -> dict[str, dict]:
    schema = client.get("/api/schema/?format=json").json()
    listed = schema["paths"]["/api/interventions/"]["get"]["parameters"]
    return {p["name"]: p for p in listed}


# --- A vocabulary reached through another relation ------------------------------------------------


def test_a_registered_vocabulary_gets_a_filter(law):
    sel = published(legal_paragraphs__law__abbreviation="SEL")
    assert sel and sel != published()
    assert filtered("law=SEL") == sel
    # OR within the facet, AND with the others.
    others = {
        law.abbreviation: published(legal_paragraphs__law=law)
        for law in Law.objects.exclude(abbreviation="SEL")
    }
    other, entries = max(others.items(), key=lambda item: len(item[1]))
    assert entries
    assert filtered(f"law={other}") == entries
    assert filtered(f"law=SEL&law={other}") == sel | entries
    assert filtered("law=SEL&sector=kommunal") == sel & published(sector="kommunal")
    assert not InterventionFilter(QueryDict("law=XYZ")).is_valid()


def test_a_registered_vocabulary_gets_facet_counts(law, client):
    shown = counts("law")
    assert shown["SEL"] == len(published(legal_paragraphs__law__abbreviation="SEL"))
    for value, n in shown.items():
        assert n == len(filtered(f"law={value}")), value
    page = client.get("/indsatser/", {"law": "SEL"})
    assert page.status_code == 200
    assert page.context["page"].paginator.count == shown["SEL"]
    assert "law" in [f.param for f in page.context["facets"]]


def test_a_registered_vocabulary_gets_an_api_parameter_and_endpoint(law, client):
    parameter = parameters(client)["law"]
    assert parameter["schema"]["type"] == "array"
    assert "/api/laws/" in parameter["description"]
    laws = {row["name"]: row for row in client.get("/api/laws/").json()}
    sel = Law.objects.get(abbreviation="SEL")
    assert laws[sel.name]["count"] == len(filtered("law=SEL"))
    listed = client.get("/api/interventions/", {"law": "SEL", "page_size": 200}).json()
    assert {row["slug"] for row in listed["results"]} == filtered("law=SEL")
    assert client.get("/api/interventions/", {"law": "XYZ"}).status_code == 400


def test_a_registered_vocabulary_gets_a_csv_column(law, client):
    rows = csv_rows(client, {"law": "SEL"})
    assert rows and all("SEL" in row["Love"].split("; ") for row in rows)
    header = list(rows[0])
    assert header.index("Love") == header.index("Paragraffer") + 1


# --- A value the database computes ----------------------------------------------------------------


def test_a_computed_facet_gets_a_filter_and_counts(budget_size):
    small = published(budget_dkk__lt=1_000_000)
    large = published(budget_dkk__gte=1_000_000)
    assert small and large
    assert filtered("budget_size=small") == small
    assert filtered("budget_size=small&budget_size=large") == small | large
    assert counts("budget_size") == {"small": len(small), "large": len(large)}
    # Without a budget, no size: the selected value stays, with nothing to count.
    assert counts("budget_size", "budget_size=small&has_budget=false") == {"small": 0}
    assert not InterventionFilter(QueryDict("budget_size=huge")).is_valid()


def test_a_computed_facet_gets_an_api_parameter_and_a_csv_column(budget_size, client):
    parameter = parameters(client)["budget_size"]
    assert parameter["schema"]["items"]["enum"] == ["small", "large"]
    listed = client.get("/api/interventions/", {"budget_size": "large", "page_size": 200}).json()
    assert {row["slug"] for row in listed["results"]} == published(budget_dkk__gte=1_000_000)
    rows = csv_rows(client, {"budget_size": "large"})
    assert rows and {row["Budgettets størrelse"] for row in rows} == {"1 mio. kr. og derover"}
    assert list(rows[0])[-1] == "Budgettets størrelse"  # no `after`: the last column


def test_the_registry_is_as_it_was_after_a_throwaway_facet(client):
    with registered(LAW):
        assert "law" in InterventionFilter.base_filters
    assert "law" not in InterventionFilter.base_filters
    assert client.get("/api/laws/").status_code == 404
    assert "law" not in parameters(client)


# --- The registry refuses an entry it could not build from ----------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # neither a vocabulary nor choices
        {"model": Law},  # a vocabulary without a relation
        {"choices": [("a", "A")]},  # choices without a field or a computed value
        {"choices": [("a", "A")], "field": "status", "computed": lambda: Value("a")},
    ],
)
def test_an_incomplete_facet_is_refused(kwargs):
    with pytest.raises(ValueError, match="facet 'broken'"):
        Facet("broken", "Defekt", **kwargs)
