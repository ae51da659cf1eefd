"""The replacement of a product of the reorder that no longer fits: the same need (a nutrient
the product gives, a goal through a claim of one, a shop rule, the model) served by a product
that fits, preferring one that adds no nutrient the product did not give (split from plan.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..advice import advice_of, claim_table
from ..fastnp import flatnonzero
from ..needs import past_advice_warned_taken
from ..rank_order import fit_order
from ..ranking import Evaluation
from ..reason_texts import has_reason
from ..target_priority import priorities
from ..vocabulary import LOCALES

if TYPE_CHECKING:
    from ..profile import Profile
    from .settings import RefillConfig


# at most this many products in place of one multivitamin (the list names as many as it needs)
MULTI_REPLACEMENTS = 4


def fits(ev: Evaluation, continuing: int | None = None) -> np.ndarray:
    """Products that fit the evaluation (the mask behind `exclusions`): and none past a
    medicine's warning and the advice of that nutrient (needs.past_advice_warned_taken). The
    product at `continuing` is one the customer goes on with: that it is taken already is no
    reason (`SafetyResult.allows_continuing`; the refill plan's `exclusions` skip it too)."""
    allowed = ev.safety.allowed()
    if continuing is not None:
        allowed[continuing] = ev.safety.allows_continuing(continuing)
    mask = allowed & ~ev.rule_excluded & ev.offer.within_band
    warned = past_advice_warned_taken(ev)
    if warned:
        mask[list(warned)] = False
    return mask


def replacement(
    ev: Evaluation,
    index: int,
    avoid: set[str] | frozenset[str] = frozenset(),
    two_roles: bool = False,
) -> int | None:
    """The best product of the same role (the same need: vitamin D for vitamin D) that fits
    and that the plain list would offer (Offer.allowed: within the band, no duplicate of what
    is covered by what is taken, the basket and the reorder so far, for a need) with a true
    reason about itself in every locale; by the recommender's score, then the closest price a
    month; None when there is none. Products in `avoid` (the rest of the reorder) are not
    chosen. `two_roles`: a product of two nutrients too, where none of its role fits (the
    list's notices, after trying each product's own role: instead._taken_instead, whose
    `instead_short.with_short` then says what advice what is named leaves open; not /refills,
    whose replacement would not say that the doctor's calcium of a child's calcium + D3 is
    lost: review s30b F2)."""
    found = _replacement(ev, index, avoid, same_role=True)
    if found is not None and _broad(ev, index) and _fits_worse(ev, index, found):
        # review s34a F3, F5: a women's multivitamin (retinol, iron, calcium) in place of a
        # pregnancy multivitamin whose vitamin D was the only advice it still served, and
        # omega-3 with 20 µg vitamin D for a pregnant woman's cod-liver oil of 10 µg (advised:
        # 10 µg): what serves the advice it served, of any role, where that fits as it did
        other = _replacement(ev, index, avoid, same_role=False)
        if other is not None and not _fits_worse(ev, index, other):
            return other
    if found is None and not two_roles:
        found = _losing_only_excluded(ev, index, avoid)  # review s35d F3
    if found is None and (_broad(ev, index) or two_roles and _two_or_more(ev, index)):
        # session 18 pharmacist review: a multivitamin with vitamin K1 for a woman of 72 on a
        # vitamin K antagonist had "no safe alternative" while her list offers a 20 µg D3:
        # what serves an advice gap of a nutrient it gave, of any role
        found = _replacement(ev, index, avoid, same_role=False)
    return found


def second_replacement(ev: Evaluation, index: int, first: int, avoid: Any) -> int | None:
    """Beside `first`, the replacement of a product of many roles (a multivitamin), one more
    product of another role for an advice gap it served that `first` leaves open in `ev` (the
    day with `first` taken); None where none is left or none fits. The German pregnancy
    multivitamin beside a lasting 20 µg D3 (30 µg together, above the 25 µg that suits
    pregnancy) was replaced by folic acid alone, and her iodine was lost (session 18 left open;
    session 19)."""
    return next_replacement(ev, index, [first], avoid)


def next_replacement(ev: Evaluation, index: int, chosen: list[int], avoid: Any) -> int | None:
    """`second_replacement` beside all of `chosen` (`ev`: the day with them taken): one more
    product for an advice gap of a nutrient the product at `index` gave and none of `chosen`
    gives (review s27 F1: the plain list named folic acid alone in place of a pregnant woman's
    women's multivitamin, and her iodine was lost)."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    if not many_roles(ev, index):
        return None
    still_open = (per_day[index] > 0) & (ev.features.fill > 0).any(axis=0)
    named = (per_day[chosen] > 0).any(axis=0)
    # given only in passing by a multivitamin named, not by a product of its own (review s28b
    # F5: no methylfolate beside the folic acid tablet named for a doctor's 1,000 µg)
    own = [i for i in chosen if not many_roles(ev, i)]
    passing_only = named & ~(per_day[own] > 0).any(axis=0)
    # first a gap of a nutrient none of `chosen` gives (review s27b B: the doctor's 1,000 µg
    # folic acid of a pregnant woman, half filled by the first, ranked a second folic acid
    # first, which was refused, and her iodine was never tried); then one they give but leave
    # open, of an advice, not an aim of ours, that a multivitamin carries in passing
    # (scoring.yaml dose_band.in_passing: folic acid and iodine, not a second vitamin D source;
    # session 28: a vegan multivitamin named in place of a pregnant woman's men's multivitamin
    # gave 200 of her 400 µg folic acid, and no folic acid was named beside it; not a goal's
    # magnesium beside a pregnancy multivitamin)
    # (a gap it fills is of a nutrient it gives: no check of what it gives after)
    from ..advice_config import advice_config
    from ..advice_open import advised_columns

    keys = ev.snapshot.reference.nutrients.keys
    passing = np.isin(keys, advice_config(ev.snapshot.reference).in_passing)
    second = still_open & passing_only & passing & advised_columns(ev)
    for gives in (still_open & ~named, second):
        if gives.any():
            pick = _replacement(ev, index, avoid, same_role=False, gives=gives)
            if pick is not None:
                return pick
    return None


def gap_replacement(ev: Evaluation, index: int, avoid: Any, gives: np.ndarray) -> int | None:
    """The best product of any role for an advice gap of the nutrients `gives` (of those the
    product at `index` gave, what others named in its place leave open: instead._named_for)."""
    return _replacement(ev, index, avoid, same_role=False, gives=gives)


def still_lost(snapshot: Any, why: dict[str, list[str]], given: list[int]) -> dict[str, list[str]]:
    """`why` without the nutrients its replacements give among those it was the only source
    of (`only_source`): "It was also your only source of ... folic acid ... and iodine" beside
    the folic acid and the iodine tablet that replace it."""
    if "only_source" not in why:
        return why
    keys = snapshot.reference.nutrients.keys
    gives = (snapshot.catalog.nutrients_per_day[given] > 0).any(axis=0)
    lost = [key for key in why["only_source"] if not gives[keys.index(key)]]
    out = {code: keys_ for code, keys_ in why.items() if code != "only_source"}
    return {**out, "only_source": lost} if lost else out


def _fits_worse(ev: Evaluation, index: int, pick: int) -> bool:
    """`pick` in the place of the product at `index` gives a nutrient that one did not give, or
    takes the day of a nutrient past its advice (the list's "more than the advised amount")
    where that one did not."""
    if adds_nutrients(ev.snapshot.catalog, index, [pick]):
        return True
    per_day = ev.snapshot.catalog.nutrients_per_day
    targets = advice_of(ev).targets
    has = (per_day[pick] > 0) & (targets > 0)
    ceiling = targets * (1 + 1e-9)
    past = has & (per_day[pick] + ev.intake > ceiling) & (per_day[index] + ev.intake <= ceiling)
    return bool(past.any())


def _losing_only_excluded(ev: Evaluation, index: int, avoid: Any) -> int | None:
    """For a product of two or three nutrients (a calcium + D3), its replacement of another
    role where that loses only what a medicine or condition of the person excludes (the
    calcium, with kidney stones): /refills names it as the list does (review s35d F3: left out
    with "ask your doctor" while the list named a 20 µg D3); None where it would lose more
    (s30c F2: a child's doctor's calcium of a calcium + D3 + K2), or there is none."""
    from ..line_notices import conflicting

    per_day = ev.snapshot.catalog.nutrients_per_day
    if not _two_or_more(ev, index) or _broad(ev, index):
        return None
    excluded = conflicting(ev, per_day[index])
    other = _replacement(ev, index, avoid, same_role=False) if excluded else None
    if other is None:
        return None
    lost = flatnonzero((per_day[index] > 0) & ~(per_day[other] > 0)).tolist()
    return other if lost and set(lost) <= set(excluded) else None


def _two_or_more(ev: Evaluation, index: int) -> bool:
    """A product that gives more than one nutrient (a multivitamin, a calcium + D3, an omega-3
    with D): where none of its role fits, what serves an advice gap of one of them may, of any
    role, in the list's notices (review s30a F3: a fish-allergic child of 3 on a fish-oil
    omega-3 + D chew, none of its role suiting a child, got kids' D3 drops offered beside it,
    not named in its place)."""
    return int((ev.snapshot.catalog.nutrients_per_day[index] > 0).sum()) > 1


def _broad(ev: Evaluation, index: int) -> bool:
    """A multivitamin, more than a few nutrients: /refills replaces it by products of other
    roles for its advice gaps (session 19); not a calcium + D3 + K2, whose calcium a child's
    D3 drops would lose without a word (review s30c F2): only the list, which says so."""
    return int((ev.snapshot.catalog.nutrients_per_day[index] > 0).sum()) > 3


def many_roles(ev: Evaluation, index: int) -> bool:
    """A product that gives more nutrients than its role names (a multivitamin)."""
    return int((ev.snapshot.catalog.nutrients_per_day[index] > 0).sum()) > 2


def _replacement(
    ev: Evaluation, index: int, avoid: Any, same_role: bool, gives: np.ndarray | None = None
) -> int | None:
    """See `replacement`; `gives`: the nutrients whose gaps count (default: all the product
    at `index` gives)."""
    table = ev.offer.role_table
    catalog = ev.snapshot.catalog
    # what the plain list may offer is within the band and no duplicate (Offer.allowed), both
    # known without the ranking: when nothing of the role passes them, no ranking is needed
    # (about half the checks of a daily run; tests/test_refill_shared.py pins the subset)
    role = table.category_role == table.category_role[index]
    candidates = fits(ev) & ~ev.offer.duplicate
    if same_role:
        candidates &= role
    candidates[index] = False
    if avoid:
        candidates &= ~catalog.sku_mask(set(avoid))
    if not candidates.any():
        return None
    # and for a need (Offer.need): a gap it fills, a rule's or a goal's reason, the model;
    # the need's last check (a concern it also gives, the costliest) only for what is left
    # review 9b F6: a gap only of a nutrient the product replaced gives (not the vitamin D
    # advice for an algae omega-3 with D in the place of a fish oil nothing calls for)
    # or of a goal through a claim of such a nutrient (the immunity goal is no call for the D)
    offer = ev.offer
    if gives is None:
        gives = catalog.nutrients_per_day[index] > 0
    if same_role:
        candidates &= (
            offer.gap_fits[:, gives].any(axis=1)
            | offer.rule_need
            | _goal_need_of(ev, gives, candidates)
            | offer.learned_need
        )
    else:  # of another role only for an advice gap of a nutrient it gave
        candidates &= offer.gap_fits[:, gives].any(axis=1)
    if not candidates.any():
        return None
    candidates &= offer.allowed
    price = catalog.price_per_month[index]
    # of another role, the gap of the first tier first (targets.yaml priorities; review s27
    # F1: a goal's magnesium was named in place of a pregnant woman's multivitamin, before
    # her folic acid and iodine); of the same role the tier is the same for all
    tier = _gap_tier(ev, gives) if not same_role else None
    ranked = sorted(
        flatnonzero(candidates).tolist(),
        key=lambda i: (
            0 if tier is None else tier[i],
            -float(ev.raw[i]),
            abs(float(catalog.price_per_month[i] - price)),
            catalog.products[i].sku,
        ),
    )
    # review s8 Q3: first those that give no nutrient the product replaced did not (no K2
    # slipped into the place of a plain D3), each part in the order of dose fit (review s7
    # P3: not a dose past the advice for one past it)
    adds = set(adds_nutrients(catalog, index, ranked))
    ranked = fit_order(ev, [i for i in ranked if i not in adds]) + fit_order(
        ev, [i for i in ranked if i in adds]
    )
    return next((i for i in ranked if reasoned(ev, i)), None)


def _gap_tier(ev: Evaluation, gives: np.ndarray) -> np.ndarray:
    """Per product, the first tier (targets.yaml priorities) of an advice gap it fills among
    the nutrients `gives`; a large number where it fills none."""
    keys = ev.snapshot.reference.nutrients.keys
    ids = advice_of(ev).target_ids
    rank = priorities(ev.snapshot.reference).rank
    tiers = np.array([rank(ids.get(key)) if key in ids else 99 for key in keys], dtype=float)
    fills = ev.offer.gap_fits & gives[None, :]
    return np.where(fills, tiers[None, :], 99.0).min(axis=1)


def reasoned(ev: Evaluation, index: int) -> bool:
    """The product has a true reason about itself in `ev` in every locale (`item_reasons`
    would give one: `has_reason`)."""
    return all(has_reason(ev, index, locale) for locale in LOCALES)


def _goal_need_of(ev: Evaluation, gives: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Of `candidates`, those a goal of the profile calls for (Offer.goal_need) through a claim
    of a nutrient in `gives` (review 9b F6)."""
    offer, reference = ev.offer, ev.snapshot.reference
    keys = reference.nutrients.keys
    given = {keys[c] for c in flatnonzero(gives).tolist()}
    goals = set(offer.goals)
    claims = claim_table(ev.snapshot.catalog, reference).claims
    need = np.zeros(len(candidates), dtype=bool)
    for i in flatnonzero(candidates & offer.goal_need).tolist():
        need[i] = any(
            goals & set(reference.claims[c].goals) and given & set(reference.claims[c].nutrients)
            for c in claims[i]
        )
    return need


def adds_nutrients(catalog: Any, index: int, others: list[int]) -> list[int]:
    """Those of `others` that give a nutrient the product at `index` does not give."""
    if not others:
        return []
    gives = catalog.nutrients_per_day[index] > 0
    more = (catalog.nutrients_per_day[others] > 0) & ~gives
    return [i for i, extra in zip(others, more.any(axis=1).tolist(), strict=True) if extra]


def once(ev: Evaluation, compute: Any, *args: Any) -> list[dict[str, str]]:
    """`compute(ev, *args)`, worked out once per evaluation (customers who share an
    evaluation in the batch job share its texts); kept on the evaluation, a fresh list each."""
    memo = ev.__dict__.setdefault("_refill_texts", {})
    key = (compute.__name__, *args)
    if key not in memo:
        memo[key] = compute(ev, *args)
    return list(memo[key])


def replacement_once(ev: Evaluation, index: int, avoid: set[str]) -> int | None:
    """`replacement`, worked out once per evaluation, product and products avoided: the
    customers who share an evaluation (the batch cache) share its answers. Kept on the
    evaluation itself, so it goes when the evaluation does."""
    memo = ev.__dict__.setdefault("_refill_replacements", {})
    key = (index, frozenset(avoid))
    if key not in memo:
        memo[key] = replacement(ev, index, avoid)
    return memo[key]


def no_advice(ev: Evaluation, index: int) -> list[str]:
    """The nutrients of a product nothing in the profile as it is now calls for: no advice
    for any of them (a doctor's dose and a measured level are advice too), and no rule's or
    goal's reason for a product of its role (review s7 P11: the kids' vitamin D drops at 13 in
    NL, where the Gezondheidsraad advises vitamin D to none of her groups). Empty when
    anything calls for one: then "no safe alternative" stands."""
    keys = ev.snapshot.reference.nutrients.keys
    gives = flatnonzero(ev.snapshot.catalog.nutrients_per_day[index] > 0)
    if not gives.size or (~np.isnan(ev.targets[gives])).any():
        return []
    offer = ev.offer
    role = offer.role_table.category_role == offer.role_table.category_role[index]
    # a goal only through a claim of what it gives (review 9b F6: the immunity goal calls for
    # the vitamin D of an algae omega-3 with D, not for the omega-3 of a fish oil)
    given = ev.snapshot.catalog.nutrients_per_day[index] > 0
    if (role & (offer.rule_need | _goal_need_of(ev, given, role))).any():
        return []
    return [keys[int(c)] for c in gives]


def outgrown(profile: Profile, config: RefillConfig, ev: Evaluation, index: int) -> list[str]:
    """`no_advice` of a product a child takes (under refills.yaml
    `reorder_needs_advice_below_age`): what nothing in the profile calls for any more. Empty
    for an adult, whose own choice is reordered as bought (review s34a F2)."""
    if profile.age >= config.reorder_needs_advice_below_age:
        return []
    return no_advice(ev, index)


def fits_days(days: list[Evaluation], index: int) -> bool:
    """It fits each day (safety, excludes, dose band), no second source in the last."""
    return all(bool(fits(ev)[index]) for ev in days) and not days[-1].offer.duplicate[index]


def covered_by(ev: Evaluation, index: int, accepted: list[tuple[str, float]]) -> list[str]:
    """SKUs already in the reorder that serve the same role as the product at `index`."""
    table = ev.offer.role_table
    catalog = ev.snapshot.catalog
    role = table.category_role[index]
    return [sku for sku, _ in accepted if table.category_role[catalog.index[sku]] == role]
