"""Facet counts beside every filter: honest, disjunctive, one query per facet.

Each facet's counts are computed on the result of every *other* facet (and the search), so a
count says how many results a click on that value gives: OR within a facet, AND across facets.
Selected values stay visible even when their count drops to zero.

The query string is validated once (the list's own FilterSet); every facet reuses its cleaned
values, so the number of queries does not grow with the number of selected facets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict

from interventions.filters import InterventionFilter
from interventions.models import (
    Intervention,
    KKRGoal,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    Region,
    SourceDocument,
    SourceSection,
    TargetGroup,
)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    toggle_url: str
    group: str = ""


@dataclass
class Facet:
    param: str
    label: str
    values: list[FacetValue] = field(default_factory=list)

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]


def _count(base_ids: QuerySet, relation: str) -> Count:
    return Count(relation, filter=Q(**{f"{relation}__in": base_ids}), distinct=True)


def _vocabulary_rows(model, key: str, label: Callable, base_ids, group=None, select=()):
    rows = model.objects.select_related(*select).annotate(n=_count(base_ids, "interventions"))
    return [(getattr(r, key), label(r), r.n, group(r) if group else "") for r in rows]


def _region_rows(base_ids):
    # An entry belongs to a region it takes part in or through one of its municipalities; count
    # each entry once per region, whichever way it belongs.
    in_region = (
        Intervention.objects.filter(pk__in=base_ids)
        .filter(Q(regions=OuterRef("pk")) | Q(municipalities__region=OuterRef("pk")))
        .order_by()
        .annotate(c=Func(F("pk"), function="COUNT", template="COUNT(DISTINCT %(expressions)s)"))
        .values("c")
    )
    count = Subquery(in_region[:1], output_field=IntegerField())
    return [(r.slug, r.name, r.n, "") for r in Region.objects.annotate(n=Coalesce(count, 0))]


def _section_rows(base_ids):
    # A theme counts the entries of its tracks; an entry sits in one section only, so the two
    # counts never overlap.
    rows = SourceSection.objects.select_related("source", "parent").annotate(
        own=_count(base_ids, "interventions"),
        via_children=_count(base_ids, "children__interventions"),
    )
    return [(r.code, r.name, r.own + r.via_children, r.source.title) for r in rows]


def _choice_rows(field_name: str, choices, base_ids):
    counts = dict(
        Intervention.objects.filter(pk__in=base_ids)
        .order_by()
        .values_list(field_name)
        .annotate(n=Count("pk"))
    )
    return [(value, str(label), counts.get(value, 0), "") for value, label in choices]


FACET_SOURCES: dict[str, Callable[[QuerySet], Iterable[tuple[str, str, int, str]]]] = {
    "target_group": lambda ids: _vocabulary_rows(TargetGroup, "slug", str, ids),
    "policy_area": lambda ids: _vocabulary_rows(PolicyArea, "slug", str, ids),
    "paragraph": lambda ids: _vocabulary_rows(
        LegalParagraph,
        "slug",
        lambda p: f"{p.label} {p.title}",
        ids,
        group=lambda p: p.law.name,
        select=("law",),
    ),
    "municipality": lambda ids: _vocabulary_rows(Municipality, "slug", lambda m: m.name, ids),
    "region": _region_rows,
    "method": lambda ids: _vocabulary_rows(Method, "slug", str, ids),
    "kkr_goal": lambda ids: _vocabulary_rows(KKRGoal, "slug", str, ids, group=lambda g: g.area),
    "sector": lambda ids: _choice_rows("sector", Intervention.Sector.choices, ids),
    "source": lambda ids: _vocabulary_rows(SourceDocument, "key", lambda s: s.title, ids),
    "section": _section_rows,
    "status": lambda ids: _choice_rows("status", Intervention.Status.choices, ids),
    "evaluation": lambda ids: _choice_rows(
        "evaluation_level", Intervention.EvaluationLevel.choices, ids
    ),
}


def toggle_url(params: QueryDict, param: str, value: str) -> str:
    """The query string with `value` added to or removed from `param`, back on page 1."""
    new = params.copy()
    new.pop("page", None)
    values = new.getlist(param)
    new.setlist(param, [v for v in values if v != value] if value in values else [*values, value])
    encoded = new.urlencode()
    return f"?{encoded}" if encoded else "?"


def _without(filterset: InterventionFilter, queryset: QuerySet, param: str) -> QuerySet:
    """`queryset` filtered by every valid parameter except `param` (and the sort order)."""
    for name, value in filterset.form.cleaned_data.items():
        if name not in (param, "sort"):
            queryset = filterset.filters[name].filter(queryset, value)
    return queryset


def compute_facets(
    params: QueryDict, queryset: QuerySet, filterset: InterventionFilter | None = None
) -> list[Facet]:
    """Every facet with its values' counts, given the request's parameters.

    Pass the list's bound `filterset` (built from the same `params` and `queryset`) to reuse its
    validation; without it one is built here. Invalid values are ignored, as the list does.
    """
    if filterset is None:
        filterset = InterventionFilter(params, queryset=queryset)
    filterset.is_valid()
    facets = []
    for param in InterventionFilter.FACETS:
        base_ids = _without(filterset, queryset, param).order_by().values("pk")
        selected = set(params.getlist(param))
        facet = Facet(param=param, label=str(InterventionFilter.base_filters[param].label))
        for value, label, count, group in FACET_SOURCES[param](base_ids):
            if count or value in selected:
                facet.values.append(
                    FacetValue(
                        value=value,
                        label=label,
                        count=count,
                        selected=value in selected,
                        toggle_url=toggle_url(params, param, value),
                        group=group,
                    )
                )
        facets.append(facet)
    return facets
