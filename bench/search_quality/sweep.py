"""Settings of the scorer side by side, in one process, on one bench database.

    python -m bench.search_quality.sweep [--db sqlite|postgres] [--diff] [--queries FILE] \
        '{}' '{"K1": 1.5}' ...

Each argument is a JSON object of constants of interventions/search/query.py (`W_BODY`, `K1`,
`CUT`, ...) set for that run; the first is the baseline, and every run starts from the module's
own values, so runs do not carry settings over. Each run forgets the catalogue index's remembered
searches and goes through the list page's search (`run.ranked_slugs`), as the harness does, and
prints recall@10 · MRR · nDCG@10 · P@10 for the dev half, the check half and the whole set.
`--diff` lists, for each run after the first, the queries whose recall, MRR or P@10 changed
from the baseline's, with their half: where a change helps and where it hurts.
`--queries` sweeps another judged set (a held-out one such as `fresh.yaml`: read its totals
alone, without `--diff`, so that its misses stay unseen).

Runs made one after another in one process are interleaved by construction, on the same data,
so a setting's figures differ from the baseline's by the setting alone. It reads the curated
bench database that `python -m bench.search_quality` builds (the same `BENCH_DB_PREFIX`); run
that first. A change of the search texts themselves needs that database rebuilt and is measured
with the harness instead. A sweep is for looking: a kept setting is judged by the harness's tables.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bench.common import CURATED, DATABASES, database_url, django_env, setup_django
from bench.search_quality.judgements import HALVES, QUERIES, half, load
from bench.search_quality.metrics import means

MEASURES = ("recall", "mrr", "ndcg", "precision")


def _figures(rows: list[dict]) -> str:
    found = means(rows)
    return " · ".join("   -  " if found[m] is None else f"{found[m]:.3f}" for m in MEASURES)


def _changed(before: dict, after: dict) -> bool:
    return any(before[m] != after[m] for m in ("recall", "mrr", "precision"))


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("settings", nargs="+", help="JSON objects, e.g. '{\"W_BODY\": 0.4}'")
    parser.add_argument("--db", choices=DATABASES, default="sqlite")
    parser.add_argument("--diff", action="store_true", help="the queries each setting changes")
    parser.add_argument(
        "--queries",
        type=Path,
        default=QUERIES,
        help="another judged set; for a held-out one, its totals only (no --diff)",
    )
    args = parser.parse_args()
    settings = [json.loads(text) for text in args.settings]
    if not all(isinstance(setting, dict) for setting in settings):
        raise SystemExit("each setting is a JSON object")
    if args.db == "sqlite" and not os.path.exists(database_url("sqlite", CURATED)[10:]):
        raise SystemExit("no curated bench database: run python -m bench.search_quality first")
    os.environ.update(django_env(args.db, CURATED))
    setup_django()

    from bench.search_quality.run import run
    from interventions.listing.index import forget_index
    from interventions.search import query

    own = {}
    for setting in settings:
        for name in setting:
            if not name.isupper() or not isinstance(getattr(query, name, None), int | float):
                raise SystemExit(f"{name!r} is not a numeric constant of search/query.py")
            own[name] = getattr(query, name)
    runs = []
    try:
        for setting in settings:
            for name, value in {**own, **setting}.items():
                setattr(query, name, value)
            forget_index()
            rows = run(args.queries, None)["queries"]
            runs.append({row["id"]: row for row in rows})
            by_half = [[r for r in rows if half(r["id"]) == name] for name in HALVES]
            tables = [_figures(part) for part in [*by_half, rows]]
            print(json.dumps(setting), " | ".join(tables), flush=True)
    finally:
        for name, value in own.items():
            setattr(query, name, value)
    print(f"(recall@10 · MRR · nDCG@10 · P@10 for {', '.join(HALVES)}, all)")
    if not args.diff:
        return
    queries = {q.id: q.query for q in load(args.queries, None)}
    for setting, after in zip(settings[1:], runs[1:], strict=True):
        print(f"\n{json.dumps(setting)} against {json.dumps(settings[0])}:")
        for qid, before in runs[0].items():
            now = after[qid]
            if _changed(before, now):
                print(
                    f"  {half(qid):5} {queries[qid]!r}: recall {_fmt(before['recall'])} -> "
                    f"{_fmt(now['recall'])}, MRR {_fmt(before['mrr'])} -> {_fmt(now['mrr'])}, "
                    f"P@10 {_fmt(before['precision'])} -> {_fmt(now['precision'])}"
                )


if __name__ == "__main__":
    main()
