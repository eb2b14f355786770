"""CPU per request in a real gunicorn worker (the peer bench's server, one sync worker).

    python -m bench.worker_cpu                   # the peer bench's targets, page cache off
    python -m bench.worker_cpu --baseline DIR    # before (a checkout in DIR) and after, interleaved

`bench.cpu` times the view in process through Django's test client; the peer bench's ratio to the
static file is set by what a gunicorn worker spends per request, which also holds the WSGI
server's parsing and writing, the handler and whatever the test client skips. This reads the
worker's own CPU time (utime + stime in /proc) over a batch of sequential requests (gzip
accepted, one connection each, as `wrk` makes them against a sync worker) and prints the best
batch per target, the static file and a trivial view first as the floor every request pays.

With `--baseline DIR` a second worker serves the code in DIR (same bench database) and the two
take batches alternately, so the machine's load falls on both alike.
"""

from __future__ import annotations

import argparse
import os
import urllib.request
from pathlib import Path

from bench.common import django_env
from bench.load import Gunicorn, static_url
from bench.peers import OUR_TARGETS

TICKS = os.sysconf("SC_CLK_TCK")


def worker_seconds(server: Gunicorn) -> float:
    (pid,) = server.workers()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def batch(server: Gunicorn, path: str, requests: int) -> float:
    """ms of the worker's CPU per request over `requests` sequential requests."""
    request = urllib.request.Request(server.base + path, headers={"Accept-Encoding": "gzip"})
    started = worker_seconds(server)
    for _ in range(requests):
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    return 1000 * (worker_seconds(server) - started) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument(
        "--per-batch", type=int, default=200, help="CPU ticks are 10 ms: keep it large"
    )
    parser.add_argument("--baseline", metavar="DIR", help="the code before, interleaved with this")
    args = parser.parse_args()
    env = django_env("sqlite", 0, PUBLIC_PAGE_CACHE_SECONDS="0")
    targets = {"static file": static_url(), "robots.txt": "/robots.txt", **OUR_TARGETS}
    servers = {"after": Gunicorn(env, 1)}
    if args.baseline:
        servers = {"before": Gunicorn(env, 1, cwd=Path(args.baseline).resolve()), **servers}
    try:
        for server in servers.values():
            server.warm(list(targets.values()))
        best = {(side, name): float("inf") for side in servers for name in targets}
        for round_ in range(args.batches):
            for name, path in targets.items():
                sides = list(servers.items())
                for side, server in sides if round_ % 2 else reversed(sides):
                    best[side, name] = min(best[side, name], batch(server, path, args.per_batch))
    finally:
        for server in servers.values():
            server.stop()
    print(f"load average {os.getloadavg()[0]:.1f}; ms of worker CPU per request, best batch")
    for name in targets:
        line = f"{name:<22}" + "".join(f"{side} {best[side, name]:7.2f}   " for side in servers)
        if args.baseline:
            line += f"after / before {best['after', name] / best['before', name]:.2f}"
        print(line)


if __name__ == "__main__":
    main()
