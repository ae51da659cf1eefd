"""The item-to-item co-purchase table from purchase events (pure; no Redis here).

Two products co-occur when one customer bought both (each pair counted once per customer).
The score is the cosine of the two products' buyer sets, count(a, b) / sqrt(n(a) n(b)), in
0..1; pairs seen for fewer than `min_count` customers are left out (noise, and a pair bought
by one customer would say something about that customer). Each product keeps its `top_n`
strongest neighbours. The table is one ranking signal of the cart placement
(complements.py), applied only to products safety and need already allow.

`cooccurrence` builds the table from all purchases at once; `Counts` keeps what it is built
from (each customer's SKUs, buyers per SKU, customers per pair) so that new purchases, or an
erased customer, change only the rows they touch (the Celery job's incremental update, see
service/customers/copurchase.py). Both give the same table (tests/test_copurchase_worker.py).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


def row(
    sku: str,
    neighbours: Mapping[str, int],
    buyers: Mapping[str, int],
    *,
    min_count: int = 2,
    top_n: int = 20,
    known: Mapping[str, object] | None = None,
) -> dict[str, float]:
    """One SKU's row of the table from its pair counts and the buyers per SKU (as
    `cooccurrence` scores it)."""
    found = []
    for other, count in neighbours.items():
        if count < min_count or (known is not None and other not in known):
            continue
        found.append((count / math.sqrt(buyers[sku] * buyers[other]), other))
    return {
        other: round(score, 4)
        for score, other in sorted(found, key=lambda x: (-x[0], x[1]))[:top_n]
    }


@dataclass
class Counts:
    """What the table is built from, for the SKUs and customers at hand: `bought` (customer ->
    SKUs), `buyers` (SKU -> customers), `pairs` (SKU -> {other SKU: customers}, both ways).
    `add` and `erase` change them and note which rows of the table may change (`dirty`)."""

    bought: dict[str, set[str]] = field(default_factory=dict)
    buyers: Counter[str] = field(default_factory=Counter)
    pairs: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    dirty: set[str] = field(default_factory=set)  # rows whose scores may have changed
    rescored: set[str] = field(default_factory=set)  # SKUs whose buyer count changed
    erased: set[str] = field(default_factory=set)  # customers taken out

    def add(self, customer_id: str, sku: str) -> None:
        """One purchase (a SKU the customer bought before counts once)."""
        skus = self.bought.setdefault(customer_id, set())
        if sku in skus:
            return
        for other in skus:
            self.pairs[sku][other] += 1
            self.pairs[other][sku] += 1
            self.dirty.add(other)
        skus.add(sku)
        self.buyers[sku] += 1
        self.dirty.add(sku)
        self.rescored.add(sku)

    def erase(self, customer_id: str) -> None:
        """Take a customer's purchases out of the counts (an erasure)."""
        skus = self.bought.pop(customer_id, set())
        self.erased.add(customer_id)
        for a, b in combinations(sorted(skus), 2):
            self.pairs[a][b] -= 1
            self.pairs[b][a] -= 1
        for sku in skus:
            self.buyers[sku] -= 1
            self.dirty.add(sku)
            self.rescored.add(sku)
