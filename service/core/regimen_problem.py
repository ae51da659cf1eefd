"""The regimen as a mixed-integer program: candidates, pruning and the arrays of the program.

The regimen is a small mixed-integer program, solved exactly by HiGHS (scipy.optimize.milp):

- decision: servings a day s_i (integer, 0..labelled servings) of each candidate product, and
  y_i (chosen or not) with s_i <= max_i * y_i, y_i <= s_i and sum y_i <= max_products;
- guarantee 1 for the whole regimen: intake + sum s_i * a_i <= upper limit, per nutrient with a
  limit (a_i: one serving; combination products count for every nutrient they carry);
- budget: sum s_i * cost of one serving a day for a month <= budget_per_month;
- shortfall h_j >= (target_j - intake_j - sum s_i * a_ij) / target_j, h_j >= 0, per nutrient with
  a target the current supplements do not meet (relative to the target, so that nutrients in
  different units weigh alike);
- overshoot o_j >= (sum s_i * a_ij - gap_j) / target_j, o_j >= 0, per nutrient of scoring.yaml
  `dose_fit` (`nutrients`, and for regimens only `regimen_nutrients`: magnesium, review 8b R2)
  with a target (gap_j = target_j - intake_j, or 0 where that is met): how far the regimen goes
  past the advice, measured as a list measures it (scoring.py `_overshoot`, R8).

Objective, lexicographic, in two stages (the second only where the first's answer overshoots).
Targets come in tiers (targets.yaml `priorities`, target_priority.py, review s10 U2): stage 1
is solved tier by tier, first tier first, each with the shortfall of the tiers before it held
at their optimum (sum of the tier's h_j <= its S*), so no shortfall of a higher tier (folic acid
in pregnancy) is ever given up for a lower one (the iodine aim), cost or pills. One solve with
all tiers alike comes first; it is the answer when it leaves nothing short above the last tier.

1. shortfall first, then cost a month, then pills a day, through weights:

       minimise  W_shortfall * sum_j h_j  +  sum_i cents_i * s_i  +  W_pill * sum_i s_i

2. among the regimens no shorter of the targets than stage 1's answer (sum_j h_j <= S*), the
   overshoot, weighed against cost and pills as the list weighs it against a gap filled
   (r = weights.overshoot / weights.gap_fill of scoring.yaml, R8), then cost, then pills:

       minimise  r * W_shortfall * sum_j o_j  +  sum_i cents_i * s_i  +  W_pill * sum_i s_i

So a regimen takes the 10 µg tablet that fits an advice of 10 µg before cheaper 25 µg drops, as
the list puts it first, but never gives up reaching an advice to overshoot less: folic acid to
600 µg in pregnancy beats missing the 400 µg (the dose band of guarantee 10 bounds every
overshoot; where a medicine's warning threshold lies below the advice, regimen_warnings.py
holds the regimen to the dose closest to it, as the list orders). Stage 1's answer is stage
2's optimum when it does not overshoot (it is the cheapest of the shortest), so stage 2 runs
only when it does. With r = 0, or nothing in
dose_fit, there is only stage 1, the program before R8.

- cost counts in whole cents: cents_i is one serving a day for a month, rounded to the cent;
- W_pill = 1 / (P + 1), P the most pills any allowed regimen can have (the max_products largest
  max_i): all pills together weigh less than one cent, so pills only break ties in cost;
- W_shortfall = (C + 1) / SHORTFALL_RESOLUTION, C the most any allowed regimen can cost in cents
  (the max_products largest max_i * cents_i): a shortfall (in stage 2 an overshoot, at r = 1)
  smaller by SHORTFALL_RESOLUTION (0.1 % of one target) outweighs any difference in cost and
  pills. Realistic C is 500 to 10,000 cents, so W_shortfall stays below about 1e7 and the
  program stays well scaled for HiGHS.

Candidates: see `candidate_mask` (the program checks the limits for the servings it chooses).

Exact pruning keeps the program small: products with nothing for a gap are dropped; max_i is cut
to what the limits and the budget allow and to the servings after which the product alone fills
every gap it serves; a product max_products others dominate is dropped (regimen_prune.undominated).

If HiGHS gives no usable solution in `time_limit`, a greedy fallback adds one serving at a time,
the best shortfall reduction per euro (not weighing the overshoot), within every limit, the
budget and max_products. Every answer is checked against the limits before it is returned.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .advice import advice_of, role_table
from .advice_config import DOCTOR, advice_config
from .advice_extras import medicinal_only, served_targets
from .amounts import above, tolerated
from .catalog import DAYS_PER_MONTH, Catalog
from .doctor_reach import blocked_by_doctor_notice, doctor_short_reach
from .needs import overshot_gap
from .ranking import Evaluation
from .regimen_fit import regimen_fit_columns
from .regimen_instead import beside
from .regimen_prune import caution_cents, undominated
from .safety import life_stage_maxima
from .target_priority import column_ranks

SHORTFALL_RESOLUTION = 1e-3  # relative shortfall below which cost and pills may decide
DEFAULT_MAX_PRODUCTS = 3
# HiGHS's feasibility-jump heuristic costs ~5 ms on tiny programs that HiGHS solves at the root
HIGHS_OPTIONS = {"mip_heuristic_run_feasibility_jump": False}
# safety masks on the labelled daily dose that the program checks for the servings it chooses
SERVINGS_CHECKED = frozenset({"upper_limit", "life_stage_maximum"})


# ---------------------------------------------------------------- tolerances
def slack(values: np.ndarray) -> np.ndarray:
    """Float noise allowed on a limit or target (12.5 + 87.5 must equal 100, not exceed it)."""
    return 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(values)))


def headroom(limits: np.ndarray, intake: np.ndarray) -> np.ndarray:
    """What may still be added per nutrient before its upper limit; inf where none is set."""
    return np.where(np.isnan(limits), np.inf, tolerated(np.nan_to_num(limits)) - intake)


# ---------------------------------------------------------------- the problem
@dataclass(frozen=True)
class ObjectiveWeights:
    shortfall: float  # per unit of relative shortfall, summed over targeted nutrients
    pill: float  # per serving a day; one cent of monthly cost weighs 1


@dataclass(frozen=True)
class RegimenProblem:
    """The choice of a regimen over candidate products, for one profile and request."""

    products: np.ndarray  # catalog index of each candidate
    per_serving: np.ndarray  # (candidates, nutrients): amounts of one serving a day
    labelled: np.ndarray  # labelled servings a day
    max_servings: np.ndarray  # servings worth considering (label, limits, budget, need)
    cost_per_serving: np.ndarray  # euros a month for one serving a day
    cost_cents: np.ndarray  # the same in whole cents (the objective's unit)
    targets: np.ndarray  # (nutrients,): NaN where none
    gaps: np.ndarray  # target - intake where positive, else 0
    headroom: np.ndarray  # limit - intake, inf where no limit; also the offer caps below
    max_products: int
    budget: float | None
    # what the whole regimen may add per nutrient whatever the limits (inf: no cap): the
    # pregnancy cap and the advice band hold for the combination, not only for each product
    offer_caps: np.ndarray | None = None
    # groups of candidates of which a regimen holds at most one: one per role (category), and
    # one source of each banded nutrient (three vitamin D products for a child are no regimen)
    groups: tuple[np.ndarray, ...] = ()
    # (nutrients,) booleans: the scoring.yaml `dose_fit` nutrients with a target, whose amount
    # past the gap counts as overshoot, at `overshoot_weight` per unit of relative shortfall
    fit: np.ndarray | None = None
    overshoot_weight: float = 0.0
    # (nutrients,) tier rank of each target, 0 first (target_priority.py); None: one tier
    ranks: np.ndarray | None = None
    # column -> a medicine's warning threshold (a day's total) the offer caps hold the regimen
    # to (regimen_warnings.held_below_warnings, review 21); its text says so where the target
    # is missed
    warning_caps: dict[int, float] = field(default_factory=dict)
    # column -> a medicine's warning threshold below the advice: the regimen held to the
    # advice, the dose closest to it (regimen_warnings.closest_past_warnings, session 18)
    advice_caps: dict[int, float] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.products)

    @cached_property
    def gap_columns(self) -> np.ndarray:
        return np.flatnonzero(self.gaps > 0)

    @cached_property
    def tiers(self) -> tuple[np.ndarray, ...]:
        """Positions in `gap_columns` per tier with a gap, first tier first."""
        cols = self.gap_columns
        ranks = np.zeros(len(cols), dtype=np.int64) if self.ranks is None else self.ranks[cols]
        return tuple(np.flatnonzero(ranks == r) for r in np.unique(ranks))

    def tier_shortfalls(self, added: np.ndarray) -> np.ndarray:
        """(..., tiers): the sum of relative shortfalls of each tier, first tier first."""
        cols = self.gap_columns
        missing = np.maximum(self.gaps[cols] - added[..., cols], 0.0) / self.targets[cols]
        sums = [missing[..., tier].sum(axis=-1) for tier in self.tiers]
        return np.stack(sums, axis=-1) if sums else np.zeros((*np.shape(added)[:-1], 0))

    def lexicographic(self, servings: np.ndarray) -> tuple[float, ...]:
        """Stage 1's order: shortfall per tier (first first), then cents, then pills."""
        shortfall, cents, pills = self.score(servings)
        tiers = self.tier_shortfalls(self.added(np.asarray(servings, dtype=np.int64)))
        return (*np.round(tiers / SHORTFALL_RESOLUTION, 6).tolist(), cents, pills)

    @cached_property
    def fit_columns(self) -> np.ndarray:
        """Nutrient columns whose overshoot counts: none when the weight is 0."""
        if self.fit is None or self.overshoot_weight <= 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.fit)

    @cached_property
    def weights(self) -> ObjectiveWeights:
        k = self.max_products
        cost_bound = float(np.sort(self.max_servings * self.cost_cents)[-k:].sum())
        pill_bound = float(np.sort(self.max_servings)[-k:].sum())
        return ObjectiveWeights((cost_bound + 1.0) / SHORTFALL_RESOLUTION, 1.0 / (pill_bound + 1.0))

    def added(self, servings: np.ndarray) -> np.ndarray:
        return np.asarray(servings, dtype=float) @ self.per_serving

    def shortfall(self, added: np.ndarray) -> Any:
        """Sum of relative shortfalls for an added-amounts vector (or a stack of them)."""
        cols = self.gap_columns
        missing = np.maximum(self.gaps[cols] - added[..., cols], 0.0)
        return (missing / self.targets[cols]).sum(axis=-1)

    def overshoot(self, added: np.ndarray) -> Any:
        """Sum over the `dose_fit` nutrients of what goes past the gap, relative to the target
        (scoring.py `_overshoot` for a list item; here for the whole regimen)."""
        cols = self.fit_columns
        past = np.maximum(added[..., cols] - self.gaps[cols], 0.0)
        return (past / self.targets[cols]).sum(axis=-1)

    def score(self, servings: np.ndarray) -> tuple[float, int, int]:
        """(relative shortfall, cost in cents, pills): the first stage's objective."""
        servings = np.asarray(servings, dtype=np.int64)
        cents = int((servings * self.cost_cents).sum())
        return float(self.shortfall(self.added(servings))), cents, int(servings.sum())

    def objective(self, servings: np.ndarray) -> float:
        """The first stage: shortfall, then cost, then pills."""
        shortfall, cents, pills = self.score(servings)
        return self.weights.shortfall * shortfall + cents + self.weights.pill * pills

    def fit_objective(self, servings: np.ndarray) -> float:
        """The second stage, among regimens no shorter of the targets than the first stage's:
        overshoot (at the list's ratio to a gap filled), then cost, then pills."""
        _, cents, pills = self.score(servings)
        overshoot = float(self.overshoot(self.added(np.asarray(servings, dtype=np.int64))))
        weight = self.weights.shortfall * self.overshoot_weight
        return weight * overshoot + cents + self.weights.pill * pills

    def feasible(self, servings: np.ndarray) -> bool:
        """Every limit, the budget, the labelled servings and max_products hold."""
        servings = np.asarray(servings)
        if (servings < 0).any() or (servings > self.labelled).any():
            return False
        if int((servings > 0).sum()) > self.max_products:
            return False
        taken = servings > 0
        if any(int(taken[group].sum()) > 1 for group in self.groups):
            return False
        if (self.added(servings) > self.headroom).any():
            return False
        cost = float((servings * self.cost_per_serving).sum())
        return self.budget is None or cost <= self.budget + 1e-9


