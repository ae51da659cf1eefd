"""HTTP figures that tell the truth: interleaved rounds under wrk, medians with their spread,
and the comparison of ratios with the committed bench/baseline.json.

Every HTTP figure is measured against the trivial `GET /healthz` of the same server: one round
is /healthz, then the measured request, each for the same seconds and connections; the figure
is the median over the rounds (at least 3) of the per-round ratios, with their min and max.
The machine's load changes between rounds (it is shared), never within the pair it compares.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from service.settings import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results"
BASELINE = REPO_ROOT / "bench" / "baseline.json"
WORSE = 0.15  # a ratio more than 15 % worse than the baseline's is flagged


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"stdout": subprocess.DEVNULL, "env": env, "check": False}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet)  # type: ignore[call-overload]
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], **quiet)  # type: ignore[call-overload]
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet)  # type: ignore[call-overload]
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is missing: apt-get install wrk")
    return found


# one request per line of a file: `GET path` or `POST path <json body>`
WRK_SCRIPT = """
math.randomseed(7)
local requests = {}
for line in io.lines("{lines}") do
  local method, path, body = line:match("^(%S+) (%S+) ?(.*)$")
  local headers = {}
  if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
  {extra}
  requests[#requests + 1] = wrk.format(method, path, headers, body)
end
request = function()
  return requests[math.random(1, #requests)]
end
"""


def run_wrk(
    url: str,
    seconds: float,
    connections: int,
    script: Path | None = None,
    cpu: Callable[[], float] | None = None,
) -> dict:
    """One wrk run; with `cpu` (CPU seconds the server's processes used so far) also the
    server's CPU per request, which depends far less on what else runs than req/s does."""
    command = [wrk_binary(), "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    before = cpu() if cpu is not None else 0.0
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    out = done.stdout
    used = cpu() - before if cpu is not None else None
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    percentiles = {}
    for name in ("50%", "99%"):
        match = re.search(rf"{name}\s+([\d.]+)(us|ms|s)", out)
        assert match, out
        value = float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]
        percentiles[name] = round(value, 3)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    result = {
        "requests_per_s": rate,
        "p50_ms": percentiles["50%"],
        "p99_ms": percentiles["99%"],
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": errors[1] if errors else None,
    }
    count = re.search(r"(\d+) requests in", out)
    if used is not None and count and int(count[1]):
        result["cpu_ms_per_request"] = round(1000 * used / int(count[1]), 3)
    return result


def request_script(lines: list[str], headers: dict[str, str] | None = None) -> Path:
    """A wrk script sending the given requests (`METHOD path [body]`) in random order."""
    workdir = Path(tempfile.mkdtemp(prefix="dosewise-wrk-"))
    (workdir / "requests.txt").write_text("\n".join(lines) + "\n")
    extra = "".join(f'headers["{k}"] = "{v}"\n  ' for k, v in (headers or {}).items())
    script = workdir / "requests.lua"
    script.write_text(
        WRK_SCRIPT.replace("{lines}", str(workdir / "requests.txt")).replace("{extra}", extra)
    )
    return script


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def interleaved(
    base: str,
    script: Path,
    rounds: int,
    seconds: float,
    connections: int = 32,
    trivial: Callable[[], dict] | None = None,
    cpu: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """`rounds` pairs of (/healthz, measured) on the server at `base`; per-round ratios and
    their medians. The first, shorter pair warms both up and is not counted. With `cpu` (the
    server's CPU seconds so far) also CPU per request and its ratio, /healthz's over the
    measured request's (on saturated cores, what the throughput ratio tends to)."""
    healthz = trivial or (lambda: run_wrk(f"{base}/healthz", seconds, connections, cpu=cpu))
    run_wrk(f"{base}/healthz", 1, connections)
    run_wrk(base, 1, connections, script)
    pairs = []
    for _ in range(rounds):
        pairs.append((healthz(), run_wrk(base, seconds, connections, script, cpu)))
    throughput = [m["requests_per_s"] / t["requests_per_s"] for t, m in pairs]
    p99 = [m["p99_ms"] / t["p99_ms"] for t, m in pairs]
    measured = [m for _, m in pairs]
    trivials = [t for t, _ in pairs]
    row: dict[str, Any] = {
        "rounds": rounds,
        "seconds": seconds,
        "connections": connections,
        "ratio_throughput": spread(throughput),
        "ratio_p99": spread(p99),
        "measured": {
            key: spread([m[key] for m in measured])
            for key in ("requests_per_s", "p50_ms", "p99_ms")
        },
        "healthz": {
            key: spread([t[key] for t in trivials])
            for key in ("requests_per_s", "p50_ms", "p99_ms")
        },
        "non_2xx": sum(m["non_2xx"] for m in measured),
        "load_average": os.getloadavg()[0],
    }
    if all("cpu_ms_per_request" in t and "cpu_ms_per_request" in m for t, m in pairs):
        row["cpu_ms_per_request"] = {
            "measured": spread([m["cpu_ms_per_request"] for m in measured]),
            "healthz": spread([t["cpu_ms_per_request"] for t in trivials]),
        }
        row["ratio_cpu"] = spread(
            [t["cpu_ms_per_request"] / m["cpu_ms_per_request"] for t, m in pairs]
        )
    return row


def describe(name: str, row: dict[str, Any]) -> str:
    m, t = row["measured"], row["healthz"]
    r, q = row["ratio_throughput"], row["ratio_p99"]
    return (
        f"{name}: {m['requests_per_s']['median']:.0f} req/s, p50 {m['p50_ms']['median']} ms, "
        f"p99 {m['p99_ms']['median']} ms; /healthz {t['requests_per_s']['median']:.0f} req/s, "
        f"p99 {t['p99_ms']['median']} ms; throughput {r['median']}x ({r['min']}-{r['max']}), "
        f"p99 {q['median']}x ({q['min']}-{q['max']}) over {row['rounds']} interleaved rounds; "
        f"non-2xx {row['non_2xx']}"
        + (
            f"; server CPU {row['cpu_ms_per_request']['measured']['median']} ms per request, "
            f"/healthz's / this {row['ratio_cpu']['median']}x "
            f"({row['ratio_cpu']['min']}-{row['ratio_cpu']['max']})"
            if "ratio_cpu" in row
            else ""
        )
    )


def write_result(name: str, report: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(report, indent=2))
    return path


# ratios the baseline keeps, by result file: (path in the report, higher is better)
RATIOS: dict[str, list[tuple[str, bool]]] = {
    "precompute": [
        ("cached_get.ratio_throughput.median", True),
        ("cached_get.ratio_p99.median", False),
        ("cached_get.gzip.ratio_throughput.median", True),
        ("refresh_ratio_to_naive", True),
    ],
    "latest": [
        ("http.0.ratio_throughput.median", True),
        ("http.0.answer_cache.ratio_throughput.median", True),
        ("inprocess.0.ratio_p50_to_baseline", False),
    ],
}


def _pick(report: Any, path: str) -> float | None:
    for part in path.split("."):
        if isinstance(report, list):
            report = report[int(part)] if int(part) < len(report) else None
        elif isinstance(report, dict):
            report = report.get(part)
        if report is None:
            return None
    return float(report)


def compare(names: list[str], baseline: Path = BASELINE, results: Path = RESULTS) -> list[str]:
    """Lines comparing this run's ratios with the baseline's; a line starting with WORSE for
    a ratio more than 15 % worse. Ratios only: absolute times depend on the machine."""
    if not baseline.exists():
        return [f"no {baseline.name}: nothing to compare with (python -m bench.rounds --save)"]
    base = json.loads(baseline.read_text())
    lines = []
    for name in names:
        path = results / f"{name}.json"
        if not path.exists():
            continue
        report = json.loads(path.read_text())
        for ratio, higher_better in RATIOS.get(name, []):
            now, then = _pick(report, ratio), _pick(base.get(name, {}), ratio)
            if now is None or then is None:
                continue
            change = (now - then) / then if then else 0.0
            worse = -change if higher_better else change
            flag = "WORSE" if worse > WORSE else "ok"
            lines.append(f"{flag:5} {name}.{ratio}: {now:.3f} (baseline {then:.3f}, {change:+.0%})")
    return lines


def save_baseline(names: list[str], baseline: Path = BASELINE, results: Path = RESULTS) -> None:
    """bench/baseline.json: the ratios of this run's results (commit it deliberately)."""
    kept: dict[str, Any] = {}
    for name in names:
        path = results / f"{name}.json"
        if path.exists():
            report = json.loads(path.read_text())
            kept[name] = _nested({r: _pick(report, r) for r, _ in RATIOS.get(name, [])})
    baseline.write_text(json.dumps(kept, indent=2) + "\n")


def _nested(flat: dict[str, float | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in flat.items():
        if value is None:
            continue
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Compare bench/results with bench/baseline.json")
    parser.add_argument("--save", action="store_true", help="write the baseline from the results")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio is WORSE")
    parser.add_argument("names", nargs="*", default=list(RATIOS))
    args = parser.parse_args()
    if args.save:
        save_baseline(args.names)
        print(f"written {BASELINE}")
        return
    lines = compare(args.names)
    print("\n".join(lines))
    if args.strict and any(line.startswith("WORSE") for line in lines):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
