"""The regimen of issue #6 (POST /v1/regimens core) and the basket suggestion of the intake check.

The oracle is written here from the contract and domain.md and reads the catalog YAML itself:
the EFSA upper-limit table, diet, allergies, vitamin K antagonists, contraindications, age and life
stage. It does not ask the service's safety code what is safe. Optimality is checked against a
brute-force enumeration of every combination on small catalogs.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import OptimizeResult

from service.core import regimen_solve
from service.core.day_totals import advice_past_warning, advice_within_warning
from service.core.errors import DataFileError
from service.core.instead import beside_mask, taken_instead
from service.core.intake_check import basket_suggestion
from service.core.needs import overshot_gap
from service.core.profile import Profile
from service.core.ranking import evaluate
from service.core.regimen import formulate_regimen
from service.core.regimen_problem import SHORTFALL_RESOLUTION, regimen_problem
from service.core.regimen_prune import CAUTION_CENTS
from service.core.regimen_solve import solve_greedy
from service.core.regimen_texts import load_regimen_texts
from service.core.requests import RecommendationRequest
from service.core.snapshot import DataPaths, load_snapshot

from .oracle import (
    CATALOG_DOC,
    CONTRAINDICATED,
    CONTRAINDICATED_MEDICATIONS,
    NUTRIENTS,
    expected_room,
    expected_upper_limit,
    line_amounts,
    pregnancy_suitability_applies,
    within,
)
from .oracle import PRODUCTS as ORACLE_PRODUCTS
from .oracle_advice import band_upper, within_band
from .test_safety_properties import possible_life_stage

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "catalog" / "products.yaml"
RULES = ROOT / "rules"
CAUTIONS = yaml.safe_load((RULES / "reference" / "interactions.yaml").read_text())["cautions"]
TODAY = dt.date(2026, 11, 28)  # the same fixed day as conftest.py

# ---------------------------------------------------------------- the oracle's own facts
# A copy: the brute-force catalogs below add synthetic products to it.
PRODUCTS: dict[str, dict[str, Any]] = dict(ORACLE_PRODUCTS)
SKUS = sorted(PRODUCTS)
# Guarantee 7 for regimen texts: disease-claim verb stems per locale (our own list; "heal" as
# the oracle's: a regimen's instead notice quotes "the Dutch Health Council advises" too).
CLAIM_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bprevent",
        r"\bcur(e|es|ed|ing)\b",
        r"\btreat",
        r"\bprotects?\s+against\b",
        r"\bheal(s|ed|ing)?\b",  # not "Health Council" (as tests/oracle.py)
        r"\bvoorkom(t|en)\b",
        r"\bgeneest\b",
        r"\bbehandel",
        r"\bbeschermt?\s+tegen\b",
        r"\bhelpt\s+tegen\b",
        r"\bbeugt\b.*\bvor\b",
        r"\bvorbeug",
        r"\bheilt\b",
        r"\bschützt\s+vor\b",
        r"\bbehandelt\b",
        r"\bhilft\s+gegen\b",
    )
]


def per_serving(sku: str) -> dict[str, float]:
    return {k: float(v) for k, v in PRODUCTS[sku]["nutrients_per_serving"].items()}


def intake_of(lines: list[dict[str, Any]]) -> dict[str, float]:
    totals = dict.fromkeys(NUTRIENTS, 0.0)
    for line in lines:
        for key, amount in line_amounts(line).items():
            totals[key] += amount
    return totals


# the categories `pregnancy-multivitamin-only-in-pregnancy` covers: multivitamins and, since
# review s5 S6, folic acid products (a folic acid + D3 tablet is not a woman of 60's vitamin D)
PREGNANCY_ONLY_CATEGORIES = {"multivitamin", "folic_acid"}


def shipped_rule_excludes(sku: str, profile: dict[str, Any]) -> bool:
    """The shipped exclude rules (risk_groups.yaml): a multivitamin or folic acid product made
    for pregnancy is for pregnancy, breastfeeding or the wish to be
    (`pregnancy-multivitamin-only-in-pregnancy`); a product stays with its target group
    (`target-group-*`: men, women, 50+, named 70+)."""
    product = PRODUCTS[sku]
    tags = product.get("tags", [])
    sex, age = profile.get("sex"), profile["age"]
    planning = "pregnancy" in profile.get("goals", []) and sex != "male" and age <= 55
    # review F6 (session 13): a doctor's folic acid dose opens the products that give nothing
    # but folic acid (`pregnancy-folic-acid-only-in-pregnancy-or-doctor-dose`)
    doctor = profile.get("higher_dose_advised") or {}
    doctor_folic = doctor.get("folic_acid_ug", 0) > 0
    only_folic = {k for k, v in per_serving(sku).items() if v > 0} == {"folic_acid_ug"}
    return (
        (
            product["category"] in PREGNANCY_ONLY_CATEGORIES
            and "pregnancy" in tags
            and profile.get("life_stage", "none") == "none"
            and not planning
            and not (doctor_folic and only_folic and product["category"] == "folic_acid")
        )
        # under 18 nothing that gives vitamin K, and no vitamin D from an omega-3 product
        # (`children-no-vitamin-k-nobody-advised`, `children-vitamin-d-without-omega3`:
        # domain.md has no vitamin K or omega-3 advice for children; review s28 F4)
        or (
            age < 18
            and not doctor.get("vitamin_k1_ug")
            and not doctor.get("vitamin_k2_ug")
            and per_serving(sku).get("vitamin_k1_ug", 0) + per_serving(sku).get("vitamin_k2_ug", 0)
            > 0
        )
        or (
            age < 18
            and not doctor.get("omega3_mg")
            and product["category"] == "omega3"
            and per_serving(sku).get("vitamin_d_ug", 0) > 0
        )
        or ("men" in tags and sex == "female")
        or ("women" in tags and sex == "male")
        or ("50plus" in tags and age < 50)
        or ("for_70plus" in tags and age < 70)
    )


def allowed(sku: str, profile: dict[str, Any]) -> bool:
    """May this profile take this product at all (guarantees 2-6, stock, not taken already)?"""
    product = PRODUCTS[sku]
    amounts = per_serving(sku)
    age = profile["age"]
    life_stage = profile.get("life_stage", "none")
    diet = profile.get("diet", "omnivore")
    taken = {line.get("sku") for line in profile.get("current_supplements", [])}
    if not product.get("in_stock", True) or sku in taken:
        return False
    # medications that exclude a nutrient (tests/oracle.py: a vitamin K antagonist, and
    # levothyroxine's "iodine only with a doctor", review 11 R11-2: the oracle lacked it, and
    # CI found a regimen with a 150 µg iodine tablet for a woman on levothyroxine "better")
    for medication in set(profile.get("medications", [])) & set(CONTRAINDICATED_MEDICATIONS):
        if any(amounts.get(n, 0) > 0 for n in CONTRAINDICATED_MEDICATIONS[medication]):
            return False
    if diet == "vegan" and not product["vegan"]:
        return False
    if diet == "vegetarian" and not (product["vegan"] or product["vegetarian"]):
        return False
    if set(profile.get("allergies", [])) & set(product["allergens"]):
        return False
    if product["min_age"] > age or (
        product.get("max_age") is not None and age > product["max_age"]
    ):
        return False
    if pregnancy_suitability_applies(profile) and product.get("pregnancy_suitable") is False:
        return False
    if life_stage == "breastfeeding" and product.get("breastfeeding_suitable") is False:
        return False
    for condition in set(profile.get("conditions", [])) & set(CONTRAINDICATED):
        if any(amounts.get(n, 0) > 0 for n in CONTRAINDICATED[condition]):
            return False
    return True


def claim_in(text: str) -> str | None:
    return next((p.pattern for p in CLAIM_PATTERNS if p.search(text)), None)


def cost_per_serving(sku: str) -> float:
    product = PRODUCTS[sku]
    return product["price"] / product["pack_size"] * 30


def cents_per_serving(sku: str) -> int:
    return int(np.rint(cost_per_serving(sku) * 100))


# ---------------------------------------------------------------- the checks
def assert_regimen_safe(request: dict[str, Any], answer: dict[str, Any]) -> None:
    """Every guarantee for the whole regimen plus current supplements, and the answer's sums."""
    profile = request["profile"]
    age, life_stage = profile["age"], profile.get("life_stage", "none")
    current = intake_of(profile.get("current_supplements", []))
    lines = answer["lines"]
    assert len(lines) <= request.get("max_products", 3)
    skus = [line["sku"] for line in lines]
    assert len(set(skus)) == len(skus), skus
    totals = dict(current)
    cost = 0.0
    for line in lines:
        sku, servings = line["sku"], line["servings_per_day"]
        assert isinstance(servings, int) and 1 <= servings <= PRODUCTS[sku]["servings_per_day"]
        assert allowed(sku, profile), f"{sku} is not allowed for {profile}"
        for key, amount in per_serving(sku).items():
            totals[key] += amount * servings
            assert line["nutrients_per_day"][key] == pytest.approx(amount * servings, abs=1e-3)
        cost += cost_per_serving(sku) * servings
        assert line["role"]
    for nutrient in NUTRIENTS:
        limit = expected_upper_limit(nutrient, age, life_stage)
        if limit is not None and not within(current[nutrient], limit):
            assert lines == [], f"nothing may be added while {nutrient} is above its limit"
        room = expected_room(profile, nutrient)  # guarantee 9: the limit minus food
        if room is not None and lines and totals[nutrient] > current[nutrient]:
            assert within(totals[nutrient], room), f"G9 {nutrient}: {totals[nutrient]} > {room}"
        assert answer["totals"][nutrient] == pytest.approx(totals[nutrient], abs=1e-3)
    if request.get("budget_per_month") is not None:
        assert cost <= request["budget_per_month"] + 1e-6
    assert answer["cost_per_month"] == pytest.approx(round(cost, 2), abs=0.011)
    assert answer["pills_per_day"] == sum(line["servings_per_day"] for line in lines)
    assert answer["solver"] in ("milp", "greedy", "none")
    for key, target in answer["targets"].items():
        assert target["amount"] == pytest.approx(totals[key], abs=1e-3)
        # enough within lists.covered.within below the target (session 13)
        share = share_of(key, target.get("source"))
        reached = totals[key] >= target["target"] * (1 - share) - 1e-3
        # review 8b R5: an amount that fails a guarantee is never achieved, however much
        assert target["achieved"] == (reached and target["status"] != "fails_guarantee")
        assert target["achieved"] is (target["status"] == "achieved")
        assert target["why"]
    if not lines and any(t["status"] == "missed" for t in answer["targets"].values()):
        codes = {n["code"] for n in answer["notices"]}
        # beside a notice naming what suits in place of a product taken, "what suits in its
        # place is named above" (`no_items`, docs/api.md; review s36a F2), not "we could not"
        named = any(c.startswith("instead:") for c in codes) and "no_items" in codes
        assert "regimen_infeasible" in codes or named, answer
    texts = [line["role"] for line in lines] + [t["why"] for t in answer["targets"].values()]
    texts += [m["text"] for m in answer["notices"] + answer["warnings"]]
    for text in texts:
        assert claim_in(text) is None, text


