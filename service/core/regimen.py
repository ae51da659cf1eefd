"""One daily combination of products for a profile (POST /v1/regimens), and the basket suggestion.

The regimen is a small mixed-integer program, solved exactly by HiGHS (scipy.optimize.milp):

- decision: servings a day s_i (integer, 0..labelled servings) of each candidate product, and
  y_i (chosen or not) with s_i <= max_i * y_i, y_i <= s_i and sum y_i <= max_products;
- guarantee 1 for the whole regimen: intake + sum s_i * a_i <= upper limit, per nutrient with a
  limit (a_i: one serving; combination products count for every nutrient they carry);
- budget: sum s_i * cost of one serving a day for a month <= budget_per_month;
- shortfall h_j >= (target_j - intake_j - sum s_i * a_ij) / target_j, h_j >= 0, per nutrient with
  a target the current supplements do not meet (relative to the target, so that nutrients in
  different units weigh alike).

Objective, lexicographic through weights: shortfall first, then cost a month, then pills a day.

    minimise  W_shortfall * sum_j h_j  +  sum_i cents_i * s_i  +  W_pill * sum_i s_i

- cost counts in whole cents: cents_i is one serving a day for a month, rounded to the cent;
- W_pill = 1 / (P + 1), P the most pills any allowed regimen can have (the max_products largest
  max_i): all pills together weigh less than one cent, so pills only break ties in cost;
- W_shortfall = (C + 1) / SHORTFALL_RESOLUTION, C the most any allowed regimen can cost in cents
  (the max_products largest max_i * cents_i): a shortfall smaller by SHORTFALL_RESOLUTION (0.1 %
  of one target) outweighs any difference in cost and pills. Realistic C is 500 to 10,000 cents,
  so W_shortfall stays below about 1e7 and the program stays well scaled for HiGHS.

Candidates are the products every safety mask and rule allows, except the per-item upper-limit
mask: that one checks the labelled daily dose, while the program checks the limits for the servings
it chooses, for the whole combination (one tablet of a two-a-day product may fit where two do not).

Exact pruning keeps the program small: products that carry nothing with a gap are dropped (they
only add cost); max_i is cut to what the limits and the budget allow and to the servings after
which the product alone already fills every gap it serves; a product is dropped when max_products
others dominate it (see `_undominated`), since one of them can always take its place.

If HiGHS gives no usable solution in `time_limit`, a greedy fallback adds one serving at a time,
the one with the best shortfall reduction per euro, while every limit, the budget and
max_products still hold. Every answer is checked against the limits before it is returned.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
import weakref
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeWarning, milp
from scipy.sparse import csr_array

from .advice import advice_config, advice_of, role_table
from .catalog import DAYS_PER_MONTH, Catalog
from .errors import DataFileError, Finding
from .intake import LineAmounts, rounded
from .profile import Line, Profile
from .ranking import Evaluation, evaluate, profile_notices
from .reference import Reference
from .snapshot import Snapshot
from .vocabulary import LOCALES
from .yamlfile import load_yaml

SHORTFALL_RESOLUTION = 1e-3  # relative shortfall below which cost and pills may decide
DEFAULT_MAX_PRODUCTS = 3
TEXTS_FILE = "regimen_texts.yaml"
_BUNDLED_TEXTS = Path(__file__).resolve().parents[2] / "rules" / "reference" / TEXTS_FILE
_MAX_SUBSET_LINES = 8  # basket lines searched exhaustively for the smallest fix
# HiGHS's feasibility-jump heuristic has a fixed effort that costs ~5 ms on these tiny programs,
# which HiGHS solves at the root anyway; optimality is still proven (mip_rel_gap 0).
HIGHS_OPTIONS = {"mip_heuristic_run_feasibility_jump": False}
_PAIRWISE_LIMIT = 2000  # candidates compared pairwise for dominance (an n x n boolean matrix)


# ---------------------------------------------------------------- tolerances
def _slack(values: np.ndarray) -> np.ndarray:
    """Float noise allowed on a limit or target (12.5 + 87.5 must equal 100, not exceed it)."""
    return 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(values)))


def headroom(limits: np.ndarray, intake: np.ndarray) -> np.ndarray:
    """What may still be added per nutrient before its upper limit; inf where none is set."""
    return np.where(np.isnan(limits), np.inf, np.nan_to_num(limits) + _slack(limits) - intake)


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

    @property
    def size(self) -> int:
        return len(self.products)

    @cached_property
    def gap_columns(self) -> np.ndarray:
        return np.flatnonzero(self.gaps > 0)

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

    def score(self, servings: np.ndarray) -> tuple[float, int, int]:
        """(relative shortfall, cost in cents, pills): the lexicographic objective."""
        servings = np.asarray(servings, dtype=np.int64)
        cents = int((servings * self.cost_cents).sum())
        return float(self.shortfall(self.added(servings))), cents, int(servings.sum())

    def objective(self, servings: np.ndarray) -> float:
        shortfall, cents, pills = self.score(servings)
        return self.weights.shortfall * shortfall + cents + self.weights.pill * pills

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


def _catalog_arrays(catalog: Catalog) -> _CatalogArrays:
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
    limit, and within the dose band of the advice.

    The per-item mask checks the labelled daily dose; the program checks the limits for the
    servings it chooses, for the whole combination, which is guarantee 1 for the regimen.
    """
    blocked = np.zeros(len(ev.snapshot.catalog), dtype=bool)
    for code, mask in ev.safety.excluded.items():
        if code != "upper_limit":
            blocked |= mask
    # the dose band of the advice (advice.py), as in lists: no 75 µg tablet for a 10 µg advice
    return ~blocked & ~ev.rule_excluded & ev.rule_required & ev.offer.within_band


