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

A product whose only need is advice gaps it fills past the advice (with what is taken: "more
than the advised amount") and that gives at least scoring.yaml `lists.overshot_gap.min_unneeded`
nutrients it fills no gap of (a multivitamin) is no answer to those gaps (pharmacist review F6,
session 13: a 30 mg magnesium gap left by a doctor's 180 mg is not answered with a multivitamin
giving 60 mg magnesium and eleven nutrients nobody advised): `overshot_gap`.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .advice_config import CLAIM_CONDITION, DOCTOR, advice_config
from .amounts import above
from .day_totals import crossed_warnings, lowest_warning_thresholds
from .fastnp import nan_to_num
from .target_priority import priorities

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
    learned = np.asarray(score >= offer.config.learned_min_score)
    return learned & ~offer.goal_not_indicated & ~offer.past_warning


def need(offer: Offer) -> np.ndarray:
    """The products offered for a need the profile has (see the module docstring)."""
    from .advice_extras import extra_concern

    extra = extra_concern(offer)
    gap = offer.gap_fits.any(axis=1) & ~overshot_gap(offer)
    answered = (gap | offer.rule_need) & ~extra
    other = (offer.goal_need | offer.learned_need) & ~answered
    if not other.any():
        return answered
    # the costlier check only when a goal or the model brings a product nothing else does
    unowned = extra_concern(cast("Offer", _NoOwnRole(offer)))
    return answered | (other & ~unowned)


def overshot_gap(offer: Offer) -> np.ndarray:
    """Products that give at least `lists.overshot_gap.min_unneeded` nutrients they fill no gap
    of (a multivitamin) and fill every advice gap they fill (`Offer.gap_fits`) past the advice,
    with what the person takes and has in the basket (the reason then says "more than the
    advised amount"), or fill a doctor's dose: no answer to those gaps. A claim's condition of
    use is no advice to overshoot (review s9 A7b).
    Once per Offer (lists, regimens and the doctor's-dose notices ask it); read-only."""
    known = vars(offer).get("_overshot_gap")
    if known is not None:
        return cast(np.ndarray, known)
    ev = offer.ev
    catalog = ev.snapshot.catalog
    out = np.zeros(len(catalog), dtype=bool)
    least = offer.config.overshot_min_unneeded
    if least is not None:
        # only a product giving more than `least` nutrients can fill one and leave that many
        fits = offer.gap_fits
        # any that fills a gap, in the list or not (a regimen asks of every candidate: an
        # A-Z multivitamin whose iron is no need for a woman of 72 is no list candidate)
        fill = ev.features.fill > 0
        rows = ((_nutrient_counts(catalog) > least) & fill.any(axis=1)).nonzero()[0]
        if rows.size:
            per_day = catalog.nutrients_per_day[rows]
            advice = ev.advice
            assert advice is not None  # ranking.evaluate sets it (advice.advice_of)
            targets = nan_to_num(advice.targets, nan=np.inf)  # a new array
            claims = advice.columns_of(CLAIM_CONDITION)
            if claims:
                targets[claims] = np.inf
            over = per_day + ev.intake > targets * (1 + 1e-9)
            # a doctor's dose of one nutrient is answered by a product for it, never by a
            # multivitamin (review 14: the women's multivitamin, 14 mg iron and retinol, beside
            # the folic acid tablet for a doctor's 1000 µg folic acid)
            doctor = advice.columns_of(DOCTOR)
            if doctor:
                over[:, doctor] = True
            # the gaps it fills in the list, else (no list candidate) every gap it fills
            fits_rows, fill_rows = fits[rows], fill[rows]  # each row once (issue 16)
            listed = np.asarray(fits_rows.any(axis=1))
            filled = np.where(listed[:, None], fits_rows, fill_rows)
            overshoots = (~filled | over).all(axis=1)
            unneeded = ((per_day > 0) & ~fill_rows).sum(axis=1)
            out[rows] = overshoots & (unneeded >= least)
    out |= _doctor_adds(offer)
    out.flags.writeable = False
    vars(offer)["_overshot_gap"] = out
    return out


def _doctor_adds(offer: Offer) -> np.ndarray:
    """Products whose every gap filled is a doctor's dose (`higher_dose_advised`) and that give
    a nutrient they fill no gap of, where for each of those doses a product the list may offer
    fills it with nothing unasked: a doctor's dose of one nutrient is answered by a product for
    it (review s32a F1-F3: a man of 40 with no vitamin D advice and a doctor's 100 µg vitamin
    K2 was offered a D3 + K2 with 25 µg of vitamin D, "gives 100 µg of vitamin K2" and not a
    word of the D, and a regimen of a D3 + K2 and K2 drops; a doctor's 20 µg vitamin D got a
    D3 + K2 first, a doctor's 1,000 mg omega-3 a cod-liver oil with retinol). Where only such a
    product gives the dose, it stays."""
    ev = offer.ev
    out = np.zeros(len(ev.snapshot.catalog), dtype=bool)
    advice = ev.advice
    doctor = advice.columns_of(DOCTOR) if advice else []
    if not doctor:
        return out
    fill = ev.features.fill > 0
    fits = offer.gap_fits
    # the gaps it fills in the list, else (no list candidate) every gap it fills
    filled = np.where(np.asarray(fits.any(axis=1))[:, None], fits, fill)
    others = np.ones(fill.shape[1], dtype=bool)
    others[doctor] = False
    only_doctor = filled.any(axis=1) & ~filled[:, others].any(axis=1)
    adds = ((ev.snapshot.catalog.nutrients_per_day > 0) & ~fill).any(axis=1)
    # what a list may offer for the dose, but for need (which reads this module)
    offered = ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required
    offered &= offer.within_band & ~offer.duplicate
    clean = fits[offered & ~adds]
    answered = np.ones(fill.shape[1], dtype=bool)
    answered[doctor] = clean[:, doctor].any(axis=0)
    # out: every doctor's dose it fills has a product for it alone
    return np.asarray(only_doctor & adds & ~(filled & ~answered).any(axis=1))


def _nutrient_counts(catalog: Any) -> np.ndarray:
    """How many nutrients each product gives, once per catalog."""
    known = _COUNTS.get(catalog)
    if known is None:
        known = _COUNTS[catalog] = np.count_nonzero(catalog.nutrients_per_day > 0, axis=1)
    return known


_COUNTS: weakref.WeakKeyDictionary[Any, np.ndarray] = weakref.WeakKeyDictionary()


class _NoOwnRole:
    """The Offer as `extra_concern` reads it, with no product's category role as its own
    nutrient: what a goal's claim names (`goal_served`) and an advice gap stay needs."""

    def __init__(self, offer: Offer) -> None:
        self._offer = offer
        self.roles = np.full(len(offer.ev.snapshot.catalog), -1, dtype=np.int64)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._offer, name)


