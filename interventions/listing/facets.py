"""Facet counts beside every filter, and the selection the list page shows, from the index.

Each facet's counts are computed on the result of every *other* facet (and the search), so a
count says how many results a click on that value gives: OR within a facet, AND across facets.
A facet in "alle valgte" mode (named in `match_all`) is AND within too: its counts are computed
on the whole result, its own selection included, so a count again says what adding the value
gives. Selected values stay visible even when their count drops to zero. `has_budget` is counted
like a facet (`FacetResult.budget`). Counting is bitset arithmetic in
`interventions.listing.index`; the FilterSet validates the query string and stays the contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import quote_plus

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from interventions import facets_registry
from interventions.listing.filters import InterventionFilter, VocabularyField
from interventions.listing.index import FacetIndex, SearchMatches
from interventions.models import Intervention


class ValueText:
    """What a facet value shows that depends only on the catalogue index and the language: its
    key, label (translated), group, HTML id and language, and its entries' bits. Built once per
    index and language (`shown_values`) and shared by every request's `FacetValue`; `markup`
    is for the template tags to keep the value's escaped HTML in (`site_tags.facet_values`)."""

    __slots__ = ("key", "label", "group", "dom_id", "lang", "bits", "markup")

    def __init__(self, key: str, label: str, group: str, dom_id: str, lang: str, bits: int):
        self.key = key
        self.label = label
        self.group = group
        self.dom_id = dom_id
        # "da" for a vocabulary's value on a page in another language (the data is Danish in
        # every language); "" where the page's own language says it.
        self.lang = lang
        self.bits = bits
        self.markup: tuple[str, str] | None = None


class FacetValue:
    """A facet value as one request shows it: its `ValueText`, its count and whether it is
    chosen."""

    __slots__ = ("text", "count", "selected", "params", "param", "_toggle_url")

    def __init__(
        self, text: ValueText, count: int, selected: bool, params: QueryDict, param: str
    ) -> None:
        self.text = text
        self.count = count
        self.selected = selected
        self.params = params
        self.param = param
        self._toggle_url: str | None = None

    def __repr__(self) -> str:
        return f"FacetValue({self.value!r}, count={self.count}, selected={self.selected})"

    @property
    def value(self) -> str:
        return self.text.key

    @property
    def label(self) -> str:
        return self.text.label

    @property
    def group(self) -> str:
        return self.text.group

    @property
    def dom_id(self) -> str:
        """The value as it may appear in an HTML id."""
        return self.text.dom_id

    @property
    def lang(self) -> str:
        return self.text.lang

    @property
    def toggle_url(self) -> str:
        """Built on demand: the page shows only the selected values' links."""
        if self._toggle_url is None:
            self._toggle_url = toggle_url(self.params, self.param, self.value)
        return self._toggle_url


@dataclass
class Facet:
    param: str
    label: str
    values: list[FacetValue] = field(default_factory=list)
    offers_all: bool = False  # the registry offers "alle valgte" (AND) for it
    matching_all: bool = False  # and the query asks for it (`match_all`)
    params: QueryDict | None = field(default=None, repr=False)

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]

    @cached_property
    def mode_url(self) -> str:
        """The query string with this facet's "alle valgte" switched on or off, on page 1."""
        return toggle_url(self.params, "match_all", self.param)


@dataclass
class BudgetChoice:
    """A value of `has_budget` ("" for either), with the number of results it gives."""

    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Selection:
    """The entries a query keeps, in the index: counted, and paged in the list's order."""

    index: FacetIndex
    kept: int
    search: SearchMatches | None

    @cached_property
    def total(self) -> int:
        return self.kept.bit_count()

    def entries(
        self, start: int, stop: int, queryset: QuerySet | None = None
    ) -> list[Intervention]:
        """The entries from `start` to `stop`, each with its `rank` if searched: read as
        `queryset` reads published entries (the API's list items), by default as list cards (kept
        by the index, `FacetIndex.card_entries`)."""
        wanted = self.index.page(self.kept, start, stop, self.search)
        pks = [pk for pk, _rank in wanted]
        if queryset is None:
            by_pk = self.index.card_entries(pks)
        else:
            by_pk = {entry.pk: entry for entry in queryset.filter(pk__in=pks).order_by()}
        shown = []
        for pk, rank in wanted:
            entry = by_pk.get(pk)
            # Unpublished or deleted since this process built its index (another process's
            # edit, before the shared version reached us): left out rather than shown.
            if entry is not None:
                if rank is not None:
                    entry.rank = rank
                shown.append(entry)
        return shown


