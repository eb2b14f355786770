"""`make bench`: generate the bench databases, time every page on each, load-test, save.

    python -m bench [--sizes 1000,10000,100000] [--dbs sqlite,postgres] [--seconds 10]
                    [--load-seconds 5] [--soak-seconds 30] [--out FILE]

Prints a table per size and database, then the load test, and writes everything to
bench/results/<timestamp>-<host>.json; `python -m bench.compare A B` compares two such files.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime

from bench.common import DATABASES, RESULTS, ROOT, django_env, run_step


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def print_table(run: dict) -> None:
    generated = run["generate"]
    how = "reused" if generated.get("reused") else f"built in {generated['seconds']:.0f} s"
    print(f"\n{run['db']} · {run['entries']:,} entries ({how}; load {run['load_average']})")
    print(f"  {'scenario':<26}{'median ms':>10}{'p95 ms':>10}{'n':>6}{'queries':>9}  results")
    for s in run["scenarios"]:
        if "note" in s:
            print(f"  {s['name']:<26}{s['note']}")
            continue
        shown = s.get("rows", s.get("results", ""))
        shown = f"{shown} rows" if "rows" in s else shown
        print(
            f"  {s['name']:<26}{s['median_ms']:>10.1f}{s['p95_ms']:>10.1f}{s['n']:>6}"
            f"{s['queries']:>9}  {shown}"
        )


def print_load(load: dict) -> None:
    if load["rates"]:
        print(f"\nload test: curated catalogue, gunicorn with {load['workers']} workers, wrk")
        print(
            f"  {'db':<9}{'cache':<10}{'target':<20}{'req/s':>9}{'p99 ms':>9}"
            f"{'vs static':>11}{'errors':>8}"
        )
        for r in load["rates"]:
            print(
                f"  {r['db']:<9}{r['cache']:<10}{r['target']:<20}{r['rps']:>9.1f}"
                f"{r['p99_ms'] or 0:>9.1f}{r['ratio_to_static']:>11.3f}{r['errors']:>8}"
            )
            for w in r.get("memory", []):
                print(
                    f"      worker {w['pid']}: RSS {w['settled_mb']} -> {w['end_mb']} MB "
                    f"(peak {w['peak_mb']})"
                )
    for s in load["soak"]:
        print(
            f"\nsoak: {s['db']}, {s['cache']}, {s['seconds']:.0f} s, {s['connections']} "
            f"connections, {s['urls']} URLs: {s['rps']:.1f} req/s, p99 {s['p99_ms']} ms, "
            f"{s['errors']} errors, largest worker growth {s['max_growth_mb']} MB"
        )
        for w in s["memory"]:
            print(f"      worker {w['pid']}: RSS {w['settled_mb']} -> {w['end_mb']} MB")


def save(results: dict, out) -> None:
    """Written after every step, so a long run that is stopped keeps what it measured."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)


def git_commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--dbs", default=",".join(DATABASES))
    parser.add_argument("--seconds", type=float, default=10, help="per scenario")
    parser.add_argument("--load-seconds", type=float, default=5, help="per wrk run; 0: none")
    parser.add_argument("--soak-seconds", type=float, default=30, help="0: no soak")
    parser.add_argument("--out", help="results file (default bench/results/<time>-<host>.json)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    dbs = [d for d in args.dbs.split(",") if d]
    for db in dbs:
        if db not in DATABASES:
            raise SystemExit(f"unknown database {db!r}; choose from {', '.join(DATABASES)}")

    started = datetime.now(UTC)
    results = {
        "started": started.isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "commit": git_commit(),
        "runs": [],
    }
    out = args.out or RESULTS / f"{started:%Y%m%dT%H%M%S}-{platform.node()}.json"
    for db in dbs:
        for size in sizes:
            log(f"{db} · {size:,}: generating (reused when current) ...")
            env = django_env(db, size)
            generated = run_step("generate", ["--db", db, "--size", str(size)], env)
            log(f"{db} · {size:,}: measuring ...")
            measured = run_step("measure", ["--seconds", str(args.seconds)], env)
            run = {
                "db": db,
                "size": size,
                "generate": generated,
                "load_average": round(os.getloadavg()[0], 1),
                **measured,
            }
            results["runs"].append(run)
            print_table(run)
            save(results, out)
    if args.load_seconds > 0 or args.soak_seconds > 0:
        load_args = ["--dbs", ",".join(dbs), "--seconds", str(args.load_seconds)]
        load_args += ["--soak-seconds", str(args.soak_seconds)]
        results["load"] = run_step("load", load_args, dict(os.environ))
        print_load(results["load"])
    results["seconds"] = round((datetime.now(UTC) - started).total_seconds())
    save(results, out)
    print(f"\nresults: {out} ({results['seconds']} s)")
    if any(s["errors"] for s in results.get("load", {}).get("soak", [])):
        sys.exit(1)


if __name__ == "__main__":
    main()