# ---------------------------------------------------------------- strategies
AGES = st.sampled_from([0, 1, 3, 8, 12, 15, 16, 25, 34, 45, 52, 61, 70, 75, 85, 120])
SCALE = {"vitamin_d_ug": 100, "vitamin_d_iu": 4000, "calcium_mg": 2500, "magnesium_mg": 250}
SCALE |= {"zinc_mg": 25, "iron_mg": 40, "folic_acid_ug": 1000, "vitamin_b12_ug": 500}
SCALE |= {"iodine_ug": 600, "omega3_mg": 1000, "vitamin_k2_ug": 200, "vitamin_a_ug": 3000}


@st.composite
def free_line(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(SCALE)), min_size=1, max_size=2, unique=True))
    nutrients = {
        k: draw(st.sampled_from([0, 0.1, 0.25, 0.5, 0.9, 1.0, 1.2])) * SCALE[k] for k in keys
    }
    return {"label": "own", "nutrients": nutrients}


def sku_line(skus: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"sku": st.sampled_from(skus)},
        optional={"servings_per_day": st.sampled_from([0.5, 1, 2])},
    )


def profiles(skus: list[str] = SKUS) -> st.SearchStrategy[dict[str, Any]]:
    subset = functools.partial(st.lists, unique=True)
    return st.fixed_dictionaries(
        {"age": AGES},
        optional={
            "sex": st.sampled_from(["female", "male", "unspecified"]),
            "life_stage": st.sampled_from(["none", "pregnant", "breastfeeding"]),
            "diet": st.sampled_from(["omnivore", "vegetarian", "vegan"]),
            "allergies": subset(st.sampled_from(["fish", "soy", "milk", "shellfish"]), max_size=2),
            "medications": subset(
                st.sampled_from(
                    ["vitamin_k_antagonist", "thiazide_diuretic", "levothyroxine", "digoxin"]
                ),
                max_size=2,
            ),
            "conditions": subset(
                st.sampled_from(
                    ["hypercalcaemia", "kidney_stones", "osteoporosis", "malabsorption"]
                ),
                max_size=2,
            ),
            "sun_exposure": st.sampled_from(["low", "moderate", "high"]),
            "skin_type": st.integers(1, 6),
            "country": st.sampled_from(["NL", "DE", "BE"]),
            "serum_25ohd_nmol_l": st.sampled_from([12.0, 27.5, 40.0, 49.0, 75.0]),
            "goals": subset(st.sampled_from(["bones", "heart", "sport", "muscles"]), max_size=3),
            "current_supplements": st.lists(st.one_of(sku_line(skus), free_line()), max_size=3),
        },
    ).map(possible_life_stage)  # review s5 S12: no pregnant boy of five (refused with 422)


# Profile traits that give targets (targets.yaml), so that most examples have something to solve.
TARGETED = [
    {},
    {"age": 75},
    {"age": 85, "goals": ["sport", "heart"]},
    {"age": 40, "diet": "vegan"},
    {"age": 45, "goals": ["sport", "heart"]},
    {"age": 30, "sex": "female", "life_stage": "pregnant"},
    {"age": 60, "conditions": ["osteoporosis"], "goals": ["muscles"]},
    {"age": 40, "serum_25ohd_nmol_l": 20.0},
    {"age": 2},
]


def targeted_profiles(skus: list[str] = SKUS) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda p, t: {**p, **t}, profiles(skus), st.sampled_from(TARGETED))


def regimen_requests(skus: list[str] = SKUS, max_products: int = 10) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {"profile": targeted_profiles(skus), "max_products": st.integers(1, max_products)},
        optional={
            "budget_per_month": st.one_of(st.none(), st.sampled_from([0.0, 2.0, 5.0, 12.5, 40.0])),
            "locale": st.sampled_from(["nl", "de", "en"]),
        },
    )


# ---------------------------------------------------------------- properties
@pytest.fixture(scope="module")
def snapshot(recommender):
    return recommender.snapshot


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=regimen_requests())
@example(request={"profile": {"age": 75, "diet": "vegan", "goals": ["sport", "heart"]}})
@example(  # the CI rehearsal of session 37: no line within a budget of 0 beside an instead
    request={
        "profile": {
            "age": 85,
            "current_supplements": [{"sku": "KV-D3-10-CHEW"}],
            "goals": ["sport", "heart"],
        },
        "max_products": 1,
        "budget_per_month": 0.0,
    }
)
@example(
    request={
        "profile": {"age": 80, "current_supplements": [{"sku": "XF-D3-75-TAB"}]},
        "max_products": 5,
    }
)
@example(
    request={
        "profile": {"age": 30, "life_stage": "pregnant", "medications": ["vitamin_k_antagonist"]},
        "max_products": 10,
    }
)
@example(request={"profile": {"age": 3, "serum_25ohd_nmol_l": 12.0}, "max_products": 10})
def test_no_regimen_crosses_a_limit_or_breaks_a_guarantee(snapshot, request):
    assert_regimen_safe(request, formulate_regimen(snapshot, request, TODAY))


