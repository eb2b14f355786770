"""`make bench-search`: how well the site's search finds what caseworkers type (not a timing).

    python -m bench.search_quality [--dbs sqlite,postgres] [--kind KIND,...] [--show-misses]
                                   [--why] [--queries FILE] [--out FILE] [--half dev|check]
                                   [--halves]

Builds (or reuses) the curated catalogue as a bench database on each of SQLite and PostgreSQL
(bench.generate, size 0: the fixtures, nothing synthetic), runs every query of the judged set
(queries.yaml, or --queries FILE in the same format, e.g. a held-out set) through the list
page's search (`run.ranked_slugs`), and prints the measures by kind of query for each database.
Everything, with each query's results, is saved to bench/results/search-<time>-<host>.json.
Every query belongs to a stable half by a hash of its id (`judgements.half`): tune on "dev"
(`--half dev`, with --show-misses), measure on "check" (`--half check`); `--halves` prints both
tables.
--show-misses prints, per query, the grade-2 entries missing from the first ten (with the rank
where they came, if at all) and the first ten results with their grades. --why adds the reason
for each miss and a count of misses by reason: "below" (found, ranked below the first page),
"cut" (found, but below the cut of the best score, so not shown) or "unmatched" (no term of
the query matches the entry: it says it in other words); misses of a query with more than ten
grade-2 entries are counted apart ("capped": recall@10 asks for ten of them only).

Grades (judged by reading the entries; unlisted entries are 0):
  2  the entry is squarely about the query: a reader wants it on the first page
  1  relevant in part: it covers the topic substantively, a reader might want it
  0  not relevant

Measures, per query; the table shows their mean per kind and overall:
  recall@10  share of the grade-2 entries found in the first 10 results; a query with more than
             10 grade-2 entries is divided by 10 instead ("recall@10 capped")
  MRR        reciprocal rank of the first grade-2 entry (0 if none in the first 20)
  nDCG@10    DCG of the first 10 results with gains 2^grade - 1 (2 -> 3, 1 -> 1, 0 -> 0) and
             discount log2(rank + 1), divided by the DCG of the ideal order of all judged entries
  P@10       precision of the first page: share of the first 10 results (or fewer if fewer are
             returned) graded >= 1; a query with zero results scores 1.0 if it has no relevant
             entry, else 0
Recall, MRR and nDCG are left out for the few queries marked `no_relevant` (they have no
grade-2 entry and measure precision only); "n" counts the queries, "judged" those with a grade-2
entry. "zero" counts queries that returned nothing.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.common import CURATED, DATABASES, RESULTS, ROOT, django_env, run_step
from bench.search_quality.judgements import HALVES, KINDS, QUERIES, QuerySetError, half, load
from bench.search_quality.metrics import DEPTH, means


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fmt(value: float | None) -> str:
    return f"{value:>9.3f}" if value is not None else f"{'-':>9}"


def summarise(rows: list[dict]) -> dict[str, dict]:
    """Means per kind (in the order of KINDS) and overall, with the counts."""
    groups = {kind: [r for r in rows if r["kind"] == kind] for kind in KINDS}
    groups = {kind: group for kind, group in groups.items() if group}
    groups["all"] = rows
    return {
        kind: {
            "n": len(group),
            "judged": sum(1 for r in group if r["recall"] is not None),
            "zero": sum(1 for r in group if not r["results"]),
            **means(group),
        }
        for kind, group in groups.items()
    }


def print_table(run: dict, label: str = "") -> None:
    print(
        f"\n{run['db']} · {run['entries']} entries · {len(run['queries'])} queries "
        f"({run['seconds']} s){label}"
    )
    print(
        f"  {'kind':<12}{'n':>5}{'judged':>8}{'recall@10':>11}{'MRR':>9}{'nDCG@10':>9}"
        f"{'P@10':>9}{'zero':>6}"
    )
    for kind, s in run["summary"].items():
        if kind == "all":
            print(f"  {'-' * 68}")
        print(
            f"  {kind:<12}{s['n']:>5}{s['judged']:>8}  {_fmt(s['recall'])}{_fmt(s['mrr'])}"
            f"{_fmt(s['ndcg'])}{_fmt(s['precision'])}{s['zero']:>6}"
        )


def print_misses(run: dict, queries: dict) -> None:
    """Per query: what a search engineer needs to see why it scored as it did."""
    print(f"\nmisses on {run['db']}:")
    for row in run["queries"]:
        grades = queries[row["id"]].judgements
        wanted = [slug for slug, grade in grades.items() if grade == 2]
        missed = [slug for slug in wanted if slug not in row["results"][:DEPTH]]
        shown = row["results"][:DEPTH]
        wrong = sum(1 for slug in shown if grades.get(slug, 0) == 0)
        if not missed and not wrong and (shown or not grades):
            continue
        print(
            f"\n  [{row['kind']}] {row['id']}: {row['query']!r} — {row['total']} results; "
            f"recall {_fmt(row['recall']).strip()}, MRR {_fmt(row['mrr']).strip()}, "
            f"nDCG {_fmt(row['ndcg']).strip()}, P@10 {row['precision']:.2f}"
        )
        if row.get("error"):
            print(f"    refused: {row['error']}")
        if len(wanted) > DEPTH:
            print(f"    capped: {len(wanted)} grade-2 entries, recall@10 asks for {DEPTH}")
        for slug in missed:
            at = row["results"].index(slug) + 1 if slug in row["results"] else None
            where = f"at rank {at}" if at else f"not in the first {len(row['results'])}"
            if slug in row.get("why", {}):
                reason, uncut = row["why"][slug]
                where += f"; {reason}" + (f" (rank {uncut} without the cut)" if uncut else "")
            print(f"    missed (2): {slug} — {where}")
        for rank, slug in enumerate(shown, start=1):
            print(f"    {rank:>2}. ({grades.get(slug, 0)}) {slug}")


def print_reasons(run: dict, queries: dict) -> None:
    """How many missed grade-2 entries each reason accounts for (--why)."""
    counts: dict[tuple[str, bool], int] = {}
    for row in run["queries"]:
        capped = sum(1 for g in queries[row["id"]].judgements.values() if g == 2) > DEPTH
        if capped and row["recall"] == 1:
            continue  # ten of them are on the first page: the rest cost nothing
        for reason, _rank in row.get("why", {}).values():
            counts[reason, capped] = counts.get((reason, capped), 0) + 1
    print(
        f"\nmissed grade-2 entries by reason on {run['db']} (capped: in a query with more than "
        f"{DEPTH}, whose recall@10 is below 1):"
    )
    for reason in ("below", "cut", "unmatched"):
        plain, capped = counts.get((reason, False), 0), counts.get((reason, True), 0)
        print(f"  {reason:<10}{plain:>5}   capped {capped:>4}")


def git_commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dbs", default=",".join(DATABASES))
    parser.add_argument("--kind", help=f"only these kinds (comma-separated): {', '.join(KINDS)}")
    parser.add_argument("--queries", type=Path, default=QUERIES, help="a judged query file")
    parser.add_argument("--show-misses", action="store_true", help="print each query's misses")
    parser.add_argument("--why", action="store_true", help="the reason for each miss, counted")
    parser.add_argument("--out", help="results file (default bench/results/search-<time>-<host>)")
    parser.add_argument("--half", choices=HALVES, help="only the queries of one half")
    parser.add_argument("--halves", action="store_true", help="a table for each half as well")
    args = parser.parse_args()
    dbs = [d for d in args.dbs.split(",") if d]
    for db in dbs:
        if db not in DATABASES:
            raise SystemExit(f"unknown database {db!r}; choose from {', '.join(DATABASES)}")
    kinds = [k for k in (args.kind or "").split(",") if k] or None
    try:  # the file's own shape is checked before any database is built
        queries = {q.id: q for q in load(args.queries, kinds)}
    except QuerySetError as exc:
        raise SystemExit(str(exc)) from None

    started = datetime.now(UTC)
    results = {
        "started": started.isoformat(timespec="seconds"),
        "host": platform.node(),
        "commit": git_commit(),
        "queries_file": str(args.queries),
        "runs": [],
    }
    step_args = ["--queries", str(args.queries)] + (["--kind", args.kind] if kinds else [])
    step_args += ["--why"] if args.why else []
    for db in dbs:
        env = django_env(db, CURATED)
        log(f"{db}: curated catalogue (reused when current) ...")
        generated = run_step("generate", ["--db", db, "--size", str(CURATED)], env)
        log(f"{db}: searching ...")
        measured = run_step("search_quality.run", step_args, env)
        if args.half:
            measured["queries"] = [r for r in measured["queries"] if half(r["id"]) == args.half]
        run = {"db": db, "generate": generated, **measured}
        run["summary"] = summarise(run["queries"])
        results["runs"].append(run)
        print_table(run, f" · half {args.half}" if args.half else "")
        if args.halves:
            run["halves"] = {}
            for name in HALVES:
                rows = [r for r in run["queries"] if half(r["id"]) == name]
                run["halves"][name] = summarise(rows)
                print_table({**run, "queries": rows, "summary": run["halves"][name]}, f" · {name}")
        if args.show_misses:
            print_misses(run, queries)
        if args.why:
            print_reasons(run, queries)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS / f"search-{started:%Y%m%dT%H%M%S}-{platform.node()}.json"
    with open(out, "w") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
