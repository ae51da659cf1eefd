"""Placement latency (issue 11 point 8): each placement of rules/placements.yaml and the
alternatives endpoints, in process and over HTTP (gunicorn), each as a ratio to the plain list
measured in the same run on the same request bodies (target: alternatives and cart p50 at most
1.5x the plain list's); account and email also with a stored customer's purchases
(`+purchases`: buy again and refills, 2-5 products bought one to eight months before). With
Redis (REDIS_URL, as `make bench` sets it), also the cached customer GET of a precomputed
placement against the plain cached GET and `GET /healthz` (32 connections, as bench.load_http).
Over HTTP the load is wrk's (4 connections for the placements; p50 and p99 are wrk's).

    python -m bench.placements [--quick] [--only inprocess|http]

Results go to bench/results/placements.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from bench.profiles import request_bodies
from bench.rounds import request_script, run_wrk
from bench.server import db_url, start_gunicorn, stop_gunicorn
from service.core.placements.serve import (
    alternatives_for_profile,
    alternatives_of,
    recommend_placement,
)
from service.core.ranking import recommend
from service.core.refills import Purchase, refill_config
from service.core.requests import RecommendationRequest
from service.core.snapshot import DataPaths, load_snapshot
from service.settings import REPO_ROOT

CATALOG = REPO_ROOT / "catalog" / "products.yaml"
RULES = REPO_ROOT / "rules"
TODAY = dt.date(2026, 11, 28)
TARGET = 1.5  # alternatives and cart: p50 at most this times the plain list's
BENCH_DB = 7  # the Redis database the HTTP run uses (flushed before and after)


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "n": len(samples),
    }


def http_load(
    port: int, requests: list[tuple[str, str, bytes | None]], connections: int, seconds: float
) -> dict[str, Any]:
    """`connections` keep-alive connections of wrk (C, two threads: a Python client's GIL and
    threads made the rounds spread from 0.3x to 4.6x, session 24) sending `requests` in a
    seeded random order for `seconds`: p50, p99, throughput, the answers that were not 2xx."""
    script = _scripts.get(id(requests))
    if script is None:
        lines = [
            f"{m} {path} {body.decode() if body else ''}".rstrip() for m, path, body in requests
        ]
        script = _scripts[id(requests)] = request_script(lines)
    row = run_wrk(f"http://127.0.0.1:{port}", max(seconds, 1.0), connections, script)  # whole s
    return {
        "p50_ms": row["p50_ms"],
        "p99_ms": row["p99_ms"],
        "requests_per_s": row["requests_per_s"],
        "non_2xx": row["non_2xx"],
        "socket_errors": row["socket_errors"],
    }


_scripts: dict[int, Path] = {}  # one wrk script per load (the lists live as long as the run)


def cases(skus: list[str], count: int) -> list[dict[str, Any]]:
    """Request bodies with a basket (1-2 SKUs) and a product on the page: the plain list is
    measured on exactly these bodies (the basket counts in its intake too)."""
    rng = np.random.default_rng(7)
    bodies = request_bodies(count, skus, seed=13)
    for body in bodies:
        body["basket"] = [{"sku": str(s)} for s in rng.choice(skus, int(rng.integers(1, 3)))]
        body["product_sku"] = str(rng.choice(skus))
    return bodies


def copurchase_table(skus: list[str]) -> dict[str, dict[str, float]]:
    """A dense synthetic table: every SKU with 20 neighbours (the job's top_n)."""
    rng = np.random.default_rng(3)
    return {
        sku: {str(o): round(float(rng.random()), 4) for o in rng.choice(skus, 20, replace=False)}
        for sku in skus
    }


def history(body: dict[str, Any], skus: list[str]) -> list[Purchase]:
    """A stored customer's purchases for a body: 2-5 products bought one to eight months
    before the bench's day (some run out soon, some have), the same for the same body."""
    rng = np.random.default_rng(zlib.crc32(json.dumps(body, sort_keys=True).encode()))
    chosen = rng.choice(skus, int(rng.integers(2, 6)), replace=False)
    return [
        Purchase(TODAY - dt.timedelta(days=int(rng.integers(30, 240))), str(sku)) for sku in chosen
    ]


def _plain_body(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "product_sku"}


def _placement_body(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The product on the page goes with the product page only (a cart has none)."""
    out = body if name == "product_page" else _plain_body(body)
    return {**out, "placement": name}


def bench_inprocess(rounds: int) -> dict[str, Any]:
    snapshot = load_snapshot(DataPaths(CATALOG, RULES))
    skus = [p.sku for p in snapshot.catalog.products]
    bodies = cases(skus, 300)
    table = copurchase_table(skus)
    refills = refill_config(RULES, snapshot.reference)
    calls = {
        "plain": lambda b: recommend(
            snapshot, RecommendationRequest.from_dict(_plain_body(b)), TODAY
        ),
        **{
            f"placement:{name}": (
                lambda b, name=name: recommend_placement(
                    snapshot, _placement_body(b, name), TODAY, table
                )
            )
            for name in snapshot.placements.names
        },
        # a stored customer's account and e-mail lists: with purchases (buy again, refills)
        **{
            f"placement:{name} +purchases": (
                lambda b, name=name: recommend_placement(
                    snapshot,
                    _placement_body(b, name),
                    TODAY,
                    None,
                    purchases=(history(b, skus), refills),
                )
            )
            for name in ("account", "email")
        },
        "alternatives GET": lambda b: alternatives_of(snapshot, b["product_sku"], 5, b["locale"]),
        "alternatives POST": lambda b: alternatives_for_profile(
            snapshot, b["product_sku"], _plain_body(b), TODAY
        ),
    }
    for body in bodies[:30]:  # warm-up: claim tables, compiled rules
        for call in calls.values():
            call(body)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for i in range(rounds):
        body = bodies[i % len(bodies)]
        for name, call in calls.items():  # interleaved: drift hits every case alike
            t0 = time.perf_counter()
            call(body)
            samples[name].append(time.perf_counter() - t0)
    return _rows(samples)


def _rows(samples: dict[str, list[float]]) -> dict[str, Any]:
    plain = percentiles(samples["plain"])
    rows = {"plain": plain}
    for name, values in samples.items():
        if name == "plain":
            continue
        row = percentiles(values)
        row["p50_vs_plain"] = round(row["p50_ms"] / plain["p50_ms"], 2)
        rows[name] = row
    return rows


def interleaved(
    port: int,
    loads: dict[str, list[tuple[str, str, bytes | None]]],
    connections: int,
    seconds: float,
    rounds: int,
    base: str = "plain",
    measure: str = "p50_ms",
    ratio: str = "p50_vs_plain",
) -> dict[str, Any]:
    """`rounds` rounds, each every load in turn (`base` first) for `seconds`: a load's row is
    its median round by `measure`, with `ratio` the median of its per-round ratios to `base`
    in the same round and their spread (min, max), so a machine that slows down during the
    run moves both sides of each ratio alike."""
    per_round: dict[str, list[dict[str, Any]]] = {name: [] for name in loads}
    for _ in range(rounds):
        for name, requests in loads.items():
            per_round[name].append(http_load(port, requests, connections, seconds))
    bases = [row[measure] for row in per_round[base]]
    rows: dict[str, Any] = {}
    for name, measured in per_round.items():
        row = sorted(measured, key=lambda r: r[measure])[len(measured) // 2]
        if name != base:
            ratios = sorted(r[measure] / b for r, b in zip(measured, bases, strict=True))
            row[ratio] = round(float(np.median(ratios)), 2)
            row[f"{ratio}_spread"] = [round(ratios[0], 2), round(ratios[-1], 2)]
        rows[name] = {**row, "rounds": rounds}
    return rows


def bench_http(seconds: float, connections: int, rounds: int = 3) -> dict[str, Any]:
    base = os.environ.get("REDIS_URL")
    redis_url = db_url(base, BENCH_DB) if base else None
    snapshot = load_snapshot(DataPaths(CATALOG, RULES))
    skus = [p.sku for p in snapshot.catalog.products]
    bodies = cases(skus, 300)
    client = None
    if redis_url:
        import redis

        from service.customers.copurchase import TABLE

        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        table = copurchase_table(skus)
        client.hset(TABLE, mapping={k: json.dumps(v) for k, v in table.items()})
    process, port = start_gunicorn(
        {
            "DOSEWISE_CACHE_SIZE": "0",
            "DOSEWISE_RELOAD_INTERVAL": "2",  # as shipped (0: the experiments file read per GET)
            "REDIS_URL": redis_url,
            "DOSEWISE_CELERY_BROKER_URL": None,
        },
        workers=2,
    )
    try:
        loads: dict[str, list[tuple[str, str, bytes | None]]] = {
            "plain": [
                ("POST", "/v1/recommendations", json.dumps(_plain_body(b)).encode()) for b in bodies
            ]
        }
        for name in snapshot.placements.names:
            loads[f"placement:{name}"] = [
                ("POST", "/v1/recommendations", json.dumps(_placement_body(b, name)).encode())
                for b in bodies
            ]
        loads["alternatives GET"] = [
            ("GET", f"/v1/products/{b['product_sku']}/alternatives?locale={b['locale']}", None)
            for b in bodies
        ]
        loads["alternatives POST"] = [
            (
                "POST",
                f"/v1/products/{b['product_sku']}/alternatives",
                json.dumps({k: v for k, v in _plain_body(b).items()}).encode(),
            )
            for b in bodies
        ]
        http_load(port, loads["plain"], connections, 1.0)  # warm-up
        rows = interleaved(port, loads, connections, seconds, rounds)
        if client is not None:
            rows["cached GET"] = _cached_gets(port, redis_url, 32, seconds)  # as bench.load_http
    finally:
        stop_gunicorn(process)
        if client is not None:
            client.flushdb()
    return rows


def _cached_gets(port: int, redis_url: str | None, connections: int, seconds: float) -> dict:
    """Stored customers with their lists precomputed (plain and per placement), then the
    cached GETs against `GET /healthz` on the same server."""
    from service.api.app import create_app
    from service.customers.redis_client import get_store
    from service.customers.refresh import CachePolicy, locales_for, refresh_chunk

    app = create_app({"TESTING": True, "REDIS_URL": redis_url, "RELOAD_INTERVAL": 0})
    store = get_store(app)
    recommender = app.extensions["dosewise"]
    skus = [p.sku for p in recommender.snapshot.catalog.products]
    profiles = [b["profile"] for b in request_bodies(200, skus, seed=5)]
    ids = [f"bench-{i}" for i in range(len(profiles))]
    for customer_id, profile in zip(ids, profiles, strict=True):
        profile.pop("current_supplements", None)
        store.put_profile(customer_id, profile)
    refresh_chunk(recommender, store, ids, CachePolicy(), force=True)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sources = {}
    for query in ("", "?placement=home", "?placement=account"):
        sep = "&" if query else "?"
        first = f"/v1/customers/{ids[0]}/recommendations{query}{sep}"
        conn.request("GET", first + f"locale={locales_for(profiles[0])[0]}")
        sources[query or "plain"] = json.loads(conn.getresponse().read()).get("source")
    conn.close()
    # each in the locale its list is precomputed in (the shop's language for the country)
    locales = [locales_for(p)[0] for p in profiles]
    loads: dict[str, list[tuple[str, str, bytes | None]]] = {"healthz": [("GET", "/healthz", None)]}
    for query in ("", "?placement=home", "?placement=account"):
        sep = "&" if query else "?"
        loads[query or "plain"] = [
            ("GET", f"/v1/customers/{i}/recommendations{query}{sep}locale={loc}", None)
            for i, loc in zip(ids, locales, strict=True)
        ]
        http_load(port, loads[query or "plain"], connections, 0.5)  # warm-up
    out = interleaved(
        port, loads, connections, seconds, 3, "healthz", "requests_per_s", "throughput_vs_healthz"
    )
    # "cache": the lists were precomputed for the server's data
    return {**out, "sources": sources}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter loads")
    parser.add_argument("--only", choices=["inprocess", "http"])
    args = parser.parse_args()
    report: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "target": f"alternatives and cart p50 <= {TARGET}x the plain list's",
    }
    if args.only in (None, "inprocess"):
        report["inprocess"] = bench_inprocess(100 if args.quick else 400)
        _print("in process", report["inprocess"])
    if args.only in (None, "http"):
        report["http"] = bench_http(
            1.0 if args.quick else 3.0, connections=4, rounds=3 if args.quick else 5
        )
        _print(
            "over HTTP (gunicorn, 2 workers, wrk with 4 connections; median of the interleaved "
            "rounds)",
            report["http"],
        )
    out = REPO_ROOT / "bench" / "results" / "placements.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written: {Path(out).relative_to(REPO_ROOT)}")


def _print(title: str, rows: dict[str, Any]) -> None:
    print(f"\n{title}")
    for name, row in rows.items():
        if name == "cached GET":
            print(f"  cached GET sources: {row['sources']}")
            for query, sub in row.items():
                if query == "sources":
                    continue
                extra = ""
                if query != "healthz":
                    low, high = sub["throughput_vs_healthz_spread"]
                    extra = f"  {sub['throughput_vs_healthz']}x healthz ({low}-{high})"
                print(f"  cached GET {query:<20} {sub['requests_per_s']:>8} req/s{extra}")
            continue
        ratio = f"  {row['p50_vs_plain']}x plain" if "p50_vs_plain" in row else ""
        if "p50_vs_plain_spread" in row:
            low, high = row["p50_vs_plain_spread"]
            ratio += f" ({low}-{high})"
        print(f"  {name:<24} p50 {row['p50_ms']:>8.3f} ms  p99 {row['p99_ms']:>8.3f} ms{ratio}")


if __name__ == "__main__":
    main()
