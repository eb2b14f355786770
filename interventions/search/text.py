"""Danish text for search, pure functions with no database: normalising, words, stems.

Accents are dropped except on æ, ø and å, which are letters of their own; "aa" is read as "å"
(in texts and queries alike, so "Aabenraa" and "Åbenrå" find each other). Stems are Snowball
Danish, made safe for substring matching (`stem`), so inflections and compounds match:
"hjemløse" finds "hjemløshed", "misbruger" finds "misbrugsbehandling". A query word is also
lemmatised first (simplemma's Danish data, shipped in the package): Snowball alone misses past
participles and person nouns ("skizofrene", "selvmordstruede") and cuts "-ig" ("bolig" -> "bol").
Paragraph mentions in a text ("§ 85", "paragraf 107", "§ 82a-d", "§ 82 (A–D)") become words of
their own (`paragraph_words`: "paragraf85", "paragraf82a" ...), so a paragraph query finds them.
"""

from __future__ import annotations

import re
import threading
import unicodedata

import simplemma
import Stemmer

MAX_QUERY_LENGTH = 200
MIN_INFIX_LENGTH = 4  # shorter stems must start a word

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMER = Stemmer.Stemmer("danish")
_STEMMER_LOCK = threading.Lock()  # a PyStemmer object is not thread-safe

# Snowball's Danish stop-word list, plus abbreviations that carry no meaning in a search.
_STOPWORD_TEXT = (
    """
og i jeg det at en den til er som på de med han af for ikke der var mig sig men et har om vi min
havde ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal selv her alle vil
blev kunne ind når være dog noget ville jo deres efter ned skulle denne end dette mit også under
have dig anden hende mine alt meget sit sine vor mod disse hvis din nogle hos blive mange ad bliver
hendes været thi jer sådan jf fx mv samt
hvordan hvilke hvilken hvilket hvem hvorfor hvornår hvorledes findes gives kan får få
andre gør gøre eksempel eksempler erfaring erfaringer
"""
    + "\n"
)  # question words and their verbs: "hvilke tilbud findes til ..." asks for the rest; the
# fillers of a caseworker's question: "hvad gør andre kommuner ...", "eksempler på ...",
# "erfaringer med ..." (in a two-word query they would be required)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Inflection endings stripped when Snowball's stem is too short to be safe ("ledige" -> "led").
_LIGHT_ENDINGS = ("erne", "ene", "ers", "er", "en", "et", "es", "e", "s")


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


def lemma(word: str) -> str:
    """The word's Danish dictionary form (simplemma), normalised; the word itself if unknown."""
    found = simplemma.lemmatize(word, lang="da")
    return normalise(found) if found else word


def word_patterns(word: str) -> tuple[str, ...]:
    """The text patterns a query word matches by: its stem, its lemma's stem when that differs
    and is not already found by the first ("skizofrene" -> "skizofren", "bolig"), and for a
    noun made from a verb with "-ning"/"-ing" the verb's forms ("udskrivning": "udskrivelse",
    "udskrive", "udskrives"; `verb_base`)."""
    patterns = _inflected_patterns(word)
    base = verb_base(word) or verb_base(lemma(word))  # "udskrivninger": "udskrivning"
    if not base:
        return patterns
    # Not the bare verb stem: "rådgiv" is also in every "socialrådgiver".
    return (*patterns, *(base + ending for ending in _VERB_FORMS))


def _inflected_patterns(word: str) -> tuple[str, ...]:
    first = text_pattern(word)
    if any(c.isdigit() for c in word):
        return (first,)
    lemmatised = lemma(word)
    if lemmatised == word or not lemmatised.isalpha():
        return (first,)
    second = text_pattern(lemmatised)
    # A pattern found inside the other finds everything the other does: keep the shorter only
    # when it is a safe one (four letters or a word start), as text_pattern makes them.
    if second in first or second == first:
        return (second,) if len(second.strip()) >= MIN_INFIX_LENGTH else (first, second)
    if first in second:
        return (first,)
    return (first, second)


_VERBAL_NOUN_ENDINGS = ("ning", "ing")  # "udskrivning", "behandling" (Snowball keeps them)
_VERB_FORMS = ("else", "e ", "es ")  # the "-else" noun, the infinitive and the passive, whole
_MIN_VERB_BASE = 5


