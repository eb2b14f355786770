"""The contract of the query string: one FilterSet for the list page, the API and the downloads.

Its facet filters are built from the facet registry (`interventions.facets_registry`); `q`,
`match_all`, `has_budget` and `sort` are declared here.

Multi-valued vocabularies are OR within a facet and AND across facets; a facet named in
`match_all` (one the registry offers it for) is AND within too: `?target_group=a&target_group=b
&match_all=target_group` keeps the entries with both. Unknown values make the form invalid;
views answer 400 with the form's (Danish) messages, never 500.
"""

from __future__ import annotations

import copy
import copyreg
from functools import cache

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from interventions import facets_registry
from interventions.facets_registry import Facet
from interventions.listing.index import FacetIndex, catalogue_index
from interventions.models import (
    Intervention,
    budget_kind_order_expression,
    information_date_expression,
)
from interventions.search.hints import understand
from interventions.search.query import ParsedQuery, search
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
    """Ties are broken by title and slug, so pages neither overlap nor skip entries.

    `information` orders by the date of the information (Intervention.information_date), which
    the database computes: the entries are annotated with it only when it is asked for. `budget`
    orders within each kind of amount first (`budget_kind_order_expression`).
    """

    def filter(self, qs, value):
        if value and any(v.lstrip("-") == "information" for v in value):
            qs = qs.annotate(information_on=information_date_expression())
        qs = super().filter(qs, value)
        if not value:
            return qs
        first = []
        if any(v.lstrip("-") == "budget" for v in value):
            # Within a kind of amount (yearly, total, per participant, construction), then by
            # amount; entries without an amount last on every database.
            qs = qs.annotate(budget_kind_order=budget_kind_order_expression())
            first = ["budget_kind_order"]
        return qs.order_by(*first, *qs.query.order_by, "title", "slug")


class VocabularyField(django_filters.fields.ModelMultipleChoiceField):
    """Values of one vocabulary, checked against what the form looked up for all vocabularies.

    The cleaned value is a lazy queryset of the chosen rows: filters use it as a subquery, so
    validating costs no query however many vocabularies the request selects, and its condition
    is built only when something uses it (`chosen_rows`).
    """

    known: dict[str, int] | None = None  # value -> pk, filled by InterventionFilterForm
    # (the queryset, its `none()`): what an empty choice cleans to, made once per queryset
    _nothing: tuple[QuerySet, QuerySet] | None = None

    def __deepcopy__(self, memo):
        """Each form's copy shares the queryset while nothing has evaluated it, instead of two
        clones per field per request (Django's copy; ~0.1 ms a list request): this field never
        evaluates it (`_check_values` filters a new queryset, a widget iterates without caching
        its rows). Once a queryset has cached rows, its copies get fresh clones, as Django's
        would, so no form sees another's rows."""
        queryset = self._queryset
        if queryset is None or queryset._result_cache is not None:
            return super().__deepcopy__(memo)
        result = forms.Field.__deepcopy__(self, memo)
        result._queryset = queryset
        result.widget.choices = result.choices  # an iterator of the copy's own (Django #11183)
        return result

    def for_form(self) -> VocabularyField:
        """This field for one form: a shallow copy, for the form's own `known`. Nothing else
        of it changes per request; a queryset that has cached rows is copied as Django would
        (`__deepcopy__`)."""
        if self._queryset is not None and self._queryset._result_cache is not None:
            return copy.deepcopy(self)
        if self._queryset is not None and (
            self._nothing is None or self._nothing[0] is not self._queryset
        ):
            self._nothing = (self._queryset, self._queryset.none())
        return shallow_copy(self)

    def clean(self, value):
        """An empty choice cleans to the field's one kept `none()` (the forms' copies share it)
        rather than to a new clone of the queryset per field per request (~12 us each, and most
        of a request's vocabularies are not chosen). It is always empty, whoever evaluates it."""
        nothing = self._nothing
        if (
            not self.required
            and nothing is not None
            and nothing[0] is self._queryset
            and not self.prepare_value(value)
        ):
            return nothing[1]
        return super().clean(value)

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
        return chosen_rows(self.queryset, [self.known[item] for item in value])


