"""Exact pruning of a regimen's candidates (split from regimen_problem.py, session 14): a
product that max_products others dominate is never needed for an optimum; and the cost a
cautioned nutrient nobody asked for adds in the objective (review s44a F1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .cautions import unasked_cautioned

if TYPE_CHECKING:
    from .ranking import Evaluation

_PAIRWISE_LIMIT = 2000  # candidates compared pairwise for dominance (an n x n boolean matrix)
# a month's cost the objective adds for a cautioned nutrient no target asks for
# (`caution_cents`): more than any price difference between two products of one role
CAUTION_CENTS = 1000


def undominated(
    per_serving: np.ndarray,
    caps: np.ndarray,
    cost: np.ndarray,
    gaps: np.ndarray,
    binding: np.ndarray,
    max_products: int,
    kinds: np.ndarray | None = None,
    fit: np.ndarray | None = None,
) -> np.ndarray:
    """Candidates to keep: those with fewer than max_products dominating products.

    j dominates i when j comes first by (cost of a serving, position) and can replace i serving
    for serving at no worse shortfall or overshoot and within the same limits: at least as many
    servings; of every nutrient with a gap at least as much as i or the whole gap; of every
    nutrient whose limit can bind at most as much as i (where both hold: as much as i, or less
    that still fills the gap); of every `fit` nutrient (its overshoot counts) exactly as much as
    i where it has a gap (more may overshoot, less may fall short), at most as much where it has
    none. A regimen holds at most max_products products, so one of max_products dominators of i
    is always free to take its place: pruning i keeps an optimum (of both stages). Only a
    product in the same at-most-one groups dominates (`kinds`: role and banded nutrients
    carried). First among
    identical candidates (O(n log n)), then pairwise on what is left when it is few.
    """
    n = len(caps)
    keep = np.ones(n, dtype=bool)
    if n <= max_products:
        return keep
    gap = gaps > 0
    fitted = np.zeros_like(gap) if fit is None else fit
    useful = np.where(gap & ~binding & ~fitted, np.minimum(per_serving, gaps), per_serving)
    compared = gap | binding | fitted
    order = np.lexsort((np.arange(n), cost))  # cheapest first, then catalog order
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    role = np.zeros(n) if kinds is None else kinds.astype(float)
    relevant = np.column_stack([useful[:, compared], caps, role])
    group = np.unique(relevant, axis=0, return_inverse=True)[1].ravel()
    by_group = order[np.argsort(group[order], kind="stable")]
    starts = np.flatnonzero(np.r_[True, group[by_group][1:] != group[by_group][:-1]])
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    keep[by_group[rank >= max_products]] = False
    left = np.flatnonzero(keep)
    if left.size <= max_products or left.size > _PAIRWISE_LIMIT:
        return keep
    dominated = (
        (position[left][None, :] < position[left][:, None])
        & (caps[left][None, :] >= caps[left][:, None])
        & (role[left][None, :] == role[left][:, None])
    )
    for column in np.flatnonzero(compared):
        mine, theirs = useful[left, column][:, None], useful[left, column][None, :]
        if fitted[column] and gap[column]:
            dominated &= theirs == mine
        elif gap[column] and binding[column]:
            dominated &= (theirs <= mine) & ((theirs == mine) | (theirs >= gaps[column]))
        elif gap[column]:
            dominated &= theirs >= mine
        else:
            dominated &= theirs <= mine
    keep[left[dominated.sum(axis=1) >= max_products]] = False
    return keep


def caution_cents(ev: Evaluation, per_serving: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Per candidate, what the objective adds to its cost for a nutrient of an interactions.yaml
    `caution` that holds for the person and that no target gap asks for: where the shortfall
    is the same, the regimen takes plain D3, not the cheaper D3 + 50 µg K2 drops (review s44a
    F1: one regimen in seven, for a man of 75 with no word of his medicines). The cost shown
    and the budget stay the true ones."""
    return np.where(unasked_cautioned(ev, per_serving, gaps > 0), CAUTION_CENTS, 0)
