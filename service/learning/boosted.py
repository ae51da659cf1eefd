"""The LightGBM ranker: gradient-boosted trees with the lambdarank objective (as in Metarank).

Trained side by side with the logistic model (train.py) and kept when the holdout says it
serves better. Trees find the interactions the linear model needs hand-made crosses for (and
the three-way ones it cannot express: "women 50+ and calcium with D3").

    logit = the booster's raw score (sum of the trees' leaf values)
    score = sigmoid((logit - center) / scale)     in (0, 1), like the linear model

`center` and `scale` (mean and standard deviation of the logit on the training rows) are kept in
the metadata. `contributions(row)` are LightGBM's `pred_contrib` values (TreeSHAP): one exact
value per feature plus "bias", summing to the logit, so `explain=true` stays exact.

Artefact: `model.txt` (LightGBM's own text format, loaded with `Booster(model_str=...)`: no
pickle, loading never runs code) and `metadata.json` (checksummed as for the linear model,
model.py). Training rows are the seen items of impressions that have both a positive and a
non-positive seen item (others carry no pairwise signal), grouped by impression; the gain of a
label is its event weight, as in the evaluation's NDCG.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .dataset import DatasetError
from .features import FEATURE_NAMES
from .model import CorruptModel, IncompatibleModel, blend_of, read_metadata, write_metadata

FORMAT = "dosewise-lightgbm-ranker/1"
MODEL_FILE = "model.txt"


@dataclass(frozen=True)
class BoostingConfig:
    """LightGBM settings (TrainConfig.boosting); defaults suit the bundled catalog's logs."""

    num_trees: int = 500  # at most; early stopping on the validation split picks fewer
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_data_in_leaf: int = 50
    feature_fraction: float = 0.8
    lambda_l2: float = 1.0
    early_stopping_rounds: int = 30
    # One thread: on a busy 2-core machine OpenMP's waiting threads made fitting 15x slower
    # (measured 90 s against 5.2 s on the default simulated log); 0 = all cores.
    threads: int = 1

    def params(self, label_gain: list[float]) -> dict[str, Any]:
        return {
            "objective": "lambdarank",
            "metric": "ndcg",
            "eval_at": [10],
            "label_gain": label_gain,
            "lambdarank_truncation_level": 20,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "lambda_l2": self.lambda_l2,
            "num_threads": self.threads,
            "deterministic": True,
            "force_row_wise": True,
            "seed": 7,
            "verbosity": -1,
        }


class BoostedRankingModel:
    """A loaded LightGBM ranker: score feature rows, explain one row. Immutable once built."""

    ready = True

    def __init__(self, booster: Any, metadata: dict[str, Any]) -> None:
        self.booster = booster
        self.metadata = metadata
        self.version: str = metadata["version"]
        self.feature_names: tuple[str, ...] = tuple(metadata["feature_names"])
        self.blend = blend_of(metadata)
        squash = metadata.get("squash") or {}
        self.center = float(squash.get("center", 0.0))
        self.scale = float(squash.get("scale", 1.0))

    def logit(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(features, raw_score=True, num_threads=1))

    def predict(self, features: np.ndarray) -> np.ndarray:
        z = (self.logit(features) - self.center) / self.scale
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))

    def contributions(self, row: np.ndarray) -> dict[str, float]:
        """Each non-zero TreeSHAP value of one row, with "bias"; they sum to `logit(row)`."""
        row = np.asarray(row, dtype=float).reshape(1, -1)
        values = np.asarray(self.booster.predict(row, pred_contrib=True, num_threads=1))[0]
        terms = {"bias": float(values[-1])}
        for j in np.flatnonzero(values[:-1]).tolist():
            terms[FEATURE_NAMES[j]] = float(values[j])
        return dict(sorted(terms.items(), key=lambda kv: -abs(kv[1])))

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        model_path = directory / MODEL_FILE
        model_path.write_text(self.booster.model_to_string(), encoding="utf-8")
        metadata = {
            **self.metadata,
            "format": FORMAT,
            "blend": self.blend.to_dict(),
            "squash": {"center": self.center, "scale": self.scale},
        }
        write_metadata(directory, metadata, model_path)
        return directory

    @classmethod
    def load(cls, directory: Path) -> BoostedRankingModel:
        """Load an artefact directory; raises CorruptModel or IncompatibleModel."""
        directory = Path(directory)
        try:
            import lightgbm
        except (ImportError, OSError) as exc:  # OSError: libgomp missing on the machine
            raise IncompatibleModel(f"{directory}: LightGBM cannot be loaded here: {exc}") from exc
        metadata = read_metadata(directory, MODEL_FILE, FORMAT)
        squash = metadata.get("squash")
        if not (
            isinstance(squash, dict)
            and all(isinstance(squash.get(k), int | float) for k in ("center", "scale"))
            and np.isfinite([squash["center"], squash["scale"]]).all()
            and squash["scale"] > 0
        ):
            raise CorruptModel(f"{directory}: metadata squash must hold a finite center and scale")
        try:
            text = (directory / MODEL_FILE).read_text(encoding="utf-8")
            booster = lightgbm.Booster(model_str=text)
        except Exception as exc:  # noqa: BLE001 - LightGBM raises its own error on a bad file
            raise CorruptModel(f"cannot read {directory / MODEL_FILE}: {exc}") from exc
        if booster.num_feature() != len(FEATURE_NAMES):
            raise CorruptModel(
                f"{directory}: the trees use {booster.num_feature()} features, "
                f"expected {len(FEATURE_NAMES)}"
            )
        return cls(booster, metadata)


