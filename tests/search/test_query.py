"""Queries: how they are understood, matched, ranked and refused (interventions/search/query.py).

The curated catalogue is loaded; entries made here use invented words ("zebrafisk") so that only
they can match.
"""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from interventions.listing.filters import InterventionFilter
from interventions.models import Intervention, LegalBasis, Method, Municipality, TargetGroup
from interventions.search import query as query_module
from interventions.search.hints import snippet, suggest, understand
from interventions.search.query import ParsedQuery, Term, parse_query, ranked, search, word_like
from interventions.search.text import InvalidQuery, stem
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db


def slugs(query: str) -> list[str]:
    return list(search(Intervention.objects.published(), query).values_list("slug", flat=True))


def with_paragraph(label: str, stated: bool | None = None) -> set[str]:
    law, number = label.replace("§", " ").split()
    bases = LegalBasis.objects.filter(
        paragraph__law__abbreviation=law, paragraph__number=number, intervention__is_published=True
    )
    if stated is not None:
        bases = bases.filter(stated_in_source=stated)
    return set(bases.values_list("intervention__slug", flat=True))


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("hjemløse", "hjemløshed"),
        ("udviklingshæmmede", "udviklingshæmning"),
        ("misbruger", "misbrug"),
        ("misbrug", "misbrugsbehandling"),
        ("alkohol", "alkoholbehandling"),
        ("boliger", "boligløsninger"),
    ],
)
def test_a_word_finds_its_inflections_and_compounds(query, found):
    entry = InterventionFactory(summary=f"Et tilbud om {found} i zebrafisk-kommunen.")
    assert entry.slug in slugs(query)


def test_udviklingshaemmede_finds_the_catalogues_udviklingshaemning_entries():
    assert "borgere-med-udviklingshaemning-i-job-aarhus" in slugs("udviklingshæmmede")


def test_a_short_stem_must_start_a_word():
    unge = InterventionFactory(title="Zebrafisk for unge")
    ungdom = InterventionFactory(title="Zebrafisk i ungdomsboliger")
    inside = InterventionFactory(title="Zebrafisk og sammenhængende forløb")
    found = slugs("zebrafisk unge")
    assert unge.slug in found
    assert ungdom.slug in found
    assert inside.slug not in found
    assert stem("unge") == "ung"


def test_a_word_with_digits_is_matched_as_a_whole_word():
    exact = InterventionFactory(summary="Zebrafisk til 360 borgere.")
    longer = InterventionFactory(summary="Zebrafisk til 3600 borgere.")
    assert slugs("zebrafisk 360") == [exact.slug]
    assert longer.slug in slugs("zebrafisk 3600")


def test_old_spelling_and_accents_match_either_way():
    entry = InterventionFactory(title="Zebrafisk-café i Åbenrå")
    assert entry.slug in slugs("zebrafisk cafe aabenraa")
    assert "aaben-dialog-faaborg-midtfyn" in slugs("aaben dialog")


def test_stop_words_are_ignored_unless_the_query_has_nothing_else():
    assert [t.word for t in parse_query("bostøtte til unge i Aarhus").terms] == [
        "bostøtte",
        "unge",
        "århus",
    ]
    assert [t.word for t in parse_query("og").terms] == ["og"]


def test_like_wildcards_in_a_query_are_plain_characters():
    assert slugs("zebra_fisk") == []
    assert parse_query("100%").terms[0].pattern == " 100 "


@pytest.mark.parametrize(
    "query",
    ["§ 85", "§85", "SEL 85", "SEL § 85", "sel §85", "serviceloven § 85", "paragraf 85", "85"],
)
def test_paragraph_85_typed_any_way_finds_the_entries_with_it(query):
    expected = with_paragraph("SEL § 85")
    assert expected
    assert expected <= set(slugs(query))
    if query != "85":  # a bare number is also looked for as text
        assert set(slugs(query)) == expected


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("servicelovens § 108", "SEL § 108"),
        ("paragraf 104", "SEL § 104"),
        ("82b", "SEL § 82b"),
        ("§ 82 b", "SEL § 82b"),
        ("almenboligloven § 105", "ABL § 105"),
        ("§ 105", "ABL § 105"),
        ("RPL 115", "RPL § 115"),
        ("§ 85, stk. 2", "SEL § 85"),
    ],
)
def test_paragraph_forms(query, label):
    assert set(slugs(query)) == with_paragraph(label)