@settings(max_examples=100, deadline=None)
@given(request=regimen_requests())
def test_greedy_fallback_is_safe_too(snapshot, request):
    profile = Profile.from_dict(request["profile"])
    lines = [(f"c.{i}", line) for i, line in enumerate(profile.current_supplements)]
    ev = evaluate(snapshot, profile, lines, TODAY)
    if ev.over_limit_now:
        return
    budget = request.get("budget_per_month")
    problem = regimen_problem(ev, request["max_products"], budget)
    servings = solve_greedy(problem)
    assert problem.feasible(servings)
    chosen = {
        snapshot.catalog.products[int(problem.products[i])].sku: int(s)
        for i, s in enumerate(servings)
        if s > 0
    }
    assert len(chosen) <= request["max_products"]
    totals = intake_of(request["profile"].get("current_supplements", []))
    for sku, count in chosen.items():
        assert allowed(sku, request["profile"]), sku
        assert count <= PRODUCTS[sku]["servings_per_day"]
        for key, amount in per_serving(sku).items():
            totals[key] += amount * count
    current = intake_of(request["profile"].get("current_supplements", []))
    for nutrient in NUTRIENTS:
        room = expected_room(request["profile"], nutrient)
        if room is not None and totals[nutrient] > current[nutrient]:
            assert within(totals[nutrient], room), nutrient
    if budget is not None:
        assert sum(cost_per_serving(s) * n for s, n in chosen.items()) <= budget + 1e-6


def test_greedy_stops_before_a_limit_that_two_products_would_cross():
    """Either product fits next to 500 µg of vitamin A already taken (plus 1500 µg from food);
    both would cross 3000."""
    catalog = tuple(sorted([FLAGSHIP, "T-D-A", "T-MG-A"]))
    current = [{"label": "A", "nutrients": {"vitamin_a_ug": 500}}]
    profile = Profile.from_dict({"age": 75, "goals": ["sport"], "current_supplements": current})
    lines = [("c.0", profile.current_supplements[0])]
    problem = regimen_problem(evaluate(small_snapshot(catalog), profile, lines, TODAY), 2, None)
    servings = solve_greedy(problem)
    assert problem.feasible(servings) and servings.sum() == 1


def test_when_highs_has_no_solution_the_greedy_fallback_answers(snapshot, monkeypatch):
    monkeypatch.setattr(regimen_solve, "milp", lambda *a, **k: OptimizeResult(x=None, status=1))
    request = {
        "profile": {"age": 75, "diet": "vegan", "goals": ["sport", "heart"], "sex": "female"},
        "max_products": 3,
        "locale": "en",
    }
    answer = formulate_regimen(snapshot, request, TODAY)
    assert answer["solver"] == "greedy"
    assert answer["lines"]
    assert any(n["code"] == "regimen_greedy" for n in answer["notices"])
    assert_regimen_safe(request, answer)


def test_the_exact_solver_says_so_and_pairs_combination_products(snapshot):
    request = {"profile": {"age": 75, "goals": ["sport"]}, "max_products": 2, "locale": "en"}
    answer = formulate_regimen(snapshot, request, TODAY)
    assert answer["solver"] == "milp" and answer["optimal"] is True
    assert {"vitamin_d_ug", "magnesium_mg"} <= set(answer["targets"])
    assert all(t["achieved"] for t in answer["targets"].values())
    assert len(answer["lines"]) <= 2
    assert_regimen_safe(request, answer)


# ---------------------------------------------------------------- brute force on small catalogs
GROUPS = [
    [
        "XF-D3-10-TAB",
        "XF-D3-20-TAB",
        "GR-D3-20-TAB",
        "BL-D3-20-70PLUS-TAB",
        "XF-D3-25-SG",
        "NV-D3-25-FISH-SG",
        "XF-D3-75-TAB",
        "GR-D3-20-SPRAY-VEGAN",
    ],
    [
        "XF-D3K2-VEGAN-CAP",
        "BL-D3K2-TAB",
        "XF-CAD3-500-10-TAB",
        "GR-CAD3-VEGAN-TAB",
        "XF-OMEGA3-D3-SG",
        "GR-ALGAE-D3-SG",
        "XF-FOLIC-D3-TAB",
    ],
    ["BL-CA-500-TAB", "XF-CA-MG-TAB", "XF-MG-CIT-150-TAB", "XF-MG-BISGLY-CAP", "BL-MG-375-TAB"],
    [
        "GR-MULTI-VEGAN",
        "XF-MULTI-PREGNANCY",
        "BL-B12-100-TAB",
        "VL-IODINE-150-TAB",
        "XF-IRON-14-CAP",
        "GR-ALGAE-OMEGA3-SG",
        "XF-OMEGA3-1000-SG",
    ],
]
FLAGSHIP = "XF-D3K2-TAB"  # named by the shipped campaign rules, so every small catalog has it
# Nine products each: the flagship and two of each group (plain D, combinations, minerals, rest).
SMALL_CATALOGS = [
    tuple(sorted([FLAGSHIP, *(s for g in GROUPS for s in random.Random(seed).sample(g, 2))]))
    for seed in range(10)
]


def _synthetic(
    sku: str, nutrients: dict[str, float], price: float, category: str = "magnesium"
) -> dict[str, Any]:
    """A test-only product (30 servings a pack, one a day: price = cost a month)."""
    names = {locale: f"Test {sku}" for locale in ("nl", "de", "en")}
    product = {**PRODUCTS["XF-MG-CIT-150-TAB"], "sku": sku, "name": names, "claims": []}
    product |= {"nutrients_per_serving": nutrients, "price": price, "pack_size": 30}
    # an authorised form of each nutrient that has forms: a missing one is never offered (s31b H4)
    forms = {"magnesium": "magnesium_citrate", "calcium": "calcium_carbonate"}
    forms |= {"vitamin_d": "lichen", "vitamin_a": "retinyl_acetate"}
    sources = {k: v for k, v in forms.items() if any(n.startswith(k) for n in nutrients)}
    return product | {"category": category, "vitamin_sources": sources}


SYNTHETIC = {
    # a calcium product with magnesium: a regimen holds one product per role, so it is in the
    # calcium role, next to which a magnesium product may stand
    "T-CA-MG": _synthetic("T-CA-MG", {"calcium_mg": 500, "magnesium_mg": 100}, 5.0, "calcium"),
    "T-MG-150": _synthetic("T-MG-150", {"magnesium_mg": 150}, 3.0),
    "T-MG-250": _synthetic("T-MG-250", {"magnesium_mg": 250}, 2.0),
    "T-MG-200": _synthetic("T-MG-200", {"magnesium_mg": 200}, 2.5),
    "T-D-A": _synthetic("T-D-A", {"vitamin_d_ug": 20, "vitamin_a_ug": 600}, 1.0),
    "T-MG-A": _synthetic("T-MG-A", {"magnesium_mg": 150, "vitamin_a_ug": 600}, 1.0),
    "T-D-A2": _synthetic("T-D-A2", {"vitamin_d_ug": 20, "vitamin_a_ug": 600}, 1.1),
}
PRODUCTS.update(SYNTHETIC)  # after SKUS: only the small catalogs that name them have them


@functools.cache
def small_snapshot(skus: tuple[str, ...]):
    document = {**CATALOG_DOC, "products": [PRODUCTS[s] for s in skus]}
    return load_snapshot(DataPaths(CATALOG, RULES), catalog_document=document)


SCORING = yaml.safe_load((ROOT / "rules" / "reference" / "scoring.yaml").read_text("utf-8"))
ROLE_OF_CATEGORY = SCORING["lists"]["roles"]
BANDED_NUTRIENTS = tuple(SCORING["dose_band"]["nutrients"])
LIFE_STAGE_CAPS = {
    stage: {n: float(v["amount"]) for n, v in caps.items()}
    for stage, caps in yaml.safe_load(
        (ROOT / "rules" / "reference" / "product_maxima.yaml").read_text("utf-8")
    )["life_stages"].items()
}


NUTRIENT_ROLES = {
    key.rsplit("_", 1)[0]
    for key in yaml.safe_load((ROOT / "rules" / "reference" / "nutrients.yaml").read_text("utf-8"))[
        "nutrients"
    ]
}


# banded nutrients a multivitamin carries in passing (scoring.yaml dose_band.in_passing)
IN_PASSING = set(SCORING["dose_band"].get("in_passing", []))
# R8, the dose that fits: a list weighs a dose past the advice gap (relative to the target) at
# weights.overshoot where it weighs the gap filled at weights.gap_fill (scoring.yaml `dose_fit`);
# a regimen weighs its overshoot against cost at that ratio, once the shortfall is settled;
# a regimen also counts the overshoot of `regimen_nutrients` (magnesium, review 8b R2)
DOSE_FIT = tuple(SCORING["dose_fit"]["nutrients"]) + tuple(
    SCORING["dose_fit"].get("regimen_nutrients", [])
)
OVERSHOOT_PER_SHORTFALL = SCORING["weights"]["overshoot"] / SCORING["weights"]["gap_fill"]
# session 13: what is taken within this share below a target is enough; a regimen adds nothing
# for it (scoring.yaml lists.covered.within, regimen_problem.target_gaps)
WITHIN = float(SCORING["lists"]["covered"].get("within", 0.0))
# ... except for these nutrients and for a doctor's dose (review 14)
EXACT = set(SCORING["lists"]["covered"].get("within_except", []))