def target_gaps(ev: Evaluation) -> np.ndarray:
    """Per nutrient: target - intake where a positive target is not met yet, else 0."""
    targets = np.nan_to_num(ev.targets)
    gaps = np.where(targets > 0, targets - ev.intake, 0.0)
    return np.where(gaps > _slack(targets), gaps, 0.0)


def regimen_problem(ev: Evaluation, max_products: int, budget: float | None) -> RegimenProblem:
    """The program for one evaluation, over pruned candidates (see the module docstring)."""
    arrays = _catalog_arrays(ev.snapshot.catalog)
    gaps = target_gaps(ev)
    # limit - food allowance (guarantee 9); none left where intake already fills it
    room = np.maximum(headroom(ev.safety.room, ev.intake), 0.0)
    caps_offered = offer_caps(ev)
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
    binding = np.isfinite(room) & (caps[keep] @ per_serving[keep] > room)
    keep = keep[
        _undominated(
            per_serving[keep],
            caps[keep],
            arrays.cost_per_serving[index[keep]],
            gaps,
            binding,
            max_products,
            kinds[keep],
        )
    ]
    index = index[keep]
    membership = membership[keep]
    return RegimenProblem(
        products=index,
        per_serving=per_serving[keep],
        labelled=arrays.labelled[index],
        max_servings=caps[keep],
        cost_per_serving=arrays.cost_per_serving[index],
        cost_cents=arrays.cost_cents[index],
        targets=ev.targets,
        gaps=gaps,
        headroom=room,
        max_products=max_products,
        budget=budget,
        offer_caps=caps_offered,
        groups=_groups(membership),
    )


