"""What the search learns from the catalogue's own words: typo corrections, compounds, snippets.

`understand()` parses a query and fits it to the catalogue's lexicon (the words of its entries):
- a word the catalogue does not know (or whose stem is only a piece of catalogue words, and which
  is no Danish word) is corrected when a confident correction exists, and the
  correction is searched (`ParsedQuery.corrected`; the page says "Viser resultater for »X«" and
  the API gives `corrected_query`): "ae"/"oe" read as "æ"/"ø" first, then the closest catalogue
  word by edit distance (rapidfuzz), the more frequent on a tie. A word the catalogue knows (in
  its texts, a vocabulary name or alias, a place) is never corrected, nor a word in quotes;
- a compound the texts write apart is also found as its parts, both required ("døgnophold":
  "døgn" and "ophold"); two words the texts write as one are also found joined ("bo støtte");
- a target group or method named by one of its aliases, typed whole ("substance abuse",
  "rusmiddel"), is also searched by its name's most telling word ("misbrug").
- a noun made from a verb also finds the verb's irregular forms in the catalogue ("anbringelse":
  "anbragte"; simplemma's lemmas), as passing mentions;
- a word's patterns find only the catalogue words that are its own: not those it lies inside
  after a particle or a piece that is no word ("udsatte" not "forudsætter", "ældre" not
  "forældre"; `Lexicon.narrowed`).
`snippet()` shows why an entry matched: the passage of its summary or text with most of the
query's terms, matched words in `<mark>`, ending at a sentence or clause boundary (or, in a
long unpunctuated passage, at a word that does not dangle, with an ellipsis).
"""

from __future__ import annotations

import bisect
import html
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

import simplemma
from django.utils.safestring import SafeString
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from interventions.models import Intervention, SearchWord
from interventions.search.query import (
    KeptValue,
    ParsedQuery,
    Term,
    known_word,
    parse_query,
    vocabulary,
    word_term,
)
from interventions.search.text import (
    MIN_INFIX_LENGTH,
    STOPWORDS,
    InvalidQuery,
    lemma,
    normalise,
    text_pattern,
    verb_of,
    word_patterns,
)

# The standard library's escape, as Django's uses, without its lazy-string wrapper: snippets
# escape every word of a passage.
escape = html.escape