def share_of(key: str, source: str | None) -> float:
    """The share below a target that is enough: none for EXACT or a doctor's dose."""
    doctor = (source or "").startswith("higher_dose_advised")
    return 0.0 if key in EXACT or doctor else WITHIN


def gap_of(target: float, current: float, share: float = WITHIN) -> float:
    """The gap a regimen aims to close: 0 where what is taken is enough, within `share`."""
    gap = target - current
    return gap if gap > max(1e-9 * max(1.0, abs(target)), share * target) else 0.0


GOAL_INDICATION = SCORING["lists"]["goal_indication"]


def not_indicated_only_for_its_gap(sku: str, profile: dict[str, Any], gaps: dict) -> bool:
    """A product carrying a nutrient not indicated for the person (scoring.yaml
    goal_indication: iron for a woman of 72) only where it gives one of those the regimen has a
    gap of, as lists (advice.Offer.gap_fits)."""
    sex, age = profile.get("sex", "unspecified"), profile["age"]
    stage = profile.get("life_stage", "none")
    not_indicated = [
        nutrient
        for nutrient, rule in GOAL_INDICATION.items()
        if stage not in rule.get("life_stages", [])
        and not (sex in rule["sexes"] and rule.get("min_age", 0) <= age <= rule.get("max_age", 120))
    ]
    amounts = per_serving(sku)
    carried = [n for n in not_indicated if amounts.get(n, 0) > 0]
    return not carried or any(gaps.get(n, 0) > 0 for n in carried)


def one_of_each(chosen: tuple[str, ...]) -> bool:
    """A regimen holds one product per role and one source of each banded nutrient; for the
    `in_passing` ones only among the products whose role is a nutrient's (review s5 S2)."""
    roles = [ROLE_OF_CATEGORY.get(PRODUCTS[s]["category"], PRODUCTS[s]["category"]) for s in chosen]
    if len(roles) != len(set(roles)):
        return False
    sources = [s for s, role in zip(chosen, roles, strict=True) if role in NUTRIENT_ROLES]
    return all(
        sum(per_serving(s).get(n, 0) > 0 for s in (sources if n in IN_PASSING else chosen)) <= 1
        for n in BANDED_NUTRIENTS
    )


INTERACTIONS = yaml.safe_load((RULES / "reference" / "interactions.yaml").read_text("utf-8"))[
    "interactions"
]


def warned_unneeded(
    sku: str, profile: dict[str, Any], current: dict[str, float], targets: dict[str, float]
) -> bool:
    """A serving takes a nutrient without a target gap past the threshold at which one of the
    person's medicines or conditions warns (interactions.yaml `warn`): a regimen adds calcium
    to a thiazide user only for a calcium advice (session 6)."""
    medications, conditions = (
        set(profile.get("medications", [])),
        set(profile.get("conditions", [])),
    )
    for interaction in INTERACTIONS:
        trigger = interaction.get("trigger", {})
        if not (
            set(trigger.get("medications", [])) & medications
            or set(trigger.get("conditions", [])) & conditions
        ):
            continue
        for nutrient, threshold in (interaction.get("warn") or {}).items():
            target = targets.get(nutrient, 0.0)
            if target > 0 and target - current[nutrient] > 1e-9 * max(1.0, target):
                continue  # a gap: the regimen may fill it (with the warning)
            given = per_serving(sku).get(nutrient, 0.0)
            if given > 0 and current[nutrient] + given > threshold + 1e-9:
                return True
    return False


def brute_force(
    snapshot, request: dict[str, Any], skus: tuple[str, ...], caps: dict[str, float] | None = None
) -> dict[str, Any]:
    """Every combination of up to max_products allowed products and their servings, with the
    caps of a list for the whole combination: the dose band and the life stage's cap on what
    the regimen adds, one product per role and one source of each banded nutrient.

    Each is scored (shortfall, cents, pills, overshoot): the sum of relative shortfalls against
    the targets, and for the `dose_fit` nutrients with a target what the day goes past the
    larger of the target and what is already taken, relative to the target (R8, as a list
    scores it). The optimum is lexicographic in two stages (`value`, then `fit_value` among
    the choices no shorter of the targets than stage 1's optimum): see
    assert_brute_force_optimum and service/core/regimen_problem.py."""
    held = dict(caps or {})
    profile = request["profile"]
    age, life_stage = profile["age"], profile.get("life_stage", "none")
    current = intake_of(profile.get("current_supplements", []))
    limits = {n: expected_upper_limit(n, age, life_stage) for n in NUTRIENTS}
    rooms = {n: expected_room(profile, n) for n in NUTRIENTS}
    parsed = Profile.from_dict(profile)
    # the paths the service gives what is taken (instead.py finds it by them: with others
    # the oracle named no replacement, and a regimen's candidates beside it looked allowed)
    lines = [
        (f"profile.current_supplements.{i}", line)
        for i, line in enumerate(parsed.current_supplements)
    ]
    ev = evaluate(snapshot, parsed, lines, TODAY)
    beside = beside_mask(ev, taken_instead(ev, RecommendationRequest(profile=parsed)))
    budget = request.get("budget_per_month")
    problem = regimen_problem(ev, request["max_products"], budget)
    keys = snapshot.reference.nutrients.keys
    targets = {keys[c]: float(ev.targets[c]) for c in np.flatnonzero(np.nan_to_num(ev.targets) > 0)}
    gaps = {k: gap_of(t, current[k], share_of(k, ev.target_ids.get(k))) for k, t in targets.items()}

    # planning a pregnancy holds her to the pregnancy maxima, as pregnancy suitability does
    # (review s8 Q4: she may be pregnant without knowing it)
    planning = life_stage == "none" and pregnancy_suitability_applies(profile)
    maxima_stage = "pregnant" if planning else life_stage

    def score(choice: dict[str, int]) -> tuple[float, int, int, float] | None:
        totals = dict(current)
        for sku, servings in choice.items():
            for key, amount in per_serving(sku).items():
                totals[key] += amount * servings
        for nutrient, limit in limits.items():
            if limit is not None and not within(totals[nutrient], limit):
                return None
            room = rooms[nutrient]  # guarantee 9: what is added must fit the room food leaves
            if room is not None and totals[nutrient] > current[nutrient]:
                if not within(totals[nutrient], room):
                    return None
        for nutrient, cap in held.items():  # a day's total held at a warning's cap
            if totals[nutrient] > current[nutrient] and not within(totals[nutrient], cap):
                return None
        for nutrient in BANDED_NUTRIENTS:
            added = totals[nutrient] - current[nutrient]
            caps = [band_upper(profile, nutrient, TODAY.month)]
            stage_cap = LIFE_STAGE_CAPS.get(maxima_stage, {}).get(nutrient)
            if stage_cap is not None:  # a maximum for the day: what is taken counts
                caps.append(max(stage_cap - current[nutrient], 0.0))
            if any(cap is not None and not within(added, cap) for cap in caps):
                return None
        cost = sum(cost_per_serving(s) * n for s, n in choice.items())
        if budget is not None and cost > budget + 1e-9:
            return None
        added = {k: totals[k] - current[k] for k in targets}
        shortfall = sum(max(0.0, gaps[k] - added[k]) / t for k, t in targets.items())
        overshoot = sum(
            max(0.0, added[k] - gaps[k]) / t for k, t in targets.items() if k in DOSE_FIT
        )
        # what the objective adds for a cautioned nutrient no target asks for (review s44a F1)
        cents = sum((cents_per_serving(s) + caution_cents(s)) * n for s, n in choice.items())
        return shortfall, cents, sum(choice.values()), overshoot

    def caution_cents(sku: str) -> int:
        """interactions.yaml `cautions` that hold for the profile (none of its medicines named)
        and give a nutrient no target gap asks for: CAUTION_CENTS a serving."""
        medications = set(profile.get("medications") or ())
        given = per_serving(sku)
        for caution in CAUTIONS:
            if medications & set(caution.get("unless_medications") or ()):
                continue
            if any(given.get(n, 0) > 0 and gaps.get(n, 0.0) <= 0 for n in caution["nutrients"]):
                return CAUTION_CENTS
        return 0

    # guarantee 10: the dose band of the advice (tests/oracle_advice.py), as lists have it
    candidates = [
        s
        for s in skus
        if allowed(s, profile)
        and within_band(s, profile, TODAY.month, PRODUCTS, current)
        and not shipped_rule_excludes(s, profile)
        and not warned_unneeded(s, profile, current, targets)
        # what the list calls a duplicate (a nutrient taken enough of, advice.Offer; the list's
        # tests check that rule): taken from the evaluation, as the targets are (session 13)
        and not ev.offer.duplicate[snapshot.catalog.index[s]]
        and not overshot_gap(ev.offer)[snapshot.catalog.index[s]]  # review 14, as lists
        and not_indicated_only_for_its_gap(s, profile, gaps)  # review 14 #1b (session 14)
        # nothing that gives what the list names in place of a product taken that does not
        # suit (review s36a F2; tests/test_s36_review.py checks that rule), from the service
        # as the duplicates are
        and bool(np.asarray(beside)[snapshot.catalog.index[s]])
    ]
    scores = []
    for size in range(request["max_products"] + 1):
        for chosen in itertools.combinations(candidates, size):
            if not one_of_each(chosen):
                continue
            ranges = [range(1, PRODUCTS[s]["servings_per_day"] + 1) for s in chosen]
            for servings in itertools.product(*ranges):
                choice = dict(zip(chosen, servings, strict=True))
                result = score(choice)
                if result is not None:
                    scores.append((result, choice))
    weights = problem.weights

    def value(result: tuple[float, int, int, float]) -> float:
        """Stage 1: shortfall, then cost, then pills."""
        return weights.shortfall * result[0] + result[1] + weights.pill * result[2]

    def fit_value(result: tuple[float, int, int, float]) -> float:
        """Stage 2: overshoot at the list's ratio to a gap filled, then cost, then pills."""
        overshoot = weights.shortfall * OVERSHOOT_PER_SHORTFALL * result[3]
        return overshoot + result[1] + weights.pill * result[2]

    # review s10 U2: targets come in tiers (targets.yaml priorities, first first), read here
    doc = yaml.safe_load((RULES / "reference" / "targets.yaml").read_text("utf-8"))
    tier_ids = [tier["id"] for tier in doc["priorities"]["tiers"]]
    by_authority = {a: t["id"] for t in doc["priorities"]["tiers"] for a in t["authorities"]}
    entries = {t["id"]: t for t in doc["targets"]}
    ids = ev.target_ids
    ranks = {
        k: tier_ids.index(
            entries[ids[k]].get("priority") or by_authority[entries[ids[k]]["authority"]]
            if ids.get(k) in entries
            else by_authority["doctor"]
        )
        for k in targets
    }

    def tiers(choice: dict[str, int]) -> tuple[float, ...]:
        """The sum of relative shortfalls per tier, first tier first."""
        totals = dict(current)
        for sku, servings in choice.items():
            for key, amount in per_serving(sku).items():
                totals[key] += amount * servings
        return tuple(
            sum(
                max(0.0, gaps[k] - (totals[k] - current[k])) / t
                for k, t in targets.items()
                if ranks[k] == level
            )
            for level in sorted(set(ranks.values()))
        )

    # stage 1 is lexicographic over the tiers: keep the choices at the least shortfall of every
    # tier but the last, in order; `value` then orders the last tier, cost and pills
    kept = [(tiers(c), r, c) for r, c in scores]
    for level in range(len(kept[0][0]) - 1 if kept else 0):
        least = min(k[0][level] for k in kept)
        kept = [k for k in kept if k[0][level] <= least + 1e-9]
    scores = [(r, c) for _, r, c in kept]
    return {"scores": scores, "score": score, "value": value, "fit_value": fit_value, "ev": ev}


