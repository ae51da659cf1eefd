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
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import redis

from bench.profiles import request_bodies
from bench.server import db_url, free_port, start_gunicorn  # noqa: F401
from service.core.samples import sample_profiles
from service.settings import REPO_ROOT, defaults

BENCH_DB = 9
TICK = os.sysconf("SC_CLK_TCK")
SOURCE = re.compile(rb'"source":\s*"(\w+)"')

# request kinds; WRITES answer 503 while Redis is down
READS = ("recommend", "intake", "products", "customer")
WRITES = ("put_customer", "events", "teach")
LOAD_MIX = {"recommend": 30, "intake": 15, "customer": 40, "products": 15}
FAULT_MIX = {
    "recommend": 20,
    "intake": 10,
    "products": 10,
    "customer": 35,
    "customer_other": 5,
    "put_customer": 10,
    "events": 10,
}
OK_STATUS = {"events": 202}
# statuses a kind may answer while Redis is down: reads that need no Redis are computed in
# process; a known customer's list is 503 (no process answers from its own copy of a profile,
# which could be old or erased: issue 15, point 2); writes are 503 `unavailable`
DOWN_STATUS = {
    **{kind: {200} for kind in READS},
    "customer": {503},
    "customer_other": {503},
    **{kind: {503} for kind in WRITES},
}


BREAKER_COOLDOWN = float(defaults()["REDIS_BREAKER_COOLDOWN"])


