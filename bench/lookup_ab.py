"""A/B of `ranked()` on one bench database: a committed version against the working tree.

Both run in one process, alternately on each query (same database, same warm connection), so
the machine's load falls on both alike. The queries: every judged query of bench/search_quality
and words sampled from `SearchWord` (the kind bench.measure's "new search" row uses). Each
query is parsed once and the same parsed query is given to both; the (id, score) lists must be
equal, or the run says which differ.

    DATABASE_URL=... python -m bench.lookup_ab --before HEAD~1 [--after COMMIT] [--words 300]

The times reported are those of the sampled words (new searches); the judged queries are
checked for equality only.

`--before-database URL`: the committed version runs in a process of its own, from a checkout of
its tree, on another database (a copy of the bench database from before a migration of the
working tree, which `DATABASE_URL` has had); it parses each query itself and answers each in
turn, so the load still falls on both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

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


def serve() -> None:
    """Answer one query a line (JSON) with one JSON line: the (id, score) list and its ms."""
    setup_django()
    from interventions.search.hints import understand
    from interventions.search.query import ranked

    for line in sys.stdin:
        parsed = understand(json.loads(line))
        started = time.perf_counter()
        found = ranked(parsed)
        ms = (time.perf_counter() - started) * 1000
        print(json.dumps({"ms": ms, "found": found}), flush=True)


class Remote:
    """`ranked()` of a committed version in a process of its own, on its own database."""

    def __init__(self, commit: str, database: str) -> None:
        from bench.page_ab import checkout

        self.tmp = tempfile.TemporaryDirectory(prefix="lookup_ab_")
        tree = checkout(commit, Path(self.tmp.name))
        env = {**os.environ, "DATABASE_URL": database, "PYTHONPATH": str(tree)}
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve"],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ranked(self, text: str) -> tuple[list[tuple[int, float]], float]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(text) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("the before worker stopped")
        answer = json.loads(line)
        return [tuple(pair) for pair in answer["found"]], answer["ms"]

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait()
        self.tmp.cleanup()


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
    parser.add_argument("--before-database", help="the before version's DATABASE_URL")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    setup_django()
    from interventions.search import query as after
    from interventions.search.hints import understand

    remote = Remote(args.before, args.before_database) if args.before_database else None
    before = committed_query_module(args.before) if remote is None else None
    if args.after:
        after = committed_query_module(args.after, "after")
    judged, sampled = queries(args.words, args.seed)
    asked = judged + sampled
    times: dict[str, list[float]] = {"before": [], "after": []}
    differ = []
    for n, text in enumerate(asked):
        parsed = understand(text)
        order = ["before", "after"] if n % 2 == 0 else ["after", "before"]
        results = {}
        for name in order:
            if name == "before" and remote is not None:
                results[name], ms = remote.ranked(text)
            else:
                started = time.perf_counter()
                results[name] = (before if name == "before" else after).ranked(parsed)
                ms = (time.perf_counter() - started) * 1000
            if n >= len(judged):
                times[name].append(ms)
        # Ties come in no particular order: compare as sets of (id, score) and the order of scores.
        same = sorted(results["before"]) == sorted(results["after"]) and [
            s for _pk, s in results["before"]
        ] == [s for _pk, s in results["after"]]
        if not same:
            differ.append(text)
    if remote is not None:
        remote.close()
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
