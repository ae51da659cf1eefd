"""The blend serving ranks by, and how training learns it on a validation split.

    raw = model x model_score + transparent x transparent_score + rules x rule_weight

`model_score` is the model's score in (0, 1), `transparent_score` the weighted sum of the four
transparent features (scoring.yaml, without rules), `rule_weight` the sum of matched boosts
minus buries. Only the order matters, so the weights are kept with model + transparent = 1;
`rules` is the strength of boosts and buries (1 = full strength, as without a model).

Learning (`learn_blend`): on the validation split (the latest impressions of the training part,
which the model was not fitted on), every point of a grid of model shares x rule strengths is
scored by NDCG@10 corrected for position bias (metrics.py). The best point wins; points within
`tolerance` (relative) of the best count as equally good, and among those the one with the
strongest rules and then the largest transparent share is kept, so that merchandising and
nutritional need lose reach only where the logs show that it costs. `rule_floor` keeps the rule
strength at or above a floor whatever the logs say (a shop that wants campaigns to bite).

Pins, rule excludes and requires and every safety mask are not part of the blend: they act on
the candidates before any score is computed (ranking.py), so no blend can undo them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .metrics import NdcgScorer

BLEND_KEYS = ("model", "transparent", "rules", "source")
MODEL_SHARES = tuple(round(0.1 * i, 1) for i in range(11))
RULE_STRENGTHS = (0.0, 0.125, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class BlendWeights:
    model: float
    transparent: float
    rules: float
    source: str = "default"  # "learned": from a validation split; "default": fixed

    def __post_init__(self) -> None:
        values = (self.model, self.transparent, self.rules)
        if not all(isinstance(v, int | float) and math.isfinite(v) and v >= 0 for v in values):
            raise ValueError(f"blend weights must be finite and not negative: {values}")
        if self.model + self.transparent <= 0:
            raise ValueError("blend: model + transparent must be positive")

    def raw(
        self, model_score: np.ndarray, transparent_score: np.ndarray, rule_weight: np.ndarray
    ) -> np.ndarray:
        return (
            self.model * model_score
            + self.transparent * transparent_score
            + (self.rules * rule_weight)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "transparent": self.transparent,
            "rules": self.rules,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlendWeights:
        """From artefact metadata; raises ValueError on anything but the four documented keys."""
        if not isinstance(data, Mapping) or set(data) != {
            "model",
            "transparent",
            "rules",
            "source",
        }:
            raise ValueError(f"blend must have model, transparent, rules and source: {data!r}")
        if data["source"] not in ("learned", "default"):
            raise ValueError(f"blend source must be learned or default: {data['source']!r}")
        return cls(
            float(data["model"]), float(data["transparent"]), float(data["rules"]), data["source"]
        )


# What served before blends were learned (and serves for artefacts made before then).
DEFAULT_BLEND = BlendWeights(0.7, 0.3, 1.0)


@dataclass(frozen=True)
class BlendSearch:
    weights: BlendWeights
    ndcg: float  # NDCG@10 of the chosen weights on the validation split
    best_ndcg: float  # the best point of the grid
    grid: dict[str, float]  # "model share / rule strength" -> NDCG@10

    def summary(self) -> dict[str, Any]:
        return {
            "weights": self.weights.to_dict(),
            "validation_ndcg@10": round(self.ndcg, 5),
            "best_validation_ndcg@10": round(self.best_ndcg, 5),
            "grid_ndcg@10": {k: round(v, 5) for k, v in self.grid.items()},
        }


def learn_blend(
    query: np.ndarray,
    labels: np.ndarray,
    propensity: np.ndarray | None,
    model_score: np.ndarray,
    transparent_score: np.ndarray,
    rule_weight: np.ndarray,
    *,
    tolerance: float = 0.002,
    rule_floor: float = 0.0,
) -> BlendSearch:
    """Grid search of the blend on a validation split (see the module docstring)."""
    strengths = [r for r in RULE_STRENGTHS if r >= rule_floor] or [rule_floor]
    grid: dict[tuple[float, float], float] = {}
    scorer = NdcgScorer(query, labels, propensity, 10)
    for share in MODEL_SHARES:
        for strength in strengths:
            weights = BlendWeights(share, round(1.0 - share, 1), strength)
            value = scorer(weights.raw(model_score, transparent_score, rule_weight))
            grid[(share, strength)] = value if math.isfinite(value) else 0.0
    best = max(grid.values())
    good = [key for key, value in grid.items() if value >= best * (1.0 - tolerance)]
    share, strength = max(good, key=lambda key: (key[1], -key[0]))
    chosen = BlendWeights(share, round(1.0 - share, 1), strength, "learned")
    return BlendSearch(
        chosen, grid[(share, strength)], best, {f"{s} / {r}": v for (s, r), v in grid.items()}
    )