@dataclass(frozen=True)
class _CatalogArrays:
    labelled: np.ndarray
    per_serving: np.ndarray
    cost_per_serving: np.ndarray
    cost_cents: np.ndarray


_ARRAYS: weakref.WeakKeyDictionary[Catalog, _CatalogArrays] = weakref.WeakKeyDictionary()


def catalog_arrays(catalog: Catalog) -> _CatalogArrays:
    """Per-serving amounts and costs, computed once per catalog (a snapshot's lifetime)."""
    arrays = _ARRAYS.get(catalog)
    if arrays is None:
        arrays = _ARRAYS[catalog] = _compute_arrays(catalog)
    return arrays


def _compute_arrays(catalog: Catalog) -> _CatalogArrays:
    labelled = np.array([p.servings_per_day for p in catalog.products], dtype=np.int64)
    cost = np.array([p.price / p.pack_size * DAYS_PER_MONTH for p in catalog.products], dtype=float)
    return _CatalogArrays(
        labelled,
        catalog.nutrients_per_day / labelled[:, None],
        cost,
        np.rint(cost * 100).astype(np.int64),
    )


def candidate_mask(ev: Evaluation) -> np.ndarray:
    """Products the profile may take: every safety mask and rule, except the per-item upper
    limit and life-stage maximum, within the dose band, and no duplicate (advice.Offer).

    Those two masks check the labelled daily dose; the program checks them for the servings
    it chooses, for the whole combination (guarantee 1 by `headroom`, guarantee 10's maximum
    for the day by `offer_caps`): one 10 µg serving of a 2 x 10 µg spray fits a pregnant woman
    who takes 10 µg, the labelled 20 µg does not. As in lists, no product that only a doctor's
    medicinal dose would ask for (advice_extras.medicinal_only: no iron beside 60 mg, s7 P7).
    """
    blocked = _warned_unneeded(ev) | medicinal_only(ev) | blocked_by_doctor_notice(ev)
    for code, mask in ev.safety.excluded.items():
        if code not in SERVINGS_CHECKED:
            blocked |= mask
    # as in lists: the dose band (no 75 µg tablet for a 10 µg advice), nothing that adds a
    # nutrient taken enough of (review 13: no D3 + K2 beside K2 taken), no multivitamin for
    # gaps it only overshoots (needs.overshot_gap), no doctor's "no product on top" (review 14)
    blocked |= ev.offer.duplicate | overshot_gap(ev.offer) | _not_indicated(ev)
    allowed = ~blocked & ~ev.rule_excluded & ev.rule_required & ev.offer.within_band
    return allowed & beside(ev)  # nothing beside what is named `instead` gives (s36a F2)


