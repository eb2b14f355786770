"""Snippets and "Mente du" suggestions beside the results (interventions/search/hints.py)."""

from collections import Counter

import pytest

from interventions.models import Intervention, TargetGroup
from interventions.search.hints import Lexicon, snippet, suggest, understand
from interventions.search.query import parse_query, search
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db


def slugs(query: str) -> list[str]:
    return list(search(Intervention.objects.published(), query).values_list("slug", flat=True))


def test_snippet_marks_the_matched_words_and_escapes_the_text():
    entry = InterventionFactory(
        summary="Tekst.", activities="<b>Farlig</b> tekst om zebrafiskene & deres hjemløshed."
    )
    html = snippet(entry, parse_query("zebrafisk hjemløse"))
    assert "<mark>zebrafiskene</mark>" in html
    assert "<mark>hjemløshed</mark>" in html
    assert "&lt;b&gt;Farlig&lt;/b&gt;" in html
    assert "&amp;" in html
    assert "<b>" not in html


def test_snippet_is_empty_when_the_match_is_not_in_the_text():
    entry = Intervention.objects.get(slug="fact-skive")
    assert snippet(entry, parse_query("§ 85")) == ""


def test_snippet_is_cut_around_the_match():
    entry = InterventionFactory(summary=" ".join(["ord"] * 80 + ["zebrafisk"] + ["ord"] * 80))
    html = snippet(entry, parse_query("zebrafisk"))
    assert html.startswith("…") and html.endswith("…")
    assert len(html.split()) < 50


def text_of(html: str) -> str:
    return html.replace("<mark>", "").replace("</mark>", "")


def test_snippet_keeps_a_sentence_whole_across_abbreviations_and_wrapped_lines():
    entry = InterventionFactory(
        summary="Tekst.",
        activities=(
            "Tilbuddet gives bl.a. til zebrafisk med ca. 20 pladser, jf. Serviceloven, og\n"
            "andre borgere i kommunen. Næste sætning handler om noget andet."
        ),
    )
    html = snippet(entry, parse_query("zebrafisk"))
    assert text_of(html) == (
        "Tilbuddet gives bl.a. til zebrafisk med ca. 20 pladser, jf. Serviceloven, og\n"
        "andre borgere i kommunen."
    )


def test_a_long_sentence_is_cut_after_a_clause_with_an_ellipsis():
    clause = " ".join(["ord"] * 20)
    entry = InterventionFactory(
        summary="Tekst.",
        activities=f"Zebrafisk {clause}, og så {clause} og {clause} slutter her.",
    )
    html = snippet(entry, parse_query("zebrafisk"))
    assert text_of(html) == f"Zebrafisk {clause} …"


def test_a_long_sentence_without_a_clause_ends_on_a_word_that_does_not_dangle():
    # The thirtieth word is "i": the snippet ends before it, on "ord", with an ellipsis.
    entry = InterventionFactory(
        summary="Tekst.",
        activities="Zebrafisk " + " ".join(["ord"] * 28) + " i samarbejde med " + "flere " * 20,
    )
    html = text_of(snippet(entry, parse_query("zebrafisk")))
    assert html.endswith("ord …")
    assert not html.endswith((" i …", " og …", " med …"))


def test_snippet_passes_over_headings_and_drops_list_dashes():
    entry = InterventionFactory(
        summary="Tekst.",
        activities="### Zebrafisk\n\n- Zebrafisk og okapi i samme tilbud\n- Andet",
    )
    assert text_of(snippet(entry, parse_query("zebrafisk"))) == (
        "Zebrafisk og okapi i samme tilbud"
    )


def test_a_snippet_asked_again_is_not_worked_out_again(monkeypatch):
    """A search's next page view, or another process's request for the same words, reads the
    snippets it showed before: they depend only on the entry's texts and the query."""
    from interventions.search import hints

    entry = InterventionFactory(summary="Tekst.", activities="Zebrafisk i et tilbud til okapi.")
    first = snippet(entry, parse_query("zebrafisk"))

    def worked_out(*args):
        raise AssertionError("the snippet was worked out again")

    monkeypatch.setattr(hints, "_highlight", worked_out)
    again = Intervention.objects.get(pk=entry.pk)  # loaded again: its texts are new strings
    assert snippet(again, parse_query("zebrafisk")) == first