# ---------------------------------------------------------------- processes
@dataclass
class Server:
    """gunicorn with deploy/gunicorn.conf.py in its own session; its log in `log`."""

    process: subprocess.Popen
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        return children(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_server(redis_url: str, workers: int | None, log: Path, **env: str) -> Server:
    process, port = start_gunicorn(
        {
            "REDIS_URL": redis_url,
            # no file watch: a catalog, rule or model file that changes during the run (someone
            # editing the repository) would make every cached list stale halfway
            "DOSEWISE_RELOAD_INTERVAL": "0",
            "DOSEWISE_CELERY_BROKER_URL": None,  # the broker is REDIS_URL
            **env,
        },
        workers,
        log=log,
    )
    return Server(process, port, log)


def redis_binary() -> str:
    found = os.environ.get("DOSEWISE_TEST_REDIS_BINARY") or shutil.which("redis-server")
    if not found:
        raise RuntimeError("redis-server not found (tests/with_redis.py installs it)")
    return found


class RedisServer:
    """A redis-server of our own on one port, with an append-only file so that it comes back
    with its data after a kill, like a production Redis with persistence."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> float:
        """Start and wait until it answers; returns the seconds that took."""
        started = time.monotonic()
        self.process = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--dir",
                str(self.workdir),
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2, socket_timeout=0.5)
        try:
            while True:
                try:
                    if client.ping():
                        return time.monotonic() - started
                except (redis.RedisError, OSError):
                    pass
                if self.process.poll() is not None or time.monotonic() - started > timeout:
                    raise RuntimeError(f"redis-server did not start on port {self.port}")
                time.sleep(0.02)
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: a crash, no shutdown save; the append-only file keeps what was written."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


# ---------------------------------------------------------------- /proc
def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        pass
    found = []  # kernels without /proc/PID/task/TID/children
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


class Sampler(threading.Thread):
    """RSS and CPU time of every gunicorn worker (the master's children) every `interval` s."""

    def __init__(self, server: Server, interval: float) -> None:
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.samples: list[tuple[float, dict[int, int], dict[int, float]]] = []
        self.halt = threading.Event()

    def sample(self) -> None:
        rss, cpu = {}, {}
        for pid in self.server.worker_pids():
            kb, seconds = rss_kb(pid), cpu_seconds(pid)
            if kb is not None and seconds is not None:
                rss[pid], cpu[pid] = kb, seconds
        self.samples.append((time.monotonic(), rss, cpu))

    def run(self) -> None:
        self.sample()
        while not self.halt.wait(self.interval):
            self.sample()

    def finish(self) -> None:
        self.halt.set()
        self.join()
        self.sample()

    def report(self) -> dict[str, Any]:
        first, last = self.samples[0], self.samples[-1]
        middle = min(self.samples, key=lambda s: abs(s[0] - (first[0] + last[0]) / 2))
        both = sorted(set(first[1]) & set(last[1]))  # workers alive from start to end

        def total_mb(sample: tuple, pids: list[int]) -> float | None:
            if not pids:  # every worker was recycled meanwhile: nothing to compare
                return None
            return round(sum(sample[1].get(p, 0) for p in pids) / 1024, 1)

        def diff(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else round(a - b, 1)

        seen = {pid for _, rss, _ in self.samples for pid in rss}
        used = {  # CPU seconds each worker spent while sampled
            pid: max(cpu[pid] for _, _, cpu in self.samples if pid in cpu)
            - min(cpu[pid] for _, _, cpu in self.samples if pid in cpu)
            for pid in seen
        }
        elapsed = last[0] - first[0]
        return {
            "workers": len(first[1]),
            "worker_restarts": len(seen - set(first[1])),
            "samples": len(self.samples),
            "interval_s": self.interval,
            "rss_mb_per_worker": {
                "start": [round(first[1][p] / 1024, 1) for p in sorted(first[1])],
                "middle": [round(middle[1][p] / 1024, 1) for p in sorted(middle[1])],
                "end": [round(last[1][p] / 1024, 1) for p in sorted(last[1])],
            },
            "rss_mb_total": {
                "start": total_mb(first, both),
                "middle": total_mb(middle, both),
                "end": total_mb(last, both),
            },
            "rss_growth_mb": diff(total_mb(last, both), total_mb(first, both)),
            "rss_growth_second_half_mb": diff(total_mb(last, both), total_mb(middle, both)),
            "rss_growth_max_worker_mb": (
                round(max(last[1][p] - first[1][p] for p in both) / 1024, 1) if both else None
            ),
            "server_cpu_cores": round(sum(used.values()) / elapsed, 2) if elapsed else None,
            "cpu_cores_per_worker": [
                round(used[p] / elapsed, 2) if elapsed else None for p in sorted(used)
            ],
            "series_mb": [
                [round(t - first[0], 1), round(sum(rss.values()) / 1024, 1)]
                for t, rss, _ in self.samples
            ],
        }


# ---------------------------------------------------------------- what to send
@dataclass
class Requests:
    """Everything a connection may send, chosen per kind."""

    recommend: list[bytes]
    intake: list[bytes]
    products: list[str]
    customers: list[str]  # GET paths of precomputed customers (load phase)
    skus: list[str]
    owned: dict[int, list[tuple[str, bytes, str]]] = field(default_factory=dict)
    # fault phase: per connection, its own customers as (id, PUT body, GET path)


def catalog_facts() -> tuple[list[str], list[str]]:
    from service.core.yamlfile import load_yaml

    document = load_yaml(REPO_ROOT / "catalog" / "products.yaml")
    products = document["products"]
    return [p["sku"] for p in products], sorted({p["category"] for p in products})


def build_requests(customer_paths: list[str], bodies: int = 6000, seed: int = 11) -> Requests:
    skus, categories = catalog_facts()
    recommend = [json.dumps(b).encode() for b in request_bodies(bodies, skus, seed=seed)]
    intake = []
    for body in request_bodies(max(bodies // 2, 1), skus, seed=seed + 1):
        basket = body.get("basket") or [{"sku": skus[len(intake) % len(skus)]}]
        intake.append(
            json.dumps(
                {"profile": body["profile"], "basket": basket, "locale": body["locale"]}
            ).encode()
        )
    rng = random.Random(seed)
    products = []
    for _ in range(200):
        query = {"limit": rng.choice([10, 20, 50, 100]), "offset": rng.choice([0, 0, 10, 50])}
        if rng.random() < 0.5:
            query["category"] = rng.choice(categories)
        if rng.random() < 0.3:
            query["vegan"] = rng.choice(["true", "false"])
        if rng.random() < 0.5:
            query["locale"] = rng.choice(["nl", "de", "en"])
        products.append("/v1/products?" + "&".join(f"{k}={v}" for k, v in query.items()))
    return Requests(recommend, intake, products, customer_paths, skus)


def customer_path(customer_id: str, profile: dict, limit: int = 5) -> str:
    from service.customers.refresh import locales_for

    locale = locales_for(profile)[0]
    return f"/v1/customers/{customer_id}/recommendations?limit={limit}&locale={locale}"


def seed_customers(redis_url: str, ids: list[str], profiles: list[dict]) -> dict[str, Any]:
    """Store the profiles as PUT does and precompute their lists, in this process, against the
    same Redis and data the server uses."""
    from service.api.app import create_app
    from service.contract.schemas import ProfileSchema
    from service.customers.redis_client import cache_policy, get_store
    from service.customers.refresh import refresh_chunk

    app = create_app({"REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url, "RELOAD_INTERVAL": 0})
    store = get_store(app)
    schema = ProfileSchema()
    started = time.perf_counter()
    for customer_id, profile in zip(ids, profiles, strict=True):
        store.put_profile(customer_id, schema.load(profile))
    counts: Counter = Counter()
    for i in range(0, len(ids), 1000):
        counts.update(
            refresh_chunk(
                app.extensions["dosewise"], store, ids[i : i + 1000], cache_policy(app), force=True
            )
        )
    store.client.close()
    return {
        "customers": len(ids),
        "distinct_profiles": counts["computed"],
        "seconds": round(time.perf_counter() - started, 2),
    }


# ---------------------------------------------------------------- the load
@dataclass(slots=True)
class Record:
    phase_start: str
    phase_end: str
    kind: str
    status: int  # 0: connection error
    latency: float
    detail: str = ""  # exception name, or the response source for customer GETs


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


def expected_status(kind: str, phase: str) -> set[int]:
    if phase == "down":
        return DOWN_STATUS[kind]
    return {OK_STATUS.get(kind, 200)}


def summarize(records: list[Record], elapsed: float | None = None) -> dict[str, Any]:
    """Per phase (records that started and ended in one phase; the rest are `transition`):
    requests, statuses per kind, p50/p99 per kind, errors with a few examples."""
    by_phase: dict[str, list[Record]] = {}
    for r in records:
        phase = r.phase_start if r.phase_start == r.phase_end else "transition"
        by_phase.setdefault(phase, []).append(r)
    out: dict[str, Any] = {}
    for phase, rows in by_phase.items():
        kinds: dict[str, Any] = {}
        errors: Counter = Counter()
        for kind in sorted({r.kind for r in rows}):
            mine = [r for r in rows if r.kind == kind]
            latencies = np.array([r.latency for r in mine if r.status]) * 1000
            statuses = Counter(r.status for r in mine)
            row: dict[str, Any] = {
                "requests": len(mine),
                "status": {str(k): v for k, v in sorted(statuses.items())},
            }
            if latencies.size:
                row["p50_ms"] = round(float(np.percentile(latencies, 50)), 2)
                row["p99_ms"] = round(float(np.percentile(latencies, 99)), 2)
                row["max_ms"] = round(float(latencies.max()), 2)
            sources = Counter(r.detail for r in mine if kind.startswith("customer") and r.status)
            if sources:
                row["source"] = dict(sources)
            kinds[kind] = row
            for r in mine:
                if r.status == 0:
                    errors[f"{kind}: connection error {r.detail}"] += 1
                elif r.status >= 500 and r.status != 503:
                    errors[f"{kind}: {r.status}"] += 1
                elif phase != "transition" and r.status not in expected_status(kind, phase):
                    errors[f"{kind}: unexpected {r.status}"] += 1
        latencies = np.array([r.latency for r in rows if r.status]) * 1000
        out[phase] = {
            "requests": len(rows),
            "errors": sum(errors.values()),
            "server_errors": sum(1 for r in rows if r.status >= 500 and r.status != 503),
            "connection_errors": sum(1 for r in rows if r.status == 0),
            "error_kinds": dict(errors),
            "p50_ms": round(float(np.percentile(latencies, 50)), 2) if latencies.size else None,
            "p99_ms": round(float(np.percentile(latencies, 99)), 2) if latencies.size else None,
            "kinds": kinds,
        }
        if elapsed and phase not in ("transition",):
            out[phase]["requests_per_s"] = round(len(rows) / elapsed, 1)
    return out


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
) -> dict[str, Any]:
    """Seed and precompute `customers` in `redis_url` (flushed first), start gunicorn on it,
    warm up, then `seconds` of mixed load with RSS and CPU sampling.

    The load sends 6000 distinct recommendation bodies; the in-process answer cache holds
    `cache_size` of them, so it is full after the warm-up and evicts from then on: memory that
    still grows is not the cache filling up."""
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


def fault_problems(fault: dict[str, Any]) -> list[str]:
    """What breaks the promise: any error in a phase (unexpected status, 5xx but 503,
    connection error), or an own-customer GET that did not answer 200 while Redis was up. While
    it is down (and in the transitions) that GET answers 503: no process answers from its own
    copy of a profile, which could be old or erased."""
    problems = []
    for phase, row in fault["phases"].items():
        for what, count in row["error_kinds"].items():
            problems.append(f"{phase}: {count} x {what}")
        customer = row["kinds"].get("customer")
        allowed = (
            {"503"} if phase == "down" else {"200", "503"} if phase == "transition" else {"200"}
        )
        if customer and not set(customer["status"]) <= allowed:
            problems.append(f"{phase}: GET customer answered {customer['status']}")
    for phase in ("before", "down", "after"):
        if phase not in fault["phases"]:
            problems.append(f"{phase}: no requests")
    return problems


# ---------------------------------------------------------------- report
def print_load(result: dict[str, Any]) -> None:
    mem = result["memory"]
    print(
        f"load: {result['seconds']} s, {result['connections']} connections, "
        f"{result['workers']} workers: {result['requests']} requests, "
        f"{result['requests_per_s']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; "
        f"errors {result['errors']} (5xx {result['server_errors']}, connection "
        f"{result['connection_errors']}) {result['error_kinds'] or ''}",
        flush=True,
    )
    for kind, row in result["kinds"].items():
        print(
            f"  {kind:<10} {row['requests']:>7} requests  p50 {row.get('p50_ms')} ms  "
            f"p99 {row.get('p99_ms')} ms  status {row['status']}"
            + (f"  source {row['source']}" if "source" in row else ""),
            flush=True,
        )
    cpu = result["cpu_cores"]
    print(
        f"  CPU (cores busy of {cpu['available']}): server {cpu['server']} "
        f"(per worker {mem['cpu_cores_per_worker']}), client {cpu['client']}",
        flush=True,
    )
    total = mem["rss_mb_total"]
    print(
        f"  RSS of the workers (MB, total): start {total['start']}, middle {total['middle']}, "
        f"end {total['end']}; growth {mem['rss_growth_mb']} MB (second half "
        f"{mem['rss_growth_second_half_mb']} MB, largest per worker "
        f"{mem['rss_growth_max_worker_mb']} MB); per worker start "
        f"{mem['rss_mb_per_worker']['start']} end {mem['rss_mb_per_worker']['end']}; "
        f"worker restarts {mem['worker_restarts']}",
        flush=True,
    )


def print_fault(fault: dict[str, Any]) -> None:
    print(
        f"fault: Redis killed under load after {fault['seconds']['before']} s, down "
        f"{fault['seconds']['down']} s, back in {fault['redis_restart_s']} s, then "
        f"{fault['seconds']['after']} s; {fault['connections']} connections",
        flush=True,
    )
    for phase in ("before", "transition", "down", "after"):
        row = fault["phases"].get(phase)
        if row is None:
            continue
        print(
            f"  {phase:<10} {row['requests']:>6} requests  p50 {row['p50_ms']} ms  "
            f"p99 {row['p99_ms']} ms  errors {row['errors']} {row['error_kinds'] or ''}",
            flush=True,
        )
        for kind, k in row["kinds"].items():
            print(
                f"    {kind:<15} p50 {k.get('p50_ms')} ms  max {k.get('max_ms')} ms  {k['status']}"
                + (f"  source {k['source']}" if "source" in k else ""),
                flush=True,
            )


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
