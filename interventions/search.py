"""Free-text search over interventions: one entry point, the same behaviour on every database.

How a query is understood (`parse_query`):
- Legal paragraphs as people type them ("§ 85", "§85", "SEL 85", "servicelovens § 108",
  "paragraf 104", "82b") become paragraph terms, matched through the entries' legal basis; an
  entry whose source states the paragraph ranks above one where an editor assigned it.
- Every other word is stemmed with Snowball Danish and looked for as a substring of the entry's
  normalised text, so inflections and compounds match ("hjemløse" finds "hjemløshed",
  "misbruger" finds "misbrugsbehandling"). A stem shorter than four letters must start a word
  ("unge" -> "ung" finds "ungdom" but not "sammenhæng"); a word with digits must be a whole word.
- Danish stop words are ignored unless the query has nothing else; "aa" is read as "å" and
  accents are dropped ("cafe" finds "café"), in queries and texts alike.
- An entry must match every term of a one- or two-term query, and all terms but one of a longer
  one (a caseworker's sentence often has a word no entry uses).

Matching and ranking run in the database through the `words_match` lookup and `Case`/`When`
sums, so SQLite and PostgreSQL give the same answers: a substring test on SQLite; on PostgreSQL
the stem's words from `SearchWord` and a GIN index over each entry's words (migration
`search_words`, ADR 0006). Each entry keeps three denormalised texts
(`refresh_search_document`): its title, its metadata (summary, owner, places, vocabularies,
paragraphs) and the set of all its words. Ranking: all terms above some terms; per term, a
title match above a summary/vocabulary match above a body match; then how often the terms occur
in title and metadata; then title and slug, so the order is stable.

Typos: `suggest()` offers a corrected query ("Mente du: psykiatri?") built from a lexicon of the
catalogue's own words; `snippet()` shows why an entry matched, matched words in `<mark>`.
"""

from __future__ import annotations

import difflib
import html
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

import Stemmer
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    Lookup,
    OuterRef,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Least, Length, Replace
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from interventions.models import Intervention, InterventionQuerySet

# The standard library's escape, as Django's uses, without its lazy-string wrapper: snippets
# escape every word of a passage.
escape = html.escape

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10  # more words than this add SQL, not precision
MIN_INFIX_LENGTH = 4  # shorter stems must start a word
MATCHED = 10000  # rank per matched term; the field weights of all terms stay below it
CACHE_SECONDS = 300  # other processes see catalogue changes in the lexicon within this time

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMER = Stemmer.Stemmer("danish")
_STEMMER_LOCK = threading.Lock()  # a PyStemmer object is not thread-safe