def test_an_edited_text_never_shows_the_snippet_of_the_old_one():
    entry = InterventionFactory(summary="Tekst.", activities="Zebrafisk i et tilbud til okapi.")
    assert "okapi" in snippet(entry, parse_query("zebrafisk"))
    entry.activities = "Zebrafisk i et tilbud til giraffer."
    edited = snippet(entry, parse_query("zebrafisk"))
    assert "giraffer" in edited and "okapi" not in edited


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        ("psykatri", "psykiatri"),
        ("hjemlløse", "hjemløse"),
        ("alkhol Holstebro", "alkohol Holstebro"),
    ],
)
def test_a_misspelled_word_gets_a_suggestion_from_the_catalogues_words(query, suggestion):
    assert suggest(query) == suggestion
    assert slugs(suggestion)


def test_known_words_and_paragraphs_get_no_suggestion():
    assert suggest("psykiatri Herning") is None
    assert suggest("§ 85 bostøtte") is None


def test_list_page_searches_the_correction_and_links_the_original_keeping_the_filters(client):
    response = client.get("/indsatser/", {"q": "psykatri", "region": "region-midtjylland"})
    assert response.context["suggestion"] == {
        "text": "psykiatri",
        "original": "psykatri",
        "url": "?q=%22psykatri%22&region=region-midtjylland",
    }
    corrected = client.get("/indsatser/", {"q": "psykiatri", "region": "region-midtjylland"})
    assert response.context["page"].paginator.count == corrected.context["page"].paginator.count
    page = response.content.decode()
    assert "Viser resultater for »psykiatri«" in page
    assert '<a href="?q=%22psykatri%22&amp;region=region-midtjylland"' in page


def test_a_quoted_word_is_never_corrected(client):
    response = client.get("/indsatser/", {"q": '"psykatri"'})
    assert response.context["suggestion"] is None
    assert response.context["page"].paginator.count == 0


def test_list_page_corrects_a_typo_among_known_words(client):
    response = client.get("/indsatser/", {"q": "psykatri akut Herning"})
    assert response.context["page"].paginator.count
    assert response.context["suggestion"]["text"] == "psykiatri akut Herning"
    assert client.get("/indsatser/", {"q": "psykiatri akut Herning"}).context["suggestion"] is None


def test_list_page_shows_snippets_in_relevance_order_unless_sorted(client):
    response = client.get("/indsatser/", {"q": "alkohol"})
    page = list(response.context["page"])
    assert page[0].slug == "virtuel-alkoholbehandling-holstebro"
    assert "<mark>" in str(page[0].snippet)
    assert "<mark>" in response.content.decode()
    sorted_page = list(client.get("/indsatser/", {"q": "alkohol", "sort": "title"}).context["page"])
    assert [i.title for i in sorted_page] == sorted(i.title for i in sorted_page)


def test_list_page_without_a_query_has_no_snippets_or_suggestion(client):
    response = client.get("/indsatser/")
    assert response.context["suggestion"] is None
    assert all(i.snippet == "" for i in response.context["page"])


# --- Corrections searched, never of known or quoted words ---------------------------------------


@pytest.mark.parametrize(
    ("query", "corrected"),
    [
        ("hjemloese", "hjemløse"),  # "oe" read as "ø"
        ("saerlige behov", "særlige behov"),  # "ae" read as "æ"
        ("støtekontaktperson", "støttekontaktperson"),
        ("autsime", "autisme"),  # two letters swapped: one edit
    ],
)
def test_a_word_the_catalogue_lacks_is_corrected_and_searched(query, corrected):
    parsed = understand(query)
    assert parsed.corrected == corrected
    assert slugs(query) == slugs(corrected)
    assert slugs(query)


@pytest.mark.parametrize(
    ("query", "corrected"),
    [
        ("udskrivnig", "udskrivning"),  # its stem "udskrivn" is a piece of "udskrivning"
        ("misbrugsbehandlig", "misbrugsbehandling"),
    ],
)
def test_a_typo_whose_stem_is_inside_catalogue_words_is_corrected(query, corrected):
    # The typo's stem matches (a prefix of the word), but not as the word does: "udskrivnig"
    # alone would miss the entries that say "udskrivelse" (the verb's forms "udskrivning" finds).
    assert understand(query).corrected == corrected
    assert slugs(query) == slugs(corrected)