def chosen_rows(queryset: QuerySet, pks: list[int]) -> QuerySet:
    """`queryset.filter(pk__in=pks)`, its condition added when the queryset is first used.

    Building a filter is ~40 us of Django's query machinery per chosen vocabulary, and the list
    page never uses the cleaned rows (the index filters, counts and pages; only a sorted list,
    the API's database path, the downloads and the feed read them). Django's own deferral is
    used, as its related managers use it for prefetching: the `query` property applies the
    condition first whenever anything reads, filters, clones or evaluates the queryset, so the
    result is `filter()`'s in every use.
    """
    rows = queryset.all()  # a clone of its own: the flag is never set on a shared queryset
    rows._defer_next_filter = True
    return rows.filter(pk__in=pks)


class VocabularyFilter(django_filters.ModelMultipleChoiceFilter):
    """Entries belonging to any chosen value (OR), as the facet's membership says; to every
    chosen value (AND) when the facet is named in `match_all`."""

    field_class = VocabularyField

    def __init__(self, *args, facet: Facet, **kwargs):
        self.facet = facet
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if _none_chosen(value):
            return qs
        parent = getattr(self, "parent", None)
        if parent is not None and self.facet.param in parent.matching_all():
            # One semi-join per value, each with its primary key as the form looked it up: no
            # query to read the chosen rows.
            for pk in parent.form.chosen_pks(self.field_name):
                qs = _having(qs, self.facet.condition([pk]))
            return qs
        return _having(qs, self.facet.condition(value))


class MatchAllFilter(django_filters.MultipleChoiceFilter):
    """The facets whose chosen values must all hold (AND) rather than any (OR). Each facet's own
    filter reads it (`InterventionFilter.matching_all`), so it narrows nothing by itself."""

    def filter(self, qs, value):
        return qs


class ChoiceFacetFilter(django_filters.MultipleChoiceFilter):
    """Entries whose value is any chosen one (OR): a field of the entry, or a computed value."""

    def __init__(self, *args, facet: Facet, **kwargs):
        self.facet = facet
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if self.facet.computed is None or not value:
            return super().filter(qs, value)
        alias = self.facet.alias
        return qs.alias(**{alias: self.facet.value_expression()}).filter(**{f"{alias}__in": value})


def _having(queryset, condition: Q):
    """Entries meeting a condition on their relations, as a semi-join: no duplicate rows, so no
    DISTINCT over whole entries (which would compare every text column of every row)."""
    return queryset.filter(pk__in=Intervention.objects.filter(condition).values("pk"))


def _none_chosen(values) -> bool:
    """True for an empty choice, without running the query behind a lazy one."""
    return values.query.is_empty() if isinstance(values, QuerySet) else not values


class InterventionFilterForm(forms.Form):
    def facet_index(self) -> FacetIndex:
        """The catalogue index; InterventionFilter gives its form the request's own instead."""
        return catalogue_index()

    def full_clean(self):
        self._look_up_vocabularies()
        super().full_clean()

    def _clean_fields(self) -> None:
        """Django's, without a bound field per field: each field cleans the value its widget
        reads from the query string, as Django's `_clean_bound_field` has it clean (no field is
        disabled or a file, and no `clean_<name>` follows). Making eighteen bound fields was a
        third of the validation; a template still gets any it asks for (`form["q"]`)."""
        for name, field in self.fields.items():
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            try:
                self.cleaned_data[name] = field.clean(value)
            except forms.ValidationError as error:
                self.add_error(name, error)

    def _look_up_vocabularies(self) -> None:
        """Look up every chosen vocabulary value in the catalogue index (in memory), not with a
        query per vocabulary: the index knows every value of every vocabulary by its key."""
        for name, field in self.fields.items():
            if not isinstance(field, VocabularyField):
                continue
            field.known = {}
            values = self.data.getlist(self.add_prefix(name)) if self.is_bound else []
            values = [v for v in values if isinstance(v, str) and "\x00" not in v]
            if values:
                keys = self.facet_index().keys(name)
                field.known = {v: keys[v] for v in values if v in keys}

    def chosen_pks(self, name: str) -> list[int]:
        """The primary keys of a vocabulary's valid chosen values, each once, in the order given."""
        field = self.fields[name]
        known = getattr(field, "known", None) or {}
        values = self.data.getlist(self.add_prefix(name)) if self.is_bound else []
        return list(dict.fromkeys(known[v] for v in values if v in known))


