"""The published catalogue in memory, for the list page: facet counts, result counts and order.

Every published entry is a bit position, numbered in the list's default order (title, slug, as
the database sorts them). Every facet value is the set of entries a click on it would keep, as one
Python integer used as a bitset (Python's own arbitrary-size integers: AND, OR and popcount run
in C). A search is run once per catalogue version and query, and kept as its matches in relevance
order. So a list request needs no query to count its facets or its results, nor to find which
entries its page shows: only the page's own entries are read from the database.

The facets and their membership come from the facet registry (`interventions.facets_registry`),
as the FilterSet's do, which stays the contract (tests compare the two on random queries): a
region holds the entries that take part in it directly or through a municipality; a theme holds
its tracks' entries. The index is built once per catalogue version and process (see
`caching.data_version`), with a fixed number of queries (the entries, one per many-to-many
relation, one per vocabulary); about 1 s for 100,000 entries.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property, partial
from itertools import repeat
from typing import TypeVar

from django.conf import settings
from django.db.models import ForeignKey, Model
from django.db.models.base import ModelState
from django.utils.text import slugify

from interventions import facets_registry
from interventions.caching.behind import INDEX_STALE_SECONDS, Behind
from interventions.caching.version import data_version
from interventions.facets_registry import Facet, Text
from interventions.models import Intervention, today
from interventions.search.hints import understand
from interventions.search.query import ParsedQuery, ranked_groups

T = TypeVar("T")

SEARCHES_KEPT = 64  # searches remembered per process and version (at most ~0.5 MB each)
# Entries kept as their list cards read them, per process and index (a few kB each: their text
# sections, for the snippets).
CARD_ENTRIES_KEPT = 1024
CHUNK_BYTES = 64  # the page walk skips whole chunks of a bitset by their popcount
LINKS_CHUNK = 20_000  # rows per fetch while streaming link tables
_DIGITS = bytes.maketrans(b"\x00\x01", b"01")  # `_bits_at`'s flags as binary digits
# Field name -> column name ("source" -> "source_id"), for the entries' query.
_COLUMNS = {f.name: f.attname for f in Intervention._meta.concrete_fields}


@dataclass
class IndexedValue:
    key: str
    pk: int
    label: Text  # choice labels stay lazy until a page shows them
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
    ranks: array  # the score of each, as `search.query.ranked` computes it


class FacetIndex:
    """The published catalogue as bitsets: one per facet value, one for all entries."""

    def __init__(self, version: tuple[int, int]) -> None:
        self.version = version
        self.built_at = time.monotonic()
        # Freshness (a computed facet) and the cards' stale markers depend on the date: an index
        # serves one day only.
        self.day = today()
        # What cached renderings of this index's data are keyed by (see `cards`).
        self.stamp = f"{version[0]}.{version[1]}.{self.day:%Y%m%d}.{time.time_ns()}"
        registered = facets_registry.facets()
        # The entries with their foreign keys and choice values, each in a column of its own.
        columns: dict[str, int] = {}
        names = ["pk", "budget_dkk"]
        queryset = Intervention.objects.published().order_by("title", "slug")
        for facet in registered:
            if facet.is_vocabulary:
                for way in facet.ways:
                    if not Intervention._meta.get_field(way.relation).many_to_many:
                        columns.setdefault(way.relation, 0)
            elif facet.computed is not None:
                queryset = queryset.annotate(**{facet.alias: facet.value_expression()})
                columns[facet.alias] = 0
            else:
                columns[facet.field] = 0
        for name in columns:
            columns[name] = len(names)
            names.append(_COLUMNS.get(name, name))
        rows = list(queryset.values_list(*names))
        self.pks = array("q", (row[0] for row in rows))
        self.position = {row[0]: i for i, row in enumerate(rows)}
        self.size = (len(rows) + 7) // 8 or 1  # bytes of a bitset
        self.all = (1 << len(rows)) - 1
        self.with_budget = self.bits_of(row[0] for row in rows if row[1] is not None)
        self.facets: dict[str, list[IndexedValue]] = {}
        self._searches: OrderedDict[str, SearchMatches] = OrderedDict()
        self._searches_lock = threading.Lock()
        self._understood: OrderedDict[str, ParsedQuery] = OrderedDict()
        self._card_entries: OrderedDict[int, Intervention] = OrderedDict()
        self._card_entries_lock = threading.Lock()
        self._keys: dict[str, dict[str, int]] = {}
        # Read once per build, shared by the facets that need them (a region's municipalities).
        self._rows_of: dict[type[Model], list] = {}
        self._bits_of_relation: dict[str, dict[object, int]] = {}
        self._column_pairs = {
            name: [(row[0], row[at]) for row in rows if row[at] is not None]
            for name, at in columns.items()
        }
        for facet in registered:
            if facet.is_vocabulary:
                self._vocabulary(facet)
            else:
                self._choices(facet)

    # --- Building ---------------------------------------------------------------------------------

    def _rows(self, model: type[Model]) -> list:
        """A vocabulary's rows, read once per build (with what its facet shows of them)."""
        found = self._rows_of.get(model)
        if found is None:
            owner = next((f for f in facets_registry.facets() if f.model is model), None)
            rows = owner.rows() if owner is not None else model._default_manager.all()
            found = self._rows_of[model] = list(rows)
        return found

    def _relation_bits(self, relation: str) -> dict[object, int]:
        """Related pk -> the bitset of the entries linked to it, for a relation of Intervention."""
        found = self._bits_of_relation.get(relation)
        if found is None:
            if Intervention._meta.get_field(relation).many_to_many:
                found = self._bitsets(self._links(relation))
            else:
                found = self._bitsets(self._column_pairs[relation])
            self._bits_of_relation[relation] = found
        return found

    def _links(self, name: str):
        """(entry, value) pairs of a many-to-many relation, streamed: at 100,000 entries there are
        a million, and only their bitsets are kept."""
        relation = getattr(Intervention, name)
        entry_field = relation.field.m2m_field_name()
        value_field = relation.field.m2m_reverse_field_name()
        return (
            relation.through.objects.filter(**{f"{entry_field}__is_published": True})
            .values_list(f"{entry_field}_id", f"{value_field}_id")
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

    def _vocabulary(self, facet: Facet) -> None:
        """A vocabulary facet: its rows in display order, each the union of its ways' entries."""
        bitsets: dict[object, int] = {}
        for way in facet.ways:
            linked = self._relation_bits(way.relation)
            if way.via:
                # Through the related rows' foreign key: a municipality's entries are its region's.
                related = Intervention._meta.get_field(way.relation).related_model
                assert isinstance(related, type), way  # a model, resolved when apps were ready
                via = related._meta.get_field(way.via)
                assert isinstance(via, ForeignKey), way
                attname = via.attname
                for row in self._rows(related):
                    target = getattr(row, attname)
                    if target is not None and row.pk in linked:
                        bitsets[target] = bitsets.get(target, 0) | linked[row.pk]
            else:
                for pk, bits in linked.items():
                    bitsets[pk] = bitsets.get(pk, 0) | bits
        group = facet.value_group
        self.facets[facet.param] = [
            IndexedValue(
                getattr(r, facet.key),
                r.pk,
                facet.value_label(r),
                group(r) if group else "",
                bitsets.get(r.pk, 0),
            )
            for r in self._rows(facet.vocabulary)
        ]

    def _choices(self, facet: Facet) -> None:
        column = facet.alias if facet.computed is not None else facet.field
        bitsets = self._bitsets(self._column_pairs[column])
        # Choice labels stay lazy: they are translated when a page shows them.
        self.facets[facet.param] = [
            IndexedValue(value, 0, label, "", bitsets.get(value, 0))
            for value, label in facet.choices
        ]

    # --- Asking -----------------------------------------------------------------------------------

    def is_current(self, version: tuple[int, int], stale_for: float = 0.0) -> bool:
        """Whether this index may serve data version `version`: built in it, today, and at
        most `CATALOGUE_INDEX_SECONDS` ago (`stale_for` seconds more, while another is built
        behind the requests: `catalogue_index`)."""
        age = time.monotonic() - self.built_at
        return (
            self.version == version
            and age <= settings.CATALOGUE_INDEX_SECONDS + stale_for
            and self.day == today()
        )

    def bits_of(self, pks) -> int:
        """The bitset of the given entry ids (ids of unpublished entries are left out)."""
        position = self.position
        return self._bits_at(position[pk] for pk in pks if pk in position)

    def _bits_at(self, positions) -> int:
        """The bitset of `positions`: a byte per entry set, then read as the digits of a binary
        number (highest position first), which `int` parses in linear time for base 2."""
        flags = bytearray(len(self.pks))
        for at in positions:
            flags[at] = 1
        return int(flags.translate(_DIGITS)[::-1] or b"0", 2)

    def keys(self, param: str) -> dict[str, int]:
        """Every value of a vocabulary facet by its key (slug, code), with its primary key."""
        keys = self._keys.get(param)
        if keys is None:
            keys = self._keys[param] = {str(v.key): v.pk for v in self.facets[param]}
        return keys

    def chosen(self, param: str, values, every: bool = False) -> int:
        """The entries a selection in one facet keeps: any of its values (OR), or with `every`
        all of them (AND, the facet named in `match_all`)."""
        wanted = {str(v) for v in values}
        found = [value.bits for value in self.facets[param] if str(value.key) in wanted]
        bits = found[0] if every and found else 0
        for value_bits in found:
            bits = bits & value_bits if every else bits | value_bits
        return bits

    def search(self, query: str, parsed: ParsedQuery | None = None) -> SearchMatches:
        """The published entries matching a query, best first: one query, then remembered.

        `parsed`: the query already parsed (by the request's filterset), so it is not parsed again.
        """
        return self._kept(self._searches, query, lambda: self._matches(query, parsed))

    def _matches(self, query: str, parsed: ParsedQuery | None) -> SearchMatches:
        # Best first; equal ranks in title order, which is position order. Sorted a score at a
        # time, as integers: a broad word's tens of thousands of matches have a few dozen scores,
        # and sorting them all as (rank, position) pairs cost as much as the search itself.
        get = self.position.get
        ordered, ranks = array("l"), array("l")
        for rank, pks in ranked_groups(parsed or query, total=len(self.pks)).items():
            positions = [at for at in map(get, pks) if at is not None]
            positions.sort()
            ordered.extend(positions)
            ranks.extend(repeat(rank, len(positions)))
        return SearchMatches(bits=self._bits_at(ordered), ordered=ordered, ranks=ranks)

    def understood(self, query: str) -> ParsedQuery:
        """`query` parsed and fitted to the catalogue's words (`search.hints.understand`), kept
        like its search (the last `SEARCHES_KEPT` per index): a search's facet clicks, pages and
        sort orders parse it once, and its snippets and correction agree with its remembered
        matches. Callers must not change the result: it is shared. Raises InvalidQuery as
        `understand` does (not kept)."""
        return self._kept(self._understood, query, lambda: understand(query))

    def _kept(self, store: OrderedDict, query: str, build: Callable[[], T]) -> T:
        """The value kept in `store` for `query`, else `build()` kept there (the last
        `SEARCHES_KEPT`); built outside the lock, so a slow search holds up no other."""
        with self._searches_lock:
            found = store.get(query)
            if found is not None:
                store.move_to_end(query)
                return found
        found = build()
        with self._searches_lock:
            store[query] = found
            while len(store) > SEARCHES_KEPT:
                store.popitem(last=False)
        return found

    def warm(self, old: FacetIndex, seconds: float) -> None:
        """Run here the searches `old` keeps, the most recently asked first, for about `seconds`
        (the time this index took to build): a rebuild behind the requests then serves them
        at once, where each search's first request would otherwise rank it again (2.3 s for one
        search at 100,000 entries, ADR 0006). Ranked afresh, not copied: the rebuild exists to
        see changes made by hand. Stops early when `old` is no longer served (a new version or
        day came meanwhile: these searches would be of no use). Bounded by `seconds` so that the
        old index is not served much longer (`INDEX_STALE_SECONDS`) and the rebuild's thread takes
        at most about as much of the process's time again.
        """
        with old._searches_lock:
            queries = list(reversed(old._searches))
        deadline = time.monotonic() + seconds
        warmed = []
        for query in queries:
            if _index is not old or time.monotonic() > deadline:
                break
            self.search(query, self.understood(query))  # kept: it was valid in `old`
            warmed.append(query)
        with self._searches_lock:  # the least recently asked leave first, as they would have
            for query in reversed(warmed):
                self._searches.move_to_end(query)
                self._understood.move_to_end(query)

    def card_entries(self, pks: list[int]) -> dict[int, Intervention]:
        """The published entries of `pks` as a list card reads them (`for_cards`, with the text
        sections for the snippets), by id: each read from the database once per index, in one
        query for those not kept yet, then kept (the last `CARD_ENTRIES_KEPT`).

        Each is a copy of the kept entry, for the request to give its snippet and card: nothing
        a request sets is seen by another. A missing id (unpublished or deleted since the index
        was built) is left out and not remembered.
        """
        with self._card_entries_lock:
            kept = self._card_entries
            found = {pk: kept[pk] for pk in pks if pk in kept}
            for pk in found:
                kept.move_to_end(pk)
        missing = [pk for pk in pks if pk not in found]
        if missing:
            read = Intervention.objects.published().for_cards(snippets=True)
            fresh = {entry.pk: entry for entry in read.filter(pk__in=missing).order_by()}
            found.update(fresh)
            with self._card_entries_lock:
                self._card_entries.update(fresh)
                while len(self._card_entries) > CARD_ENTRIES_KEPT:
                    self._card_entries.popitem(last=False)
        return {pk: _copy(entry) for pk, entry in found.items()}

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


def _copy(entry: Intervention) -> Intervention:
    """A copy of a kept entry for one request, as `copy.copy` makes it (its own attributes and
    cache of related objects; the related objects themselves shared, only read), in a fifth of
    the time: a page copies 20."""
    clone = Intervention.__new__(Intervention)
    clone.__dict__.update(entry.__dict__)
    state = clone._state = ModelState()
    state.db, state.adding = entry._state.db, entry._state.adding
    state.fields_cache = entry._state.fields_cache.copy()
    return clone


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
_rebuilds = Behind("The catalogue index")


def catalogue_index() -> FacetIndex:
    """The index of the current catalogue version, built by the first request that needs it.

    Also built again after `CATALOGUE_INDEX_SECONDS` within a version: it bounds how long a
    change that bumps no version (made by hand in the database) goes unseen, as
    `PUBLIC_PAGE_CACHE_SECONDS` does for pages. That rebuild runs behind the requests: the old
    index is served while one thread builds the new one (at 100,000 entries 11-15 s on a loaded
    machine, ADR 0006), at most `INDEX_STALE_SECONDS` more; past that (a rebuild that failed,
    logged, or hangs) the request builds it. A new version, or a new day (the freshness of the
    information may have changed), is never served from the old index: the request builds it.
    """
    global _index
    version = data_version()
    current = _index
    if current is not None and current.is_current(version):
        return current
    if (
        current is not None
        and current.is_current(version, stale_for=INDEX_STALE_SECONDS)
        and _rebuilds.start(partial(_rebuild, current))
    ):
        return current
    with _index_lock:
        if _index is None or not _index.is_current(version):
            _index = FacetIndex(version)
        return _index


def _rebuild(old: FacetIndex) -> None:
    """Build the index of `old`'s version again, run in it the searches `old` was last asked
    (`warm`), and serve it instead of `old`, unless `old` is no longer the index served (a
    request built one of a new version or day meanwhile, or it was forgotten)."""
    global _index
    started = time.monotonic()
    index = FacetIndex(old.version)
    index.warm(old, seconds=time.monotonic() - started)
    with _index_lock:
        if _index is old:
            _index = index


def forget_index() -> None:
    """Drop the index (tests do, when a rolled-back transaction took their data away)."""
    global _index
    _index = None
