"""The core's CPU per plain list (issue 16, session 12): `Recommender.recommend` on the
validated bodies of `bench/profiles.py` (what `POST /v1/recommendations` computes, the answer
cache off), in process, against another checkout's code in alternated rounds, a fresh process
per round and checkout (each checkout's own code; `--python` per checkout or this one's).

    python -m bench.core_cpu [--root /path/to/main] [--rounds 5] [--bodies 1500] [--passes 1]
    python -m bench.core_cpu --profile [--bodies 500]   # cProfile of this checkout, top 40

Prints the CPU per request (`time.process_time`) of each checkout per round, the median
(min-max) per checkout and, per round, this checkout's over the other's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

TODAY = dt.date(2026, 11, 28)
HERE = Path(__file__).resolve().parents[1]


def _setup(count: int, seed: int = 11) -> tuple[Any, list[Any]]:
    from bench.profiles import request_bodies
    from service.contract.schemas import RecommendationRequestSchema
    from service.core.recommender import Recommender
    from service.core.snapshot import DataPaths
    from service.settings import REPO_ROOT

    paths = DataPaths(REPO_ROOT / "catalog" / "products.yaml", REPO_ROOT / "rules")
    recommender = Recommender(paths, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    skus = [p.sku for p in recommender.snapshot.catalog.products]
    schema = RecommendationRequestSchema()
    # as the POST calls it: the request validated from the body's bytes, keyed by them
    bodies = [json.dumps(b).encode() for b in request_bodies(count, skus, seed)]
    requests = [(schema.load(json.loads(b)), b) for b in bodies]
    return recommender, requests


def child(count: int, passes: int) -> dict[str, Any]:
    import gc
    import time

    recommender, requests = _setup(count)
    # warm-up on other bodies (first use, the per-catalog tables, as in a running worker); the
    # timed pass then meets bodies it has not seen, as a POST does whose answer is not cached
    # (the core's caches keyed by exact inputs, the safety masks say, only hit where the
    # profiles share them); passes > 1 repeat the same bodies
    warm = _setup(300, seed=5)[1]
    for request, body in warm:
        recommender.recommend(request, body_key=body)
    gc.collect()
    gc.freeze()
    started = time.process_time()
    for _ in range(passes):
        for request, body in requests:
            recommender.recommend(request, body_key=body)
    cpu = time.process_time() - started
    return {"us_per_request": round(cpu / (passes * len(requests)) * 1e6, 1), "root": _code_root()}


def calls(count: int) -> dict[str, Any]:
    """Python function calls per request under cProfile (a count no load changes)."""
    import cProfile
    import pstats

    recommender, requests = _setup(count)
    for request, body in _setup(300, seed=5)[1]:
        recommender.recommend(request, body_key=body)
    profiler = cProfile.Profile()
    profiler.enable()
    for request, body in requests:
        recommender.recommend(request, body_key=body)
    profiler.disable()
    total = pstats.Stats(profiler).total_calls
    return {"calls_per_request": round(total / len(requests)), "root": _code_root()}


def _code_root() -> str:
    import service

    return str(Path(service.__file__).resolve().parents[1])


def profile(count: int) -> None:
    import cProfile
    import pstats

    recommender, requests = _setup(count)
    for request, body in requests:
        recommender.recommend(request, body_key=body)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(2):
        for request, body in requests:
            recommender.recommend(request, body_key=body)
    profiler.disable()
    stats = pstats.Stats(profiler)
    print("calls per request:", round(stats.total_calls / (2 * len(requests))))
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(40)


def _run(root: Path, count: int, passes: int, what: str = "child") -> dict[str, Any]:
    """One fresh process on `root`'s code (this file's harness, the checkout's `service` and
    `bench.profiles`)."""
    from bench.alternate import run_child

    args = f"{count}" if what == "calls" else f"{count}, {passes}"
    return run_child(str(Path(__file__).resolve()), root, f"{what}({args})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, help="the other checkout (the baseline)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bodies", type=int, default=1500)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--calls", action="store_true", help="calls per request, each root")
    args = parser.parse_args()
    if args.profile:
        profile(args.bodies)
        return
    if args.calls:
        for root in ([args.root] if args.root else []) + [HERE]:
            print(json.dumps(_run(root, args.bodies, 1, "calls")))
        return
    if args.root is None:
        print(json.dumps(child(args.bodies, args.passes)))
        return
    from bench.alternate import alternate

    def measure(root: Path) -> float:
        return float(_run(root, args.bodies, args.passes)["us_per_request"])

    alternate(args.root, HERE, args.rounds, measure, "request")


if __name__ == "__main__":
    main()
