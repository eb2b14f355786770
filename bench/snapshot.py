"""The output of a broad set of URLs, to prove a speed change left every byte as it was.

    python -m bench.snapshot /tmp/before          # in the checkout before a change
    python -m bench.snapshot /tmp/after --compare /tmp/before

Each URL is requested through Django's test client (DEBUG off, page cache off, the curated
bench database): status, content type and body are written to one file per URL, with CSP
nonces and CSRF tokens (random per request) blanked.
`--compare` lists every URL whose file differs and exits 1. A 503 (the maintenance page, when
the bench database is missing or of another schema) stops it: such a snapshot proves nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from pathlib import Path

from bench.common import django_env

SEARCH = "q=psykiatri&target_group=borgere-i-akut-psykisk-krise&policy_area=psykiatri"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
BOOSTED = {"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true"}
# (url, extra request headers)
URLS: list[tuple[str, dict[str, str]]] = [
    ("/", {}),
    ("/indsatser/", {}),
    ("/indsatser/?page=2", {}),
    ("/indsatser/?page=999", {}),
    ("/indsatser/?q=psykiatri", {}),
    ("/indsatser/?q=psykatri", {}),  # typo-corrected
    ("/indsatser/?q=bostøtte+unge", {}),
    ("/indsatser/?q=%22housing+first%22", {}),
    ("/indsatser/?q=zzzxqy", {}),  # no match
    (f"/indsatser/?{SEARCH}", {}),
    (f"/indsatser/?{SEARCH}&region=region-midtjylland", {}),
    (f"/indsatser/?{SEARCH}&region=region-midtjylland", HTMX),
    (f"/indsatser/?{SEARCH}", BOOSTED),
    ("/indsatser/?target_group=hjemloese&target_group=borgere-i-akut-psykisk-krise", {}),
    ("/indsatser/?target_group=hjemloese&match_all=target_group", {}),
    ("/indsatser/?municipality=herning&has_budget=true", {}),
    ("/indsatser/?sort=title", {}),
    ("/indsatser/?sort=-title&q=psykiatri", {}),
    ("/indsatser/?sort=nonsense", {}),  # 400
    ("/indsatser/?target_group=no-such-group", {}),  # 400
    ("/indsatser/?page=abc", {}),
    # Pagination in the middle, with other parameters kept in its links.
    ("/indsatser/?page=5&sort=-budget", {}),
    ("/indsatser/?q=borgere&page=3&region=region-midtjylland", HTMX),
    # Every kind of active-filter chip: search, facets, "alle valgte", budget, sort.
    (
        "/indsatser/?q=%22unge%22+%3Cb%3E&target_group=hjemloese&target_group=borgere-med-misbrug"
        "&match_all=target_group&has_budget=false&sort=-start",
        {},
    ),
    ("/en/indsatser/?q=bostøtte&target_group=hjemloese&has_budget=true&sort=title", HTMX),
    ("/indsatser/?policy_area=psykiatri&policy_area=misbrug&page=2", {}),
    ("/indsatser/?q=psykatri&region=region-midtjylland", HTMX),  # corrected, with a facet
    ("/en/indsatser/?q=zzzxqy", {}),  # no match in English: the Danish hint
    ("/indsatser/?target_group=hjemloese&match_all=target_group", HTMX),
    ("/en/indsatser/", {}),
    ("/en/indsatser/?q=psykiatri&region=region-midtjylland", {}),
    ("/en/indsatser/?q=psykiatri", HTMX),
    ("/indsatser/akutteam-herning/", {}),
    ("/indsatser/biofeedback-horsens/", {}),
    ("/en/indsatser/akutteam-herning/", {}),
    ("/indsatser/no-such-entry/", {}),  # 404
    ("/no-such-page/", {}),  # 404
    ("/om/", {}),
    ("/en/om/", {}),
    ("/maalgrupper/", {}),
    ("/kommuner/", {}),
    ("/paragraffer/", {}),
    ("/metoder/", {}),
    ("/kilder/", {}),
    ("/data/", {}),
    ("/sammenlign/", {}),
    ("/foreslaa-en-indsats/", {}),
    ("/api/", {}),
    ("/api/interventions/", {}),
    ("/api/interventions/?q=psykiatri", {}),
    ("/api/interventions/?q=psykiatri&page=2", {}),
    ("/api/interventions/?target_group=hjemloese&sort=title", {}),
    ("/api/interventions/?sort=nonsense", {}),  # 400
    ("/api/interventions/akutteam-herning/", {}),
    ("/api/interventions/no-such-entry/", {}),
    ("/api/target-groups/", {}),
    ("/indsatser/feed.atom?q=psykiatri", {}),
]

NONCE = re.compile(rb"nonce(=\"|-)[A-Za-z0-9+/=]+")
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def file_name(url: str, headers: dict[str, str]) -> str:
    key = url + "|" + "|".join(f"{k}={v}" for k, v in sorted(headers.items()))
    slug = re.sub(r"[^A-Za-z0-9]+", "_", url).strip("_")[:60]
    return f"{slug}-{hashlib.sha256(key.encode()).hexdigest()[:8]}.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--compare", type=Path, help="a snapshot to compare with")
    args = parser.parse_args()
    os.environ.update(django_env("sqlite", 0, PUBLIC_PAGE_CACHE_SECONDS="0", CACHE_URL="locmem://"))
    from bench.common import setup_django

    setup_django()
    from django.test import Client

    client = Client()
    args.out.mkdir(parents=True, exist_ok=True)
    for url, headers in URLS:
        for attempt in range(2):  # the second request: what a warm process answers
            response = client.get(url, **headers)
            body = b"".join(response) if response.streaming else response.content
            if response.status_code == 503:  # the maintenance page: nothing to compare
                raise SystemExit(
                    f"{url} answered 503: no readable bench database "
                    "(python -m bench.generate --db sqlite --size 0)"
                )
            text = (
                f"{response.status_code} {response.get('Content-Type', '')}\n".encode()
                + CSRF.sub(b'name="csrfmiddlewaretoken"', NONCE.sub(rb"nonce\1-", body))
            )
            (args.out / (f"{attempt}-" + file_name(url, headers))).write_bytes(text)
    if args.compare:
        differ = [
            path.name
            for path in sorted(args.compare.iterdir())
            if not (args.out / path.name).exists()
            or (args.out / path.name).read_bytes() != path.read_bytes()
        ]
        print(f"{2 * len(URLS) - len(differ)} same, {len(differ)} differ")
        for name in differ:
            print("  differs:", name)
        sys.exit(1 if differ else 0)
    print(f"wrote {2 * len(URLS)} responses to {args.out}")


if __name__ == "__main__":
    main()