@pytest.mark.parametrize("query", ["bostøtter", "misbrugere", "udviklingshæmmede"])
def test_a_correctly_inflected_word_missing_from_the_texts_is_not_corrected(query):
    # Not a catalogue word as typed, perhaps, but a Danish word or one with a correction's stem.
    assert understand(query).corrected is None


@pytest.mark.parametrize(
    "query", ["psykiatri", "Aabenraa", "peer support", "IPS", "housing first", '"psykatri"']
)
def test_known_alias_place_and_quoted_words_are_never_corrected(query):
    assert understand(query).corrected is None


def test_english_words_outside_the_aliases_get_no_danish_correction():
    for word in ("housing", "support", "mentoring", "wellbeing"):
        assert understand(word).corrected is None, word


def test_a_word_the_catalogue_writes_often_is_not_read_as_two():
    # "hjemløse" is in many catalogue words (hjemløse, hjemløshed ...): not "hjem" + "løse".
    autism = TargetGroup.objects.get(slug="voksne-med-autisme")
    parts = InterventionFactory(
        title="Zebrafisk", summary="Støtte i eget hjem og nye løsninger.", target_groups=[autism]
    )
    assert parts.slug not in slugs("hjemløse")
    assert not any(len(group) > 1 for t in understand("hjemløse").terms for group in t.groups)
    assert any(len(group) > 1 for t in understand("døgnophold").terms for group in t.groups)


def test_a_compound_the_texts_write_apart_is_found_by_its_parts():
    apart = InterventionFactory(summary="Ophold i zebrafisk-døgnet og zebrafiskeophold.")
    entry = InterventionFactory(title="Zebrafisk", summary="Et døgn med kort ophold.")
    found = slugs("zebrafisk døgnophold")
    assert entry.slug in found
    assert apart.slug not in found or found.index(entry.slug) >= 0


def test_two_words_the_texts_write_as_one_are_joined():
    entry = InterventionFactory(title="Zebrafisk", summary="Bostøtte til zebrafisk.")
    assert entry.slug in slugs("zebrafisk bo støtte")


# --- An alias typed whole: the term's name is searched too --------------------------------------


def test_an_alias_typed_whole_finds_the_entries_that_use_the_terms_name():
    # "substance abuse" names the target group "Borgere med misbrug": an entry about
    # "misbrugsbehandling" is found by it, though no editor gave it the target group.
    untagged = InterventionFactory(title="Zebrafiskenes misbrugsbehandling")
    assert untagged.slug in slugs("substance abuse")
    assert untagged.slug in slugs("rusmiddel")
    groups = [g for t in understand("substance abuse").terms for g in t.groups]
    assert ("misbrug",) in groups


def test_a_word_met_only_inside_a_longer_alias_names_no_term():
    # "uden bolig" is an alias of "Hjemløse"; "bolig" alone does not name it.
    assert understand("bolig").terms[0].groups == parse_query("bolig").terms[0].groups


def test_a_policy_areas_topic_alias_does_not_bring_in_the_areas_name():
    # "botilbud" is listed under the policy area "Bolig", but a botilbud is not any housing.
    assert understand("botilbud").terms[0].groups == parse_query("botilbud").terms[0].groups


def test_the_terms_own_name_is_not_added_twice():
    assert understand("misbrug").terms[0].groups == parse_query("misbrug").terms[0].groups


def test_a_noun_made_from_a_verb_finds_its_irregular_participles_as_passing_mentions(client):
    # "anbragte" shares no stem with "anbringelse"; simplemma's lemma links them.
    said_otherwise = "sunde-boern-leger-bedst-aarhus"  # says "anbragte", never "anbringelse"
    titled = InterventionFactory(title="Zebrafisk og anbragte børn", summary="Om anbragte børn.")
    named = InterventionFactory(title="Zebrafisk", summary="Om børn efter en anbringelse.")
    for query in ("anbringelse", "anbringelser"):
        found = slugs(query)
        assert said_otherwise in found
        # The other word of the family is a passing mention, never the entry's subject.
        assert found.index(named.slug) < found.index(titled.slug)
        page = client.get("/indsatser/", {"q": query}).context["page"]
        assert said_otherwise in [entry.slug for entry in page]
        api = client.get("/api/interventions/", {"q": query, "page_size": 200}).json()
        assert [item["slug"] for item in api["results"]] == found
    # Only the forms with another stem: not "udskriv", which is in "udskriver" and more.
    assert ("udskriv",) not in understand("udskrivning").terms[0].groups


