"""Ranking metrics per impression (query), averaged over impressions, all vectorised.

Each impression's shown items are ranked by a score; ties are broken at random with a fixed
seed (a constant score earns no credit from the logged order). Gains are the graded labels.

- NDCG@k: sum over the top k of label / log2(rank + 1), divided by the same for the ideal
  order; averaged over impressions with at least one positive label.
- recall@k: share of an impression's positive items ranked in its top k; same impressions.
- AUC: chance that a positive item is ranked above a non-positive one of the same impression;
  averaged over impressions with both.
"""

from __future__ import annotations

import numpy as np

METRICS = ("ndcg@5", "ndcg@10", "recall@10", "auc")


def ranking_metrics(
    query: np.ndarray, labels: np.ndarray, scores: np.ndarray, seed: int = 0
) -> dict[str, float]:
    """NDCG@5, NDCG@10, recall@10 and AUC of `scores` for rows grouped by `query`."""
    if query.size == 0:
        return {name: float("nan") for name in METRICS}
    tiebreak = np.random.default_rng(seed).random(query.size)
    by_score = np.lexsort((tiebreak, -scores, query))
    by_label = np.lexsort((-labels, query))
    queries = int(query.max()) + 1
    size = np.bincount(query, minlength=queries)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    rank = np.arange(query.size) - start[query[by_score]] + 1  # 1-based, per query
    ideal_rank = np.arange(query.size) - start[query[by_label]] + 1
    gain = labels[by_score]
    positive = labels > 0
    positives = np.bincount(query, weights=positive, minlength=queries)
    has_positive = positives > 0
    out = {}
    for k in (5, 10):
        dcg = _per_query(query[by_score], gain / np.log2(rank + 1) * (rank <= k), queries)
        ideal_gain = labels[by_label] / np.log2(ideal_rank + 1) * (ideal_rank <= k)
        idcg = _per_query(query[by_label], ideal_gain, queries)
        out[f"ndcg@{k}"] = _mean(dcg[has_positive] / idcg[has_positive])
    found = _per_query(query[by_score], positive[by_score] & (rank <= 10), queries)
    out["recall@10"] = _mean(found[has_positive] / positives[has_positive])
    out["auc"] = _auc(query, positive, scores, tiebreak, size, start, positives)
    return {name: out[name] for name in METRICS}


def _per_query(query: np.ndarray, values: np.ndarray, queries: int) -> np.ndarray:
    return np.bincount(query, weights=values.astype(float), minlength=queries)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _auc(
    query: np.ndarray,
    positive: np.ndarray,
    scores: np.ndarray,
    tiebreak: np.ndarray,
    size: np.ndarray,
    start: np.ndarray,
    positives: np.ndarray,
) -> float:
    """Mann-Whitney per query: (sum of positive ranks - n+(n+ + 1)/2) / (n+ n-)."""
    ascending = np.lexsort((-tiebreak, scores, query))
    rank = np.arange(query.size) - start[query[ascending]] + 1
    rank_sum = np.bincount(
        query[ascending], weights=rank * positive[ascending], minlength=size.size
    )
    negatives = size - positives
    both = (positives > 0) & (negatives > 0)
    n_pos, n_neg = positives[both], negatives[both]
    return _mean((rank_sum[both] - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
