"""The hot HTTP paths against `/healthz` on the same gunicorn, in interleaved rounds (issue 16
points 2, 3 and 5; issue 11's cached placement GET).

Stores N customers (default 100,000, profiles as PUT stores them), computes the lists of a
sample of 2,000 (in process, as a refresh writes them), starts gunicorn as shipped
(deploy/gunicorn.conf.py, 2 workers, access log off, files checked every 2 s) on that Redis
and measures under wrk, each round a `/healthz` run and then the measured run for the same
seconds:

- `get`: the cached customer GET (limit 5, the customer's locale), impressions logged;
- `gzip`: the same with `Accept-Encoding: gzip` (the stored part sent as it is);
- `home`: the cached `?placement=home` GET (issue 11), impressions logged;
- `post`: `POST /v1/recommendations` computed (500 seeded bodies, answer cache off);
- `post_cached`: the same bodies from the answer cache (a server with the cache on).

Besides req/s and p99, the CPU the workers and Redis used per request over each run (`/proc`
and Redis `INFO cpu`) and its ratio, /healthz's over the measured request's: the machine is
shared, and that ratio moves far less with its load than req/s does.

With `--root DIR` (repeatable) the same rounds also run on another checkout's code (a
worktree of main, say) on the same Redis, its server started from DIR, round by round
alternating with this checkout's: a before/after pair measured under the same load. It starts
a Redis of its own unless REDIS_URL is set (database 13 of it is flushed and filled once; a
later run with the same --customers reuses it).

The servers recycle their workers as shipped (`max_requests` 20,000): under wrk that is every
8-10 s, which costs `/healthz` more of its throughput than the cached GET and so flatters the
ratios (session 24: 0.91x and 0.76x with it, 0.63x without). `GUNICORN_MAX_REQUESTS=0` turns
the recycling off for a run.

    python -m bench.load_http [--customers 100000] [--rounds 3]
        [--seconds 5] [--kinds get,gzip,home,post,post_cached] [--root /path/to/main]
        [--reload-interval 2] [--unix-socket /path/to/redis.sock]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import redis

from bench.precompute import customer_paths, store_customers
from bench.profiles import request_bodies
from bench.rounds import request_script, run_wrk, spread, write_result, wrk_binary
from bench.server import children, cpu_seconds, db_url, free_port, redis_binary
from service.settings import REPO_ROOT

BENCH_DB = 13
READY = "dosewise:bench:load_http"  # the paths of the sample, once stored and computed
KINDS = ("get", "gzip", "home", "post", "post_cached")


def fill(url: str, customers: int, sample: int) -> list[str]:
    """Store the customers and compute the sample's lists, unless this database holds them."""
    client = redis.Redis.from_url(url)
    stored = client.get(READY)
    if stored and client.get(READY + ":count") == str(customers).encode():
        return bytes(stored).decode().split("\n")  # type: ignore[arg-type]
    from service.api.app import create_app
    from service.customers.redis_client import cache_policy, get_store
    from service.customers.refresh import refresh_chunk

    client.flushdb()
    app = create_app({"REDIS_URL": url, "RELOAD_INTERVAL": 0, "ACCESS_LOG": False})
    started = time.perf_counter()
    store_customers(app, customers)
    paths = customer_paths(app, customers, sample)
    ids = [p.split("/")[3] for p in paths]
    recommender, store, policy = app.extensions["dosewise"], get_store(app), cache_policy(app)
    for start in range(0, len(ids), 500):
        refresh_chunk(recommender, store, ids[start : start + 500], policy)
    print(
        f"stored {customers} customers, {len(ids)} lists in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    client.set(READY, "\n".join(paths))
    client.set(READY + ":count", str(customers))
    return paths


class Gunicorn:
    """gunicorn from a checkout's own code (its deploy/gunicorn.conf.py), on `url`."""

    def __init__(
        self, root: Path, url: str, cache_size: int, log: Path, reload_interval: str = "2"
    ) -> None:
        self.root, self.port = root, free_port()
        python = root / ".venv" / "bin" / "python"
        env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            "REDIS_URL": url,
            "DOSEWISE_ACCESS_LOG": "false",
            "DOSEWISE_RELOAD_INTERVAL": reload_interval,
            "DOSEWISE_CACHE_SIZE": str(cache_size),
            "PYTHONPATH": str(root),
        }
        env.pop("DOSEWISE_CELERY_BROKER_URL", None)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        with log.open("ab") as handle:
            self.process = subprocess.Popen(
                [
                    str(python if python.exists() else sys.executable),
                    "-m",
                    "gunicorn",
                    "-c",
                    str(root / "deploy" / "gunicorn.conf.py"),
                    "service.wsgi:app",
                ],
                env=env,
                cwd=root,
                stdout=handle,
                stderr=handle,
                start_new_session=True,
            )
        self.base = f"http://127.0.0.1:{self.port}"
        self._seen: dict[int, float] = {}
        self._lock = threading.Lock()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            answered = subprocess.run(
                ["curl", "-sf", "-m", "5", "-o", "/dev/null", f"{self.base}/readyz"], check=False
            )
            if answered.returncode == 0:
                threading.Thread(target=self._watch, daemon=True).start()
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn from {root} did not become ready; see {log}")

    def cpu(self) -> float:
        """CPU seconds of every worker this server ran so far: a worker recycled by
        `max_requests` keeps what it was last seen using (sampled every 0.2 s)."""
        with self._lock:
            for pid in children(self.process.pid):
                used = cpu_seconds(pid)
                if used is not None:
                    self._seen[pid] = used
            return sum(self._seen.values())

    def _watch(self) -> None:
        while self.process.poll() is None:
            self.cpu()
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)


