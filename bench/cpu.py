"""CPU per request, in process (Django's test client, DEBUG off, the curated bench database).

    python -m bench.cpu                      # the peer bench's targets, page cache off
    python -m bench.cpu --cached             # the same URLs repeated, page cache on (hits)
    python -m bench.cpu --profile "search + 3 facets"   # cProfile of one target, top functions
    python -m bench.cpu --new 120            # new searches: 120 words, each asked once
    python -m bench.cpu --baseline DIR       # before (a checkout in DIR) and after, interleaved

Prints one line per target: the best of `--batches` batches of `--per-batch` requests, in ms of
process CPU time per request. Run the code before a change from its own checkout (same bench
database) alternately with this one to compare before and after in one sitting.

`--baseline DIR` runs each batch in two worker processes, one on the code in DIR (a checkout of
the code before, with its own bench/.data and staticfiles) and one on this tree, alternately
(which goes first alternates too), so the machine's load falls on both alike; it prints each
target's best batch for both and after / before.

The targets repeat one URL each, which a change could flatter by remembering that URL; `--new N`
asks what users ask: N words drawn from the entries' summaries (the same N for the same seed),
each searched once in a warm process, then each once more with two facets (a combination not
asked before; the search itself is known by then), and prints the median and mean CPU of each.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

from bench.common import django_env

# The peer bench's targets (bench/peers.py), plus the htmx partial of the search with facets.
TARGETS = {
    "list": "/indsatser/",
    "search": "/indsatser/?q=psykiatri",
    "search + 3 facets": (
        "/indsatser/?q=psykiatri&target_group=borgere-i-akut-psykisk-krise"
        "&policy_area=psykiatri&region=region-midtjylland"
    ),
    "detail": "/indsatser/akutteam-herning/",
    "API list": "/api/interventions/?q=psykiatri",
}
PARTIAL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cached", action="store_true", help="page cache on: repeated hits")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--per-batch", type=int, default=10)
    parser.add_argument("--profile", help="a target's name: print its cProfile instead")
    parser.add_argument("--new", type=int, metavar="N", help="N new searches instead")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--baseline", metavar="DIR", help="the code before, interleaved with this")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        compare(args)
        return
    os.environ.update(
        django_env(
            "sqlite",
            0,
            PUBLIC_PAGE_CACHE_SECONDS="300" if args.cached else "0",
            CACHE_URL="locmem://",
        )
    )
    from bench.common import setup_django

    setup_django()
    from django.test import Client

    client = Client(HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    targets = dict(TARGETS)
    targets["search + 3 facets (htmx)"] = targets["search + 3 facets"]

    def get(name: str):
        extra = PARTIAL if name.endswith("(htmx)") else {}
        response = client.get(targets[name], **extra)
        assert response.status_code == 200, (name, response.status_code)
        return response

    for name in targets:
        for _ in range(3):
            get(name)
    if args.new:
        new_searches(client, args.new, args.seed)
        return
    if args.worker:  # one batch of a target per line read; the batch's CPU seconds written back
        for line in sys.stdin:
            started = time.process_time()
            for _ in range(args.per_batch):
                get(line.strip())
            print(time.process_time() - started, flush=True)
        return
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.batches * args.per_batch):
            get(args.profile)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return
    for name in targets:
        best = float("inf")
        for _ in range(args.batches):
            started = time.process_time()
            for _ in range(args.per_batch):
                get(name)
            best = min(best, (time.process_time() - started) / args.per_batch)
        print(f"{name:<26}{best * 1000:>8.2f} ms")


def compare(args) -> None:
    """Each target's batches alternately in the code before (`--baseline`) and this code."""
    here = Path(__file__).resolve().parent.parent
    options = ["--per-batch", str(args.per_batch), *(["--cached"] if args.cached else [])]
    workers = {}
    for name, root in (("before", Path(args.baseline).resolve()), ("after", here)):
        workers[name] = subprocess.Popen(
            [sys.executable, str(here / "bench" / "cpu.py"), "--worker", *options],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    print(f"load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    print(f"{'target':<26}{'before':>10}{'after':>10}{'after/before':>14}")
    for name in (*TARGETS, "search + 3 facets (htmx)"):
        best = {"before": float("inf"), "after": float("inf")}
        for batch in range(args.batches):
            for version in ("before", "after") if batch % 2 == 0 else ("after", "before"):
                worker = workers[version]
                worker.stdin.write(name + "\n")
                worker.stdin.flush()
                seconds = float(worker.stdout.readline()) / args.per_batch
                best[version] = min(best[version], seconds)
        before, after = best["before"] * 1000, best["after"] * 1000
        print(f"{name:<26}{before:>8.2f}ms{after:>8.2f}ms{after / before:>14.2f}", flush=True)
    for worker in workers.values():
        worker.stdin.close()
        worker.wait()
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


def new_searches(client, count: int, seed: int) -> None:
    """`count` searches never asked before in this process, then each with two facets."""
    import random
    import re
    import statistics

    from interventions.models import Intervention

    words = sorted(
        {
            word
            for summary in Intervention.objects.published().values_list("summary", flat=True)
            for word in re.findall(r"[a-zæøå]{5,}", summary.lower())
        }
    )
    chosen = random.Random(seed).sample(words, min(count, len(words)))
    facets = "&target_group=hjemloese&region=region-midtjylland"
    for kind, suffix in (("new search", ""), ("same + 2 facets (new pair)", facets)):
        times = []
        for word in chosen:
            started = time.process_time()
            response = client.get(f"/indsatser/?q={word}{suffix}")
            times.append(time.process_time() - started)
            assert response.status_code == 200, (word, response.status_code)
        print(
            f"{kind:<26}{statistics.median(times) * 1000:>8.2f} ms median"
            f"{statistics.mean(times) * 1000:>8.2f} ms mean  ({len(times)} requests)"
        )


if __name__ == "__main__":
    main()