@dataclass
class Lexicon:
    """The catalogue's own words with the number of entries each occurs in."""

    frequency: Counter
    text: str  # " word1 word2 ... ", for fast substring tests
    words: list[str]  # the words a typo is corrected to (letters only, three or more)
    # Patterns' entry counts, asked of the vocabulary names only: kept with the lexicon.
    _entries: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _narrowed: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def contains(self, pattern: str) -> bool:
        return pattern in self.text

    def entries(self, pattern: str) -> int:
        """About how many entries a pattern matches in (the most of its words' counts); one
        pass over the lexicon the first time a pattern is asked."""
        if pattern not in self._entries:
            self._entries[pattern] = max(
                (n for w, n in self.frequency.items() if pattern in f" {w} "), default=0
            )
        return self._entries[pattern]

    @cached_property
    def _sorted(self) -> list[str]:
        return sorted(self.words)

    def starting(self, prefix: str) -> list[str]:
        """The catalogue's words that begin with `prefix`."""
        at = bisect.bisect_left(self._sorted, prefix)
        out = []
        while at < len(self._sorted) and self._sorted[at].startswith(prefix):
            out.append(self._sorted[at])
            at += 1
        return out

    def uses(self, patterns) -> int:
        """How many of the catalogue's words one of these patterns matches."""
        return max(self.text.count(p) for p in patterns)

    def narrowed(self, pattern: str) -> tuple[str, ...]:
        """The patterns that find the catalogue words a text pattern finds, less those where it
        lies inside another word: after a part that is no word ("vord" in "hvordan", "ældr" in
        "parkeringskældre") or a particle ("udsæt" in "forudsætter", "ældr" in "forældre",
        "brug" in "misbrug"). A pattern at a word's start, or after a word ("tilbud" in
        "botilbud", "psykiatri" in "socialpsykiatri"), is kept. The pattern itself when it
        finds no such word, or when telling them apart takes more than `NARROWED` patterns."""
        if pattern not in self._narrowed:
            if len(self._narrowed) >= NARROWED_KEPT:  # typed words are unbounded: start over
                self._narrowed.clear()
            self._narrowed[pattern] = self._narrow(pattern)
        return self._narrowed[pattern]

    def _holding(self, pattern: str) -> list[str]:
        """The catalogue words that hold a pattern, found in the lexicon's text (each once)."""
        found, at = {}, self.text.find(pattern)
        while at >= 0:
            start = self.text.rfind(" ", 0, at + 1 if pattern.startswith(" ") else at) + 1
            end = self.text.find(" ", at + len(pattern.rstrip()))
            found[self.text[start:end]] = None
            at = self.text.find(pattern, max(end - len(pattern) + 1, at + 1))
        return list(found)

    def _narrow(self, pattern: str) -> tuple[str, ...]:
        if pattern.startswith(" ") or len(pattern.strip()) < MIN_INFIX_LENGTH:
            return (pattern,)
        kept: list[str] = []  # the kept words' padded forms that need a pattern of their own
        starts, wrong = False, []
        for word in self._holding(pattern):
            padded = f" {word} "
            at = padded.find(pattern)
            if at == 1:
                starts = True
                continue
            while at > 1 and not _word_part(padded[1:at], self):
                at = padded.find(pattern, at + 1)
            if at < 0:
                wrong.append(padded)
            else:
                kept.append(padded[: at + len(pattern)])
        if not wrong:
            return (pattern,)
        found = [f" {pattern}"] if starts else []
        for head in kept:  # the kept word up to the end of the pattern: extend to the left
            for start in range(len(head) - len(pattern) - 1, -1, -1):
                candidate = head[start:]
                if not any(candidate in other for other in wrong):
                    found.append(candidate)
                    break
        # A pattern that holds another finds nothing more: keep the shorter.
        found = [p for p in dict.fromkeys(found) if not any(o != p and o in p for o in found)]
        if not found:
            return (f" {pattern}",)  # every catalogue word that has it is another word
        return tuple(found) if len(found) <= NARROWED else (pattern,)


# Telling the words a pattern lies inside apart from its own takes at most this many patterns,
# each one more lookup (at 100,000 entries a second pattern cost "uden" 301 -> 446 ms, a third
# "hjem" 368 -> 588: ADR 0011); more, and the pattern is left as it is.
NARROWED = 2
NARROWED_KEPT = 10_000  # patterns a lexicon keeps narrowed (a few hundred kB)


def _word_part(prefix: str, lex: Lexicon) -> bool:
    """Whether what comes before a pattern inside a word is the first part of a compound: a
    word, or ending in one of three letters or more ("bo" in "botilbud", "lavtærskel" in
    "lavtærskeltilbud"; a linking "s" or "e" allowed), not a particle or preposition ("for"
    in "forældre", "med" in "medborgere") and not a bare piece ("h" in "hvordan", "mis" in
    "misbrug")."""
    linked = len(prefix) > 3 and prefix[-1] in ("s", "e")  # not "mi|s|brug"
    parts = [prefix, prefix[:-1]] if linked else [prefix]
    return any(
        _a_word(part, lex) or any(_a_word(part[at:], lex) for at in range(1, len(part) - 2))
        for part in parts
    )


def _a_word(part: str, lex: Lexicon) -> bool:
    """A catalogue word or a Danish word simplemma knows, of two letters or more and no stop
    word; one of two or three letters only in its dictionary form ("bo", "dag"; not "mis",
    which simplemma reads as "misse")."""
    if len(part) < 2 or part in STOPWORDS:
        return False
    if part in lex.frequency:
        return True
    if not simplemma.is_known(part, lang="da"):
        return False
    return len(part) > 3 or lemma(part) == part


