"""The judged query sets of the search-quality harness (bench/search_quality) stay usable: each
file is well formed, every judged slug is a published entry of the curated catalogue, and the
held-out set (fresh.yaml) asks nothing the tuning set (queries.yaml) asks. The harness refuses a
broken set only when it is run; a renamed entry should fail here first."""

from pathlib import Path

import pytest

from bench.search_quality.judgements import QUERIES, check_slugs, load
from interventions.models import Intervention

pytestmark = pytest.mark.django_db
FRESH = QUERIES.with_name("fresh.yaml")


@pytest.mark.parametrize("path", [QUERIES, FRESH], ids=lambda p: p.name)
def test_a_judged_set_names_published_entries_only(path: Path):
    queries = load(path)
    published = set(Intervention.objects.published().values_list("slug", flat=True))
    check_slugs(path, queries, published)  # raises QuerySetError listing every unknown slug
    assert len({q.id for q in queries}) == len(queries)


def test_the_held_out_set_asks_what_the_tuning_set_does_not():
    tuning, fresh = load(QUERIES), load(FRESH)
    assert len(fresh) >= 40
    assert {q.kind for q in fresh} == {q.kind for q in tuning}  # every kind
    assert not {q.id for q in fresh} & {q.id for q in tuning}
    typed = {q.query.casefold() for q in tuning}
    assert [q.query for q in fresh if q.query.casefold() in typed] == []
