"""The lookup of a search (interventions/search/query.py `_match`): an entry's title and metadata
are sent only where the term occurs in them (on all the published entries: read through the
index over the fields' words, `_read_fields`), and the ranking is exactly what it is when every
matching entry's texts are sent from the entries' own rows; each vocabulary term's entries come
from a map kept for the catalogue version, with the same results as a query per relation; the
entries that have a word in their text alone are scored as one group, with the same scores as one
by one.

The curated catalogue is loaded; entries made here use invented words ("zebrafisk") so that only
they can match.
"""

import random
from pathlib import Path

import pytest
import yaml
from django.db import connection, transaction
from django.db.models import F

from interventions.models import (
    Intervention,
    Method,
    PolicyArea,
    SearchEntry,
    SearchEntryText,
    SearchWord,
    TargetGroup,
)
from interventions.search import query
from interventions.search.hints import understand
from interventions.search.query import (
    ParsedQuery,
    Term,
    _FieldWords,
    _match,
    _TermMatches,
    ranked,
    word_term,
)
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db

JUDGED = Path(__file__).resolve().parents[2] / "bench" / "search_quality" / "queries.yaml"


def every_text_sent(name: str, patterns: list[str]):
    """The lookup as it was: every matching entry's field, whether the term occurs in it or not."""
    return F(name)


def ranked_with_every_text(monkeypatch, parsed) -> list[tuple[int, int]]:
    """The ranking as it was: the entries' own rows, every matching entry's texts sent."""
    with monkeypatch.context() as patched:
        patched.setattr(query, "_if_in", every_text_sent)
        return ranked(parsed, queryset=Intervention.objects.published())


