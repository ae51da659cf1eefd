"""The daily refill job (needs a Redis: `make bench` provides one, or tests/with_redis.py).

N stored customers (default 100k, profiles from service/core/samples.py) with a realistic,
seeded purchase history: 0 to 4 products each (popular ones more often), bought again and again
over up to two years, each time around when the last supply runs out (some early, so supplies
overlap; some late), mostly one pack, sometimes two; one product in four given up long ago.
About one customer in four has something due on the day of the run (running out within the
reminder window, or run out lately).

1. The job end to end through a real Celery worker (prefork, one process per core), from the
   start to the export written, in customers/s (target: at least 5,000 for 100k customers).
2. Baseline in the same run: one pass over the same customers that only reads what the job
   reads (profiles and purchase histories, the same chunks), so the ratio says what the
   refill work costs on top of the reads; and the job's chunk function in process on a
   sample, with the CPU it spends per customer with something due.

    python -m bench.refills [--customers 100000] [--chunk 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import redis

from bench.server import db_url, start_celery_worker, stop_gunicorn
from service.api.app import create_app
from service.core.samples import sample_profiles
from service.customers.redis_client import get_store
from service.settings import REPO_ROOT

BENCH_DB, BROKER_DB = 10, 9
DAY = dt.date(2026, 11, 28)


def purchase_history(
    rng: np.random.Generator, catalog, today: dt.date, popularity: np.ndarray
) -> list[str]:
    """One customer's purchases, encoded as stored (`sku|time|quantity`, the time of the
    purchase event in UTC, in the shop's opening hours)."""
    count = int(rng.choice([0, 1, 2, 3, 4], p=[0.1, 0.35, 0.3, 0.15, 0.1]))
    chosen = rng.choice(len(catalog.products), size=count, replace=False, p=popularity)
    out = []
    for index in chosen.tolist():
        product = catalog.products[int(index)]
        days = max(product.pack_size // product.servings_per_day, 1)
        # the latest purchase lies anywhere in the last supply's length, a little late at
        # times (so run-out dates spread over the coming cycle); one product in four was
        # given up long ago; earlier purchases one supply apart, give or take
        if rng.random() < 0.25:
            day = today - dt.timedelta(days=days + int(rng.integers(60, 400)))
        else:
            day = today - dt.timedelta(days=int(rng.integers(0, days + 20)))
        for _ in range(int(rng.integers(1, 6))):
            quantity = 2 if rng.random() < 0.1 else 1
            minute = int(rng.integers(7 * 60, 23 * 60))
            moment = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), dt.UTC)
            out.append(f"{product.sku}|{moment.isoformat()}|{quantity}")
            day -= dt.timedelta(days=int(days * quantity * rng.uniform(0.8, 1.3)))
            if day < today - dt.timedelta(days=730):
                break
    return out


def store_customers(app, count: int, seed: int = 5, today: dt.date = DAY) -> list[str]:
    """Store `count` customers with profiles and purchase histories (pipelined)."""
    from service.customers.store import CUSTOMERS, key, profile_digest

    catalog = app.extensions["dosewise"].snapshot.catalog
    skus = [p.sku for p in catalog.products]
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(skus) + 1) ** 0.8
    popularity = weights[rng.permutation(len(skus))]
    popularity /= popularity.sum()
    client = get_store(app).client
    pipe = client.pipeline(transaction=False)
    ids = []
    for i, profile in enumerate(sample_profiles(count, skus, adults_only=True, seed=seed)):
        customer_id = f"c{i:07d}"
        ids.append(customer_id)
        entry = {"profile": profile, "digest": profile_digest(profile), "updated_at": time.time()}
        pipe.set(key("profile", customer_id), json.dumps(entry))
        pipe.sadd(CUSTOMERS, customer_id)
        history = purchase_history(rng, catalog, today, popularity)
        if history:
            pipe.rpush(key("purchases", customer_id), *history)
        if len(pipe) >= 10_000:
            pipe.execute()
    pipe.execute()
    return ids


def bench_job(app, worker) -> dict:
    """The job end to end, with the CPU seconds the worker processes and Redis spent (a
    figure that depends far less on the machine's load than customers/s: on N idle cores the
    job would do about N / (CPU per customer) customers/s)."""
    from bench.precompute import redis_cpu, worker_cpu
    from service.customers.refills import JOB
    from workers.refill_tasks import start_refills

    jobs = get_store(app).for_job(JOB)
    client = get_store(app).client
    cpu, redis_before = worker_cpu(worker), redis_cpu(client)
    started = time.perf_counter()
    with app.app_context():
        run = start_refills(app, "bench")
    assert run["started"], run
    while (jobs.run_state(run["run_id"]) or {}).get("exported_to") is None:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    worker_s, redis_s = worker_cpu(worker) - cpu, redis_cpu(client) - redis_before
    state = jobs.run_state(run["run_id"]) or {}
    total = int(state["total"])
    lines = sum(1 for _ in Path(state["exported_to"]).open(encoding="utf-8"))
    per_customer = (worker_s + redis_s) / max(total, 1)
    return {
        "customers": total,
        "seconds": round(elapsed, 2),
        "customers_per_s": round(total / elapsed, 1),
        "worker_cpu_s": round(worker_s, 2),
        "redis_cpu_s": round(redis_s, 2),
        "cpu_ms_per_customer": round(1000 * per_customer, 4),
        "customers_per_s_on_idle_cores": round((os.cpu_count() or 1) / max(per_customer, 1e-9)),
        "customers_due": int(state.get("due", 0)),
        "export_lines": lines,
        "failed": int(state.get("failed", 0)),
    }