def _one_of_membership(ev: Evaluation, index: np.ndarray) -> np.ndarray:
    """(candidates, groups) booleans: the groups of which a regimen holds at most one product,
    one per role (category) and one per banded nutrient (scoring.yaml `dose_band`) that a
    product carries: one vitamin D source, not three drops and chews for a child."""
    reference = ev.snapshot.reference
    roles = role_table(ev.snapshot.catalog, reference).category_role[index]
    columns = [roles == role for role in np.unique(roles)]
    keys = reference.nutrients.keys
    for nutrient in advice_config(reference).banded:
        if nutrient in keys:
            columns.append(ev.snapshot.catalog.nutrients_per_day[index, keys.index(nutrient)] > 0)
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
    with 10 µg plus 25 µg drops is 35 µg)."""
    keys = ev.snapshot.reference.nutrients.keys
    caps = np.array(advice_of(ev).band_upper, dtype=float, copy=True)
    stage = ev.snapshot.reference.market_maxima.life_stages.get(ev.profile.life_stage, {})
    for nutrient, amount in stage.items():
        if nutrient in keys:
            column = keys.index(nutrient)
            caps[column] = min(caps[column], float(amount))
    return caps


def _undominated(
    per_serving: np.ndarray,
    caps: np.ndarray,
    cost: np.ndarray,
    gaps: np.ndarray,
    binding: np.ndarray,
    max_products: int,
    kinds: np.ndarray | None = None,
) -> np.ndarray:
    """Candidates to keep: those with fewer than max_products dominating products.

    j dominates i when j comes first by (cost of a serving, position) and can replace i serving
    for serving at no worse shortfall and within the same limits: at least as many servings; of
    every nutrient with a gap at least as much as i or the whole gap; of every nutrient whose
    limit can bind at most as much as i (where both hold: as much as i, or less that still fills
    the gap). A regimen holds at most max_products products, so one of max_products dominators
    of i is always free to take its place: pruning i keeps an optimum. Only a product in the
    same at-most-one groups dominates (`kinds`: role and banded nutrients carried). First among
    identical candidates (O(n log n)), then pairwise on what is left when it is few.
    """
    n = len(caps)
    keep = np.ones(n, dtype=bool)
    if n <= max_products:
        return keep
    gap = gaps > 0
    useful = np.where(gap & ~binding, np.minimum(per_serving, gaps), per_serving)
    order = np.lexsort((np.arange(n), cost))  # cheapest first, then catalog order
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    role = np.zeros(n) if kinds is None else kinds.astype(float)
    relevant = np.column_stack([useful[:, gap | binding], caps, role])
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
    for column in np.flatnonzero(gap | binding):
        mine, theirs = useful[left, column][:, None], useful[left, column][None, :]
        if gap[column] and binding[column]:
            dominated &= (theirs <= mine) & ((theirs == mine) | (theirs >= gaps[column]))
        elif gap[column]:
            dominated &= theirs >= mine
        else:
            dominated &= theirs <= mine
    keep[left[dominated.sum(axis=1) >= max_products]] = False
    return keep


# ---------------------------------------------------------------- solvers
def solve_exact(problem: RegimenProblem, time_limit: float) -> tuple[np.ndarray | None, bool]:
    """HiGHS on the program; (servings, proven optimal), or (None, False) without a solution."""
    n, cols = problem.size, problem.gap_columns
    t = len(cols)
    if n == 0:
        return np.zeros(0, dtype=np.int64), True
    weights = problem.weights
    cost = np.concatenate(
        [problem.cost_cents + weights.pill, np.zeros(n), np.full(t, weights.shortfall)]
    )
    upper = np.concatenate(
        [problem.max_servings, np.ones(n), problem.gaps[cols] / problem.targets[cols]]
    )
    integrality = np.concatenate([np.ones(2 * n), np.zeros(t)])
    rows, columns, values, lower, upper_rows = _constraint_rows(problem)
    matrix = csr_array((values, (rows, columns)), shape=(len(lower), 2 * n + t))
    options = {"time_limit": max(time_limit, 1e-3), "mip_rel_gap": 0.0, **HIGHS_OPTIONS}
    try:
        with warnings.catch_warnings():
            # scipy passes options it does not list to HiGHS verbatim, with a warning
            warnings.filterwarnings("ignore", "Unrecognized options", RuntimeWarning)
            warnings.filterwarnings("ignore", "Unrecognized options", OptimizeWarning)
            result = milp(
                cost,
                integrality=integrality,
                bounds=Bounds(np.zeros(2 * n + t), upper),
                constraints=LinearConstraint(matrix, lower, upper_rows),
                options=options,
            )
    except (ValueError, RuntimeError, MemoryError):  # the greedy fallback answers instead
        return None, False
    if result.x is None:
        return None, False
    servings = np.clip(np.rint(result.x[:n]).astype(np.int64), 0, problem.max_servings)
    if not problem.feasible(servings):
        return None, False
    return servings, bool(result.status == 0)


def _constraint_rows(
    problem: RegimenProblem,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sparse rows (row, column, value) with their bounds; columns are s, then y, then h."""
    n, cols = problem.size, problem.gap_columns
    ids = np.arange(n)
    rows = [ids, ids, n + ids, n + ids, np.full(n, 2 * n)]
    columns = [ids, n + ids, ids, n + ids, n + ids]
    values = [np.ones(n), -problem.max_servings.astype(float), -np.ones(n), np.ones(n), np.ones(n)]
    lower = [np.full(2 * n, -np.inf), np.array([-np.inf])]
    upper = [np.zeros(2 * n), np.array([float(problem.max_products)])]
    row = 2 * n + 1
    worst = problem.max_servings @ problem.per_serving
    for column in np.flatnonzero(np.isfinite(problem.headroom) & (worst > problem.headroom)):
        amounts = problem.per_serving[:, column]
        used = np.flatnonzero(amounts > 0)
        rows.append(np.full(used.size, row))
        columns.append(used)
        values.append(amounts[used])
        lower.append(np.array([-np.inf]))
        upper.append(np.array([problem.headroom[column]]))
        row += 1
    for members in problem.groups:  # at most one product of each group (y columns)
        rows.append(np.full(members.size, row))
        columns.append(n + members)
        values.append(np.ones(members.size))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([1.0]))
        row += 1
    if problem.budget is not None and problem.max_servings @ problem.cost_per_serving > (
        problem.budget
    ):
        rows.append(np.full(n, row))
        columns.append(ids)
        values.append(problem.cost_per_serving)
        lower.append(np.array([-np.inf]))
        upper.append(np.array([problem.budget + 1e-9]))
        row += 1
    for k, column in enumerate(cols):
        # a serving counts for at most the whole gap: the same shortfall at every integer point,
        # a much tighter relaxation (1000 µg of B12 against a 4 µg gap)
        amounts = np.minimum(problem.per_serving[:, column], problem.gaps[column])
        used = np.flatnonzero(amounts > 0)
        target = problem.targets[column]
        rows.append(np.full(used.size + 1, row))
        columns.append(np.append(used, 2 * n + k))
        values.append(np.append(amounts[used] / target, 1.0))
        lower.append(np.array([problem.gaps[column] / target]))
        upper.append(np.array([np.inf]))
        row += 1
    return (
        np.concatenate(rows),
        np.concatenate(columns),
        np.concatenate(values),
        np.concatenate(lower),
        np.concatenate(upper),
    )