def assert_brute_force_optimum(catalog: tuple[str, ...], request: dict[str, Any]) -> None:
    snapshot = small_snapshot(catalog)
    answer = formulate_regimen(snapshot, request, TODAY, time_limit=10.0)
    assert_regimen_safe(request, answer)
    found = brute_force(snapshot, request, catalog)
    if found["ev"].over_limit_now:
        assert answer["lines"] == [] and not found["scores"]
        return
    chosen = {line["sku"]: line["servings_per_day"] for line in answer["lines"]}
    mine = found["score"](chosen)
    assert mine is not None, "the answer is not feasible for the oracle"
    shortest, second = _stage_optima(found)
    held = _warning_holds(found["ev"])
    # the solver held the day at a warning where the oracle's optimum goes past it (where the
    # solver goes past it too, the dose closest to the advice: regimen_warnings.py)
    past = (
        held
        and _goes_past(second[1], held, request["profile"])
        and not _goes_past(chosen, held, request["profile"])
    )
    if held and (mine[0] > shortest + 1e-9 * max(1.0, shortest) or past):
        # a medicine's warning threshold holds the day (regimen_warnings.py: below it where the
        # advice stays within it, review 21; at the advice where the advice is above it, session
        # 18, found by CI in session 19: digoxin and a measured 12 nmol/l, 20 µg rather than 75):
        # then the optimum of the program with those day's totals held; so too where the
        # oracle's own optimum goes past one (found by CI in session 41: a thiazide's 20 µg and
        # a measured 20 nmol/l, the oracle's 75 µg D3 + K2 against the solver's omega-3 + D3)
        found = brute_force(snapshot, request, catalog, caps=held)
        shortest, second = _stage_optima(found)
    scores, fit_value = found["scores"], found["fit_value"]
    assert mine[0] <= shortest + 1e-9 * max(1.0, shortest), (chosen, mine, second)
    assert fit_value(mine) == pytest.approx(fit_value(second[0]), rel=1e-9, abs=1e-6), (
        f"solver {chosen} {mine}, brute force {second}"
    )
    best_shortfall = min(result[0] for result, _ in scores)
    assert mine[0] <= best_shortfall + SHORTFALL_RESOLUTION
    if answer["solver"] != "none":
        assert answer["solver"] == "milp" and answer["optimal"]


def _goes_past(choice: dict[str, int], held: dict[str, float], profile: dict[str, Any]) -> bool:
    """`choice` adds to a nutrient whose day's total a medicine's warning holds, past the
    total held (as `brute_force` caps it)."""
    current = intake_of(profile.get("current_supplements", []))
    totals = dict(current)
    for sku, servings in choice.items():
        for key, amount in per_serving(sku).items():
            totals[key] += amount * servings
    return any(totals[k] > current[k] and not within(totals[k], cap) for k, cap in held.items())


def _stage_optima(found: dict[str, Any]) -> tuple[float, Any]:
    """(stage 1's least shortfall among its optima by value, stage 2's optimum among the
    choices no shorter of the targets)."""
    scores, value, fit_value = found["scores"], found["value"], found["fit_value"]
    best = min(value(result) for result, _ in scores)
    first = [r for r, _ in scores if value(r) == pytest.approx(best, rel=1e-9, abs=1e-6)]
    shortest = min(r[0] for r in first)
    eligible = [(r, c) for r, c in scores if r[0] <= shortest + 1e-9 * max(1.0, shortest)]
    return shortest, min(eligible, key=lambda item: fit_value(item[0]))


def _warning_holds(ev: Any) -> dict[str, float]:
    """{nutrient: the day's total a regimen may be held to} for each warning threshold of the
    person's medicines (interactions.yaml `warn`): the threshold where the advice stays within
    it, the advice where it is above it."""
    keys = ev.snapshot.reference.nutrients.keys
    held = {keys[c]: float(t) for c, t in advice_within_warning(ev).items()}
    for column in advice_past_warning(ev):
        held[keys[column]] = float(ev.targets[column])
    return held


