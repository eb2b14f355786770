"""Facet counts beside every filter: honest, disjunctive, and counted in memory.

Each facet's counts are computed on the result of every *other* facet (and the search), so a
count says how many results a click on that value gives: OR within a facet, AND across facets.
Selected values stay visible even when their count drops to zero.

Counting happens in a `FacetIndex`: every published entry is a bit position, and every facet
value is the set of entries a click on it would keep, as one Python integer used as a bitset
(Python's own arbitrary-size integers: AND, OR and popcount run in C). The index is built once
per catalogue version and process, with a fixed number of queries, so a page costs no facet query
at all: only the filters that are not facets (the search, `has_budget`) need the database, in one
query for the ids they keep. Membership mirrors the FilterSet: a region holds the entries that
take part in it directly or through a municipality; a theme holds its tracks' entries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.http import QueryDict
from django.utils.text import slugify

from interventions.caching import data_version
from interventions.filters import InterventionFilter, VocabularyField
from interventions.models import (
    Intervention,
    KKRGoal,
    LegalBasis,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    Region,
    SourceDocument,
    SourceSection,
    TargetGroup,
)

# Filters that are no facet but narrow every facet's counts; "sort" only orders.
NOT_COUNTED = frozenset({"sort"})


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    group: str = ""
    params: QueryDict | None = field(default=None, repr=False)
    param: str = ""
    dom_id: str = ""  # the value as it may appear in an HTML id

    @cached_property
    def toggle_url(self) -> str:
        """Built on demand: the page shows only the selected values' links."""
        return toggle_url(self.params, self.param, self.value)


@dataclass
class Facet:
    param: str
    label: str
    values: list[FacetValue] = field(default_factory=list)

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]


@dataclass
class FacetResult:
    """The facets, and how many entries the whole query keeps (the list's result count)."""

    facets: list[Facet]
    total: int

    def __iter__(self):
        return iter(self.facets)


@dataclass
class _Value:
    key: str
    label: Callable[[], str] | str
    group: str
    bits: int

    @cached_property
    def dom_id(self) -> str:
        return slugify(str(self.key))


class FacetIndex:
    """The published catalogue as bitsets: one per facet value, one for all entries."""

    def __init__(self) -> None:
        rows = list(
            Intervention.objects.published()
            .order_by("pk")
            .values_list(
                "pk", "sector", "status", "evaluation_level", "source_id", "source_section_id"
            )
        )
        self.position = {row[0]: i for i, row in enumerate(rows)}
        self.all = (1 << len(rows)) - 1
        self.facets: dict[str, list[_Value]] = {}
        pairs = self._links()
        self._vocabulary("target_group", TargetGroup.objects.all(), pairs["target_groups"])
        self._vocabulary("policy_area", PolicyArea.objects.all(), pairs["policy_areas"])
        self._vocabulary(
            "paragraph",
            LegalParagraph.objects.select_related("law"),
            pairs["paragraphs"],
            label=lambda p: f"{p.label} {p.title}",
            group=lambda p: p.law.name,
        )
        municipalities = list(Municipality.objects.all())
        self._vocabulary(
            "municipality", municipalities, pairs["municipalities"], label=lambda m: m.name
        )
        # A region holds its own entries and those of its municipalities.
        in_region = list(pairs["regions"])
        region_of = {m.pk: m.region_id for m in municipalities}
        in_region += [(entry, region_of[m]) for entry, m in pairs["municipalities"]]
        self._vocabulary("region", Region.objects.all(), in_region, label=lambda r: r.name)
        self._vocabulary("method", Method.objects.all(), pairs["methods"])
        self._vocabulary(
            "kkr_goal", KKRGoal.objects.all(), pairs["kkr_goals"], group=lambda g: g.area
        )
        self._choices("sector", Intervention.Sector.choices, [(r[0], r[1]) for r in rows])
        self._vocabulary(
            "source",
            SourceDocument.objects.all(),
            [(r[0], r[4]) for r in rows],
            key="key",
            label=lambda s: s.title,
        )
        # A theme holds its tracks' entries; an entry sits in one section only.
        sections = list(SourceSection.objects.select_related("source"))
        parent_of = {s.pk: s.parent_id for s in sections}
        in_section = [(r[0], r[5]) for r in rows if r[5]]
        in_section += [(e, parent_of[s]) for e, s in in_section if parent_of[s]]
        self._vocabulary(
            "section",
            sections,
            in_section,
            key="code",
            label=lambda s: s.name,
            group=lambda s: s.source.title,
        )
        self._choices("status", Intervention.Status.choices, [(r[0], r[2]) for r in rows])
        self._choices(
            "evaluation", Intervention.EvaluationLevel.choices, [(r[0], r[3]) for r in rows]
        )

    def _links(self) -> dict[str, list[tuple[int, int]]]:
        """(entry, value) pairs of every many-to-many facet, one query each."""
        through = {
            name: getattr(Intervention, name).through
            for name in (
                "target_groups",
                "policy_areas",
                "municipalities",
                "regions",
                "methods",
                "kkr_goals",
            )
        }
        pairs = {}
        for name, model in through.items():
            value_field = getattr(Intervention, name).field.m2m_reverse_field_name()
            pairs[name] = list(
                model.objects.filter(intervention__is_published=True).values_list(
                    "intervention_id", f"{value_field}_id"
                )
            )
        pairs["paragraphs"] = list(
            LegalBasis.objects.filter(intervention__is_published=True).values_list(
                "intervention_id", "paragraph_id"
            )
        )
        return pairs

    def _bitsets(self, pairs) -> dict[object, int]:
        """value -> the bitset of the entries linked to it."""
        members: dict[object, bytearray] = {}
        size = (len(self.position) + 7) // 8 or 1
        for entry, value in pairs:
            at = self.position.get(entry)
            if at is None:
                continue
            bits = members.get(value)
            if bits is None:
                bits = members[value] = bytearray(size)
            bits[at >> 3] |= 1 << (at & 7)
        return {value: int.from_bytes(bits, "little") for value, bits in members.items()}

    def _vocabulary(self, param, rows, pairs, key="slug", label=str, group=None) -> None:
        bitsets = self._bitsets(pairs)
        self.facets[param] = [
            _Value(getattr(r, key), label(r), group(r) if group else "", bitsets.get(r.pk, 0))
            for r in rows
        ]

    def _choices(self, param, choices, pairs) -> None:
        bitsets = self._bitsets(pairs)
        # Choice labels stay lazy: they are translated when a page shows them.
        self.facets[param] = [
            _Value(value, label, "", bitsets.get(value, 0)) for value, label in choices
        ]

    def bits_of(self, pks) -> int:
        """The bitset of the given entry ids (ids of unpublished entries are left out)."""
        size = (len(self.position) + 7) // 8 or 1
        bits = bytearray(size)
        position = self.position
        for pk in pks:
            at = position.get(pk)
            if at is not None:
                bits[at >> 3] |= 1 << (at & 7)
        return int.from_bytes(bits, "little")

    def chosen(self, param: str, values) -> int:
        """The entries a selection in one facet keeps: any of its values (OR)."""
        wanted = {str(v) for v in values}
        bits = 0
        for value in self.facets[param]:
            if str(value.key) in wanted:
                bits |= value.bits
        return bits