def _not_indicated(ev: Evaluation) -> np.ndarray:
    """As lists (advice.Offer.gap_fits): products carrying a nutrient not indicated for the
    person (scoring.yaml goal_indication: iron for a woman of 72), unless the regimen has a gap
    of that nutrient they give (a doctor's iron). Review 14 #1b (session 14): the A-Z
    multivitamin, 14 mg iron and 800 µg retinol, was a woman of 72's regimen for the 5 µg of
    vitamin D that 15 µg taken left, where her list offers a plain 10 µg D3."""
    offer = ev.offer
    keys = ev.snapshot.reference.nutrients.keys
    columns = [keys.index(n) for n in offer.not_indicated]
    if not columns:
        return np.zeros(len(ev.snapshot.catalog), dtype=bool)
    gaps = target_gaps(ev)[columns] > 0
    # ... within that advice with what is taken, one serving a day (review 20d F2: a doctor's
    # 7 mg iron with 3.5 mg taken was "achieved" with a 14 mg capsule, 17.5 mg a day)
    targets = np.nan_to_num(served_targets(ev)[0][columns])[gaps]
    given = catalog_arrays(ev.snapshot.catalog).per_serving[:, columns][:, gaps]
    within = ~above(ev.intake[columns][gaps] + given, targets)
    own = ((given > 0) & within).any(axis=1)
    return np.asarray(offer.goal_not_indicated & ~own)


