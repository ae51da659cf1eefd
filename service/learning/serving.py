"""How serving combines the model with the rules: the blend, and its explanation.

ranking.py applies the blend to the candidates that survive rules and safety:

    raw = blend.model x model_score + blend.transparent x transparent_score
          + blend.rules x rule_weight

with the weights each artefact carries in its checksummed metadata (`model.blend`), learned on
a validation split when it was trained (blend.py; artefacts from before then serve with
`blend.DEFAULT_BLEND`: 0.7, 0.3 and rules at full strength). Then, unchanged: the category
diversity penalty, pins at their positions, safety masks and rule excludes and requires before
any of it, and the shown score `squash(raw)`. Without a loaded model (cold start, no events
yet, or every artefact refused), raw is the transparent score plus rule weights, as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .blend import BlendWeights
from .features import FEATURE_NAMES, RULE_WEIGHT, TRANSPARENT_SCORE, product_features
from .logs import SHOP, impression_record
from .model import Ranker


def blended_raw(
    model: Ranker, features: np.ndarray, weights: BlendWeights | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(raw, model_score) for a `product_features(ev)` matrix, with the model's own blend
    unless `weights` says otherwise (an experiment's variant)."""
    weights = weights or model.blend
    model_score = model.predict(features)
    raw = weights.raw(model_score, features[:, TRANSPARENT_SCORE], features[:, RULE_WEIGHT])
    return raw, model_score


def explain_model(
    model: Ranker, row: np.ndarray, weights: BlendWeights | None = None
) -> dict[str, Any]:
    """The `explain` part for one item: its features, the model's terms and the blend."""
    weights = weights or model.blend
    row = np.asarray(row, dtype=float)
    score = float(model.predict(row[None, :])[0])
    return {
        "model": model.version,
        "features": {
            name: round(float(v), 4) for name, v in zip(FEATURE_NAMES, row, strict=True) if v
        },
        "model_contributions": {k: round(v, 4) for k, v in model.contributions(row).items()},
        "model_score": round(score, 4),
        "blend": {
            "model_weight": weights.model,
            "transparent_weight": weights.transparent,
            "rule_strength": weights.rules,
            "learned": weights.source == "learned",
            "model_part": round(weights.model * score, 4),
            "transparent_part": round(weights.transparent * float(row[TRANSPARENT_SCORE]), 4),
            "rule_weight": round(weights.rules * float(row[RULE_WEIGHT]), 4),
        },
    }


class ServedLearning:
    """The core's `Learning` protocol (service/core/learned.py) over this package: the
    factory (service/factory.py) gives `LEARNING` to the recommender."""

    features = staticmethod(product_features)
    impression = staticmethod(impression_record)

    def blended(self, model: Ranker, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return blended_raw(model, features)

    def explain(self, model: Ranker, row: np.ndarray) -> dict[str, Any]:
        return explain_model(model, row)

    def from_customers(self, model: Ranker) -> bool:
        return chosen_by_customers(model)


def chosen_by_customers(model: Ranker) -> bool:
    """The model learned from what the shop's own customers chose: its metadata `data.source`
    is `shop` (train.py). A model trained on the simulated shop, on a mix, or an artefact from
    before the source was recorded (its data unknown) is not: a list then never says
    "Often chosen by customers with a profile like yours" on its strength (review s7 P6)."""
    data = model.metadata.get("data")
    return isinstance(data, dict) and data.get("source") == SHOP


LEARNING = ServedLearning()
