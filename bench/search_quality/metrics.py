"""The four measures of a ranked result list against a query's judgements, and their means.

Pure functions over slugs and grades (see the package's docstring for the definitions). A
measure that a query cannot have (recall, MRR, nDCG of a query with no grade-2 entry) is None
and left out of the means.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

DEPTH = 10  # recall, nDCG and precision look at the first ten results
MRR_DEPTH = 20  # the first grade-2 entry counts for MRR down to rank twenty
MEASURES = ("recall", "mrr", "ndcg", "precision")


def recall_at_10(results: Sequence[str], grades: Mapping[str, int]) -> float | None:
    """Share of the grade-2 entries in the first ten results; with more than ten grade-2
    entries, divided by ten ("recall@10 capped")."""
    wanted = {slug for slug, grade in grades.items() if grade == 2}
    if not wanted:
        return None
    found = len(wanted.intersection(results[:DEPTH]))
    return found / min(len(wanted), DEPTH)


def reciprocal_rank(results: Sequence[str], grades: Mapping[str, int]) -> float | None:
    """1 / rank of the first grade-2 entry; 0 if none is in the first twenty."""
    if 2 not in grades.values():
        return None
    for rank, slug in enumerate(results[:MRR_DEPTH], start=1):
        if grades.get(slug) == 2:
            return 1 / rank
    return 0.0


def _dcg(gains: Iterable[int]) -> float:
    return sum((2**grade - 1) / math.log2(rank + 1) for rank, grade in enumerate(gains, start=1))


def ndcg_at_10(results: Sequence[str], grades: Mapping[str, int]) -> float | None:
    """DCG of the first ten results with gains 2^grade - 1, over the DCG of the best order of
    all judged entries."""
    if 2 not in grades.values():
        return None
    ideal = _dcg(sorted(grades.values(), reverse=True)[:DEPTH])
    return _dcg(grades.get(slug, 0) for slug in results[:DEPTH]) / ideal


def precision_first_page(results: Sequence[str], grades: Mapping[str, int]) -> float:
    """Share of the first ten results (fewer if fewer were returned) graded 1 or 2. No results
    at all is 1.0 for a query with no relevant entry, else 0."""
    shown = results[:DEPTH]
    if not shown:
        return 0.0 if any(grade >= 1 for grade in grades.values()) else 1.0
    return sum(1 for slug in shown if grades.get(slug, 0) >= 1) / len(shown)


def measure(results: Sequence[str], grades: Mapping[str, int]) -> dict[str, float | None]:
    return {
        "recall": recall_at_10(results, grades),
        "mrr": reciprocal_rank(results, grades),
        "ndcg": ndcg_at_10(results, grades),
        "precision": precision_first_page(results, grades),
    }


def means(rows: Iterable[Mapping[str, float | None]]) -> dict[str, float | None]:
    """Mean of each measure over the queries that have it; None when none has."""
    rows = list(rows)
    out: dict[str, float | None] = {}
    for name in MEASURES:
        values = [row[name] for row in rows if row[name] is not None]
        out[name] = sum(values) / len(values) if values else None
    return out