def solve_greedy(problem: RegimenProblem) -> np.ndarray:
    """Add the serving with the best shortfall reduction per euro while everything still holds."""
    servings = np.zeros(problem.size, dtype=np.int64)
    added = np.zeros(problem.per_serving.shape[1])
    cost = 0.0
    current = float(problem.shortfall(added))
    while problem.size:
        trial = added + problem.per_serving
        ok = servings < problem.max_servings
        if int((servings > 0).sum()) >= problem.max_products:
            ok &= servings > 0
        for members in problem.groups:
            if (servings[members] > 0).any():
                blocked = np.zeros(problem.size, dtype=bool)
                blocked[members] = servings[members] == 0
                ok &= ~blocked
        ok &= (trial <= problem.headroom).all(axis=1)
        if problem.budget is not None:
            ok &= cost + problem.cost_per_serving <= problem.budget + 1e-9
        gain = current - problem.shortfall(trial)
        ok &= gain > 1e-12
        if not ok.any():
            break
        ratio = np.where(ok, gain / problem.cost_per_serving, -np.inf)
        best = int(np.argmax(ratio))
        servings[best] += 1
        added = trial[best]
        cost += float(problem.cost_per_serving[best])
        current = float(problem.shortfall(added))
    return servings


def solve(problem: RegimenProblem, time_limit: float) -> tuple[np.ndarray, str, bool]:
    """(servings, solver, proven optimal): HiGHS, or the greedy fallback when it has nothing
    usable in time (or only a time-limited solution that the greedy one beats)."""
    exact, optimal = solve_exact(problem, time_limit)
    if exact is not None and optimal:
        return exact, "milp", True
    greedy = solve_greedy(problem)
    if exact is not None and problem.objective(exact) <= problem.objective(greedy):
        return exact, "milp", False
    return greedy, "greedy", False