def redis_cpu(client: Any) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def scripts(paths: list[str]) -> dict[str, Path]:
    from service.api.app import create_app

    app = create_app({"REDIS_URL": None, "RELOAD_INTERVAL": 0, "ACCESS_LOG": False})
    skus = [p.sku for p in app.extensions["dosewise"].snapshot.catalog.products]
    posts = [f"POST /v1/recommendations {json.dumps(b)}" for b in request_bodies(500, skus)]
    gets = [f"GET {p}" for p in paths]
    return {
        "get": request_script(gets),
        "gzip": request_script(gets, {"Accept-Encoding": "gzip"}),
        "home": request_script([f"{line}&placement=home" for line in gets]),
        "post": request_script(posts),
        "post_cached": request_script(posts),
    }


def one(server: Gunicorn, client: Any, seconds: float, connections: int, script=None) -> dict:
    """One wrk run with the server's CPU (workers and Redis) per request, and Redis's part."""
    url = server.base if script is not None else f"{server.base}/healthz"
    before = redis_cpu(client)
    row = run_wrk(url, seconds, connections, script, lambda: server.cpu() + redis_cpu(client))
    requests = row["requests_per_s"] * seconds
    row["redis_cpu_ms_per_request"] = round(1000 * (redis_cpu(client) - before) / requests, 3)
    return row


def summary(pairs: list[tuple[dict, dict]]) -> dict[str, Any]:
    ratio = [m["requests_per_s"] / t["requests_per_s"] for t, m in pairs]
    p99 = [m["p99_ms"] / t["p99_ms"] for t, m in pairs]
    cpu = [t["cpu_ms_per_request"] / m["cpu_ms_per_request"] for t, m in pairs]
    return {
        "rounds": len(pairs),
        "ratio_throughput": spread(ratio),
        "ratio_p99": spread(p99),
        "ratio_cpu": spread(cpu),
        "cpu_ms_per_request": spread([m["cpu_ms_per_request"] for _, m in pairs]),
        "redis_cpu_ms_per_request": spread([m["redis_cpu_ms_per_request"] for _, m in pairs]),
        "healthz_cpu_ms_per_request": spread([t["cpu_ms_per_request"] for t, _ in pairs]),
        "requests_per_s": spread([m["requests_per_s"] for _, m in pairs]),
        "healthz_requests_per_s": spread([t["requests_per_s"] for t, _ in pairs]),
        "p99_ms": spread([m["p99_ms"] for _, m in pairs]),
        "healthz_p99_ms": spread([t["p99_ms"] for t, _ in pairs]),
        "non_2xx": sum(m["non_2xx"] for _, m in pairs),
    }


