"""Pharmacist review 10, U2 (/work/notes/review10/report.md): a regimen with a budget dropped folic
acid in pregnancy for the 150 µg iodine aim, 16 cents cheaper.

- targets.yaml `priorities`: tiers of targets, first first; health-council advice (and folic acid
  in pregnancy, by its own `priority`) before the shop's own aims. The regimen never misses a
  target of a higher tier for one of a lower tier (service/core/target_priority.py,
  regimen_solve.py `_by_tier`).
- The regimen's texts call an aim of an `ours` tier our suggestion, never "the advice"
  ("geadviseerde", "empfohlenen", "advised").

Expectations come from the request and the data files (targets.yaml, the catalog through
tests/oracle.py and the safety oracle of tests/test_regimen.py), not from the service.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.core.errors import DataFileError
from service.core.profile import Profile
from service.core.ranking import evaluate
from service.core.reference_load import load_reference
from service.core.regimen_problem import regimen_problem
from service.core.regimen_solve import solve, solve_greedy
from service.core.snapshot import DataPaths, load_snapshot
from service.core.target_priority import parse_priorities

from .conftest import ROOT, TODAY, memory_app
from .oracle import PRODUCTS, per_day
from .test_regimen import allowed, cost_per_serving, shipped_rule_excludes

LOCALES = ("nl", "de", "en")
REFERENCE = ROOT / "rules" / "reference"
TARGETS_DOC = yaml.safe_load((REFERENCE / "targets.yaml").read_text("utf-8"))
TARGETS = {t["id"]: t for t in TARGETS_DOC["targets"]}
TIERS = [tier["id"] for tier in TARGETS_DOC["priorities"]["tiers"]]
OURS = {tier["id"]: tier["ours"] for tier in TARGETS_DOC["priorities"]["tiers"]}
TIER_OF_AUTHORITY = {
    name: tier["id"] for tier in TARGETS_DOC["priorities"]["tiers"] for name in tier["authorities"]
}
FOLIC, IODINE = "folic_acid_ug", "iodine_ug"
PREGNANT = {
    "age": 30,
    "country": "NL",
    "sex": "female",
    "life_stage": "pregnant",
    "current_supplements": [{"label": "Prenatal", "nutrients": {"vitamin_d_ug": 20}}],
}
# "the advice" in each locale, as the regimen's texts said it of every target before U2
ADVISED = {
    "nl": ("geadviseerde", "advies"),
    "de": ("empfohlenen", "empfehlung"),
    "en": ("advised", "advice"),
}


def tier(target_id: str) -> int:
    """The tier rank of a target by the data: its own `priority`, else its authority's."""
    target = TARGETS[target_id]
    return TIERS.index(target.get("priority") or TIER_OF_AUTHORITY[target["authority"]])


@pytest.fixture(scope="module")
def client():
    return memory_app(TODAY).test_client()


