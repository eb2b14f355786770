"""Server time of the public pages on one bench database, measured in-process.

Each request goes through the whole Django stack (middleware, view, template) by a direct WSGI
call, with no network and no HTTP server: what is measured is the server's own work. Four
warm-up requests are not counted (two for pages slower than SLOW_SECONDS); then a scenario runs
until it has `--max-requests` or its `--seconds` are spent (at least `--min-requests`, or 3 for
slow pages). The page cache is off, except in the row that says "cached". The catalogue index
and the result cards are warm, as in a running server, except in the row "new search", whose
every request is a search the index has not seen.

    DATABASE_URL=... python -m bench.measure
"""

from __future__ import annotations

import argparse
import io
import json
import math
import statistics
import sys
import time
from urllib.parse import urlencode

from bench.common import setup_django

SEARCH_TERM = "misbrug"
CSV_ROWS = 1000
# A page slower than this gets a shorter warm-up and at least 3 (not --min-requests) timings.
SLOW_SECONDS = 2.0


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of the values below."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


class Server:
    """Calls the WSGI application directly, as a server would, and drains the response."""

    def __init__(self) -> None:
        from django.core.wsgi import get_wsgi_application

        self.app = get_wsgi_application()

    def get(self, url: str) -> tuple[int, bytes]:
        from django.test.client import FakePayload, RequestFactory

        path, _, query = url.partition("?")
        environ = RequestFactory()._base_environ(
            PATH_INFO=path,
            QUERY_STRING=query,
            REQUEST_METHOD="GET",
            SERVER_NAME="localhost",
            **{"wsgi.input": FakePayload(b""), "wsgi.errors": io.StringIO()},
        )
        status = []
        result = self.app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        return int(status[0].split()[0]), body


def pick_urls() -> dict[str, list[str]]:
    """The scenarios' URLs, chosen from the data so that every one shows results."""
    from django.db.models import Count, Q

    from interventions.listing.index import SEARCHES_KEPT
    from interventions.models import (
        Intervention,
        LegalParagraph,
        Method,
        Municipality,
        PolicyArea,
        SearchWord,
        SourceDocument,
        TargetGroup,
    )

    published = Intervention.objects.published()

    def by_use(model):
        return model.objects.annotate(
            n=Count("interventions", filter=Q(interventions__is_published=True))
        ).order_by("-n")

    target_group, policy_area = by_use(TargetGroup)[0].slug, by_use(PolicyArea)[0].slug
    facets = {"target_group": target_group, "policy_area": policy_area}
    facets["region"] = "region-midtjylland"
    total = published.count()
    # The CSV: the one-value filter whose result is closest to CSV_ROWS rows.
    candidates = [({}, total)]
    for param, model, key in (
        ("target_group", TargetGroup, "slug"),
        ("policy_area", PolicyArea, "slug"),
        ("municipality", Municipality, "slug"),
        ("method", Method, "slug"),
        ("paragraph", LegalParagraph, "slug"),
        ("source", SourceDocument, "key"),
    ):
        candidates += [({param: getattr(row, key)}, row.n) for row in by_use(model) if row.n]
    csv_query, _rows = min(candidates, key=lambda c: abs(c[1] - CSV_ROWS))
    slugs = list(published.order_by("pk").values_list("slug", flat=True))
    # More distinct searches than the catalogue index keeps, so that each one runs afresh.
    words = [
        w
        for w in SearchWord.objects.order_by("word").values_list("word", flat=True)
        if w.isalpha() and len(w) >= 6
    ]
    fresh = words[:: max(len(words) // (SEARCHES_KEPT + 36), 1)][: SEARCHES_KEPT + 36]
    step = max(len(slugs) // 30, 1)
    return {
        "list, no filter": ["/indsatser/"],
        "list, 3 facets": [f"/indsatser/?{urlencode(facets)}"],
        "list, search": [f"/indsatser/?{urlencode({'q': SEARCH_TERM})}"],
        "list, search + 3 facets": [f"/indsatser/?{urlencode({**facets, 'q': SEARCH_TERM})}"],
        "list, new search + 3 facets": [
            f"/indsatser/?{urlencode({**facets, 'q': word})}" for word in fresh
        ],
        "list, 3 facets, cached": [f"/indsatser/?{urlencode(facets)}"],
        "detail": [f"/indsatser/{slug}/" for slug in slugs[::step][:30]],
        "API list": ["/api/interventions/"],
        f"CSV ~{CSV_ROWS} rows": [f"/indsatser/download.csv?{urlencode(csv_query)}"],
    }


def count_queries(server: Server, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        server.get(url)
    return len(ctx)


def run_scenario(server: Server, name: str, urls: list[str], args) -> dict:
    from django.test.utils import override_settings

    cached = "cached" in name
    with override_settings(PUBLIC_PAGE_CACHE_SECONDS=600 if cached else 0):
        first = time.perf_counter()
        status, body = server.get(urls[0])
        first = time.perf_counter() - first
        result = {"name": name, "url": urls[0], "status": status, "bytes": len(body)}
        if status == 404:
            return {**result, "note": "404: not on this branch yet, skipped"}
        if status != 200:
            return {**result, "note": f"answered {status}, skipped"}
        if "download.csv" in urls[0]:
            result["rows"] = body.count(b"\n") - 1
        if name.startswith("list"):
            result["results"] = _result_count(body)
        # Warm-up: the first request, the one that counts queries and (for fast pages) two more.
        result["queries"] = 0 if cached else count_queries(server, urls[0])
        slow = first > SLOW_SECONDS
        for i in range(0 if slow else 2):
            server.get(urls[(i + 1) % len(urls)])
        least = min(args.min_requests, 3) if slow else args.min_requests
        timings: list[float] = []
        started = time.perf_counter()
        while len(timings) < args.max_requests and (
            len(timings) < least or time.perf_counter() - started < args.seconds
        ):
            url = urls[len(timings) % len(urls)]
            before = time.perf_counter()
            server.get(url)
            timings.append((time.perf_counter() - before) * 1000)
    return {
        **result,
        "n": len(timings),
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
    }


def _result_count(body: bytes) -> int | None:
    import re

    match = re.search(rb'id="result-count"[^>]*>\s*([\d.]+)', body)
    return int(match.group(1).replace(b".", b"")) if match else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="time per scenario")
    parser.add_argument("--min-requests", type=int, default=5)
    parser.add_argument("--max-requests", type=int, default=200)
    args = parser.parse_args()
    setup_django()
    from interventions.models import Intervention

    server = Server()
    scenarios = []
    for name, urls in pick_urls().items():
        scenarios.append(run_scenario(server, name, urls, args))
        done = scenarios[-1]
        print(f"    {name}: {done.get('median_ms', done.get('note'))}", file=sys.stderr)
    total = Intervention.objects.count()
    print(json.dumps({"entries": total, "scenarios": scenarios}))


if __name__ == "__main__":
    main()
