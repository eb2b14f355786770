"""Side by side with a peer: our uncached pages against Datasette on the same entries, same run.

Datasette is what a team would get by publishing the catalogue as a table: one SQLite file built
from our published entries (title, summary and every section text, with an FTS5 index for
`_search`; source, target groups, municipalities, regions, policy areas and legal paragraphs as
columns and JSON arrays for `_facet`/`_facet_array`), `suggest_facets` off. Both servers run on
this machine at the same time, and each target is fired at both back to back, so a noisy
neighbour costs both; ratios are ours / Datasette's, and ours / our static file. A second server
of ours with the page cache on answers the same URLs repeated ("cached"), as a browser or a
proxy revalidating would not even ask.

    python -m bench.peers --dbs sqlite --seconds 8
    python -m bench.peers --baseline /tmp/before   # also a checkout of the code before a change

With `--baseline DIR` a third server runs the code in DIR (say `git archive <commit>` unpacked,
with this checkout's `.venv` and `staticfiles` linked in) on the same bench database, and each
target is fired at it right before ours: before and after in the same run. A fourth server runs
that code with the page cache on, fired at right before our cached one.

Each target is measured `--rounds` times over (3 by default; one 8-second run moved by up to 20%
between runs on the same code, ADR 0017), the rounds one after another, and the table gives
medians. The static file is measured right before each page, on the same server, and each
round's "x static" is the page against that: the page and the static file of one moment.

With `--gzip` every request (to every server, the static file included) says
`Accept-Encoding: gzip`, as browsers do; wrk's default sends none.

Needs `pip install -e '.[bench]'` (Datasette is the bench's dependency, not the app's) and wrk.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from statistics import median

from bench.common import RESULTS, ROOT, django_env, run_step
from bench.load import Gunicorn, free_port, log, static_url, wrk

QUERY = "psykiatri"
TARGET_GROUP = "borgere-i-akut-psykisk-krise"
POLICY_AREA = "psykiatri"
REGION = "region-midtjylland"
DETAIL_SLUG = "akutteam-herning"
TABLE = "indsatser"
FACETS = ["source"]
ARRAY_FACETS = ["target_groups", "municipalities", "legal_paragraphs"]

# The peer's SQLite file, written by a subprocess with Django set up on the bench database.
EXPORT = r"""
import json, sqlite3, sys
from bench.common import setup_django
setup_django()
from interventions.models import Intervention

TEXTS = ("purpose", "background", "target_group_text", "activities", "organisation_text",
         "outcomes", "resources", "collaboration", "evaluation", "materials")
db = sqlite3.connect(sys.argv[1])
db.executescript('''
    DROP TABLE IF EXISTS indsatser;
    DROP TABLE IF EXISTS indsatser_fts;
    CREATE TABLE indsatser (
        id INTEGER PRIMARY KEY, slug TEXT UNIQUE, title TEXT, summary TEXT, body TEXT,
        source TEXT, sector TEXT, status TEXT, period_start INTEGER, period_end INTEGER,
        budget_dkk INTEGER, target_groups TEXT, municipalities TEXT, regions TEXT,
        policy_areas TEXT, legal_paragraphs TEXT);
    CREATE VIRTUAL TABLE indsatser_fts USING fts5(
        title, summary, body, content="indsatser", content_rowid="id");
''')
entries = (
    Intervention.objects.published()
    .select_related("source")
    .prefetch_related("target_groups", "municipalities__region", "regions", "policy_areas",
                      "legal_paragraphs__law")
)
for e in entries:
    regions = {r.slug for r in e.regions.all()} | {m.region.slug for m in e.municipalities.all()}
    db.execute(
        "INSERT INTO indsatser VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (e.pk, e.slug, e.title, e.summary, "\n\n".join(getattr(e, t) for t in TEXTS),
         e.source.key, e.sector, e.status, e.period_start, e.period_end, e.budget_dkk,
         json.dumps(sorted(t.slug for t in e.target_groups.all())),
         json.dumps(sorted(m.slug for m in e.municipalities.all())),
         json.dumps(sorted(regions)),
         json.dumps(sorted(p.slug for p in e.policy_areas.all())),
         json.dumps(sorted(str(p) for p in e.legal_paragraphs.all()))),
    )
