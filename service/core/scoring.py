"""The transparent score: how well each product closes the profile's gaps, plus rule weights.

Every feature is an array over the catalog, so a request scores all products at once. The same
features are what `explain=true` shows and what a learned model can start from.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np

from .catalog import Catalog
from .fastnp import nan_to_num
from .profile import Profile
from .reference import Reference
from .vocabulary import GOALS

FEATURES = ("gap_fill", "goal_match", "price", "headroom", "overshoot")
# features that lower the score (weight x value is subtracted)
PENALTIES = frozenset({"headroom", "overshoot"})


def sign(name: str) -> float:
    """-1 for a penalty feature, +1 for the others (the score and its explanation agree)."""
    return -1.0 if name in PENALTIES else 1.0


@dataclass(frozen=True)
class Features:
    values: dict[str, np.ndarray]  # feature name -> value per product
    fill: np.ndarray  # (products, nutrients): share of each target the product fills

    def transparent_score(self, weights: dict[str, float]) -> np.ndarray:
        raw = np.zeros_like(self.values["gap_fill"])
        for name in FEATURES:
            raw += sign(name) * weights.get(name, 0.0) * self.values[name]
        return raw


def compute_features(
    catalog: Catalog,
    profile: Profile,
    intake: np.ndarray,
    targets: np.ndarray,
    limits: np.ndarray,
    totals_with_item: np.ndarray,
    fit: np.ndarray | None = None,
) -> Features:
    """Features per product; `targets` and `limits` are vectors over nutrients (NaN = none);
    `fit`: the nutrient columns whose dose should fit the advice (scoring.yaml `dose_fit`)."""
    has_target = targets > 0  # NaN (no target) is not above 0
    gap = np.where(has_target, np.maximum(nan_to_num(targets) - intake, 0.0), 0.0)
    safe_targets = np.where(has_target, targets, 1.0)
    fill = np.minimum(catalog.nutrients_per_day, gap) / safe_targets
    total_gap = float((gap / safe_targets).sum())
    gap_fill = fill.sum(axis=1) / total_gap if total_gap > 0 else np.zeros(len(catalog))
    overshoot = _overshoot(catalog.nutrients_per_day, gap, safe_targets, has_target, fit, total_gap)

    if profile.goals:
        goal_match = _goal_match(catalog, profile.goals)
    else:
        goal_match = np.zeros(len(catalog))

    has_limit = ~np.isnan(limits)
    if has_limit.any():
        headroom = (totals_with_item[:, has_limit] / limits[has_limit]).max(axis=1)
        headroom = np.clip(headroom, 0.0, 1.0)
    else:
        headroom = np.zeros(len(catalog))
    values = {
        "gap_fill": gap_fill,
        "goal_match": goal_match,
        "price": catalog.price_prior,
        "headroom": headroom,
        "overshoot": overshoot,
    }
    return Features(values, fill)


def _goal_match(catalog: Catalog, goals: tuple[str, ...]) -> np.ndarray:
    """Per product the share of `goals` its claims speak to, once per catalog and goals (a
    handful of combinations); read-only."""
    known = _GOAL_MATCH.get(catalog)
    if known is None:
        known = _GOAL_MATCH[catalog] = {}
    goals = tuple(goals)
    match = known.get(goals)
    if match is None:
        if len(known) > 512:
            known.clear()
        match = catalog.claim_goals[:, [GOALS.index(g) for g in goals]].mean(axis=1)
        match.flags.writeable = False
        known[goals] = match
    return match


# per catalog: goals -> goal_match
_GOAL_MATCH: weakref.WeakKeyDictionary[Catalog, dict[tuple[str, ...], np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def _overshoot(
    per_day: np.ndarray,
    gap: np.ndarray,
    targets: np.ndarray,
    has_target: np.ndarray,
    fit: np.ndarray | None,
    total_gap: float,
) -> np.ndarray:
    """How far each product's daily dose goes past the advice gap of the `fit` nutrients,
    relative to the advice and weighed like `gap_fill` (R8): a product 20 µg above the advice
    loses what one 20 µg short of it does not fill, so the closest dose leads."""
    if fit is None or total_gap <= 0:
        return np.zeros(per_day.shape[0])
    columns = has_target & fit
    if not columns.any():
        return np.zeros(per_day.shape[0])
    past = np.maximum(per_day[:, columns] - gap[columns], 0.0) / targets[columns]
    return np.asarray(past.sum(axis=1) / total_gap)


def squash_one(raw: float, reference: Reference) -> float:
    """The shown score in [0, 1] of a raw score: a logistic that never overflows (a raw score
    of -300, from an overshoot over an almost closed gap, once made `math.exp` raise)."""
    steepness = reference.squash.get("steepness", 4.0)
    midpoint = reference.squash.get("midpoint", 0.5)
    z = steepness * (raw - midpoint)
    if z < -700.0:  # 1 / (1 + e^-z) is e^z to the last bit here, and e^-z would overflow
        return math.exp(z)
    return 1.0 / (1.0 + math.exp(-z))
