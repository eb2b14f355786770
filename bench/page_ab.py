"""A/B of the new-search list page: a committed version of the whole code against the working tree.

Two worker processes, one per version (the committed one from `git archive`), each with its own
catalogue index, search caches and local-memory cache, answer the same URLs through the whole
Django stack (page cache off, as bench.measure's rows), alternately: for each URL one asks
first, then the other, so the machine's load falls on both alike. The URLs are bench.measure's
"list, new search + 3 facets" for words sampled from `SearchWord` (as bench.lookup_ab samples
them): each a search neither index has seen. Both are warmed first (the index, the kept
vocabulary and published ids, a few other searches). Each response's body (CSP nonces and CSRF
tokens blanked, as bench.snapshot does) must be byte for byte the same in both, or the run
names the words that differ.

    DATABASE_URL=... python -m bench.page_ab --before HEAD [--words 120] [--seed 23]
        [--before-database URL]

`--before-database`: the committed version reads another database (a copy of the bench database
from before a migration of the working tree, which `DATABASE_URL` has had).

Prints wall time and CPU time of each version's requests (median, p95, max) and the load
average at the start and the end.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
NONCE = re.compile(rb"nonce(=\"|-)[A-Za-z0-9+/=]+")
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
WARM_WORDS = 8


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (as bench.measure's)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


# --- The worker: one version of the code, answering URLs on stdin ---------------------------------


def serve() -> None:
    """Answer one URL a line with one JSON line: status, wall and CPU ms, the body's digest."""
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.test.client import FakePayload, RequestFactory

    app = get_wsgi_application()
    base = RequestFactory()._base_environ
    for line in sys.stdin:
        url = line.strip()
        path, _, query = url.partition("?")
        environ = base(
            PATH_INFO=path,
            QUERY_STRING=query,
            REQUEST_METHOD="GET",
            SERVER_NAME="localhost",
            **{"wsgi.input": FakePayload(b""), "wsgi.errors": io.StringIO()},
        )
        status: list[str] = []
        wall, cpu = time.perf_counter(), time.process_time()
        result = app(environ, lambda s, headers, exc_info=None, seen=status: seen.append(s))
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        body = CSRF.sub(b'name="csrfmiddlewaretoken"', NONCE.sub(rb"nonce\1-", body))
        count = re.search(rb'id="result-count"[^>]*>\s*([\d.]+)', body)
        answer = {
            "status": int(status[0].split()[0]),
            "wall_ms": wall * 1000,
            "cpu_ms": cpu * 1000,
            "digest": hashlib.sha256(body).hexdigest(),
            "results": count.group(1).decode() if count else None,
        }
        print(json.dumps(answer), flush=True)


class Worker:
    def __init__(self, name: str, checkout: Path, database: str | None = None) -> None:
        self.name = name
        env = {**os.environ, "PUBLIC_PAGE_CACHE_SECONDS": "0", "CACHE_URL": "locmem://"}
        if database:
            env["DATABASE_URL"] = database
        env.update(PYTHONPATH=str(checkout), DJANGO_SETTINGS_MODULE="catalogue.settings")
        env.setdefault("DEBUG", "0")
        env.setdefault("SECRET_KEY", "bench-only-secret-key")
        env.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
        # The index's build reads 100,000 entries: on a loaded machine longer than a page's
        # statement may take (a 503 would end the warm-up, not the run).
        env.setdefault("DB_STATEMENT_TIMEOUT", "300")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve"],
            cwd=checkout,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def get(self, url: str) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(url + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the {self.name} worker stopped")
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait()


def checkout(commit: str, into: Path) -> Path:
    """The tree of `commit` in `into`, with the working tree's collected static files."""
    archive = subprocess.run(
        ["git", "archive", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    for name in ("staticfiles", "static", "node_modules"):
        if (ROOT / name).exists() and not (into / name).exists():
            (into / name).symlink_to(ROOT / name)
    return into


def urls(words: int, seed: int) -> tuple[list[str], list[str]]:
    """Warm-up URLs and the timed ones: a new search + 3 facets per sampled word."""
    sys.path.insert(0, str(ROOT))
    from bench.common import setup_django

    setup_django()
    from bench.measure import pick_urls
    from interventions.models import SearchWord

    picked = pick_urls()
    facets = picked["list, 3 facets"][0].partition("?")[2]
    vocabulary = list(SearchWord.objects.order_by("pk").values_list("word", flat=True))
    sample = random.Random(seed).sample(vocabulary, min(words + WARM_WORDS, len(vocabulary)))
    pages = [f"/indsatser/?{facets}&{urlencode({'q': w})}" for w in sample]
    warm = ["/indsatser/", picked["list, search + 3 facets"][0], *pages[words:]]
    return warm, pages[:words]


def summary(values: list[float]) -> dict:
    return {
        "median": round(statistics.median(values), 1),
        "p95": round(percentile(values, 0.95), 1),
        "max": round(max(values), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="HEAD", help="the commit to compare against")
    parser.add_argument("--words", type=int, default=120, help="words sampled from SearchWord")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--before-database", help="the before version's DATABASE_URL")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    warm, timed = urls(args.words, args.seed)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="page_ab_") as tmp:
        before = checkout(args.before, Path(tmp))
        workers = [Worker("before", before, args.before_database), Worker("after", ROOT)]
        for url in warm:
            for worker in workers:
                worker.get(url)
        times = {w.name: {"wall": [], "cpu": []} for w in workers}
        differ, failed = [], 0
        for n, url in enumerate(timed):
            answers = {}
            for worker in workers if n % 2 == 0 else workers[::-1]:
                answers[worker.name] = answer = worker.get(url)
                times[worker.name]["wall"].append(answer["wall_ms"])
                times[worker.name]["cpu"].append(answer["cpu_ms"])
            if answers["before"]["digest"] != answers["after"]["digest"]:
                differ.append(url)
            failed += sum(answer["status"] != 200 for answer in answers.values())
        for worker in workers:
            worker.close()
    result = {
        "base": args.before,
        "before_database": bool(args.before_database),
        "words": len(timed),
        "differ": differ,
        "not_200": failed,
        "load_average": [round(load_start[0], 2), round(os.getloadavg()[0], 2)],
        **{
            name: {kind: summary(values) for kind, values in kinds.items()}
            for name, kinds in times.items()
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