def _load_lexicon() -> Lexicon:
    """The words of the published entries with their counts, as `SearchWord` keeps them: one
    query of the words some published entry has (a few tens of thousands of rows at 100,000
    entries), not a pass over every entry's words (16 s there, ADR 0011). The most frequent
    first: where a typo is nearest to many words, those searched first are the likeliest."""
    rows = SearchWord.objects.filter(entries__gt=0).values_list("word", "entries").order_by()
    counted = sorted(_lexicon_words(rows), key=lambda row: (-row[1], row[0]))
    frequency = Counter(dict(counted))
    return Lexicon(frequency, f" {' '.join(frequency)} ", list(frequency))


def _lexicon_words(counted):
    return ((w, n) for w, n in counted if w.isalpha() and len(w) > 2)


_lexicon_cache = KeptValue(_load_lexicon)


def forget_lexicon() -> None:
    """Forget this process's lexicon (an entry's search texts changed)."""
    _lexicon_cache.forget()


def lexicon() -> Lexicon:
    """The catalogue's words: what a typo is corrected to and a word's patterns are narrowed by.

    Read from `SearchWord`, whose counts move with every write to the entries' words or
    publication, and kept per catalogue version like the vocabulary (`KeptValue`): a page of a
    new version never corrects away or narrows out a word an edit has just brought, nor offers
    one no published entry has any more.
    """
    return _lexicon_cache.get()


# A sentence ends at ".", "!" or "?" before a space and a capital letter, digit or quote (not
# inside "bl.a. til", "ca. 20 pladser"'s lower-case continuation); never after an abbreviation
# (`_ABBREVIATIONS`), whatever follows it ("jf. Serviceloven").
# A blank line ends a paragraph, and a line break before a list item or a heading ends a line;
# a single line break inside a sentence (a wrapped line) does not end it.
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9\"'«»“(§])|\n\s*\n\s*|\n\s*(?=[-*•#]|\d+[.)]\s)")
_LINE_START = re.compile(r"^\s*(?:[-*•]\s+|#+\s*)")  # a list item's dash, a heading's #
_ABBREVIATIONS = frozenset(
    {"bl.a", "f.eks", "fx", "ca", "stk", "nr", "jf", "pkt", "mv", "m.m", "kl", "evt", "inkl"}
    | {"dvs", "osv", "ift", "mht", "vedr", "ang", "hhv", "iflg", "mfl", "m.fl", "dr", "el"}
)
_TOKEN = re.compile(r"(\w+)", re.UNICODE)
SNIPPET_WORDS = 30
# Where a long sentence may be cut: after a clause (",", ";", ":" or a dash between words).
_CLAUSE_END = re.compile(r"[,;:]|\s[–—-]\s")
# Words a cut snippet must not end on, before its ellipsis: "... i samarbejde med …".
_DANGLING = frozenset(
    {"og", "eller", "men", "at", "som", "der", "de", "den", "det", "en", "et", "i", "på", "til"}
    | {"af", "med", "for", "fra", "om", "ved", "hos", "efter", "under", "over", "mellem", "uden"}
    | {"samt", "både", "så", "når", "hvis"}
)


def snippet(
    intervention: Intervention, parsed: ParsedQuery, patterns: tuple[str, ...] | None = None
) -> SafeString:
    """The passage that best shows why the entry matched, matched words in <mark>; "" if the
    match is not in its text (a paragraph or a vocabulary term).

    `patterns`: the query's `snippet_patterns`, where a page of entries has them once."""
    if patterns is None:
        patterns = snippet_patterns(parsed)
    if not patterns:
        return SafeString("")
    texts = (intervention.summary, *(text for _section, text in intervention.text_sections()))
    return _snippet(texts, patterns)