def no_need_detail(offer: Offer, index: int) -> str:
    """Why a goal's claim or a rule's reason that speaks to a product is no need for it (explain
    and the preview): it takes a nutrient past a warning threshold of the person's medicines or
    conditions, or carries a nutrient the person is not indicated for; "" otherwise."""
    if not (offer.goal_claims[index] or offer.rule_reasons[index]):
        return ""
    if offer.past_warning[index]:
        return (
            "; a goal or rule speaks to it, but it takes the day past a warning threshold of"
            " the person's medicines or conditions (interactions.yaml warn)"
        )
    if offer.goal_not_indicated[index]:
        return (
            f"; a goal or rule speaks to it, but it carries {', '.join(offer.not_indicated)},"
            " not indicated for this profile (scoring.yaml lists.goal_indication)"
        )
    return ""


def warned_out_by(offer: Offer) -> frozenset[str]:
    """Ids of the interactions whose warning kept out a product a goal or a rule spoke to
    (`Offer.past_warning`), or an advice past which it goes (`past_advice_warned`), and
    nothing else asks for: the list says why with the interaction's notice, as for an aim of
    ours (review 16 F7): a person on digoxin with the goal muscles hears why there is no
    vitamin D (review 20b F1)."""
    ev = offer.ev
    if not lowest_warning_thresholds(ev):
        return frozenset()
    known = ev.memo.get("warned_out_by")  # every locale's notices and no_items ask
    if known is None:
        known = ev.memo["warned_out_by"] = _warned_out_by(offer)
    return cast(frozenset, known)


