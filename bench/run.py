"""Recommendation latency: in process (bundled, 1k, 10k SKUs) and over HTTP through gunicorn.

Every number is measured now, on this machine, and shown as a ratio to a baseline measured in
the same run: in process, the cost of only validating and parsing the same requests; over HTTP,
the trivial `GET /healthz` on the same server. Results also go to bench/results/latest.json.

    python -m bench.run [--quick] [--only inprocess|http]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.profiles import request_bodies
from bench.rounds import describe, interleaved, request_script, write_result
from bench.server import (
    children,
    cpu_seconds,
    free_port,  # noqa: F401
)
from bench.server import start_gunicorn as start_server
from service.contract.schemas import RecommendationRequestSchema
from service.core.ranking import recommend
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
            recommend(snapshot, body, TODAY)
        baseline, timed = [], []
        for i in range(n):
            raw = bodies[i % len(bodies)]
            t0 = time.perf_counter()
            request = schema.load(raw)  # the typed request (post_load)
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
def start_gunicorn(
    catalog: Path, workers: int, cache_size: int = 0
) -> tuple[subprocess.Popen, int]:
    return start_server(
        {
            "DOSEWISE_CATALOG_PATH": str(catalog),
            "DOSEWISE_CACHE_SIZE": str(cache_size),
            "DOSEWISE_RELOAD_INTERVAL": "0",
            "REDIS_URL": None,
        },
        workers,
    )


def workers_cpu(process: subprocess.Popen) -> Callable[[], float]:
    """CPU seconds used so far by the gunicorn workers (the master's children)."""
    return lambda: sum(cpu_seconds(pid) or 0.0 for pid in children(process.pid))


def bench_http(sizes: list[int | None], seconds: float, rounds: int) -> list[dict]:
    """POST /v1/recommendations (500 seeded bodies, answer cache off) against /healthz on the
    same gunicorn (2 workers), interleaved rounds under wrk with 32 connections."""
    results = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            catalog = CATALOG
            if size is not None:
                catalog = Path(tmp) / "catalog.yaml"
                write_synthetic_catalog(CATALOG, catalog, size)
            skus = [p["sku"] for p in load_yaml(catalog)["products"]]
            lines = [f"POST /v1/recommendations {json.dumps(b)}" for b in request_bodies(500, skus)]
            process, port = start_gunicorn(catalog, workers=2)
            try:
                row = interleaved(
                    f"http://127.0.0.1:{port}",
                    request_script(lines),
                    rounds,
                    seconds,
                    cpu=workers_cpu(process),
                )
            finally:
                process.terminate()
                process.wait(timeout=30)
            if size is None:  # the same bodies again, answered from the answer cache
                process, port = start_gunicorn(catalog, workers=2, cache_size=4096)
                try:
                    row["answer_cache"] = interleaved(
                        f"http://127.0.0.1:{port}",
                        request_script(lines),
                        rounds,
                        seconds,
                        cpu=workers_cpu(process),
                    )
                finally:
                    process.terminate()
                    process.wait(timeout=30)
        row["catalog"] = "bundled" if size is None else f"{size} SKUs"
        results.append(row)
        print(describe(f"HTTP POST /v1/recommendations, {row['catalog']}", row), flush=True)
        if "answer_cache" in row:
            print(describe("  the same from the answer cache", row["answer_cache"]), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter loads")
    parser.add_argument("--only", choices=["inprocess", "http"])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved HTTP rounds (>= 3)")
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
        report["http"] = bench_http([None] if args.quick else [None, 1000], seconds, args.rounds)
    print(f"written to {write_result('latest', report)}")


if __name__ == "__main__":
    main()
