"""One database's run: every judged query through the site's search, measured.

Runs inside a bench database's settings (started by `python -m bench.search_quality`, or by hand
with DATABASE_URL set) and prints one JSON object last: per query its results and measures.

    DATABASE_URL=... python -m bench.search_quality.run [--queries FILE] [--kind KIND,...] [--why]

With --why, each grade-2 entry missing from a query's first ten also gets the reason (`why`):
"below" (found, ranked below the first page), "cut" (found, but scored below the cut of the
best score, so not shown at all) or "unmatched" (no term of the query matches it), with its
rank in the ranking without the cut (ties in the list page's order).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.common import setup_django
from bench.search_quality.judgements import QUERIES, QuerySetError, check_slugs, load
from bench.search_quality.metrics import DEPTH, measure

KEPT = 50  # results kept per query: ten are measured, the rest show where a miss ranked


def ranked_slugs(query: str, limit: int) -> tuple[list[str], int]:
    """The first `limit` entries the list page shows for `?q=query`, in its order, and how many
    results there are. This adapter is the one place that knows how the site searches: a new
    search only has to change the line marked below.

    Today the list page validates the query string with the FilterSet, takes the selection and
    its relevance order from the catalogue index (`compute_facets`), and reads the page's entries
    in that order (`SelectionPages`); this does the same, without rendering. A query the form
    refuses raises `ValueError` with the form's message.
    """
    from django.http import QueryDict

    from interventions.listing.facets import SelectionPages, compute_facets
    from interventions.listing.filters import InterventionFilter
    from interventions.models import Intervention

    params = QueryDict(mutable=True)
    params["q"] = query
    filterset = InterventionFilter(params, queryset=Intervention.objects.published())
    if not filterset.is_valid():
        raise ValueError("; ".join(str(e) for errors in filterset.errors.values() for e in errors))
    selection = compute_facets(params, filterset).selection  # <- the line a new search changes
    return [entry.slug for entry in SelectionPages(selection)[0:limit]], selection.total


def why_missed(query: str, results: list[str], missed: list[str]) -> dict[str, list]:
    """For each missed grade-2 entry: [reason, rank without the cut or None] (see the module's
    docstring). The ranking without the cut is the site's ranking (`ranked`) with `cut=0`, its
    ties in the list page's order (title, then slug), as the page shows them: `ranked` gives a
    tie in no particular order, which put "§85"'s eleventh result third."""
    from interventions.models import Intervention
    from interventions.search.hints import understand
    from interventions.search.query import CUT, ranked

    uncut = ranked(understand(query), cut=0)
    in_order = (
        Intervention.objects.filter(pk__in=[pk for pk, _ in uncut])
        .order_by("title", "slug")
        .values_list("pk", "slug")
    )
    slugs = dict(in_order)
    position = {pk: at for at, pk in enumerate(slugs)}
    uncut.sort(key=lambda found: (-found[1], position[found[0]]))
    best = uncut[0][1] if uncut else 0
    place = {slugs[pk]: (rank, score) for rank, (pk, score) in enumerate(uncut, start=1)}
    out = {}
    for slug in missed:
        if slug not in place:
            out[slug] = ["unmatched", None]
            continue
        rank, score = place[slug]
        out[slug] = ["below" if slug in results or score >= CUT * best else "cut", rank]
    return out


def run(path: Path, kinds: list[str] | None, why: bool = False) -> dict:
    from django.db import connection

    from interventions.models import Intervention

    queries = load(path, kinds)
    published = set(Intervention.objects.published().values_list("slug", flat=True))
    check_slugs(path, queries, published)
    rows = []
    started = time.perf_counter()
    for q in queries:
        row = {"id": q.id, "kind": q.kind, "query": q.query}
        try:
            results, total = ranked_slugs(q.query, KEPT)
        except ValueError as exc:
            results, total, row["error"] = [], 0, str(exc)
        row.update(results=results, total=total, **measure(results, q.judgements))
        rows.append(row)
    seconds = round(time.perf_counter() - started, 2)
    for q, row in zip(queries, rows, strict=True) if why else ():
        missed = [s for s, g in q.judgements.items() if g == 2 and s not in row["results"][:DEPTH]]
        if missed and "error" not in row:
            row["why"] = why_missed(q.query, row["results"], missed)
    return {
        "vendor": connection.vendor,
        "entries": len(published),
        "seconds": seconds,
        "queries": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--kind", help="only these kinds (comma-separated)")
    parser.add_argument("--why", action="store_true", help="why each missed entry was missed")
    args = parser.parse_args()
    setup_django()
    kinds = [k for k in (args.kind or "").split(",") if k] or None
    try:
        result = run(args.queries, kinds, why=args.why)
    except QuerySetError as exc:
        sys.exit(str(exc))
    print(f"    {len(result['queries'])} queries in {result['seconds']} s", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
