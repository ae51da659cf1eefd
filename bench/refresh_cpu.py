"""The core's CPU per distinct profile of a refresh (issue 16, session 28): `compute_payload`
(the plain list and the precomputed placements in the shop's locale, the impression and the
gzip of the parts, as `refresh_chunk` computes each distinct profile of a chunk) on distinct
profiles of the stored customers' sample (`sample_profiles(..., adults_only=True)`, as
`bench/precompute.py` stores them), in process, no Redis, against another checkout's code in
alternated rounds, a fresh process per round and checkout.

    python -m bench.refresh_cpu [--root /path/to/main] [--rounds 3] [--profiles 1000]

Prints the CPU per distinct profile (`time.process_time`) of each checkout per round, the
median (min-max) per checkout and, per round, this checkout's over the other's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

TODAY = dt.date(2026, 11, 28)
HERE = Path(__file__).resolve().parents[1]


def child(count: int) -> dict[str, Any]:
    import gc
    import time

    from service.core.recommender import Recommender
    from service.core.samples import sample_profiles
    from service.core.snapshot import DataPaths
    from service.customers.refresh import CachePolicy, compute_payload
    from service.customers.store import profile_digest
    from service.learning.serving import LEARNING
    from service.settings import REPO_ROOT

    paths = DataPaths(REPO_ROOT / "catalog" / "products.yaml", REPO_ROOT / "rules")
    recommender = Recommender(
        paths, cache_size=0, reload_interval=0, clock=lambda: TODAY, learning=LEARNING
    )
    snapshot = recommender.snapshot
    skus = [p.sku for p in snapshot.catalog.products]
    seen: dict[str, dict] = {}
    for profile in sample_profiles(30_000, skus, adults_only=True):
        seen.setdefault(profile_digest(profile), profile)
    distinct = list(seen.values())
    warm, timed = distinct[:300], distinct[300 : 300 + count]
    limit = CachePolicy().limit
    for profile in warm:  # first use, the per-catalog tables, as in a running worker
        compute_payload(snapshot, profile, TODAY, limit, skus, LEARNING)
    gc.collect()
    gc.freeze()
    started = time.process_time()
    for profile in timed:
        compute_payload(snapshot, profile, TODAY, limit, skus, LEARNING)
    cpu = time.process_time() - started
    return {"us_per_profile": round(cpu / len(timed) * 1e6, 1), "root": _code_root()}


def _code_root() -> str:
    import service

    return str(Path(service.__file__).resolve().parents[1])


def _run(root: Path, count: int) -> dict[str, Any]:
    from bench.alternate import run_child

    return run_child(str(Path(__file__).resolve()), root, f"child({count})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, help="the other checkout (the baseline)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profiles", type=int, default=1000)
    args = parser.parse_args()
    if args.root is None:
        print(json.dumps(child(args.profiles)))
        return
    from bench.alternate import alternate

    def measure(root: Path) -> float:
        return float(_run(root, args.profiles)["us_per_profile"])

    alternate(args.root, HERE, args.rounds, measure, "distinct profile")


if __name__ == "__main__":
    main()
