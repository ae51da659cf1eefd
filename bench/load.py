"""Load and fault tests through gunicorn with a real Redis (`make bench` provides REDIS_URL).

1. Load: customers are stored in Redis and their lists precomputed, then a saturating mixed
   load runs for --seconds (after --warmup) over --connections keep-alive connections: POST
   /v1/recommendations (6000 distinct bodies), POST /v1/intake/check, GET
   /v1/customers/{id}/recommendations and GET /v1/products. Reported: requests, errors (any
   status but the expected one, connection errors), req/s, p50/p99 per kind, CPU of server and
   client, and the RSS of every gunicorn worker sampled every few seconds (start, middle, end,
   growth). The workers' answer cache is --cache-size entries, full by the end of the warm-up,
   so RSS that still grows is not the cache filling up. --max-requests recycles workers
   during the run (gunicorn's own setting otherwise).
2. Fault: a redis-server of its own (append-only file on, as a production Redis keeps its
   data), gunicorn pointed at it, the same load plus writes (PUT /v1/customers/{id}, POST
   /v1/events). Each connection first stores its own customers. Then the redis-server is
   killed (SIGKILL) under load, the load goes on for --fault-seconds, Redis starts again on
   the same port, and --fault-seconds more.
   Status counts per phase: computed reads (recommendations, intake, products) answer 200
   throughout; stored customers and writes answer 503 while Redis is down (no worker answers
   from its own copy of a profile, which could be old or erased) and 200 again once the
   circuit breaker's cooldown after the restart is over (`after`; the cooldown itself counts
   as `transition`); nothing else 5xx, no connection errors.

Results go to bench/results/load.json. Exit status 1 when a check fails.

    python -m bench.load [--seconds 60] [--connections 32] [--workers N] [--fault-seconds 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import redis

from bench.load_report import (
    FAULT_MIX,
    LOAD_MIX,
    Record,
    fault_problems,
    print_fault,
    print_load,
    summarize,
)
from bench.load_requests import (
    Requests,
    build_requests,
    catalog_facts,
    customer_path,
    seed_customers,
)
from bench.server import (
    RedisServer,
    Sampler,
    Server,
    db_url,
    rss_kb,
    start_server,
)
from service.core.samples import sample_profiles
from service.settings import REPO_ROOT, defaults

BENCH_DB = 9
TICK = os.sysconf("SC_CLK_TCK")
SOURCE = re.compile(rb'"source":\s*"(\w+)"')

BREAKER_COOLDOWN = float(defaults()["REDIS_BREAKER_COOLDOWN"])


# ---------------------------------------------------------------- the load
class Load:
    """`connections` threads, each with one keep-alive connection, sending a seeded mix of
    requests as fast as answers come back until stopped. `phase` labels every record."""

    def __init__(
        self, port: int, requests: Requests, mix: dict[str, int], connections: int
    ) -> None:
        self.port, self.requests, self.connections = port, requests, connections
        self.mix = [kind for kind, weight in mix.items() for _ in range(weight)]
        self.teach = bool(requests.owned)
        self.phase = "warmup"
        self.records: list[list[Record]] = [[] for _ in range(connections)]
        self.taught = [not self.teach] * connections
        self.halt = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(connections)
        ]

    def start(self, stagger: float = 0.05) -> Load:
        """Open the connections one by one: opened all at once, gthread's accept loop hands
        nearly all of them to whichever worker wakes first, and keep-alive keeps them there."""
        for thread in self.threads:
            thread.start()
            time.sleep(stagger)
        return self

    def stop(self) -> list[Record]:
        self.halt.set()
        for thread in self.threads:
            thread.join(timeout=30)
        return [r for mine in self.records for r in mine]

    def all_taught(self) -> bool:
        return all(self.taught)

    def sent(self, kind: str) -> int:
        return sum(1 for mine in self.records for r in list(mine) if r.kind == kind)

    def _next(self, index: int, rng: random.Random, pending: list) -> tuple[str, str, str, bytes]:
        r = self.requests
        if pending:
            customer_id, body, _ = pending[0]
            return "teach", "PUT", f"/v1/customers/{customer_id}", body
        kind = rng.choice(self.mix)
        if kind == "recommend":
            return kind, "POST", "/v1/recommendations", rng.choice(r.recommend)
        if kind == "intake":
            return kind, "POST", "/v1/intake/check", rng.choice(r.intake)
        if kind == "products":
            return kind, "GET", rng.choice(r.products), b""
        if kind == "customer":
            if r.owned:
                if not self.taught[index]:  # the worker behind this connection may not know
                    kind = "customer_other"
                return kind, "GET", rng.choice(r.owned[index])[2], b""
            return kind, "GET", rng.choice(r.customers), b""
        if kind == "customer_other":
            other = r.owned[(index + 1 + rng.randrange(self.connections - 1)) % self.connections]
            return kind, "GET", rng.choice(other)[2], b""
        if kind == "put_customer":
            customer_id, body, _ = rng.choice(r.owned[index])
            return kind, "PUT", f"/v1/customers/{customer_id}", body
        if kind == "events":
            customer_id = rng.choice(r.owned[index])[0]
            event = {
                "customer_id": customer_id,
                "sku": rng.choice(r.skus),
                "type": rng.choice(["view", "click", "add_to_cart", "purchase"]),
                "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            return kind, "POST", "/v1/events", json.dumps({"events": [event]}).encode()
        raise ValueError(kind)

    def _run(self, index: int) -> None:
        rng = random.Random(1000 + index)
        mine = self.records[index]
        conn: http.client.HTTPConnection | None = None
        pending: list = []
        retry_teach_at = 0.0
        json_headers = {"Content-Type": "application/json"}
        while not self.halt.is_set():
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                if self.teach:  # a new connection may reach another worker: store again
                    self.taught[index] = False
                    pending = list(self.requests.owned[index])
            now = time.monotonic()
            teach_now = pending if now >= retry_teach_at else []
            kind, method, path, body = self._next(index, rng, teach_now)
            phase = self.phase
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body or None, headers=json_headers if body else {})
                response = conn.getresponse()
                data = response.read()
                status, detail = response.status, ""
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = None
                status, detail, data = 0, type(exc).__name__, b""
            latency = time.perf_counter() - started
            if kind.startswith("customer") and status == 200:
                match = SOURCE.search(data)
                detail = match[1].decode() if match else "?"
            mine.append(Record(phase, self.phase, kind, status, latency, detail))
            if kind == "teach":
                if status == 200:
                    pending.pop(0)
                    if not pending:
                        self.taught[index] = True
                else:
                    retry_teach_at = time.monotonic() + 0.5
        if conn is not None:
            conn.close()


# ---------------------------------------------------------------- the two tests
def load_test(
    redis_url: str,
    seconds: float,
    connections: int,
    workers: int | None = None,
    customers: int = 2000,
    warmup: float = 15.0,
    sample_every: float = 2.0,
    cache_size: int = 1000,
    workdir: Path | None = None,
    settle_mb_per_s: float = 1.0,
) -> dict[str, Any]:
    """Seed and precompute `customers` in `redis_url` (flushed first), start gunicorn on it,
    warm up, then `seconds` of mixed load with RSS and CPU sampling.

    The load sends 6000 distinct recommendation bodies; the in-process answer cache holds
    `cache_size` of them, so it is full after the warm-up and evicts from then on: memory that
    still grows is not the cache filling up. The process's other bounded caches (texts, food
    intakes, parsed queries: up to 8,192 entries each) fill for longer, about 10 s at 16
    connections, so the warm-up also lasts until no worker's RSS grew more than
    `settle_mb_per_s` a second over the last 3 s (`settled`; at most 60 s). Memory that
    grows without end never settles."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="dosewise-load-"))
    skus, _ = catalog_facts()
    ids = [f"load{i:06d}" for i in range(customers)]
    profiles = sample_profiles(customers, skus, adults_only=True)
    seeded = seed_customers(redis_url, ids, profiles)
    paths = [
        customer_path(i, p, limit=5 if n % 4 else 3)
        for n, (i, p) in enumerate(zip(ids, profiles, strict=True))
    ]
    requests = build_requests(paths)
    server = start_server(
        redis_url, workers, workdir / "gunicorn-load.log", DOSEWISE_CACHE_SIZE=str(cache_size)
    )
    started_load = time.monotonic()
    try:
        load = Load(server.port, requests, LOAD_MIX, connections).start()
        # warm up for `warmup` seconds and until each worker's answer cache is likely full
        # (nearly every recommendation body is new to it, and the load spreads evenly)
        workers_now = len(server.worker_pids())
        deadline = time.monotonic() + max(warmup, 120.0)
        time.sleep(warmup)
        while load.sent("recommend") < 1.5 * cache_size * workers_now:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        settled = settle(server, settle_mb_per_s, window=3.0, deadline=time.monotonic() + 60.0)
        warmed = time.monotonic() - started_load
        sampler = Sampler(server, sample_every)
        load.phase = "load"
        sampler.start()
        cpu_before, started = os.times(), time.monotonic()
        time.sleep(seconds)
        load.phase = "done"
        elapsed = time.monotonic() - started
        sampler.finish()
        cpu_after = os.times()
        records = load.stop()
    finally:
        server.stop()
        client.flushdb()
        client.close()
    # every request sent during the timed load counts, also one answered after it ended
    phases = summarize(
        [replace(r, phase_end="load") for r in records if r.phase_start == "load"], elapsed
    )
    summary = phases.get("load", {})
    memory = sampler.report()
    client_cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    return {
        "seconds": round(elapsed, 1),
        "warmup_s": round(warmed, 1),
        "settled": settled,
        "answer_cache_size": cache_size,
        "connections": connections,
        "workers": memory["workers"],
        "seeded": seeded,
        "requests": summary.get("requests", 0),
        "errors": summary.get("errors", 0),
        "server_errors": summary.get("server_errors", 0),
        "connection_errors": summary.get("connection_errors", 0),
        "error_kinds": summary.get("error_kinds", {}),
        "requests_per_s": summary.get("requests_per_s"),
        "p50_ms": summary.get("p50_ms"),
        "p99_ms": summary.get("p99_ms"),
        "kinds": summary.get("kinds", {}),
        "cpu_cores": {
            "available": os.cpu_count(),
            "server": memory.pop("server_cpu_cores"),
            "client": round(client_cpu / elapsed, 2),
        },
        "memory": memory,
        "server_log": str(server.log),
    }


