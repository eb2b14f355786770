"""Queries: parsed once into terms, matched and ranked in the database, the same on every one.

How a query is understood (`parse_query`):
- Legal paragraphs as people type them ("§ 85", "§85", "SEL 85", "servicelovens § 108",
  "paragraf 104", "82b") become paragraph terms, matched through the entries' legal basis; an
  entry whose source states the paragraph ranks above one where an editor assigned it.
- Every other word is stemmed (search/text.py) and looked for as a substring of the entry's
  normalised text, so inflections and compounds match. A stem shorter than four letters must
  start a word ("unge" -> "ung" finds "ungdom" but not "sammenhæng"); a word with digits must be
  a whole word.
- Danish stop words are ignored unless the query has nothing else.
- An entry must match every term of a one- or two-term query, and all terms but one of a longer
  one (a caseworker's sentence often has a word no entry uses).

Matching and ranking run in the database through the `words_match` lookup and `Case`/`When`
sums, so SQLite and PostgreSQL give the same answers: a substring test on SQLite; on PostgreSQL
the stem's words from `SearchWord` and a GIN index over each entry's words (migration
`search_words`, ADR 0006). Ranking: all terms above some terms; per term, a title match above a
summary/vocabulary match above a body match; then how often the terms occur in title and
metadata; then title and slug, so the order is stable.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Least, Length, Replace
from django.db.models.lookups import Contains

from interventions.models import LegalBasis, LegalParagraph
from interventions.search.text import STOPWORDS, normalise, query_terms, text_pattern, words
from interventions.validators import PARAGRAPH_DIGITS

MAX_TERMS = 10  # more words than this add SQL, not precision
MATCHED = 10000  # rank per matched term; the field weights of all terms stay below it
CACHE_SECONDS = 300  # other processes see catalogue changes in the cached vocabularies this late

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
    """A value loaded at its first use and kept for CACHE_SECONDS, or until `forget()`.

    "Not loaded" is a state of its own (None), never a load time of 0: `time.monotonic()` counts
    from an arbitrary point (on Linux, the machine's boot), so no value of it means "long ago".
    """

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._kept: tuple[T, float] | None = None  # the value and when it was loaded

    def get(self) -> T:
        kept = self._kept  # read once: another thread may forget or replace it meanwhile
        if kept is None or time.monotonic() - kept[1] > CACHE_SECONDS:
            loaded_at = time.monotonic()
            kept = self._kept = (self._load(), loaded_at)
        return kept[0]

    def forget(self) -> None:
        self._kept = None


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
    """One condition of a query: a word, a paragraph reference, or a bare number that may be
    either ("82b" is the paragraph and also the text "82b")."""

    word: str
    pattern: str = ""  # text pattern; empty for a paragraph-only term
    paragraph_ids: tuple[int, ...] | None = None

    def condition(self) -> Q:
        q = Q()
        if self.pattern:
            q |= Q(search_document__words_match=self.pattern)
        if self.paragraph_ids is not None:
            q |= _has_paragraph(self.paragraph_ids)
        return q

    def score(self, certain: bool) -> Case:
        """What this term adds to an entry's rank: MATCHED when the entry matches it at all, plus
        its best field (title 100, summary/vocabulary 40, body 10; a paragraph the source states
        120, one an editor assigned 80) and how often it occurs in title and metadata (0-9).

        `certain`: the filter already guarantees a match, so the big body text is not read again
        (on PostgreSQL each LIKE over it costs more than all the rest of the rank).
        """
        whens = []
        if self.paragraph_ids is not None:
            stated = _has_paragraph(self.paragraph_ids, stated=True)
            whens.append(When(stated, then=Value(MATCHED + 120)))
            whens.append(When(_has_paragraph(self.paragraph_ids), then=Value(MATCHED + 80)))
        if self.pattern:
            whens.append(When(Q(search_title__contains=self.pattern), then=Value(MATCHED + 100)))
            whens.append(When(Q(search_meta__contains=self.pattern), then=Value(MATCHED + 40)))
            if not certain:
                whens.append(When(self.condition(), then=Value(MATCHED + 10)))
        default = Value(MATCHED + 10 if certain else 0)
        field = Case(*whens, default=default, output_field=IntegerField())
        return field + self.frequency() if self.pattern else field

    def frequency(self) -> Least:
        """How often the text pattern occurs in title and metadata, at most 9: a tie-breaker that
        every database computes the same way (the length lost when it is replaced by "")."""
        total = Value(0)
        for name in ("search_title", "search_meta"):
            text = F(name)
            total += Length(text) - Length(Replace(text, Value(self.pattern), Value("")))
        return Least(total / len(self.pattern), Value(9), output_field=IntegerField())


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


def _has_paragraph(ids: tuple[int, ...], stated: bool | None = None) -> Q:
    if not ids:
        return Q(pk__isnull=True)  # an unknown paragraph matches nothing
    bases = LegalBasis.objects.filter(intervention=OuterRef("pk"), paragraph_id__in=ids)
    if stated is not None:
        bases = bases.filter(stated_in_source=stated)
    return Q(Exists(bases))


@dataclass
class ParsedQuery:
    terms: list[Term] = field(default_factory=list)
    text: str = ""  # the query with paragraph references taken out

    @property
    def required(self) -> int:
        """How many terms an entry must match: all of one or two, all but one of more."""
        n = len(self.terms)
        return n if n <= 2 else n - 1


def _paragraph_term(label: str, law_word: str | None, number: str) -> Term:
    number = number.replace(" ", "").casefold()
    law = normalise(law_word) if law_word else None
    ids = tuple(
        p.pk for p in _paragraphs() if p.number == number and (law is None or law in p.law_keys)
    )
    return Term(word=label, paragraph_ids=ids)


def _is_law(word: str) -> bool:
    key = normalise(word)
    return any(key in p.law_keys for p in _paragraphs())


def parse_query(query: str) -> ParsedQuery:
    """Split a query into terms; raises InvalidQuery like `query_terms`."""
    query_terms(query)
    query = unicodedata.normalize("NFC", (query or "").strip())
    parsed = ParsedQuery()
    rest = query
    if any(c.isdigit() for c in query):
        rest = _take_paragraphs(query, parsed)
    tokens = words(rest)
    content = [t for t in tokens if t not in STOPWORDS] or tokens
    seen = {t.word for t in parsed.terms}
    known_numbers = {p.number for p in _paragraphs()} if any(_digits(t) for t in content) else ()
    for token in content:
        if token in seen:
            continue
        seen.add(token)
        if _BARE_NUMBER.match(token) and token in known_numbers:
            # "82b": the paragraph, or the text where a title says "82c pladser".
            paragraph = _paragraph_term(token, None, token)
            parsed.terms.append(Term(token, text_pattern(token), paragraph.paragraph_ids))
        else:
            parsed.terms.append(Term(token, text_pattern(token)))
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


def search(queryset: QuerySet, query: str | ParsedQuery) -> QuerySet:
    """Entries matching the query, best first, with their relevance as `rank`.

    `query`: the text, or the query `parse_query` already made of it.
    """
    parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
    if not parsed.terms:
        return queryset.annotate(rank=Value(0, output_field=IntegerField()))
    every = parsed.required == len(parsed.terms)
    rank = sum(term.score(certain=every) for term in parsed.terms)
    if every:
        # A plain AND, which PostgreSQL answers from its index of words.
        for term in parsed.terms:
            queryset = queryset.filter(term.condition())
        return queryset.annotate(rank=rank).order_by("-rank", "title", "slug")
    # All terms but one, written as an OR of ANDs that leave one term out each: PostgreSQL
    # answers it from its index of words, where a count of matched terms would read every row.
    all_but_one = Q()
    for left_out in range(len(parsed.terms)):
        group = Q()
        for i, term in enumerate(parsed.terms):
            if i != left_out:
                group &= term.condition()
        all_but_one |= group
    # Each matched term adds MATCHED, more than all field weights together: all terms rank above
    # some terms.
    return queryset.filter(all_but_one).annotate(rank=rank).order_by("-rank", "title", "slug")
