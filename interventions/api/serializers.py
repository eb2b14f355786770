"""Serializers for the JSON API: a compact list item, the export format, and the vocabularies.

A vocabulary's serializer is made from its facet registry entry (`vocabulary_serializer`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.db import models
from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from interventions.caching.entries import VersionedCache
from interventions.curation.export import information_basis, intervention_data
from interventions.curation.schema import aliases_list
from interventions.facets_registry import Facet
from interventions.listing.facets import SelectionPages
from interventions.models import (
    TEXT_SECTIONS,
    Confirmation,
    DatePrecision,
    Intervention,
    LegalBasis,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    ServedMunicipality,
    SourceDocument,
    TargetGroup,
    today,
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


INFORMATION_BASES = [
    ("source", "Kildens udgivelse"),
    ("confirmation", "Seneste bekræftelse"),
]
HELP = {
    "information_date": "Oplysningernes dato: kildens udgivelse (første dag i den måned eller "
    "det år, kilden angiver) eller seneste bekræftelse, det seneste af de to.",
    "information_basis": "Hvad oplysningernes dato bygger på: `source` (kilden) eller "
    "`confirmation` (en bekræftelse fra ejeren eller en redaktør efter kontakt).",
    "confirmed": "Datoen for seneste bekræftelse; null: aldrig bekræftet.",
    "freshness": "Oplysningernes aktualitet (ældre end 24 måneder tæller som ældre).",
    "reviewed_on": "Dagen redaktionen gennemgik indsatsen mod kilden. Ikke en bekræftelse.",
    "status": "Status som kilden (eller seneste bekræftelse) angav den.",
    "status_as_stated": "Status med sin alder, fx 'I drift ifølge kilden (2016)'; "
    "'Ukendt — perioden sluttede 2018' når den angivne periode er slut.",
    "public_note": "En bemærkning til læserne.",
    "updated_at": "Hvornår indsatsen sidst blev ændret i kataloget; ikke oplysningernes dato.",
    "municipalities": "Kommuner der driver eller er med til at drive indsatsen.",
    "served_municipalities": "Kommuner hvis borgere indsatsen betjener uden at drive den.",
}


class ServedSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True, source="municipality.slug")
    name = serializers.CharField(read_only=True, source="municipality.name")
    basis = serializers.ChoiceField(
        read_only=True,
        choices=ServedMunicipality.Basis.choices,
        help_text="`source`: angivet i kilden; `editors`: redaktionens vurdering.",
    )


# What a list item shows besides the entry's own columns and its source: read for a page's items
# that are not kept yet (`KeptItems`), in one query each.
LIST_RELATIONS = (
    "municipalities",
    models.Prefetch("served", queryset=ServedMunicipality.objects.select_related("municipality")),
    "target_groups",
    models.Prefetch("legal_bases", queryset=LegalBasis.objects.select_related("paragraph__law")),
)
# The list items kept per process (`KeptItems`): some 2 kB each. Built by the request's own
# serializer (its language, its entries), so an old one is built again in the request, not
# behind it (`VersionedCache`'s `behind`).
ITEMS_KEPT = 1024
_kept_items: VersionedCache = VersionedCache(ITEMS_KEPT, behind=False)


class EntryKeys(list):
    """A page of entries by primary key, in the page's order, not read yet (`IndexPages`): the
    list serializer reads from `queryset` only the entries whose items it has not kept."""

    def __init__(self, pks, queryset: models.QuerySet) -> None:
        super().__init__(pks)
        self.queryset = queryset


class IndexPages(SelectionPages):
    """A search's pages as the catalogue index ranks them (`SelectionPages`), each page its
    entries' keys (`EntryKeys`) rather than the entries: a page whose items are all kept reads
    nothing from the database (reading the twenty entries was half of an API search)."""

    def __getitem__(self, key: slice) -> EntryKeys:
        start, stop, _step = key.indices(self.selection.total)
        selection = self.selection
        wanted = selection.index.page(selection.kept, start, stop, selection.search)
        return EntryKeys((pk for pk, _rank in wanted), self.queryset)


class _NotKept(Exception):
    pass


def _not_kept():
    raise _NotKept  # VersionedCache keeps nothing when the build raises


class KeptItems(serializers.ListSerializer):
    """A list whose items are each serialized once and kept, per entry, catalogue version
    (`caching.entries.VersionedCache`, as the entries' pages are), day (the information's age),
    language and the address the request came to (the items' links are absolute); serializing
    an item field by field was a third of a list request. Given entries, they were read from the
    database already; given their keys (`EntryKeys`), only the entries not kept are read; a kept
    item is only read, never changed."""

    def to_representation(self, data):
        request = self.context.get("request")
        base = request.build_absolute_uri("/") if request is not None else ""
        prefix = f"{base} {get_language()} {today():%Y%m%d}"
        if isinstance(data, EntryKeys):
            return self._by_keys(data, prefix)
        entries = data.all() if isinstance(data, models.manager.BaseManager) else data
        return self._items(list(entries), prefix)

    def _by_keys(self, keys: EntryKeys, prefix: str) -> list[dict]:
        kept: dict[int, dict] = {}
        for pk in keys:
            with contextlib.suppress(_NotKept):
                kept[pk] = _kept_items.get(f"{prefix} {pk}", _not_kept)
        missing = [pk for pk in keys if pk not in kept]
        if missing:
            entries = list(keys.queryset.filter(pk__in=missing).order_by())
            kept.update(zip((e.pk for e in entries), self._items(entries, prefix), strict=True))
        # An entry unpublished or deleted since this process built its index is left out, as
        # the list page leaves it out (`Selection.entries`).
        return [kept[pk] for pk in keys if pk in kept]

    def _items(self, entries: list[Intervention], prefix: str) -> list[dict]:
        child = self.child
        relations_read = False

        def serialized(entry: Intervention) -> dict:
            # The relations an item shows are read for the whole page, once, when the first
            # item not kept needs them: a page of kept items reads none (ADR 0017).
            nonlocal relations_read
            if not relations_read:
                prefetch_related_objects(entries, *LIST_RELATIONS)
                relations_read = True
            return child.to_representation(entry)

        return [
            _kept_items.get(f"{prefix} {entry.pk}", partial(serialized, entry)) for entry in entries
        ]


def forget_items() -> None:
    """Drop every kept list item (tests do, when a rolled-back transaction took data away)."""
    _kept_items.clear()


class InterventionListSerializer(serializers.ModelSerializer):
    """One entry in a result list: enough to show a card and to follow links, with the age of
    its information (ADR 0012). The editors' internal note is never part of it."""

    url = serializers.SerializerMethodField(help_text="Indsatsens side på sitet.")
    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:intervention-detail", lookup_field="slug"
    )
    municipalities = TermSerializer(many=True, read_only=True, help_text=HELP["municipalities"])
    served_municipalities = ServedSerializer(
        many=True, read_only=True, source="served", help_text=HELP["served_municipalities"]
    )
    target_groups = TermSerializer(many=True, read_only=True)
    legal_paragraphs = ParagraphRefSerializer(many=True, read_only=True, source="legal_bases")
    status = serializers.ChoiceField(
        read_only=True, choices=Intervention.Status.choices, help_text=HELP["status"]
    )
    status_as_stated = serializers.CharField(read_only=True, help_text=HELP["status_as_stated"])
    information_date = serializers.DateField(read_only=True, help_text=HELP["information_date"])
    information_basis = serializers.SerializerMethodField(help_text=HELP["information_basis"])
    confirmed = serializers.DateField(
        read_only=True, source="last_confirmed_on", allow_null=True, help_text=HELP["confirmed"]
    )
    freshness = serializers.ChoiceField(
        read_only=True, choices=Intervention.Freshness.choices, help_text=HELP["freshness"]
    )
    reviewed_on = serializers.DateField(
        read_only=True, allow_null=True, help_text=HELP["reviewed_on"]
    )
    public_note = serializers.CharField(read_only=True, help_text=HELP["public_note"])
    updated_at = serializers.DateTimeField(read_only=True, help_text=HELP["updated_at"])

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
            "served_municipalities",
            "target_groups",
            "legal_paragraphs",
            "status",
            "status_as_stated",
            "sector",
            "information_date",
            "information_basis",
            "confirmed",
            "freshness",
            "reviewed_on",
            "public_note",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = KeptItems

    def get_url(self, obj: Intervention) -> str:
        return absolute_url(self.context.get("request"), obj.get_absolute_url())

    @extend_schema_field(serializers.ChoiceField(choices=INFORMATION_BASES))
    def get_information_basis(self, obj: Intervention) -> str:
        return information_basis(obj)


