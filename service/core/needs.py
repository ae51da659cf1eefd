"""Which needs a product in a list answers (guarantee 11), and when a need is no answer.

`Offer.need` (advice.py) asks this module. A product is offered for:

- an advice gap it fills within the band (`Offer.gap_fits`) or a matched rule with a reason
  (`Offer.rule_need`), unless it also gives a nutrient the person has no need for that is itself
  a concern (review s5 S6, advice_extras.extra_concern; the nutrient of its role is its own);
- a stated goal one of its claims speaks to (`Offer.goal_need`) or a learned preference
  (`learned_need`), under the same S6 rule, where only the nutrients a claim for the goal names
  are its own (review s7 P5): a calcium + D3 offered for immunity by its vitamin D claim gives
  calcium nobody asked for, so when that calcium with the food allowance reaches
  `warn_at_upper_limit_fraction` of the upper limit, the plain D3 is offered instead; a learned
  preference names no nutrient at all.

A learned preference (a model score of at least scoring.yaml `lists.learned_min_score`) is a need
only when the model learned from the shop's own customers (its metadata `data.source`, review s7
P6: "Often chosen by customers with a profile like yours" is not said on the strength of a
simulated shop), and never for a product carrying a nutrient the profile is not indicated for
(scoring.yaml `lists.goal_indication`, the test a goal's claim passes: review s7 P1, no 14 mg iron
for a man of 72 because a model liked it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    from .advice import Offer


def learned_need(offer: Offer) -> np.ndarray:
    """Products whose model score reaches `lists.learned_min_score`, for a model trained on the
    shop's customers, less those carrying a nutrient the profile is not indicated for."""
    ev = offer.ev
    score = ev.model_score
    learning, model = ev.snapshot.learning, ev.snapshot.model
    if score is None or learning is None or model is None or not learning.from_customers(model):
        return np.zeros(len(ev.snapshot.catalog), dtype=bool)
    return np.asarray(score >= offer.config.learned_min_score) & ~offer.goal_not_indicated


def need(offer: Offer) -> np.ndarray:
    """The products offered for a need the profile has (see the module docstring)."""
    from .advice_extras import extra_concern

    extra = extra_concern(offer)
    answered = (offer.gap_fits.any(axis=1) | offer.rule_need) & ~extra
    other = (offer.goal_need | offer.learned_need) & ~answered
    if not other.any():
        return answered
    # the costlier check only when a goal or the model brings a product nothing else does
    unowned = extra_concern(cast("Offer", _NoOwnRole(offer)))
    return answered | (other & ~unowned)


class _NoOwnRole:
    """The Offer as `extra_concern` reads it, with no product's category role as its own
    nutrient: what a goal's claim names (`goal_served`) and an advice gap stay needs."""

    def __init__(self, offer: Offer) -> None:
        self._offer = offer
        self.roles = np.full(len(offer.ev.snapshot.catalog), -1, dtype=np.int64)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._offer, name)
