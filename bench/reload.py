"""Merchandiser timings: lint of the shipped rules, reload of a 1,000-rule set, and reloads
under load through gunicorn with no failed request.

    python -m bench.reload [--rules 1000] [--seconds 10]

Baselines in the same run: lint and reload are shown next to loading the shipped data once
(the same work the service does at start); the load test counts every non-200 answer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

from bench.server import start_gunicorn, stop_gunicorn
from service.core.lint import lint
from service.core.snapshot import DataPaths, load_snapshot
from service.settings import REPO_ROOT

CATEGORIES = ["vitamin_d", "vitamin_d_k2", "magnesium", "omega3", "calcium", "vitamin_b12"]


def many_rules(count: int, salt: int = 0) -> str:
    lines = ["source: generated for bench/reload.py", "rules:"]
    for i in range(count):
        age = 18 + (i * 7 + salt) % 70
        lines += [
            f"  - id: bench-rule-{i}",
            f"    description: generated rule {i}",
            f"    when: \"profile.age >= {age} && market == '{['NL', 'DE'][i % 2]}'\"",
            f"    categories: [{CATEGORIES[i % len(CATEGORIES)]}]",
            "    action: boost",
            f"    weight: {0.01 + (i % 10) / 1000:.3f}",
            f"    reason: {{nl: 'Regel {i}.', de: 'Regel {i}.', en: 'Rule {i}.'}}",
        ]
    return "\n".join(lines) + "\n"


def timed(function, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def load_under_reloads(data: Path, seconds: float, rules: int) -> dict:
    server, port = start_gunicorn(
        {
            "DOSEWISE_CATALOG_PATH": str(data / "catalog" / "products.yaml"),
            "DOSEWISE_RULES_DIR": str(data / "rules"),
            "DOSEWISE_RELOAD_INTERVAL": "0.5",
            "DOSEWISE_CACHE_SIZE": "0",
            "REDIS_URL": None,
        },
        2,
    )
    statuses: dict[int, int] = {}
    versions: set[str] = set()
    lock = threading.Lock()
    try:
        stop = time.monotonic() + seconds
        body = json.dumps({"profile": {"age": 50, "country": "NL"}}).encode()

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            while time.monotonic() < stop:
                conn.request(
                    "POST",
                    "/v1/recommendations",
                    body=body,
                    headers={"Content-Type": "application/json"},
                )
                response = conn.getresponse()
                payload = response.read()
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    if response.status == 200:
                        versions.add(json.loads(payload)["versions"]["rules"])

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        reloads = 0
        rule_file = data / "rules" / "merchandising" / "zz_bench.yaml"
        while time.monotonic() < stop - 1:
            reloads += 1
            rule_file.write_text(many_rules(rules, salt=reloads))
            time.sleep(1.0)
        for thread in threads:
            thread.join()
    finally:
        stop_gunicorn(server)
    total = sum(statuses.values())
    return {
        "requests": total,
        "statuses": statuses,
        "failed": total - statuses.get(200, 0),
        "rule_file_changes": reloads,
        "rules_versions_seen": len(versions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    shipped = DataPaths(REPO_ROOT / "catalog" / "products.yaml", REPO_ROOT / "rules")
    baseline = timed(lambda: load_snapshot(shipped))
    lint_s = timed(lambda: lint(shipped, today=dt.date(2026, 11, 28)))
    print(f"load of the shipped data (baseline): {baseline * 1000:.0f} ms", flush=True)
    print(
        f"lint of the shipped rules: {lint_s * 1000:.0f} ms ({lint_s / baseline:.1f}x the load)",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        (data / "catalog").mkdir()
        shutil.copy(shipped.catalog, data / "catalog" / "products.yaml")
        shutil.copytree(shipped.rules, data / "rules")
        (data / "rules" / "merchandising" / "zz_bench.yaml").write_text(many_rules(args.rules))
        paths = DataPaths(data / "catalog" / "products.yaml", data / "rules")
        snapshot = load_snapshot(paths)
        reload_s = timed(lambda: load_snapshot(paths), repeat=3)
        print(
            f"reload with {len(snapshot.rules.rules)} rules: {reload_s * 1000:.0f} ms "
            f"({reload_s / baseline:.1f}x the shipped load)",
            flush=True,
        )
        under_load = load_under_reloads(data, args.seconds, args.rules)
    print(
        f"reloads under load (gunicorn, 4 clients, {args.seconds:.0f} s): "
        f"{under_load['requests']} requests, {under_load['failed']} failed, statuses "
        f"{under_load['statuses']}, {under_load['rule_file_changes']} rule file changes, "
        f"{under_load['rules_versions_seen']} rules versions served",
        flush=True,
    )


if __name__ == "__main__":
    main()
