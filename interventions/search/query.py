"""Queries: parsed once into terms, then ranked by a field-weighted relevance score (BM25F).

How a query is understood (`parse_query`):
- Legal paragraphs as people type them ("§ 85", "§85", "SEL 85", "servicelovens § 108",
  "paragraf 104", "82b") become paragraph terms, matched through the entries' legal basis and
  through the paragraphs their texts mention ("paragraf85" words, search/documents.py).
- Place names (municipalities and regions) stay whole words: "Aarhus" is not stemmed and matches
  no other word; the entries run in the place rank first.
- Every other word is lemmatised and stemmed (search/text.py) and looked for as a substring of
  the entry's words, so inflections and compounds match. A stem shorter than four letters must
  start a word; a word with digits must be a whole word.
- Danish stop words and question words are ignored unless the query has nothing else.

How entries are ranked (`ranked`): one indexed lookup per pattern of each term in the words of
the entries (`words_match`: on PostgreSQL through `SearchWord` and a GIN index), one per relation
for the vocabulary terms and places a term names, one for the paragraphs; no query reads every
row. The score is computed in Python, the same on every database: per term, its fields weighted
(vocabulary names and aliases 4, title 3, place 5, paragraph 5-6, summary and metadata 1 per
occurrence, the rest of the text 0.5), saturated (BM25, k1 = 1.2) and multiplied by the term's
rarity (idf); the vocabulary field is damped for entries with more vocabulary terms than the
average (BM25's length normalisation). An entry must match every term of a one- or two-term
query (but a word more than half the entries have, beside a rarer one); a longer query ranks by
its rarer words instead, times the share of the query's meaning (its words by rarity) the entry
meets in its fields, and results below `CUT` of the best score are left out (ADR 0011).
"""

from __future__ import annotations

import math
import re
import threading
import time
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Generic, TypeVar