def test_several_paragraphs_after_one_sign_must_all_be_there():
    both = with_paragraph("SEL § 107") & with_paragraph("SEL § 108")
    assert both
    assert set(slugs("§§ 107 og 108")) == both


def test_a_paragraph_combines_with_words():
    found = slugs("bostøtte § 85")
    assert found
    # The legal basis, or the entry's own text stating the paragraph.
    stating = set(
        Intervention.objects.filter(search_document__contains=" paragraf85 ").values_list(
            "slug", flat=True
        )
    )
    assert set(found) <= with_paragraph("SEL § 85") | stating
    assert found[0] == "hjemmevejledning-bostoette-struer"  # "bostøtte jf. SEL §85" in its title


def test_an_unknown_paragraph_finds_nothing():
    assert slugs("§ 999") == []
    assert slugs("SEL § 9a") == []


def test_entries_whose_source_states_the_paragraph_rank_before_assigned_ones():
    stated, assigned = with_paragraph("SEL § 85", True), with_paragraph("SEL § 85", False)
    assert stated and assigned
    found = slugs("§ 85")
    assert set(found[: len(stated)]) == stated


def test_a_word_before_the_sign_that_is_no_law_stays_a_word():
    terms = parse_query("botilbud § 108").terms
    assert [(t.word, bool(t.pattern)) for t in terms] == [("§ 108", False), ("botilbud", True)]


def test_title_above_summary_and_vocabulary_above_body():
    body = InterventionFactory(title="Alfa", activities="Vi bruger zebrafisk.")
    summary = InterventionFactory(title="Beta", summary="Om zebrafisk.")
    assert slugs("zebrafisk") == [summary.slug, body.slug]
    title = InterventionFactory(title="Gamma zebrafisk")
    # A passing mention in the text scores below CUT of a title: it is left out then.
    assert slugs("zebrafisk") == [title.slug, summary.slug]


def test_the_cut_is_read_when_ranking(monkeypatch):
    """`ranked` takes the module's CUT at each call, so the quality sweep's setting applies."""
    title = InterventionFactory(title="Gamma zebrafisk")
    body = InterventionFactory(title="Alfa", activities="Vi bruger zebrafisk.")
    assert [pk for pk, _ in ranked("zebrafisk")] == [title.pk]
    monkeypatch.setattr(query_module, "CUT", 0.0)
    assert [pk for pk, _ in ranked("zebrafisk")] == [title.pk, body.pk]


def test_all_terms_above_some_terms_and_all_but_one_must_match():
    all_three = InterventionFactory(title="Zebrafisk", summary="Kolibri og okapi.")
    two = InterventionFactory(title="Zebrafisk kolibri")
    one = InterventionFactory(title="Zebrafisk alene")
    found = slugs("zebrafisk kolibri okapi")
    assert found.index(all_three.slug) < found.index(two.slug)
    assert one.slug not in found


def test_two_words_must_both_match():
    one = InterventionFactory(title="Zebrafisk alene")
    assert one.slug not in slugs("zebrafisk kolibri")


def test_of_two_words_one_that_most_entries_have_is_not_required_beside_a_rarer_one():
    # "behov" is in most entries' texts: a context word, like "socialområdet" in
    # "investeringsmodeller på socialområdet". The rarer word is still required.
    published = Intervention.objects.published()
    assert published.filter(search_document__contains="behov").count() > published.count() / 2
    without = InterventionFactory(title="Zebrafisk")
    assert "behov" not in Intervention.objects.get(pk=without.pk).search_document
    assert without.slug in slugs("zebrafisk behov")
    assert without.slug not in slugs("zebrafisk kolibri")
    with_both = InterventionFactory(title="Zebrafisk", summary="Efter behov.")
    found = slugs("zebrafisk behov")
    assert found.index(with_both.slug) < found.index(without.slug)


def test_more_occurrences_break_a_tie_and_the_order_is_stable():
    once = InterventionFactory(title="Alfa", summary="Zebrafisk.")
    often = InterventionFactory(title="Beta", summary="Zebrafisk, zebrafisk og zebrafisk.")
    assert slugs("zebrafisk") == [often.slug, once.slug]
    assert slugs("zebrafisk") == slugs("zebrafisk")


def test_search_annotates_rank_and_another_order_can_follow():
    results = search(Intervention.objects.published(), "psykiatri")
    ranks = [i.rank for i in results]
    assert ranks == sorted(ranks, reverse=True)
    by_title = list(results.order_by("title").values_list("title", flat=True))
    assert by_title == sorted(by_title)
    assert len(by_title) == len(ranks)


