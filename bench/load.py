"""Load test: gunicorn (production-like settings) on the curated catalogue, driven by wrk.

For each database, two servers run in turn: one renders every page (page cache off), one serves
the same URL again from the page cache. Each fires wrk at a static file, the list, a search with
three facets and a detail page, one after the other, so every figure is read beside the static
file of the same run. Each worker's RSS is sampled throughout.

`--soak-seconds N` adds one long run with 64 connections over a rotating mix of URLs (every
detail page, list variations, searches, the API, a download, the static file): it reports errors
(non-2xx/3xx answers, socket errors, requests over 10 s) and whether each worker's memory stayed
flat, and exits 1 on any error. The security checks reuse it:

    python -m bench.load --dbs sqlite --seconds 0 --soak-seconds 300

The servers use `CACHE_URL` from the environment (local memory per worker when unset; with
`CACHE_URL=redis://127.0.0.1:6379/15` the workers share one cache, as in production).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT, django_env, run_step

SEARCH_WITH_FACETS = (
    "/indsatser/?q=psykiatri&target_group=borgere-i-akut-psykisk-krise"
    "&policy_area=psykiatri&region=region-midtjylland"
)
TARGETS = {
    "list": "/indsatser/",
    "search + 3 facets": SEARCH_WITH_FACETS,
    "detail": "/indsatser/akutteam-herning/",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def static_url() -> str:
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        raise SystemExit("no staticfiles/staticfiles.json: run collectstatic first (make bench)")
    return "/static/" + json.loads(manifest.read_text())["paths"]["css/catalogue.css"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """A gunicorn master with `workers` sync workers on a free loopback port, serving `cwd`."""

    def __init__(self, env: dict[str, str], workers: int, cwd: Path = ROOT) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "catalogue.wsgi:application",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
            ],
            cwd=cwd,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/indsatser/", timeout=5).read()
                if len(self.workers()) == workers:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not start within 60 s")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def warm(self, paths: list[str]) -> None:
        for _ in range(3 * len(self.workers())):
            for path in paths:
                urllib.request.urlopen(self.base + path, timeout=30).read()

    def wait_idle(self, timeout: float = 120) -> None:
        """Wait until no worker uses CPU: requests a previous wrk run left queued are done."""
        deadline = time.monotonic() + timeout
        before = self._cpu_ticks()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self._cpu_ticks()
            if now == before:
                return
            before = now

    def _cpu_ticks(self) -> int:
        ticks = 0
        for pid in self.workers():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
        return ticks

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else None


class MemorySampler(threading.Thread):
    """Samples each worker's RSS every `interval` seconds until stopped."""

    def __init__(self, server: Gunicorn, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.samples: dict[int, list[tuple[float, float]]] = {}
        self.halt = threading.Event()
        self.started_at = time.monotonic()

    def run(self) -> None:
        while not self.halt.is_set():
            now = time.monotonic() - self.started_at
            for pid in self.server.workers():
                value = rss_mb(pid)
                if value is not None:
                    self.samples.setdefault(pid, []).append((now, value))
            self.halt.wait(self.interval)

    def summary(self) -> list[dict]:
        """Per worker: RSS after the first fifth of the run (warmed up), at the end, the peak."""
        workers = []
        for pid, samples in sorted(self.samples.items()):
            settled = samples[len(samples) // 5][1]
            end = samples[-1][1]
            workers.append(
                {
                    "pid": pid,
                    "settled_mb": round(settled, 1),
                    "end_mb": round(end, 1),
                    "peak_mb": round(max(v for _t, v in samples), 1),
                    "growth_mb": round(end - settled, 1),
                }
            )
        return workers


def wrk(
    url: str,
    seconds: float,
    connections: int,
    script: str | None = None,
    headers: tuple[str, ...] = (),
) -> dict:
    command = ["wrk", "--latency", f"-t{min(2, connections)}", f"-c{connections}"]
    command += [f"-d{max(int(seconds), 1)}s", "--timeout=10s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> dict:
    def latency(label: str) -> float | None:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        return round(float(match.group(1)) * _UNITS[match.group(2)], 2) if match else None

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    requests = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": int(requests.group(1)) if requests else 0,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in sockets.groups()) if sockets else 0),
    }


def server_env(db: str, cached: bool) -> dict[str, str]:
    return django_env(
        db,
        0,
        PUBLIC_PAGE_CACHE_SECONDS="600" if cached else "0",
        CACHE_URL=os.environ.get("CACHE_URL", "locmem://"),
    )


def rate_runs(db: str, seconds: float, connections: int, workers: int) -> list[dict]:
    static = static_url()
    rows = []
    for cached in (False, True):
        env = server_env(db, cached)
        server = Gunicorn(env, workers)
        try:
            paths = [static, *TARGETS.values()]
            server.warm(paths)
            sampler = MemorySampler(server)
            sampler.start()
            results = {"static file": wrk(server.base + static, seconds, connections)}
            for name, path in TARGETS.items():
                server.wait_idle()
                results[name] = wrk(server.base + path, seconds, connections)
            sampler.halt.set()
            sampler.join()
        finally:
            server.stop()
        base = results["static file"]["rps"] or 1.0
        for name, result in results.items():
            rows.append(
                {
                    "db": db,
                    "cache": "cached" if cached else "uncached",
                    "target": name,
                    **result,
                    "ratio_to_static": round(result["rps"] / base, 3),
                }
            )
        rows[-1]["memory"] = sampler.summary()
        log(f"  {db}: {'cached' if cached else 'uncached'} done")
    return rows


def soak(db: str, seconds: float, connections: int, workers: int, cached: bool) -> dict:
    """One long run over a rotating mix of URLs; errors and per-worker memory."""
    env = server_env(db, cached)
    paths = soak_paths(env)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        listed = ",\n".join(json.dumps(p) for p in paths)
        script.write(
            f"paths = {{\n{listed}\n}}\ncounter = 0\n"
            "request = function()\n  counter = counter + 1\n"
            '  return wrk.format("GET", paths[(counter % #paths) + 1])\nend\n'
        )
    server = Gunicorn(env, workers)
    try:
        server.warm(paths[:5])
        sampler = MemorySampler(server, interval=max(seconds / 100, 1.0))
        sampler.start()
        result = wrk(server.base + "/", seconds, connections, script=script.name)
        sampler.halt.set()
        sampler.join()
    finally:
        server.stop()
        os.unlink(script.name)
    memory = sampler.summary()
    return {
        "db": db,
        "cache": f"cached ({env['CACHE_URL']})" if cached else "uncached",
        "seconds": seconds,
        "connections": connections,
        "urls": len(paths),
        **result,
        "memory": memory,
        "max_growth_mb": max((w["growth_mb"] for w in memory), default=0.0),
    }


def soak_paths(env: dict[str, str]) -> list[str]:
    code = (
        "from bench.common import setup_django; setup_django();"
        "from interventions.models import Intervention as I;"
        "print('\\n'.join(i.get_absolute_url() for i in I.objects.published()))"
    )
    details = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    lists = [
        "/indsatser/",
        "/indsatser/?page=2",
        "/indsatser/?target_group=hjemloese",
        "/indsatser/?q=bostøtte".replace("ø", "%C3%B8"),
        "/indsatser/?q=misbrug&sector=kommunal",
        SEARCH_WITH_FACETS,
        "/indsatser/?region=region-midtjylland&sort=-updated",
        "/",
        "/api/interventions/",
        "/api/interventions/?q=psykiatri&target_group=hjemloese&page_size=50",
        "/api/target-groups/",
        "/indsatser/download.csv?target_group=hjemloese",
    ]
    return [*lists, static_url(), *details]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dbs", default="sqlite", help="comma-separated: sqlite,postgres")
    parser.add_argument("--seconds", type=float, default=5, help="per wrk run; 0 skips them")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--soak-seconds", type=float, default=0, help="0 skips the soak")
    parser.add_argument("--soak-connections", type=int, default=64)
    parser.add_argument("--soak-uncached", action="store_true", help="soak with no page cache")
    args = parser.parse_args()
    results = {"workers": args.workers, "rates": [], "soak": []}
    for db in args.dbs.split(","):
        run_step("generate", ["--db", db, "--size", "0"], django_env(db, 0))
        if args.seconds > 0:
            log(f"load test on {db}, {args.workers} workers ...")
            results["rates"] += rate_runs(db, args.seconds, args.connections, args.workers)
        if args.soak_seconds > 0:
            log(f"soak on {db}: {args.soak_seconds:.0f} s, {args.soak_connections} connections")
            results["soak"].append(
                soak(
                    db,
                    args.soak_seconds,
                    args.soak_connections,
                    args.workers,
                    cached=not args.soak_uncached,
                )
            )
    print(json.dumps(results))
    if any(s["errors"] for s in results["soak"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
