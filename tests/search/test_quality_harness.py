"""The quality harness's account of a miss (bench/search_quality/run.py, `--why`).

The curated catalogue is loaded; entries made here use an invented word ("zebrafisk") so that
only they can match.
"""

import pytest

from bench.search_quality.run import why_missed
from interventions.search.hints import understand
from interventions.search.query import ranked
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db


def test_a_miss_in_a_tie_gets_the_rank_the_list_page_shows_it_at():
    """Entries with the same score are listed in title order, so the rank the harness reports
    for a miss is the page's, whatever order the ranking gives a tie in."""
    # Made in the reverse of title order: the ids run against the titles.
    later = InterventionFactory(slug="zebrafisk-b", title="Zebrafisk Bølle")
    earlier = InterventionFactory(slug="zebrafisk-a", title="Zebrafisk Alfa")
    scores = dict(ranked(understand("zebrafisk"), cut=0))
    assert scores[earlier.pk] == scores[later.pk]  # a tie

    why = why_missed("zebrafisk", results=[], missed=["zebrafisk-a", "zebrafisk-b", "ukendt"])

    assert why == {
        "zebrafisk-a": ["below", 1],
        "zebrafisk-b": ["below", 2],
        "ukendt": ["unmatched", None],
    }