_index_lock = threading.Lock()
_index: tuple[object, FacetIndex] | None = None


def facet_index() -> FacetIndex:
    """The index of the current catalogue version, built by the first request that needs it."""
    global _index
    version = data_version()
    current = _index
    if current is not None and current[0] == version:
        return current[1]
    with _index_lock:
        if _index is None or _index[0] != version:
            _index = (version, FacetIndex())
        return _index[1]


def forget_index() -> None:
    """Drop the index (tests do, when a rolled-back transaction took their data away)."""
    global _index
    _index = None


def toggle_url(params: QueryDict, param: str, value: str) -> str:
    """The query string with `value` added to or removed from `param`, back on page 1."""
    new = params.copy()
    new.pop("page", None)
    values = new.getlist(param)
    new.setlist(param, [v for v in values if v != value] if value in values else [*values, value])
    encoded = new.urlencode()
    return f"?{encoded}" if encoded else "?"


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


def _not_counted_filters_apply(filterset: InterventionFilter) -> bool:
    cleaned = filterset.form.cleaned_data
    return any(
        cleaned.get(name) not in (None, "", [])
        for name in cleaned
        if name not in InterventionFilter.FACETS and name not in NOT_COUNTED
    )


def _other_filters(filterset: InterventionFilter) -> InterventionFilter:
    """The published entries kept by the filters that are not facets (search, budget)."""
    queryset = Intervention.objects.published()
    for name, value in filterset.form.cleaned_data.items():
        if name not in InterventionFilter.FACETS and name not in NOT_COUNTED:
            queryset = filterset.filters[name].filter(queryset, value)
    return queryset.order_by().values_list("pk", flat=True)


def compute_facets(params: QueryDict, filterset: InterventionFilter | None = None) -> FacetResult:
    """Every facet with its values' counts over the published catalogue, given the request's
    parameters, and the number of entries the whole query keeps.

    Pass the list's bound `filterset` (built from the same `params`) to reuse its validation;
    without it one is built here. Invalid values are ignored, as the list does.
    """
    if filterset is None:
        filterset = InterventionFilter(params, queryset=Intervention.objects.published())
    filterset.is_valid()
    index = facet_index()
    base = index.all
    if _not_counted_filters_apply(filterset):
        base = index.bits_of(_other_filters(filterset))
    kept = {}  # param -> the entries its selection keeps
    for param in InterventionFilter.FACETS:
        values = _selected_values(filterset, param)
        if values:
            kept[param] = index.chosen(param, values)
    total = base
    for bits in kept.values():
        total &= bits
    facets = []
    for param in InterventionFilter.FACETS:
        others = base
        for other, bits in kept.items():
            if other != param:
                others &= bits
        selected = set(params.getlist(param))
        facet = Facet(param=param, label=str(InterventionFilter.base_filters[param].label))
        for value in index.facets[param]:
            key = str(value.key)
            count = (others & value.bits).bit_count() if others else 0
            if count or key in selected:
                facet.values.append(
                    FacetValue(
                        value=key,
                        label=str(value.label),
                        count=count,
                        selected=key in selected,
                        group=value.group,
                        params=params,
                        param=param,
                        dom_id=value.dom_id,
                    )
                )
        facets.append(facet)
    return FacetResult(facets, total.bit_count())
