"""What a process pays for the values the search reloads (issue #23): each load timed on its own
in a fresh process, the first request of a freshly started process (a cold start), and the
request that comes when the catalogue index and the kept values are old (`CATALOGUE_INDEX_SECONDS`
later, same version and day: the process's clock is moved on), with the rebuilds behind it.

CPU seconds are the process's: with rebuilds behind a request, their threads' CPU while it runs
counts in its figure.

Runs each side in a new interpreter (nothing loaded, as a worker just started), the sides
interleaved round by round so the machine's load falls on both. A side is a source tree: this
one, and with `--before <commit>` that commit's files (`git archive`, beside this tree's
collected static files), both against the same database:

    python -m bench.reloads --url postgres://postgres@127.0.0.1:5432/indsats_x_100000 \\
        --before 050f236 --rounds 3

Prints, per side and step, the median wall and CPU seconds, and the load average; one JSON
object last, like the other bench steps.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT

# Run in the side's tree: a cold request first, then each reload on its own (timed again).
PROBE = r"""
import json, os, sys, time
import django
django.setup()
from django.test import Client

def timed(step):
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return [round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3)]

out = {}
client = Client(HTTP_HOST="localhost")
status = []
out["cold request"] = timed(lambda: status.append(client.get(sys.argv[1], secure=True)))
out["next request"] = timed(lambda: status.append(client.get(sys.argv[1], secure=True)))

# The request that comes when the index and the kept values are old (CATALOGUE_INDEX_SECONDS
# after they were built, the same data version and day): this process's clock moved on. Then
# what the threads that rebuild them behind it take (a side that rebuilds in the request has
# none), and the request after them.
import threading
from django.conf import settings
real_monotonic = time.monotonic
time.monotonic = lambda: real_monotonic() + settings.CATALOGUE_INDEX_SECONDS + 1
out["aged request"] = timed(lambda: status.append(client.get(sys.argv[1], secure=True)))

def rebuilds_behind():
    for thread in threading.enumerate():
        if thread.name in ("refresh-behind", "kept-value-refresh"):
            thread.join()

out["rebuilds behind it (waited)"] = timed(rebuilds_behind)
out["request after them"] = timed(lambda: status.append(client.get(sys.argv[1], secure=True)))
rebuilds_behind()
out["the request after that"] = timed(lambda: status.append(client.get(sys.argv[1], secure=True)))
time.monotonic = real_monotonic
out["statuses"] = [r.status_code for r in status]
from django.db import connections
connections.close_all()  # a request longer than DB_CONN_MAX_AGE left it closed

from interventions.caching.version import data_version
from interventions.listing.index import FacetIndex
from interventions.search import hints, query

out["lexicon"] = timed(hints._load_lexicon)
out["published ids"] = timed(query._load_published)
published = query._load_published()
out["vocabulary links"] = timed(
    lambda: [query._load_linked(r, published) for r, _m in query.VOCABULARIES]
)
out["vocabulary, places, sizes"] = timed(
    lambda: (query._load_vocabulary(), query._load_places(), query._load_vocabulary_sizes())
)
out["catalogue index"] = timed(lambda: FacetIndex(data_version()))
print(json.dumps(out))
"""

COLD_URL = "/indsatser/?q=psykatri"  # a typo: the lexicon, the search and the index


def before_tree(commit: str) -> Path:
    """That commit's files in a temporary directory, with this tree's collected static files."""
    target = Path(tempfile.mkdtemp(prefix="reloads-before-"))
    archive = subprocess.run(
        ["git", "archive", commit], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    (target / "staticfiles").symlink_to(ROOT / "staticfiles")
    return target


def probe(tree: Path, url: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "catalogue.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench",
        "ALLOWED_HOSTS": "localhost",
        "PUBLIC_PAGE_CACHE_SECONDS": "0",
        "CACHE_URL": "locmem://",
        "PYTHONPATH": str(tree),
        # The web processes' statement limit (5 s) unless asked: each reload is timed whole.
        "DB_STATEMENT_TIMEOUT": os.environ.get("DB_STATEMENT_TIMEOUT", "0"),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, COLD_URL], cwd=tree, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the DATABASE_URL of a bench database")
    parser.add_argument("--before", help="a commit to compare with (its tree, same database)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sides = {"after": ROOT}
    if args.before:
        sides = {"before": before_tree(args.before), **sides}
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    loads = []
    for _ in range(args.rounds):
        for side, tree in sides.items():
            loads.append(os.getloadavg()[0])
            runs[side].append(probe(tree, args.url))
    result = {
        "load_average": [round(min(loads), 1), round(max(loads), 1)],
        "statuses": {side: [p.pop("statuses") for p in probes] for side, probes in runs.items()},
        "median": {},
    }
    for side, probes in runs.items():
        result["median"][side] = {
            step: [statistics.median(p[step][i] for p in probes) for i in (0, 1)]
            for step in probes[0]
        }
        for step, (wall, cpu) in result["median"][side].items():
            print(f"{side:>6}  {step:<28} wall {wall:7.3f} s   cpu {cpu:7.3f} s")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