def _warned_unneeded(ev: Evaluation) -> np.ndarray:
    """Products whose serving takes a nutrient without a target gap past the threshold a day at
    which one of the person's medicines or conditions warns (interactions.yaml `warn`): calcium
    for a thiazide, digoxin or levothyroxine user is added for a calcium advice only, not as
    the passenger of a calcium + D3 chosen for its vitamin D (session 6)."""
    catalog = ev.snapshot.catalog
    out = np.zeros(len(catalog), dtype=bool)
    if not ev.safety.triggered:
        return out
    gaps = target_gaps(ev)
    per_serving = catalog_arrays(catalog).per_serving
    keys = catalog.nutrient_keys
    for interaction in ev.safety.triggered:
        for nutrient, threshold in interaction.warn.items():
            column = keys.index(nutrient)
            if gaps[column] <= 0:
                given = per_serving[:, column]
                out |= (given > 0) & above(ev.intake[column] + given, threshold)
    return out


def target_gaps(ev: Evaluation) -> np.ndarray:
    """Per nutrient: target - intake where a target is not met yet (advice.py `enough_taken`),
    else 0; a doctor's dose we may not supply is no target (s7 P7)."""
    targets = np.nan_to_num(served_targets(ev)[0])
    gaps, met = targets - ev.intake, ev.offer.enough_share * targets
    return np.where((targets > 0) & (gaps > np.maximum(slack(targets), met)), gaps, 0.0)