def test_the_oracle_holds_the_day_where_a_medicine_warns_below_the_advice():
    """Found by CI (session 19): digoxin warns of any vitamin D, and a measured 12 nmol/l
    advises 38 µg; the regimen holds the day at the dose closest to the advice (20 µg, as the
    list does; session 18), where the oracle, knowing no warning, wanted the 75 µg tablet."""
    catalog = (
        "BL-MG-375-TAB",
        "GR-CAD3-VEGAN-TAB",
        "GR-D3-20-SPRAY-VEGAN",
        "VL-IODINE-150-TAB",
        "XF-D3-75-TAB",
        "XF-D3K2-TAB",
        "XF-FOLIC-D3-TAB",
        "XF-MG-BISGLY-CAP",
        "XF-OMEGA3-1000-SG",
    )
    profile = {
        "age": 60,
        "sex": "female",
        "allergies": [],
        "medications": ["digoxin", "vitamin_k_antagonist"],
        "serum_25ohd_nmol_l": 12.0,
        "goals": ["muscles"],
        "conditions": ["osteoporosis"],
    }
    assert_brute_force_optimum(catalog, {"profile": profile, "max_products": 1})


def test_the_oracle_holds_the_day_where_its_own_optimum_goes_past_a_medicines_warning():
    """Found by CI (session 41): a thiazide diuretic warns above 20 µg vitamin D, and a
    measured 20 nmol/l advises more; the solver held the day at 20 µg (the omega-3 with D3,
    two softgels, which also meets the heart goal's omega-3), where the oracle, knowing no
    warning, wanted the 75 µg D3 + K2 tablet."""
    catalog = (
        "BL-CA-500-TAB",
        "BL-D3-20-70PLUS-TAB",
        "BL-MG-375-TAB",
        "XF-D3-20-TAB",
        "XF-D3K2-TAB",
        "XF-FOLIC-D3-TAB",
        "XF-IRON-14-CAP",
        "XF-OMEGA3-1000-SG",
        "XF-OMEGA3-D3-SG",
    )
    profile = {
        "age": 40,
        "sex": "female",
        "current_supplements": [],
        "conditions": [],
        "goals": ["bones", "heart"],
        "country": "NL",
        "skin_type": 1,
        "medications": ["thiazide_diuretic"],
        "serum_25ohd_nmol_l": 20.0,
    }
    assert_brute_force_optimum(catalog, {"profile": profile, "max_products": 1})


def test_the_oracle_holds_the_day_only_where_the_solver_holds_it():
    """Found by the session 41 rehearsal: digoxin warns of any vitamin D, and a pregnant girl
    of 12 is advised 10 µg; with no product of 10 µg the solver gives the dose closest to the
    advice (20 µg; regimen_warnings.closest_past_warnings: none is no closer), and the oracle
    compares it with its own optimum, as before session 41, not with one held at 10 µg."""
    catalog = (
        "BL-CA-500-TAB",
        "BL-D3K2-TAB",
        "GR-D3-20-TAB",
        "XF-CA-MG-TAB",
        "XF-D3-25-SG",
        "XF-D3K2-TAB",
        "XF-IRON-14-CAP",
        "XF-MULTI-PREGNANCY",
        "XF-OMEGA3-D3-SG",
    )
    profile = {
        "age": 12,
        "sex": "female",
        "current_supplements": [],
        "goals": [],
        "serum_25ohd_nmol_l": 12.0,
        "country": "NL",
        "skin_type": 1,
        "life_stage": "pregnant",
        "medications": ["vitamin_k_antagonist", "digoxin"],
    }
    assert_brute_force_optimum(catalog, {"profile": profile, "max_products": 1})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), catalog=st.sampled_from(SMALL_CATALOGS))
def test_the_solver_finds_the_brute_force_optimum_on_small_catalogs(data, catalog):
    assert_brute_force_optimum(catalog, data.draw(regimen_requests(list(catalog), max_products=3)))


@pytest.mark.parametrize(
    ("skus", "profile", "max_products"),
    [
        # the cheaper 10 µg tablet must not push out the spray that can give 2 servings
        (["XF-D3-10-TAB", "GR-D3-20-SPRAY-VEGAN"], {"age": 75}, 1),
        # found by CI (session 12): levothyroxine excludes iodine ("only with a doctor"), and the
        # oracle did not know it, so a regimen with the 150 µg iodine tablet looked better
        (
            ["GR-D3-20-SPRAY-VEGAN", "XF-MG-BISGLY-CAP", "VL-IODINE-150-TAB"],
            {
                "sex": "unspecified",
                "medications": ["levothyroxine", "thiazide_diuretic"],
                "life_stage": "breastfeeding",
                "goals": ["sport"],
                "skin_type": 1,
                "country": "DE",
                "age": 40,
                "conditions": [],
                "diet": "vegan",
                "current_supplements": [],
                "allergies": ["fish", "soy"],
            },
            3,
        ),
        (["XF-D3-10-TAB", "GR-D3-20-SPRAY-VEGAN", "XF-D3-20-TAB"], {"age": 75}, 2),
        # two identical 20 µg tablets are both needed for 38 µg
        (["XF-D3-20-TAB", "GR-D3-20-TAB"], {"age": 40, "serum_25ohd_nmol_l": 12.0}, 2),
        # found by session 37's CI rehearsal: the oracle's lines had other paths than the
        # service's, so it named no replacement of the pregnancy multivitamin and took the
        # omega-3 with D beside what the regimen names in its place for allowed
        (
            ["BL-CA-500-TAB", "GR-D3-20-TAB", "XF-MULTI-PREGNANCY", "XF-OMEGA3-D3-SG"],
            {"age": 75, "sex": "female", "current_supplements": [{"sku": "XF-MULTI-PREGNANCY"}]},
            1,
        ),
        # the dearer plain D3 is the only D that fits next to T-MG-A under the vitamin A limit
        (
            ["T-D-A", "T-D-A2", "T-MG-A", "XF-D3-20-TAB"],
            {
                "age": 75,
                "goals": ["sport"],
                "current_supplements": [{"label": "A", "nutrients": {"vitamin_a_ug": 500}}],
            },
            2,
        ),
        # combination products count for every nutrient they carry
        (
            ["XF-CA-MG-TAB", "BL-CA-500-TAB", "XF-MG-CIT-150-TAB"],
            {"age": 60, "goals": ["sport"], "conditions": ["osteoporosis"]},
            2,
        ),
        (["XF-CAD3-500-10-TAB", "BL-CA-500-TAB", "XF-D3-10-TAB"], {"age": 70, "diet": "vegan"}, 3),
        # review s10 U2: folic acid (first tier) before the iodine aim, one product's budget
        (
            ["BL-FOLIC-400-TAB", "VL-IODINE-150-TAB"],
            {
                "age": 30,
                "sex": "female",
                "life_stage": "pregnant",
                "current_supplements": [{"label": "P", "nutrients": {"vitamin_d_ug": 20}}],
            },
            1,
        ),
        # magnesium limit: 2 servings of 100 mg with 100 mg already taken would cross 250 mg,
        # one serving does not: the regimen may take fewer servings than the label
        (
            ["XF-MG-BISGLY-CAP"],
            {
                "age": 40,
                "goals": ["sport"],
                "current_supplements": [{"label": "Mg", "nutrients": {"magnesium_mg": 100}}],
            },
            2,
        ),
        (
            ["XF-MG-BISGLY-CAP", "XF-MG-CIT-150-TAB"],
            {
                "age": 40,
                "goals": ["sport"],
                "current_supplements": [{"label": "Mg", "nutrients": {"magnesium_mg": 100}}],
            },
            2,
        ),
        # pregnancy maximum of 25 µg vitamin D a day with 10 µg taken: the 2 x 10 µg spray's
        # label is too much, one serving fits (CI of session 5: the regimen left her at 10 µg)
        (
            ["GR-CAD3-VEGAN-TAB", "GR-D3-20-SPRAY-VEGAN", "VL-IODINE-150-TAB"],
            {
                "age": 30,
                "sex": "female",
                "life_stage": "pregnant",
                "serum_25ohd_nmol_l": 27.5,
                "current_supplements": [{"sku": "GR-CAD3-VEGAN-TAB"}],
            },
            2,
        ),
        # the folic acid + D3 tablet (tag pregnancy) is not a woman of 60's vitamin D: the
        # oracle knew only the multivitamins of the pregnancy-only rule (stop CI of session 7)
        (
            ["XF-FOLIC-D3-TAB", "XF-OMEGA3-D3-SG", "XF-D3-20-TAB", "BL-CA-500-TAB"],
            {"age": 60, "sex": "female", "goals": ["immunity"]},
            2,
        ),
    ],
)
def test_brute_force_on_chosen_small_catalogs(skus, profile, max_products):
    catalog = tuple(sorted([FLAGSHIP, *skus]))
    assert_brute_force_optimum(catalog, {"profile": profile, "max_products": max_products})