from django.db import connections
from django.db.models import (
    Case,
    F,
    Func,
    IntegerField,
    Lookup,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import Contains

from interventions.caching.behind import Behind
from interventions.caching.entries import VersionedCache
from interventions.caching.version import data_version
from interventions.models import (
    Intervention,
    LegalBasis,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    Region,
    SearchEntry,
    SearchEntryText,
    TargetGroup,
)
from interventions.search import side
from interventions.search.text import (
    STOPWORDS,
    document_text,
    normalise,
    paragraph_word,
    query_terms,
    text_pattern,
    word_patterns,
    words,
)
from interventions.validators import PARAGRAPH_DIGITS

MAX_TERMS = 10  # more words than this add SQL, not precision

# The fields of the score (BM25F): what one occurrence of a term in each is worth.
W_VOCABULARY = 4.0  # a target group, method or policy area the entry has, by name or alias
W_TITLE = 3.0  # per occurrence in the title, at most 3
W_META = 1.0  # per occurrence in the summary, owner, places and vocabulary names, at most 5
W_BODY = 0.5  # anywhere in the entry's words
W_PLACE = 5.0  # the entry is run in the place (a municipality, or a region and its municipalities)
W_STATED = 6.0  # the paragraph is the entry's legal basis, as its source states
W_ASSIGNED = 5.0  # the paragraph is the entry's legal basis, assigned by an editor
K1 = 1.2  # BM25's saturation: the second occurrence adds less than the first
# BM25's length normalisation (b) of the vocabulary field: an entry's vocabulary match counts
# less the more terms (target groups, policy areas, methods) the entry has than the average
# entry: one whose only target group is the term is squarely about it, one with eight is partly.
B_VOCABULARY = 0.5
CUT = 0.4  # results below this share of the best score are left out (measured: ADR 0011)
# A one- or two-term query requires its terms, except one that more than this share of the
# entries match when the other is rarer: "investeringsmodeller på socialområdet" must not leave
# out the investment models that do not say "socialområdet" (a context word, like a filler).
COMMON = 0.5
COVERAGE = 1.0  # a longer query's score times (share of its meaning met, `_met`) ** COVERAGE
SCALE = 1000  # scores are kept as integers (rank), in thousandths
CACHE_SECONDS = 300  # the longest a kept search value lives in one version before it is reloaded
# Entries weighed by their vocabulary, place and paragraph fields are weighed by sets of alike
# entries (`_weighed_alike`) from this many, one by one below it (where the sets cost more).
ALIKE_FROM = 64

# "§ 85", "§§ 107 og 108", "paragraf 104", "§ 82 b"; a law name may precede it.
# As typed: a space may come before the letter, which must not start the next word ("§ 85 og").
_NUMBER = rf"{PARAGRAPH_DIGITS}(?:\s?[a-zæøå](?![\wæøå]))?"
_PARAGRAPH_SIGN = re.compile(
    rf"(?:§§?|\bparagraf(?:fen|ferne|fer)?\b|\bpar\.)\s*(?P<numbers>{_NUMBER}"
    rf"(?:\s*(?:,|/|og|eller)\s*{_NUMBER})*)"
    r"(?:,?\s*stk\.?\s*\d+(?:\s*(?:,|og)\s*\d+)*)?",  # "stk. 2": the whole paragraph counts
    re.IGNORECASE,
)
_NUMBER_IN_LIST = re.compile(_NUMBER, re.IGNORECASE)
_WORD_BEFORE = re.compile(r"(\w+)\s*$")
_BARE_NUMBER = re.compile(rf"^{PARAGRAPH_DIGITS}[a-zæøå]?$")


@dataclass(frozen=True)
class _ParagraphRef:
    pk: int
    law_keys: frozenset[str]  # "sel", "serviceloven", "servicelovens"
    number: str


T = TypeVar("T")


class KeptValue(Generic[T]):
    """A value loaded at its first use and kept for the catalogue's data version, at most
    CACHE_SECONDS, or until `forget()`.

    Per version: what decides which entries a search finds or how it scores them (names,
    aliases, places, paragraphs, the entries' numbers of terms, the typo lexicon). Another
    process's edit starts a new version and a new page-cache generation at once; a value kept
    across it would render the new generation's pages from the old data, and they would stay
    cached as long as that version lives. So at a new version, after `forget()` and at the first
    use, the request that needs the value loads it.

    Within one version the kept value is still right when CACHE_SECONDS have passed: what it is
    read from has not changed, or the version would have. The time only bounds how long a change
    that bumps no version (made by hand in the database) goes unseen. So then the kept value is
    served while one thread loads it again (`caching.behind`), for at most STALE_SECONDS more;
    past that (a refresh that failed or hangs) a request loads it itself. No request waits for
    the periodic reload (ADR 0011).

    "Not loaded" is a state of its own (None), never a load time of 0: `time.monotonic()` counts
    from an arbitrary point (on Linux, the machine's boot), so no value of it means "long ago".
    """

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        # The value, when it was loaded, and the data version it was loaded in.
        self._kept: tuple[T, float, tuple[int, int]] | None = None
        self._lock = threading.Lock()
        self._behind = Behind("A kept search value")
        self._forgotten = 0  # times forgotten: a load begun before a forget() is not kept

    def get(self) -> T:
        kept = self._kept  # read once: another thread may forget or replace it meanwhile
        version = data_version()
        if kept is not None and kept[2] == version:
            age = time.monotonic() - kept[1]
            if age <= CACHE_SECONDS:
                return kept[0]
            if age <= CACHE_SECONDS + STALE_SECONDS and self._behind.start(
                partial(self._loaded, version, self._forgotten)
            ):
                return kept[0]
        return self._loaded(version, self._forgotten)

    def forget(self) -> None:
        with self._lock:
            self._kept = None
            self._forgotten += 1

    def _loaded(self, version: tuple[int, int], forgotten: int) -> T:
        loaded_at = time.monotonic()
        value = self._load()
        with self._lock:
            if self._forgotten == forgotten:
                self._kept = (value, loaded_at, version)
        return value


# How long past CACHE_SECONDS a kept value may be served while it is loaded again: many times
# what the slowest takes (the lexicon, ~0.1 s at 100,000 entries), short beside CACHE_SECONDS.
STALE_SECONDS = 60


def _load_paragraphs() -> list[_ParagraphRef]:
    refs = []
    for p in LegalParagraph.objects.select_related("law"):
        name = normalise(p.law.name)
        keys = {normalise(p.law.abbreviation), name, f"{name}s"}
        refs.append(_ParagraphRef(p.pk, frozenset(keys), p.number))
    return refs


_paragraph_cache = KeptValue(_load_paragraphs)


def forget_paragraphs() -> None:
    """Forget this process's cached paragraphs (an entry's search texts changed)."""
    _paragraph_cache.forget()


def _paragraphs() -> list[_ParagraphRef]:
    """The legal paragraphs with the names their law goes by: a few dozen rows, cached."""
    return _paragraph_cache.get()


@dataclass(frozen=True)
class Term:
    """One condition of a query: a word, a place, a paragraph reference, or a bare number that
    may be either ("82b" is the paragraph and also the text "82b").

    A word matches an entry when any of its groups does, and a group when all its patterns do:
    its stem and its lemma's stem are groups of one; a compound typed as one word that the texts
    write apart is a group of its parts ("døgnophold": "døgn" and "ophold").
    """

    word: str
    pattern: str = ""  # the main text pattern; empty for a paragraph-only term
    paragraph_ids: tuple[int, ...] | None = None
    alternatives: tuple[tuple[str, ...], ...] = ()  # other groups of patterns that match
    place: bool = False  # a place name: a whole word, and the entries run in the place
    quoted: bool = False  # typed in quotes: taken as typed, never corrected
    # Patterns of another word of the word's family ("anbragte" for "anbringelse"): found in
    # the entry's words, a passing mention; never counted in its title or summary.
    related: tuple[str, ...] = ()

    @property
    def groups(self) -> tuple[tuple[str, ...], ...]:
        first = ((self.pattern,),) if self.pattern else ()
        return first + tuple(g for g in self.alternatives if g != (self.pattern,))

    @property
    def counted(self) -> tuple[tuple[str, ...], ...]:
        """The groups counted in the title and summary: not the related words'."""
        return tuple(g for g in self.groups if not set(g) & set(self.related))

    @property
    def looked_up(self) -> tuple[tuple[str, ...], ...]:
        """The groups the entries' words are searched for, one query each: a group that holds
        every pattern of a smaller group finds none but that group's entries, so it is left
        out ("sammenhæng" + " end" beside "sammenhæng")."""
        groups = self.groups
        return tuple(g for g in groups if g and not any(set(other) < set(g) for other in groups))

    @property
    def patterns(self) -> list[str]:
        """Every text pattern of the term, each once (for snippets and highlighting)."""
        return list(dict.fromkeys(p for group in self.groups for p in group))


def word_term(word: str, quoted: bool = False) -> Term:
    """The term of a query word: its stem, and its lemma's stem when that differs."""
    patterns = word_patterns(word)
    return Term(word, patterns[0], alternatives=tuple((p,) for p in patterns[1:]), quoted=quoted)


@TextField.register_lookup
class WordsMatch(Lookup):
    """`search_document__words_match=pattern`: the entry has a word that the text pattern matches.

    Everywhere, a substring test on the space-padded word set. On PostgreSQL, the words of
    `SearchWord` that match the pattern are looked up first (a small table), and the entries are
    found through a GIN index over each document's words (migration `search_words`): no document
    text is read, where a LIKE over 100,000 texts read them all. Both give the same entries.
    """

    lookup_name = "words_match"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        return Contains(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql = (
            f"string_to_array(btrim({lhs}), ' ') && "
            "ARRAY(SELECT word FROM interventions_searchword WHERE word LIKE %s)"
        )
        return sql, [*lhs_params, word_like(self.rhs)]


def word_like(pattern: str) -> str:
    """The LIKE pattern for single words that a text pattern matches (its spaces: word edges)."""
    core = pattern.strip().replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    return ("" if pattern.startswith(" ") else "%") + core + ("" if pattern.endswith(" ") else "%")


@dataclass
class ParsedQuery:
    terms: list[Term] = field(default_factory=list)
    text: str = ""  # the query with paragraph references taken out
    original: str = ""  # the query as typed
    corrected: str | None = None  # the query searched instead, when a typo was corrected

    @property
    def required(self) -> int:
        """How many terms an entry must match: all of one or two; a longer query ranks by its
        rarer words instead of requiring them (a caseworker's sentence has filler words)."""
        n = len(self.terms)
        return n if n <= 2 else 0


def _paragraph_term(label: str, law_word: str | None, number: str) -> Term:
    number = number.replace(" ", "").casefold()
    law = normalise(law_word) if law_word else None
    ids = tuple(
        p.pk for p in _paragraphs() if p.number == number and (law is None or law in p.law_keys)
    )
    # The texts' mentions ("paragraf85") match too: the legal basis still ranks higher.
    return Term(word=label, paragraph_ids=ids, alternatives=((f" {paragraph_word(number)} ",),))


def _is_law(word: str) -> bool:
    key = normalise(word)
    return any(key in p.law_keys for p in _paragraphs())


_QUOTED = re.compile(r'"([^"]*)"|»([^«]*)«|“([^”]*)”')


def parse_query(query: str) -> ParsedQuery:
    """Split a query into terms; raises InvalidQuery like `query_terms`."""
    query_terms(query)
    query = unicodedata.normalize("NFC", (query or "").strip())
    parsed = ParsedQuery(original=query)
    quoted = {
        w
        for m in _QUOTED.finditer(query)
        for w in words(next(g for g in m.groups() if g is not None))
    }
    rest = query
    if any(c.isdigit() for c in query):
        rest = _take_paragraphs(query, parsed)
    tokens = words(rest)
    content = [t for t in tokens if t not in STOPWORDS] or tokens
    seen = {t.word for t in parsed.terms}
    known_numbers = {p.number for p in _paragraphs()} if any(_digits(t) for t in content) else ()
    places = place_words()
    for token in content:
        if token in seen:
            continue
        seen.add(token)
        if _BARE_NUMBER.match(token) and token in known_numbers:
            # "82b": the paragraph, or the text where a title says "82c pladser".
            paragraph = _paragraph_term(token, None, token)
            parsed.terms.append(Term(token, text_pattern(token), paragraph.paragraph_ids))
        elif token in places:
            parsed.terms.append(Term(token, f" {token} ", place=True, quoted=token in quoted))
        else:
            parsed.terms.append(word_term(token, quoted=token in quoted))
    if any(t.place for t in parsed.terms) and len(parsed.terms) > 1:
        # "Region Sjælland", "Aarhus Kommune": the place says it all.
        parsed.terms = [t for t in parsed.terms if t.word not in IGNORED_PLACE_WORDS]
    parsed.terms = parsed.terms[:MAX_TERMS]
    parsed.text = rest
    return parsed


def _digits(token: str) -> bool:
    return any(c.isdigit() for c in token)


def _take_paragraphs(query: str, parsed: ParsedQuery) -> str:
    """Move paragraph references out of the query into terms; return what is left."""
    pieces, end = [], 0
    for match in _PARAGRAPH_SIGN.finditer(query):
        before = query[end : match.start()]
        law_match = _WORD_BEFORE.search(before)
        law = law_match.group(1) if law_match and _is_law(law_match.group(1)) else None
        if law:
            before = before[: law_match.start()]
        pieces.append(before)
        for number in _NUMBER_IN_LIST.findall(match.group("numbers")):
            label = f"{law + ' ' if law else ''}§ {number}"
            parsed.terms.append(_paragraph_term(label, law, number))
        end = match.end()
    pieces.append(query[end:])
    rest = " ".join(pieces)
    # "SEL 85", "serviceloven 108": a law's name followed by a number, without the sign.
    law_number = re.compile(rf"(?P<law>\w+)\s+(?P<number>{_NUMBER})(?!\w)", re.IGNORECASE)

    def replace(match: re.Match) -> str:
        if not _is_law(match.group("law")):
            return match.group(0)
        law, number = match.group("law"), match.group("number")
        parsed.terms.append(_paragraph_term(f"{law} {number}", law, number))
        return " "

    return law_number.sub(replace, rest)


# --- Vocabulary and places ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Named:
    relation: str  # the entries' lookup to the term ("target_groups")
    pk: int
    text: str  # the normalised name and aliases, space-padded (document_text)
    name: str  # the normalised name alone, space-padded
    aliases: tuple[str, ...] = ()  # each alias's normalised words, space-separated


# The vocabularies a term is looked up in by name and alias: their own field of the score.
VOCABULARIES = (("target_groups", TargetGroup), ("policy_areas", PolicyArea), ("methods", Method))
IGNORED_PLACE_WORDS = frozenset({"region", "regionen", "kommune", "kommunes", "kommunen"})


def place_relations() -> list[tuple[str, type, str]]:
    """Where an entry's places come from: (the entries' lookup, the place model, its name's
    lookup). The one list the place field is built from; another relation is one more line."""
    return [
        ("municipalities", Municipality, "name"),
        # The municipalities an entry serves count as its places too (ADR 0012).
        ("served_municipalities", Municipality, "name"),
        ("regions", Region, "name"),
        ("municipalities__region", Region, "name"),
    ]


def _load_vocabulary() -> list[_Named]:
    named = []
    for relation, model in VOCABULARIES:
        for pk, name, aliases in model.objects.values_list("pk", "name", "aliases"):
            text = document_text([name, *aliases.splitlines()])
            each = tuple(" ".join(words(a)) for a in aliases.splitlines() if words(a))
            named.append(_Named(relation, pk, text, document_text([name]), each))
    return named


def _load_places() -> dict[str, list[tuple[str, int]]]:
    """Each word of a place name (four letters or more) with the places that have it."""
    found: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for relation, model, name in place_relations():
        for pk, text in model.objects.values_list("pk", name):
            for word in words(text):
                if len(word) >= 4 and word not in IGNORED_PLACE_WORDS:
                    found[word].append((relation, pk))
    return dict(found)


@dataclass(frozen=True)
class _Sizes:
    """The published entries by their number of vocabulary terms (an entry with none in none),
    and the mean number. As sets: a broad word's entries are weighed a set of alike entries at
    a time (`_TermMatches.alike`), and an entry's number is looked up in a dozen of them."""

    by_size: dict[int, frozenset[int]]
    mean: float

    def of(self, pk: int) -> float:
        """The entry's number of vocabulary terms; the mean for an entry with none."""
        for size, entries in self.by_size.items():
            if pk in entries:
                return size
        return self.mean


def _load_vocabulary_sizes() -> _Sizes:
    """How many target groups, policy areas and methods each published entry has, kept like the
    vocabulary (the entries as sets by their number, `_Sizes`: a few megabytes at 100,000
    entries); what an entry's vocabulary field is normalised by.

    Counted from each term's published entries, which the lookup keeps anyway (`_catalogue`):
    a grouped count per relation joined the link table to the published entries' wide rows,
    ~0.4 s a relation at 100,000 entries, paid at every new catalogue version."""
    sizes: Counter = Counter()
    for relation, _model in VOCABULARIES:
        for entries in _catalogue.entries(relation).values():
            sizes.update(entries)
    by_size: dict[int, list[int]] = defaultdict(list)
    for pk, size in sizes.items():
        by_size[size].append(pk)
    return _Sizes(
        {size: frozenset(entries) for size, entries in by_size.items()},
        max(sum(sizes.values()) / max(len(sizes), 1), 1.0),
    )


class _CatalogueKept:
    """What the search keeps of the published catalogue, per catalogue version (a
    `caching.entries.VersionedCache`, as the entries' pages are): any committed change to the
    catalogue, or one this process made, loads it again at its next use.

    - `published()`: the ids of the published entries (the lookup reads `SearchEntry`, which
      does not say whether an entry is published: one query per version, not a join per search).
    - `entries(relation)`: each vocabulary term's published entries, one relation's terms at a
      time: what a word that names a target group, policy area or method finds through it. A
      broad word names many terms ("brug" is in 31 of them), whose entries were three queries of
      tens of thousands of rows at 100,000 entries (310 ms, ADR 0011). Kept as arrays of 8-byte
      integers (a few megabytes at 100,000 entries, `bench.index_memory`).
    """

    def __init__(self) -> None:
        self._kept: VersionedCache = VersionedCache(1 + len(VOCABULARIES))

    def published(self) -> frozenset[int]:
        return self._kept.get("", _load_published)

    def entries(self, relation: str) -> dict[int, array]:
        """The published entries of each term of `relation` ("target_groups"), by term id."""
        return self._kept.get(relation, lambda: _load_linked(relation, self.published()))

    def forget(self) -> None:
        self._kept.clear()


def _load_published() -> frozenset[int]:
    return frozenset(Intervention.objects.published().values_list("pk", flat=True))


def _load_linked(relation: str, published: frozenset[int]) -> dict[int, array]:
    # The link table alone, the unpublished entries left out here: a join with the entries read
    # their wide rows (seconds at 100,000 entries).
    links = getattr(Intervention, relation).through.objects.order_by()
    term_field = getattr(Intervention, relation).field.m2m_reverse_field_name()
    found: dict[int, array] = defaultdict(lambda: array("q"))
    for term, entry in links.values_list(term_field, "intervention").iterator(chunk_size=20_000):
        if entry in published:
            found[term].append(entry)
    return dict(found)


_vocabulary_cache = KeptValue(_load_vocabulary)
_place_cache = KeptValue(_load_places)
_sizes_cache = KeptValue(_load_vocabulary_sizes)
_catalogue = _CatalogueKept()


def forget_vocabulary() -> None:
    """Forget this process's vocabulary names, aliases and places (an editor changed them), the
    entries' numbers of vocabulary terms and each term's entries."""
    _vocabulary_cache.forget()
    _place_cache.forget()
    _sizes_cache.forget()
    _catalogue.forget()


def vocabulary() -> list[_Named]:
    """The target groups, policy areas and methods with their names and aliases: cached."""
    return _vocabulary_cache.get()


def place_words() -> dict[str, list[tuple[str, int]]]:
    """The words of the place names, and the places each belongs to: cached."""
    return _place_cache.get()


def known_word(word: str) -> bool:
    """Whether a normalised word is a vocabulary name or alias word, or a place name's."""
    padded = f" {word} "
    return word in place_words() or any(padded in n.text for n in vocabulary())


# --- Ranking ------------------------------------------------------------------------------------


def _group_in(group: tuple[str, ...], text: str) -> bool:
    return all(pattern in text for pattern in group)


def _field_count(groups: tuple[tuple[str, ...], ...], text: str, most: int) -> int:
    """The occurrences in a field of the term's best group (a group counts as often as its
    rarest pattern), at most `most`; 0 for no groups. Plain loops: it runs for every entry a
    broad word matches (tens of thousands at 100,000 entries)."""
    best = 0
    for group in groups:
        if len(group) == 1:
            n = text.count(group[0])
        else:
            n = min(text.count(pattern) for pattern in group)
        if n > best:
            best = n
    return min(best, most)


@dataclass
class _TermMatches:
    """What one term matched: the entries, and per entry its vocabulary, place and paragraph
    hits (the title and summary counts are read from the texts afterwards)."""

    body: set[int] = field(default_factory=set)
    # The entries of `body` whose title or metadata holds one of the term's patterns (the
    # lookup sent a field): only these can count in those fields.
    fielded: set[int] = field(default_factory=set)
    vocabulary: Counter = field(default_factory=Counter)
    places: set[int] = field(default_factory=set)
    paragraphs: dict[int, float] = field(default_factory=dict)
    # The entries of `fielded`, by weight, on all the published entries: weighed as the fields
    # are read, without keeping their texts (`_read_fields`).
    weighed: dict[float, set[int]] = field(default_factory=dict)
    # Each relation's entries with a vocabulary term that the term names (what `vocabulary`
    # counts), for `alike`; and `alike`'s sets, once built.
    relations: list[set[int]] = field(default_factory=list)
    _alike: list[set[int]] | None = field(default=None, repr=False)

    @property
    def entries(self) -> set[int]:
        return self.body.union(self.vocabulary, self.places, self.paragraphs)  # one copy

    @property
    def body_only(self) -> set[int]:
        """The entries that have the term in their words and nowhere else: in neither title nor
        metadata, no vocabulary term, place or paragraph. Each weighs `W_BODY`, so they are
        scored as one group (most of a broad word's matches: 55,784 of 83,703 for "brug")."""
        return self.body.difference(self.fielded, self.vocabulary, self.places, self.paragraphs)

    @property
    def apart(self) -> set[int]:
        """The entries not in `body_only` nor weighed as their fields were read (`weighed`):
        weighed by their other fields (`_apart_by_weight`). The entries less `body_only` are
        those of `fielded` and those with the term in another field (`fielded` is within
        `body`): a few thousand, where the entries are tens of thousands for a broad word."""
        outside = self.fielded.union(self.vocabulary, self.places, self.paragraphs)
        return outside.difference(*self.weighed.values())

    def alike(self, sizes: _Sizes) -> list[set[int]]:
        """The entries with the term in the vocabulary field and no place or paragraph for it,
        in sets whose entries that field weighs the same for (`_with_other_fields`): the same
        number of relations named (`vocabulary`) and the same number of vocabulary terms
        (`sizes`); a few dozen sets, built once per term, in C (set operations). A broad word
        names vocabulary terms of tens of thousands of entries ("borgen": 40,067), each weighed
        one by one before (ADR 0017, thirteenth round)."""
        if self._alike is None:
            by_count: dict[int, set[int]] = {}
            seen: set[int] = set()
            for hits in self.relations:
                for count in sorted(by_count, reverse=True):  # each entry moved up once
                    again = by_count[count] & hits
                    if again:
                        by_count[count] -= again
                        by_count.setdefault(count + 1, set()).update(again)
                fresh = hits - seen
                if fresh:
                    by_count.setdefault(1, set()).update(fresh)
                seen |= hits
            special = self.places | self.paragraphs.keys()
            self._alike = []
            for entries in by_count.values():
                if special:
                    entries = entries - special
                found = [entries & members for members in sizes.by_size.values()]
                found = [members for members in found if members]
                if sum(map(len, found)) < len(entries):  # no vocabulary terms: the mean
                    found.append(entries.difference(*found))
                self._alike += found
        return self._alike


def _match(
    term: Term,
    published: QuerySet,
    texts: dict[int, tuple[str, str]],
    kept: _CatalogueKept | None = None,
) -> _TermMatches:
    """One indexed lookup per pattern, relation and paragraph set; never a scan of every row.

    `kept`: when `published` are all the published entries, what is kept of them per catalogue
    version: the words are looked up in the narrow `SearchEntry` rows and each vocabulary term's
    entries come from memory. Else (another queryset) the entries' own rows and a query per
    relation: the same results (tests/search/test_lookup.py)."""
    found = _TermMatches()
    patterns = term.patterns
    counted = term.counted
    by_counts = None  # the fields' counts, when sent beside the words lookup
    if kept is not None:
        # One query per group, its patterns all required in SQL: the database intersects them
        # (GIN bitmaps on PostgreSQL) and sends only the entries that have every part, where a
        # query per pattern read and sent each part's entries ("over" alone: 90% of them). The
        # ids alone: the fields are read below, only where they hold the term.
        calls = []
        for group in term.looked_up:
            matching = SearchEntry.objects.all()
            for pattern in group:
                matching = matching.filter(words__words_match=pattern)
            calls.append(_prepared(_read_ids, matching.values_list("intervention_id")))
        # Where the database's statements can run on two connections at once, the fields'
        # counts go with the words lookup, before it is known to find anything: the search
        # waits for the slowest statement, not their sum (`search.side`).
        beside = bool(counted) and side.may_share(SearchEntry.objects.db)
        if beside:
            calls.append(_prepared(_read_by_counts, _fields_counted(counted)))
        results = side.run(SearchEntry.objects.db, calls)
        if beside:
            by_counts = results.pop()
        for ids in results:
            found.body |= kept.published().intersection(ids)
    for group in term.looked_up if kept is None else ():
        matching = published
        for pattern in group:
            matching = matching.filter(search_document__words_match=pattern)
        rows = matching.values_list(
            "pk", _if_in("search_title", patterns), _if_in("search_meta", patterns)
        )
        for pk, title, meta in rows:
            found.body.add(pk)
            if title or meta:  # another term may have sent the other field
                found.fielded.add(pk)
                known = texts.get(pk, ("", ""))
                texts[pk] = (title or known[0], meta or known[1])
            else:
                texts.setdefault(pk, ("", ""))
    if term.place:
        by_relation: dict[str, list[int]] = defaultdict(list)
        for relation, pk in place_words().get(term.word, ()):
            by_relation[relation].append(pk)
        for relation, pks in by_relation.items():
            lookup = {f"{relation}__in": pks}
            found.places |= set(published.filter(**lookup).values_list("pk", flat=True))
    elif term.pattern or term.alternatives:
        by_relation = defaultdict(list)
        for named in vocabulary():
            if any(_group_in(group, named.text) for group in term.groups):
                by_relation[named.relation].append(named.pk)
        for relation, pks in by_relation.items():
            # Once per relation (a target group, a method ...): an entry with two of the terms
            # is one hit.
            if kept is None:
                lookup = {f"{relation}__in": pks}
                hits = set(published.filter(**lookup).values_list("pk", flat=True))
            else:
                by_term = kept.entries(relation)
                hits = set().union(*(by_term.get(pk, ()) for pk in pks))
            found.vocabulary.update(hits)
            found.relations.append(hits)
    if term.paragraph_ids:
        bases = LegalBasis.objects.filter(
            paragraph_id__in=term.paragraph_ids, intervention__in=published
        ).values_list("intervention_id", "stated_in_source")
        for pk, stated in bases:
            weight = W_STATED if stated else W_ASSIGNED
            found.paragraphs[pk] = max(found.paragraphs.get(pk, 0.0), weight)
    if kept is not None and found.body and counted:
        if by_counts is None:
            by_counts = _prepared(_read_by_counts, _fields_counted(counted))()
        _read_fields(found, by_counts)
    return found


class _FieldWords(Func):
    """An entry's title and metadata as one text (both NOT NULL): on PostgreSQL, the expression
    the GIN index of migration 0016 (`SearchEntryText`) is over, written as it is there so that
    it is used."""

    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = TextField()


class _Occurrences(Func):
    """How often a text pattern occurs in a text column, as `str.count` counts (non-overlapping,
    from the left): what the text's length loses when `REPLACE` removes the pattern, over the
    pattern's length. In bytes on PostgreSQL, whose `LENGTH` counts the characters of every
    text (twice as slow at 100,000 entries); in characters elsewhere. Exact either way: each
    occurrence removed is the pattern's length."""

    output_field = IntegerField()

    def __init__(self, name: str, pattern: str) -> None:
        super().__init__(F(name), Value(pattern))
        self.pattern = pattern

    def as_sql(self, compiler, connection, length="LENGTH", size=None, **extra_context):
        text, text_params = compiler.compile(self.source_expressions[0])
        pattern, pattern_params = compiler.compile(self.source_expressions[1])
        size = len(self.pattern) if size is None else size
        sql = f"(({length}({text}) - {length}(REPLACE({text}, {pattern}, ''))) / {size:d})"
        return sql, (*text_params, *text_params, *pattern_params)

    def as_postgresql(self, compiler, connection, **extra_context):
        size = len(self.pattern.encode())
        return self.as_sql(compiler, connection, length="OCTET_LENGTH", size=size)


def _counted(name: str, groups: tuple[tuple[str, ...], ...], most: int):
    """`_field_count` of the column `name` in SQL: the occurrences of the term's best group (a
    group counts as often as its rarest pattern), at most `most`."""
    per_group = []
    for group in groups:
        counts = [_Occurrences(name, pattern) for pattern in group]
        per_group.append(Least(*counts) if len(counts) > 1 else counts[0])
    best = Greatest(*per_group) if len(per_group) > 1 else per_group[0]
    return Least(best, Value(most))


def _fields_counted(groups: tuple[tuple[str, ...], ...]) -> QuerySet:
    """The entries whose title or metadata hold every pattern of one of the term's counted
    `groups`, with the counts of the term in each field: (id, count in the title, count in the
    metadata).

    One indexed query per term: the GIN index over the words of the title and metadata
    (`SearchEntryText`, migration 0016) finds the entries whose fields have words the patterns
    match, a third of a broad word's matches at 100,000 entries, where a LIKE over the metadata
    of every match cost more than the lookup itself (ADR 0011). Exact for the reason `_if_in`
    is: a pattern lies within a word, so a field holding it has a word it matches. The database
    counts (`_counted`, `_field_count`'s rule), and `_read_by_counts` sends the entries by
    their pair of counts: a broad word's tens of thousands of titles and metadata (~10 MB) were
    sent, decoded and counted in Python, most of a new search's CPU at 100,000 entries (ADR 0011).
    """
    holds = Q()
    for group in groups:
        every = Q()
        for pattern in group:
            every &= Q(field_words__words_match=pattern)
        holds |= every
    return (
        SearchEntryText.objects.annotate(
            field_words=_FieldWords("title", "meta"),
            in_title=_counted("title", groups, 3),
            in_meta=_counted("meta", groups, 5),
        )
        .filter(holds)
        .values_list("intervention_id", "in_title", "in_meta")
    )


def _read_fields(found: _TermMatches, by_counts: list[tuple[int, int, list[int]]]) -> None:
    """Weigh the entries of `found.body` whose fields hold the term (`by_counts`: the
    `_fields_counted` entries by their pair of counts, `_read_by_counts`), and mark them
    `fielded`: only such a field counts for the term; an entry whose fields hold none weighs as
    with every text sent. Each such entry is weighed here (`found.weighed`)."""
    body, fielded, weighed = found.body, found.fielded, found.weighed
    # The weight of the entries whose fields hold the term is `_weight`'s sum in the same order,
    # once per pair of counts; entries with the term in another field too add that, a set of
    # alike entries at a time (`_weighed_alike`).
    elsewhere = found.vocabulary.keys() | found.places | found.paragraphs.keys()
    sizes = _sizes_cache.get() if found.vocabulary else None
    for in_title, in_meta, ids in by_counts:
        if not (in_title or in_meta):
            continue  # the field words held parts of a group apart, or across the two fields
        pks = body.intersection(ids)
        if not pks:
            continue
        fielded |= pks
        weight = W_BODY + W_TITLE * min(in_title, 3)
        weight += W_META * min(in_meta, 5)
        if elsewhere:
            apart = pks & elsewhere
            pks -= apart
            _weighed_alike(
                apart,
                found,
                sizes,
                lambda pk, weight=weight: _with_other_fields(weight, found, pk, sizes),
                weighed,
            )
        if pks:
            weighed.setdefault(weight, set()).update(pks)


def _prepared(read: Callable[[str, str, tuple], T], queryset: QuerySet) -> Callable[[], T]:
    """`read` of the queryset's statement, compiled here: the call may run in another thread
    (`search.side`), on that thread's connection."""
    sql, params = queryset.query.sql_with_params()
    return partial(read, queryset.db, sql, params)


def _read_by_counts(alias: str, sql: str, params: tuple) -> list[tuple[int, int, list[int]]]:
    """The (id, count, count) rows of a `values_list` statement (`_prepared`) as (count, count,
    ids), one row per pair of counts. On PostgreSQL grouped there (`array_agg`): a few dozen
    rows, where a broad word has tens of thousands of entries; elsewhere grouped here."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT found.a, found.b, array_agg(found.id) "
                f"FROM ({sql}) AS found (id, a, b) GROUP BY found.a, found.b",
                params,
            )
            return cursor.fetchall()
        cursor.execute(sql, params)
        grouped: dict[tuple[int, int], list[int]] = defaultdict(list)
        for pk, a, b in cursor.fetchall():
            grouped[a, b].append(pk)
        return [(a, b, ids) for (a, b), ids in grouped.items()]


def _read_ids(alias: str, sql: str, params: tuple) -> list[int]:
    """The integers of a one-column `values_list` statement (`_prepared`). On PostgreSQL as one
    array (`array_agg` of the statement's rows): the driver reads it in one piece, where a broad
    word's tens of thousands of one-column rows cost more to fetch and unpack (ADR 0011);
    elsewhere row by row."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT array_agg(found.id) FROM ({sql}) AS found (id)", params)
            return cursor.fetchone()[0] or []
        cursor.execute(sql, params)
        return list(map(itemgetter(0), cursor.fetchall()))


def _if_in(name: str, patterns: list[str]) -> Case:
    """The text field `name` where one of the patterns occurs in it, else "": what the field
    counts of a term need, and no more. A broad word ("brug") is in the words of 84% of the
    entries at 100,000 but in the title or metadata of a third of those; the rest count 0 in
    both fields whether their texts are sent or not, so only their ids are sent (ADR 0011).

    Exact because a pattern lies within a word (search/text.py), as the words lookup on
    PostgreSQL (`WordsMatch`) assumes too: a pattern in a field is then in the entry's words,
    so the entry is in the lookup of every term whose pattern its fields hold.
    """
    occurs = Q()
    for pattern in patterns:
        occurs |= Q(**{f"{name}__contains": pattern})
    return Case(When(occurs, then=F(name)), default=Value(""), output_field=TextField())


def _weight(
    term: Term,
    matches: _TermMatches,
    pk: int,
    texts: dict,
    groups: tuple[tuple[str, ...], ...] | None = None,
    sizes: _Sizes | None = None,
) -> float:
    """The term's weighted frequency in an entry, over its fields; `groups`: the term's counted
    ones, and `sizes` the entries' vocabulary sizes, if the caller has them at hand (`Term.counted`
    builds them on every call)."""
    title, meta = texts.get(pk, ("", ""))
    if groups is None:
        groups = term.counted
    weight = W_BODY if pk in matches.body else 0.0
    if groups:
        weight += W_TITLE * _field_count(groups, title, 3)
        weight += W_META * _field_count(groups, meta, 5)
    return _with_other_fields(weight, matches, pk, sizes)


def _weighed_alike(
    pks: set[int],
    matches: _TermMatches,
    sizes: _Sizes | None,
    weigh: Callable[[int], float],
    into: dict[float, set[int]],
) -> None:
    """Add the entries `pks` to `into` by their weight `weigh(pk)`, for a `weigh` that reads
    no more of an entry than its vocabulary, place and paragraph fields for the term: the
    entries of one of `matches.alike` sets weigh the same, so each such set's share of `pks` is
    weighed once, by one of its entries; the rest one by one. The same weights as one by one,
    by construction; the sets are built only where they save more than they cost (a broad
    word's tens of thousands of entries), else everything is weighed one by one."""
    classes = matches._alike
    if (
        classes is None
        and sizes is not None
        and ALIKE_FROM < len(pks) > len(matches.vocabulary) / 16
    ):
        classes = matches.alike(sizes)
    if classes is not None and len(pks) > len(classes):
        insides = []
        for members in classes:
            inside = pks & members
            if inside:
                into.setdefault(weigh(next(iter(inside))), set()).update(inside)
                insides.append(inside)
        pks = pks.difference(*insides)
    for pk in pks:
        into.setdefault(weigh(pk), set()).add(pk)


def _apart_by_weight(
    term: Term, matches: _TermMatches, pks: set[int], sizes: _Sizes | None
) -> dict[float, set[int]]:
    """The entries `pks` of `matches.apart` by their weight for the term on all the published
    entries, whose titles and metadata were weighed as they were read (`_read_fields`): what is
    left is the words and the other fields (`_weight` with no texts)."""
    groups = term.counted
    by_weight: dict[float, set[int]] = {}
    weigh = partial(_weight, term, matches, texts={}, groups=groups, sizes=sizes)
    in_body = pks & matches.body
    # In the body or not: the body's words add to the weight, so the two parts weigh apart.
    for part in (in_body, pks - in_body):
        _weighed_alike(part, matches, sizes, lambda pk, weigh=weigh: weigh(pk=pk), by_weight)
    return by_weight


def _with_other_fields(
    weight: float, matches: _TermMatches, pk: int, sizes: _Sizes | None = None
) -> float:
    """`weight` (the entry's words, title and metadata) plus its vocabulary, place and
    paragraph fields for the term."""
    if pk in matches.vocabulary:
        sizes = sizes or _sizes_cache.get()
        relative = sizes.of(pk) / sizes.mean
        named = matches.vocabulary[pk] / (1 - B_VOCABULARY + B_VOCABULARY * relative)
        weight += W_VOCABULARY * min(named, 2)
    if pk in matches.places:
        weight += W_PLACE
    weight += matches.paragraphs.get(pk, 0.0)
    return weight


def ranked(
    query: str | ParsedQuery,
    queryset: QuerySet | None = None,
    total: int | None = None,
    cut: float | None = None,
) -> list[tuple[int, int]]:
    """The entries matching the query as (id, score), best first; ties in no particular order.

    `queryset`: the entries to search, the published ones by default; `total`: how many they
    are, if the caller knows (the catalogue index does), else counted; `cut`: the share of the
    best score below which results are left out (None: the site's `CUT`; the quality harness asks
    for 0 to see what the cut drops). The one ranking of the site: the list page (through the
    catalogue index), the API and the downloads (`search`), all through `ranked_groups`.
    """
    groups = ranked_groups(query, queryset, total, cut)
    return [(pk, score) for score, pks in groups.items() for pk in pks]


def ranked_groups(
    query: str | ParsedQuery,
    queryset: QuerySet | None = None,
    total: int | None = None,
    cut: float | None = None,
) -> dict[int, list[int]]:
    """`ranked`'s results grouped by score: {score: ids}, best score first, the ids of a score
    in no particular order. What its callers order by (the index: the list's order within a
    score; `search`: a CASE per score) without a list of (id, score) pairs sorted first: a broad
    word has tens of thousands of results and a few dozen scores (ADR 0011)."""
    parsed = _understood(query)
    if not parsed.terms:
        return {}
    cut = CUT if cut is None else cut  # read now, not at import: bench.search_quality.sweep sets it
    published = Intervention.objects.published() if queryset is None else queryset
    texts: dict[int, tuple[str, str]] = {}
    kept = _catalogue if queryset is None else None
    matched = [_match(term, published, texts, kept) for term in parsed.terms]
    found = [matches.entries for matches in matched]  # a union of tens of thousands: once
    candidates: set[int] = set().union(*found)
    if not candidates:
        return {}
    if total is None:
        total = len(kept.published()) if kept is not None else published.count()
    total = max(total, 1)
    if kept is not None and len(matched) == 1:
        return _one_term_groups(parsed.terms[0], matched[0], len(found[0]), total, cut)
    required = [e for e in found if len(e) <= COMMON * total] or found
    loose = len(required) < len(matched)  # a common term was let go: rank by coverage too
    if parsed.required:
        for entries in required:
            candidates &= entries
    if kept is None:
        missing = [pk for pk in candidates if pk not in texts]
        if missing:
            for pk, title, meta in published.filter(pk__in=missing).values_list(
                "pk", "search_title", "search_meta"
            ):
                texts[pk] = (title, meta)
            candidates &= set(texts)
    # Else every text a count needs is read: an entry that no words lookup found has none of
    # the terms' patterns in its words, so none in its title or metadata (`_read_fields`).
    scores: dict[int, float] = dict.fromkeys(candidates, 0.0)
    covered: Counter = Counter()
    coverage = not parsed.required or loose  # only then is what each entry covers used
    asked = 0.0
    sizes = _sizes_cache.get() if any(m.vocabulary for m in matched) else None
    untouched = True  # no term has added to the scores yet
    for term, matches, entries in zip(parsed.terms, matched, found, strict=True):
        if not entries:
            continue
        idf = math.log(1 + (total - len(entries) + 0.5) / (len(entries) + 0.5))
        asked += idf
        groups = term.counted
        by_weight: dict[float, tuple[float, float]] = {}  # a few dozen weights: each scored once
        # Entries that weigh the same, scored as a group: those that have the term in their
        # words alone, and those weighed as their fields were read (`_TermMatches.weighed`).
        for weight, pks in [(W_BODY, matches.body_only), *matches.weighed.items()]:
            pks = pks & candidates
            if not pks:
                continue
            if weight not in by_weight:
                by_weight[weight] = _scored(idf, weight)
            score, met = by_weight[weight]
            if untouched:  # every score is still 0.0, and 0.0 + score is score
                scores.update(dict.fromkeys(pks, score))
            else:
                for pk in pks:
                    scores[pk] += score
            if coverage:
                for pk in pks:
                    covered[pk] += met
        rest = matches.apart & candidates  # the entries of no group above
        # The rest: on all the published entries, those with the term in another field too
        # (vocabulary, place, paragraph) or a term of several patterns, weighed by sets of
        # alike entries (no texts were kept: `_apart_by_weight`); on another queryset, every
        # entry with the term in a field, one by one.
        if kept is not None:
            weighed_rest = _apart_by_weight(term, matches, rest, sizes).items()
        else:
            weighed_rest = (
                (_weight(term, matches, pk, texts, groups, sizes), (pk,)) for pk in rest
            )
        for weight, pks in weighed_rest:
            if weight not in by_weight:
                by_weight[weight] = _scored(idf, weight)
            score, met = by_weight[weight]
            for pk in pks:
                scores[pk] += score
                if coverage:
                    covered[pk] += met
        untouched = False
    if (not parsed.required or loose) and asked:
        # A longer query (or a short one whose common word is not required): an entry that
        # meets more of its words ranks above one that meets a rare word alone.
        for pk in scores:
            scores[pk] *= (covered[pk] / asked) ** COVERAGE
    best = max(scores.values(), default=0.0)
    least = cut * best
    # Few distinct scores (a broad word's tens of thousands of entries have a few dozen).
    rounded = {score: round(score * SCALE) for score in set(scores.values()) if score >= least}
    groups: dict[int, list[int]] = {
        rank: [] for rank in sorted(set(rounded.values()), reverse=True)
    }
    rank_of = rounded.get
    for pk, score in scores.items():
        rank = rank_of(score)
        if rank is not None:  # else below the cut
            groups[rank].append(pk)
    return groups


def _one_term_groups(
    term: Term, matches: _TermMatches, found: int, total: int, cut: float
) -> dict[int, list[int]]:
    """`ranked_groups` of a one-term query on all the published entries, without a score per
    entry: each entry the term finds is a result, scored by its weight for the term alone. So the
    groups of entries that weigh the same (`body_only`, `weighed`) go into their score's group
    whole, and the rest (`apart`: a vocabulary term, place or paragraph) by their weight
    (`_apart_by_weight`): a broad word's tens of thousands of entries were a score each, set and
    read back (ADR 0011). The same scores as `ranked_groups`' loop (the same `_scored` of the
    same weights; there 0.0 + score), the same cut and rounding; `tests/search/test_lookup.py`
    compares the two."""
    idf = math.log(1 + (total - found + 0.5) / (found + 0.5))
    by_weight: dict[float, float] = {}
    by_score: dict[float, list] = defaultdict(list)  # score -> sets and lists of its entries
    for weight, pks in [(W_BODY, matches.body_only), *matches.weighed.items()]:
        if pks:
            if weight not in by_weight:
                by_weight[weight] = _scored(idf, weight)[0]
            by_score[by_weight[weight]].append(pks)
    sizes = _sizes_cache.get() if matches.vocabulary else None
    for weight, pks in _apart_by_weight(term, matches, matches.apart, sizes).items():
        if weight not in by_weight:
            by_weight[weight] = _scored(idf, weight)[0]
        by_score[by_weight[weight]].append(pks)
    least = cut * max(by_score)
    rounded = {score: round(score * SCALE) for score in by_score if score >= least}
    ranked_pks: dict[int, list[int]] = {
        rank: [] for rank in sorted(set(rounded.values()), reverse=True)
    }
    for score, parts in by_score.items():
        rank = rounded.get(score)
        if rank is not None:  # else below the cut
            for pks in parts:
                ranked_pks[rank].extend(pks)
    return ranked_pks


def _scored(idf: float, weight: float) -> tuple[float, float]:
    """A term's score in an entry it weighs `weight` in (saturated, BM25), and its `_met`."""
    return idf * weight * (K1 + 1) / (K1 + weight), _met(idf, weight)


def _met(idf: float, weight: float) -> float:
    """How much of a longer query's meaning one of its words brings to an entry: its rarity,
    in full when the entry has it in a field (title, summary, vocabulary, place, paragraph),
    in part for a passing mention in the text (W_BODY of W_META). A word nearly every entry has
    ("borgere", "kommuner") weighs almost nothing either way, so filler words of a question
    neither lift an entry that has them nor sink one that lacks them."""
    return idf * min(1.0, weight / W_META)


def _understood(query: str | ParsedQuery) -> ParsedQuery:
    if isinstance(query, ParsedQuery):
        return query
    from interventions.search.hints import understand  # hints builds on this module

    return understand(query)


def search(queryset: QuerySet, query: str | ParsedQuery) -> QuerySet:
    """Entries matching the query, best first, with their relevance as `rank`; equal ranks in
    title and slug order, as the list page shows them.

    `query`: the text, or the query `parse_query` already made of it.
    """
    parsed = _understood(query)
    if not parsed.terms:
        return queryset.annotate(rank=Value(0, output_field=IntegerField()))
    by_score = ranked_groups(parsed)
    if not by_score:
        return queryset.none().annotate(rank=Value(0, output_field=IntegerField()))
    rank = Case(
        *(When(pk__in=pks, then=Value(score)) for score, pks in by_score.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    every = [pk for pks in by_score.values() for pk in pks]
    return queryset.filter(pk__in=every).annotate(rank=rank).order_by("-rank", "title", "slug")