def regimen_problem(
    ev: Evaluation,
    max_products: int,
    budget: float | None,
    *,
    dose_fit: bool = True,
    warning_caps: dict[int, float] | None = None,
    advice_caps: dict[int, float] | None = None,
) -> RegimenProblem:
    """The program for one evaluation, over pruned candidates (see the module docstring).
    `dose_fit=False` leaves the overshoot out: the program before R8 (bench/regimen.py).
    `warning_caps` (column -> a day's total): what the whole regimen may take each nutrient to,
    a medicine's warning threshold (regimen_warnings.held_below_warnings). `advice_caps` (column
    -> a warning threshold below the advice): the whole regimen held to the advice
    (regimen_warnings.closest_past_warnings)."""
    arrays = catalog_arrays(ev.snapshot.catalog)
    gaps = target_gaps(ev)
    weight = dose_fit_weight(ev.snapshot.reference.weights) if dose_fit else 0.0
    fit = np.array(regimen_fit_columns(ev.snapshot.reference), dtype=bool)
    targets = served_targets(ev)[0]
    fit = fit & (np.nan_to_num(targets) > 0) & (weight > 0)
    # limit - food allowance (guarantee 9); none left where intake already fills it
    room = np.maximum(headroom(ev.safety.room, ev.intake), 0.0)
    caps_offered = offer_caps(ev)
    held = dict(warning_caps or {})
    for column in advice_caps or {}:
        held[column] = min(held.get(column, np.inf), float(np.nan_to_num(targets[column])))
    for column, total in held.items():
        caps_offered[column] = min(caps_offered[column], max(total - float(ev.intake[column]), 0.0))
    room = np.minimum(room, caps_offered)
    gap_cols = np.flatnonzero(gaps > 0)
    mask = candidate_mask(ev) & (arrays.per_serving[:, gap_cols] > 0).any(axis=1)
    index = np.flatnonzero(mask)
    membership = _one_of_membership(ev, index)
    # a product can stand in for another only with the same memberships (dominance below)
    kinds = np.unique(membership, axis=0, return_inverse=True)[1].ravel()
    per_serving = arrays.per_serving[index]
    caps = arrays.labelled[index].astype(float)
    limited = np.flatnonzero(np.isfinite(room))
    with np.errstate(divide="ignore", invalid="ignore"):
        amounts = per_serving[:, limited]
        fits = np.where(amounts > 0, np.floor(room[limited] / amounts), np.inf)
        caps = np.minimum(caps, fits.min(axis=1, initial=np.inf))
        if budget is not None:
            caps = np.minimum(caps, np.floor((budget + 1e-9) / arrays.cost_per_serving[index]))
        gap_amounts = per_serving[:, gap_cols]
        need = np.where(gap_amounts > 0, np.ceil(gaps[gap_cols] / gap_amounts - 1e-9), 0.0)
        caps = np.minimum(caps, need.max(axis=1, initial=0.0))
    caps = np.maximum(caps, 0).astype(np.int64)
    keep = np.flatnonzero(caps > 0)
    penalty = caution_cents(ev, per_serving, gaps)
    binding = np.isfinite(room) & (caps[keep] @ per_serving[keep] > room)
    keep = keep[
        undominated(
            per_serving[keep],
            caps[keep],
            arrays.cost_per_serving[index[keep]] + penalty[keep] / 100.0,
            gaps,
            binding,
            max_products,
            kinds[keep],
            fit,
        )
    ]
    index = index[keep]
    membership = membership[keep]
    keys = ev.snapshot.reference.nutrients.keys
    return RegimenProblem(
        products=index,
        per_serving=per_serving[keep],
        labelled=arrays.labelled[index],
        max_servings=caps[keep],
        cost_per_serving=arrays.cost_per_serving[index],
        cost_cents=arrays.cost_cents[index] + penalty[keep],
        targets=targets,
        gaps=gaps,
        headroom=room,
        max_products=max_products,
        budget=budget,
        offer_caps=caps_offered,
        groups=_groups(membership),
        fit=fit,
        overshoot_weight=weight,
        ranks=column_ranks(ev.snapshot.reference, keys, served_targets(ev)[1]),
        warning_caps=dict(warning_caps or {}),
        advice_caps=dict(advice_caps or {}),
    )