def _warned_out_by(offer: Offer) -> frozenset[str]:
    ev = offer.ev
    out = (offer.goal_claims | offer.rule_reasons) & offer.past_warning & ~offer.need
    # ... or an advice of the warned nutrient itself would have brought past that advice
    # (left open in s20: a thiazide user's doctor's 250 mg calcium, our products 400 mg and more)
    out |= past_advice_warned(offer) & ~offer.need
    # ... that nothing else keeps out: not a nutrient taken enough of (20 µg vitamin D taken
    # with a thiazide: "enough", not the thiazide, is why there is no more), the band, safety
    out &= ~offer.duplicate & offer.within_band & ev.safety.allowed() & ~ev.rule_excluded
    if not out.any():
        return frozenset()
    crossed = crossed_warnings(ev, ev.snapshot.catalog.nutrients_per_day[out])
    return frozenset(i.id for i in crossed)


def past_warning(offer: Offer) -> np.ndarray:
    """Products that take a nutrient past the lowest warning threshold of the person's
    medicines or conditions (interactions.yaml `warn`, not a `timing` one; the day with
    what is taken): a goal, a rule's reason or a learned preference is no reason to offer
    them, as no aim of ours past it is a target (review 16 F7). A woman of 80 on digoxin
    and a thiazide with the goal bones was offered 400 and 500 mg calcium for its claim,
    which the same profile without the goal was not (review 20b F1). Nor is an advice gap
    of another nutrient (`gap_fits`): a liver patient's magnesium gap brought a women's
    multivitamin with iron and retinol, a thiazide user's vitamin D a calcium + D3 (re-review
    20d F1; the regimen's `_warned_unneeded` likewise). An advice or a doctor's dose of the
    warned nutrient itself stays, with the warning, within that advice with what is taken
    (`past_advice_warned`)."""
    return _warned(offer)[0]


def past_advice_warned(offer: Offer) -> np.ndarray:
    """Products filling an advice gap (not an aim of ours) of a nutrient past its warning
    threshold, and past that advice with what is taken: kept out (`past_warning`), where the
    advice alone would have brought them. A thiazide user's doctor advised 250 mg calcium,
    and 400 and 500 mg were offered "more than the advised amount"; with 10 µg vitamin D taken
    the 20 µg product followed the 10 µg one for the advice of 20 µg (left open in s20)."""
    return _warned(offer)[1]


def _warned(offer: Offer) -> tuple[np.ndarray, np.ndarray]:
    """(`past_warning`, `past_advice_warned`), once per Offer; read-only."""
    known = vars(offer).get("_warned")
    if known is not None:
        return cast("tuple[np.ndarray, np.ndarray]", known)
    catalog = offer.ev.snapshot.catalog
    thresholds = lowest_warning_thresholds(offer.ev)
    none = np.zeros(len(catalog), dtype=bool)
    out = none, none
    if not thresholds:  # most profiles: no medicine or condition with a warning threshold
        none.flags.writeable = False
        vars(offer)["_warned"] = out
        return out
    columns = list(thresholds)
    per_day = catalog.nutrients_per_day[:, columns]
    limits = np.array([thresholds[c] for c in columns])
    past = (per_day > 0) & above(offer.ev.intake[columns] + per_day, limits)
    if past.any():
        # an aim of ours is no advice to go past a warning for (re-review 20f F3: the goal
        # heart's 250 mg omega-3 aim brought 1,000 mg past an antiplatelet's 900 mg)
        keys, ids = offer.ev.snapshot.reference.nutrients.keys, offer.ev.target_ids
        ours = priorities(offer.ev.snapshot.reference).is_ours
        advised = np.array([not ours(ids.get(keys[c])) for c in columns])
        advised = offer.gap_need[:, columns] & advised
        targets = nan_to_num(offer.ev.targets[columns], nan=np.inf)
        within = ~above(offer.ev.intake[columns] + per_day, targets)
        kept = np.asarray((past & ~(advised & within)).any(axis=1))
        out = kept, np.asarray(kept & (past & advised & ~within).any(axis=1))
    for mask in out:
        mask.flags.writeable = False
    vars(offer)["_warned"] = out
    return out