def same(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    """The same (id, score) pairs in the same order of scores (ties come in no set order)."""
    return sorted(a) == sorted(b) and [s for _pk, s in a] == [s for _pk, s in b]


def test_only_entries_with_the_word_in_a_field_send_their_texts():
    titled = InterventionFactory(title="Zebrafiskens hus")
    summarised = InterventionFactory(summary="Et tilbud med zebrafisk om tirsdagen.")
    mentioned = InterventionFactory(purpose="Vi har også en zebrafisk i gården.")
    texts: dict[int, tuple[str, str]] = {}
    found = _match(word_term("zebrafisk"), Intervention.objects.published(), texts)
    assert found.body == {titled.pk, summarised.pk, mentioned.pk}
    titled.refresh_from_db()
    summarised.refresh_from_db()
    assert texts[titled.pk] == (titled.search_title, "")
    assert texts[summarised.pk] == ("", summarised.search_meta)
    assert texts[mentioned.pk] == ("", "")


def test_on_all_published_entries_only_the_fields_that_hold_the_word_are_read():
    """Weighed as they are read (`_TermMatches.weighed`), with the term's other fields (a
    vocabulary term), as `_weight` weighs them from the texts; the texts are not kept."""
    group = TargetGroup.objects.create(slug="zebrafiskere", name="Zebrafiskere")
    titled = InterventionFactory(title="Zebrafiskens hus")
    summarised = InterventionFactory(summary="Et tilbud med zebrafisk og zebrafisk.")
    named = InterventionFactory(title="Zebrafisk", target_groups=[group])
    mentioned = InterventionFactory(purpose="Vi har også en zebrafisk i gården.")
    hidden = InterventionFactory(title="Zebrafisk", is_published=False)
    texts: dict[int, tuple[str, str]] = {}
    term = word_term("zebrafisk")
    found = _match(term, Intervention.objects.published(), texts, query._catalogue)
    assert found.body == {titled.pk, summarised.pk, named.pk, mentioned.pk}
    assert found.fielded == {titled.pk, summarised.pk, named.pk}
    named.refresh_from_db()
    by_weight = query._weight(
        term, found, named.pk, {named.pk: (named.search_title, named.search_meta)}
    )
    # W_BODY and once in the title (W_TITLE), or twice in the metadata (W_META each).
    assert found.weighed == {3.5: {titled.pk}, 2.5: {summarised.pk}, by_weight: {named.pk}}
    assert texts == {}
    assert hidden.pk not in found.entries


def test_a_compound_counts_in_a_field_only_with_all_its_parts_there(monkeypatch):
    """A group of patterns ("døgn" + "ophold") counts in a field that holds every part; a field
    that holds one part and the metadata the other is not read for it."""
    together = InterventionFactory(title="Zebra og kamel", summary="Intet om dyr.")
    apart = InterventionFactory(title="Zebraen", summary="En kamel.")
    term = Term("zebrakamel", "zebrakamel", alternatives=(("zebra", "kamel"),))
    texts: dict[int, tuple[str, str]] = {}
    found = _match(term, Intervention.objects.published(), texts, query._catalogue)
    assert found.body == {together.pk, apart.pk}
    assert found.fielded == {together.pk}
    parsed = ParsedQuery(terms=[term], text="zebrakamel", original="zebrakamel")
    assert same(ranked(parsed), ranked_with_every_text(monkeypatch, parsed))
    assert ranked(parsed)[0][0] == together.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes are PostgreSQL's")
def test_postgresql_reads_the_fields_through_their_words_index():
    """The index of migration 0016 is over the expression `_fields_counted` asks: the same SQL."""
    InterventionFactory(title="Zebrafiskens hus")
    rows = (
        SearchEntryText.objects.annotate(field_words=_FieldWords("title", "meta"))
        .filter(field_words__words_match="zebrafisk")
        .values_list("intervention_id")
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = rows.explain()
    assert "interventions_searchentrytext_fields_gin" in plan


@pytest.mark.parametrize(
    "groups",
    [
        (("zebra",),),
        (("ørred",),),  # letters of two bytes: counted in bytes on PostgreSQL
        (("zz",),),  # repeats: "zzzz" holds it twice, as `str.count` counts, not three times
        ((" zeb",),),  # a pattern at a word's start
        (("zebra", "ørred"), ("kamel",)),  # the best group, a group as often as its rarest part
    ],
)
def test_the_database_counts_a_field_as_field_count_does(groups):
    """`_counted` (SQL) is `_field_count` (Python) of the title and metadata, caps included."""
    entries = [
        InterventionFactory(title="Zebra zebra zebra zebra", summary="Ørreden og zebraørred."),
        InterventionFactory(title="Zzzz zzzzz kamel", summary="Kamel, kamel og zebra ørred."),
        InterventionFactory(title="Æblet", summary="Zebrazebrazebrazebrazebrazebra ørred ørred."),
    ]
    counted = SearchEntryText.objects.filter(intervention__in=entries).values_list(
        "title", "meta", query._counted("title", groups, 3), query._counted("meta", groups, 5)
    )
    assert len(counted) == 3
    for title, meta, in_title, in_meta in counted:
        assert (in_title, in_meta) == (
            query._field_count(groups, title, 3),
            query._field_count(groups, meta, 5),
        )
    assert max(count for row in counted for count in row[2:]) > 1  # repeats were counted


def test_a_field_another_term_sent_is_kept():
    entry = InterventionFactory(title="Zebrafiskens hus", summary="Om kamelryttere.")
    entry.refresh_from_db()
    texts: dict[int, tuple[str, str]] = {}
    published = Intervention.objects.published()
    _match(word_term("zebrafisk"), published, texts)
    _match(word_term("kamelrytter"), published, texts)
    _match(word_term("hus"), published, texts)  # in the title, already sent
    assert texts[entry.pk] == (entry.search_title, entry.search_meta)


def test_every_pattern_of_the_judged_queries_lies_within_a_word():
    """What makes sending only the fields that hold a pattern exact (and the PostgreSQL words
    lookup right): a pattern spanning words could be in a field but in no single word."""
    judged = [q["query"] for q in yaml.safe_load(JUDGED.read_text())["queries"]]
    spanning = {
        (text, pattern)
        for text in judged
        for term in understand(text).terms
        for pattern in term.patterns
        if " " in pattern.strip()
    }
    assert judged
    assert spanning == set()


@pytest.mark.parametrize(
    "text",
    [
        "zebrafisk",
        "zebrafisk kamelrytter",
        "kamelrytter hus zebrafisk",
        "zebrafiskens kamelryttere i byen",
        "zebrafisk hjemløse",
    ],
)
def test_words_in_different_fields_of_one_entry_rank_as_with_every_text(monkeypatch, text):
    InterventionFactory(title="Zebrafiskens hus", summary="Om kamelryttere.")
    InterventionFactory(title="Kamelrytter", purpose="zebrafisk og hjemløse")
    InterventionFactory(summary="zebrafisk, zebrafisk, zebrafisk", purpose="kamelrytter")
    InterventionFactory(purpose="Zebrafisk, kamelrytter og hus.")
    parsed = understand(text)
    assert ranked(parsed)
    assert same(ranked(parsed), ranked_with_every_text(monkeypatch, parsed))


def test_every_judged_query_and_sampled_words_rank_as_with_every_text(monkeypatch):
    judged = [q["query"] for q in yaml.safe_load(JUDGED.read_text())["queries"]]
    vocabulary = list(SearchWord.objects.order_by("pk").values_list("word", flat=True))
    sampled = random.Random(23).sample(vocabulary, 150)
    differ = []
    for text in judged + sampled:
        parsed = understand(text)
        if not same(ranked(parsed), ranked_with_every_text(monkeypatch, parsed)):
            differ.append(text)
    assert len(judged) > 50
    assert differ == []


def judged_and_sampled() -> list[str]:
    judged = [q["query"] for q in yaml.safe_load(JUDGED.read_text())["queries"]]
    vocabulary = list(SearchWord.objects.order_by("pk").values_list("word", flat=True))
    assert len(judged) > 50
    return judged + random.Random(24).sample(vocabulary, 150)


def test_the_kept_vocabulary_entries_rank_as_a_query_per_relation():
    """Any other queryset than all the published entries asks the database per relation."""
    differ = []
    for text in judged_and_sampled():
        parsed = understand(text)
        by_query = ranked(parsed, queryset=Intervention.objects.published())
        if not same(ranked(parsed), by_query):
            differ.append(text)
    assert differ == []


def test_a_vocabulary_term_given_to_an_entry_finds_it_at_once():
    """Through an alias, which is in no entry's text: only the vocabulary finds these entries."""
    group = TargetGroup.objects.create(
        slug="zebrafiskere", name="Zebrafiskere", aliases="Kamelryttere"
    )
    first = InterventionFactory(target_groups=[group])
    assert {pk for pk, _score in ranked("kamelrytter")} == {first.pk}
    second = InterventionFactory()
    second.target_groups.add(group)  # a new catalogue version: the kept entries are loaded anew
    assert {pk for pk, _score in ranked("kamelrytter")} == {first.pk, second.pk}
    first.is_published = False
    first.save()
    assert {pk for pk, _score in ranked("kamelrytter")} == {second.pk}


def test_the_kept_vocabulary_entries_cost_one_query_per_relation_once(
    django_assert_num_queries,
):
    group = TargetGroup.objects.create(slug="zebrafiskere", name="Zebrafiskere")
    InterventionFactory(target_groups=[group])
    ranked("hjemløse")  # the names, places, paragraphs and the target groups' entries, kept
    # The words lookup and the read of the fields that hold the word (the name is in the
    # entry's metadata); no query for the target groups, nor for the published entries' count.
    with django_assert_num_queries(2):
        assert ranked("zebrafiskere")


def test_the_entries_numbers_of_vocabulary_terms_are_counted_from_the_kept_entries():
    """What an entry's vocabulary field is normalised by: its target groups, policy areas and
    methods, for the published entries only, as a count in the database finds them."""
    group = TargetGroup.objects.create(slug="zebrafiskere", name="Zebrafiskere")
    many = InterventionFactory(target_groups=[group, TargetGroup.objects.get(slug="hjemloese")])
    many.policy_areas.set(PolicyArea.objects.all()[:2])
    many.methods.set(Method.objects.all()[:3])
    hidden = InterventionFactory(target_groups=[group], is_published=False)
    query.forget_vocabulary()

    sizes = query._sizes_cache.get()

    expected = {}
    for entry in Intervention.objects.published().prefetch_related(
        "target_groups", "policy_areas", "methods"
    ):
        n = len(entry.target_groups.all()) + len(entry.policy_areas.all())
        n += len(entry.methods.all())
        if n:
            expected[entry.pk] = n
    assert {pk: size for size, pks in sizes.by_size.items() for pk in pks} == expected
    assert sizes.of(many.pk) == 7
    assert all(hidden.pk not in pks for pks in sizes.by_size.values())
    assert sizes.mean == pytest.approx(sum(expected.values()) / len(expected))
    assert sizes.of(hidden.pk) == sizes.mean  # no vocabulary term among the published


def every_one_apart(patched) -> None:
    """No group of entries with the term in their text alone: each such entry weighed apart."""
    patched.setattr(_TermMatches, "body_only", property(lambda matches: set()))
    patched.setattr(
        _TermMatches,
        "apart",
        property(lambda matches: matches.entries - set().union(*matches.weighed.values())),
    )


def test_the_grouped_and_written_out_weights_score_as_one_by_one(monkeypatch):
    """The entries with a word in their text alone (one score for all) score as every entry
    through `_weight`."""
    InterventionFactory(title="Zebrafiskens hus", summary="Om kamelryttere.")
    InterventionFactory(purpose="zebrafisk og hjemløse")
    InterventionFactory(purpose="Zebrafisk, kamelrytter og hus.")
    differ = []
    for text in [*judged_and_sampled(), "zebrafisk", "kamelrytter hus zebrafisk"]:
        parsed = understand(text)
        grouped = ranked(parsed)
        with monkeypatch.context() as patched:
            every_one_apart(patched)
            one_by_one = ranked(parsed)
        if not same(grouped, one_by_one):
            differ.append(text)
    assert differ == []


def test_only_entries_with_the_word_nowhere_but_in_their_text_are_grouped():
    group = TargetGroup.objects.create(slug="zebrafiskere", name="Zebrafiskere")
    titled = InterventionFactory(title="Zebrafiskens hus")
    named = InterventionFactory(target_groups=[group])
    plain = InterventionFactory(purpose="Vi har også en zebrafisk i gården.")
    texts: dict[int, tuple[str, str]] = {}
    found = _match(word_term("zebrafisk"), Intervention.objects.published(), texts)
    assert found.body == {titled.pk, named.pk, plain.pk}
    assert found.body_only == {plain.pk}


@pytest.mark.parametrize("text", ["borgere", "psykiatri bostøtte", "misbrug unge"])
def test_the_results_grouped_by_score_are_the_ranking_best_first(text):
    parsed = understand(text)
    groups = query.ranked_groups(parsed)
    results = ranked(parsed)
    assert list(groups) == sorted(groups, reverse=True)  # best score first
    assert all(groups.values())  # no score without entries
    assert results == [(pk, score) for score, pks in groups.items() for pk in pks]
    assert sorted(results) == sorted(ranked(parsed, queryset=Intervention.objects.published()))
    assert len(groups) > 1


def test_the_entries_apart_are_those_of_no_group():
    """`apart`, scored one by one: the term's entries less those with it in their text alone
    (`body_only`) and those weighed as their fields were read (`weighed`): the entries of a
    vocabulary term whose alias (in no entry's text) is the word."""
    group = TargetGroup.objects.create(
        slug="zebrafiskere", name="Zebrafiskere", aliases="Kamelryttere"
    )
    titled = InterventionFactory(title="Kamelrytternes hus")
    mentioned = InterventionFactory(purpose="Vi har også en kamelrytter i gården.")
    named = InterventionFactory(target_groups=[group])
    both = InterventionFactory(target_groups=[group], purpose="Om kamelryttere.")
    found = _match(word_term("kamelrytter"), Intervention.objects.published(), {}, query._catalogue)
    weighed = set().union(*found.weighed.values())
    assert found.apart == found.entries - found.body_only - weighed
    assert found.apart == {named.pk, both.pk}
    assert found.body_only == {mentioned.pk}
    assert weighed == {titled.pk}


def one_term_queries() -> list[str]:
    return [text for text in judged_and_sampled() if len(understand(text).terms) == 1]


def test_a_one_term_query_scores_as_every_entry_scored_apart(monkeypatch):
    """On all the published entries a one-term query's entries go into their score's group a
    group of equal weight at a time (`_one_term_groups`): the same (id, score) pairs as with the
    entries of the text alone weighed one by one, and as the other queryset's loop."""
    group = TargetGroup.objects.create(slug="zebrafiskere", name="Zebrafiskere", aliases="Kamel")
    InterventionFactory(title="Zebrafiskens hus", summary="zebrafisk, zebrafisk")
    InterventionFactory(purpose="Vi har også en zebrafisk i gården, og en kamel.")
    InterventionFactory(target_groups=[group], summary="Zebrafisk.")
    InterventionFactory(target_groups=[group])
    used = []
    grouped = query._one_term_groups
    monkeypatch.setattr(
        query, "_one_term_groups", lambda *args: used.append(args) or grouped(*args)
    )
    texts = [*one_term_queries(), "zebrafisk", "kamel"]
    differ, found = [], 0
    for text in texts:
        parsed = understand(text)
        fast = ranked(parsed)
        found += bool(fast)
        with monkeypatch.context() as patched:
            every_one_apart(patched)
            one_by_one = ranked(parsed)
        other = ranked(parsed, queryset=Intervention.objects.published())
        if not (same(fast, one_by_one) and same(fast, other)):
            differ.append(text)
    assert differ == []
    assert len(used) == 2 * found > len(texts)  # the grouped path ran, with and without groups
    assert len(ranked("zebrafisk")) == 3


def one_by_one(pks, matches, sizes, weigh, into) -> None:
    """`_weighed_alike` as it was: every entry weighed."""
    for pk in pks:
        into.setdefault(weigh(pk), set()).add(pk)


def alike_entries() -> list[str]:
    """Entries named by two and three relations' terms, with vocabularies of several sizes."""
    group = TargetGroup.objects.create(slug="zebrafiskere", name="Zebrafiskere")
    area = PolicyArea.objects.create(slug="zebrafiskeri", name="Zebrafiskeri")
    method = Method.objects.create(slug="zebrafiskning", name="Zebrafiskning")
    others = list(TargetGroup.objects.exclude(pk=group.pk)[:4])
    for n in range(12):
        entry = InterventionFactory(
            target_groups=[group, *others[: n % 4]], purpose="En zebrafisk." if n % 3 else ""
        )
        if n % 2:
            entry.policy_areas.add(area)
        if n % 5 == 0:
            entry.methods.add(method)
    query.forget_vocabulary()
    return ["zebrafisk", "zebrafisk hjemløse", "zebrafiskere borgere unge"]


def test_entries_weighed_by_sets_of_alike_entries_weigh_as_one_by_one(monkeypatch):
    """`_weighed_alike` weighs each of `_TermMatches.alike`'s sets by one of its entries: with
    the sets used wherever they can be, the same (id, score) pairs as every entry weighed one by
    one, for every judged query and sampled word and for invented entries named by one, two and
    three relations' terms."""
    invented = alike_entries()
    monkeypatch.setattr(query, "ALIKE_FROM", 0)
    built = []
    alike = _TermMatches.alike
    monkeypatch.setattr(
        _TermMatches, "alike", lambda matches, sizes: built.append(1) or alike(matches, sizes)
    )
    differ = []
    for text in [*judged_and_sampled(), *invented]:
        parsed = understand(text)
        by_sets = ranked(parsed)
        with monkeypatch.context() as patched:
            patched.setattr(query, "_weighed_alike", one_by_one)
            if not same(by_sets, ranked(parsed)):
                differ.append(text)
    assert differ == []
    assert len(built) > 50


def test_the_sets_of_alike_entries_are_the_vocabulary_entries_that_weigh_the_same():
    alike_entries()
    sizes = query._sizes_cache.get()
    checked = 0
    for text in ["zebrafisk", "borgere", "unge", "psykiatri", "misbrug"]:
        for term in understand(text).terms:
            found = _match(term, Intervention.objects.published(), {}, query._catalogue)
            sets = found.alike(sizes)
            every = [pk for members in sets for pk in members]
            assert len(every) == len(set(every))  # each entry in one set
            assert set(every) == found.vocabulary.keys() - found.places - found.paragraphs.keys()
            for members in sets:
                weights = {query._with_other_fields(0.5, found, pk, sizes) for pk in members}
                assert len(weights) == 1
            checked += len(sets)
    assert checked > 5
    counts = set(
        query._match(
            word_term("zebrafisk"), Intervention.objects.published(), {}, query._catalogue
        ).vocabulary.values()
    )
    assert counts == {1, 2, 3}


def test_the_ids_of_a_words_lookup_are_read_whole_or_not_at_all():
    first = InterventionFactory(title="Zebrafiskens hus")
    second = InterventionFactory(purpose="Om zebrafisk.")

    def read_ids(matching):
        return query._prepared(query._read_ids, matching.values_list("intervention_id"))()

    matching = SearchEntry.objects.filter(words__words_match="zebrafisk")
    assert sorted(read_ids(matching)) == sorted([first.pk, second.pk])
    nothing = SearchEntry.objects.filter(words__words_match="kamelzebra")
    assert read_ids(nothing) == []