def bench_reads_only(app, chunk: int) -> dict:
    """Baseline: read what the job reads, chunk by chunk, in one process."""
    store = get_store(app)
    started = time.perf_counter()
    customers = 0
    for ids in store.iter_id_chunks(chunk):
        store.read_profiles_and_purchases(ids)
        customers += len(ids)
    elapsed = time.perf_counter() - started
    return {"customers": customers, "customers_per_s": round(customers / elapsed, 1)}


def bench_in_process(app, ids: list[str]) -> dict:
    """The chunk function in this process with a fresh batch cache (a worker's first chunks):
    customers/s, and the CPU seconds per customer with something due (what the checks cost;
    it depends far less on what else runs on the machine)."""
    from service.core.refills import CheckCache
    from service.customers.refills import refill_chunk

    recommender, store = app.extensions["dosewise"], get_store(app)
    cache = CheckCache()
    started, cpu = time.perf_counter(), time.process_time()
    due = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        due += refill_chunk(recommender, store, chunk, DAY, evaluations=cache)["due"]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "customers": len(ids),
        "due": due,
        "customers_per_s": round(len(ids) / elapsed, 1),
        "cpu_ms_per_due": round(1000 * cpu / max(due, 1), 3),
        "checks": dict(cache.counts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=20000, help="in-process sample")
    args = parser.parse_args()
    base = os.environ.get("REDIS_URL")
    if not base:
        sys.exit("REDIS_URL is not set: run `make bench` (it starts a Redis)")
    store_url, broker_url = db_url(base, BENCH_DB), db_url(base, BROKER_DB)
    for url in (store_url, broker_url):
        redis.Redis.from_url(url).flushdb()
    export_dir = Path(tempfile.mkdtemp(prefix="dosewise-refills-"))
    settings = {
        "REDIS_URL": store_url,
        "CELERY_BROKER_URL": broker_url,
        "RELOAD_INTERVAL": 0,
        "REFILL_CHUNK_SIZE": args.chunk,
        "REFILL_EXPORT_DIR": str(export_dir),
        "REDIS_TIMEOUT": 10,  # a busy benchmark machine; the service's 0.5 s is for requests
    }
    env = {
        **os.environ,
        "REDIS_URL": store_url,
        "DOSEWISE_CELERY_BROKER_URL": broker_url,
        "DOSEWISE_RELOAD_INTERVAL": "0",
        "DOSEWISE_REFILL_CHUNK_SIZE": str(args.chunk),
        "DOSEWISE_REFILL_EXPORT_DIR": str(export_dir),
        "DOSEWISE_REDIS_TIMEOUT": "10",
    }
    app = create_app(settings)
    # the run records its day from the app's clock; the worker's chunks use that day
    app.extensions["dosewise"].clock = lambda: DAY
    report: dict = {"cpus": os.cpu_count(), "day": DAY.isoformat()}
    started = time.perf_counter()
    ids = store_customers(app, args.customers)
    print(f"stored {len(ids)} customers in {time.perf_counter() - started:.1f} s", flush=True)
    report["reads_only"] = bench_reads_only(app, args.chunk)
    print(f"baseline, reads only: {report['reads_only']}", flush=True)
    log = export_dir / "worker.log"
    worker = start_celery_worker(env, os.cpu_count() or 2, log)
    try:
        report["job"] = bench_job(app, worker)
        print(f"daily refill job: {report['job']}", flush=True)
    finally:
        stop_gunicorn(worker)  # the same process-group stop
    sample = ids[: args.sample]
    report["in_process"] = bench_in_process(app, sample)
    print(f"in process on {len(sample)}: {report['in_process']}", flush=True)
    report["job_vs_reads_only"] = round(
        report["job"]["customers_per_s"] / report["reads_only"]["customers_per_s"], 3
    )
    print(f"job / reads only: {report['job_vs_reads_only']}x", flush=True)
    out = REPO_ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "refills.json").write_text(json.dumps(report, indent=2))
    redis.Redis.from_url(store_url).flushdb()
    redis.Redis.from_url(broker_url).flushdb()


if __name__ == "__main__":
    main()