def not_indicated_unless_advised(offer: Offer) -> np.ndarray:
    """Products carrying a nutrient not indicated for the profile that fill no advice gap
    of such a nutrient themselves, or go past that advice with what is taken: a doctor's
    7 mg iron for a woman of 75 is no reason for a multivitamin with 14 mg (review 20b F4)."""
    ev = offer.ev
    keys = ev.snapshot.reference.nutrients.keys
    columns = [keys.index(n) for n in offer.not_indicated]
    if not columns:
        return np.zeros(len(ev.snapshot.catalog), dtype=bool)
    fills = offer.gap_need[:, columns]
    if not fills.any():  # most profiles: no advice of such a nutrient
        return offer.goal_not_indicated
    day = ev.intake[columns] + ev.snapshot.catalog.nutrients_per_day[:, columns]
    within = ~above(day, nan_to_num(ev.targets[columns], nan=np.inf))
    return np.asarray(offer.goal_not_indicated & ~(fills & within).any(axis=1))


def goal_unclaimed(offer: Offer) -> tuple[str, ...]:
    """`Offer.not_indicated`, and the nutrients a goal's claim may not bring in the profile's
    life stage or below an age (scoring.yaml goal_indication `goal_not_life_stages`: iron in
    pregnancy, which follows a measured haemoglobin, review s35a F5: 7 and 14 mg iron for the
    goal energy beside a pregnancy multivitamin with 14 mg; `goal_min_age`: magnesium for a
    child's goal bones, s35a F6). An advice or a rule may still bring such a product."""
    profile, rules = offer.ev.profile, offer.config.goal_indication.items()
    barred = [
        n
        for n, r in rules
        if profile.life_stage in r.goal_not_life_stages or profile.age < r.goal_min_age
    ]
    return (*offer.not_indicated, *barred)


def goal_barred(offer: Offer) -> np.ndarray:
    """Products carrying a nutrient of `goal_unclaimed`: no goal alone brings them."""
    keys = offer.ev.snapshot.reference.nutrients.keys
    columns = [keys.index(n) for n in goal_unclaimed(offer) if n not in offer.not_indicated]
    if not columns:
        return np.zeros(len(offer.ev.snapshot.catalog), dtype=bool)
    return np.asarray(offer.ev.snapshot.catalog.nutrients_per_day[:, columns].max(axis=1) > 0)


def kept_out(offer: Offer) -> np.ndarray:
    """`Offer.kept_out`: `past_warning` or `not_indicated_unless_advised` (lists' rule
    reasons and advice gaps, and the products that may answer a doctor's dose, alike)."""
    return offer.past_warning | not_indicated_unless_advised(offer)


def past_advice_warned_taken(ev: Any, as_taken: bool = True) -> dict[int, list[int]]:
    """{product: nutrient columns} of products that, on top of what the evaluation counts as
    taken, go past the lowest warning threshold of a medicine or condition for a nutrient and
    past the advice for it (a health council's, a measured level's or a doctor's, not an aim
    of ours): a reorder or a buy-again item no longer fits (re-review 21 #10: a thiazide
    user's doctor advised 250 mg calcium, and her 500 mg calcium was reordered and offered to
    buy again, where the list offers none past the advice, `past_advice_warned`). Without an
    advice of the nutrient a product bought continues with the medicine's warning, as before.
    A product the profile says is taken at fewer servings than the label's counts those (one
    250 mg tablet a day of a two-a-day calcium is within the doctor's 250 mg), unless
    `as_taken` is False: buy-again shows the label's servings, and is checked at them
    (re-review 22 U3). Once per evaluation and flag."""
    memo_key = ("past_advice_warned_taken", as_taken)
    known = ev.memo.get(memo_key)
    if known is not None:
        return cast("dict[int, list[int]]", known)
    out: dict[int, list[int]] = {}
    thresholds = lowest_warning_thresholds(ev)
    keys, ids = ev.snapshot.reference.nutrients.keys, ev.target_ids
    ours = priorities(ev.snapshot.reference).is_ours
    columns = [c for c in thresholds if not np.isnan(ev.targets[c]) and not ours(ids.get(keys[c]))]
    if columns:
        catalog = ev.snapshot.catalog
        per_day = catalog.nutrients_per_day[:, columns].copy()
        for line in ev.profile.current_supplements if as_taken else ():
            index = catalog.index.get(line.sku) if line.sku else None
            label = None if index is None else catalog.products[index].servings_per_day
            if label and line.servings_per_day and line.servings_per_day < label:
                per_day[index] *= line.servings_per_day / label
        day = ev.intake[columns] + per_day
        limits = np.array([thresholds[c] for c in columns])
        past = (per_day > 0) & above(day, limits) & above(day, ev.targets[columns])
        for row, found in zip(*np.nonzero(past), strict=True):
            out.setdefault(int(row), []).append(columns[int(found)])
    ev.memo[memo_key] = out
    return out


