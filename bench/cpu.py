"""CPU per request, in process (Django's test client, DEBUG off, the curated bench database).

    python -m bench.cpu                      # the peer bench's targets, page cache off
    python -m bench.cpu --cached             # the same URLs repeated, page cache on (hits)
    python -m bench.cpu --profile "search + 3 facets"   # cProfile of one target, top functions

Prints one line per target: the best of `--batches` batches of `--per-batch` requests, in ms of
process CPU time per request. Run the code before a change from its own checkout (same bench
database) alternately with this one to compare before and after in one sitting.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