def verb_base(word: str) -> str | None:
    """The verb a "-ning"/"-ing" noun is made from: "udskrivning" -> "udskriv", "behandling"
    -> "behandl", a compound's too ("misbrugsbehandling" -> "misbrugsbehandl"); None for other
    words. Only when the infinitive is a Danish verb in its dictionary form (simplemma), itself
    or as the compound's last part: not "boligløsning" ("boligløse" is an adjective's plural),
    nor a short base ("ordning" -> "ord")."""
    if not word.isalpha() or len(word) < 8:
        return None
    ending = next((e for e in _VERBAL_NOUN_ENDINGS if word.endswith(e)), None)
    if ending is None:
        return None
    base = word[: -len(ending)]
    infinitive = base + "e"
    if len(base) < _MIN_VERB_BASE:
        return None
    if simplemma.is_known(infinitive, lang="da"):
        return base if lemma(infinitive) == infinitive else None
    for start in range(1, len(infinitive) - 5):  # "misbrugs|behandle"
        part = infinitive[start:]
        if simplemma.is_known(part, lang="da") and lemma(part) == part:
            return base
    return None


_DERIVED_NOUN_ENDINGS = ("else", "ning", "ing")  # "anbringelse", "udskrivning", "behandling"


def verb_of(word: str) -> str | None:
    """The infinitive a noun made from a verb comes from ("anbringelse" -> "anbringe",
    "udskrivning" -> "udskrive"), when simplemma knows it as a verb in its dictionary form;
    None for other words."""
    if not word.isalpha() or len(word) < 8:
        return None
    ending = next((e for e in _DERIVED_NOUN_ENDINGS if word.endswith(e)), None)
    if ending is None or len(word) - len(ending) < _MIN_VERB_BASE:
        return None
    infinitive = word[: -len(ending)] + "e"
    if simplemma.is_known(infinitive, lang="da") and lemma(infinitive) == infinitive:
        return infinitive
    return None


def text_pattern(word: str) -> str:
    """The substring the normalised texts must contain for `word` to match."""
    if any(c.isdigit() for c in word):
        return f" {word} "
    stemmed = stem(word)
    return stemmed if len(stemmed) >= MIN_INFIX_LENGTH else f" {stemmed}"


# "§ 85", "§§ 107 og 108", "paragraf 104", "§ 82a-d", "§ 82 (A–D)", "§ 82 a": mentions in a text.
_LETTER = r"(?:[a-zæøå]|\s[a-hj-zæ])(?![\wæøå])"  # "82a", "82 b"; not "85 i serviceloven"
_RANGE = r"(?:\s*\(?\s*[a-zæøå]?\s*[-–]\s*[a-zæøå]\s*\)?(?![\wæøå]))"  # "82a-d", "82 (A–D)"
_MENTION = re.compile(
    rf"(?:§§?|\bparagraf(?:fen|ferne|fer)?\b|\bpar\.)\s*"
    rf"(?P<list>\d{{1,3}}(?:{_LETTER})?{_RANGE}?"
    rf"(?:\s*(?:,|/|og|eller|[-–])\s*\d{{1,3}}(?:{_LETTER})?{_RANGE}?)*)",
    re.IGNORECASE,
)
_MENTIONED = re.compile(
    rf"(?P<number>\d{{1,3}})(?P<letter>{_LETTER})?"
    r"(?:\s*\(?\s*(?P<first>[a-zæøå])?\s*[-–]\s*(?P<last>[a-zæøå])\s*\)?(?![\wæøå]))?",
    re.IGNORECASE,
)


def paragraph_word(number: str) -> str:
    """The word a paragraph mention is indexed as: "82 a" -> "paragraf82a"."""
    return "paragraf" + number.replace(" ", "").casefold()


def paragraph_words(text: str) -> list[str]:
    """The paragraphs a text mentions, as words ("paragraf85"), ranges expanded: "§ 82a-d" and
    "§ 82 (A–D)" are 82a, 82b, 82c and 82d."""
    found: list[str] = []
    for mention in _MENTION.finditer(text):
        for m in _MENTIONED.finditer(mention.group("list")):
            number, letter = m.group("number"), (m.group("letter") or "").strip().casefold()
            last = (m.group("last") or "").casefold()
            first = (m.group("first") or letter).casefold()
            if last and first and first <= last and ord(last) - ord(first) < 12:
                found += [paragraph_word(number + chr(c)) for c in range(ord(first), ord(last) + 1)]
                if not m.group("first") and not letter:
                    found.append(paragraph_word(number))
            else:
                found.append(paragraph_word(number + letter))
    return list(dict.fromkeys(found))
