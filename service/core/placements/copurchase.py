"""The item-to-item co-purchase table from purchase events (pure; no Redis here).

Two products co-occur when one customer bought both (each pair counted once per customer).
The score is the cosine of the two products' buyer sets, count(a, b) / sqrt(n(a) n(b)), in
0..1; pairs seen for fewer than `min_count` customers are left out (noise, and a pair bought
by one customer would say something about that customer). Each product keeps its `top_n`
strongest neighbours. The table is one ranking signal of the cart placement
(complements.py), applied only to products safety and need already allow.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from itertools import combinations

Table = dict[str, dict[str, float]]


def cooccurrence(
    purchases: Iterable[tuple[str, str]],
    *,
    min_count: int = 2,
    top_n: int = 20,
    known: Mapping[str, object] | None = None,
) -> Table:
    """`purchases`: (customer id, SKU) pairs (repeats are fine). `known`: keep these SKUs only
    (the catalog's index), so that a SKU that left the catalog drops out."""
    bought: dict[str, set[str]] = defaultdict(set)
    for customer_id, sku in purchases:
        if known is None or sku in known:
            bought[customer_id].add(sku)
    buyers: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for skus in bought.values():
        buyers.update(skus)
        for a, b in combinations(sorted(skus), 2):
            pairs[(a, b)] += 1
    neighbours: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (a, b), count in pairs.items():
        if count < min_count:
            continue
        score = count / math.sqrt(buyers[a] * buyers[b])
        neighbours[a].append((score, b))
        neighbours[b].append((score, a))
    return {
        sku: {
            other: round(score, 4)
            for score, other in sorted(found, key=lambda x: (-x[0], x[1]))[:top_n]
        }
        for sku, found in sorted(neighbours.items())
    }