def quoted_claims(table: Any, rule: Any, reference: Any) -> frozenset[str]:
    """The authorised claims a rule's reason quotes (as `ClaimTable.rule_fits` finds them),
    kept with the claim table per rule id and reason."""
    key = (rule.id, (rule.reason or {}).get("en", ""))
    found = table.rule_claims.get(key)
    if found is None:
        text = key[1].lower()
        found = table.rule_claims[key] = frozenset(
            c
            for c, claim in reference.claims.items()
            if claim.text["en"].lower().rstrip(".") in text
        )
    return cast(frozenset, found)


def claims_met(ev: Any) -> frozenset[str]:
    """The authorised claims whose goals what is taken and in the basket already serves, once
    per evaluation: at least half the NRV of the claim's nutrient a day, never less than the
    claim's own condition of use (advice_config `claim_served`: scoring.yaml
    `lists.goal_served`, claims.yaml), counting no line the answer warns about
    (`line_notices.warned_lines`: an unsuited multivitamin serves nothing). A goal's claim or
    a rule's reason quoting one is then no reason to add a product of it (review s26 P1,
    P3; s26b B3)."""
    found = ev.memo.get("claims_met")
    if found is None:
        found = frozenset()
        if (ev.intake > 0).any():
            from .line_notices import warned_lines

            reference = ev.snapshot.reference
            config = advice_config(reference)
            warned = warned_lines(ev)  # never credited (review s26b B3: an unsuited multi)
            credited = np.zeros(len(reference.nutrients.keys))
            for i, line in enumerate(ev.resolved):
                if i not in warned:
                    credited += line.amounts
            met = (config.claim_nutrients @ credited) >= config.claim_served
            ids = tuple(reference.claims)
            found = frozenset(ids[c] for c in np.flatnonzero(met).tolist())
        ev.memo["claims_met"] = found
    return found


def goals_served_by_taken(ev: Any, goals: tuple[str, ...], table: Any, found: np.ndarray) -> Any:
    """`found` (the products a claim of which speaks to one of `goals`) less those whose every
    such claim what is taken already meets (`claims_met`): the goal is served, and a second
    product of it serves nothing more (review s26 P1: a woman planning a pregnancy on a
    multivitamin with 150 µg iodine was offered a second 150 µg iodine tablet for the thyroid
    claim, 600 of at most 600 µg with food; P3: a pregnant woman on a multivitamin with iron
    was offered 7 and 14 mg more iron for tiredness). An advice, a rule that quotes no claim
    met, or a doctor's dose still brings one."""
    met = claims_met(ev)
    if not met or not found.any():
        return found
    claims = ev.snapshot.reference.claims
    wanted = set(goals)
    open_ = np.array(
        [bool(wanted & set(claims[c].goals)) and c not in met for c in table.claim_ids],
        dtype=bool,
    )
    out = found & (table.carried & open_).any(axis=1)
    if (out != found).any():
        ev.memo["goal_served"] = True  # no_items says so (review s26b B3)
    return out