# ---------------------------------------------------------------- texts
_TEXTS: weakref.WeakKeyDictionary[Reference, dict[str, dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)
REQUIRED_TEXTS = (
    "role",
    "role_extra",
    "amount_part",
    "target_part",
    "limit_part",
    "target_met_already",
    "target_met",
    "target_missed_no_product",
    "target_missed_upper_limit",
    "target_missed_life_stage_cap",
    "target_missed_dose_band",
    "target_missed_budget",
    "target_missed_max_products",
    "target_missed_partly",
    "notice_regimen_infeasible",
    "notice_no_targets",
    "notice_targets_met",
    "notice_regimen_partial",
    "notice_regimen_greedy",
    "suggestion_remove",
    "suggestion_reduce",
    "suggestion_add",
)


def texts_path(reference: Reference) -> Path:
    """regimen_texts.yaml next to the reference files the snapshot was loaded from."""
    if reference.files:
        return reference.files[0].parent / TEXTS_FILE
    return _BUNDLED_TEXTS


def regimen_texts(reference: Reference) -> dict[str, dict[str, str]]:
    """The checked texts for this reference (loaded once per snapshot)."""
    texts = _TEXTS.get(reference)
    if texts is None:
        texts = load_regimen_texts(texts_path(reference), reference)
        _TEXTS[reference] = texts
    return texts


def check_regimen_texts(reference: Reference) -> list[Finding]:
    """Load-time check for load_snapshot (issue 13, defect 1): the texts are part of the
    snapshot, so a broken file is refused with the rest and the last good set keeps serving,
    instead of failing the first regimen or intake check that needs them."""
    try:
        _TEXTS[reference] = load_regimen_texts(texts_path(reference), reference)
    except DataFileError as exc:
        return exc.findings
    return []


def load_regimen_texts(path: Path, reference: Reference) -> dict[str, dict[str, str]]:
    """Load and check: every key, every locale, no disease claim; DataFileError otherwise."""
    display = str(path)
    document = load_yaml(path, display)
    findings = []
    if not isinstance(document, dict) or not isinstance(document.get("source"), str):
        findings.append(Finding(display, 1, "needs a top-level `source:` text", code="schema"))
    texts = document.get("texts") if isinstance(document, dict) else None
    if not isinstance(texts, dict):
        raise DataFileError([*findings, Finding(display, 1, "needs `texts:`", code="schema")])
    for key in REQUIRED_TEXTS:
        if key not in texts:
            findings.append(Finding(display, 1, f"missing text {key!r}", code="missing_text"))
    out: dict[str, dict[str, str]] = {}
    for key, entry in texts.items():
        line = texts.line_of(key) if hasattr(texts, "line_of") else 1
        if not isinstance(entry, dict) or set(entry) != set(LOCALES):
            findings.append(
                Finding(display, line, f"{key}: needs exactly {', '.join(LOCALES)}", code="locale")
            )
            continue
        for locale, text in entry.items():
            if not isinstance(text, str) or not text:
                findings.append(Finding(display, line, f"{key} ({locale}): empty", code="schema"))
            elif pattern := reference.forbidden_match(text, locale):
                findings.append(
                    Finding(
                        display,
                        line,
                        f"{key} ({locale}) matches forbidden disease-claim pattern {pattern!r}",
                        code="forbidden_claim",
                    )
                )
        out[key] = {locale: str(text) for locale, text in entry.items()}
    if findings:
        raise DataFileError(findings)
    return out


class _Writer:
    """Texts for one locale: regimen texts, reference texts and nutrient names."""

    def __init__(self, reference: Reference, locale: str) -> None:
        self.reference = reference
        self.locale = locale
        self.texts = regimen_texts(reference)

    def __call__(self, key: str, **values: Any) -> str:
        return self.texts[key][self.locale].format(**values)

    def name(self, key: str) -> str:
        return self.reference.nutrients.name(key, self.locale)

    def unit(self, key: str) -> str:
        return self.reference.nutrients.units[key]

    def amount(self, key: str, amount: float) -> str:
        return self(
            "amount_part", amount=rounded(amount), unit=self.unit(key), nutrient=self.name(key)
        )

    def limits(self, keys: list[str], limits: np.ndarray) -> str:
        return ", ".join(
            self("limit_part", nutrient=self.name(k), upper_limit=rounded(v), unit=self.unit(k))
            for k, v in zip(keys, limits, strict=True)
        )


# ---------------------------------------------------------------- the regimen answer
def _current_lines(profile: Profile) -> list[tuple[str, Line]]:
    return [
        (f"profile.current_supplements.{i}", line)
        for i, line in enumerate(profile.current_supplements)
    ]


def formulate_regimen(
    snapshot: Snapshot, request: dict, today: dt.date, *, time_limit: float = 0.5
) -> dict:
    """The contract's regimen answer for an already validated request body."""
    profile = Profile.from_dict(request["profile"])
    locale = request.get("locale") or "nl"
    max_products = int(request.get("max_products") or DEFAULT_MAX_PRODUCTS)
    budget = request.get("budget_per_month")
    budget = None if budget is None else float(budget)
    ev = evaluate(snapshot, profile, _current_lines(profile), today, request.get("jurisdiction"))
    write = _Writer(snapshot.reference, locale)
    notices = profile_notices(ev, locale)
    problem = regimen_problem(ev, max_products, budget)
    servings = np.zeros(problem.size, dtype=np.int64)
    solver, optimal = "none", True
    has_target = np.nan_to_num(ev.targets) > 0
    if ev.over_limit_now:
        notices.append(_notice("regimen_infeasible", write))
    elif not has_target.any():
        notices.append(_notice("no_targets", write))
    elif not problem.gaps.any():
        notices.append(_notice("targets_met", write))
    elif problem.size == 0:
        notices.append(_notice("regimen_infeasible", write))
    else:
        servings, solver, optimal = solve(problem, time_limit)
        if not servings.any():
            notices.append(_notice("regimen_infeasible", write))
        if solver == "greedy":
            notices.append(_notice("regimen_greedy", write))
    chosen = {int(problem.products[i]): int(s) for i, s in enumerate(servings) if s > 0}
    added = problem.added(servings) if problem.size else np.zeros(len(ev.intake))
    targets = _targets_view(ev, problem, chosen, added, write, budget)
    if any(not t["achieved"] for t in targets.values()) and chosen:
        notices.append(_notice("regimen_partial", write))
    lines = _lines_view(ev, problem, servings, write)
    cost = sum(float(problem.cost_per_serving[i]) * int(s) for i, s in enumerate(servings))
    keys = snapshot.reference.nutrients.keys
    return {
        "lines": lines,
        "totals": {k: rounded(ev.intake[c] + added[c]) for c, k in enumerate(keys)},
        "targets": targets,
        "cost_per_month": round(float(cost), 2),
        "currency": _currency(ev),
        "pills_per_day": int(servings.sum()),
        "notices": notices,
        "warnings": _regimen_warnings(ev, chosen, added, locale),
        "solver": solver,
        "optimal": optimal,
        "max_products": max_products,
        "budget_per_month": budget,
        "versions": snapshot.versions,
    }


def _currency(ev: Evaluation) -> str:
    products = ev.snapshot.catalog.products
    return products[0].currency if products else "EUR"


def _notice(code: str, write: _Writer) -> dict[str, str]:
    return {"code": code, "text": write(f"notice_{code}")}


def _lines_view(
    ev: Evaluation, problem: RegimenProblem, servings: np.ndarray, write: _Writer
) -> list[dict[str, Any]]:
    catalog = ev.snapshot.catalog
    keys = catalog.nutrient_keys
    baseline = float(problem.shortfall(np.zeros(len(keys))))
    rows = []
    for i in np.flatnonzero(servings):
        amounts = problem.per_serving[i] * servings[i]
        product = catalog.products[int(problem.products[i])]
        gain = baseline - float(problem.shortfall(amounts))
        rows.append((-gain, product.sku, i, amounts, product))
    lines = []
    for _, sku, i, amounts, product in sorted(rows, key=lambda r: (r[0], r[1])):
        lines.append(
            {
                "sku": sku,
                "name": product.name[write.locale],
                "servings_per_day": int(servings[i]),
                "labelled_servings_per_day": product.servings_per_day,
                "category": product.category,
                "form": product.form,
                "nutrients_per_day": {
                    k: rounded(amounts[c]) for c, k in enumerate(keys) if amounts[c] > 0
                },
                "cost_per_month": round(float(problem.cost_per_serving[i] * servings[i]), 2),
                "role": _role(problem, amounts, write),
            }
        )
    return lines


def _role(problem: RegimenProblem, amounts: np.ndarray, write: _Writer) -> str:
    keys = write.reference.nutrients.keys
    serves = [c for c in problem.gap_columns if amounts[c] > 0]
    extra = [c for c in np.flatnonzero(amounts > 0) if problem.gaps[c] <= 0]
    text = write("role", parts=", ".join(write.amount(keys[c], amounts[c]) for c in serves))
    if extra:
        parts = ", ".join(write.amount(keys[c], amounts[c]) for c in extra)
        text += " " + write("role_extra", parts=parts)
    return text


def _targets_view(
    ev: Evaluation,
    problem: RegimenProblem,
    chosen: dict[int, int],
    added: np.ndarray,
    write: _Writer,
    budget: float | None,
) -> dict[str, dict[str, Any]]:
    keys = ev.snapshot.reference.nutrients.keys
    out = {}
    for column in np.flatnonzero(np.nan_to_num(ev.targets) > 0):
        key = keys[column]
        target = float(ev.targets[column])
        amount = float(ev.intake[column] + added[column])
        achieved = amount >= target - float(_slack(np.array([target]))[0])
        values = {
            "amount": rounded(amount),
            "target": rounded(target),
            "unit": write.unit(key),
            "nutrient": write.name(key),
        }
        if problem.gaps[column] <= 0:
            why = write("target_met_already", **values)
        elif achieved:
            why = write("target_met", **values)
        else:
            why = _why_missed(ev, problem, chosen, added, int(column), write, budget, values)
        out[key] = {
            "target": rounded(target),
            "achieved": bool(achieved),
            "amount": rounded(amount),
            "why": why,
            "source": ev.target_ids.get(key),
        }
    return out


def _why_missed(
    ev: Evaluation,
    problem: RegimenProblem,
    chosen: dict[int, int],
    added: np.ndarray,
    column: int,
    write: _Writer,
    budget: float | None,
    values: dict[str, Any],
) -> str:
    """Why one more serving of any product with this nutrient is not in the regimen.

    Each product that carries it and is not at its labelled dose yet is blocked by a limit, the
    budget or max_products (or by nothing: then only the trade-off between targets explains it).
    The text names what blocks the most of them (limit, then budget, then max_products on ties)."""
    arrays = _catalog_arrays(ev.snapshot.catalog)
    keys = write.reference.nutrients.keys
    carriers = np.flatnonzero(candidate_mask(ev) & (arrays.per_serving[:, column] > 0))
    if carriers.size == 0:
        return write("target_missed_no_product", **values)
    room = problem.headroom - added
    cost = sum(float(arrays.cost_per_serving[i]) * s for i, s in chosen.items())
    carriers = np.array([i for i in carriers if chosen.get(int(i), 0) < arrays.labelled[i]])
    if carriers.size == 0:
        return write("target_missed_partly", **values)
    limit_hits: dict[int, int] = {}
    blocked: dict[str, set[int]] = {"limit": set(), "budget": set(), "count": set()}
    for index in carriers.tolist():
        over = np.flatnonzero(arrays.per_serving[index] > room)
        for k in over.tolist():
            limit_hits[k] = limit_hits.get(k, 0) + 1
        if over.size:
            blocked["limit"].add(index)
        if budget is not None and cost + arrays.cost_per_serving[index] > budget + 1e-9:
            blocked["budget"].add(index)
        if index not in chosen and len(chosen) >= problem.max_products:
            blocked["count"].add(index)
    if set(carriers.tolist()) - set().union(*blocked.values()):
        return write("target_missed_partly", **values)
    reason = max(blocked, key=lambda r: len(blocked[r]))  # first in this order on a tie
    if reason == "limit":
        limit = max(limit_hits, key=lambda k: (limit_hits[k], -k))
        capped = _offer_cap_text(ev, problem, added, limit, write, values)
        if capped is not None:
            return capped
        return write(
            "target_missed_upper_limit",
            **values,
            limit_nutrient=write.name(keys[limit]),
            upper_limit=rounded(ev.limits[limit]),
            limit_unit=write.unit(keys[limit]),
        )
    if reason == "budget":
        amount = f"{budget:.2f}"
        return write("target_missed_budget", **values, budget=amount, currency=_currency(ev))
    return write("target_missed_max_products", **values, max_products=problem.max_products)


def _offer_cap_text(
    ev: Evaluation,
    problem: RegimenProblem,
    added: np.ndarray,
    column: int,
    write: _Writer,
    values: dict[str, Any],
) -> str | None:
    """The text when what binds is not the upper limit but an offer cap (offer_caps): the
    pregnancy cap, or the advice band for the whole regimen."""
    caps = problem.offer_caps
    if caps is None or not np.isfinite(caps[column]):
        return None
    limit_room = headroom(ev.safety.room, ev.intake)[column]
    if caps[column] >= limit_room:
        return None  # the upper limit binds first: its own text
    keys = write.reference.nutrients.keys
    stage = ev.snapshot.reference.market_maxima.life_stages.get(ev.profile.life_stage, {})
    key = (
        "target_missed_life_stage_cap"
        if stage.get(keys[column]) is not None and float(stage[keys[column]]) <= caps[column]
        else "target_missed_dose_band"
    )
    return write(
        key,
        **values,
        cap=rounded(caps[column]),
        cap_unit=write.unit(keys[column]),
        cap_nutrient=write.name(keys[column]),
    )


def _regimen_warnings(
    ev: Evaluation, chosen: dict[int, int], added: np.ndarray, locale: str
) -> list[dict[str, Any]]:
    """Medication interactions for products in the regimen, `together` combinations across the
    regimen and current supplements, and totals near an upper limit."""
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    keys = reference.nutrients.keys
    arrays = _catalog_arrays(catalog)
    regimen = [
        (catalog.products[i].sku, arrays.per_serving[i] * s, True) for i, s in chosen.items()
    ]
    current = [(_line_name(r), r.amounts, False) for r in ev.resolved]
    warnings = []
    for interaction in ev.safety.triggered:
        thresholds = {**interaction.exclude, **interaction.warn}
        skus = [
            sku
            for sku, amounts, _ in regimen
            if any(amounts[keys.index(n)] > t for n, t in thresholds.items())
        ]
        if skus:
            warnings.append(
                _warning(f"interaction:{interaction.id}", interaction.text[locale], skus)
            )
    lines = regimen + current
    for interaction in reference.interactions:
        if interaction.together is None:
            continue
        group_a, group_b = ([keys.index(n) for n in g] for g in interaction.together)
        with_a = [i for i, line in enumerate(lines) if (line[1][group_a] > 0).any()]
        with_b = [i for i, line in enumerate(lines) if (line[1][group_b] > 0).any()]
        pairs = [(a, b) for a in with_a for b in with_b if a != b and (lines[a][2] or lines[b][2])]
        if pairs:
            names = sorted({lines[i][0] for pair in pairs for i in pair})
            warnings.append(
                _warning(f"interaction:{interaction.id}", interaction.text[locale], names)
            )
    totals = ev.intake + added
    fraction = reference.warn_at_upper_limit_fraction
    for column, key in enumerate(keys):
        limit = ev.limits[column]
        if np.isnan(limit) or added[column] <= 0 or totals[column] < fraction * limit:
            continue
        text = reference.text(
            "warning_near_upper_limit",
            locale,
            nutrient=reference.nutrients.name(key, locale),
            amount=rounded(totals[column]),
            upper_limit=rounded(limit),
            unit=reference.nutrients.units[key],
        )
        skus = [sku for sku, amounts, _ in regimen if amounts[column] > 0]
        warnings.append(_warning(f"near_upper_limit:{key}", text, skus))
    return [w for w in warnings if reference.forbidden_match(w["text"]) is None]


def _warning(code: str, text: str, skus: list[str]) -> dict[str, Any]:
    return {"code": code, "text": text, "skus": skus}


def _line_name(line: LineAmounts) -> str:
    return line.sku or line.line.label or line.path


# ---------------------------------------------------------------- basket suggestion
def basket_suggestion(snapshot: Snapshot, request: dict, today: dt.date) -> dict | None:
    """The smallest basket change that fixes a crossed limit, else the one product that closes
    the most of a missed target at the lowest cost; None when there is nothing to suggest
    (or when current supplements alone cross a limit, which no basket change can fix)."""
    profile = Profile.from_dict(request["profile"])
    basket = [Line.from_dict(x) for x in request.get("basket") or ()]
    current = _current_lines(profile)
    lines = current + [(f"basket.{i}", line) for i, line in enumerate(basket)]
    ev = evaluate(snapshot, profile, lines, today, request.get("jurisdiction"))
    write = _Writer(snapshot.reference, request.get("locale") or "nl")
    if ev.over_limit_now:
        return _fix_violation(ev, ev.resolved[len(current) :], write)
    return _add_for_target(ev, write)


def _fix_violation(ev: Evaluation, basket: list[LineAmounts], write: _Writer) -> dict | None:
    if not basket:
        return None
    over = np.array(ev.over_limit_now)
    limits = ev.limits[over]
    excess = ev.intake[over] - (limits + _slack(limits))
    contribution = np.array([line.amounts[over] for line in basket])
    share = (contribution / limits).sum(axis=1)
    order = sorted(range(len(basket)), key=lambda b: (-share[b], b))
    keys = [ev.snapshot.reference.nutrients.keys[c] for c in over]
    limit_text = write.limits(keys, limits)
    for b in order:
        if (contribution[b] >= excess).all():
            return _reduce_or_remove(ev, basket[b], over, excess, limit_text, write)
    indices = order[:_MAX_SUBSET_LINES]
    for size in range(2, len(indices) + 1):
        fixes = [
            subset
            for subset in combinations(indices, size)
            if (contribution[list(subset)].sum(axis=0) >= excess).all()
        ]
        if fixes:
            best = max(fixes, key=lambda s: (share[list(s)].sum(), [-b for b in s]))
            removed = [basket[b] for b in sorted(best, key=lambda b: (-share[b], b))]
            return _removal(ev, removed, limit_text, write)
    return None


def _reduce_or_remove(
    ev: Evaluation,
    line: LineAmounts,
    over: np.ndarray,
    excess: np.ndarray,
    limit_text: str,
    write: _Writer,
) -> dict:
    catalog = ev.snapshot.catalog
    if line.sku is None:
        return _removal(ev, [line], limit_text, write)
    product = catalog.products[catalog.index[line.sku]]
    given = line.line.servings_per_day
    current = given if given is not None else product.servings_per_day
    per_serving = (
        catalog.nutrients_per_day[catalog.index[line.sku]][over] / product.servings_per_day
    )
    keep = math.floor(float(np.min(current - excess / per_serving)) + 1e-9)
    while keep > 0 and ((current - keep) * per_serving < excess).any():
        keep -= 1
    if keep < 1 or keep >= current:
        return _removal(ev, [line], limit_text, write)
    text = write(
        "suggestion_reduce",
        servings=keep,
        current=rounded(current),
        name=product.name[write.locale],
        limits=limit_text,
    )
    change = _change("reduce", line, keep)
    return {**change, "text": text, "changes": [change]}


def _removal(ev: Evaluation, lines: list[LineAmounts], limit_text: str, write: _Writer) -> dict:
    catalog = ev.snapshot.catalog
    names = [
        catalog.products[catalog.index[line.sku]].name[write.locale]
        if line.sku
        else _line_name(line)
        for line in lines
    ]
    changes = [_change("remove", line, 0) for line in lines]
    text = write("suggestion_remove", name=", ".join(names), limits=limit_text)
    return {**changes[0], "text": text, "changes": changes}


def _change(code: str, line: LineAmounts, servings: int) -> dict[str, Any]:
    change: dict[str, Any] = {
        "code": code,
        "sku": line.sku,
        "servings_per_day": servings,
        "line": line.path,
    }
    if line.sku is None:
        change["label"] = line.line.label
    return change


def _add_for_target(ev: Evaluation, write: _Writer) -> dict | None:
    """The regimen with one product, solved by enumeration: most of the gap, then lowest cost."""
    problem = regimen_problem(ev, 1, None)
    if problem.size == 0:
        return None
    offsets = np.repeat(np.arange(problem.size), problem.max_servings)
    servings = np.concatenate([np.arange(1, m + 1) for m in problem.max_servings])
    added = problem.per_serving[offsets] * servings[:, None]
    weights = problem.weights
    value = (
        weights.shortfall * problem.shortfall(added)
        + (problem.cost_cents[offsets] + weights.pill) * servings
    )
    best = int(np.argmin(value))
    index, count = int(offsets[best]), int(servings[best])
    product = ev.snapshot.catalog.products[int(problem.products[index])]
    keys = write.reference.nutrients.keys
    totals = ev.intake + added[best]
    parts = ", ".join(
        write(
            "target_part",
            amount=rounded(totals[c]),
            target=rounded(problem.targets[c]),
            unit=write.unit(keys[c]),
            nutrient=write.name(keys[c]),
        )
        for c in problem.gap_columns
        if added[best][c] > 0
    )
    text = write("suggestion_add", name=product.name[write.locale], servings=count, parts=parts)
    return {"code": "add", "sku": product.sku, "servings_per_day": count, "text": text}
