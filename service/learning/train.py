"""`dosewise model train`: logs in, a versioned artefact out (model, metadata, report, plot).

Steps: join events to impressions (dataset.py), split by time (the latest `holdout_fraction`
of impressions is the holdout, the latest `validation_fraction` of the rest the validation
split), fit each learner of `TrainConfig.learners` on the rest (the logistic regression below,
and LightGBM lambdarank, boosted.py, stopped early on the validation split), learn each one's
blend with the transparent score and rule weights on the validation split (blend.py), evaluate
what would serve (model and blend) on the holdout against popularity and the rules-only score
(evaluate.py), keep the learner whose served blend has the higher NDCG@10 there, write its
artefact. The report holds both learners' numbers. Promotion is a separate step
(store.promote_if_better).

Training rows: the shown items the customer saw (a view or more was attributed to them) when
the shop sends view events, else every shown item; an item nobody looked at says nothing about
taste. Logistic regression: target label > 0 (a click or better); sample weight: the label
(click 1, add_to_cart 2, purchase 4 by default) for positives, 1 for the rest. Design: the
features (without the logged transparent_score), the profile x product crosses (model.py) and
position buckets 2, 3, 4, 5, 6-10, 11+ (position 1 is the reference, so the intercept is the
top slot: serving scores every product as if it were shown first, which removes the position
bias from the scores).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from .blend import BlendSearch, learn_blend
from .boosted import BoostedRankingModel, fit_boosted
from .config import TrainConfig
from .dataset import Dataset, DatasetError, load_dataset
from .evaluate import evaluate_on_holdout, popularity, with_positives, write_report
from .features import (
    CROSSED_PRODUCT,
    CROSSED_PRODUCT_NAMES,
    FEATURE_NAMES,
    FEATURES_VERSION,
    PROFILE,
    PROFILE_NAMES,
    RULE_WEIGHT,
    TRANSPARENT_SCORE,
)
from .logs import data_source
from .model import MAIN_COLUMNS, LinearWeights, Ranker, RankingModel, load_model

POSITION_BUCKETS = (2, 3, 4, 5, 6, 11)  # lower bounds; below the first is the reference
CHUNK_ROWS = 250_000


@dataclass(frozen=True)
class TrainResult:
    model_dir: Path
    model: Ranker
    report: dict[str, Any]
    holdout: Dataset  # for promote_if_better
    seconds: float
    candidates: dict[str, Ranker] = field(default_factory=dict)  # every learner fitted, by name


def train(
    impressions_path: Path,
    events_path: Path,
    out_dir: Path,
    config: TrainConfig | None = None,
    *,
    version: str | None = None,
    catalog_version: str | None = None,
) -> TrainResult:
    """Fit, evaluate and write a candidate artefact into `out_dir` (created)."""
    started = time.perf_counter()
    config = config or TrainConfig()
    data = load_dataset(
        impressions_path, events_path, config.event_weights, config.attribution_hours
    )
    train_part, holdout, split_at = data.split(config.holdout_fraction)
    fit_part, validation, validation_at = train_part.split(config.validation_fraction)
    _check_positives(fit_part, config)
    created = dt.datetime.now(dt.UTC)
    base: dict[str, Any] = {
        "created_at": created.isoformat(),
        "feature_names": list(FEATURE_NAMES),
        "features_version": FEATURES_VERSION,
        "profile_columns": list(PROFILE_NAMES),
        "crossed_product_columns": list(CROSSED_PRODUCT_NAMES),
        "catalog_version": catalog_version,
        "data": {
            "impressions": str(impressions_path),
            "events": str(events_path),
            "window": data.window(),
            "validation_from": _iso(validation_at),
            "split_at": _iso(split_at),
            "fit_impressions": fit_part.impressions,
            "validation_impressions": validation.impressions,
            "train_impressions": train_part.impressions,
            "holdout_impressions": holdout.impressions,
            "skipped_impressions": data.skipped_impressions,
            "simulated_impressions": data.simulated_impressions,
            "source": data_source(data.impressions, data.simulated_impressions),
        },
    }
    by_sku = popularity(train_part)
    tried: dict[str, tuple[Ranker, dict[str, Any]]] = {}
    failed: dict[str, str] = {}
    for learner in config.learners:
        try:
            model, _ = _fit_learner(learner, fit_part, validation, config, base, created, version)
        except DatasetError as exc:  # one learner that cannot fit leaves the other
            failed[learner] = exc.message
            continue
        report = evaluate_on_holdout(model, holdout, by_sku)
        tried[learner] = (model, report)
    if not tried:
        raise DatasetError(
            "no learner could fit: " + "; ".join(f"{k}: {v}" for k, v in failed.items())
        )
    chosen = max(tried, key=lambda name: _served_ndcg(tried[name][1]))
    model, report = tried[chosen]
    report["holdout"]["split_at"] = base["data"]["split_at"]
    report["learner"] = chosen
    report["learners"] = {name: _learner_summary(r) for name, (_, r) in tried.items()}
    report["learners"].update({name: {"error": reason} for name, reason in failed.items()})
    report["blend"] = model.metadata["training"]["blend_search"]
    model.metadata["metrics"] = report["metrics"]
    model.metadata["ratios"] = report["ratios"]
    model.metadata["learners"] = report["learners"]
    out_dir = Path(out_dir)
    model.save(out_dir)
    write_report(report, out_dir)
    seconds = time.perf_counter() - started
    candidates = {name: fitted for name, (fitted, _) in tried.items()}
    return TrainResult(out_dir, load_model(out_dir), report, holdout, seconds, candidates)


def _fit_learner(
    learner: str,
    fit_part: Dataset,
    validation: Dataset,
    config: TrainConfig,
    base: dict[str, Any],
    created: dt.datetime,
    version: str | None,
) -> tuple[Ranker, dict[str, Any]]:
    """One learner fitted on `fit_part`, its blend learned on `validation`."""
    model: Ranker
    if learner == "linear":
        weights, info = fit(fit_part, config)
        digest = hashlib.sha256(b"".join(a.tobytes() for a in weights.arrays().values()))
        info = {"learner": "linear", **info, "scikit_learn": sklearn.__version__}
        model = RankingModel(weights, {**base, "version": "-", "training": info})
    else:
        seen = _training_rows(fit_part)
        valid_seen = _training_rows(validation)
        booster, info = fit_boosted(
            fit_part.features,
            fit_part.labels,
            fit_part.query,
            seen,
            (validation.features, validation.labels, validation.query, valid_seen),
            config.boosting,
        )
        digest = hashlib.sha256(booster.model_to_string().encode())
        sample = fit_part.features[seen][:: max(1, int(seen.sum()) // 50_000)]
        logit = np.asarray(booster.predict(sample, raw_score=True))
        squash = {"center": float(logit.mean()), "scale": float(logit.std()) or 1.0}
        model = BoostedRankingModel(
            booster, {**base, "version": "-", "squash": squash, "training": info}
        )
    search = _learn_blend(model, validation, config)
    version = version or f"ltr-{created:%Y%m%dT%H%M%S}-{digest.hexdigest()[:8]}"
    info = {**info, "config": config.to_dict(), "blend_search": search.summary()}
    metadata = {**base, **model.metadata, "version": version, "training": info}
    metadata["blend"] = search.weights.to_dict()
    if learner == "linear":
        assert isinstance(model, RankingModel)
        return RankingModel(model.weights, metadata), info
    assert isinstance(model, BoostedRankingModel)
    return BoostedRankingModel(model.booster, metadata), info


def _learn_blend(model: Ranker, full_validation: Dataset, config: TrainConfig) -> BlendSearch:
    validation, propensity = with_positives(full_validation)
    features = validation.features.astype(float)
    return learn_blend(
        validation.query,
        validation.labels,
        propensity,
        model.predict(features),
        features[:, TRANSPARENT_SCORE],
        features[:, RULE_WEIGHT],
        tolerance=config.blend_tolerance,
        rule_floor=config.rule_floor,
    )


def _served_ndcg(report: dict[str, Any]) -> float:
    value = report["metrics"]["blend"]["ndcg@10"]
    return float(value) if np.isfinite(value) else -1.0


def _learner_summary(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": report["model_version"],
        "ndcg@10": {k: v["ndcg@10"] for k, v in report["metrics"].items()},
        "ratios": report["ratios"],
        "blend": report["blend_weights"],
    }


def _training_rows(data: Dataset) -> np.ndarray:
    """The rows that say something about taste: seen ones, or all without view events."""
    return data.seen if data.has_views else np.ones(data.rows, dtype=bool)


def _check_positives(data: Dataset, config: TrainConfig) -> None:
    target = data.labels[_training_rows(data)] > 0
    positives = int(target.sum())
    if positives < config.min_positives or positives == target.size:
        raise DatasetError(
            f"{positives} positive of {target.size} training rows: need at least "
            f"{config.min_positives} positives and some negatives"
        )


def fit(data: Dataset, config: TrainConfig) -> tuple[LinearWeights, dict[str, Any]]:
    """Logistic regression on the design matrix; weights in the model's layout."""
    rows = _training_rows(data)
    target = data.labels[rows] > 0
    positives = int(target.sum())
    _check_positives(data, config)
    features = data.features[rows]
    design = design_matrix(features, data.position[rows])
    sample_weight = np.where(target, data.labels[rows], 1.0)
    started = time.perf_counter()
    estimator = LogisticRegression(C=config.regularisation, max_iter=config.max_iter, tol=1e-4)
    estimator.fit(design, target, sample_weight=sample_weight)
    seconds = time.perf_counter() - started
    coef = estimator.coef_[0]
    main = np.zeros(len(FEATURE_NAMES))
    main[MAIN_COLUMNS] = coef[: MAIN_COLUMNS.size]
    n_cross = len(PROFILE_NAMES) * len(CROSSED_PRODUCT_NAMES)
    cross = coef[MAIN_COLUMNS.size : MAIN_COLUMNS.size + n_cross].reshape(
        len(PROFILE_NAMES), len(CROSSED_PRODUCT_NAMES)
    )
    position = coef[MAIN_COLUMNS.size + n_cross :]
    provisional = LinearWeights(float(estimator.intercept_[0]), main, cross, 0.0, 1.0)
    logit = RankingModel(provisional, {"version": "-", "feature_names": FEATURE_NAMES}).logit(
        features.astype(float)
    )
    scale = float(logit.std()) or 1.0
    weights = LinearWeights(provisional.intercept, main, cross, float(logit.mean()), scale)
    info = {
        "rows": int(target.size),
        "positives": positives,
        "rows_used": "seen" if data.has_views else "shown",
        "design_columns": int(design.shape[1]),
        "design_nonzeros": int(design.nnz),
        "iterations": int(np.max(estimator.n_iter_)),
        "fit_seconds": round(seconds, 3),
        "position_coefficients": {
            str(b): round(float(c), 4) for b, c in zip(POSITION_BUCKETS, position, strict=True)
        },
    }
    return weights, info


