"""Danish text for search without a database: lemmas before stems, paragraph mentions
(interventions/search/text.py)."""

import pytest

from interventions.search.text import (
    STOPWORDS,
    normalise,
    paragraph_words,
    verb_base,
    verb_of,
    word_patterns,
)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("efter § 85 i serviceloven", ["paragraf85"]),
        ("servicelovens §§ 107 og 108", ["paragraf107", "paragraf108"]),
        ("paragraf 104", ["paragraf104"]),
        ("§ 82a-d", ["paragraf82a", "paragraf82b", "paragraf82c", "paragraf82d"]),
        ("§ 82 (A–D)", ["paragraf82a", "paragraf82b", "paragraf82c", "paragraf82d"]),
        ("§ 82 a og § 99", ["paragraf82a", "paragraf99"]),
        ("§ 85, stk. 2", ["paragraf85"]),
        ("SEL § 107-108", ["paragraf107", "paragraf108"]),
        ("jf. § 83a.", ["paragraf83a"]),
        ("paragrafferne i loven", []),
    ],
)
def test_paragraph_mentions_become_words_with_ranges_expanded(text, found):
    assert paragraph_words(text) == found


@pytest.mark.parametrize(
    ("word", "pattern"),
    [
        ("skizofrene", "skizofr"),  # the adjective finds "skizofreni"
        ("selvmordstruede", "selvmordstru"),
        ("bolig", "bolig"),  # not Snowball's "bol"
        ("børn", "barn"),  # the lemma too: "barn" is a catalogue word of its own
        ("anbragte", "anbring"),
    ],
)
def test_a_word_matches_by_its_stem_and_its_lemmas_stem(word, pattern):
    assert pattern in word_patterns(word)


def test_old_spellings_and_accents_fold_alike():
    assert normalise("Aabenraa Café") == normalise("Åbenrå cafe")


@pytest.mark.parametrize(
    ("word", "base"),
    [
        ("udskrivning", "udskriv"),
        ("behandling", "behandl"),
        ("misbrugsbehandling", "misbrugsbehandl"),  # the compound's last part is the verb
        ("udskrivninger", None),  # the plural: word_patterns asks its lemma
        ("boligløsning", None),  # "boligløse" is an adjective, not a verb
        ("ordning", None),  # too short a base to be safe
        ("bolig", None),
    ],
)
def test_a_noun_made_from_a_verb_knows_its_verb(word, base):
    assert verb_base(word) == base


@pytest.mark.parametrize(
    ("word", "verb"),
    [
        ("anbringelse", "anbringe"),
        ("indlæggelse", "indlægge"),
        ("udskrivning", "udskrive"),
        ("boligløsning", None),  # "boligløse" is no verb
        ("ordning", None),  # too short a base
        ("psykoselidelse", None),
    ],
)
def test_a_noun_made_from_a_verb_knows_its_infinitive(word, verb):
    assert verb_of(word) == verb


def test_a_verbal_noun_matches_the_verbs_forms_but_not_the_agent_noun():
    patterns = word_patterns("udskrivninger")
    text = " efter udskrivelse når borgeren udskrives "
    assert sum(1 for p in patterns if p in text) == 2
    # "rådgivning" finds "rådgive", never every "socialrådgiver".
    assert not any(p in " socialrådgiver " for p in word_patterns("rådgivning"))
    assert any(p in " at rådgive " for p in word_patterns("rådgivning"))


def test_a_caseworkers_filler_words_are_stop_words():
    assert {"andre", "gør", "eksempler", "erfaringer"} <= STOPWORDS