class SelectionPages:
    """A Paginator's object list over a selection: counted in memory, read a page at a time
    (as `queryset` reads published entries, by default as list cards)."""

    def __init__(self, selection: Selection, queryset: QuerySet | None = None) -> None:
        self.selection = selection
        self.queryset = queryset

    def count(self) -> int:
        return self.selection.total

    def __len__(self) -> int:
        return self.selection.total

    def __getitem__(self, key: slice) -> list[Intervention]:
        start, stop, _step = key.indices(self.selection.total)
        return self.selection.entries(start, stop, self.queryset)

    def __iter__(self):
        for start in range(0, len(self), 100):
            yield from self.selection.entries(start, start + 100, self.queryset)


@dataclass
class FacetResult:
    """The facets, and the selection the whole query keeps (the list's results); `budget` the
    choices of `has_budget` with their counts."""

    facets: list[Facet]
    selection: Selection
    budget: list[BudgetChoice] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.selection.total

    def __iter__(self):
        return iter(self.facets)


def toggle_url(params: QueryDict, param: str, value: str) -> str:
    """The query string with `value` added to or removed from `param` (added last if `param` is
    not there), back on page 1. Built from the pairs rather than from a copy of `params`
    (QueryDict.copy is a deep copy)."""
    pairs: list[tuple[str, str]] = []
    for key, values in params.lists():
        if key == "page":
            continue
        if key == param:
            values = [v for v in values if v != value] if value in values else [*values, value]
        pairs += ((key, v) for v in values)
    if param not in params or param == "page":
        pairs.append((param, value))
    return f"?{urlencode(pairs)}"


# What `quote_plus` returns unchanged: its always-safe characters, nothing to encode.
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def _quoted(value: object) -> str:
    text = str(value)
    return text if _PLAIN(text) else quote_plus(text)


def urlencode(pairs: list[tuple[str, object]]) -> str:
    """`urllib.parse.urlencode(pairs)` for (name, value) pairs, in under half its time: a
    slug, a number or a plain word (most of a list page's names and values) is its own
    encoding, so only the others go through `quote_plus`. A list page builds a dozen query
    strings (the pages, the downloads, the feed, the chips)."""
    return "&".join([f"{_quoted(key)}={_quoted(value)}" for key, value in pairs])


def _selected_values(filterset: InterventionFilter, param: str) -> list[str]:
    """The valid values chosen for a facet, as the index keys them."""
    value = filterset.form.cleaned_data.get(param)
    if value is None:
        return []
    field = filterset.form.fields[param]
    if isinstance(field, VocabularyField):
        # The cleaned value is a lazy queryset; the form already looked the values up.
        return [v for v in filterset.form.data.getlist(param) if v in (field.known or {})]
    return list(value)


def _base(filterset: InterventionFilter, index: FacetIndex) -> tuple[int, SearchMatches | None]:
    """The entries kept by the search (`q`; `has_budget` is counted like a facet and `sort`
    only orders), and the search's matches if any."""
    cleaned = filterset.form.cleaned_data
    base, search = index.all, None
    if cleaned.get("q"):
        search = index.search(cleaned["q"], filterset.parsed_query())
        base &= search.bits
    return base, search


def _budget_bits(index: FacetIndex, value: bool) -> int:
    return index.with_budget if value else index.all & ~index.with_budget


BUDGET_CHOICES = (
    ("", _("Alle")),
    ("true", _("Med oplyst budget")),
    ("false", _("Uden oplyst budget")),
)


