"""Learning to rank: latency the model adds per request, and training time on 1M events.

    python -m bench.learning [--events 1000000] [--rounds 2000] [--keep DIR]

1. Scoring latency, bundled catalog, 500 seeded request bodies (bench/profiles.py), answer cache
   off. For each request, in the same run and alternating: the ranking without the model
   (evaluate + candidate mask + ranking) and with it (the same plus product_features, predict
   and the blend). Reported: p50/p99 of both, and of the model's own part (features + predict +
   blend) timed alone, which is what the model adds. The model is trained first on a small
   simulated shop.
2. Training time: a simulated log of at least `--events` events (the pipeline runs once per
   visit; every synthetic customer stands for 8 with their own tastes and clicks:
   simulate(replicate=8)), then `train()` end to end: read and join both JSON lines files,
   split, fit, evaluate, write the artefact. Generation time is reported apart.

Results also go to bench/results/learning.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path

from bench.profiles import request_bodies
from service.core.ranking import _rank, evaluate
from service.core.requests import RecommendationRequest
from service.core.snapshot import DataPaths, Snapshot, load_snapshot
from service.learning.features import product_features
from service.learning.model import RankingModel
from service.learning.serving import blended_raw
from service.learning.simulator import simulate
from service.learning.train import train
from service.settings import REPO_ROOT

from .run import TODAY, percentiles

CATALOG = REPO_ROOT / "catalog" / "products.yaml"
RULES = REPO_ROOT / "rules"
EVENTS_PER_CUSTOMER = 26.0  # measured: ~3.2 visits x ~8 events per shown list of 20
REPLICATE = 8


def small_model(snapshot: Snapshot, work: Path) -> RankingModel:
    log = simulate(snapshot, work / "small", customers=2000, days=60, seed=5)
    return train(log.impressions_path, log.events_path, work / "small-model").model


def bench_scoring(snapshot: Snapshot, model: RankingModel, rounds: int) -> dict:
    bodies = request_bodies(500, [p.sku for p in snapshot.catalog.products])
    requests = [RecommendationRequest.from_dict(b) for b in bodies]
    limit = 5

    def without_model(request: RecommendationRequest) -> None:
        ev = evaluate(snapshot, request.profile, request.lines(), TODAY, request.jurisdiction)
        candidates = ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required
        _rank(ev, candidates, limit)

    def with_model(request: RecommendationRequest) -> float:
        ev = evaluate(snapshot, request.profile, request.lines(), TODAY, request.jurisdiction)
        candidates = ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required
        started = time.perf_counter()
        raw, _ = blended_raw(model, product_features(ev))
        added = time.perf_counter() - started
        _rank(dataclasses.replace(ev, raw=raw), candidates, limit)
        return added

    for request in requests[:100]:  # warm-up
        without_model(request)
        with_model(request)
    plain, scored, added = [], [], []
    for i in range(rounds):
        request = requests[i % len(requests)]
        t0 = time.perf_counter()
        without_model(request)
        t1 = time.perf_counter()
        added.append(with_model(request))
        t2 = time.perf_counter()
        plain.append(t1 - t0)
        scored.append(t2 - t1)
    row = {
        "products": len(snapshot.catalog),
        "without_model": percentiles(plain),
        "with_model": percentiles(scored),
        "model_part_features_predict_blend": percentiles(added),
    }
    row["added_p50_ms"] = round(row["with_model"]["p50_ms"] - row["without_model"]["p50_ms"], 3)
    return row


def bench_training(snapshot: Snapshot, events: int, work: Path) -> dict:
    customers = math.ceil(events / EVENTS_PER_CUSTOMER / REPLICATE)
    started = time.perf_counter()
    log = simulate(
        snapshot, work / "big", customers=customers, days=90, seed=11, replicate=REPLICATE
    )
    generated = time.perf_counter() - started
    result = train(log.impressions_path, log.events_path, work / "big-model")
    info = result.model.metadata["training"]
    return {
        "events": sum(log.events.values()),
        "event_counts": log.events,
        "impressions": log.impressions,
        "impressions_mb": round(log.impressions_path.stat().st_size / 1e6, 1),
        "events_mb": round(log.events_path.stat().st_size / 1e6, 1),
        "generate_s": round(generated, 1),
        "train_total_s": round(result.seconds, 1),
        "fit_s": info["fit_seconds"],
        "training_rows": info["rows"],
        "lbfgs_iterations": info["iterations"],
        "holdout_ndcg@10": {k: round(v["ndcg@10"], 4) for k, v in result.report["metrics"].items()},
        "ratios": {k: round(v, 3) for k, v in result.report["ratios"].items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--keep", help="keep the generated logs and models in this folder")
    args = parser.parse_args()
    snapshot = load_snapshot(DataPaths(CATALOG, RULES))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        model = small_model(snapshot, work)
        scoring = bench_scoring(snapshot, model, args.rounds)
        print(
            f"scoring, bundled catalog ({scoring['products']} products): "
            f"p50 {scoring['without_model']['p50_ms']:.3f} ms without the model, "
            f"{scoring['with_model']['p50_ms']:.3f} ms with it "
            f"(+{scoring['added_p50_ms']:.3f} ms); features+predict+blend alone "
            f"p50 {scoring['model_part_features_predict_blend']['p50_ms']:.3f} ms, "
            f"p99 {scoring['model_part_features_predict_blend']['p99_ms']:.3f} ms",
            flush=True,
        )
        training = bench_training(snapshot, args.events, work)
        print(
            f"training on {training['events']:,} events ({training['impressions']:,} lists, "
            f"{training['training_rows']:,} seen rows): {training['train_total_s']:.1f} s end "
            f"to end (fit {training['fit_s']:.1f} s); generating them took "
            f"{training['generate_s']:.1f} s; holdout NDCG@10 {training['holdout_ndcg@10']}",
            flush=True,
        )
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "scoring": scoring,
        "training": training,
    }
    out = REPO_ROOT / "bench" / "results" / "learning.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {out.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