# Snowball's Danish stop-word list, plus abbreviations that carry no meaning in a search.
_STOPWORD_TEXT = """
og i jeg det at en den til er som på de med han af for ikke der var mig sig men et har om vi min
havde ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal selv her alle vil
blev kunne ind når være dog noget ville jo deres efter ned skulle denne end dette mit også under
have dig anden hende mine alt meget sit sine vor mod disse hvis din nogle hos blive mange ad bliver
hendes været thi jer sådan jf fx mv samt
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Inflection endings stripped when Snowball's stem is too short to be safe ("ledige" -> "led").
_LIGHT_ENDINGS = ("erne", "ene", "ers", "er", "en", "et", "es", "e", "s")

# "§ 85", "§§ 107 og 108", "paragraf 104", "§ 82 b"; a law name may precede it.
_NUMBER = r"\d{1,4}(?:\s?[a-zæøå](?![\wæøå]))?"
_PARAGRAPH_SIGN = re.compile(
    rf"(?:§§?|\bparagraf(?:fen|ferne|fer)?\b|\bpar\.)\s*(?P<numbers>{_NUMBER}"
    rf"(?:\s*(?:,|/|og|eller)\s*{_NUMBER})*)"
    r"(?:,?\s*stk\.?\s*\d+(?:\s*(?:,|og)\s*\d+)*)?",  # "stk. 2": the whole paragraph counts
    re.IGNORECASE,
)
_NUMBER_IN_LIST = re.compile(_NUMBER, re.IGNORECASE)
_WORD_BEFORE = re.compile(r"(\w+)\s*$")
_BARE_NUMBER = re.compile(r"^\d{1,4}[a-zæøå]?$")


class InvalidQuery(ValueError):
    """A query the catalogue refuses, with a message fit for the user (Danish)."""


# Letters people type without their accent ("cafe" for "café"); æ, ø and å are letters of their
# own and stay. "aa" is the old spelling of "å" ("Aabenraa", "aaben dialog"), folded both in the
# texts and in queries so either spelling finds both.
_FOLD = str.maketrans("áàâéèêëíìîïóòôúùûüýäö", "aaaeeeeiiiiooouuuuyæø")


_FOLDED = re.compile("[áàâéèêëíìîïóòôúùûüýäö]")


def _fold(match: re.Match) -> str:
    return match.group().translate(_FOLD)


def normalise(text: str) -> str:
    # A regex finds the few accented letters: str.translate looks up every character of a long
    # text in a dict, and snippets normalise every text of the entries on a page.
    text = _FOLDED.sub(_fold, unicodedata.normalize("NFC", text).casefold())
    return text.replace("aa", "å")


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


def document_text(parts) -> str:
    """Normalised words separated by single spaces, with a space at both ends.

    The spaces let a lookup ask for a word start (" ung") or a whole word (" 85 ") with a plain
    substring test, which every database does the same way.
    """
    found = words("\n".join(p for p in parts if p))
    return f" {' '.join(found)} " if found else ""


def word_set(parts) -> str:
    """Like `document_text`, each word once: the filter only asks whether a word is there, and
    half the text is half the work for a LIKE on PostgreSQL."""
    found = dict.fromkeys(words("\n".join(p for p in parts if p)))
    return f" {' '.join(found)} " if found else ""


def query_terms(query: str) -> list[str]:
    """The words of a query; raises InvalidQuery for queries that cannot be searched."""
    query = (query or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidQuery(f"Søgningen er for lang (højst {MAX_QUERY_LENGTH} tegn).")
    terms = words(query)
    if query and not terms:
        raise InvalidQuery("Søgningen skal indeholde mindst ét bogstav eller tal.")
    return terms


# --- Search documents -----------------------------------------------------------------------------


def build_search_texts(intervention: Intervention) -> dict[str, str]:
    """The three denormalised texts an entry is searched by: title, metadata and everything."""
    title = [intervention.title, *intervention.alternative_titles]
    meta = [intervention.summary, intervention.organisation, intervention.locator]
    meta += [f"{m.name} Kommune" for m in intervention.municipalities.all()]
    meta += [r.name for r in intervention.regions.all()]
    meta += [t.name for t in intervention.target_groups.all()]
    meta += [p.name for p in intervention.policy_areas.all()]
    methods = list(intervention.methods.all())
    meta += [m.name for m in methods]
    bases = intervention.legal_bases.all()
    if "legal_bases" not in getattr(intervention, "_prefetched_objects_cache", {}):
        bases = bases.select_related("paragraph__law")
    for basis in bases:
        paragraph = basis.paragraph
        meta += [paragraph.label, paragraph.law.name, paragraph.title]
    if intervention.source_section_id:
        meta.append(intervention.source_section.name)
    body = [m.description for m in methods]
    body += [g.text for g in intervention.kkr_goals.all()]
    body += [text for _section, text in intervention.text_sections()]
    return {
        "search_title": document_text(title),
        "search_meta": document_text(meta),
        "search_document": word_set(title + meta + body),
    }


def build_search_document(intervention: Intervention) -> str:
    return build_search_texts(intervention)["search_document"]


# --- Caches: paragraphs and the lexicon -----------------------------------------------------------


@dataclass(frozen=True)
class _ParagraphRef:
    pk: int
    law_keys: frozenset[str]  # "sel", "serviceloven", "servicelovens"
    number: str


T = TypeVar("T")


class _Kept(Generic[T]):
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
    from interventions.models import LegalParagraph

    refs = []
    for p in LegalParagraph.objects.select_related("law"):
        name = normalise(p.law.name)
        keys = {normalise(p.law.abbreviation), name, f"{name}s"}
        refs.append(_ParagraphRef(p.pk, frozenset(keys), p.number))
    return refs


@dataclass
class Lexicon:
    """The catalogue's own words with the number of entries each occurs in."""

    frequency: Counter
    text: str  # " word1 word2 ... ", for fast substring tests

    def contains(self, pattern: str) -> bool:
        return pattern in self.text


def _load_lexicon() -> Lexicon:
    from interventions.models import Intervention

    frequency: Counter = Counter()
    documents = Intervention.objects.published().values_list("search_document", flat=True)
    for document in documents.iterator():
        frequency.update(w for w in document.split() if w.isalpha() and len(w) > 2)
    return Lexicon(frequency, f" {' '.join(frequency)} ")


_paragraph_cache = _Kept(_load_paragraphs)
_lexicon_cache = _Kept(_load_lexicon)


def clear_caches() -> None:
    """Forget the cached paragraphs and lexicon (called when an entry's search text changes)."""
    _paragraph_cache.forget()
    _lexicon_cache.forget()