def _budget(index: FacetIndex, others: int, chosen: bool | None) -> list[BudgetChoice]:
    """`has_budget`'s choices, each counted on the result of every other filter."""
    counts = {
        "": others.bit_count(),
        "true": (others & _budget_bits(index, True)).bit_count(),
        "false": (others & _budget_bits(index, False)).bit_count(),
    }
    current = "" if chosen is None else ("true" if chosen else "false")
    return [
        BudgetChoice(value, str(label), counts[value], value == current)
        for value, label in BUDGET_CHOICES
    ]


# The current index's stamp, and per language each facet's label and its values' texts.
_shown: tuple[str, dict[str | None, dict[str, tuple[str, list[ValueText]]]]] = ("", {})


def shown_values(index: FacetIndex) -> dict[str, tuple[str, list[ValueText]]]:
    """Each registered facet's label and its values' texts, in the index's order, for the
    active language: built once per catalogue index and language, where each request
    translated every label (a lazy string each) and made every value anew."""
    global _shown
    stamp, by_language = _shown
    if stamp != index.stamp:
        # A new index: the older one's texts go (a request still on the older index brings
        # its own back until the next request on the new one).
        by_language = {}
        _shown = (index.stamp, by_language)
    language = get_language()
    texts = by_language.get(language)
    if texts is None:
        texts = by_language[language] = {
            facet.param: (
                str(facet.label),
                [
                    ValueText(
                        str(value.key),
                        str(value.label),
                        value.group,
                        value.dom_id,
                        # Marked Danish only on a page in another language (`ValueText.lang`).
                        "da" if facet.is_vocabulary and language != "da" else "",
                        value.bits,
                    )
                    for value in index.facets[facet.param]
                ],
            )
            for facet in facets_registry.facets()
        }
    return texts


def compute_facets(params: QueryDict, filterset: InterventionFilter | None = None) -> FacetResult:
    """Every facet with its values' counts over the published catalogue, given the request's
    parameters, and the selection of entries the whole query keeps.

    Pass the list's bound `filterset` (built from the same `params`) to reuse its validation,
    its parsed query and its catalogue index; without it one is built here. Invalid values are
    ignored, as the list does. The facets and their order are the registry's.
    """
    if filterset is None:
        filterset = InterventionFilter(params, queryset=Intervention.objects.published())
    filterset.is_valid()
    index = filterset.facet_index()
    base, search = _base(filterset, index)
    registered = facets_registry.facets()
    every = set(filterset.matching_all())
    kept = {}  # param -> the entries its selection keeps
    chosen = filterset.form.data  # the parameters given (blanks left out)
    for param in (f.param for f in registered):
        values = _selected_values(filterset, param) if param in chosen else []
        if values:
            kept[param] = index.chosen(param, values, every=param in every)
    has_budget = filterset.form.cleaned_data.get("has_budget")
    if has_budget is not None:
        kept["has_budget"] = _budget_bits(index, has_budget)
    total = base
    for bits in kept.values():
        total &= bits
    facets = []
    texts = shown_values(index)
    for registered_facet in registered:
        param = registered_facet.param
        all_of = param in every
        others = base
        for other, bits in kept.items():
            # In "alle valgte" mode a value adds to the facet's own selection: count on it too.
            if other != param or all_of:
                others &= bits
        selected = set(params.getlist(param))
        label, values = texts[param]
        facet = Facet(
            param=param,
            label=label,
            offers_all=registered_facet.match_all,
            matching_all=all_of,
            params=params,
        )
        shown = facet.values
        for text in values:
            count = (others & text.bits).bit_count() if others else 0
            if count:
                shown.append(FacetValue(text, count, text.key in selected, params, param))
            elif text.key in selected:
                shown.append(FacetValue(text, 0, True, params, param))
        facets.append(facet)
    without_budget = base
    for other, bits in kept.items():
        if other != "has_budget":
            without_budget &= bits
    budget = _budget(index, without_budget, has_budget)
    return FacetResult(facets, Selection(index, total, search), budget)