def facet_filter(facet: Facet) -> django_filters.Filter:
    """The filter of one registered facet."""
    if facet.is_vocabulary:
        return VocabularyFilter(
            facet=facet,
            field_name=facet.param,
            queryset=facet.vocabulary._default_manager.all(),
            to_field_name=facet.key,
            label=facet.label,
        )
    return ChoiceFacetFilter(
        facet=facet,
        field_name=facet.field or facet.param,
        choices=facet.choices,
        label=facet.label,
        distinct=False,
    )


def match_all_filter() -> MatchAllFilter:
    """`match_all`: its choices are the registered facets that offer "alle valgte"."""
    return MatchAllFilter(
        choices=[(f.param, f.label) for f in facets_registry.facets() if f.match_all],
        label=_("Alle valgte skal passe"),
    )


@cache
def _copies_plainly(cls: type) -> bool:
    """Whether `copy.copy` of an instance of `cls` is a new instance of `cls` with the same
    attributes: nothing of its own about copying or pickling, no slots."""
    return (
        cls not in copyreg.dispatch_table
        and not hasattr(cls, "__copy__")
        and cls.__reduce_ex__ is object.__reduce_ex__
        and cls.__reduce__ is object.__reduce__
        and cls.__getstate__ is object.__getstate__
        and not any("__slots__" in vars(k) for k in cls.__mro__)
    )


def shallow_copy(obj):
    """`copy.copy(obj)`, in a fifth of its time for a plain object (copy's generic path through
    `__reduce_ex__` is ~6 us; a form request copies ~30 filters and fields)."""
    cls = type(obj)
    if not _copies_plainly(cls):
        return copy.copy(obj)
    clone = cls.__new__(cls)
    clone.__dict__.update(obj.__dict__)
    return clone


class SharedFilters(dict):
    """The declared filters, copied for each request shallowly rather than deeply.

    django-filter deep-copies `base_filters` for every FilterSet it makes (about a tenth of a
    list request's time, mostly spent copying each vocabulary filter's queryset and choices).
    A filter keeps no state of its own between requests: the FilterSet gives each copy its
    `model` and `parent`, and the form fields a request fills in are the form's own (Django
    deep-copies them for each form). So each request gets a shallow copy of each filter, whose
    `method` (a FilterMethod bound to the filter it was made for) is bound to the copy again.
    """

    def __deepcopy__(self, memo) -> dict:
        filters = {}
        for name, filter_ in self.items():
            clone = shallow_copy(filter_)
            if clone.method is not None:
                clone.method = clone.method  # a FilterMethod bound to the clone, not the original
            filters[name] = clone
        return filters


class SharedFields(dict):
    """The form class's fields, given to each form without Django's deep copy.

    Django deep-copies `base_fields` into every form so that a form may change its fields; this
    one changes none but the vocabulary fields' `known` (the values the request chose, looked up
    in the index). So each form shares the other fields (a search field, choices, booleans) and
    gets a shallow copy of each vocabulary field (`VocabularyField.for_form`): deep-copying
    eighteen fields with their widgets and choices was half of a list request's validation.
    """

    def __deepcopy__(self, memo) -> dict:
        return {
            name: field.for_form() if isinstance(field, VocabularyField) else field
            for name, field in self.items()
        }


def _without_blanks(data) -> QueryDict:
    """`data` less its empty values: an empty parameter ("?sector=") means "no filter", as an
    unticked box does. A new QueryDict of the kept values, not `data.copy()` (a deep copy, value
    by value). A plain dict, as Django's forms take it too (a list for a field of several
    values), becomes the QueryDict of its query string: the form reads values with `getlist`."""
    if isinstance(data, MultiValueDict):
        pairs = data.lists()
    else:
        pairs = ((k, v if isinstance(v, list | tuple) else [v]) for k, v in data.items())
    kept = QueryDict(mutable=True, encoding=getattr(data, "encoding", None))
    for key, values in pairs:
        values = [v for v in values if not isinstance(v, str) or v.strip()]
        if values:
            kept.setlist(key, values)
    return kept


