"""Precompute benchmarks (needs a Redis: `make bench` provides one).

1. Batch refresh of N stored customers (default 100k, realistic spread: service/core/samples.py)
   by a real Celery worker (prefork, one process per core), end to end from start to the
   last list written, against the naive baseline measured in the same run: one task per
   customer, each computing its own list, on a sample of the same customers.
2. Cached `GET /v1/customers/{id}/recommendations` through gunicorn under wrk (32
   connections) against the trivial `GET /healthz` on the same server in the same run.

    python -m bench.precompute [--customers 100000] [--naive 3000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis

from bench.rounds import describe, interleaved, request_script, spread, write_result
from bench.server import (
    children,
    cpu_seconds,
    db_url,
    start_celery_worker,
    start_gunicorn,
    stop_gunicorn,
)
from service.api.app import create_app
from service.core.samples import sample_profiles
from service.customers.redis_client import get_store

BENCH_DB, BROKER_DB = 12, 11


def store_customers(app, count: int) -> list[str]:
    skus = [p.sku for p in app.extensions["dosewise"].snapshot.catalog.products]
    client = get_store(app).client
    ids = []
    pipe = client.pipeline(transaction=False)
    from service.customers.store import CUSTOMERS, key, profile_digest

    for i, profile in enumerate(sample_profiles(count, skus, adults_only=True)):
        customer_id = f"c{i:07d}"
        ids.append(customer_id)
        pipe.set(
            key("profile", customer_id),
            json.dumps(
                {"profile": profile, "digest": profile_digest(profile), "updated_at": time.time()}
            ),
        )
        pipe.sadd(CUSTOMERS, customer_id)
        if len(pipe) >= 10_000:
            pipe.execute()
    pipe.execute()
    return ids


def bench_refresh(app, count: int) -> dict:
    store = get_store(app)
    started = time.perf_counter()
    from workers.tasks import start_refresh

    with app.app_context():
        run = start_refresh(app, "bench", force=True)
    assert run["started"], run
    while (store.run_state(run["run_id"]) or {}).get("status") != "finished":
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    state = store.run_state(run["run_id"])
    return {
        "customers": count,
        "seconds": round(elapsed, 2),
        "customers_per_s": round(count / elapsed, 1),
        "distinct_profiles_computed": int(state["computed"]),
    }


def bench_naive(app, ids: list[str]) -> dict:
    client = get_store(app).client
    from service.customers.store import key

    client.delete(*[key("recs", i) for i in ids])
    task = app.extensions["celery"].tasks["workers.tasks.refresh_customer"]
    started = time.perf_counter()
    for customer_id in ids:
        task.apply_async(args=[customer_id], kwargs={"dedupe": False})
    remaining = list(ids)
    while remaining:
        exists = client.pipeline(transaction=False)
        for customer_id in remaining:
            exists.exists(key("recs", customer_id))
        remaining = [c for c, e in zip(remaining, exists.execute(), strict=True) if not e]
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    return {
        "customers": len(ids),
        "seconds": round(elapsed, 2),
        "customers_per_s": round(len(ids) / elapsed, 1),
    }


def customer_paths(app, count: int, sample: int = 2000) -> list[str]:
    """GET paths for a sample of the stored customers, each in its shop's locale (the one its
    list is precomputed in), limit 5 (the contract's default)."""
    from service.customers.refresh import locales_for

    store = get_store(app)
    ids = [f"c{i:07d}" for i in range(0, count, max(count // sample, 1))]
    profiles, _ = store.read_many(ids)
    return [
        f"/v1/customers/{i}/recommendations?limit=5&locale={locales_for(p['profile'])[0]}"
        for i, p in zip(ids, profiles, strict=True)
        if p
    ]


def bench_cached_get(env: dict, paths: list[str], seconds: float, rounds: int) -> dict:
    """Cached GETs against /healthz on one gunicorn (2 workers, as many as cores), in
    interleaved rounds under wrk; impressions logged (IMPRESSION_SAMPLE as configured)."""
    server, port = start_gunicorn(
        {k: v for k, v in env.items() if k.startswith("DOSEWISE_") or k == "REDIS_URL"}, 2
    )
    client = redis.Redis.from_url(env["REDIS_URL"])
    client.config_resetstat()
    try:
        base = f"http://127.0.0.1:{port}"
        row = interleaved(base, request_script([f"GET {p}" for p in paths]), rounds, seconds)
        packed = interleaved(
            base,
            request_script([f"GET {p}" for p in paths], {"Accept-Encoding": "gzip"}),
            rounds,
            seconds,
        )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        seen = []
        for path in paths[:200]:
            conn.request("GET", path)
            seen.append(json.loads(conn.getresponse().read())["source"])
        row["sample_source"] = {s: seen.count(s) for s in set(seen)}
        row["gzip"] = packed
        # Redis's own CPU per call: what one node can serve (docs/operators.md, Sizing)
        stats = client.info("commandstats")
        row["redis_usec_per_call"] = {
            name.removeprefix("cmdstat_"): stats[name]["usec_per_call"]
            for name in ("cmdstat_evalsha", "cmdstat_mget")
            if name in stats
        }
    finally:
        stop_gunicorn(server)
    return row


def worker_cpu(worker) -> float:
    """CPU seconds used so far by the Celery worker and its pool processes."""
    pids = [worker.pid, *children(worker.pid)]
    return sum(cpu_seconds(pid) or 0.0 for pid in pids)


def redis_cpu(client) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def bench_refreshes(app, count: int, runs: int, worker) -> dict:
    """`runs` forced batch refreshes of every stored customer; the median rate with the spread,
    and the CPU seconds per 1000 customers of the worker processes and of Redis."""
    client = get_store(app).client
    rows = []
    for _ in range(runs):
        # every run computes every distinct profile: the lists shared by identical profiles
        # (dw:shared:*, kept an hour) would otherwise let the next run skip the computing
        for names in _batches(client.scan_iter("dw:shared:*", count=10_000), 10_000):
            client.unlink(*names)
        cpu, redis_before = worker_cpu(worker), redis_cpu(client)
        row = bench_refresh(app, count)
        row["worker_cpu_s"] = round(worker_cpu(worker) - cpu, 2)
        row["redis_cpu_s"] = round(redis_cpu(client) - redis_before, 2)
        row["load_average"] = os.getloadavg()[0]
        rows.append(row)
        print(f"batch refresh: {row}", flush=True)
    rates = [r["customers_per_s"] for r in rows]
    cpu_per_1000 = [1000 * (r["worker_cpu_s"] + r["redis_cpu_s"]) / count for r in rows]
    return {
        "customers": count,
        "runs": rows,
        "customers_per_s": spread(rates),
        # what the rate would be with the machine's cores busy with nothing else
        "cpu_s_per_1000_customers": spread(cpu_per_1000),
        "customers_per_s_on_idle_cores": round(
            (os.cpu_count() or 2) * 1000 / statistics.median(cpu_per_1000), 1
        ),
        "distinct_profiles_computed": rows[-1]["distinct_profiles_computed"],
    }


def _batches(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def memory(app, ids: list[str]) -> dict:
    """Redis MEMORY USAGE of a stored profile, a cached list and an impression (bytes; a sample
    of customers), and the whole database per customer."""
    client = get_store(app).client
    from service.customers.store import IMPRESSIONS_STREAM, key

    sample = ids[:: max(len(ids) // 500, 1)]
    pipe = client.pipeline(transaction=False)
    for customer_id in sample:
        pipe.memory_usage(key("profile", customer_id), samples=0)
        pipe.memory_usage(key("recs", customer_id), samples=0)
    values = pipe.execute()
    profiles, lists = values[0::2], values[1::2]
    used = int(client.info("memory")["used_memory"])
    stream = client.xlen(IMPRESSIONS_STREAM)
    stream_bytes = client.memory_usage(IMPRESSIONS_STREAM, samples=0) if stream else 0
    return {
        "profile_bytes": round(statistics.mean(v for v in profiles if v), 1),
        "cached_list_bytes": round(statistics.mean(v for v in lists if v), 1),
        "used_memory_bytes_per_customer": round(used / len(ids), 1),
        "impressions_in_stream": stream,
        "impression_bytes": round(stream_bytes / stream, 1) if stream else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved HTTP rounds (>= 3)")
    parser.add_argument("--runs", type=int, default=3, help="batch refreshes (median of them)")
    parser.add_argument("--skip-get", action="store_true", help="refresh only")
    args = parser.parse_args()
    base = os.environ.get("REDIS_URL")
    if not base:
        sys.exit("REDIS_URL is not set: run `make bench` (it starts a Redis)")
    store_url, broker_url = db_url(base, BENCH_DB), db_url(base, BROKER_DB)
    for url in (store_url, broker_url):
        redis.Redis.from_url(url).flushdb()
    env = {
        **os.environ,
        "REDIS_URL": store_url,
        "DOSEWISE_CELERY_BROKER_URL": broker_url,
        "DOSEWISE_RELOAD_INTERVAL": "0",
        "DOSEWISE_REFRESH_CHUNK_SIZE": "1000",
    }
    app = create_app(
        {
            "REDIS_URL": store_url,
            "CELERY_BROKER_URL": broker_url,
            "RELOAD_INTERVAL": 0,
            "REFRESH_CHUNK_SIZE": 1000,
            "ACCESS_LOG": False,
        }
    )
    report: dict = {"cpus": os.cpu_count(), "load_average_start": os.getloadavg()[0]}
    log = Path(tempfile.mkdtemp(prefix="dosewise-bench-")) / "worker.log"
    worker = start_celery_worker(env, os.cpu_count() or 2, log)
    try:
        started = time.perf_counter()
        ids = store_customers(app, args.customers)
        print(f"stored {len(ids)} customers in {time.perf_counter() - started:.1f} s", flush=True)
        report["refresh"] = bench_refreshes(app, len(ids), args.runs, worker)
        if args.naive:
            report["naive"] = bench_naive(app, ids[: args.naive])
            print(f"naive one task per customer: {report['naive']}", flush=True)
            report["refresh_ratio_to_naive"] = round(
                report["refresh"]["customers_per_s"]["median"] / report["naive"]["customers_per_s"],
                1,
            )
            print(f"batch / naive: {report['refresh_ratio_to_naive']}x", flush=True)
            with app.app_context():
                from workers.tasks import start_refresh

                # the naive sample's lists back under the batch's fingerprint
                start_refresh(app, "bench")
            while (get_store(app).run_state() or {}).get("status") != "finished":
                time.sleep(0.1)
    finally:
        stop_gunicorn(worker)  # the same process-group stop
    r = report["refresh"]
    print(
        f"refresh of {r['customers']} customers: {r['customers_per_s']} customers/s "
        f"(median of {args.runs}); CPU {r['cpu_s_per_1000_customers']} s per 1000 customers "
        f"(worker processes + Redis): {r['customers_per_s_on_idle_cores']}/s on idle cores",
        flush=True,
    )
    if not args.skip_get:
        report["cached_get"] = bench_cached_get(
            env, customer_paths(app, len(ids)), args.seconds, args.rounds
        )
        print(describe("cached GET", report["cached_get"]), flush=True)
        print(describe("cached GET, gzip", report["cached_get"]["gzip"]), flush=True)
        print(f"sample source {report['cached_get']['sample_source']}", flush=True)
    report["memory"] = memory(app, ids)
    print(f"memory: {report['memory']}", flush=True)
    print(f"written to {write_result('precompute', report)}")
    redis.Redis.from_url(store_url).flushdb()
    redis.Redis.from_url(broker_url).flushdb()


if __name__ == "__main__":
    main()
