"""Read-only API views: the filtered, paginated entry list, one entry, and the vocabularies.

The list runs a `Listing` (listing/run.py), as the list page does; each vocabulary's viewset is
made from its facet registry entry (`vocabulary_viewset`).
"""

from __future__ import annotations

import re

from django.core.paginator import InvalidPage
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from interventions.api import serializers as s
from interventions.api.schema import REQUEST_LINE_NOTE
from interventions.facets_registry import Facet
from interventions.listing.facets import SelectionPages
from interventions.listing.filters import InterventionFilter
from interventions.listing.run import Listing
from interventions.models import Intervention

_DIGITS = re.compile(r"[0-9]+")

BAD_REQUEST = OpenApiResponse(
    response={
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    description="Ugyldig parameter: nøglen er parameterens navn, værdien fejlbeskederne.",
)
NOT_FOUND = OpenApiResponse(
    response={"type": "object", "properties": {"detail": {"type": "string"}}},
    description="Findes ikke (eller er ikke offentliggjort).",
)


class CataloguePagination(PageNumberPagination):
    """Page-number pagination that answers 400 for a bad `page` or `page_size`, never guesses."""

    page_size = 20
    max_page_size = 200
    page_size_query_param = "page_size"

    @staticmethod
    def _positive_int(request, param: str, default: int, maximum: int | None = None) -> int:
        raw = request.query_params.get(param)
        if raw is None:
            return default
        # Given but empty is refused like any other non-number: the schema says integer.
        raw = raw.strip()
        if _DIGITS.fullmatch(raw):
            # Ten or more digits is beyond any page; int() on a huge string would be slow.
            value = int(raw) if len(raw) < 10 else 10**9
            if value >= 1 and (maximum is None or value <= maximum):
                return value
        if maximum is None:
            message = _("Skal være et helt tal fra 1 og op.")
        else:
            message = _("Skal være et helt tal fra 1 til %(maximum)d.") % {"maximum": maximum}
        raise ValidationError({param: [message]})

    def get_page_size(self, request) -> int:
        return self._positive_int(
            request, self.page_size_query_param, self.page_size, self.max_page_size
        )

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        listing = getattr(view, "listing", None)
        self.corrected_query = listing.corrected_query if listing is not None else None
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        number = self._positive_int(request, self.page_query_param, 1)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            pages = paginator.num_pages
            message = ngettext(
                "Siden findes ikke; der er %(pages)d side.",
                "Siden findes ikke; der er %(pages)d sider.",
                pages,
            ) % {"pages": pages}
            raise ValidationError({self.page_query_param: [message]}) from None
        entries = self.page.object_list
        # A search's page is its entries' keys; the serializer reads what it has not kept.
        return entries if isinstance(entries, s.EntryKeys) else list(self.page)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        # The query searched instead of `q` when a typo was corrected (null when none).
        response.data["corrected_query"] = getattr(self, "corrected_query", None)
        return response

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["corrected_query"] = {
            "type": "string",
            "nullable": True,
            "description": (
                "Søgningen, der blev kørt i stedet for `q`, når et ord var stavet forkert "
                "(null, når intet blev rettet). Et ord i anførselstegn rettes aldrig."
            ),
        }
        return response

    def get_schema_operation_parameters(self, view):
        page, page_size = super().get_schema_operation_parameters(view)
        page["description"] = "Sidetal, fra 1."
        page["schema"]["minimum"] = 1
        page_size["description"] = (
            f"Antal indsatser pr. side, 1-{self.max_page_size} (standard {self.page_size})."
        )
        page_size["schema"].update(minimum=1, maximum=self.max_page_size)
        return [page, page_size]


class CatalogueFilterBackend(DjangoFilterBackend):
    """The list page's listing; an invalid value answers 400 keyed by the parameter's name.

    Its OpenAPI parameters are described by interventions.api.schema.CatalogueFilterExtension.
    """

    def filter_queryset(self, request, queryset, view):
        listing = view.listing = Listing(request.query_params, queryset)
        if not listing.valid:
            raise translate_validation(listing.filterset.errors)
        rows = listing.rows()
        if isinstance(rows, SelectionPages):
            return s.IndexPages(rows.selection, rows.queryset)
        return rows


def _list_queryset():
    """Published entries with the source joined, for the age of the information (ADR 0012); the
    latest confirmation is the entry's own `last_confirmed_on`. The relations an item shows are
    read by the serializer, only for items not kept yet (`serializers.KeptItems`)."""
    return Intervention.objects.published().select_related("source")


@extend_schema_view(
    list=extend_schema(
        summary="Indsatser",
        description=(
            "De offentliggjorte indsatser, filtreret med de samme parametre som listesiden "
            "/indsatser/. Med `q` og uden `sort` står de mest relevante først; ellers efter titel. "
            + REQUEST_LINE_NOTE
        ),
        responses={200: s.InterventionListSerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(
        summary="Én indsats",
        description="Indsatsen i eksportformatet (som `manage.py export_catalogue`).",
        responses={200: s.InterventionExportSerializer, 404: NOT_FOUND},
    ),
)
class InterventionViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends = [CatalogueFilterBackend]
    filterset_class = InterventionFilter
    pagination_class = CataloguePagination

    def get_queryset(self):
        if self.action == "retrieve":
            return Intervention.objects.published().with_relations()
        return _list_queryset()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.InterventionExportSerializer
        return s.InterventionListSerializer

    def get_object(self) -> Intervention:
        try:
            return super().get_object()
        except Http404:
            raise NotFound(_("Indsatsen findes ikke.")) from None

    def filter_queryset(self, queryset):
        # The query string filters lists; one entry is found by its slug alone.
        return super().filter_queryset(queryset) if self.action == "list" else queryset


# --- Vocabularies ---------------------------------------------------------------------------------


class VocabularyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A whole vocabulary, unpaginated, each term with its number of published entries."""

    pagination_class = None
    filter_backends = []


def vocabulary_viewset(facet: Facet) -> type[VocabularyViewSet]:
    """The endpoint of a registered vocabulary (`facet.api`): its values in the panel's order,
    each counted as the facet's filter counts (a region with its municipalities' entries)."""
    api = facet.api
    assert api is not None and facet.model is not None
    counts = {"count": facet.published_count(), **(api.annotate() if api.annotate else {})}
    viewset = type(
        f"{facet.model.__name__}ViewSet",
        (VocabularyViewSet,),
        {
            "__doc__": api.description,
            "__module__": __name__,
            "queryset": facet.rows().annotate(**counts),
            "serializer_class": s.vocabulary_serializer(facet),
        },
    )
    return extend_schema_view(list=extend_schema(summary=api.summary))(viewset)


@extend_schema(exclude=True)
@api_view(["GET", "HEAD"])
def not_found(request, *args, **kwargs):
    """Any other path under /api/: a JSON 404 rather than the site's HTML page."""
    raise NotFound()