def _paragraphs() -> list[_ParagraphRef]:
    """The legal paragraphs with the names their law goes by: a few dozen rows, cached."""
    return _paragraph_cache.get()


def lexicon() -> Lexicon:
    """Built from the published entries' word sets and kept for CACHE_SECONDS, or until an entry's
    search text changes in this process: a suggestion is a hint, so another process may offer an
    outdated one for a few minutes rather than pay a query on every search."""
    return _lexicon_cache.get()


# --- Parsing --------------------------------------------------------------------------------------


def stem(word: str) -> str:
    """Snowball Danish, made safe for substring matching.

    Past participles keep their double consonant ("udviklingshæmmede" -> "udviklingshæmmed"),
    which no noun form contains, so that ending goes ("udviklingshæm" is in
    "udviklingshæmning"). A stem shorter than four letters from a longer word only loses its
    inflection ending ("lidelser" -> "lidels", not "lid", which would also find "lidt").
    """
    with _STEMMER_LOCK:
        stemmed = _STEMMER.stemWord(word)
    if re.search(r"([bdfgklmnprstv])\1e[dt]$", stemmed) and len(stemmed) > 6:
        stemmed = stemmed[:-3]
    if len(stemmed) < MIN_INFIX_LENGTH < len(word):
        for ending in _LIGHT_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= MIN_INFIX_LENGTH:
                return word[: -len(ending)]
        return word
    return stemmed


def text_pattern(word: str) -> str:
    """The substring the normalised texts must contain for `word` to match."""
    if any(c.isdigit() for c in word):
        return f" {word} "
    stemmed = stem(word)
    return stemmed if len(stemmed) >= MIN_INFIX_LENGTH else f" {stemmed}"


def pattern_matches_word(pattern: str, word: str) -> bool:
    """Whether a single normalised word matches a text pattern (used for highlighting)."""
    padded = f" {word} "
    return pattern in padded


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
        from django.db.models.lookups import Contains

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
    from interventions.models import LegalBasis

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


# --- Searching ------------------------------------------------------------------------------------


def search(queryset: InterventionQuerySet, query: str) -> InterventionQuerySet:
    """Entries matching the query, best first, with their relevance as `rank`."""
    parsed = parse_query(query)
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


# --- Snippets and suggestions ---------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_TOKEN = re.compile(r"(\w+)", re.UNICODE)
SNIPPET_WORDS = 30


def snippet(intervention: Intervention, parsed: ParsedQuery) -> SafeString:
    """The passage that best shows why the entry matched, matched words in <mark>; "" if the
    match is not in its text (a paragraph or a vocabulary term)."""
    patterns = [t.pattern for t in parsed.terms if t.pattern]
    if not patterns:
        return mark_safe("")
    finders = [_finder(p) for p in patterns]
    texts = [intervention.summary] + [text for _section, text in intervention.text_sections()]
    best, best_score = "", 0
    for text in texts:
        normalised = normalise(text)
        if not any(f.search(normalised) for f in finders):
            continue  # most texts are passed over with one normalisation and a regex each
        for sentence in _sentences(text):
            normalised = normalise(sentence)
            found = sum(1 for f in finders if f.search(normalised))
            if found > best_score:
                best, best_score = sentence, found
                if found == len(finders):  # no later sentence can do better
                    return _highlight(best.strip(), patterns)
    if not best_score:
        return mark_safe("")
    return _highlight(best.strip(), patterns)


def _sentences(text: str):
    """The sentences of a text, one at a time: the search for a snippet mostly stops early."""
    start = 0
    for boundary in _SENTENCE.finditer(text):
        yield text[start : boundary.start()]
        start = boundary.end()
    yield text[start:]


def _finder(pattern: str) -> re.Pattern:
    """A regex that finds a text pattern in normalised text, its spaces read as word edges.

    A pattern's letters are word characters, so a plain match always lies inside one word.
    """
    core = re.escape(pattern.strip())
    before = r"(?<!\w)" if pattern.startswith(" ") else ""
    after = r"(?!\w)" if pattern.endswith(" ") else ""
    return re.compile(before + core + after)


def _highlight(sentence: str, patterns: list[str]) -> SafeString:
    parts = _TOKEN.split(sentence)  # words at the odd indexes, what lies between at the even ones
    # Normalising keeps the words apart (it only changes letters inside them), so the sentence's
    # normalised words line up with its own; if they do not (a decomposed accent), word by word.
    normalised = _TOKEN.split(normalise(sentence))
    if len(normalised) != len(parts):
        normalised = [normalise(part) for part in parts]

    def hit(i: int) -> bool:
        return i % 2 == 1 and any(pattern_matches_word(p, normalised[i]) for p in patterns)

    first_hit = next((i for i in range(1, len(parts), 2) if hit(i)), 1)
    first_word = max(1, first_hit - 2 * 5)  # a few words of context before the match
    start = 0 if first_word == 1 else first_word
    end = first_word + 2 * SNIPPET_WORDS
    end = len(parts) if end >= len(parts) - 1 else end
    out = ["… " if start else ""]
    # Only the shown words are escaped: a sentence can be a whole unpunctuated paragraph.
    out += [
        f"<mark>{escape(parts[i])}</mark>" if hit(i) else escape(parts[i])
        for i in range(start, end)
    ]
    out.append(" …" if end < len(parts) else "")
    return mark_safe("".join(out).strip())  # every piece of text is escaped above


