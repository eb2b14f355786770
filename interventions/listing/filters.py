"""The contract of the query string: one FilterSet for the list page, the API and the downloads.

Multi-valued vocabularies are OR within a facet and AND across facets. Unknown values make the
form invalid; views answer 400 with the form's (Danish) messages, never 500.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from interventions.listing.index import catalogue_index
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
from interventions.search.query import search
from interventions.search.text import InvalidQuery, query_terms


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


class VocabularyField(django_filters.fields.ModelMultipleChoiceField):
    """Values of one vocabulary, checked against what the form looked up for all vocabularies.

    The cleaned value is a lazy queryset of the chosen rows: filters use it as a subquery, so
    validating costs no query however many vocabularies the request selects.
    """

    known: dict[str, int] | None = None  # value -> pk, filled by InterventionFilterForm

    def _check_values(self, value):
        if self.known is None:
            return super()._check_values(value)
        for item in value:
            if item not in self.known:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return self.queryset.filter(pk__in=[self.known[item] for item in value])


class VocabularyFilter(django_filters.ModelMultipleChoiceFilter):
    """Entries linked to any chosen value (OR), through `relation`."""

    field_class = VocabularyField

    def __init__(self, *args, relation: str = "", **kwargs):
        self.relation = relation
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not isinstance(value, QuerySet):
            return super().filter(qs, value)
        if _none_chosen(value):
            return qs
        return _having(qs, Q(**{f"{self.relation}__in": value}))


def _having(queryset, condition: Q):
    """Entries meeting a condition on their relations, as a semi-join: no duplicate rows, so no
    DISTINCT over whole entries (which would compare every text column of every row)."""
    return queryset.filter(pk__in=Intervention.objects.filter(condition).values("pk"))


def _none_chosen(values) -> bool:
    """True for an empty choice, without running the query behind a lazy one."""
    return values.query.is_empty() if isinstance(values, QuerySet) else not values


class InterventionFilterForm(forms.Form):
    def full_clean(self):
        self._look_up_vocabularies()
        super().full_clean()

    def _look_up_vocabularies(self) -> None:
        """Look up every chosen vocabulary value in the catalogue index (in memory), not with a
        query per vocabulary: the index knows every value of every vocabulary by its key."""
        index = None
        for name, field in self.fields.items():
            if not isinstance(field, VocabularyField):
                continue
            field.known = {}
            values = self.data.getlist(self.add_prefix(name)) if self.is_bound else []
            values = [v for v in values if isinstance(v, str) and "\x00" not in v]
            if values:
                index = index or catalogue_index()
                keys = index.keys(name)
                field.known = {v: keys[v] for v in values if v in keys}


def _multi(model, field_name: str, to_field: str, label: str) -> VocabularyFilter:
    return VocabularyFilter(
        field_name=f"{field_name}__{to_field}",
        relation=field_name,
        to_field_name=to_field,
        queryset=model.objects.all(),
        label=label,
        distinct=True,
    )


class InterventionFilter(django_filters.FilterSet):
    q = QueryFilter(method="filter_q", label=_("Søg"))
    target_group = _multi(TargetGroup, "target_groups", "slug", _("Målgruppe"))
    municipality = _multi(Municipality, "municipalities", "slug", _("Kommune"))
    region = VocabularyFilter(
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
        choices=Intervention.Sector.choices, label=_("Sektor"), distinct=False
    )
    source = _multi(SourceDocument, "source", "key", _("Kilde"))
    section = VocabularyFilter(
        queryset=SourceSection.objects.all(),
        to_field_name="code",
        method="filter_section",
        label=_("Tema, spor, klynge eller gruppe"),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Intervention.Status.choices, label=_("Status"), distinct=False
    )
    evaluation = django_filters.MultipleChoiceFilter(
        field_name="evaluation_level",
        choices=Intervention.EvaluationLevel.choices,
        label=_("Evaluering"),
        distinct=False,
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
        form = InterventionFilterForm

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
        return search(queryset, value)

    def filter_region(self, queryset, name, regions):
        if _none_chosen(regions):
            return queryset
        return _having(queryset, Q(regions__in=regions) | Q(municipalities__region__in=regions))

    def filter_section(self, queryset, name, sections):
        if _none_chosen(sections):
            return queryset
        return _having(
            queryset, Q(source_section__in=sections) | Q(source_section__parent__in=sections)
        )