class InterventionFilter(django_filters.FilterSet):
    """The list's filters: `q`, one per registered facet and `match_all` (see `rebuild`),
    `has_budget`, `sort`."""

    q = QueryFilter(method="filter_q", label=_("Søg"))
    has_budget = StrictBooleanFilter(
        field_name="budget_dkk", lookup_expr="isnull", exclude=True, label=_("Med oplyst budget")
    )
    sort = StableOrderingFilter(
        fields=(
            ("title", "title"),
            ("information_on", "information"),
            ("updated_at", "updated"),
            ("period_start", "start"),
            ("budget_dkk", "budget"),
        ),
        field_labels={
            "title": _("Titel"),
            "information_on": _("Oplysningernes dato"),
            # When the entry last changed in the catalogue, not the date of its information.
            "updated_at": _("Senest ændret i kataloget"),
            "period_start": _("Startår"),
            "budget_dkk": _("Budget"),
        },
        label=_("Sortering"),
    )

    class Meta:
        model = Intervention
        fields: list[str] = []
        form = InterventionFilterForm

    FIXED = ("q", "match_all", "has_budget", "sort")  # the filters that are no facet

    @classmethod
    def rebuild(cls) -> None:
        """Declare one filter per registered facet and `match_all` (which names them), after
        `q` and before `has_budget` and `sort`: at import, and again when a test registers a
        facet."""
        fixed = {name: cls.declared_filters[name] for name in cls.FIXED if name != "match_all"}
        cls.declared_filters = {
            "q": fixed["q"],
            **{f.param: facet_filter(f) for f in facets_registry.facets()},
            "match_all": match_all_filter(),
            "has_budget": fixed["has_budget"],
            "sort": fixed["sort"],
        }
        cls.base_filters = SharedFilters(cls.get_filters())
        cls._form_class = None

    def __init__(self, data=None, *args, index: FacetIndex | None = None, **kwargs):
        if data is not None:
            data = _without_blanks(data)
        super().__init__(data, *args, **kwargs)
        self._index = index
        self._parsed: ParsedQuery | None = None

    _form_class: type[InterventionFilterForm] | None = None

    def get_form_class(self) -> type[InterventionFilterForm]:
        """The form class, built once from the filters (not once per request): each form shares
        its fields but the vocabularies' (`SharedFields`). `rebuild` starts a new one."""
        cls = type(self)
        if cls.__dict__.get("_form_class") is None:
            form_class = super().get_form_class()
            form_class.base_fields = SharedFields(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class

    @property
    def form(self) -> InterventionFilterForm:
        if not hasattr(self, "_form"):
            super().form.facet_index = self.facet_index
        return self._form

    def facet_index(self) -> FacetIndex:
        """The catalogue index this filterset uses: looked up once, however many parts ask."""
        if self._index is None:
            self._index = catalogue_index()
        return self._index

    def parsed_query(self) -> ParsedQuery | None:
        """The valid `q`, parsed and fitted to the catalogue's words once (a typo corrected, a
        compound split): the search, the index, the snippets and the messages all use it."""
        if not self.is_bound:
            return None
        self.is_valid()  # validates once; an invalid `q` is left out of the cleaned data
        query = self.form.cleaned_data.get("q")
        if not query:
            return None
        if self._parsed is None:
            # Through the index the request already has (the list page, a paged search): kept
            # there per query. Without one (a sorted API search, a download) it is not looked up.
            index = self._index
            self._parsed = index.understood(query) if index is not None else understand(query)
        return self._parsed

    def matching_all(self) -> list[str]:
        """The facets whose chosen values must all hold (a valid `match_all`), else []."""
        if not self.is_bound:
            return []
        self.is_valid()
        return list(self.form.cleaned_data.get("match_all") or [])

    def filter_q(self, queryset, name, value):
        return search(queryset, self.parsed_query() or value)


InterventionFilter.rebuild()