def snippet_patterns(parsed: ParsedQuery) -> tuple[str, ...]:
    """The text patterns a snippet looks for and marks: every term's, each once, in order."""
    return tuple(dict.fromkeys(p for t in parsed.terms for p in t.patterns))


# A snippet depends only on the entry's texts and the query's patterns: the last few searches'
# pages are kept, by both (an edited text is a new key). A key holds its entry's texts, ~10 kB in
# memory on average and 31 kB at most in the curated catalogue: ~5 MB for 512 (25 pages of 20).
SNIPPETS_KEPT = 512


@lru_cache(maxsize=SNIPPETS_KEPT)
def _snippet(texts: tuple[str, ...], patterns: tuple[str, ...]) -> SafeString:
    finders = [_finder(p) for p in patterns]
    any_finder = _finder_of_any(patterns)
    best, best_score = "", 0
    for text in texts:
        if not any_finder.search(_normalised(text)):
            continue  # most texts are passed over with one regex
        for sentence, normalised in _text_sentences(text):
            found = sum(1 for f in finders if f.search(normalised))
            if found > best_score:
                best, best_score = sentence, found
                if found == len(finders):  # no later sentence can do better
                    return _highlight(best.strip(), patterns)
    if not best_score:
        return SafeString("")
    return _highlight(best.strip(), patterns)


# What a snippet reads of a text does not depend on the query: each text's normalised form and its
# sentences are made once and kept for the texts last asked (the entries of a page, which the
# next search shows again). A few thousand texts of a few kB each.
TEXTS_KEPT = 2048


@lru_cache(maxsize=TEXTS_KEPT)
def _normalised(text: str) -> str:
    return normalise(text)


@lru_cache(maxsize=TEXTS_KEPT)
def _text_sentences(text: str) -> tuple[tuple[str, str], ...]:
    """The sentences a snippet may show, in order, each with its normalised form: headings ("###
    Værdi for borgeren" says nothing of the entry) left out, a list item's dash taken off."""
    return tuple(
        (sentence, normalise(sentence))
        for sentence in (
            _LINE_START.sub("", sentence)
            for sentence in _sentences(text)
            if not sentence.lstrip().startswith("#")
        )
    )


@lru_cache(maxsize=TEXTS_KEPT)
def _tokens(sentence: str) -> tuple[list[str], list[str]]:
    """A sentence's words at the odd indexes and what lies between at the even ones, and the
    same parts normalised (never changed by their callers)."""
    parts = _TOKEN.split(sentence)
    # Normalising keeps the words apart (it only changes letters inside them), so the sentence's
    # normalised words line up with its own; if they do not (a decomposed accent), word by word.
    normalised = _TOKEN.split(normalise(sentence))
    if len(normalised) != len(parts):
        normalised = [normalise(part) for part in parts]
    return parts, normalised


def _sentences(text: str):
    """The sentences of a text, in order."""
    start = 0
    for boundary in _SENTENCE.finditer(text):
        if "\n" not in boundary.group():
            before = text[start : boundary.start()].rsplit(None, 1)
            last = before[-1].rstrip(".!?").casefold() if before else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue  # "bl.a. Aarhus", "jf. Serviceloven", an initial: the sentence goes on
        yield text[start : boundary.start()]
        start = boundary.end()
    yield text[start:]


@lru_cache(maxsize=1024)
def _finder(pattern: str) -> re.Pattern:
    """A regex that finds a text pattern in normalised text, its spaces read as word edges.

    A pattern's letters are word characters, so a plain match always lies inside one word.
    """
    core = re.escape(pattern.strip())
    before = r"(?<!\w)" if pattern.startswith(" ") else ""
    after = r"(?!\w)" if pattern.endswith(" ") else ""
    return re.compile(before + core + after)


