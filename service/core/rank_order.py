"""The order of a list: best first, category diversity and role caps, pins by rule priority.

Split from ranking.py (issue 16). A ranking is computed once per evaluation, raw scores,
candidates and role cap, and continued when a longer list of the same candidates is asked for
(a refresh ranks the plain list for 5 items, then the home placement's chain asks for 14): the
greedy pass picks position by position from state that depends only on the positions before,
so the first 5 of 14 are the 5, as long as both work from the same shortlist (every candidate;
otherwise each limit is ranked on its own).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .advice_config import DOCTOR, advice_config
from .amounts import above
from .cautions import unasked_cautioned
from .day_totals import advice_within_warning
from .fastnp import flatnonzero

if TYPE_CHECKING:
    from .ranking import Evaluation


def _rank(
    ev: Evaluation, candidates: np.ndarray, limit: int, role_cap: bool = True
) -> tuple[list[int], list[float]]:
    """Best first, with category diversity; pins take their positions by rule priority.

    Returns the product indices and the raw score each had when it was picked. Computed once
    per evaluation, raw scores, candidates, limit and role cap (a refresh ranks the same
    candidates for two placements)."""
    count = int(np.count_nonzero(candidates))
    whole = role_cap and count <= _shortlist_size(count, limit)
    # a role cap of `limit + 1` (no cap) depends on the limit: such a ranking is not continued
    key = ("rank", candidates.tobytes(), role_cap, None if whole else limit)
    known = ev.memo.get(key)
    if known is None or known[0] is not ev.raw:
        known = ev.memo[key] = (ev.raw, _Ranker(ev, candidates, limit, role_cap))
    return known[1].take(limit)


def _shortlist_size(count: int, limit: int) -> int:
    return min(count, max(4 * (limit + 16), 64))


class _Ranker:
    """The greedy pass of one ranking, kept between calls so that a longer list continues it."""

    def __init__(self, ev: Evaluation, candidates: np.ndarray, limit: int, role_cap: bool):
        self.ev = ev
        self.ranked: list[int] = []
        self.raws: list[float] = []
        self.position = 0
        self.made: list[int] = []  # picks made after each position
        indices = flatnonzero(candidates)
        self.empty = indices.size == 0
        if self.empty:
            return
        catalog = ev.snapshot.catalog
        pinned: dict[int, int] = {}
        for rule in ev.matched_rules:  # already sorted by priority, highest first
            if rule.action != "pin" or rule.position is None:
                continue
            choices = [
                i for i in flatnonzero(candidates & rule.mask).tolist() if i not in pinned.values()
            ]
            if not choices:
                continue
            best = max(choices, key=lambda i: (ev.raw[i], catalog.products[i].sku))
            position = rule.position - 1
            while position in pinned:
                position += 1
            pinned[position] = best
        self.pinned = pinned
        shortlist = _shortlist(ev.raw, indices, limit + 16, catalog.sku_order)
        self.pool = pool = np.array(
            [i for i in shortlist if i not in pinned.values()], dtype=np.int64
        )
        self.penalty = ev.snapshot.reference.weights.get("same_category", 0.0)
        self.counts = counts = np.zeros(len(catalog.category_names))
        # at most `lists.max_per_role` products of one nutrient role (scoring.yaml)
        self.roles = roles = ev.offer.roles
        max_per_role = advice_config(ev.snapshot.reference).max_per_role if role_cap else limit + 1
        self.max_per_role = max_per_role
        self.role_counts = role_counts = np.zeros(len(ev.offer.role_table.names), dtype=np.int64)
        for index in pinned.values():
            counts[catalog.category_code[index]] += 1
            role_counts[roles[index]] += 1
        self.pool_roles = pool_roles = roles[pool]
        self.pool_raw, self.pool_codes = ev.raw[pool], catalog.category_code[pool]
        self.available: np.ndarray = role_counts[pool_roles] < max_per_role
        self.tolerance = advice_config(ev.snapshot.reference).fit_order_tolerance
        self.fit = None if self.tolerance is None else _fit_distance(ev, pool)
        # the greedy pass on Python floats (the same IEEE arithmetic, none of numpy's per-call
        # cost on a shortlist of at most 64); NaN scores keep numpy's argmax (first NaN wins)
        self.plain = not np.isnan(self.pool_raw).any()
        if self.plain:
            self.raw_list = self.pool_raw.tolist()
            self.code_list = self.pool_codes.tolist()
            self.role_list = pool_roles.tolist()
            self.free = self.available.tolist()
            self.count_list = counts.tolist()
            self.role_count_list = role_counts.tolist()
            if self.fit is not None:
                self.fit_lists = tuple(part.tolist() for part in self.fit)

    def take(self, limit: int) -> tuple[list[int], list[float]]:
        if self.empty:
            return [], []
        ranked = self.ranked
        while self.position < limit:
            position = self.position
            self.position += 1
            self._position(position)
            self.made.append(len(ranked))
        return self._first(limit)

    def _position(self, position: int) -> None:
        ev, catalog = self.ev, self.ev.snapshot.catalog
        pinned, available, ranked, raws = self.pinned, self.available, self.ranked, self.raws
        roles, role_counts, counts = self.roles, self.role_counts, self.counts
        if position in pinned:
            ranked.append(pinned[position])
            raws.append(float(ev.raw[pinned[position]]))
            return
        if self.plain:
            self._position_plain()
            return
        if available.any():
            adjusted = self.pool_raw - self.penalty * counts[self.pool_codes]
            adjusted[~available] = -np.inf
            best = int(adjusted.argmax())  # first maximum: the shortlist is sorted by SKU on ties
            best = self._closest_dose(best, adjusted)
            available[best] = False
            index = int(self.pool[best])
            counts[catalog.category_code[index]] += 1
            ranked.append(index)
            raws.append(float(adjusted[best]))
            role_counts[roles[index]] += 1
            if role_counts[roles[index]] >= self.max_per_role:
                available &= self.pool_roles != roles[index]

    def _position_plain(self) -> None:
        """`_position`'s pick on Python lists: the same scores, the first maximum, the same
        dose-fit step and caps (state kept in the lists; the numpy arrays are not read)."""
        free, counts, penalty = self.free, self.count_list, self.penalty
        if not any(free):
            return
        codes = self.code_list
        adjusted = [
            raw - penalty * counts[code] if ok else -math.inf
            for raw, code, ok in zip(self.raw_list, codes, free, strict=True)
        ]
        best = max(range(len(adjusted)), key=adjusted.__getitem__)  # first maximum
        if self.fit is not None:
            distance, group, own = self.fit_lists
            tolerance = self.tolerance
            while group[best] >= 0:
                bound, mine = distance[best] - tolerance, group[best]
                closer = [
                    k
                    for k, (g, d, a, o) in enumerate(
                        zip(group, distance, adjusted, own, strict=True)
                    )
                    if g == mine and o and d < bound and math.isfinite(a)
                ]
                if not closer:
                    break
                best = max(closer, key=adjusted.__getitem__)
        free[best] = False
        index = int(self.pool[best])
        counts[codes[best]] += 1
        self.ranked.append(index)
        self.raws.append(adjusted[best])
        role = self.role_list[best]
        self.role_count_list[role] += 1
        if self.role_count_list[role] >= self.max_per_role:
            roles = self.role_list
            for k, r in enumerate(roles):
                if r == role:
                    free[k] = False

    def _closest_dose(self, best: int, adjusted: np.ndarray) -> int:
        """The pick for a `dose_fit` nutrient's products (scoring.yaml): the best scored of the
        products for that nutrient whose dose is closer to the advice by more than the
        tolerance, until none is: a model may rank a vitamin D product first, the dose that
        fits is the one shown there."""
        if self.fit is None:
            return best
        distance, group, own = self.fit
        while group[best] >= 0:
            closer = (
                (group == group[best])
                & own
                & (distance < distance[best] - self.tolerance)
                & np.isfinite(adjusted)
            )
            if not closer.any():
                break
            best = int(np.argmax(np.where(closer, adjusted, -np.inf)))
        return best

    def _first(self, limit: int) -> tuple[list[int], list[float]]:
        """The picks of the first `limit` positions (a pin or a pick per position at most)."""
        made = self.made[limit - 1] if limit > 0 else 0
        return self.ranked[:made], self.raws[:made]


def fit_order(ev: Evaluation, indices: list[int]) -> list[int]:
    """`indices` (best first) in the order the ranker would show them for dose fit: each next
    one the first left, unless one for its `dose_fit` nutrient is closer to the advice by more
    than the tolerance (then the first such, again). A refill replacement chooses so."""
    tolerance = advice_config(ev.snapshot.reference).fit_order_tolerance
    if tolerance is None or len(indices) < 2:
        return indices
    pool = np.asarray(indices, dtype=np.int64)
    fit = _fit_distance(ev, pool)
    if fit is None:
        return indices
    distance, group, own = fit
    left = list(range(pool.size))
    out = []
    while left:
        best = left[0]
        while group[best] >= 0:
            closer = [
                k
                for k in left
                if group[k] == group[best] and own[k] and distance[k] < distance[best] - tolerance
            ]
            if not closer:
                break
            best = closer[0]
        out.append(int(pool[best]))
        left.remove(best)
    return out


def _fit_distance(
    ev: Evaluation, pool: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """For the pool products whose category's role is a `dose_fit` nutrient with an advice
    (vitamin D and D + K2 products for vitamin D; not a calcium + D3 or a multivitamin): how far
    each one's daily dose lies from the advice gap, relative to the advice, that nutrient's
    column (-1 and inf for the others), and whether it may take a place for its dose (its
    role's own products). None: no such nutrient.

    A nutrient with a doctor's dose counts as a `dose_fit` one. A product giving it without a
    group of its own joins its group, to be moved down for a closer dose but never to take
    the place of one (a calcium + D3 with 20 µg led for a doctor's 50 µg, review s33a F2; as a
    candidate it took the place of a D3 20 µg, review s33c 4). One of another group is as far
    as the further of its two doses (a D3 + K2 with 75 µg K2 led for a doctor's 200 µg K2,
    review s33c 2; session 32: a model put the 75 µg K2 before the 200 µg)."""
    targets = ev.targets
    fit = advice_config(ev.snapshot.reference).fit_columns
    doctor = ev.advice.columns_of(DOCTOR) if ev.advice else []
    if doctor:
        fit = fit.copy()
        fit[doctor] = True
    has = fit & (ev.targets_or_zero > 0)
    if not has.any():
        return None
    columns = flatnonzero(has)
    table = ev.offer.role_table
    column_of_role = np.full(len(table.names), -1, dtype=np.int64)
    column_of_role[table.nutrient_role[columns]] = columns
    group = column_of_role[table.category_role[pool]]
    own = group >= 0
    doses = ev.snapshot.catalog.nutrients_per_day[pool]
    doctor = [c for c in doctor if has[c]]
    for column in doctor:
        group[(group < 0) & (doses[:, column] > 0)] = column
    fits = group >= 0
    gap = np.maximum(ev.targets_or_zero - ev.intake, 0.0)
    distance = np.full(pool.size, np.inf)
    chosen = group[fits]
    distance[fits] = np.abs(doses[fits, chosen] - gap[chosen]) / targets[chosen]
    for column in doctor:
        rows = fits & (group != column) & (doses[:, column] > 0)
        far = np.abs(doses[rows, column] - gap[column]) / targets[column]
        distance[rows] = np.maximum(distance[rows], far)
    config = advice_config(ev.snapshot.reference)
    if config.fit_past_warning:
        _past_warning(ev, pool, group, distance, config.fit_past_warning)
    amount, least_age = config.fit_past_caution
    if amount and ev.profile.age >= least_age:  # review s44b F5
        distance[fits & unasked_cautioned(ev, doses, ev.targets_or_zero > 0)] += amount
    return distance, group, own


def _past_warning(
    ev: Evaluation, pool: np.ndarray, group: np.ndarray, distance: np.ndarray, past: float
) -> None:
    """`past` added to the distance of each pool product that takes the day's total of its
    `dose_fit` nutrient past a medicine's warning threshold the advice stays within
    (day_totals.advice_within_warning): a thiazide user who takes 5 µg vitamin D is shown the
    10 µg tablet (15 µg a day) before the 20 µg ones (25 µg, past the 20 µg above which the
    thiazide warning asks for a doctor)."""
    totals = ev.safety.totals_with_item
    for column, threshold in advice_within_warning(ev).items():
        rows = group == column
        if rows.any():
            distance[rows] += past * above(totals[pool[rows], column], threshold)


def _shortlist(raw: np.ndarray, indices: np.ndarray, k: int, sku_order: np.ndarray) -> list[int]:
    """The best k*4 by raw score (argpartition on large catalogs), sorted by score then SKU
    (`sku_order`: each product's place in SKU order, Catalog.sku_order)."""
    k = min(indices.size, max(4 * k, 64))
    if k < indices.size:
        part = np.argpartition(-raw[indices], k - 1)[:k]
        indices = indices[part]
    # the last key sorts first: highest raw, then the lower SKU on equal scores
    return indices[np.lexsort((sku_order[indices], -raw[indices]))].tolist()


def role_capped(ev: Evaluation, candidates: np.ndarray, shown: list[int]) -> int | None:
    """`lists.max_per_role` where a candidate the list does not show has a role that many
    products of the list already have (the short list says so, not "only products that meet
    a need": review s32a F6, 8 omega-3 products for a doctor's dose and 2 shown); else None."""
    rest = candidates.copy()
    rest[shown] = False
    if not rest.any():
        return None
    most = advice_config(ev.snapshot.reference).max_per_role
    roles = ev.offer.roles
    shown_roles = roles[shown].tolist()
    full = {r for r in set(shown_roles) if shown_roles.count(r) >= most}
    return most if any(int(r) in full for r in roles[rest].tolist()) else None
