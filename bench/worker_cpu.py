"""CPU per request in a real gunicorn worker (the peer bench's server, one sync worker).

    python -m bench.worker_cpu                   # the peer bench's targets, page cache off
    python -m bench.worker_cpu --baseline DIR    # before (a checkout in DIR) and after, interleaved
    python -m bench.worker_cpu --profile list    # where a list request's CPU goes, in the worker

`bench.cpu` times the view in process through Django's test client; the peer bench's ratio to the
static file is set by what a gunicorn worker spends per request, which also holds the WSGI
server's parsing and writing, the handler and whatever the test client skips. This reads the
worker's own CPU time (utime + stime in /proc) over a batch of sequential requests (gzip
accepted, one connection each, as `wrk` makes them against a sync worker) and prints the best
batch per target, the static file and a trivial view first as the floor every request pays.

With `--baseline DIR` a second worker serves the code in DIR (same bench database) and the two
take batches alternately, so the machine's load falls on both alike.

`--profile TARGET` samples the worker's stack every `--interval` of its CPU time (a timer on
CPU time, weighted by the CPU time since the last sample, so a long call into C counts whole) while
it serves `--per-batch` requests of TARGET, and prints where a request's CPU time goes: the
functions that hold most of it (inclusive), the modules its CPU is spent in (self time: a
C call counts to the module that made it, e.g. zlib_ng's) and Python's garbage collector. This
module is then also gunicorn's configuration (its hooks below); wall-clock profilers (cProfile)
count the waits on the socket and the other processes' turns on a loaded machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import signal
import time
import urllib.request
from collections import Counter
from pathlib import Path

from bench.common import ROOT, django_env
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


# --- The sampler, in the worker (gunicorn's hooks, with `-c python:bench.worker_cpu`) ----------
SAMPLES = "BENCH_WORKER_SAMPLES"  # where the worker writes its samples
MARK = "X-Bench-Sample"  # a request with "start" or "stop": sampling begins or ends after it
_samples: Counter = Counter()
_gc = {"collections": 0, "seconds": 0.0, "started": 0.0}
_last = [0.0]
_requests = [0]


def _sample(signum, frame) -> None:
    now = time.process_time()
    stack = []
    while frame is not None:
        code = frame.f_code
        stack.append((code.co_filename, code.co_firstlineno, code.co_name))
        frame = frame.f_back
    _samples[tuple(stack)] += now - _last[0]
    _last[0] = time.process_time()  # the sampler's own time is left out


def _collecting(phase: str, info: dict) -> None:
    if phase == "start":
        _gc["started"] = time.process_time()
    else:
        _gc["collections"] += 1
        _gc["seconds"] += time.process_time() - _gc["started"]


def post_request(worker, req, environ, resp) -> None:
    mark = dict(req.headers).get(MARK.upper())
    if mark == "start":
        _samples.clear()
        _gc.update(collections=0, seconds=0.0)
        _requests[0] = 0
        gc.callbacks.append(_collecting)
        signal.signal(signal.SIGPROF, _sample)
        _last[0] = time.process_time()
        interval = float(os.environ.get("BENCH_WORKER_INTERVAL", "0.001"))
        signal.setitimer(signal.ITIMER_PROF, interval, interval)
    elif mark == "stop":
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        gc.callbacks.remove(_collecting)
        # The stop request itself was sampled too.
        data = {"samples": dict(_samples), "gc": dict(_gc), "requests": _requests[0] + 1}
        part = Path(os.environ[SAMPLES] + ".part")
        part.write_bytes(pickle.dumps(data))
        part.replace(os.environ[SAMPLES])  # whole, for the bench that waits for it
    else:
        _requests[0] += 1


def profile(path: str, requests: int, interval: float, top: int) -> None:
    """Sample a worker serving `requests` of `path` and print where their CPU time went."""
    samples = Path(f"/tmp/bench-worker-samples-{os.getpid()}.pickle")
    env = django_env(
        "sqlite",
        0,
        PUBLIC_PAGE_CACHE_SECONDS="0",
        GUNICORN_CMD_ARGS="-c python:bench.worker_cpu",
        BENCH_WORKER_INTERVAL=str(interval),
        **{SAMPLES: str(samples)},
    )
    server = Gunicorn(env, 1)
    try:
        server.warm([path])
        for mark in ("start", *[None] * requests, "stop"):
            headers = {"Accept-Encoding": "gzip", **({MARK: mark} if mark else {})}
            request = urllib.request.Request(server.base + path, headers=headers)
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
        deadline = time.monotonic() + 30  # the worker writes them after its answer
        while not samples.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        data = pickle.loads(samples.read_bytes())
    finally:
        server.stop()
        samples.unlink(missing_ok=True)
    n = data["requests"]
    inclusive: Counter = Counter()
    for stack, seconds in data["samples"].items():
        for frame in set(stack):
            inclusive[frame] += seconds
    total = sum(data["samples"].values())
    print(f"load average {os.getloadavg()[0]:.1f}; {n} requests of {path}")
    print(
        f"{1000 * total / n:.2f} ms of sampled CPU per request; garbage collector "
        f"{1000 * data['gc']['seconds'] / n:.2f} ms ({data['gc']['collections'] / n:.2f} "
        "collections) of it"
    )
    print("ms/request  % of all  function (inclusive)")
    for (filename, line, name), seconds in inclusive.most_common(top):
        where = f"{_where(filename)}:{line}"
        print(f"{1000 * seconds / n:9.3f}  {100 * seconds / total:7.1f}%  {name}  {where}")
    # Self time by function, with the caller that spent most of it: what a change would cut.
    by_function: Counter = Counter()
    callers: dict[tuple, Counter] = {}
    for stack, seconds in data["samples"].items():
        if stack:
            by_function[stack[0]] += seconds
            caller = stack[1] if len(stack) > 1 else ("?", 0, "?")
            callers.setdefault(stack[0], Counter())[caller] += seconds
    print("ms/request  % of all  function (self)  <- its main caller")
    for (filename, line, name), seconds in by_function.most_common(top // 2):
        (cfile, cline, cname), _ = callers[filename, line, name].most_common(1)[0]
        print(
            f"{1000 * seconds / n:9.3f}  {100 * seconds / total:7.1f}%  {name}  "
            f"{_where(filename)}:{line}  <- {cname} {_where(cfile)}:{cline}"
        )
    # Self time by module: where the CPU is spent, not who asked for it.
    by_module: Counter = Counter()
    for stack, seconds in data["samples"].items():
        by_module[_where(stack[0][0]) if stack else "?"] += seconds
    print("ms/request  % of all  module (self)")
    for module, seconds in by_module.most_common(top // 2):
        print(f"{1000 * seconds / n:9.3f}  {100 * seconds / total:7.1f}%  {module}")


def _where(filename: str) -> str:
    return filename.split("site-packages/")[-1].removeprefix(str(ROOT) + "/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument(
        "--per-batch", type=int, default=200, help="CPU ticks are 10 ms: keep it large"
    )
    parser.add_argument("--baseline", metavar="DIR", help="the code before, interleaved with this")
    parser.add_argument("--profile", metavar="TARGET", help="a target's name or a path: sample it")
    parser.add_argument("--interval", type=float, default=0.001, help="seconds of CPU a sample")
    parser.add_argument("--top", type=int, default=60, help="functions to print (--profile)")
    args = parser.parse_args()
    if args.profile:
        path = OUR_TARGETS.get(args.profile, args.profile)
        profile(path, args.per_batch, args.interval, args.top)
        return
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
