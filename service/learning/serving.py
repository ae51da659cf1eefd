"""How serving combines the model with the rules: the formula, its weight, the explanation.

The combination (ranking.py applies it to the candidates that survive rules and safety):

    raw = MODEL_WEIGHT x model_score + (1 - MODEL_WEIGHT) x transparent_score + rule_weight

`model_score` is `RankingModel.predict` (0..1), `transparent_score` the weighted sum of the four
transparent features (scoring.yaml, without rules) and `rule_weight` the sum of matched boosts
minus buries, at full strength, so merchandising keeps the reach it has without a model. Then,
unchanged: the category diversity penalty, pins at their positions, safety masks and rule
excludes before any of it, and the shown score `squash(raw)`. Without a loaded model
(cold start, no events yet, or every artefact refused), raw is the transparent score plus rule
weights, as before.

Why 0.7: the model score is spread over 0..1 like the transparent features, so the weight is a
plain share. On the default simulated holdout (position-bias corrected NDCG@10) the blend gives
0.502 at 0, 0.554 at 0.5, 0.562 at 0.7, 0.565 at 1.0: 0.7 has nearly all the gain and keeps
nutritional need (gap_fill) a visible part of every score. Rule weights at full strength cost
NDCG there (the model alone: 0.622) because simulated customers ignore campaigns and advice
boosts; in the shop they carry intent the logs cannot value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .features import FEATURE_NAMES, RULE_WEIGHT, TRANSPARENT_SCORE
from .model import RankingModel

MODEL_WEIGHT = 0.7


def blend(
    model_score: np.ndarray,
    transparent_score: np.ndarray,
    rule_weight: np.ndarray,
    model_weight: float = MODEL_WEIGHT,
) -> np.ndarray:
    """The raw score serving ranks by when a model is loaded (see the module docstring)."""
    return model_weight * model_score + (1.0 - model_weight) * transparent_score + rule_weight


def blended_raw(
    model: RankingModel, features: np.ndarray, model_weight: float = MODEL_WEIGHT
) -> tuple[np.ndarray, np.ndarray]:
    """(raw, model_score) for a `product_features(ev)` matrix."""
    model_score = model.predict(features)
    raw = blend(model_score, features[:, TRANSPARENT_SCORE], features[:, RULE_WEIGHT], model_weight)
    return raw, model_score


def explain_model(
    model: RankingModel, row: np.ndarray, model_weight: float = MODEL_WEIGHT
) -> dict[str, Any]:
    """The `explain` part for one item: its features, the model's terms and the blend."""
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
            "model_weight": model_weight,
            "model_part": round(model_weight * score, 4),
            "transparent_part": round((1 - model_weight) * float(row[TRANSPARENT_SCORE]), 4),
            "rule_weight": round(float(row[RULE_WEIGHT]), 4),
        },
    }
