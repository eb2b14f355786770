"""Compare two bench result files: `python -m bench.compare OLD.json NEW.json`.

For every scenario measured in both, the medians and p95s side by side and NEW / OLD; for the
load test, requests per second and p99. Below 1.00 is faster (or, for req/s, slower).
"""

from __future__ import annotations

import argparse
import json


def _ratio(new: float | None, old: float | None) -> str:
    return f"{new / old:>7.2f}" if new and old else f"{'-':>7}"


def compare(old: dict, new: dict) -> None:
    print(f"OLD {old['started']} {old['commit']}  NEW {new['started']} {new['commit']}")
    olds = {(r["db"], r["size"], s["name"]): s for r in old["runs"] for s in r["scenarios"]}
    print(
        f"\n{'db':<9}{'size':>8}  {'scenario':<26}{'old med':>9}{'new med':>9}{'new/old':>8}"
        f"{'old p95':>9}{'new p95':>9}{'new/old':>8}"
    )
    for run in new["runs"]:
        for s in run["scenarios"]:
            o = olds.get((run["db"], run["size"], s["name"]))
            if not o or "median_ms" not in s or "median_ms" not in o:
                continue
            print(
                f"{run['db']:<9}{run['size']:>8}  {s['name']:<26}{o['median_ms']:>9.1f}"
                f"{s['median_ms']:>9.1f} {_ratio(s['median_ms'], o['median_ms'])}"
                f"{o['p95_ms']:>9.1f}{s['p95_ms']:>9.1f} {_ratio(s['p95_ms'], o['p95_ms'])}"
            )
    old_rates = {
        (r["db"], r["cache"], r["target"]): r for r in old.get("load", {}).get("rates", [])
    }
    new_rates = new.get("load", {}).get("rates", [])
    if old_rates and new_rates:
        print(
            f"\n{'db':<9}{'cache':<10}{'target':<20}{'old req/s':>10}{'new req/s':>10}"
            f"{'new/old':>8}"
        )
        for r in new_rates:
            o = old_rates.get((r["db"], r["cache"], r["target"]))
            if o:
                print(
                    f"{r['db']:<9}{r['cache']:<10}{r['target']:<20}{o['rps']:>10.1f}"
                    f"{r['rps']:>10.1f} {_ratio(r['rps'], o['rps'])}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    args = parser.parse_args()
    with open(args.old) as f_old, open(args.new) as f_new:
        compare(json.load(f_old), json.load(f_new))


if __name__ == "__main__":
    main()