def regimen(client, profile: dict[str, Any], locale: str = "nl", **extra: Any) -> dict[str, Any]:
    body = {"profile": profile, "locale": locale, **extra}
    response = client.post("/v1/regimens", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def cheapest_alone(nutrient: str, amount: float, profile: dict[str, Any]) -> float | None:
    """The least a month of one single-nutrient product the profile may take (the safety
    oracle of test_regimen) costs that alone gives `amount` of `nutrient` a day at its label,
    within the dose band (2.5 x the advice); None when there is none."""
    costs = [
        cost_per_serving(sku) * product["servings_per_day"]
        for sku, product in PRODUCTS.items()
        if allowed(sku, profile)
        and not shipped_rule_excludes(sku, profile)
        and set(per_day(product)) == {nutrient}  # nothing else that another limit could stop
        and amount - 1e-9 <= per_day(product).get(nutrient, 0.0) <= 2.5 * amount
    ]
    return min(costs, default=None)


# ---------------------------------------------------------------- the data
def test_folic_acid_in_pregnancy_comes_before_the_iodine_aim():
    """The data: folic acid in pregnancy is in a tier before the iodine aim, and the aim's tier
    is ours (dosewise's own assumption, not an authority's advice)."""
    folic, iodine = TARGETS["pregnancy-folic-acid"], TARGETS["pregnancy-breastfeeding-iodine"]
    assert tier(folic["id"]) < tier(iodine["id"])
    assert OURS[TIERS[tier(iodine["id"])]] and not OURS[TIERS[tier(folic["id"])]]
    # every health council's vitamin D advice (0-3, pregnancy, 70+) is in the advice tier, and
    # folic acid in pregnancy before it (session 19 review F1: where one product must choose)
    advice = TIERS.index("advice")
    for target_id in (
        "nl-children-0-3-vitamin-d",
        "nl-pregnancy-vitamin-d",
        "nl-70-plus-vitamin-d",
    ):
        assert tier(target_id) == advice
    assert tier(folic["id"]) < advice
    for target_id in ("vegan-calcium", "sport-magnesium", "bone-conditions-calcium"):
        assert tier(target_id) > advice


def test_the_tiers_are_checked_at_load(tmp_path):
    """An authority in no tier, or a target's unknown tier id, refuses the reference data."""
    for name in (p.name for p in REFERENCE.iterdir()):
        (tmp_path / name).write_bytes((REFERENCE / name).read_bytes())
    doc = yaml.safe_load((REFERENCE / "targets.yaml").read_text("utf-8"))
    _, problems = parse_priorities(doc)
    assert problems == []
    broken = yaml.safe_load((REFERENCE / "targets.yaml").read_text("utf-8"))
    (aim,) = [t for t in broken["priorities"]["tiers"] if "dosewise" in t["authorities"]]
    aim["authorities"].remove("dosewise")
    broken["targets"][0]["priority"] = "nonsense"
    (tmp_path / "targets.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), "utf-8")
    with pytest.raises(DataFileError) as caught:
        load_reference(tmp_path)
    messages = " ".join(f.message for f in caught.value.findings)
    assert "'dosewise' is in no tier" in messages and "'nonsense' is no tier id" in messages


# ---------------------------------------------------------------- U2 itself
def test_u2_folic_acid_is_kept_within_the_budget(client):
    """U2: budget 3 EUR, max 3 products, pregnant with 20 µg vitamin D taken. A folic acid
    product alone fits the budget, folic acid + iodine does not: folic acid is achieved."""
    budget = 3.0
    folic = TARGETS["pregnancy-folic-acid"]["amount"]
    iodine = TARGETS["pregnancy-breastfeeding-iodine"]["amount"]
    alone = cheapest_alone(FOLIC, folic, PREGNANT)
    assert alone is not None and alone <= budget  # the premise of the finding
    answer = regimen(client, PREGNANT, max_products=3, budget_per_month=budget)
    targets = answer["targets"]
    assert targets[FOLIC]["status"] == "achieved", targets[FOLIC]
    given_folic = sum(
        per_day(PRODUCTS[line["sku"]], line["servings_per_day"]).get(FOLIC, 0.0)
        for line in answer["lines"]
    )
    assert given_folic >= folic - 1e-9
    assert sum(line["cost_per_month"] for line in answer["lines"]) <= budget + 1e-9
    # the iodine aim is missed here (no product gives both within 3 EUR), and says why truly
    if targets[IODINE]["status"] == "missed":
        assert targets[IODINE]["amount"] < iodine
        assert "budget" in targets[IODINE]["why"]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_missed_aim_is_our_suggestion_not_the_advice(client, locale):
    """U2 wording: the iodine aim (tier `ours`) is not called "the advised" amount; nor is
    folic acid where it is missed (max_products 1 with the budget of a single iodine product):
    targets.yaml quotes it as our aim (authority dosewise, not in domain.md), as the list's
    reason does; its `first` priority only orders it (review 19 F5, session 20)."""
    iodine_only = cheapest_alone(
        IODINE, TARGETS["pregnancy-breastfeeding-iodine"]["amount"], PREGNANT
    )
    answer = regimen(client, PREGNANT, locale, max_products=3, budget_per_month=3.0)
    why = answer["targets"][IODINE]["why"]
    assert not any(word in why.lower() for word in ADVISED[locale]), why
    assert str(TARGETS["pregnancy-breastfeeding-iodine"]["amount"]) in why
    assert iodine_only is not None
    # without a budget the iodine line serves only the aim: its role is no "advice" either
    for line in regimen(client, PREGNANT, locale, max_products=3)["lines"]:
        if set(line["nutrients_per_day"]) == {IODINE}:
            assert not any(word in line["role"].lower() for word in ADVISED[locale]), line
    # a budget for iodine alone, below any folic acid product: folic acid missed, our aim
    cheap = regimen(client, PREGNANT, locale, max_products=3, budget_per_month=0.5)
    folic_why = cheap["targets"][FOLIC]["why"]
    assert cheap["targets"][FOLIC]["status"] == "missed", cheap["targets"]
    assert not any(word in folic_why.lower() for word in ADVISED[locale]), folic_why


# ---------------------------------------------------------------- the property
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    budget=st.floats(min_value=0.5, max_value=12.0).map(lambda b: round(b, 2)),
    max_products=st.integers(min_value=1, max_value=3),
)
def test_folic_acid_is_never_missed_for_iodine_when_it_fits_alone(client, budget, max_products):
    """For random budgets and product counts (pregnant, 20 µg vitamin D taken: folic acid is the
    only first-tier target with a gap): where a folic acid product alone fits the budget, the
    regimen never gives iodine (second tier) while folic acid is missed."""
    answer = regimen(client, PREGNANT, "en", max_products=max_products, budget_per_month=budget)
    folic = TARGETS["pregnancy-folic-acid"]["amount"]
    alone = cheapest_alone(FOLIC, folic, PREGNANT)
    iodine_met = answer["targets"][IODINE]["status"] == "achieved"
    gives_iodine = any(
        per_day(PRODUCTS[line["sku"]], line["servings_per_day"]).get(IODINE, 0.0) > 0
        for line in answer["lines"]
    )
    if alone is not None and alone <= budget and (gives_iodine or iodine_met):
        assert answer["targets"][FOLIC]["status"] == "achieved", (budget, max_products, answer)
    if alone is not None and alone <= budget:
        # with nothing else of the first tier open, folic acid is achieved whatever else is
        assert answer["targets"][FOLIC]["status"] == "achieved", (budget, max_products, answer)


# ---------------------------------------------------------------- the solver against brute force
PROFILES = [
    PREGNANT,
    {**PREGNANT, "current_supplements": []},
    {"age": 75, "country": "NL", "sex": "female", "diet": "vegan", "goals": ["sport"]},
    {"age": 40, "country": "DE", "diet": "vegan", "goals": ["sport", "heart"]},
]


def choices(problem):
    """Every servings vector of at most max_products candidates (each 1..its max_servings)."""
    for size in range(problem.max_products + 1):
        for chosen in itertools.combinations(range(problem.size), size):
            ranges = [range(1, int(problem.max_servings[i]) + 1) for i in chosen]
            for servings in itertools.product(*ranges):
                s = np.zeros(problem.size, dtype=np.int64)
                s[list(chosen)] = servings
                yield s


def count_choices(problem) -> int:
    return sum(
        int(np.prod([problem.max_servings[i] for i in chosen]))
        for size in range(problem.max_products + 1)
        for chosen in itertools.combinations(range(problem.size), size)
    )


def brute_force_best(problem, ranks: np.ndarray) -> tuple:
    """The least (shortfall per tier, first first; cents; pills) over every feasible choice of
    the problem's candidates (the tiers from `ranks`, computed here from targets.yaml)."""
    cols = problem.gap_columns
    levels = sorted(set(ranks[cols].tolist()))
    best = None
    for s in choices(problem):
        if not problem.feasible(s):
            continue
        missing = (
            np.maximum(problem.gaps[cols] - problem.added(s)[cols], 0.0) / problem.targets[cols]
        )
        key = (
            *(round(float(missing[ranks[cols] == r].sum()), 9) for r in levels),
            int((s * problem.cost_cents).sum()),
            int(s.sum()),
        )
        best = key if best is None or key < best else best
    return best


@pytest.fixture(scope="module")
def snapshot():
    return load_snapshot(DataPaths(ROOT / "catalog" / "products.yaml", ROOT / "rules"))


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    ("budget", "max_products"), [(1.0, 1), (2.0, 2), (3.0, 3), (4.5, 2), (None, 1)]
)
def test_the_solver_keeps_the_tiers_in_order(snapshot, profile, budget, max_products):
    """The exact solver against a brute force over the candidates, with the tiers taken from
    targets.yaml by the test; the greedy fallback's answer is feasible."""
    ev = evaluate(snapshot, Profile.from_dict(profile), [], TODAY, None)
    problem = regimen_problem(ev, max_products, budget)
    if problem.size == 0 or count_choices(problem) > 200_000:
        pytest.skip("nothing to choose, or too many choices to enumerate")
    keys = snapshot.reference.nutrients.keys
    ids = ev.target_ids
    ranks = np.array([tier(ids[k]) if ids.get(k) in TARGETS else 0 for k in keys])
    best = brute_force_best(problem, ranks)
    servings, _, _ = solve(problem, 5.0)
    cols = problem.gap_columns
    levels = sorted(set(ranks[cols].tolist()))
    missing = (
        np.maximum(problem.gaps[cols] - problem.added(servings)[cols], 0.0) / problem.targets[cols]
    )
    mine = tuple(round(float(missing[ranks[cols] == r].sum()), 9) for r in levels)
    assert mine == pytest.approx(best[: len(levels)], abs=1e-6), (servings, best)
    # the greedy fallback is a heuristic, but it serves the first tier before any other: it
    # never leaves a first-tier gap that one more serving could reduce within every limit
    greedy = solve_greedy(problem)
    assert problem.feasible(greedy)
