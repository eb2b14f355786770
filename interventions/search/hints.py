"""What a result list shows beside the results: snippets, and "Mente du" suggestions.

`snippet()` shows why an entry matched: the passage of its summary or text with most of the
query's terms, matched words in `<mark>`. `suggest()` offers a corrected query ("Mente du:
psykiatri?") for words the catalogue does not know, built from a lexicon of its own words.
"""

from __future__ import annotations

import difflib
import html
import re
from collections import Counter
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from interventions.models import Intervention
from interventions.search.query import MATCHED, KeptValue, ParsedQuery, parse_query
from interventions.search.text import InvalidQuery, normalise, pattern_matches_word

# The standard library's escape, as Django's uses, without its lazy-string wrapper: snippets
# escape every word of a passage.
escape = html.escape


@dataclass
class Lexicon:
    """The catalogue's own words with the number of entries each occurs in."""

    frequency: Counter
    text: str  # " word1 word2 ... ", for fast substring tests

    def contains(self, pattern: str) -> bool:
        return pattern in self.text


def _load_lexicon() -> Lexicon:
    frequency: Counter = Counter()
    documents = Intervention.objects.published().values_list("search_document", flat=True)
    for document in documents.iterator():
        frequency.update(w for w in document.split() if w.isalpha() and len(w) > 2)
    return Lexicon(frequency, f" {' '.join(frequency)} ")


_lexicon_cache = KeptValue(_load_lexicon)


def forget_lexicon() -> None:
    """Forget this process's lexicon (an entry's search texts changed)."""
    _lexicon_cache.forget()


def lexicon() -> Lexicon:
    """Built from the published entries' word sets and kept for CACHE_SECONDS, or until an entry's
    search text changes in this process: a suggestion is a hint, so another process may offer an
    outdated one for a few minutes rather than pay a query on every search."""
    return _lexicon_cache.get()


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


def suggest(query: str | ParsedQuery) -> str | None:
    """The query with unknown words replaced by the closest words of the catalogue, or None.

    A word is unknown when its stem occurs nowhere in the catalogue; the replacement is the most
    similar catalogue word (difflib ratio >= 0.75), the more frequent one on a tie. `query`: the
    text, or the query `parse_query` already made of it.
    """
    if isinstance(query, ParsedQuery):
        parsed = query
    else:
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
