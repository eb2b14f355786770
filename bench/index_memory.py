"""The catalogue index's memory: what one process holds for the list page (issue #23).

Builds the index (`listing.index.FacetIndex`) on a bench database under tracemalloc and reports
the memory it keeps, the process's RSS before and after, what the search's own per-process
caches hold (the lexicon typos are corrected from, the vocabulary and its sizes, the places:
built by the first query), what it keeps per catalogue version (the published ids and each
vocabulary term's entries) and what each remembered search adds (the index keeps up to
`SEARCHES_KEPT` per version):

    python -m bench.index_memory --db postgres --size 100000
    python -m bench.index_memory --db sqlite --size 0          # the curated catalogue

Prints one JSON object last, like the other bench steps.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import time
import tracemalloc

from bench.common import django_env

SEARCHES = ("psykiatri", "bostøtte", "unge hjemløse", "misbrug", "§ 85")


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure() -> dict:
    from django.db import connection

    from interventions.caching.version import data_version
    from interventions.listing.index import FacetIndex
    from interventions.search.hints import understand
    from interventions.search.query import ranked

    connection.ensure_connection()
    gc.collect()
    before = rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    index = FacetIndex(data_version())
    built_s = time.perf_counter() - started
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    # What the search keeps per catalogue version (search.query._CatalogueKept): the published
    # ids and every vocabulary term's entries, all loaded. First: the first search loads them
    # too (the vocabulary sizes are counted from them), and would leave nothing to measure here.
    start_held, _ = tracemalloc.get_traced_memory()
    started = time.perf_counter()
    kept = _catalogue_kept()
    kept_s = time.perf_counter() - started
    gc.collect()
    now, _ = tracemalloc.get_traced_memory()
    search_kept_mb = round((now - start_held) / 2**20, 1)
    # The search's other caches (the lexicon a typo is corrected from, the vocabulary, the places,
    # the vocabulary sizes), built by the first query that is understood and ranked: kept per
    # process, not per search. `ranked` directly, so the index does not remember this search.
    start_held, _ = tracemalloc.get_traced_memory()
    ranked(understand(SEARCHES[0]))
    gc.collect()
    now, _ = tracemalloc.get_traced_memory()
    search_caches_mb = round((now - start_held) / 2**20, 1)
    searches = []
    for query in SEARCHES:
        start_held, _ = tracemalloc.get_traced_memory()
        matches = index.search(query, understand(query))
        gc.collect()
        now, _ = tracemalloc.get_traced_memory()
        kept_kb = round((now - start_held) / 1024, 1)
        searches.append({"query": query, "matches": len(matches.ordered), "kb": kept_kb})
    tracemalloc.stop()
    return {
        "entries": published_count(),
        "build_s_under_tracemalloc": round(built_s, 2),
        "index_mb": round(held / 2**20, 1),
        "build_peak_mb": round(peak / 2**20, 1),
        "search_caches_mb": search_caches_mb,
        "search_kept_per_version_mb": search_kept_mb,
        "search_kept_load_s_under_tracemalloc": round(kept_s, 2),
        "search_kept_links": kept,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(rss_mb(), 1),
        "searches": searches,
    }


def _catalogue_kept() -> int:
    """Load everything the search keeps per catalogue version; the number of links kept."""
    from interventions.search.query import VOCABULARIES, _catalogue

    _catalogue.published()
    return sum(
        len(entries)
        for relation, _model in VOCABULARIES
        for entries in _catalogue.entries(relation).values()
    )


def published_count() -> int:
    from interventions.models import Intervention

    return Intervention.objects.published().count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgres", help="sqlite or postgres")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--url", help="a DATABASE_URL to use instead of the bench database")
    args = parser.parse_args()
    os.environ.update(django_env(args.db, args.size))
    if args.url:
        os.environ["DATABASE_URL"] = args.url
    from bench.common import setup_django

    setup_django()
    result = measure()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
