"""What bench/load.py reports: per-phase summaries, the fault test's verdict, printing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

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


@dataclass(slots=True)
class Record:
    phase_start: str
    phase_end: str
    kind: str
    status: int  # 0: connection error
    latency: float
    detail: str = ""  # exception name, or the response source for customer GETs


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
