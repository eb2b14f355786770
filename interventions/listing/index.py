"""The published catalogue in memory, for the list page: facet counts, result counts and order.

Every published entry is a bit position, numbered in the list's default order (title, slug, as
the database sorts them). Every facet value is the set of entries a click on it would keep, as one
Python integer used as a bitset (Python's own arbitrary-size integers: AND, OR and popcount run
in C). A search is run once per catalogue version and query, and kept as its matches in relevance
order. So a list request needs no query to count its facets or its results, nor to find which
entries its page shows: only the page's own entries are read from the database.

Membership mirrors the FilterSet, which stays the contract (tests compare the two on random
queries): a region holds the entries that take part in it directly or through a municipality; a
theme holds its tracks' entries. The index is built once per catalogue version and process (see
`caching.data_version`), with a fixed number of queries; about 1 s for 100,000 entries.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.utils.text import slugify

from interventions.caching.version import data_version
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
from interventions.search.query import search

SEARCHES_KEPT = 64  # searches remembered per process and version (at most ~0.5 MB each)
CHUNK_BYTES = 64  # the page walk skips whole chunks of a bitset by their popcount
LINKS_CHUNK = 20_000  # rows per fetch while streaming link tables


@dataclass
class IndexedValue:
    key: str
    pk: int
    label: Callable[[], str] | str
    group: str
    bits: int

    @cached_property
    def dom_id(self) -> str:
        """The value as it may appear in an HTML id."""
        return slugify(str(self.key))


@dataclass
class SearchMatches:
    """A search's matches: as a bitset, and as positions in relevance order with their rank."""

    bits: int
    ordered: array  # positions, best first; ties in title order, as the database orders them
    ranks: array  # the rank of each, as `InterventionQuerySet.search` computes it