def dose_fit_weight(weights: dict[str, float]) -> float:
    """What a unit of relative overshoot weighs against one of shortfall: scoring.yaml
    weights.overshoot / weights.gap_fill, as a list item's score trades them (0 without a
    gap_fill weight: then a list does not trade them either)."""
    gap_fill = float(weights.get("gap_fill", 0.0))
    overshoot = float(weights.get("overshoot", 0.0))
    return max(overshoot, 0.0) / gap_fill if gap_fill > 0 else 0.0


def _one_of_membership(ev: Evaluation, index: np.ndarray) -> np.ndarray:
    """(candidates, groups) booleans: the groups of which a regimen holds at most one product,
    one per role (category) and one per banded nutrient (scoring.yaml `dose_band`) among the
    products whose role is a nutrient's (a D3, a calcium + D3, a folic acid): one vitamin D
    source, not three drops and chews for a child (a multivitamin with vitamin D counts). For
    the nutrients of scoring.yaml `dose_band.in_passing` a multivitamin carries them only in
    passing and is in no such group (review s5 S2: a vegan multivitamin's 200 µg folic acid
    must not keep a pregnant woman from the folic acid tablet that reaches 400 µg; the band
    and the life stage's cap on the sum, offer_caps, still hold)."""
    reference = ev.snapshot.reference
    table = role_table(ev.snapshot.catalog, reference)
    roles = table.category_role[index]
    columns = [roles == role for role in np.unique(roles)]
    sources = np.isin(roles, table.nutrient_role)
    keys = reference.nutrients.keys
    config = advice_config(reference)
    for nutrient in config.banded:
        if nutrient in keys:
            carries = ev.snapshot.catalog.nutrients_per_day[index, keys.index(nutrient)] > 0
            columns.append(carries & sources if nutrient in config.in_passing else carries)
    # one product for a doctor's dose (review s32a F1: a doctor's 75 µg vitamin K2 as a D3 + K2
    # and K2 drops, the dose over two bottles); a banded nutrient has its group above
    advice = ev.advice
    doctor = advice.columns_of(DOCTOR) if advice else []
    for column in doctor:
        if keys[column] not in config.banded:
            columns.append(ev.snapshot.catalog.nutrients_per_day[index, column] > 0)
    if not columns:
        return np.zeros((len(index), 0), dtype=bool)
    return np.column_stack(columns)


def _groups(membership: np.ndarray) -> tuple[np.ndarray, ...]:
    groups = (np.flatnonzero(membership[:, g]) for g in range(membership.shape[1]))
    return tuple(g for g in groups if g.size > 1)


def offer_caps(ev: Evaluation) -> np.ndarray:
    """Per nutrient, the most a whole regimen may add a day: the life stage's cap (in pregnancy
    and breastfeeding 25 µg vitamin D, product_maxima.yaml) and the advice band (advice.py: 2.5x
    the advice unless a serum level or a doctor's amount raises it). Both hold for every product
    of a list; a regimen combines products, so they hold for the sum (a pregnancy multivitamin
    with 10 µg plus 25 µg drops is 35 µg). A doctor's dose one product reaches only in part
    adds no more than that product (doctor_reach.doctor_short_reach, as its notice says)."""
    keys = ev.snapshot.reference.nutrients.keys
    caps = np.array(advice_of(ev).band_upper, dtype=float, copy=True)
    for column, (_, offered) in doctor_short_reach(ev).items():
        caps[column] = min(caps[column], offered)
    stage = life_stage_maxima(ev.snapshot.reference, ev.profile)
    for nutrient, amount in stage.items():
        if nutrient in keys:
            column = keys.index(nutrient)
            # the life stage's maximum is for the day: what is already taken counts
            left = max(float(amount) - float(ev.intake[column]), 0.0)
            caps[column] = min(caps[column], left)
    return caps