def fit_boosted(
    features: np.ndarray,
    labels: np.ndarray,
    query: np.ndarray,
    seen: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
    config: BoostingConfig,
) -> tuple[Any, dict[str, Any]]:
    """(booster, info): lambdarank on the seen rows of impressions with pairwise signal.

    `validation` (features, labels, query, seen) stops boosting when NDCG@10 stops improving.
    """
    import lightgbm

    levels = np.unique(np.concatenate([labels, validation[1]] if validation else [labels]))
    gain = [float(v) for v in levels]

    def dataset(
        x: np.ndarray, y: np.ndarray, q: np.ndarray, s: np.ndarray, reference: Any = None
    ) -> tuple[Any, int]:
        keep = _rows_with_pairs(y, q, s)
        grade = np.searchsorted(levels, y[keep])
        sizes = np.bincount(q[keep])
        sizes = sizes[sizes > 0]
        made = lightgbm.Dataset(
            x[keep].astype(np.float32),
            grade,
            group=sizes,
            feature_name=[_safe(n) for n in FEATURE_NAMES],
            reference=reference,
            free_raw_data=True,
        )
        return made, int(keep.sum())

    started = time.perf_counter()
    train_set, rows = dataset(features, labels, query, seen)
    if rows == 0:
        raise DatasetError("no impression has both a positive and a non-positive seen item")
    valid_sets: list[Any] = []
    callbacks: list[Any] = []
    if validation is not None:
        valid_set, valid_rows = dataset(*validation, reference=train_set)
        if valid_rows:
            valid_sets = [valid_set]
            callbacks = [lightgbm.early_stopping(config.early_stopping_rounds, verbose=False)]
    try:
        booster = lightgbm.train(
            config.params(gain),
            train_set,
            num_boost_round=config.num_trees,
            valid_sets=valid_sets,
            callbacks=callbacks,
        )
    except lightgbm.basic.LightGBMError as exc:
        raise DatasetError(f"LightGBM could not fit: {exc}") from exc
    if booster.best_iteration > 0:  # keep the trees up to the best validation round
        booster = lightgbm.Booster(model_str=booster.model_to_string())
    seconds = time.perf_counter() - started
    info = {
        "learner": "lightgbm",
        "rows": rows,
        "trees": booster.num_trees(),
        "fit_seconds": round(seconds, 3),
        "lightgbm": lightgbm.__version__,
        "config": asdict(config),
        "label_gain": gain,
    }
    return booster, info


def _rows_with_pairs(labels: np.ndarray, query: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Seen rows of the impressions with a positive and a non-positive seen row."""
    size = int(query.max()) + 1 if query.size else 0
    positive = np.bincount(query, weights=seen & (labels > 0), minlength=size)
    negative = np.bincount(query, weights=seen & (labels <= 0), minlength=size)
    return seen & (positive > 0)[query] & (negative > 0)[query]


def _safe(name: str) -> str:
    """LightGBM refuses JSON's special characters (':' among them) in feature names."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)