def worth_suggesting(parsed: ParsedQuery, shown: list, total: int) -> bool:
    """Whether to look for typos: nothing matched, or the first entry shown misses a term.

    Asking only then keeps ordinary searches from ever paying for the lexicon.
    """
    if not total:
        return True
    rank = getattr(shown[0], "rank", None) if shown else None
    return rank is not None and rank < len(parsed.terms) * MATCHED


def suggest(query: str) -> str | None:
    """The query with unknown words replaced by the closest words of the catalogue, or None.

    A word is unknown when its stem occurs nowhere in the catalogue; the replacement is the most
    similar catalogue word (difflib ratio >= 0.75), the more frequent one on a tie.
    """
    try:
        parsed = parse_query(query)
    except InvalidQuery:
        return None
    lex = None
    corrected = parsed.text
    changed = False
    for term in parsed.terms:
        if term.paragraph_ids is not None or not term.word.isalpha() or len(term.word) < 4:
            continue
        lex = lex or lexicon()
        if lex.contains(term.pattern):
            continue
        replacement = _closest(term.word, lex)
        if replacement:
            corrected = re.sub(
                rf"(?<!\w){re.escape(term.word)}(?!\w)", replacement, corrected, flags=re.I
            )
            changed = True
    if not changed:
        return None
    # Put the paragraph references back in front of the corrected words.
    labels = [t.word for t in parsed.terms if t.paragraph_ids is not None and not t.pattern]
    return " ".join([*labels, " ".join(corrected.split())]).strip()


def _closest(word: str, lex: Lexicon) -> str | None:
    candidates = [w for w in lex.frequency if abs(len(w) - len(word)) <= 2]
    scored = []
    for candidate in candidates:
        matcher = difflib.SequenceMatcher(None, word, candidate)
        if matcher.real_quick_ratio() >= 0.75 and matcher.quick_ratio() >= 0.75:
            ratio = matcher.ratio()
            if ratio >= 0.75:
                scored.append((ratio, lex.frequency[candidate], candidate))
    return max(scored)[2] if scored else None


# --- Keeping the texts current --------------------------------------------------------------------

# The names that go into an entry's search texts, by model, and how entries reach the model.
SEARCHED_NAMES = {
    "Region": ("name", "regions"),
    "Municipality": ("name", "municipalities"),
    "TargetGroup": ("name", "target_groups"),
    "PolicyArea": ("name", "policy_areas"),
    "Method": (("name", "description"), "methods"),
    "KKRGoal": ("text", "kkr_goals"),
    "Law": (("abbreviation", "name"), "legal_paragraphs__law"),
    "LegalParagraph": ("title", "legal_paragraphs"),
    "SourceSection": ("name", "source_section"),
}


def _remember_names(sender, instance, **kwargs) -> None:
    fields, _relation = _searched(sender)
    old = sender.objects.filter(pk=instance.pk).values(*fields).first() if instance.pk else None
    instance._searched_names_before = old


def _refresh_when_renamed(sender, instance, created, **kwargs) -> None:
    """A renamed vocabulary term changes the search texts of the entries that use it."""
    from interventions.models import Intervention

    fields, relation = _searched(sender)
    before = getattr(instance, "_searched_names_before", None)
    if created or before is None or all(before[f] == getattr(instance, f) for f in fields):
        return
    entries = Intervention.objects.filter(**{relation: instance}).distinct().with_relations()
    for entry in entries:
        entry.refresh_search_document()


def _searched(model) -> tuple[tuple[str, ...], str]:
    fields, relation = SEARCHED_NAMES[model.__name__]
    return ((fields,) if isinstance(fields, str) else fields), relation


def connect_signals() -> None:
    from django.apps import apps
    from django.db.models.signals import post_save, pre_save

    for name in SEARCHED_NAMES:
        model = apps.get_model("interventions", name)
        pre_save.connect(_remember_names, sender=model, dispatch_uid=f"search-before-{name}")
        post_save.connect(_refresh_when_renamed, sender=model, dispatch_uid=f"search-after-{name}")
