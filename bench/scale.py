"""The cached GET with many stored customers (issue 16, point 6), and what they take in Redis.

Stores N customers (default 1M; profiles as PUT stores them), computes the lists of a sample
of 2,000 of them and of 5,000 more (a refresh of all of them is bench/precompute.py's
job), then measures the cached GET of the sample against /healthz in interleaved rounds, and
Redis MEMORY USAGE per profile and per list with `used_memory` per customer.

    python -m bench.scale [--customers 1000000] [--seconds 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import redis

from bench.precompute import BENCH_DB, bench_cached_get, customer_paths, memory, store_customers
from bench.rounds import describe, write_result
from bench.server import db_url
from service.api.app import create_app
from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base = os.environ.get("REDIS_URL")
    if not base:
        sys.exit("REDIS_URL is not set: run it through tests/with_redis.py")
    url = db_url(base, BENCH_DB)
    redis.Redis.from_url(url).flushdb()
    env = {**os.environ, "REDIS_URL": url, "DOSEWISE_RELOAD_INTERVAL": "0"}
    app = create_app({"REDIS_URL": url, "RELOAD_INTERVAL": 0, "ACCESS_LOG": False})
    started = time.perf_counter()
    ids = store_customers(app, args.customers)
    print(f"stored {len(ids)} customers in {time.perf_counter() - started:.1f} s", flush=True)
    paths = customer_paths(app, len(ids))
    sampled = [p.split("/")[3] for p in paths]
    others = ids[:: max(len(ids) // 5000, 1)]  # 5,000 more lists (a sample: the memory per list)
    recommender, store = app.extensions["dosewise"], get_store(app)
    chosen = list(dict.fromkeys(sampled + others))
    for start in range(0, len(chosen), 1000):
        refresh_chunk(recommender, store, chosen[start : start + 1000], cache_policy(app))
    print(f"lists of {len(chosen)} customers computed", flush=True)
    report = {"customers": len(ids), "with_lists": len(chosen)}
    report["memory"] = memory(app, chosen)
    used = int(store.client.info("memory")["used_memory"])
    report["memory"]["used_memory_bytes"] = used
    # every customer has a profile, only `with_lists` a list: per customer, with a list each
    per_list = report["memory"]["cached_list_bytes"]
    report["memory"]["used_memory_bytes_per_customer"] = round(
        used / len(ids) + per_list * (1 - len(chosen) / len(ids)), 1
    )
    report["cached_get"] = bench_cached_get(env, paths, args.seconds, args.rounds)
    print(describe(f"cached GET, {len(ids)} customers stored", report["cached_get"]), flush=True)
    print(f"memory: {report['memory']}", flush=True)
    print(f"written to {write_result('scale', report)}")
    redis.Redis.from_url(url).flushdb(asynchronous=True)  # a million keys: freed in the background


if __name__ == "__main__":
    main()