db.execute("INSERT INTO indsatser_fts(indsatser_fts) VALUES ('rebuild')")
db.commit()
print(db.execute("SELECT count(*) FROM indsatser").fetchone()[0])
"""


def build_peer_file(env: dict[str, str], path: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", EXPORT, str(path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.split()[-1])


class Datasette:
    """`datasette serve` on the peer file, with full-text search configured for the table."""

    def __init__(self, path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.metadata = path.with_suffix(".metadata.json")
        self.metadata.write_text(
            json.dumps(
                {
                    "databases": {
                        path.stem: {
                            "tables": {
                                TABLE: {"fts_table": "indsatser_fts", "fts_pk": "id"},
                            }
                        }
                    }
                }
            )
        )
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "datasette"),
                "serve",
                str(path),
                "--metadata",
                str(self.metadata),
                "--port",
                str(self.port),
                "--setting",
                "suggest_facets",
                "off",
                "--setting",
                "default_cache_ttl",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.database = path.stem
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/-/versions.json", timeout=5).read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("datasette did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def peer_targets(database: str, detail_id: int) -> dict[str, str]:
    table = f"/{database}/{TABLE}"
    facets = [("_facet", f) for f in FACETS] + [("_facet_array", f) for f in ARRAY_FACETS]
    chosen = [
        ("target_groups__arraycontains", TARGET_GROUP),
        ("policy_areas__arraycontains", POLICY_AREA),
        ("regions__arraycontains", REGION),
    ]
    search = [("_search", QUERY)]
    return {
        "list": f"{table}?{urllib.parse.urlencode(facets)}",
        "search": f"{table}?{urllib.parse.urlencode(search + facets)}",
        "search + 3 facets": f"{table}?{urllib.parse.urlencode(search + chosen + facets)}",
        "detail": f"{table}/{detail_id}",
        "API list": f"{table}.json?{urllib.parse.urlencode(search + facets)}",
    }


OUR_TARGETS = {
    "list": "/indsatser/",
    "search": f"/indsatser/?q={QUERY}",
    "search + 3 facets": (
        f"/indsatser/?q={QUERY}&target_group={TARGET_GROUP}&policy_area={POLICY_AREA}"
        f"&region={REGION}"
    ),
    "detail": f"/indsatser/{DETAIL_SLUG}/",
    "API list": f"/api/interventions/?q={QUERY}",
}


def count_of(url: str, ours: bool) -> int | None:
    """The result count each side reports for a JSON list: a check that both do the same work."""
    body = json.loads(urllib.request.urlopen(url, timeout=30).read())
    return body.get("count") if ours else body.get("filtered_table_rows_count")


def run(
    db: str,
    seconds: float,
    connections: int,
    workers: int,
    baseline: Path | None = None,
    gzip: bool = False,
    rounds: int = 3,
) -> dict:
    headers = ("Accept-Encoding: gzip",) if gzip else ()
    env = django_env(db, 0, PUBLIC_PAGE_CACHE_SECONDS="0", CACHE_URL="locmem://")
    cached_env = django_env(db, 0, PUBLIC_PAGE_CACHE_SECONDS="300", CACHE_URL="locmem://")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "peer.db"
        entries = build_peer_file(env, path)
        detail_id = _detail_id(env)
        ours = Gunicorn(env, workers)
        cached = Gunicorn(cached_env, workers)
        before = Gunicorn(env, workers, cwd=baseline) if baseline else None
        cached_before = Gunicorn(cached_env, workers, cwd=baseline) if baseline else None
        peer = Datasette(path)
        try:
            peer_urls = peer_targets(peer.database, detail_id)
            ours.warm([static_url(), *OUR_TARGETS.values()])
            cached.warm(list(OUR_TARGETS.values()))
            if before is not None and cached_before is not None:
                before.warm(list(OUR_TARGETS.values()))
                cached_before.warm(list(OUR_TARGETS.values()))
            for url in peer_urls.values():
                for _ in range(3):
                    urllib.request.urlopen(peer.base + url, timeout=30).read()
            counts = {
                "ours": count_of(ours.base + OUR_TARGETS["API list"], ours=True),
                "datasette": count_of(peer.base + peer_urls["API list"], ours=False),
            }

            def fire(base: str, path_: str) -> dict:
                return wrk(base + path_, seconds, connections, headers=headers)

            samples: dict[str, list[dict]] = {name: [] for name in OUR_TARGETS}
            for turn in range(rounds):
                for name, path_ in OUR_TARGETS.items():
                    sample = {}
                    if before is not None:
                        before.wait_idle()
                        sample["before"] = fire(before.base, path_)
                    ours.wait_idle()
                    # The static file right before the page, from the same server: the ratio
                    # compares two figures of one moment, not the page with the run's start.
                    sample["static"] = fire(ours.base, static_url())
                    sample["ours"] = fire(ours.base, path_)
                    sample["peer"] = fire(peer.base, peer_urls[name])
                    if cached_before is not None:
                        cached_before.wait_idle()
                        sample["cached_before"] = fire(cached_before.base, path_)
                    cached.wait_idle()
                    sample["cached"] = fire(cached.base, path_)
                    samples[name].append(sample)
                    log(
                        f"  round {turn + 1}, {name}: "
                        f"{_ratio(sample['ours'], sample['peer']):.2f}x Datasette, "
                        f"{_ratio(sample['ours'], sample['static']):.3f}x static"
                    )
            rows = [_row(name, taken) for name, taken in samples.items()]
        finally:
            ours.stop()
            cached.stop()
            peer.stop()
            if before is not None and cached_before is not None:
                before.stop()
                cached_before.stop()
    return {
        "db": db,
        "entries": entries,
        "workers": workers,
        "gzip": gzip,
        "rounds": rounds,
        "static_rps": median(
            sample["static"]["rps"] for taken in samples.values() for sample in taken
        ),
        "search_counts": counts,
        "rows": rows,
    }


def _ratio(a: dict, b: dict) -> float:
    return a["rps"] / (b["rps"] or 1.0)


def _row(name: str, taken: list[dict]) -> dict:
    """A target's figures over its rounds: medians of the rates, and medians of the ratios each
    round measured (each against the static file and the peer of its own moment)."""

    def rps(side: str) -> float:
        return median(sample[side]["rps"] for sample in taken)

    def ratio(a: str, b: str) -> float:
        return median(_ratio(sample[a], sample[b]) for sample in taken)

    row = {
        "target": name,
        "ours_rps": rps("ours"),
        "datasette_rps": rps("peer"),
        "ratio_to_datasette": round(ratio("ours", "peer"), 2),
        "static_rps": rps("static"),
        "ratio_to_static": round(ratio("ours", "static"), 3),
        "ratio_to_static_each": [round(_ratio(s["ours"], s["static"]), 3) for s in taken],
        "cached_rps": rps("cached"),
        "cached_to_static": round(ratio("cached", "static"), 3),
        "ours_p99_ms": median(sample["ours"]["p99_ms"] or 0.0 for sample in taken),
        "datasette_p99_ms": median(sample["peer"]["p99_ms"] or 0.0 for sample in taken),
        "errors": sum(
            sample[side]["errors"] for sample in taken for side in sample if side != "static"
        ),
    }
    if "before" in taken[0]:
        row["baseline_rps"] = rps("before")
        row["ratio_to_baseline"] = round(ratio("ours", "before"), 2)
        row["cached_baseline_rps"] = rps("cached_before")
    return row


def _detail_id(env: dict[str, str]) -> int:
    code = (
        "from bench.common import setup_django; setup_django();"
        "from interventions.models import Intervention as I;"
        f"print(I.objects.get(slug={DETAIL_SLUG!r}).pk)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1])


def print_table(result: dict) -> None:
    print(
        f"\n{result['db']}: {result['entries']} entries, {result['workers']} gunicorn workers, "
        f"static file {result['static_rps']:.0f} req/s (median), "
        f"{result['rounds']} round(s), each figure a median; x static: each round's page against "
        "the static file measured right before it"
        f"{' (all gzip)' if result.get('gzip') else ''}; "
        f"search matches ours {result['search_counts']['ours']}, "
        f"Datasette {result['search_counts']['datasette']}"
    )
    baseline = any("baseline_rps" in row for row in result["rows"])
    print(
        f"{'target':<20}{'ours':>9}{'datasette':>11}{'x peer':>8}{'x static':>10}"
        f"{'cached':>9}{'x static':>10}{'errors':>8}"
        + (f"{'before':>9}{'x before':>10}{'cached before':>15}" if baseline else "")
    )
    for row in result["rows"]:
        print(
            f"{row['target']:<20}{row['ours_rps']:>9.0f}{row['datasette_rps']:>11.0f}"
            f"{row['ratio_to_datasette']:>8.2f}{row['ratio_to_static']:>10.3f}"
            f"{row['cached_rps']:>9.0f}{row['cached_to_static']:>10.3f}{row['errors']:>8}"
            + (
                f"{row['baseline_rps']:>9.0f}{row['ratio_to_baseline']:>10.2f}"
                f"{row['cached_baseline_rps']:>15.0f}"
                if baseline
                else ""
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dbs", default="sqlite", help="comma-separated: sqlite,postgres")
    parser.add_argument("--seconds", type=float, default=8, help="per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--baseline", type=Path, help="a checkout of the code before a change, run side by side"
    )
    parser.add_argument(
        "--gzip", action="store_true", help="send Accept-Encoding: gzip, as browsers do"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="every target this many times over; medians"
    )
    args = parser.parse_args()
    started = datetime.datetime.now(datetime.UTC)
    results = []
    for db in args.dbs.split(","):
        run_step("generate", ["--db", db, "--size", "0"], django_env(db, 0))
        log(f"peers on {db} ...")
        results.append(
            run(
                db,
                args.seconds,
                args.connections,
                args.workers,
                args.baseline,
                args.gzip,
                args.rounds,
            )
        )
        print_table(results[-1])
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"peers-{started:%Y%m%dT%H%M%S}-{platform.node()}.json"
    out.write_text(json.dumps({"started": started.isoformat(), "peers": results}, indent=1))
    print(f"\nsaved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