# --- The export format (curation.export.intervention_data), described for the schema ------------


class ExportSourceSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    publisher = serializers.CharField()
    year = serializers.IntegerField()
    published_on = serializers.DateField(
        help_text="Kildens udgivelse: første dag i den måned eller det år, kilden angiver."
    )
    published_precision = serializers.ChoiceField(
        choices=DatePrecision.choices, help_text="Hvor præcist kilden angiver udgivelsen."
    )
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


class ExportServedSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    basis = serializers.ChoiceField(
        choices=ServedMunicipality.Basis.choices,
        help_text="`source`: angivet i kilden; `editors`: redaktionens vurdering.",
    )


class ExportConfirmationSerializer(serializers.Serializer):
    confirmed_on = serializers.DateField()
    confirmed_by = serializers.CharField(help_text="Ejeren og evt. personen.")
    method = serializers.ChoiceField(choices=Confirmation.Method.choices)


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
    municipalities = serializers.ListField(
        child=serializers.CharField(), help_text=HELP["municipalities"]
    )
    served_municipalities = ExportServedSerializer(
        many=True, help_text=HELP["served_municipalities"]
    )
    regions = serializers.ListField(child=serializers.CharField())
    target_groups = serializers.ListField(child=serializers.CharField())
    policy_areas = serializers.ListField(child=serializers.CharField())
    kkr_goals = serializers.ListField(child=serializers.CharField())
    legal_paragraphs = ExportParagraphSerializer(many=True)
    methods = serializers.ListField(child=serializers.CharField())
    contacts = ExportContactSerializer(many=True)
    budget_dkk = serializers.IntegerField(allow_null=True, help_text="Budget i kr., hvis oplyst.")
    budget_note = serializers.CharField(allow_blank=True)
    budget_kind = serializers.ChoiceField(
        choices=Intervention.BudgetKind.choices,
        allow_null=True,
        help_text="Hvad beløbet er (årligt, samlet for en periode, pr. deltager/forløb, anlæg); "
        "beløb af forskellig art kan ikke sammenlignes. null uden beløb.",
    )
    budget_first_year = serializers.IntegerField(
        allow_null=True, help_text="Året eller periodens første år for beløbet, som kilden siger."
    )
    budget_last_year = serializers.IntegerField(allow_null=True)
    budget_price_year = serializers.IntegerField(
        allow_null=True, help_text="Prisår, kun hvis kilden angiver det."
    )
    funding_source = serializers.CharField(allow_blank=True)
    period_start = serializers.IntegerField(allow_null=True)
    period_end = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=Intervention.Status.choices, help_text=HELP["status"])
    evaluation_level = serializers.ChoiceField(choices=Intervention.EvaluationLevel.choices)
    information_date = serializers.DateField(help_text=HELP["information_date"])
    information_basis = serializers.ChoiceField(
        choices=INFORMATION_BASES, help_text=HELP["information_basis"]
    )
    confirmed = serializers.DateField(allow_null=True, help_text=HELP["confirmed"])
    freshness = serializers.ChoiceField(
        choices=Intervention.Freshness.choices, help_text=HELP["freshness"]
    )
    reviewed_on = serializers.DateField(allow_null=True, help_text=HELP["reviewed_on"])
    status_as_stated = serializers.CharField(help_text=HELP["status_as_stated"])
    public_note = serializers.CharField(allow_blank=True, help_text=HELP["public_note"])
    confirmations = ExportConfirmationSerializer(
        many=True, help_text="Bekræftelserne, nyeste først: hvornår, af hvem og hvordan."
    )
    unanswered_request_on = serializers.DateField(
        allow_null=True,
        help_text="Dagen ejeren sidst blev bedt om at bekræfte oplysningerne uden at svare "
        "(siden seneste bekræftelse); null: ingen ubesvaret anmodning. Aldrig en bekræftelse.",
    )
    updated_at = serializers.DateTimeField(help_text=HELP["updated_at"])
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