def test_dominated_products_are_kept_where_a_binding_limit_needs_them():
    """T-MG-150 is dearer than T-MG-250 and T-MG-200 and gives less magnesium, yet it is the only
    one that fits next to the calcium + magnesium product under the 250 mg limit."""
    catalog = tuple(sorted([FLAGSHIP, "T-CA-MG", "T-MG-150", "T-MG-250", "T-MG-200"]))
    request = {"profile": {"age": 60, "conditions": ["osteoporosis"], "goals": ["sport"]}}
    request["max_products"] = 2
    assert_brute_force_optimum(catalog, request)
    answer = formulate_regimen(small_snapshot(catalog), request, TODAY)
    assert sorted(line["sku"] for line in answer["lines"]) == ["T-CA-MG", "T-MG-150"]


def test_cost_then_pills_decide_between_equal_shortfalls():
    catalog = tuple(
        sorted([FLAGSHIP, "XF-D3-20-TAB", "BL-D3-20-70PLUS-TAB", "GR-D3-20-SPRAY-VEGAN"])
    )
    snapshot = small_snapshot(catalog)
    answer = formulate_regimen(snapshot, {"profile": {"age": 75}, "max_products": 1}, TODAY)
    # all three give 20 µg; the 70+ tablet is the cheapest a month
    assert [(x["sku"], x["servings_per_day"]) for x in answer["lines"]] == [
        ("BL-D3-20-70PLUS-TAB", 1)
    ]
    vegan = {"profile": {"age": 75, "diet": "vegan"}, "max_products": 1}
    answer = formulate_regimen(snapshot, vegan, TODAY)
    assert [(x["sku"], x["servings_per_day"]) for x in answer["lines"]] == [
        ("GR-D3-20-SPRAY-VEGAN", 2)
    ]


def test_weights_keep_the_lexicographic_order(snapshot):
    request = {"profile": {"age": 30, "diet": "vegan", "life_stage": "pregnant"}}
    profile = Profile.from_dict(request["profile"])
    problem = regimen_problem(evaluate(snapshot, profile, [], TODAY), 10, None)
    weights = problem.weights
    most_cents = np.sort(problem.max_servings * problem.cost_cents)[-10:].sum()
    most_pills = np.sort(problem.max_servings)[-10:].sum()
    assert weights.pill * most_pills < 1  # all pills weigh less than one cent
    assert weights.shortfall * SHORTFALL_RESOLUTION > most_cents + weights.pill * most_pills


# ---------------------------------------------------------------- nothing to choose
def codes(answer: dict[str, Any]) -> list[str]:
    return [n["code"] for n in answer["notices"]]


def test_every_product_excluded_answers_with_a_notice():
    catalog = tuple(sorted([FLAGSHIP, "XF-D3-20-TAB", "NV-D3-25-FISH-SG", "XF-D3-25-SG"]))
    request = {"profile": {"age": 75, "diet": "vegan"}, "locale": "en"}
    answer = formulate_regimen(small_snapshot(catalog), request, TODAY)
    assert answer["lines"] == [] and answer["solver"] == "none"
    assert "regimen_infeasible" in codes(answer)
    assert answer["targets"]["vitamin_d_ug"]["achieved"] is False
    assert "no product" in answer["targets"]["vitamin_d_ug"]["why"]


def test_contraindication_excludes_every_vitamin_d_product(snapshot):
    request = {"profile": {"age": 75, "conditions": ["hypercalcaemia"]}, "locale": "nl"}
    answer = formulate_regimen(snapshot, request, TODAY)
    assert answer["lines"] == []
    assert "regimen_infeasible" in codes(answer)
    assert "interaction:calcium-contraindicated-conditions" in codes(answer)


def test_intake_above_a_limit_answers_with_a_notice(snapshot):
    current = [{"label": "D", "nutrients": {"vitamin_d_ug": 150}}]
    request = {"profile": {"age": 75, "current_supplements": current}, "locale": "de"}
    answer = formulate_regimen(snapshot, request, TODAY)
    assert answer["lines"] == []
    assert {"above_upper_limit:vitamin_d_ug", "regimen_infeasible"} <= set(codes(answer))


def test_no_targets_and_targets_met_answer_with_notices(snapshot):
    answer = formulate_regimen(snapshot, {"profile": {"age": 30}}, TODAY)
    assert answer["lines"] == [] and codes(answer) == ["no_targets"]
    current = [{"sku": "XF-D3-20-TAB"}]
    answer = formulate_regimen(
        snapshot, {"profile": {"age": 75, "current_supplements": current}}, TODAY
    )
    assert answer["lines"] == [] and "targets_met" in codes(answer)
    assert answer["targets"]["vitamin_d_ug"]["achieved"] is True


def test_budget_and_max_products_are_respected(snapshot):
    profile = {"age": 30, "diet": "vegan", "life_stage": "pregnant", "goals": ["heart", "sport"]}
    for max_products in (1, 2, 4):
        request = {"profile": profile, "max_products": max_products}
        answer = formulate_regimen(snapshot, request, TODAY)
        assert 1 <= len(answer["lines"]) <= max_products
        assert_regimen_safe(request, answer)
    request = {"profile": profile, "max_products": 10, "budget_per_month": 3.0, "locale": "en"}
    answer = formulate_regimen(snapshot, request, TODAY)
    assert answer["cost_per_month"] <= 3.0
    assert_regimen_safe(request, answer)
    missed = [t for t in answer["targets"].values() if not t["achieved"]]
    assert missed and "regimen_partial" in codes(answer)
    request["budget_per_month"] = 0.0
    answer = formulate_regimen(snapshot, request, TODAY)
    assert answer["lines"] == [] and "regimen_infeasible" in codes(answer)
    assert all("budget" in t["why"] for t in answer["targets"].values())


def test_warnings_cover_medications_and_combinations(snapshot):
    current = [{"sku": "XF-IRON-14-CAP"}]
    profile = {"age": 40, "goals": ["sport"], "medications": ["levothyroxine"]}
    profile |= {"conditions": ["osteoporosis"], "current_supplements": current}
    answer = formulate_regimen(snapshot, {"profile": profile, "locale": "en"}, TODAY)
    warning_codes = {w["code"] for w in answer["warnings"]}
    assert "interaction:levothyroxine" in warning_codes
    assert "interaction:iron-zinc-with-calcium" in warning_codes
    together = next(w for w in answer["warnings"] if w["code"].endswith("with-calcium"))
    assert "XF-IRON-14-CAP" in together["skus"]


# ---------------------------------------------------------------- basket suggestion
def check(recommender, profile: dict, basket: list[dict]) -> dict:
    body = {"profile": profile, "basket": basket, "locale": "en"}
    return recommender.check_intake(body, TODAY)


