"""The contract of the query string: one FilterSet for the list page, the API and the downloads.

Multi-valued vocabularies are OR within a facet and AND across facets. Unknown values make the
form invalid; views answer 400 with the form's (Danish) messages, never 500.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
from interventions.search import InvalidQuery, query_terms


class QueryField(forms.CharField):
    """A free-text query, refused with a Danish message when it cannot be searched."""

    def clean(self, value):
        value = super().clean(value)
        try:
            query_terms(value or "")
        except InvalidQuery as exc:
            raise forms.ValidationError(str(exc), code="invalid_query") from None
        return value


class QueryFilter(django_filters.CharFilter):
    field_class = QueryField


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); any other value is an error rather than silently no filter."""

    widget = forms.TextInput

    def to_python(self, value):
        result = super().to_python(value)
        if result is None and value not in self.empty_values:
            raise forms.ValidationError(_("Skal være true eller false."), code="invalid")
        return result


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ties are broken by title and slug, so pages neither overlap nor skip entries."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "title", "slug") if value else qs


def _multi(
    model, field_name: str, to_field: str, label: str
) -> django_filters.ModelMultipleChoiceFilter:
    return django_filters.ModelMultipleChoiceFilter(
        field_name=f"{field_name}__{to_field}",
        to_field_name=to_field,
        queryset=model.objects.all(),
        label=label,
        distinct=True,
    )


class InterventionFilter(django_filters.FilterSet):
    q = QueryFilter(method="filter_q", label=_("Søg"))
    target_group = _multi(TargetGroup, "target_groups", "slug", _("Målgruppe"))
    municipality = _multi(Municipality, "municipalities", "slug", _("Kommune"))
    region = django_filters.ModelMultipleChoiceFilter(
        queryset=Region.objects.all(),
        to_field_name="slug",
        method="filter_region",
        label=_("Region"),
    )
    paragraph = _multi(LegalParagraph, "legal_paragraphs", "slug", _("Lovgrundlag"))
    kkr_goal = _multi(KKRGoal, "kkr_goals", "slug", _("KKR-målsætning"))
    method = _multi(Method, "methods", "slug", _("Metode"))
    policy_area = _multi(PolicyArea, "policy_areas", "slug", _("Fagområde"))
    sector = django_filters.MultipleChoiceFilter(
        choices=Intervention.Sector.choices, label=_("Sektor")
    )
    source = _multi(SourceDocument, "source", "key", _("Kilde"))
    section = django_filters.ModelMultipleChoiceFilter(
        queryset=SourceSection.objects.all(),
        to_field_name="code",
        method="filter_section",
        label=_("Tema, spor, klynge eller gruppe"),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Intervention.Status.choices, label=_("Status")
    )
    evaluation = django_filters.MultipleChoiceFilter(
        field_name="evaluation_level",
        choices=Intervention.EvaluationLevel.choices,
        label=_("Evaluering"),
    )
    has_budget = StrictBooleanFilter(
        field_name="budget_dkk", lookup_expr="isnull", exclude=True, label=_("Med oplyst budget")
    )
    sort = StableOrderingFilter(
        fields=(
            ("title", "title"),
            ("updated_at", "updated"),
            ("period_start", "start"),
            ("budget_dkk", "budget"),
        ),
        field_labels={
            "title": _("Titel"),
            "updated_at": _("Senest opdateret"),
            "period_start": _("Startår"),
            "budget_dkk": _("Budget"),
        },
        label=_("Sortering"),
    )

    class Meta:
        model = Intervention
        fields: list[str] = []

    # Facet parameters, in the order the page shows them.
    FACETS = (
        "target_group",
        "policy_area",
        "paragraph",
        "municipality",
        "region",
        "method",
        "kkr_goal",
        "sector",
        "source",
        "section",
        "status",
        "evaluation",
    )

    def __init__(self, data=None, *args, **kwargs):
        # An empty parameter ("?sector=") means "no filter", as an unticked box does.
        if data is not None:
            data = data.copy()
            for key in list(data):
                values = [v for v in data.getlist(key) if v.strip()]
                if values:
                    data.setlist(key, values)
                else:
                    del data[key]
        super().__init__(data, *args, **kwargs)

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_region(self, queryset, name, regions):
        if not regions:
            return queryset
        return queryset.filter(
            Q(regions__in=regions) | Q(municipalities__region__in=regions)
        ).distinct()

    def filter_section(self, queryset, name, sections):
        if not sections:
            return queryset
        return queryset.filter(
            Q(source_section__in=sections) | Q(source_section__parent__in=sections)
        ).distinct()