class FacetIndex:
    """The published catalogue as bitsets: one per facet value, one for all entries."""

    def __init__(self, version: tuple[int, int]) -> None:
        self.version = version
        self.built_at = time.monotonic()
        # What cached renderings of this index's data are keyed by (see `cards`).
        self.stamp = f"{version[0]}.{version[1]}.{time.time_ns()}"
        rows = list(
            Intervention.objects.published()
            .order_by("title", "slug")
            .values_list(
                "pk",
                "sector",
                "status",
                "evaluation_level",
                "source_id",
                "source_section_id",
                "budget_dkk",
            )
        )
        self.pks = array("q", (row[0] for row in rows))
        self.position = {row[0]: i for i, row in enumerate(rows)}
        self.size = (len(rows) + 7) // 8 or 1  # bytes of a bitset
        self.all = (1 << len(rows)) - 1
        self.with_budget = self.bits_of(row[0] for row in rows if row[6] is not None)
        self.facets: dict[str, list[IndexedValue]] = {}
        self._searches: OrderedDict[str, SearchMatches] = OrderedDict()
        self._searches_lock = threading.Lock()
        self._keys: dict[str, dict[str, int]] = {}
        self._vocabulary("target_group", TargetGroup.objects.all(), self._links("target_groups"))
        self._vocabulary("policy_area", PolicyArea.objects.all(), self._links("policy_areas"))
        self._vocabulary(
            "paragraph",
            LegalParagraph.objects.select_related("law"),
            LegalBasis.objects.filter(intervention__is_published=True)
            .values_list("intervention_id", "paragraph_id")
            .iterator(chunk_size=LINKS_CHUNK),
            label=lambda p: f"{p.label} {p.title}",
            group=lambda p: p.law.name,
        )
        municipalities = list(Municipality.objects.all())
        by_municipality = self._bitsets(self._links("municipalities"))
        self._vocabulary("municipality", municipalities, by_municipality, label=lambda m: m.name)
        # A region holds its own entries and those of its municipalities.
        by_region = self._bitsets(self._links("regions"))
        for m in municipalities:
            by_region[m.region_id] = by_region.get(m.region_id, 0) | by_municipality.get(m.pk, 0)
        self._vocabulary("region", Region.objects.all(), by_region, label=lambda r: r.name)
        self._vocabulary("method", Method.objects.all(), self._links("methods"))
        self._vocabulary(
            "kkr_goal", KKRGoal.objects.all(), self._links("kkr_goals"), group=lambda g: g.area
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
        own = self._bitsets((r[0], r[5]) for r in rows if r[5])
        by_section = dict(own)
        for section in sections:
            if section.parent_id:  # one level, as the filter's `source_section__parent`
                by_section[section.parent_id] = by_section.get(section.parent_id, 0) | own.get(
                    section.pk, 0
                )
        self._vocabulary(
            "section",
            sections,
            by_section,
            key="code",
            label=lambda s: s.name,
            group=lambda s: s.source.title,
        )
        self._choices("status", Intervention.Status.choices, [(r[0], r[2]) for r in rows])
        self._choices(
            "evaluation", Intervention.EvaluationLevel.choices, [(r[0], r[3]) for r in rows]
        )

    # --- Building ---------------------------------------------------------------------------------

    def _links(self, name: str):
        """(entry, value) pairs of a many-to-many facet, streamed: at 100,000 entries there are
        a million, and only their bitsets are kept."""
        relation = getattr(Intervention, name)
        value_field = relation.field.m2m_reverse_field_name()
        return (
            relation.through.objects.filter(intervention__is_published=True)
            .values_list("intervention_id", f"{value_field}_id")
            .iterator(chunk_size=LINKS_CHUNK)
        )

    def _bitsets(self, pairs) -> dict[object, int]:
        """value -> the bitset of the entries linked to it."""
        members: dict[object, bytearray] = {}
        for entry, value in pairs:
            at = self.position.get(entry)
            if at is None:
                continue
            bits = members.get(value)
            if bits is None:
                bits = members[value] = bytearray(self.size)
            bits[at >> 3] |= 1 << (at & 7)
        return {value: int.from_bytes(bits, "little") for value, bits in members.items()}

    def _vocabulary(self, param, rows, links, key="slug", label=str, group=None) -> None:
        """A vocabulary facet: its rows in display order, and either (entry, value) pairs or
        the bitsets already made from them."""
        bitsets = links if isinstance(links, dict) else self._bitsets(links)
        self.facets[param] = [
            IndexedValue(
                getattr(r, key), r.pk, label(r), group(r) if group else "", bitsets.get(r.pk, 0)
            )
            for r in rows
        ]

    def _choices(self, param, choices, pairs) -> None:
        bitsets = self._bitsets(pairs)
        # Choice labels stay lazy: they are translated when a page shows them.
        self.facets[param] = [
            IndexedValue(value, 0, label, "", bitsets.get(value, 0)) for value, label in choices
        ]

    # --- Asking -----------------------------------------------------------------------------------

    def is_current(self, version: tuple[int, int]) -> bool:
        age = time.monotonic() - self.built_at
        return self.version == version and age < settings.CATALOGUE_INDEX_SECONDS

    def bits_of(self, pks) -> int:
        """The bitset of the given entry ids (ids of unpublished entries are left out)."""
        position = self.position
        return self._bits_at(position[pk] for pk in pks if pk in position)

    def _bits_at(self, positions) -> int:
        bits = bytearray(self.size)
        for at in positions:
            bits[at >> 3] |= 1 << (at & 7)
        return int.from_bytes(bits, "little")

    def keys(self, param: str) -> dict[str, int]:
        """Every value of a vocabulary facet by its key (slug, code), with its primary key."""
        keys = self._keys.get(param)
        if keys is None:
            keys = self._keys[param] = {str(v.key): v.pk for v in self.facets[param]}
        return keys

    def chosen(self, param: str, values) -> int:
        """The entries a selection in one facet keeps: any of its values (OR)."""
        wanted = {str(v) for v in values}
        bits = 0
        for value in self.facets[param]:
            if str(value.key) in wanted:
                bits |= value.bits
        return bits

    def search(self, query: str) -> SearchMatches:
        """The published entries matching a query, best first: one query, then remembered."""
        with self._searches_lock:
            found = self._searches.get(query)
            if found is not None:
                self._searches.move_to_end(query)
                return found
        rows = search(Intervention.objects.published(), query).order_by().values_list("pk", "rank")
        position = self.position
        # Best first; equal ranks in title order, which is position order.
        ranked = sorted(((-rank, position[pk]) for pk, rank in rows if pk in position))
        found = SearchMatches(
            bits=self._bits_at(at for _key, at in ranked),
            ordered=array("l", (at for _key, at in ranked)),
            ranks=array("l", (-negated for negated, _at in ranked)),
        )
        with self._searches_lock:
            self._searches[query] = found
            while len(self._searches) > SEARCHES_KEPT:
                self._searches.popitem(last=False)
        return found

    def page(
        self, kept: int, start: int, stop: int, search: SearchMatches | None = None
    ) -> list[tuple[int, int | None]]:
        """(entry id, rank) of the kept entries from `start` to `stop` in the list's order:
        relevance for a search, title otherwise."""
        if stop <= start or not kept:
            return []
        members = kept.to_bytes(self.size, "little")
        if search is not None:
            found = []
            for at, rank in zip(search.ordered, search.ranks, strict=True):
                if members[at >> 3] >> (at & 7) & 1:
                    found.append((self.pks[at], rank))
                    if len(found) == stop:
                        break
            return found[start:stop]
        return [(self.pks[at], None) for at in _set_bits(members, start, stop)]


def _set_bits(members: bytes, start: int, stop: int) -> Iterator[int]:
    """The positions of the `start`-th to `stop`-th set bits, skipping whole chunks by count."""
    seen = 0
    for offset in range(0, len(members), CHUNK_BYTES):
        chunk = int.from_bytes(members[offset : offset + CHUNK_BYTES], "little")
        count = chunk.bit_count()
        if seen + count <= start:
            seen += count
            continue
        base = offset * 8
        while chunk:
            low = chunk & -chunk
            if seen >= start:
                yield base + low.bit_length() - 1
            seen += 1
            if seen >= stop:
                return
            chunk ^= low


_index_lock = threading.Lock()
_index: FacetIndex | None = None


def catalogue_index() -> FacetIndex:
    """The index of the current catalogue version, built by the first request that needs it.

    Also rebuilt after `CATALOGUE_INDEX_SECONDS`, whatever the version says: it bounds how long
    an index lives, as `PUBLIC_PAGE_CACHE_SECONDS` does for pages.
    """
    global _index
    version = data_version()
    current = _index
    if current is not None and current.is_current(version):
        return current
    with _index_lock:
        if _index is None or not _index.is_current(version):
            _index = FacetIndex(version)
        return _index


def forget_index() -> None:
    """Drop the index (tests do, when a rolled-back transaction took their data away)."""
    global _index
    _index = None