def test_without_a_query_the_order_is_the_default_one():
    listed = InterventionFilter(QueryDict(""), queryset=Intervention.objects.published()).qs
    assert list(listed) == list(Intervention.objects.published().order_by("title", "slug"))
    assert list(search(Intervention.objects.published(), "")) == list(listed)


@pytest.mark.parametrize(
    ("query", "message"),
    [("x" * 201, "for lang"), ("%%%", "mindst ét bogstav"), ("§ - ?", "mindst ét bogstav")],
)
def test_unsearchable_queries_are_refused_with_a_danish_message(query, message):
    with pytest.raises(InvalidQuery, match=message):
        search(Intervention.objects.all(), query)
    form = InterventionFilter(QueryDict(urlencode({"q": query}))).form
    assert not form.is_valid()
    assert message in str(form.errors["q"])


@pytest.mark.parametrize("query", ["x" * 201, "%%%", "§", "\x00"])
def test_the_list_page_answers_400_not_500(client, query):
    response = client.get("/indsatser/", {"q": query})
    assert response.status_code == 400


def count_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/indsatser/", params).status_code == 200
    return len(ctx.captured_queries)


def test_a_search_costs_one_query_a_group_the_first_time_and_none_again(client):
    def searches(params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/indsatser/", params).status_code == 200
        # The words lookups read the narrow search texts (`SearchEntry`), not the entries.
        return sum("interventions_searchentry" in q["sql"] for q in ctx.captured_queries)

    client.get("/indsatser/", {"q": "bolig"})  # the lexicon is read once per process
    for query in ("krisecenter", "psykiatri", "døgnophold"):  # few matches, many, a compound
        # One indexed lookup per group of patterns: the stem, the lemma's stem, a compound's
        # parts together (the database intersects them); and one read of the titles and
        # metadata that hold the word.
        terms = understand(query).terms
        assert searches({"q": query}) == sum(len(t.looked_up) + bool(t.counted) for t in terms)
        assert searches({"q": query, "page": "2"}) == 0
        assert searches({"q": query, "sector": "kommunal"}) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_postgresql_has_the_search_indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes"
            " WHERE tablename IN ('interventions_intervention', 'interventions_searchword',"
            " 'interventions_searchentry', 'interventions_searchentrytext')"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert {
        "interventions_search_words_gin",
        "interventions_searchentry_words_gin",
        "interventions_searchentrytext_fields_gin",
        "interventions_searchword_trgm",
        "interventions_search_title_trgm",
        "interventions_search_meta_trgm",
    } <= names
    assert "interventions_search_document_trgm" not in names


@pytest.mark.parametrize(
    ("pattern", "like"),
    [("misbrug", "%misbrug%"), (" ung", "ung%"), (" 85 ", "85"), ("a_b", "%a\\_b%")],
)
def test_a_text_pattern_becomes_a_like_over_single_words(pattern, like):
    assert word_like(pattern) == like


QUERY_PIECES = st.sampled_from(
    [
        "§",
        "§§",
        " ",
        "85",
        "82 b",
        "og",
        "SEL",
        "serviceloven",
        "paragraf",
        "%",
        "_",
        "'",
        '"',
        "\\",
        "æøå",
        "aa",
        "unge",
        "misbrug",
        "-",
        ",",
        "0",
        "9999",
        "é",
        "ß",
        "İ",
        "\u00a0",
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(QUERY_PIECES | st.text(max_size=8), max_size=12).map("".join))
def test_any_query_is_either_refused_in_danish_or_answered(query):
    try:
        results = list(search(Intervention.objects.published(), query)[:5])
    except InvalidQuery as exc:
        assert "Søgningen" in str(exc)
        return
    parsed = parse_query(query)
    for entry in results:
        assert isinstance(snippet(entry, parsed), str)
    suggest(query)


# --- Ranking: places, paragraphs in the text, vocabulary and aliases -----------------------------


def test_a_place_name_stays_whole_and_its_entries_come_first():
    struer = Municipality.objects.get(name="Struer")
    run_there = InterventionFactory(title="Zebrafisk", municipalities=[struer])
    inside = InterventionFactory(title="Zebrafisk på Struervej")
    mentioned = InterventionFactory(title="Zebrafisk", summary="Som i Struer.")
    found = slugs("zebrafisk struer")
    assert found[0] == run_there.slug
    assert mentioned.slug in found
    assert inside.slug not in found
    assert parse_query("struer").terms[0].place


def test_a_region_finds_its_municipalities_entries():
    struer = Municipality.objects.get(name="Struer")  # in Region Midtjylland
    entry = InterventionFactory(title="Zebrafisk", municipalities=[struer])
    assert entry.slug in slugs("zebrafisk Region Midtjylland")


def test_a_paragraph_stated_only_in_the_text_is_found_below_the_legal_basis():
    text = InterventionFactory(title="Zebrafisk", activities="Tilbuddet gives efter § 82a-d.")
    basis = InterventionFactory(title="Zebrafisk", paragraphs=["SEL § 82b"])
    assert slugs("zebrafisk § 82b") == [basis.slug, text.slug]
    assert "forebyggelse-funktionel-hjemloeshed-act-aarhus" in slugs("§ 110")  # its text says so


def test_a_vocabulary_term_outranks_a_passing_mention():
    tagged = InterventionFactory(
        title="Zebrafisk", target_groups=[TargetGroup.objects.get(slug="voksne-med-autisme")]
    )
    mention = InterventionFactory(title="Zebrafisk", activities="Nogle har autisme.")
    found = slugs("zebrafisk autisme")
    assert found.index(tagged.slug) < found.index(mention.slug)


def test_an_entry_whose_vocabulary_is_mostly_the_term_outranks_one_with_many_terms():
    # BM25's length normalisation of the vocabulary field: the entry whose one target group is
    # autism is squarely about it; the one with seven target groups is in part. The broad one
    # comes first in title order, so only the ranking can put the focused one first.
    autism = TargetGroup.objects.get(slug="voksne-med-autisme")
    others = list(TargetGroup.objects.exclude(pk=autism.pk).order_by("slug")[:6])
    focused = InterventionFactory(title="Beta zebrafisk", target_groups=[autism])
    broad = InterventionFactory(title="Alfa zebrafisk", target_groups=[autism, *others])
    found = slugs("zebrafisk autisme")
    assert found.index(focused.slug) < found.index(broad.slug)


def test_an_alias_reaches_the_terms_entries():
    method = Method.objects.get(slug="peer-stoette")
    entry = InterventionFactory(title="Zebrafisk")
    entry.methods.set([method])
    assert entry.slug in slugs("zebrafisk peer support")
    assert entry.slug in slugs("zebrafisk ligestillet støtte")
    method.aliases = "zebrafiskestøtte"
    method.save()
    assert entry.slug in slugs("zebrafiskestøtte")


def test_a_longer_query_counts_its_words_in_an_entrys_fields_above_passing_mentions():
    # Two of four words in the title outweigh all four named in passing in the text: an entry
    # is about what its title and summary say, not what its text lists.
    fielded = InterventionFactory(title="Zebrafisk og okapi")
    mentions = InterventionFactory(
        title="Andet", activities="Her nævnes zebrafisk, okapi, kolibri og struds."
    )
    found = slugs("zebrafisk okapi kolibri struds")
    assert found.index(fielded.slug) < found.index(mentions.slug)


def test_question_words_are_stop_words_and_long_queries_rank_by_rarer_words():
    assert [t.word for t in parse_query("hvordan kan vi hjælpe hjemløse").terms] == [
        "hjælpe",
        "hjemløse",
    ]
    entry = InterventionFactory(title="Zebrafisk", summary="Okapi.")
    # Not every word is required of a longer query: the rare ones carry it.
    assert entry.slug in slugs("zebrafisk okapi kolibri struds")


def test_a_group_holding_a_smaller_groups_patterns_is_not_looked_up():
    term = Term("x", "sammenhæng", alternatives=(("sammenhæng", " end"), ("over", "sætt")))
    assert term.looked_up == (("sammenhæng",), ("over", "sætt"))


def test_a_compound_typed_as_one_word_finds_the_entries_with_all_its_parts():
    both = InterventionFactory(title="Quiffen i zorblatten")
    InterventionFactory(title="Quiffen alene")
    InterventionFactory(title="Zorblatten alene")
    term = Term("zorblatquiff", "zorblatquiff", alternatives=(("zorblat", "quiff"),))
    assert [pk for pk, _ in ranked(ParsedQuery(terms=[term]), cut=0)] == [both.pk]