def settle(server: Server, mb_per_s: float, window: float, deadline: float) -> bool:
    """Wait until no worker's RSS grew more than `mb_per_s` a second over the last `window`
    seconds (True), or until `deadline` (False)."""
    history: list[tuple[float, dict[int, int]]] = []
    while True:
        now = time.monotonic()
        history.append((now, {p: kb for p in server.worker_pids() if (kb := rss_kb(p))}))
        old = [h for h in history if now - h[0] >= window]
        if old:
            then, before = old[-1]
            grown = [history[-1][1][p] - kb for p, kb in before.items() if p in history[-1][1]]
            if grown and max(grown) / 1024 <= mb_per_s * (now - then):
                return True
        if now > deadline:
            return False
        time.sleep(0.5)


def fault_test(
    connections: int,
    before: float,
    down: float,
    after: float,
    workers: int | None = None,
    per_connection: int = 3,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """A redis-server of our own and gunicorn on it; the load with writes; Redis killed under
    load, `down` seconds, started again, `after` seconds. Records per phase."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="dosewise-fault-"))
    (workdir / "redis").mkdir(exist_ok=True)
    own = RedisServer(workdir / "redis")
    own.start()
    server = None
    timeline: dict[str, float] = {}
    try:
        skus, _ = catalog_facts()
        profiles = sample_profiles(connections * per_connection, skus, seed=9, adults_only=True)
        ids = [f"fault-{n:04d}" for n in range(len(profiles))]
        seeded = seed_customers(own.url, ids, profiles)
        requests = build_requests([], bodies=2000)
        for index in range(connections):
            mine = range(index * per_connection, (index + 1) * per_connection)
            requests.owned[index] = [
                (ids[n], json.dumps(profiles[n]).encode(), customer_path(ids[n], profiles[n]))
                for n in mine
            ]
        server = start_server(own.url, workers, workdir / "gunicorn-fault.log")
        load = Load(server.port, requests, FAULT_MIX, connections).start()
        deadline = time.monotonic() + 30
        while not load.all_taught():  # every connection stored its customers
            if time.monotonic() > deadline:
                raise RuntimeError("the connections could not store their customers")
            time.sleep(0.05)
        load.phase = "before"
        time.sleep(before)
        load.phase = "transition"
        own.kill()
        timeline["killed_at"] = time.monotonic()
        load.phase = "down"
        time.sleep(down)
        load.phase = "transition"
        timeline["restart_s"] = own.start()
        # each process fails fast for the breaker's cooldown after its last Redis error, then
        # probes (issue 15, point 10): "after" starts once that documented window is over
        time.sleep(BREAKER_COOLDOWN + 0.5)
        load.phase = "after"
        timeline["answering_at"] = time.monotonic()
        time.sleep(after)
        load.phase = "done"
        records = load.stop()
    finally:
        if server is not None:
            server.stop()
        own.stop()
    phases = summarize([r for r in records if "done" not in (r.phase_start, r.phase_end)])
    phases.pop("warmup", None)
    return {
        "connections": connections,
        "customers": seeded["customers"],
        "seconds": {"before": before, "down": down, "after": after},
        "redis_restart_s": round(timeline.get("restart_s", 0.0), 2),
        "phases": phases,
        "server_log": str(server.log) if server else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn.conf.py")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds before measuring")
    parser.add_argument(
        "--cache-size", type=int, default=1000, help="answer cache per worker (default 1000)"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=None,
        help="recycle gunicorn workers after this many requests (default: gunicorn.conf.py)",
    )
    parser.add_argument("--fault-seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=["load", "fault"])
    args = parser.parse_args()
    base = os.environ.get("REDIS_URL")
    if not base:
        sys.exit("REDIS_URL is not set: run `make bench` (it starts a Redis)")
    if args.max_requests:  # command-line settings win over gunicorn.conf.py
        os.environ["GUNICORN_CMD_ARGS"] = (
            f"--max-requests {args.max_requests} --max-requests-jitter {args.max_requests // 10}"
        )
    report: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "max_requests": args.max_requests,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    failed = []
    workdir = Path(tempfile.mkdtemp(prefix="dosewise-load-"))
    if args.only in (None, "load"):
        load = load_test(
            db_url(base, BENCH_DB),
            args.seconds,
            args.connections,
            args.workers,
            args.customers,
            warmup=args.warmup,
            cache_size=args.cache_size,
            workdir=workdir,
            sample_every=max(args.seconds / 30, 1.0),
        )
        report["load"] = load
        print_load(load)
        if load["errors"]:
            failed.append(f"load: {load['errors']} errors {load['error_kinds']}")
    if args.only in (None, "fault"):
        fault = fault_test(
            args.connections,
            before=5.0,
            down=args.fault_seconds,
            after=args.fault_seconds,
            workers=args.workers,
            workdir=workdir,
        )
        report["fault"] = fault
        fault["problems"] = fault_problems(fault)
        print_fault(fault)
        failed += fault["problems"]
    out = REPO_ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    report["failed"] = failed
    (out / "load.json").write_text(json.dumps(report, indent=2))
    print(f"written to {out / 'load.json'}")
    if failed:
        print("FAILED:\n  " + "\n  ".join(failed) + f"\nserver logs in {workdir}", flush=True)
        sys.exit(1)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