@lru_cache(maxsize=256)
def _finder_of_any(patterns: tuple[str, ...]) -> re.Pattern:
    """One regex that finds any of the patterns: a text none of them is in costs one search."""
    return re.compile("|".join(f"(?:{_finder(p).pattern})" for p in patterns))


@lru_cache(maxsize=256)
def _word_search(patterns: tuple[str, ...]):
    """A search that finds, in a normalised word with a space at both ends, any of the patterns
    that can match one word (a pattern's spaces are word edges); None if none can."""
    single = [p for p in patterns if " " not in p.strip()]
    return re.compile("|".join(re.escape(p) for p in single)).search if single else None


def _highlight(sentence: str, patterns: tuple[str, ...]) -> SafeString:
    parts, normalised = _tokens(sentence)  # words at the odd indexes

    # Whether each word matches, in one pass of C-level searches (words at the odd indexes).
    search = _word_search(patterns)
    flags = [False] * len(parts)
    if search is not None:
        flags[1::2] = [search(f" {word} ") is not None for word in normalised[1::2]]
    first_hit = flags.index(True) if True in flags else 1
    first_word = max(1, first_hit - 2 * 5)  # a few words of context before the match
    start = 0 if first_word == 1 else first_word
    end = _snippet_end(parts, first_word, first_hit)
    out = ["… " if start else ""]
    # Only the shown words are escaped (a sentence can be a whole unpunctuated paragraph), each
    # run between two marks at once: escaping a joined run is joining the escaped parts.
    run_start = start
    for i in range(start | 1, end, 2):
        if flags[i]:
            out.append(escape("".join(parts[run_start:i])))
            out.append(f"<mark>{escape(parts[i])}</mark>")
            run_start = i + 1
    out.append(escape("".join(parts[run_start:end])))
    out.append(" …" if end < len(parts) else "")
    return SafeString("".join(out).strip())  # every piece of text is escaped above