# --- A pattern inside another word --------------------------------------------------------------


def lexicon_of(*words: str) -> Lexicon:
    return Lexicon(Counter(dict.fromkeys(words, 1)), f" {' '.join(words)} ", list(words))


def test_a_pattern_after_a_particle_or_a_piece_of_a_word_is_narrowed_to_its_own_words():
    lex = lexicon_of("ældre", "ældreboliger", "forældre", "parkeringskældre", "botilbud", "tilbud")
    # "for" is a particle, "parkeringsk" no word: only the words that start with "ældr".
    assert lex.narrowed("ældr") == (" ældr",)
    # After a word ("bo"), the pattern is the compound's own part: nothing to narrow.
    assert lex.narrowed("tilbud") == ("tilbud",)
    # Inside a compound after a word, beside a wrong one: the kept word gets a pattern of its own.
    lex = lexicon_of("gæld", "pågældende", "spillegæld")
    assert lex.narrowed("gæld") == (" gæld", "egæld")
    # Every word that has it is another word: the pattern finds none of them.
    assert lexicon_of("hvordan").narrowed("vord") == (" vord",)


def test_a_pattern_that_takes_too_many_patterns_to_narrow_is_left_as_it_is():
    # "misbrug" and "forbrug" are other words; three compounds after a word need three patterns.
    kept = [f"{w}brug" for w in ("alkohol", "stof", "tids")]
    assert lex_of_brug(kept).narrowed("brug") == ("brug",)
    # Two: each the shortest piece that no other word holds ("sbrug" is in "misbrug").
    assert lex_of_brug(kept[1:]).narrowed("brug") == ("fbrug", "dsbrug")


def lex_of_brug(kept: list[str]) -> Lexicon:
    return lexicon_of("forbrug", "misbrug", *kept)


def test_a_word_inside_another_word_after_a_particle_no_longer_finds_it(client):
    own = InterventionFactory(title="Zebrafisk", summary="Zebrafisk for ældre i eget hjem.")
    other = InterventionFactory(title="Zebrafisk", summary="Zebrafisk for forældre til små børn.")
    groups = [g for t in understand("zebrafisk ældre").terms for g in t.groups]
    assert ("ældr",) not in groups and (" ældr",) in groups
    found = slugs("zebrafisk ældre")
    assert own.slug in found and other.slug not in found
    page = client.get("/indsatser/", {"q": "zebrafisk ældre"}).context["page"]
    assert [entry.slug for entry in page] == found
    api = client.get("/api/interventions/", {"q": "zebrafisk ældre", "page_size": 200}).json()
    assert [item["slug"] for item in api["results"]] == found
    # A quoted word is taken as typed.
    assert other.slug in slugs('zebrafisk "ældre"')
    # The name an alias brings in ("Ældre" for "elderly") is narrowed too.
    assert (" ældr",) in [g for t in understand("zebrafisk elderly").terms for g in t.groups]
    found = slugs("zebrafisk elderly")
    assert own.slug in found and other.slug not in found
    api = client.get("/api/interventions/", {"q": "zebrafisk elderly", "page_size": 200}).json()
    assert [item["slug"] for item in api["results"]] == found


def test_the_narrowed_patterns_a_lexicon_keeps_are_bounded(monkeypatch):
    monkeypatch.setattr("interventions.search.hints.NARROWED_KEPT", 2)
    lex = lexicon_of("ældre", "forældre", "gæld", "pågældende")
    for pattern in ("ældr", "gæld", "tilbud"):
        lex.narrowed(pattern)
    assert len(lex._narrowed) <= 2
    assert lex.narrowed("ældr") == (" ældr",)