def apply(basket: list[dict], suggestion: dict) -> list[dict]:
    out = [dict(line) for line in basket]
    removed = set()
    for change in suggestion.get("changes", [suggestion]):
        if change["code"] == "add":
            out.append({"sku": change["sku"], "servings_per_day": change["servings_per_day"]})
            continue
        index = int(change["line"].split(".")[1])
        if change["code"] == "remove":
            removed.add(index)
        else:
            out[index]["servings_per_day"] = change["servings_per_day"]
    return [line for i, line in enumerate(out) if i not in removed]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    profile=profiles(),
    basket=st.lists(st.one_of(sku_line(SKUS), free_line()), min_size=1, max_size=4),
)
@example(profile={"age": 40}, basket=[{"sku": "XF-D3-75-TAB"}, {"sku": "XF-D3-50-CAP"}])
@example(  # review 12 F10: two lines go so that the doctor's 50 µg stays, within its band
    profile={
        "age": 60,
        "sex": "male",
        "country": "DE",
        "higher_dose_advised": {"vitamin_d_ug": 50},
    },
    basket=[{"sku": "XF-D3-50-CAP"}, {"sku": "XF-D3-25-SG"}, {"sku": "XF-D3-20-TAB"}],
)
@example(  # found by hypothesis (session 6): the taken K2 fails the VKA rule, the basket's B6
    # crosses its limit with food; the suggestion was None although removing the B6 fixes it
    profile={
        "age": 25,
        "medications": ["vitamin_k_antagonist"],
        "current_supplements": [{"label": "own", "nutrients": {"vitamin_k2_ug": 20.0}}],
    },
    basket=[{"sku": "BL-B6-10-TAB"}],
)
@example(  # found by hypothesis (session 6): an infant taking an adult B12 tablet, 250 µg folic
    # acid in the basket above the infant's limit: removing it from the basket fixes that
    profile={"age": 1, "current_supplements": [{"sku": "BL-B12-100-TAB"}]},
    basket=[{"label": "own", "nutrients": {"folic_acid_ug": 250.0}}],
)
@example(  # found by hypothesis (session 14): the B6 crosses its limit; removing the 10 µg
    # vitamin D line too left the day above the band (70 of 50 µg), "to stay within the B6 limit"
    profile={
        "age": 25,
        "sex": "female",
        "current_supplements": [
            {"sku": "BL-CAD3-CHEW"},
            {"label": "own", "nutrients": {"vitamin_d_iu": 2000.0, "calcium_mg": 0}},
        ],
        "country": "NL",
        "serum_25ohd_nmol_l": 40.0,
    },
    basket=[{"sku": "BL-B6-10-TAB"}, {"label": "own", "nutrients": {"vitamin_d_iu": 400.0}}],
)
@example(  # found by hypothesis (session 16 CI): the next pack at 2 a day of a taken capsule
    # not meant for the age crossed the limit; the merged line counted as taken, no suggestion
    profile={
        "age": 8,
        "skin_type": 1,
        "sex": "female",
        "goals": [],
        "serum_25ohd_nmol_l": 12.0,
        "country": "NL",
        "current_supplements": [{"sku": "GR-METHYLFOLATE-400-CAP"}],
    },
    basket=[{"sku": "GR-METHYLFOLATE-400-CAP", "servings_per_day": 2}],
)
@example(  # found by hypothesis (session 23 CI): the next pack of a pregnant woman's 20 µg
    # D3 at 2 a day is above the 25 µg that suits pregnancy, no upper limit: back to 1 a day
    profile={
        "age": 30,
        "life_stage": "pregnant",
        "current_supplements": [{"sku": "XF-D3-20-TAB"}],
    },
    basket=[{"sku": "XF-D3-20-TAB", "servings_per_day": 2}],
)
@example(  # CI session 33: what is taken alone is above the pregnancy maximum
    profile={
        "age": 25,
        "life_stage": "pregnant",
        "sex": "female",
        "goals": [],
        "serum_25ohd_nmol_l": 12.0,
        "country": "NL",
        "current_supplements": [{"sku": "GR-CAD3-VEGAN-TAB"}, {"sku": "GR-D3K2-SPRAY-VEGAN"}],
    },
    basket=[{"sku": "GR-D3K2-SPRAY-VEGAN", "servings_per_day": 2}],
)
@example(  # session 17: the same without a guarantee failing: back to 1 a day
    profile={"age": 40, "current_supplements": [{"sku": "XF-D3-75-TAB"}]},
    basket=[{"sku": "XF-D3-75-TAB", "servings_per_day": 2}],
)
def test_the_basket_suggestion_fixes_a_crossed_limit(recommender, profile, basket):
    before = check(recommender, profile, basket)
    body = {"profile": profile, "basket": basket, "locale": "en"}
    suggestion = basket_suggestion(recommender.snapshot, body, TODAY)
    if suggestion is not None and suggestion["text"].startswith("Remove from your basket:"):
        # review s5 S7: a line that fails a guarantee is removed first, before any fix or
        # addition (tests/test_review_s5_warnings.py checks those)
        assert suggestion["code"] == "remove" and claim_in(suggestion["text"]) is None
        return
    if not before["violations"]:
        stage = _stage_warnings(before)
        if suggestion is not None and suggestion["code"] != "add":
            # a day above the life stage's maximum is fixed too (a pregnant woman's next pack
            # of her 20 µg D3 at 2 a day: back to 1, CI session 23); the fix leaves none
            assert stage and suggestion["code"] in ("remove", "reduce"), (suggestion, before)
            after = _stage_warnings(check(recommender, profile, apply(basket, suggestion)))
            # ... unless what is taken alone is above it (CI session 33: a pregnant woman's
            # calcium + D3 and D3 + K2 spray taken, the spray's next pack at 2 a day: back to
            # 1 a day, and the 35 µg taken are the taken lines' own, not the basket's)
            assert not after or _stage_warnings(check(recommender, profile, [])), after
        return
    if suggestion is None:  # only when no basket change can fix it (also while a taken line
        # fails a guarantee: the basket's crossed limit is still fixed, session 6)
        assert check(recommender, profile, [])["violations"]
        return
    assert suggestion["code"] in ("remove", "reduce") and claim_in(suggestion["text"]) is None
    # what is taken alone may cross a limit of its own: the basket's are fixed (review 25 F1)
    taken_only = {v["nutrient"] for v in check(recommender, profile, [])["violations"]}

    def fixed(lines: list[dict]) -> bool:
        left = check(recommender, profile, lines)["violations"]
        return {v["nutrient"] for v in left} <= taken_only

    assert fixed(apply(basket, suggestion))
    if len(suggestion["changes"]) > 1:  # no single line would have done it, or (session 12,
        # basket_fix._shortfall) each that would leaves more of the advice unmet or the day
        # above the dose band, where the suggestion leaves it within: no band warning after it
        after = check(recommender, profile, apply(basket, suggestion))
        for index in range(len(basket)):
            smaller = basket[:index] + basket[index + 1 :]
            if fixed(smaller) and not taken_only:
                assert not _band_warnings(after), (suggestion, after["warnings"])


def _stage_warnings(answer: dict) -> list[dict]:
    return [w for w in answer["warnings"] if w.get("code") == "life_stage_maximum"]


def _band_warnings(answer: dict) -> list[dict]:
    return [w for w in answer["warnings"] if w.get("code", "").startswith("intake_warning:")]


def test_the_suggestion_reduces_servings_when_that_is_enough(recommender):
    profile = {
        "age": 40,
        "current_supplements": [{"label": "Mg", "nutrients": {"magnesium_mg": 100}}],
    }
    basket = [{"sku": "XF-MG-BISGLY-CAP"}]  # 2 x 100 mg: 300 mg with the 100 already taken
    body = {"profile": profile, "basket": basket, "locale": "en"}
    suggestion = basket_suggestion(recommender.snapshot, body, TODAY)
    assert suggestion["code"] == "reduce" and suggestion["servings_per_day"] == 1
    assert check(recommender, profile, apply(basket, suggestion))["violations"] == []


def test_the_suggestion_removes_the_biggest_contributor(recommender):
    basket = [{"sku": "XF-D3-50-CAP"}, {"sku": "XF-D3-75-TAB"}]
    body = {"profile": {"age": 40}, "basket": basket, "locale": "nl"}
    suggestion = basket_suggestion(recommender.snapshot, body, TODAY)
    assert (suggestion["code"], suggestion["sku"], suggestion["line"]) == (
        "remove",
        "XF-D3-75-TAB",
        "basket.1",
    )


def test_the_suggestion_adds_the_product_that_closes_a_missed_target(recommender):
    profile = {"age": 75, "diet": "vegan", "goals": ["sport"]}
    body = {"profile": profile, "basket": [], "locale": "de"}
    suggestion = basket_suggestion(recommender.snapshot, body, TODAY)
    assert suggestion["code"] == "add" and allowed(suggestion["sku"], profile)
    basket = apply([], suggestion)
    assert check(recommender, profile, basket)["violations"] == []
    assert claim_in(suggestion["text"]) is None
    assert basket_suggestion(recommender.snapshot, {"profile": {"age": 30}}, TODAY) is None


# ---------------------------------------------------------------- texts
def test_regimen_texts_are_complete_and_make_no_claims(snapshot, tmp_path):
    path = RULES / "reference" / "regimen_texts.yaml"
    texts = load_regimen_texts(path, snapshot.reference)
    for key, per_locale in texts.items():
        assert set(per_locale) == {"nl", "de", "en"}, key
        for text in per_locale.values():
            assert claim_in(text) is None, (key, text)
    broken = tmp_path / "regimen_texts.yaml"
    shutil.copy(path, broken)
    content = broken.read_text(encoding="utf-8")
    broken.write_text(content.replace("towards the advice", "prevents osteoporosis"), "utf-8")
    with pytest.raises(DataFileError) as raised:
        load_regimen_texts(broken, snapshot.reference)
    assert any(f.code == "forbidden_claim" for f in raised.value.findings)