def describe(name: str, row: dict[str, Any]) -> str:
    def r(key: str) -> str:
        s = row[key]
        return f"{s['median']} ({s['min']}-{s['max']})"

    return (
        f"{name}: throughput {r('ratio_throughput')}x /healthz, p99 {r('ratio_p99')}x, "
        f"CPU ratio {r('ratio_cpu')}x; {row['cpu_ms_per_request']['median']} ms CPU per request "
        f"(/healthz {row['healthz_cpu_ms_per_request']['median']}); "
        f"{row['requests_per_s']['median']:.0f} req/s, p99 {row['p99_ms']['median']} ms; "
        f"non-2xx {row['non_2xx']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--root", action="append", default=[], help="another checkout to pair")
    parser.add_argument(
        "--unix-socket",
        help="also run every checkout's server on the same Redis over this Unix socket (the "
        "Redis must listen on it: `redis-server --unixsocket PATH`), alternating with TCP "
        "round by round; its rows are named `<checkout>+unix`",
    )
    parser.add_argument(
        "--reload-interval",
        default="2",
        help="DOSEWISE_RELOAD_INTERVAL of the servers: 2 as shipped (the data files and the "
        "experiments file checked every 2 s); 0 turns the data files' watch off but makes the "
        "experiments file be checked on every customer GET (before session 10 the bench used 0)",
    )
    args = parser.parse_args()
    wrk_binary()
    redis_server = None
    base = os.environ.get("REDIS_URL")
    if not base:  # a Redis of this run's own, keeping nothing on disk
        redis_server = subprocess.Popen(
            [redis_binary(), "--port", str(port := free_port()), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        base = f"redis://127.0.0.1:{port}/0"
        for _ in range(100):
            try:
                redis.Redis.from_url(base).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
    try:
        run(args, db_url(base, BENCH_DB))
    finally:
        if redis_server is not None:
            redis_server.terminate()
            redis_server.wait(timeout=30)


def run(args: argparse.Namespace, url: str) -> None:
    kinds = [k for k in args.kinds.split(",") if k]
    paths = fill(url, args.customers, args.sample)
    client = redis.Redis.from_url(url)
    lines = scripts(paths)
    roots = [REPO_ROOT, *(Path(r).resolve() for r in args.root)]
    # (name, checkout, Redis URL of its server): TCP, and with --unix-socket the same Redis
    # over the socket
    targets = [(r.name, r, url) for r in roots]
    if args.unix_socket:
        over_socket = f"unix://{Path(args.unix_socket).resolve()}?db={BENCH_DB}"
        targets += [(f"{r.name}+unix", r, over_socket) for r in roots]
    logs = REPO_ROOT / "bench" / "results"
    logs.mkdir(exist_ok=True)
    pairs: dict[str, dict[str, list]] = {n: {k: [] for k in kinds} for n, _, _ in targets}
    for number in range(args.rounds):
        for name, root, server_url in targets:
            for cache_size, chosen in ((0, [k for k in kinds if k != "post_cached"]), (4096, [])):
                if cache_size and "post_cached" in kinds:
                    chosen = ["post_cached"]
                if not chosen:
                    continue
                server = Gunicorn(
                    root, server_url, cache_size, logs / "load_http.log", args.reload_interval
                )
                try:
                    # warm-up: both workers, every kind, not counted
                    one(server, client, 1, args.connections)
                    for kind in chosen:
                        # the answer cache is per worker: each of the 500 bodies must have been
                        # computed in both workers before a run measures the cache
                        warm = 12 if kind == "post_cached" else 1
                        one(server, client, warm, args.connections, lines[kind])
                    for kind in chosen:
                        trivial = one(server, client, args.seconds, args.connections)
                        measured = one(server, client, args.seconds, args.connections, lines[kind])
                        pairs[name][kind].append((trivial, measured))
                        print(
                            f"round {number + 1} {name} {kind}: "
                            f"{measured['requests_per_s'] / trivial['requests_per_s']:.3f}x, CPU "
                            f"{measured['cpu_ms_per_request']} ms vs "
                            f"{trivial['cpu_ms_per_request']} ms, p99 {measured['p99_ms']} vs "
                            f"{trivial['p99_ms']} ms, load {os.getloadavg()[0]:.1f}",
                            flush=True,
                        )
                finally:
                    server.stop()
    report: dict[str, Any] = {"customers": args.customers, "lists": len(paths), "servers": {}}
    for name, root, server_url in targets:
        rows = {k: summary(v) for k, v in pairs[name].items() if v}
        report["servers"][str(root) if server_url == url else f"{root}+unix"] = rows
        for kind, row in rows.items():
            print(describe(f"{name} {kind}", row), flush=True)
    print(f"written to {write_result('load_http', report)}")


if __name__ == "__main__":
    main()
