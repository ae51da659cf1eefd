"""Holdout evaluation: the model against popularity and the rules-only score, report and plot.

Scorers, each ranking the shown items of every holdout impression (metrics.py):

- `model`: the model's score (`predict`) on the logged features;
- `blend`: what serves with the model on: the model's learned blend (blend.py) of its score,
  the transparent score and rule weights; the targets are for this one;
- `rules_only`: the transparent score plus rule weights, as logged (what served before);
- `popularity`: the SKU's mean label over the training impressions that showed it, smoothed
  towards the overall mean with the weight of `POPULARITY_SMOOTHING` impressions (a SKU never
  shown in training gets the overall mean).

The holdout is the latest share of impressions by time (TrainConfig.holdout_fraction); the
logged order is used by no scorer. `metrics` are corrected for position bias with the seen rate
per position of the holdout's view events (metrics.py); without view events the propensity is 1
and they equal `metrics_unweighted`. The unweighted ones are reported too: they favour the
rules-only score, whose top items customers saw most (it ranked the logged lists). recall@10
only means something for lists longer than 10 (the simulator shows 20).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .blend import BlendWeights
from .config import TrainConfig
from .dataset import Dataset, load_dataset
from .features import RULE_WEIGHT, TRANSPARENT_SCORE
from .metrics import METRICS, position_propensity, ranking_metrics
from .model import Ranker, load_model
from .plot import bar_chart_png

SCORERS = ("model", "blend", "rules_only", "popularity")
SCORER_LABELS = {
    "model": "model alone",
    "blend": "served (learned blend)",
    "rules_only": "rules only",
    "popularity": "popularity",
}
POPULARITY_SMOOTHING = 20.0
TARGETS = {"popularity": 1.2, "rules_only": 1.1}  # NDCG@10 of what serves, at least x baseline
SWEEP = (0.0, 0.25, 0.5, 0.7, 0.85, 1.0)  # model shares, at the learned rule strength
REPORT_FILE = "report.json"
PLOT_FILE = "metrics.png"


def popularity(train: Dataset) -> dict[str, float]:
    """SKU -> smoothed mean label over the training rows that showed it."""
    if train.rows == 0:
        return {}
    size = len(train.skus)
    shows = np.bincount(train.sku, minlength=size)
    total = np.bincount(train.sku, weights=train.labels, minlength=size)
    mean = float(train.labels.mean())
    rate = (total + POPULARITY_SMOOTHING * mean) / (shows + POPULARITY_SMOOTHING)
    return {sku: float(rate[i]) for i, sku in enumerate(train.skus) if shows[i] > 0}


def holdout_scores(
    model: Ranker | None,
    holdout: Dataset,
    popularity_by_sku: Mapping[str, float],
    weights: BlendWeights | None = None,
) -> dict[str, np.ndarray]:
    """Score every holdout row by each scorer (model and blend only with a model)."""
    features = holdout.features.astype(float)
    transparent = features[:, TRANSPARENT_SCORE]
    rules = features[:, RULE_WEIGHT]
    default = float(np.mean(list(popularity_by_sku.values()))) if popularity_by_sku else 0.0
    by_index = np.array([popularity_by_sku.get(s, default) for s in holdout.skus])
    scores = {
        "rules_only": transparent + rules,
        "popularity": by_index[holdout.sku] if holdout.rows else np.zeros(0),
    }
    if model is not None:
        scores["model"] = model.predict(features)
        scores["blend"] = (weights or model.blend).raw(scores["model"], transparent, rules)
    return scores


def row_propensity(holdout: Dataset) -> np.ndarray | None:
    """Per holdout row, the seen rate of its logged position; None without view events."""
    if not holdout.has_views:
        return None
    return position_propensity(holdout.position, holdout.seen)[holdout.position]


def evaluate_on_holdout(
    model: Ranker,
    holdout: Dataset,
    popularity_by_sku: Mapping[str, float],
) -> dict[str, Any]:
    """The report: metrics per scorer, ratios to the baselines, the blend weight sweep."""
    weights = model.blend
    scores = holdout_scores(model, holdout, popularity_by_sku)
    propensity = row_propensity(holdout)

    def measure(score: np.ndarray, weighted: bool = True) -> dict[str, float]:
        chance = propensity if weighted else None
        return ranking_metrics(holdout.query, holdout.labels, score, chance)

    metrics = {name: measure(scores[name]) for name in SCORERS}
    ratios = {
        f"ndcg@10 {name} / {baseline}": _ratio(
            metrics[name]["ndcg@10"], metrics[baseline]["ndcg@10"]
        )
        for name in ("model", "blend")
        for baseline in TARGETS
    }
    transparent = holdout.features[:, TRANSPARENT_SCORE].astype(float)
    rules = holdout.features[:, RULE_WEIGHT].astype(float)
    sweep = {}
    for share in SWEEP:
        shares = BlendWeights(share, 1.0 - share, weights.rules)
        sweep[str(share)] = measure(shares.raw(scores["model"], transparent, rules))["ndcg@10"]
    positive = np.bincount(holdout.query, weights=holdout.labels > 0, minlength=holdout.impressions)
    return {
        "model_version": model.version,
        "holdout": {
            **holdout.window(),
            "impressions": holdout.impressions,
            "impressions_with_positive": int((positive > 0).sum()),
            "rows": holdout.rows,
            "position_bias_correction": propensity is not None,
        },
        "metrics": metrics,
        "metrics_unweighted": {name: measure(scores[name], False) for name in SCORERS},
        "ratios": ratios,
        "targets": {
            key: {"at_least": at_least, "met": ratios[key] >= at_least}
            for key, at_least in ((f"ndcg@10 blend / {b}", t) for b, t in TARGETS.items())
        },
        "blend_weights": weights.to_dict(),
        "blend_weight_sweep_ndcg@10": sweep,
    }


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("inf")


def write_report(report: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """report.json and metrics.png (bars per metric and scorer) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / REPORT_FILE
    json_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    values = {
        SCORER_LABELS[name]: {metric: report["metrics"][name][metric] for metric in METRICS}
        for name in SCORERS
        if name in report["metrics"]
    }
    corrected = report["holdout"].get("position_bias_correction")
    blend = report.get("blend_weights") or {}
    learner = f"{report['learner']}, " if report.get("learner") else ""
    title = (
        f"holdout {report['model_version']}\n{learner}blend: model {blend.get('model')}, "
        f"transparent {blend.get('transparent')}, rules {blend.get('rules')}"
        + (", position bias corrected" if corrected else "")
    )
    png_path = bar_chart_png(directory / PLOT_FILE, title, values)
    return json_path, png_path


def evaluate(
    model_dir: Path,
    impressions_path: Path,
    events_path: Path,
    out_dir: Path | None = None,
    config: TrainConfig | None = None,
) -> dict[str, Any]:
    """`dosewise model evaluate`: split the logs by time, evaluate, write the report and plot.

    `config` gives the event weights, attribution window and holdout share (use the training
    run's). The report goes to `out_dir`, by default the model's directory.
    """
    config = config or TrainConfig()
    model = load_model(model_dir)
    data = load_dataset(
        impressions_path, events_path, config.event_weights, config.attribution_hours
    )
    train_part, holdout, split_at = data.split(config.holdout_fraction)
    report = evaluate_on_holdout(model, holdout, popularity(train_part))
    report["holdout"]["split_at"] = _iso(split_at)
    write_report(report, Path(out_dir or model_dir))
    return report


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()
