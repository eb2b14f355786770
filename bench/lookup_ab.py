"""A/B of `ranked()` on one bench database: a committed version against the working tree.

Both run in one process, alternately on each query (same database, same warm connection), so
the machine's load falls on both alike. The queries: every judged query of bench/search_quality
and words sampled from `SearchWord` (the kind bench.measure's "new search" row uses). Each
query is parsed once and the same parsed query is given to both; the (id, score) lists must be
equal, or the run says which differ.

    DATABASE_URL=... python -m bench.lookup_ab --before HEAD~1 [--after COMMIT] [--words 300]

The times reported are those of the sampled words (new searches); the judged queries are
checked for equality only.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
import types

from bench.common import ROOT, setup_django
from bench.measure import percentile


def committed_query_module(commit: str, name: str = "before") -> types.ModuleType:
    """interventions/search/query.py as it was at `commit`, loaded as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{commit}:interventions/search/query.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType(f"interventions.search.query_{name}")
    module.__file__ = f"{commit}:interventions/search/query.py"
    sys.modules[module.__name__] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    module._understood = lambda parsed: parsed  # given the query the current code parsed
    return module


def queries(words: int, seed: int) -> tuple[list[str], list[str]]:
    import yaml

    from interventions.models import SearchWord

    judged = yaml.safe_load((ROOT / "bench" / "search_quality" / "queries.yaml").read_text())
    found = [q["query"] for q in judged] if isinstance(judged, list) else []
    if isinstance(judged, dict):
        found = [q["query"] for q in judged.get("queries", [])]
    vocabulary = list(SearchWord.objects.order_by("pk").values_list("word", flat=True))
    sample = random.Random(seed).sample(vocabulary, min(words, len(vocabulary)))
    return found, sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="HEAD", help="the commit to compare against")
    parser.add_argument("--after", help="a commit to compare, instead of the working tree")
    parser.add_argument("--words", type=int, default=300, help="words sampled from SearchWord")
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()
    setup_django()
    from interventions.search import query as after
    from interventions.search.hints import understand

    before = committed_query_module(args.before)
    if args.after:
        after = committed_query_module(args.after, "after")
    judged, sampled = queries(args.words, args.seed)
    asked = judged + sampled
    times: dict[str, list[float]] = {"before": [], "after": []}
    differ = []
    for n, text in enumerate(asked):
        parsed = understand(text)
        order = [("before", before.ranked), ("after", after.ranked)]
        if n % 2:
            order.reverse()
        results = {}
        for name, ranked in order:
            started = time.perf_counter()
            results[name] = ranked(parsed)
            if n >= len(judged):
                times[name].append((time.perf_counter() - started) * 1000)
        # Ties come in no particular order: compare as sets of (id, score) and the order of scores.
        same = sorted(results["before"]) == sorted(results["after"]) and [
            s for _pk, s in results["before"]
        ] == [s for _pk, s in results["after"]]
        if not same:
            differ.append(text)
    summary = {
        name: {
            "median_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
            "max_ms": round(max(values), 1),
        }
        for name, values in times.items()
    }
    print(json.dumps({"judged": len(judged), "words": len(sampled), "differ": differ, **summary}))


if __name__ == "__main__":
    main()
