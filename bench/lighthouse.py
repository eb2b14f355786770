"""Lighthouse on the public pages: gunicorn (production-like) on the curated SQLite catalogue.

    python -m bench.lighthouse [--runs 3] [--pages home,list,filtered,detail,en]
                               [--forms mobile,desktop] [--baseline REF] [--out FILE]

Each page is measured `--runs` times per form factor (Lighthouse's mobile default, with its
simulated slow 4G and CPU slowdown, and `--preset=desktop`) with npm's `lighthouse@12` driving
Debian's Chromium (`CHROME_PATH`, default /usr/bin/chromium). The server is the one the load test
starts (`bench.load.Gunicorn`): DEBUG off, static files hashed, compressed and served by WhiteNoise,
on the curated catalogue (`bench.generate --size 0`).

`--baseline REF` measures a second server built from the commit REF (exported with `git archive`
into bench/.data/, sharing this checkout's node_modules and database) in the same run, runs
interleaved, so a change is read against its baseline on the same noisy machine.

The table gives per page and form factor the median performance score, the largest CLS of the
runs, the lowest accessibility, best-practices and SEO scores, and the median FCP and LCP. It is
printed and written to bench/results/<time>-lighthouse.json (with every run's figures) and .md.
Not part of `make test`: one full run takes about 10 minutes (20 with a baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.common import DATA, RESULTS, ROOT, django_env, run_step
from bench.load import Gunicorn

PAGES = {
    "home": "/",
    "list": "/indsatser/",
    "filtered": (
        "/indsatser/?q=psykiatri&target_group=borgere-i-akut-psykisk-krise"
        "&policy_area=psykiatri&region=region-midtjylland"
    ),
    "detail": "/indsatser/akutteam-herning/",
    "en": "/en/",
}
FORMS = ("mobile", "desktop")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
LIGHTHOUSE = os.environ.get("LIGHTHOUSE_PACKAGE", "lighthouse@12")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Variant:
    """One checkout to serve: this one, or a commit exported beside the bench databases."""

    def __init__(self, name: str, root: Path) -> None:
        self.name, self.root = name, root
        self.server: Gunicorn | None = None

    @classmethod
    def export(cls, ref: str) -> Variant:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        if not commit:
            raise SystemExit(f"unknown commit {ref!r}")
        root = DATA / f"lighthouse-{commit}"
        if not root.exists():
            DATA.mkdir(parents=True, exist_ok=True)
            partial = Path(tempfile.mkdtemp(dir=DATA))
            archive = subprocess.run(
                ["git", "archive", commit], cwd=ROOT, capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(partial)], input=archive, check=True)
            (partial / "node_modules").symlink_to(ROOT / "node_modules")
            partial.rename(root)
        return cls(f"{ref} ({commit})", root)

    def start(self, env: dict[str, str]) -> None:
        package = json.loads((self.root / "package.json").read_text())
        if "build" in package.get("scripts", {}):
            subprocess.run(["npm", "run", "--silent", "build"], cwd=self.root, check=True)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=self.root,
            env=env,
            check=True,
        )
        self.server = Gunicorn(env, workers=2, cwd=self.root)

    def stop(self) -> None:
        if self.server:
            self.server.stop()


def lighthouse(url: str, form: str, chrome: str, tries: int = 3) -> dict:
    """One Lighthouse run; the figures the table needs, read from its JSON report. A run that
    Lighthouse itself gives up on (a trace without a navigation start, on a busy machine) is
    tried again."""
    for attempt in range(1, tries + 1):
        try:
            return _lighthouse(url, form, chrome)
        except subprocess.CalledProcessError:
            if attempt == tries:
                raise
            log(f"  Lighthouse failed on {url} ({form}); trying again")
    raise AssertionError("unreachable")


def _lighthouse(url: str, form: str, chrome: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = ["npm", "exec", "--yes", f"--package={LIGHTHOUSE}", "--", "lighthouse", url]
        command += [f"--output-path={report}", "--output=json", "--quiet"]
        command += [f"--only-categories={','.join(CATEGORIES)}"]
        command += ["--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
        if form == "desktop":
            command.append("--preset=desktop")
        env = {**os.environ, "CHROME_PATH": chrome}
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        data = json.loads(report.read_text())
    audits = data["audits"]
    failing = {
        category: [
            ref["id"]
            for ref in data["categories"][category]["auditRefs"]
            if ref["weight"] and (audits[ref["id"]].get("score") or 0) < 1
        ]
        for category in CATEGORIES[1:]
    }
    return {
        **{c: round(100 * (data["categories"][c]["score"] or 0)) for c in CATEGORIES},
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "failing": {k: v for k, v in failing.items() if v},
    }


def summarise(runs: list[dict]) -> dict:
    return {
        "performance": statistics.median(r["performance"] for r in runs),
        "cls_max": max(r["cls"] for r in runs),
        "accessibility": min(r["accessibility"] for r in runs),
        "best-practices": min(r["best-practices"] for r in runs),
        "seo": min(r["seo"] for r in runs),
        "fcp_ms": statistics.median(r["fcp_ms"] for r in runs),
        "lcp_ms": statistics.median(r["lcp_ms"] for r in runs),
        "failing": sorted({a for r in runs for ids in r["failing"].values() for a in ids}),
    }


def table(results: dict) -> str:
    lines = []
    for variant in results["variants"]:
        lines += [
            f"\n{variant['name']} · {results['runs']} runs each · load {variant['load_average']}",
            "",
            "| page | form | perf (median) | CLS (max) | a11y | best pr. | SEO | FCP ms | LCP ms |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in variant["rows"]:
            s = row["summary"]
            lines.append(
                f"| {row['page']} | {row['form']} | {s['performance']:g} | {s['cls_max']:.3f} "
                f"| {s['accessibility']} | {s['best-practices']} | {s['seo']} "
                f"| {s['fcp_ms']:g} | {s['lcp_ms']:g} |"
            )
        failing = sorted({a for row in variant["rows"] for a in row["summary"]["failing"]})
        if failing:
            lines.append(f"\nfailing audits (a11y, best practices, SEO): {', '.join(failing)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--forms", default=",".join(FORMS))
    parser.add_argument("--baseline", help="a commit to measure beside this checkout")
    parser.add_argument("--out", help="results file (default bench/results/<time>-lighthouse)")
    args = parser.parse_args()
    pages = [p for p in args.pages.split(",") if p]
    forms = [f for f in args.forms.split(",") if f]
    for name in pages:
        if name not in PAGES:
            raise SystemExit(f"unknown page {name!r}; choose from {', '.join(PAGES)}")
    for form in forms:
        if form not in FORMS:
            raise SystemExit(f"unknown form factor {form!r}; choose from {', '.join(FORMS)}")
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if not shutil.which(chrome):
        raise SystemExit(f"no Chromium at {chrome}: set CHROME_PATH")

    started = datetime.now(UTC)
    env = django_env("sqlite", 0)
    run_step("generate", ["--db", "sqlite", "--size", "0"], env)
    variants = [Variant("this checkout", ROOT)]
    if args.baseline:
        variants.insert(0, Variant.export(args.baseline))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    results = {
        "started": started.isoformat(timespec="seconds"),
        "host": platform.node(),
        "commit": commit,
        "lighthouse": LIGHTHOUSE,
        "runs": args.runs,
        "variants": [],
    }
    measured: dict[tuple[str, str, str], list[dict]] = {}
    try:
        for variant in variants:
            log(f"starting {variant.name} ...")
            variant.start(env)
        for page in pages:
            for form in forms:
                for run in range(args.runs):
                    for variant in variants:
                        log(f"{variant.name}: {page} {form} run {run + 1}/{args.runs}")
                        url = variant.server.base + PAGES[page]
                        figures = lighthouse(url, form, chrome)
                        measured.setdefault((variant.name, page, form), []).append(figures)
    finally:
        for variant in variants:
            variant.stop()
    load_average = round(os.getloadavg()[0], 1)
    for variant in variants:
        rows = [
            {
                "page": page,
                "form": form,
                "url": PAGES[page],
                "summary": summarise(measured[variant.name, page, form]),
                "runs": measured[variant.name, page, form],
            }
            for page in pages
            for form in forms
        ]
        results["variants"].append(
            {"name": variant.name, "load_average": load_average, "rows": rows}
        )
    results["seconds"] = round((datetime.now(UTC) - started).total_seconds())
    text = table(results)
    print(text)
    out = Path(args.out) if args.out else RESULTS / f"{started:%Y%m%dT%H%M%S}-lighthouse.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    out.with_suffix(".md").write_text(text.lstrip() + "\n")
    print(f"\nresults: {out} ({results['seconds']} s)")


if __name__ == "__main__":
    main()
