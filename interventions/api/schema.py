"""OpenAPI description of the list's query parameters, taken from InterventionFilter itself.

Where a vocabulary filter's values are listed comes from the facet registry.

drf-spectacular's own django-filter support cannot type the method-based filters (`region`,
`section`) and says nothing about where the values come from; this extension documents every
filter of the FilterSet, so a new filter shows up in the schema without further work. The
filtered list also says how long its request line may be (`REQUEST_LINE_NOTE`).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.extensions import OpenApiFilterExtension
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from catalogue.request_limits import request_line_limit
from interventions import facets_registry
from interventions.listing.filters import MatchAllFilter, QueryFilter
from interventions.search.text import MAX_QUERY_LENGTH


def _values(name: str, key: str) -> str:
    """Where an API client finds the values a vocabulary filter takes (from the registry)."""
    try:
        facet = facets_registry.facet(name)
    except KeyError:
        return f"`{key}`"
    if facet.api is not None:
        return f"`{key}` fra /api/{facet.api.path}/"
    return facet.values_hint or f"`{key}`"


# The production server's limit (catalogue/request_limits.py), for the filtered list's description.
REQUEST_LINE_NOTE = (
    "Hele anmodningslinjen (metode, sti og forespørgselsstreng) må højst fylde "
    f"{request_line_limit()} bytes; en længere afvises af serveren med 414."
)
MULTI = "Gentag parameteren for flere værdier: ELLER inden for et filter, OG på tværs af filtre."
MULTI_ALL = MULTI[:-1] + " (OG også inden for filteret, når det er nævnt i `match_all`)."


def _parameter(name: str, filter_) -> dict:
    label = str(filter_.label)
    if isinstance(filter_, QueryFilter):
        schema = {**build_basic_type(OpenApiTypes.STR), "maxLength": MAX_QUERY_LENGTH}
        description = (
            f"{label}: fritekst, højst {MAX_QUERY_LENGTH} tegn. Uden `sort` står de mest "
            "relevante indsatser først."
        )
        return _query(name, schema, description)
    if isinstance(filter_, django_filters.OrderingFilter):
        choices = [value for value, _label in filter_.field.choices if value]
        schema = build_array_type({"type": "string", "enum": choices})
        description = f"{label}: et eller flere felter, kommasepareret; `-` foran vender om."
        return _query(name, schema, description, explode=False)
    if isinstance(filter_, MatchAllFilter):
        choices = [value for value, _ in filter_.extra["choices"]]
        schema = build_array_type({"type": "string", "enum": choices})
        description = (
            f"{label}: de filtre, hvor en indsats skal have alle de valgte værdier (OG) i stedet "
            f"for mindst én (ELLER), fx `target_group=hjemloese&target_group=unge-15-25"
            f"&match_all=target_group`. Kan bruges for: {', '.join(f'`{c}`' for c in choices)}."
        )
        return _query(name, schema, description, explode=True)
    if isinstance(filter_, django_filters.ModelMultipleChoiceFilter):
        key = filter_.extra.get("to_field_name", "pk")
        values = _values(name, key)
        schema = build_array_type(build_basic_type(OpenApiTypes.STR))
        multi = MULTI_ALL if getattr(filter_, "facet", None) and filter_.facet.match_all else MULTI
        return _query(name, schema, f"{label}: {values}. {multi}", explode=True)
    if isinstance(filter_, django_filters.MultipleChoiceFilter):
        choices = filter_.extra["choices"]
        schema = build_array_type({"type": "string", "enum": [value for value, _ in choices]})
        listed = ", ".join(f"`{value}` ({text})" for value, text in choices)
        return _query(name, schema, f"{label}: {listed}. {MULTI}", explode=True)
    if isinstance(filter_, django_filters.BooleanFilter):
        return _query(name, build_basic_type(OpenApiTypes.BOOL), f"{label}: `true` eller `false`.")
    raise TypeError(f"undocumented filter type for {name!r}: {type(filter_).__name__}")


def _query(name: str, schema: dict, description: str, explode: bool | None = None) -> dict:
    return build_parameter_type(
        name=name,
        schema=schema,
        location=OpenApiParameter.QUERY,
        description=description,
        explode=explode,
        style="form" if explode is not None else None,
    )


class CatalogueFilterExtension(OpenApiFilterExtension):
    target_class = "interventions.api.views.CatalogueFilterBackend"
    priority = 1  # above drf-spectacular's generic django-filter extension

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs) -> list[dict]:
        filterset_class = auto_schema.view.filterset_class
        return [_parameter(name, f) for name, f in filterset_class.base_filters.items()]
