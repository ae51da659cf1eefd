"""Ranking metrics over logged impressions, corrected for position bias, all vectorised.

Each impression's shown items are re-ranked by a score; ties are broken at random with a fixed
seed (a constant score earns no credit from the logged order). Customers see the top of a list
more often than its bottom, so a raw click says as much about the position as about the item.
With the propensity p of an item's logged position (the share of items shown there that were
seen: `position_propensity`), each positive item counts 1/p times (inverse propensity scoring),
which makes the sums below unbiased estimates of what they would be if every item were seen.
Propensity 1 everywhere gives the plain, position-biased metrics.

- NDCG@k: the sum over impressions of DCG@k (gain label / p, discount 1 / log2(rank + 1)),
  divided by the same sum for each impression's ideal order. Summed before dividing: averaging
  per-impression ratios would cancel the 1/p of every impression with a single positive.
- recall@k: the 1/p-weighted share of positive items ranked in their impression's top k.
- AUC: the 1/p-weighted mean, over positive items, of the share of the non-positive items of
  the same impression ranked below them.
"""

from __future__ import annotations

import numpy as np

METRICS = ("ndcg@5", "ndcg@10", "recall@10", "auc")
MIN_PROPENSITY = 0.02


def position_propensity(position: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """P(seen | position), indexed by position (index 0 unused), at least MIN_PROPENSITY."""
    if position.size == 0:
        return np.ones(2)
    shown = np.bincount(position)
    seen_count = np.bincount(position, weights=seen.astype(float), minlength=shown.size)
    rate = np.divide(seen_count, shown, out=np.zeros(shown.size), where=shown > 0)
    for i in range(2, rate.size):  # a position nobody was shown at: the one above
        if shown[i] == 0:
            rate[i] = rate[i - 1]
    return np.maximum(rate, MIN_PROPENSITY)


def ranking_metrics(
    query: np.ndarray,
    labels: np.ndarray,
    scores: np.ndarray,
    propensity: np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """NDCG@5, NDCG@10, recall@10 and AUC of `scores` for rows grouped by `query`.

    `propensity` is per row (the propensity of the row's logged position); None = 1.
    """
    if query.size == 0 or not (labels > 0).any():
        return {name: float("nan") for name in METRICS}
    inverse = 1.0 / propensity if propensity is not None else np.ones(query.size)
    gain = labels * inverse
    positive = labels > 0
    size = np.bincount(query)
    rank = _ranks(query, scores, size, seed)
    ideal = _ranks(query, gain, size, None)
    out = {}
    for k in (5, 10):
        dcg = (gain / np.log2(rank + 1) * (rank <= k)).sum()
        idcg = (gain / np.log2(ideal + 1) * (ideal <= k)).sum()
        out[f"ndcg@{k}"] = float(dcg / idcg)
    weight = inverse * positive
    out["recall@10"] = float((weight * (rank <= 10)).sum() / weight.sum())
    out["auc"] = _auc(query, positive, rank, size, weight)
    return {name: out[name] for name in METRICS}


def ndcg(
    query: np.ndarray,
    labels: np.ndarray,
    scores: np.ndarray,
    propensity: np.ndarray | None = None,
    k: int = 10,
    seed: int = 0,
) -> float:
    """NDCG@k alone, as in `ranking_metrics`."""
    return NdcgScorer(query, labels, propensity, k, seed)(scores)


class NdcgScorer:
    """NDCG@k of many rankings of the same rows (a grid search): the ideal DCG, the tie-break
    and the layout are prepared once; each call ranks only the positive rows against the rows
    of their own impression (at most a list's length of comparisons each). Equal to
    `ranking_metrics(...)["ndcg@k"]` with the same seed, ties included."""

    def __init__(
        self,
        query: np.ndarray,
        labels: np.ndarray,
        propensity: np.ndarray | None = None,
        k: int = 10,
        seed: int = 0,
    ) -> None:
        self.k = k
        self.empty = query.size == 0 or not (labels > 0).any()
        if self.empty:
            return
        gain = labels / propensity if propensity is not None else labels.astype(float)
        size = np.bincount(query)
        ideal = _ranks(query, gain, size, None)
        self.idcg = float((gain / np.log2(ideal + 1) * (ideal <= k)).sum())
        start = np.concatenate(([0], np.cumsum(size)[:-1]))
        order = np.argsort(query, kind="stable")
        column = np.empty(query.size, dtype=np.int64)
        column[order] = np.arange(query.size) - start[query[order]]
        self.cell = (query, column)
        self.shape = (size.size, int(size.max()))
        tiebreak = np.random.default_rng(seed).random(query.size)
        self.tiebreak = np.full(self.shape, np.inf)
        self.tiebreak[self.cell] = tiebreak
        self.positive = np.flatnonzero(labels > 0)
        self.positive_query = query[self.positive]
        self.positive_tiebreak = tiebreak[self.positive][:, None]
        self.positive_gain = gain[self.positive]

    def __call__(self, scores: np.ndarray) -> float:
        if self.empty:
            return float("nan")
        table = np.full(self.shape, -np.inf)
        table[self.cell] = scores
        rows = table[self.positive_query]
        own = scores[self.positive][:, None]
        before = (rows > own) | (
            (rows == own) & (self.tiebreak[self.positive_query] < self.positive_tiebreak)
        )
        rank = 1 + before.sum(axis=1)
        dcg = (self.positive_gain / np.log2(rank + 1) * (rank <= self.k)).sum()
        return float(dcg / self.idcg)


def _ranks(query: np.ndarray, scores: np.ndarray, size: np.ndarray, seed: int | None) -> np.ndarray:
    """1-based rank of each row within its query, highest score first; ties broken at random
    with `seed` (None: by row order, for the ideal ranking where ties do not matter)."""
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    if seed is None:
        order = np.lexsort((-scores, query))
    else:
        tiebreak = np.random.default_rng(seed).random(query.size)
        order = np.lexsort((tiebreak, -scores, query))
    rank = np.empty(query.size, dtype=np.int64)
    rank[order] = np.arange(query.size) - start[query[order]] + 1
    return rank


def _auc(
    query: np.ndarray,
    positive: np.ndarray,
    rank: np.ndarray,
    size: np.ndarray,
    weight: np.ndarray,
) -> float:
    """For each positive: non-positives of its impression ranked below it / all non-positives."""
    negatives = size - np.bincount(query, weights=positive, minlength=size.size)
    # non-positives ranked above a row = rank - 1 - positives ranked above it
    order = np.lexsort((rank, query))
    positives_before = np.cumsum(positive[order]) - positive[order]
    query_start_positives = np.concatenate(([0], np.cumsum(np.bincount(query, weights=positive))))
    above = np.empty(query.size)
    above[order] = positives_before - query_start_positives[query[order]]
    negatives_above = rank - 1 - above
    row_negatives = negatives[query]
    usable = positive & (row_negatives > 0)
    if not usable.any():
        return float("nan")
    share_below = (row_negatives - negatives_above) / np.maximum(row_negatives, 1)
    return float((weight * share_below)[usable].sum() / weight[usable].sum())
