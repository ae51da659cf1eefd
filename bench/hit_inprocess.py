"""The hot requests' CPU in process: the WSGI app called directly (no server, no socket to the
client), against another checkout's code in alternated rounds (session 11; bench/README.md).

Over HTTP on 2 shared cores a throughput ratio moves by up to 2x from one round to the next on
the same code; what the code changes is the CPU a request costs, and that is measured best
without gunicorn and wrk on the same cores. Each round starts a fresh process per checkout
(its own `.venv` and code, so a dependency one has and the other has not, hiredis say, counts),
which makes the app as gunicorn does (access log off, files checked every 2 s, Prometheus in
multiprocess mode, `gc.freeze()` after loading) on the Redis `bench.load_http` filled (database
13 of REDIS_URL: run that once first), then per kind calls the app `--calls` times after a
warm-up and reports the process's CPU per request (`time.process_time`) and Redis's (`INFO cpu`,
its socket work included). Kinds:

- `healthz`: `GET /healthz` through Flask (the denominator of the HTTP ratios);
- `get`, `gzip`, `home`: the cached customer GET (plain, `Accept-Encoding: gzip`,
  `?placement=home`), impressions logged;
- `post`: `POST /v1/recommendations` computed (the answer cache off), 500 seeded bodies.

Prints per kind the median (min-max) of each checkout's CPU per request and, per round, the
other checkouts' over the first one's.

    python -m bench.hit_inprocess [--root /path/to/main] [--rounds 5] [--calls 3000]
        [--kinds healthz,get,gzip,home,post]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

KINDS = ("healthz", "get", "gzip", "home", "post")
BENCH_DB = 13
READY = "dosewise:bench:load_http"


def child(url: str, kinds: list[str], calls: int) -> dict[str, Any]:
    """Runs in the measured checkout's own interpreter: only what both checkouts have."""
    import gc
    import io
    import time

    import redis

    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="dw-bench-"))
    from service.api.app import create_app

    client = redis.Redis.from_url(url)
    stored = client.get(READY)
    if not stored:
        raise SystemExit("no stored sample: run `python -m bench.load_http` once first")
    paths = bytes(stored).decode().split("\n")
    config = {"REDIS_URL": url, "RELOAD_INTERVAL": 2.0, "ACCESS_LOG": False, "CACHE_SIZE": 0}
    app = create_app(config)
    gc.collect()
    gc.freeze()
    bodies: list[bytes] = []
    if "post" in kinds:
        from bench.profiles import request_bodies

        skus = [p.sku for p in app.extensions["dosewise"].snapshot.catalog.products]
        bodies = [json.dumps(b).encode() for b in request_bodies(500, skus)]

    def environ(path: str, headers: dict[str, str], body: bytes = b"") -> dict[str, Any]:
        route, _, query = path.partition("?")
        env = {
            "REQUEST_METHOD": "POST" if body else "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if body:
            env["CONTENT_TYPE"] = "application/json"
            env["CONTENT_LENGTH"] = str(len(body))
        for name, value in headers.items():
            env["HTTP_" + name.upper().replace("-", "_")] = value
        return env

    def requests(kind: str) -> list[tuple[dict[str, Any], bytes]]:
        if kind == "healthz":
            return [(environ("/healthz", {}), b"")]
        if kind == "post":
            return [(environ("/v1/recommendations", {}, b), b) for b in bodies]
        headers = {"Accept-Encoding": "gzip"} if kind == "gzip" else {}
        suffix = "&placement=home" if kind == "home" else ""
        return [(environ(p + suffix, headers), b"") for p in paths]

    statuses: dict[str, int] = {}

    def start_response(status: str, headers: list, exc_info: Any = None) -> None:
        statuses[status] = statuses.get(status, 0) + 1

    def call(env: dict[str, Any], body: bytes) -> None:
        env = dict(env)
        env["wsgi.input"] = io.BytesIO(body)
        answer = app(env, start_response)
        try:
            for _ in answer:
                pass
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()

    def redis_cpu() -> float:
        info = client.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    result: dict[str, Any] = {}
    for kind in kinds:
        batch = requests(kind)
        count = calls if kind != "post" else max(calls // 10, 50)
        for i in range(min(count, 300)):  # warm-up: caches, first connections
            call(*batch[i % len(batch)])
        statuses.clear()
        cpu, redis_before, wall = time.process_time(), redis_cpu(), time.perf_counter()
        for i in range(count):
            call(*batch[i % len(batch)])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        result[kind] = {
            "cpu_us": round(1e6 * cpu / count, 2),
            "redis_us": round(1e6 * (redis_cpu() - redis_before) / count, 2),
            "wall_us": round(1e6 * wall / count, 2),
            "statuses": dict(statuses),
        }
    return result


def run_child(root: Path, url: str, kinds: list[str], calls: int) -> dict[str, Any]:
    python = root / ".venv" / "bin" / "python"
    code = (
        "import json, runpy, sys; sys.path.insert(0, sys.argv[1]); "
        "child = runpy.run_path(sys.argv[2], run_name='bench_child')['child']; "
        "kinds = sys.argv[4].split(','); "
        "print('RESULT ' + json.dumps(child(sys.argv[3], kinds, int(sys.argv[5]))))"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    done = subprocess.run(
        [str(python if python.exists() else sys.executable), "-c", code, str(root), __file__]
        + [url, ",".join(kinds), str(calls)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{root}: {done.stderr[-3000:]}")


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3g} ({min(values):.3g}-{max(values):.3g})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", action="append", default=[], help="another checkout to pair")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args()
    from bench.server import db_url
    from service.settings import REPO_ROOT

    base = os.environ.get("REDIS_URL")
    if not base:
        raise SystemExit("REDIS_URL: the Redis `python -m bench.load_http` filled")
    url = db_url(base, BENCH_DB)
    kinds = [k for k in args.kinds.split(",") if k]
    roots = [REPO_ROOT, *(Path(r).resolve() for r in args.root)]
    rows: dict[str, list[dict[str, Any]]] = {str(r): [] for r in roots}
    for number in range(args.rounds):
        order = roots if number % 2 == 0 else roots[::-1]
        for root in order:
            got = run_child(root, url, kinds, args.calls)
            rows[str(root)].append(got)
            text = ", ".join(f"{k} {v['cpu_us']:.0f}+{v['redis_us']:.0f}" for k, v in got.items())
            print(f"round {number + 1} {root}: {text} µs (process + Redis)", flush=True)
    report: dict[str, Any] = {"calls": args.calls, "rounds": args.rounds, "servers": {}}
    first = str(roots[0])
    for root in roots:
        name = str(root)
        summary: dict[str, Any] = {}
        for kind in kinds:
            cpu = [r[kind]["cpu_us"] for r in rows[name]]
            red = [r[kind]["redis_us"] for r in rows[name]]
            both = [c + r for c, r in zip(cpu, red, strict=True)]
            line = f"{root.name} {kind}: process {_spread(cpu)} µs, Redis {_spread(red)} µs"
            summary[kind] = {"cpu_us": cpu, "redis_us": red}
            if kind != "healthz" and "healthz" in kinds:
                health = [r["healthz"]["cpu_us"] for r in rows[name]]
                ratio = [h / b for h, b in zip(health, both, strict=True)]
                line += f", /healthz's over its {_spread(ratio)}"
            if name != first:
                own = [
                    (r[kind]["cpu_us"] + r[kind]["redis_us"])
                    / (f[kind]["cpu_us"] + f[kind]["redis_us"])
                    for r, f in zip(rows[name], rows[first], strict=True)
                ]
                line += f"; per round over {roots[0].name}'s {_spread(own)}"
            print(line, flush=True)
        report["servers"][name] = summary
    from bench.rounds import write_result

    print(f"written to {write_result('hit_inprocess', report)}")


if __name__ == "__main__":
    main()
