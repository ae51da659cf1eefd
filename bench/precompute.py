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
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from bench.server import db_url, start_celery_worker, start_gunicorn, stop_gunicorn
from service.api.app import create_app
from service.core.samples import sample_profiles
from service.customers.redis_client import get_store
from service.settings import REPO_ROOT

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


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
        )
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is missing: apt-get install wrk")
    return found


WRK_SCRIPT = """
math.randomseed(7)
local paths = {}
for line in io.lines("{paths}") do paths[#paths + 1] = line end
request = function()
  return wrk.format("GET", paths[math.random(1, #paths)])
end
"""


def customer_paths(app, count: int, sample: int = 20_000) -> list[str]:
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


def run_wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict:
    command = [wrk_binary(), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    percentiles = {}
    for name in ("50%", "99%"):
        match = re.search(rf"{name}\s+([\d.]+)(us|ms|s)", out)
        value = float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]
        percentiles[name] = round(value, 2)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": rate,
        "p50_ms": percentiles["50%"],
        "p99_ms": percentiles["99%"],
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
    }


def bench_cached_get(env: dict, paths: list[str], seconds: int, sources: dict) -> dict:
    server, port = start_gunicorn(
        {k: v for k, v in env.items() if k.startswith("DOSEWISE_") or k == "REDIS_URL"}, 2
    )
    try:
        import http.client

        workdir = Path(tempfile.mkdtemp(prefix="dosewise-wrk-"))
        (workdir / "paths.txt").write_text("\n".join(paths) + "\n")
        script = workdir / "cached.lua"
        script.write_text(WRK_SCRIPT.replace("{paths}", str(workdir / "paths.txt")))
        base = f"http://127.0.0.1:{port}"
        run_wrk(f"{base}/healthz", 2, 32, None)  # warm-up
        trivial = run_wrk(f"{base}/healthz", seconds, 32, None)
        cached = run_wrk(base, seconds, 32, script)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        seen = []
        for path in paths[:200]:
            conn.request("GET", path)
            seen.append(json.loads(conn.getresponse().read())["source"])
        sources["sample_source"] = {s: seen.count(s) for s in set(seen)}
        shutil.rmtree(workdir, ignore_errors=True)
    finally:
        stop_gunicorn(server)
    return {
        "connections": 32,
        "cached_get": cached,
        "trivial_healthz": trivial,
        "ratio_throughput": round(cached["requests_per_s"] / trivial["requests_per_s"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=10)
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
        }
    )
    report: dict = {"cpus": os.cpu_count()}
    log = Path(tempfile.mkdtemp(prefix="dosewise-bench-")) / "worker.log"
    worker = start_celery_worker(env, os.cpu_count() or 2, log)
    try:
        started = time.perf_counter()
        ids = store_customers(app, args.customers)
        print(f"stored {len(ids)} customers in {time.perf_counter() - started:.1f} s", flush=True)
        report["refresh"] = bench_refresh(app, len(ids))
        print(f"batch refresh: {report['refresh']}", flush=True)
        report["naive"] = bench_naive(app, ids[: args.naive])
        print(f"naive one task per customer: {report['naive']}", flush=True)
        report["refresh_ratio_to_naive"] = round(
            report["refresh"]["customers_per_s"] / report["naive"]["customers_per_s"], 1
        )
        print(f"batch / naive: {report['refresh_ratio_to_naive']}x", flush=True)
        with app.app_context():
            from workers.tasks import start_refresh

            start_refresh(
                app, "bench"
            )  # the naive sample's lists back under the batch's fingerprint
        while (get_store(app).run_state() or {}).get("status") != "finished":
            time.sleep(0.1)
    finally:
        stop_gunicorn(worker)  # the same process-group stop
    sources: dict = {}
    report["cached_get"] = bench_cached_get(
        env, customer_paths(app, len(ids)), args.seconds, sources
    )
    report["cached_get"]["sample_source"] = sources.get("sample_source")
    c = report["cached_get"]
    hit, trivial = c["cached_get"], c["trivial_healthz"]
    print(
        f"cached GET under wrk, 32 connections: {hit['requests_per_s']:.0f} req/s "
        f"p50 {hit['p50_ms']} ms p99 {hit['p99_ms']} ms (non-2xx {hit['non_2xx']}); "
        f"/healthz {trivial['requests_per_s']:.0f} req/s p50 {trivial['p50_ms']} ms "
        f"p99 {trivial['p99_ms']} ms; throughput ratio {c['ratio_throughput']}x; "
        f"sample source {c['sample_source']}",
        flush=True,
    )
    out = REPO_ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "precompute.json").write_text(json.dumps(report, indent=2))
    redis.Redis.from_url(store_url).flushdb()
    redis.Redis.from_url(broker_url).flushdb()


if __name__ == "__main__":
    main()