def _snippet_end(parts: list[str], first_word: int, first_hit: int) -> int:
    """Where a snippet of `parts` (words at the odd indexes) that starts at `first_word` ends:
    the sentence's end if it is near; else after the last clause of the window (",", ";", ":",
    a dash) that leaves the first match and a dozen words shown; else at a word, not one that
    leaves the phrase hanging ("og", "i", "til" ...). A cut snippet ends with an ellipsis."""
    end = first_word + 2 * SNIPPET_WORDS - 1  # parts[end] is what follows the last word shown
    if end >= len(parts) - 1:
        return len(parts)
    least = max(first_hit + 2, first_word + 2 * (SNIPPET_WORDS // 2))
    for i in range(end - 2, least - 1, -2):  # the word at i - 1, what follows it at i
        if _CLAUSE_END.search(parts[i]):
            return i
    while end - 2 > first_hit and parts[end - 1].casefold() in _DANGLING:
        end -= 2
    return end


MIN_CORRECTED = 4  # shorter words are not corrected: too many catalogue words lie one edit away
LONG_WORD = 10  # a word this long may be corrected by two edits
MIN_PART = 4  # a compound's parts: at least this long, and catalogue words of their own
# A word whose stem is in this many of the catalogue's words is well attested as a word and is
# not also read as two ("hjemløse" as "hjem" and "løse" found every "eget hjem ... løsninger").
ATTESTED = 10


def understand(query: str) -> ParsedQuery:
    """The query parsed and fitted to the catalogue's words (typos, compounds); raises
    InvalidQuery like `parse_query`."""
    return refine(parse_query(query))


def refine(parsed: ParsedQuery) -> ParsedQuery:
    """The parsed query with split words joined, compounds split and typos corrected; the
    correction, if any, in `corrected`."""
    if not any(_is_word(t) for t in parsed.terms):
        return parsed
    lex = lexicon()
    terms = _joined(parsed.terms, lex)
    refined, corrections = [], {}
    for term in terms:
        if not _is_word(term) or term.quoted:
            refined.append(term)
            continue
        fixed = _respelled(term.word, lex)
        if not fixed and _known(term, lex):
            fixed = _misspelt(term, lex)
            if not fixed:
                refined.append(_fitted(term, lex))
                continue
        fixed = fixed or _closest(term.word, lex)
        if fixed:
            corrections[term.word] = fixed
            refined.append(_fitted(word_term(fixed), lex))
        else:
            refined.append(_fitted(term, lex))
    parsed.terms = [_narrowed(t, lex) for t in _named_by_alias(refined, lex)]
    if corrections:
        parsed.corrected = _replaced(parsed.original, corrections)
    return parsed


@lru_cache(maxsize=4096)
def _own_patterns(word: str) -> frozenset[str]:
    return frozenset(word_patterns(word))


def _named_by_alias(terms: list[Term], lex: Lexicon) -> list[Term]:
    """Terms that name a vocabulary term by one of its aliases, every word of which the query
    has ("substance abuse", "rusmiddel"), also match the term's name in the texts: its most
    telling word ("misbrug" for "Borgere med misbrug"), as if the user had typed it.

    An alias is curated as another name of the term (ADR 0011), so an entry whose title says
    "misbrugsbehandling" is about what "substance abuse" asks, whether or not an editor gave
    it the target group. A query word names an alias's word when it is that word, inflected
    (they share a pattern); a word met only inside a longer alias ("bolig" in "uden bolig"), or
    inside an alias's compound, names nothing and adds nothing.
    """
    # Each single pattern of the query's words, with the words that have it.
    typed: dict[str, set[str]] = {}
    for term in terms:
        if _is_word(term):
            for group in term.groups:
                if len(group) == 1:
                    typed.setdefault(group[0], set()).add(term.word)
    if not typed:
        return terms

    def naming(word: str) -> set[str]:
        return {w for p in _own_patterns(word) for w in typed.get(p, ())}

    extra: dict[str, list[str]] = {}
    for named in vocabulary():
        if named.relation not in _ALIAS_RELATIONS:
            continue
        for alias in named.aliases:
            alias_words = [w for w in alias.split() if w not in STOPWORDS]
            found = [naming(w) for w in alias_words]
            if not found or not all(found):
                continue
            if any(naming(w) for w in named.name.split()):
                continue  # the query names the term itself
            key = _telling_word(named.name, lex)
            for word in set().union(*found):
                extra.setdefault(word, []).append(key)
    if not extra:
        return terms
    out = []
    for term in terms:
        keys = [k for k in dict.fromkeys(extra.get(term.word, ())) if (k,) not in term.groups]
        if keys:
            term = replace(term, alternatives=term.alternatives + tuple((k,) for k in keys))
        out.append(term)
    return out


# Target groups and methods: their aliases are other names of the term. A policy area's are
# topics within it ("botilbud" for "Bolig"), which must not bring in the area's name.
_ALIAS_RELATIONS = ("target_groups", "methods")


def _telling_word(name: str, lex: Lexicon) -> str:
    """The text pattern of a name's rarest word in the catalogue ("misbrug" in "Borgere med
    misbrug"), stop words aside."""
    candidates = [w for w in name.split() if w not in STOPWORDS] or name.split()
    patterns = [text_pattern(w) for w in candidates]
    return min(patterns, key=lambda p: (lex.entries(p), -len(p)))


def _is_word(term: Term) -> bool:
    return (
        bool(term.pattern)
        and term.paragraph_ids is None
        and not term.place
        and term.word.isalpha()
        and " " not in term.word
    )


def _known(term: Term, lex: Lexicon) -> bool:
    """Whether the catalogue knows the word: a group of its patterns is in its words, or it is
    a vocabulary name's or alias's word or a place's."""
    return any(all(lex.contains(p) for p in g) for g in term.groups) or known_word(term.word)


def _misspelt(term: Term, lex: Lexicon) -> str | None:
    """A typo whose stem happens to be inside catalogue words ("udskrivnig" stems to
    "udskrivn", a piece of "udskrivning"; "misbrugsbehandlig"): the nearest catalogue word, when
    the word itself is neither a catalogue word, a vocabulary or place word, nor a Danish word
    simplemma knows, and the correction searches differently (not "bostøtter" -> "bostøtte",
    which have the same stem: a correctly typed inflection is left alone)."""
    word = term.word
    if word in lex.frequency or known_word(word) or simplemma.is_known(word, lang="da"):
        return None
    closest = _closest(word, lex)
    if closest and set(word_patterns(closest)) != set(term.patterns):
        return closest
    return None


def _respelled(word: str, lex: Lexicon) -> str | None:
    """ "ae", "oe" (and "aa", already folded) typed for "æ", "ø": the word with the letters, if
    the catalogue uses it so more than as typed (a web address may hold "hjemloese")."""
    respelled = word.replace("ae", "æ").replace("oe", "ø")
    if respelled == word or known_word(word):
        return None
    if lex.uses(word_patterns(respelled)) > lex.uses(word_patterns(word)):
        return respelled
    return None


def _closest(word: str, lex: Lexicon) -> str | None:
    """The catalogue word nearest to an unknown word: one edit (a letter added, dropped,
    changed, or two swapped), two for a word of LONG_WORD letters or more; the more frequent on
    a tie. None when nothing is that near (most English words: "mentoring" is two edits from
    "mestring", too far for a nine-letter word)."""
    if len(word) < MIN_CORRECTED:
        return None
    most = 1 if len(word) < LONG_WORD else 2
    found = process.extract(word, lex.words, scorer=OSA.distance, score_cutoff=most, limit=20)
    if not found:
        return None
    nearest = min(distance for _w, distance, _i in found)
    best = [w for w, distance, _i in found if distance == nearest]
    return max(best, key=lambda w: (lex.frequency[w], w))


def _split(word: str, lex: Lexicon) -> tuple[str, str] | None:
    """A compound as two catalogue words ("døgnophold" -> "døgn", "ophold"; a linking "s" or
    "e" may join them), the split whose rarer part is most frequent; None if there is none."""
    if len(word) < 2 * MIN_PART:
        return None
    best, best_frequency = None, 0
    for at in range(MIN_PART, len(word) - MIN_PART + 1):
        head, tail = word[:at], word[at:]
        heads = [head] + ([head[:-1]] if head[-1] in "se" and len(head) > MIN_PART else [])
        for first in heads:
            frequency = min(lex.frequency.get(first, 0), lex.frequency.get(tail, 0))
            if frequency > best_frequency:
                best, best_frequency = (first, tail), frequency
    return best if best_frequency >= 2 else None


def _with_parts(term: Term, lex: Lexicon) -> Term:
    """A compound word that also matches as its parts, both required; not a word the
    catalogue's own words hold ATTESTED times or more (measured: ADR 0011)."""
    if lex.uses(term.patterns) >= ATTESTED:
        return term  # a word the catalogue writes often is one word: "hjemløse" is no "hjem"
    parts = _split(term.word, lex)
    if not parts:
        return term
    group = tuple(text_pattern(p) for p in parts)
    return Term(term.word, term.pattern, alternatives=(*term.alternatives, group))


def _narrowed(term: Term, lex: Lexicon) -> Term:
    """The word's patterns narrowed to the catalogue words that are its own (`Lexicon.
    narrowed`): "udsatte" no longer finds "forudsætter", nor "ældre" "forældre", nor
    "elderly" (the name "Ældre" searched for an alias) "forældre". Not a word in quotes (taken
    as typed), nor a compound's parts or an irregular verb form (found in other words)."""
    if not _is_word(term) or term.quoted:
        return term
    groups: list[tuple[str, ...]] = []
    for group in term.groups:
        if len(group) == 1 and group[0] not in term.related:
            groups += [(p,) for p in lex.narrowed(group[0])]
        else:
            groups.append(group)
    groups = list(dict.fromkeys(groups))
    if groups == list(term.groups):
        return term
    first = groups[0]
    return replace(term, pattern=first[0], alternatives=tuple(groups[1:]))


def _fitted(term: Term, lex: Lexicon) -> Term:
    return _with_verb_forms(_with_parts(term, lex), lex)


def _with_verb_forms(term: Term, lex: Lexicon) -> Term:
    """A noun made from a verb ("anbringelse", "udskrivning") that also matches the verb's
    forms the catalogue writes with another stem: irregular participles ("anbragte",
    "udskrevet", "indlagt"), found as the catalogue's words that begin like the verb and whose
    lemma (simplemma) is the verb. Regular forms share the noun's stem already."""
    verb = verb_of(term.word) or verb_of(lemma(term.word))
    if not verb:
        return term
    patterns = list(term.patterns)
    added: list[str] = []
    for word in lex.starting(verb[: max(3, len(verb) - 4)]):
        # Not the regular forms ("udskriver"): their bare verb stem is in other words too
        # ("rådgiv" in every "socialrådgiver", ADR 0011).
        if word.startswith(verb[:-1]) or lemma(word) != verb:
            continue
        pattern = text_pattern(word)
        if not any(known in pattern for known in patterns):
            patterns.append(pattern)
            added.append(pattern)
    if not added:
        return term
    return replace(
        term,
        alternatives=term.alternatives + tuple((p,) for p in added),
        related=term.related + tuple(added),
    )


def _joined(terms: list[Term], lex: Lexicon) -> list[Term]:
    """Two words typed apart that the catalogue writes as one ("bo støtte" -> "bostøtte"):
    one term that matches the joined word, or both words."""
    out: list[Term] = []
    i = 0
    while i < len(terms):
        term = terms[i]
        after = terms[i + 1] if i + 1 < len(terms) else None
        if after is not None and _is_word(term) and _is_word(after):
            joined = term.word + after.word
            if lex.frequency.get(joined, 0) >= 1 and not term.quoted and not after.quoted:
                both = tuple(p for t in (term, after) for p in (t.pattern,))
                out.append(
                    Term(f"{term.word} {after.word}", text_pattern(joined), alternatives=(both,))
                )
                i += 2
                continue
        out.append(term)
        i += 1
    return out


def _replaced(text: str, corrections: dict[str, str]) -> str:
    """The query as typed with its corrected words replaced, the rest as it was typed."""

    def replace(match: re.Match) -> str:
        return corrections.get(normalise(match.group()), match.group())

    return " ".join(_TOKEN.sub(replace, text).split())


def suggest(query: str | ParsedQuery) -> str | None:
    """The corrected query the search runs instead of this one, or None."""
    if isinstance(query, ParsedQuery):
        return query.corrected
    try:
        return understand(query).corrected
    except InvalidQuery:
        return None


def danish_terms(parsed: ParsedQuery, limit: int = 3) -> list[str]:
    """The Danish names of the vocabulary terms whose names or aliases come nearest to a query
    that found nothing (an English word the aliases lack): what to offer on /en/, where the
    entries' texts are Danish. At most `limit`, nearest first; none below a ratio of 80."""
    from interventions.search.query import VOCABULARIES

    query = normalise(parsed.original)
    scored: dict[str, float] = {}
    for _relation, model in VOCABULARIES:
        for name, aliases in model.objects.values_list("name", "aliases"):
            for alias in [name, *aliases.splitlines()]:
                score = fuzz.WRatio(query, normalise(alias))
                if score >= 80:
                    scored[name] = max(scored.get(name, 0.0), score)
    return sorted(scored, key=lambda name: (-scored[name], name))[:limit]
