"""Recommendation latency: in process (bundled, 1k, 10k SKUs) and over HTTP through gunicorn.

Every number is measured now, on this machine, and shown as a ratio to a baseline measured in
the same run: in process, the cost of only validating and parsing the same requests; over HTTP,
the trivial `GET /healthz` on the same server. Results also go to bench/results/latest.json.

    python -m bench.run [--quick] [--only inprocess|http]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench.profiles import request_bodies
from bench.server import free_port  # noqa: F401
from bench.server import start_gunicorn as start_server
from service.contract.schemas import RecommendationRequestSchema
from service.core.ranking import recommend
from service.core.requests import RecommendationRequest
from service.core.snapshot import DataPaths, load_snapshot
from service.core.synthetic import synthetic_catalog, write_synthetic_catalog
from service.core.yamlfile import load_yaml
from service.settings import REPO_ROOT

CATALOG = REPO_ROOT / "catalog" / "products.yaml"
RULES = REPO_ROOT / "rules"
TODAY = dt.date(2026, 11, 28)


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "n": len(samples),
    }


def bench_inprocess(sizes: list[int | None], rounds: int) -> list[dict]:
    paths = DataPaths(CATALOG, RULES)
    base = load_yaml(CATALOG)
    schema = RecommendationRequestSchema()
    results = []
    for size in sizes:
        started = time.perf_counter()
        document = None if size is None else synthetic_catalog(base, size)
        snapshot = load_snapshot(paths, document)
        load_s = time.perf_counter() - started
        skus = [p.sku for p in snapshot.catalog.products]
        bodies = request_bodies(500, skus)
        validated = [schema.load(b) for b in bodies]
        n = rounds if size is None or size <= 1000 else max(rounds // 4, 200)
        for body in validated[:50]:  # warm-up
            recommend(snapshot, RecommendationRequest.from_dict(body), TODAY)
        baseline, timed = [], []
        for i in range(n):
            raw = bodies[i % len(bodies)]
            t0 = time.perf_counter()
            body = schema.load(raw)
            request = RecommendationRequest.from_dict(body)
            t1 = time.perf_counter()
            recommend(snapshot, request, TODAY)
            t2 = time.perf_counter()
            baseline.append(t1 - t0)
            timed.append(t2 - t1)
        row = {
            "catalog": "bundled" if size is None else f"{size} SKUs",
            "products": len(snapshot.catalog),
            "load_s": round(load_s, 2),
            "recommend": percentiles(timed),
            "baseline_validate_parse": percentiles(baseline),
        }
        row["ratio_p50_to_baseline"] = round(
            row["recommend"]["p50_ms"] / row["baseline_validate_parse"]["p50_ms"], 2
        )
        results.append(row)
        print(
            f"in process, {row['catalog']:>10} ({row['products']} products): "
            f"p50 {row['recommend']['p50_ms']:.3f} ms, p99 {row['recommend']['p99_ms']:.3f} ms"
            f" ({row['ratio_p50_to_baseline']}x validating+parsing the request, "
            f"p50 {row['baseline_validate_parse']['p50_ms']:.3f} ms); load {load_s:.2f} s",
            flush=True,
        )
    return results


# ---------------------------------------------------------------- HTTP through gunicorn
def start_gunicorn(catalog: Path, workers: int) -> tuple[subprocess.Popen, int]:
    return start_server(
        {
            "DOSEWISE_CATALOG_PATH": str(catalog),
            "DOSEWISE_CACHE_SIZE": "0",
            "DOSEWISE_RELOAD_INTERVAL": "0",
            "REDIS_URL": None,
        },
        workers,
    )


def http_load(
    port: int, requests: list[tuple[str, str, bytes | None]], connections: int, seconds: float
) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, i = [], offset
        headers = {"Content-Type": "application/json"}
        while time.monotonic() < stop:
            method, path, body = requests[i % len(requests)]
            i += connections
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers if body else {})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            if response.status >= 500:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    row = percentiles(latencies)
    row["requests_per_s"] = round(len(latencies) / elapsed, 1)
    row["errors_5xx"] = errors[0]
    return row


def bench_http(sizes: list[int | None], seconds: float, connections: int) -> list[dict]:
    results = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            catalog = CATALOG
            if size is not None:
                catalog = Path(tmp) / "catalog.yaml"
                write_synthetic_catalog(CATALOG, catalog, size)
            process, port = start_gunicorn(catalog, workers=2)
            try:
                skus = [p["sku"] for p in load_yaml(catalog)["products"]]
                bodies = [json.dumps(b).encode() for b in request_bodies(500, skus)]
                recs = [("POST", "/v1/recommendations", b) for b in bodies]
                http_load(port, recs, connections, 2)  # warm-up
                trivial = http_load(port, [("GET", "/healthz", None)], connections, seconds)
                timed = http_load(port, recs, connections, seconds)
            finally:
                process.terminate()
                process.wait(timeout=30)
        row = {
            "catalog": "bundled" if size is None else f"{size} SKUs",
            "connections": connections,
            "recommend": timed,
            "trivial_healthz": trivial,
            "ratio_p50": round(timed["p50_ms"] / trivial["p50_ms"], 2),
            "ratio_throughput": round(timed["requests_per_s"] / trivial["requests_per_s"], 2),
        }
        results.append(row)
        print(
            f"HTTP gunicorn 2 workers, {row['catalog']:>10}, {connections} conns: recommend "
            f"p50 {timed['p50_ms']:.2f} ms p99 {timed['p99_ms']:.2f} ms "
            f"{timed['requests_per_s']:.0f} req/s; /healthz p50 {trivial['p50_ms']:.2f} ms "
            f"p99 {trivial['p99_ms']:.2f} ms {trivial['requests_per_s']:.0f} req/s; "
            f"ratio p50 {row['ratio_p50']}x, throughput {row['ratio_throughput']}x; "
            f"5xx {timed['errors_5xx'] + trivial['errors_5xx']}",
            flush=True,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter loads")
    parser.add_argument("--only", choices=["inprocess", "http"])
    args = parser.parse_args()
    rounds = 500 if args.quick else 3000
    seconds = 3.0 if args.quick else 10.0
    report: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if args.only in (None, "inprocess"):
        report["inprocess"] = bench_inprocess([None, 1000, 10000], rounds)
    if args.only in (None, "http"):
        report["http"] = bench_http([None, 1000], seconds, connections=4)
    out = REPO_ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2))
    print(f"written to {out / 'latest.json'}")


if __name__ == "__main__":
    main()