def design_matrix(features: np.ndarray, position: np.ndarray) -> sparse.csr_matrix:
    """[main effects | profile x product crosses | position buckets], sparse, in chunks."""
    parts = [
        _design_chunk(features[i : i + CHUNK_ROWS], position[i : i + CHUNK_ROWS])
        for i in range(0, max(len(features), 1), CHUNK_ROWS)
    ]
    return sparse.vstack(parts, format="csr")


def _design_chunk(features: np.ndarray, position: np.ndarray) -> sparse.csr_matrix:
    features = features.astype(float)
    main = sparse.csr_matrix(features[:, MAIN_COLUMNS])
    cross = row_cross(features[:, PROFILE], features[:, CROSSED_PRODUCT])
    bucket = np.searchsorted(POSITION_BUCKETS, position, side="right")  # 0 = position 1
    has = bucket > 0
    positions = sparse.csr_matrix(
        (np.ones(int(has.sum())), (np.flatnonzero(has), bucket[has] - 1)),
        shape=(len(position), len(POSITION_BUCKETS)),
    )
    return sparse.hstack([main, cross, positions], format="csr")


def row_cross(left: np.ndarray, right: np.ndarray) -> sparse.csr_matrix:
    """Row-wise outer products: column p * right_columns + q holds left[:, p] * right[:, q]."""
    rows, width = right.shape
    left_row, left_col = np.nonzero(left)  # row-major: grouped by row
    right_row, right_col = np.nonzero(right)
    right_count = np.bincount(right_row, minlength=rows)
    right_start = np.concatenate(([0], np.cumsum(right_count)[:-1]))
    repeat = right_count[left_row]
    left_entry = np.repeat(np.arange(left_row.size), repeat)
    offset = np.arange(int(repeat.sum())) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    right_entry = right_start[left_row[left_entry]] + offset
    row = left_row[left_entry]
    columns = left_col[left_entry] * width + right_col[right_entry]
    values = left[row, left_col[left_entry]] * right[row, right_col[right_entry]]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(row, minlength=rows))))
    return sparse.csr_matrix((values, columns, indptr), shape=(rows, left.shape[1] * width))


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()
