"""Serializers for the JSON API: a compact list item, the export format, and the vocabularies.

A vocabulary's serializer is made from its facet registry entry (`vocabulary_serializer`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from interventions.curation.export import intervention_data
from interventions.curation.schema import aliases_list
from interventions.facets_registry import Facet
from interventions.models import (
    TEXT_SECTIONS,
    Intervention,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    SourceDocument,
    TargetGroup,
)


def absolute_url(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


class TermSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)


class ParagraphRefSerializer(serializers.Serializer):
    slug = serializers.CharField(read_only=True, source="paragraph.slug")
    label = serializers.CharField(
        read_only=True, source="paragraph.label", help_text="Fx 'SEL § 85'."
    )
    stated_in_source = serializers.BooleanField(
        read_only=True, help_text="Sand: kilden nævner paragraffen; falsk: tilføjet af en redaktør."
    )


class InterventionListSerializer(serializers.ModelSerializer):
    """One entry in a result list: enough to show a card and to follow links."""

    url = serializers.SerializerMethodField(help_text="Indsatsens side på sitet.")
    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:intervention-detail", lookup_field="slug"
    )
    municipalities = TermSerializer(many=True, read_only=True)
    target_groups = TermSerializer(many=True, read_only=True)
    legal_paragraphs = ParagraphRefSerializer(many=True, read_only=True, source="legal_bases")

    class Meta:
        model = Intervention
        fields = [
            "slug",
            "title",
            "summary",
            "url",
            "api_url",
            "organisation",
            "municipalities",
            "target_groups",
            "legal_paragraphs",
            "status",
            "sector",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, obj: Intervention) -> str:
        return absolute_url(self.context.get("request"), obj.get_absolute_url())


# --- The export format (curation.export.intervention_data), described for the schema ------------


class ExportSourceSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    publisher = serializers.CharField()
    year = serializers.IntegerField()
    locator = serializers.CharField(help_text="Placeringen i kilden, fx 'nr. 12'.")
    section = serializers.CharField(allow_null=True, help_text="Tema, spor, klynge eller gruppe.")
    lines = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        min_length=2,
        max_length=2,
        help_text="Første og sidste linje i kildens tekstudgave.",
    )


class ExportParagraphSerializer(serializers.Serializer):
    label = serializers.CharField()
    law = serializers.CharField()
    number = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()
    stated_in_source = serializers.BooleanField()


class ExportContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()
    organisation = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


ExportSectionsSerializer = type(
    "ExportSectionsSerializer",
    (serializers.Serializer,),
    {
        s.key: serializers.CharField(allow_blank=True, help_text=str(s.heading))
        for s in TEXT_SECTIONS
    },
)


class InterventionExportSerializer(serializers.Serializer):
    """Exactly `interventions.curation.export.intervention_data`; the fields only describe it."""

    slug = serializers.SlugField()
    title = serializers.CharField()
    alternative_titles = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()
    url = serializers.CharField(help_text="Indsatsens side på sitet.")
    source = ExportSourceSerializer()
    sector = serializers.ChoiceField(choices=Intervention.Sector.choices)
    organisation = serializers.CharField()
    municipalities = serializers.ListField(child=serializers.CharField())
    regions = serializers.ListField(child=serializers.CharField())
    target_groups = serializers.ListField(child=serializers.CharField())
    policy_areas = serializers.ListField(child=serializers.CharField())
    kkr_goals = serializers.ListField(child=serializers.CharField())
    legal_paragraphs = ExportParagraphSerializer(many=True)
    methods = serializers.ListField(child=serializers.CharField())
    contacts = ExportContactSerializer(many=True)
    budget_dkk = serializers.IntegerField(allow_null=True, help_text="Budget i kr., hvis oplyst.")
    budget_note = serializers.CharField(allow_blank=True)
    funding_source = serializers.CharField(allow_blank=True)
    period_start = serializers.IntegerField(allow_null=True)
    period_end = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=Intervention.Status.choices)
    evaluation_level = serializers.ChoiceField(choices=Intervention.EvaluationLevel.choices)
    updated_at = serializers.DateTimeField()
    sections = ExportSectionsSerializer()

    def to_representation(self, instance: Intervention) -> dict[str, Any]:
        request = self.context.get("request")
        base_url = absolute_url(request, "/").rstrip("/") if request is not None else ""
        return intervention_data(instance, base_url=base_url)


# --- Vocabularies with the number of published entries -------------------------------------------


class CountedSerializer(serializers.ModelSerializer):
    """A vocabulary term with its number of published entries and the API link that lists them."""

    count = serializers.IntegerField(read_only=True, help_text="Antal offentliggjorte indsatser.")
    interventions_url = serializers.SerializerMethodField(
        help_text="API-listen over de offentliggjorte indsatser med denne værdi."
    )
    # The InterventionFilter parameter this vocabulary filters by, and the field it takes.
    filter_param = ""
    filter_key = "slug"

    def get_interventions_url(self, obj) -> str:
        query = urlencode({self.filter_param: getattr(obj, self.filter_key)})
        path = f"{reverse('api:intervention-list')}?{query}"
        return absolute_url(self.context.get("request"), path)


COUNTED = ["count", "interventions_url"]


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class AliasesField(serializers.Field):
    """A term's aliases, stored one a line, as a list."""

    def to_representation(self, value: str) -> list[str]:
        return aliases_list(value)


def _aliases() -> dict[str, serializers.Field]:
    return {
        "aliases": AliasesField(
            read_only=True,
            help_text="Andre navne, som søgningen også finder termen ved (engelske navne, "
            "forkortelser, danske varianter).",
        )
    }


# Fields of a vocabulary's endpoint that are not its model's plain fields, by model.
DECLARED_FIELDS: dict[type, Callable[[], dict[str, serializers.Field]]] = {
    Municipality: lambda: {"region": TermSerializer(read_only=True)},
    LegalParagraph: lambda: {
        "label": serializers.CharField(read_only=True, help_text="Fx 'SEL § 85'."),
        "law": serializers.CharField(
            read_only=True, source="law.name", help_text="Fx 'Serviceloven'."
        ),
        "url": serializers.CharField(
            read_only=True, source="link", help_text="Paragraffens lovtekst."
        ),
    },
    TargetGroup: _aliases,
    PolicyArea: _aliases,
    Method: _aliases,
    SourceDocument: lambda: {
        "guidance_count": serializers.IntegerField(
            read_only=True, help_text="Antal anbefalinger og gode råd fra kilden."
        )
    },
}


def vocabulary_serializer(facet: Facet) -> type[CountedSerializer]:
    """The serializer of a registered vocabulary's endpoint (`facet.api`)."""
    assert facet.api is not None and facet.model is not None
    name = facet.api.schema_name or facet.model.__name__
    meta = type("Meta", (), {"model": facet.model, "fields": [*facet.api.fields, *COUNTED]})
    declared = DECLARED_FIELDS.get(facet.model, dict)()
    attributes = {"Meta": meta, "filter_param": facet.param, "filter_key": facet.key, **declared}
    return type(f"{name}Serializer", (CountedSerializer,), attributes)
