"""Session 5 pharmacist/hostile review, findings S1, S4 and S7 (/work/notes/review_s5.md).

S1: a medication warning with a daily threshold (thiazide + vitamin D above 20 µg a day;
antiplatelet or anticoagulant + vitamin E above 60 mg or omega-3 above 900 mg a day) compares
the day's total from supplements (what is taken + basket + the item), not each product alone,
and names every line that gives the nutrient.
S4: a list says when what the person already takes plus food is above an upper limit for total
intake (guarantee 9), names the limit and by how much, and does not ask for more input then.
S7: the intake check's suggestion removes a basket line that fails a guarantee before anything
else, and never proposes an addition while such a line stays; in pregnancy folic acid first.

Expectations come from the catalog and reference files (tests/oracle.py, interactions.yaml) and
the reproducing requests of the review, never from the service's own safety code.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.api.app import create_app
from service.contract.schemas import IntakeCheckRequestSchema, RecommendationRequestSchema
from service.core.placements.serve import recommend_placement

from .conftest import TODAY
from .oracle import (
    NUTRIENTS,
    PRODUCTS,
    REFERENCE_DIR,
    expected_food,
    expected_intake,
    expected_upper_limit,
    per_day,
)
from .test_placement_safety import PLACEMENTS
from .test_safety_properties import lines, profiles, requests

INTERACTIONS = yaml.safe_load((REFERENCE_DIR / "interactions.yaml").read_text("utf-8"))[
    "interactions"
]
# rules with a daily threshold above zero (S1): {id: (triggers, {nutrient: threshold})}
THRESHOLDS = {
    i["id"]: (
        set(i["trigger"].get("medications", [])) | set(i["trigger"].get("conditions", [])),
        {n: float(t) for n, t in i["warn"].items() if float(t) > 0},
    )
    for i in INTERACTIONS
    if any(float(t) > 0 for t in i.get("warn", {}).values())
}
# interactions that exclude: a basket line with the nutrient fails guarantee 2 or 6 (S7)
EXCLUDING = {i["id"] for i in INTERACTIONS if i.get("exclude")}
# the intake check's warning codes of a line that fails a guarantee (S7)
FAILING_CODES = {
    "diet",
    "allergy",
    "age",
    "life_stage",
    "life_stage_maximum",
    "market_maximum",
    "not_sellable",
}


@pytest.fixture(scope="module")
def http():
    return create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None}).test_client()


def check(http, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/v1/intake/check", json={"locale": "en", **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def listing(http, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/v1/recommendations", json={"locale": "en", **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def codes(messages: list[dict[str, Any]]) -> list[str]:
    return [m["code"] for m in messages]


def warning(answer: dict[str, Any], code: str) -> dict[str, Any]:
    found = [w for w in answer["warnings"] if w["code"] == code]
    assert found, f"no {code} in {codes(answer['warnings'])}"
    return found[0]


# ---------------------------------------------------------------- S1: the day's total
def test_thiazide_warns_on_two_vitamin_d_products_together(http):
    profile = {"age": 72, "sex": "male", "medications": ["thiazide_diuretic"]}
    answer = check(
        http, {"profile": profile, "basket": [{"sku": "XF-D3-20-TAB"}, {"sku": "GR-D3-20-TAB"}]}
    )
    assert answer["totals"]["vitamin_d_ug"]["amount"] == 40
    found = warning(answer, "interaction:thiazide-diuretic")
    assert set(found["skus"]) == {"XF-D3-20-TAB", "GR-D3-20-TAB"}


def test_thiazide_counts_the_vitamin_d_already_taken(http):
    profile = {
        "age": 72,
        "sex": "male",
        "medications": ["thiazide_diuretic"],
        "current_supplements": [{"label": "D3 druppels", "nutrients": {"vitamin_d_ug": 20}}],
    }
    answer = check(http, {"profile": profile, "basket": [{"sku": "XF-D3-20-TAB"}]})
    found = warning(answer, "interaction:thiazide-diuretic")
    assert set(found["skus"]) == {"D3 druppels", "XF-D3-20-TAB"}


def test_thiazide_no_warning_at_or_below_the_threshold(http):
    profile = {"age": 72, "sex": "male", "medications": ["thiazide_diuretic"]}
    answer = check(http, {"profile": profile, "basket": [{"sku": "XF-D3-20-TAB"}]})
    assert "interaction:thiazide-diuretic" not in codes(answer["warnings"])


def test_antiplatelet_warns_on_omega3_from_two_products(http):
    profile = {"age": 65, "sex": "male", "medications": ["antiplatelet"]}
    basket = [{"sku": "XF-OMEGA3-1000-SG"}, {"sku": "GR-ALGAE-OMEGA3-SG"}]
    answer = check(http, {"profile": profile, "basket": basket})
    assert answer["totals"]["omega3_mg"]["amount"] == 1100
    found = warning(answer, "interaction:bleeding-risk-vitamin-e-omega3")
    assert set(found["skus"]) == {"XF-OMEGA3-1000-SG", "GR-ALGAE-OMEGA3-SG"}


def test_anticoagulant_warns_on_vitamin_e_taken_plus_a_multivitamin(http):
    profile = {
        "age": 65,
        "sex": "male",
        "medications": ["vitamin_k_antagonist"],
        "current_supplements": [{"label": "Vitamine E 50", "nutrients": {"vitamin_e_mg": 50}}],
    }
    answer = check(http, {"profile": profile, "basket": [{"sku": "XF-MULTI-MEN"}]})
    assert answer["totals"]["vitamin_e_mg"]["amount"] > 60
    found = warning(answer, "interaction:bleeding-risk-vitamin-e-omega3")
    assert set(found["skus"]) == {"Vitamine E 50", "XF-MULTI-MEN"}


def _threshold_misses(raw: dict[str, Any], items: list[dict[str, Any]]) -> list[str]:
    """Items whose addition brings the day's total above a triggered rule's daily threshold but
    that do not carry the rule's warning (and the other way round: a warning from a threshold
    rule only on an item that gives the nutrient)."""
    profile = raw["profile"]
    triggers = set(profile.get("medications", [])) | set(profile.get("conditions", []))
    intake = expected_intake(raw)
    misses = []
    for item in items:
        amounts = per_day(PRODUCTS[item["sku"]], item["servings_per_day"])
        for rule, (fired_by, thresholds) in THRESHOLDS.items():
            if not fired_by & triggers:
                continue
            over = [
                n
                for n, t in thresholds.items()
                if amounts.get(n, 0) > 0 and intake[n] + amounts[n] > t * (1 + 1e-9)
            ]
            if over and f"interaction:{rule}" not in codes(item["warnings"]):
                misses.append(f"{item['sku']}: {rule} ({over})")
    return misses


def test_a_list_warns_on_an_item_that_brings_the_day_over_the_threshold(http):
    raw = {
        "profile": {
            "age": 72,
            "sex": "male",
            "medications": ["thiazide_diuretic"],
            "goals": ["bones"],
            # 15 µg taken: any vitamin D item over 5 µg brings the day over the 20 µg threshold
            # (the review's 10 µg taken: since R8 the list offers 10 µg products, which fit the
            # 20 µg advice, and the day stays at the threshold). Since session 21 a product
            # past the threshold comes only for an advice above it, within that advice: a
            # doctor's 40 µg (at 20 µg it would go past the advice, and is not offered)
            "current_supplements": [{"label": "D3 druppels", "nutrients": {"vitamin_d_ug": 15}}],
            "higher_dose_advised": {"vitamin_d_ug": 40},
        },
        "limit": 10,
    }
    answer = listing(http, raw)
    with_d = [i for i in answer["items"] if i["nutrients_per_day"].get("vitamin_d_ug", 0) > 5]
    assert with_d, "the list offers vitamin D products that bring the day over 20 µg"
    assert _threshold_misses(raw, answer["items"]) == []
    for item in with_d:
        found = [w for w in item["warnings"] if w["code"] == "interaction:thiazide-diuretic"]
        assert "D3 druppels" in found[0]["skus"]
        assert item["sku"] in found[0]["skus"]


THRESHOLD_MEDICATIONS = st.lists(
    st.sampled_from(["thiazide_diuretic", "antiplatelet", "vitamin_k_antagonist"]),
    min_size=1,
    max_size=2,
    unique=True,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=requests(profile=profiles(medications=THRESHOLD_MEDICATIONS)))
@example(  # session 26: an item in place of a product taken may be taken beside it too
    raw={
        "profile": {
            "age": 1,
            "medications": ["thiazide_diuretic"],
            "current_supplements": [{"sku": "BL-D3-20-70PLUS-TAB"}],
        }
    }
)
@example(
    raw={
        "profile": {
            "age": 72,
            "medications": ["thiazide_diuretic"],
            "current_supplements": [{"label": "D", "nutrients": {"vitamin_d_ug": 15}}],
        },
        "limit": 20,
    }
)
def test_every_item_over_a_daily_threshold_carries_the_warning(recommender, raw):
    """Whenever what is taken + basket + the item is above a triggered rule's daily
    threshold and the item adds that nutrient, the item carries the rule's warning."""
    answer = recommender.recommend(RecommendationRequestSchema().load(raw))
    assert _threshold_misses(raw, answer["items"]) == []


def test_a_regimen_warns_on_the_day_total_with_what_is_taken(http):
    profile = {
        "age": 72,
        "sex": "male",
        "country": "NL",
        "medications": ["thiazide_diuretic"],
        # 12 µg (was 15: the regimen's dose fit, session 6, now closes a 5 µg gap exactly with
        # one tablet of a calcium + D3, 20 µg in all): neither 12 nor 10 µg alone is above 20
        "current_supplements": [{"label": "D3 druppels", "nutrients": {"vitamin_d_ug": 12}}],
    }
    response = http.post("/v1/regimens", json={"profile": profile, "locale": "en"})
    answer = response.get_json()
    adds_d = [
        line["sku"] for line in answer["lines"] if line["nutrients_per_day"].get("vitamin_d_ug")
    ]
    assert adds_d, "the 70+ advice of 20 µg leaves a gap of 8 µg"
    assert answer["totals"]["vitamin_d_ug"] > 20
    found = [w for w in answer["warnings"] if w["code"] == "interaction:thiazide-diuretic"]
    assert found
    assert set(adds_d) | {"D3 druppels"} <= set(found[0]["skus"])


# ---------------------------------------------------------------- S4: intake + food above a limit
def _notice(answer: dict[str, Any], code: str) -> dict[str, Any]:
    found = [n for n in answer["notices"] if n["code"] == code]
    assert found, f"no {code} in {codes(answer['notices'])}"
    return found[0]


def test_retinol_taken_plus_food_above_the_limit_is_said_in_the_list(http):
    profile = {
        "age": 45,
        "sex": "female",
        "country": "NL",
        "current_supplements": [{"label": "Vitamine A 3000", "nutrients": {"vitamin_a_ug": 2500}}],
    }
    answer = listing(http, {"profile": profile, "locale": "nl"})
    assert answer["intake"]["vitamin_a_ug"]["room"] == 0
    text = _notice(answer, "above_upper_limit:vitamin_a_ug")["text"]
    assert "3000" in text  # the limit
    assert "700" in text  # by how much: 2500 + 1200 from food - 3000
    assert not any(item["nutrients_per_day"].get("vitamin_a_ug", 0) > 0 for item in answer["items"])
    if not answer["items"]:
        (no_items,) = [n for n in answer["notices"] if n["code"] == "no_items"]
        assert "Vertel ons meer" not in no_items["text"]


def test_zinc_and_calcium_with_food_above_the_limits_are_said_in_german(http):
    profile = {
        "age": 45,
        "sex": "male",
        "country": "DE",
        "current_supplements": [
            {"label": "Zink 25", "nutrients": {"zinc_mg": 25}},
            {"label": "Calcium 1000", "nutrients": {"calcium_mg": 1000}},
        ],
    }
    answer = listing(http, {"profile": profile, "locale": "de"})
    for key in ("zinc_mg", "calcium_mg"):
        notice = _notice(answer, f"above_upper_limit:{key}")
        assert str(answer["intake"][key]["upper_limit"]) in notice["text"]


def test_the_upper_limit_wins_over_the_dose_band_for_vitamin_d_taken(http):
    """The stored customer of S4: supplies lasting count as taken (R4): 75 + 25 µg vitamin D +
    food is above the 100 µg limit; the notice says the upper limit, not only the dose band."""
    profile = {
        "age": 66,
        "sex": "female",
        "country": "NL",
        "current_supplements": [{"sku": "XF-D3K2-TAB"}, {"sku": "XF-D3-25-SG"}],
    }
    answer = listing(http, {"profile": profile, "locale": "nl"})
    notice = _notice(answer, "above_upper_limit:vitamin_d_ug")
    assert "100" in notice["text"]
    assert "intake_warning:vitamin_d_ug" not in codes(answer["notices"])
    for placement in PLACEMENTS:
        raw = {"profile": profile, "locale": "nl", "placement": placement}
        if placement == "product_page":
            raw["product_sku"] = "XF-MG-CIT-150-TAB"
        answer = listing(http, raw)
        _notice(answer, "above_upper_limit:vitamin_d_ug")


def _over_room(raw: dict[str, Any]) -> list[str]:
    """Nutrients where what is taken + basket + the food allowance is clearly above the limit,
    whatever part the supplements have in it: 20 dairy portions give 4,000 mg calcium, above
    the 2,500 mg limit with nothing taken (or 1e-308 mg, CI stop 23; session 11)."""
    profile = raw["profile"]
    intake = expected_intake(raw)
    out = []
    for key in NUTRIENTS:
        limit = expected_upper_limit(key, profile["age"], profile.get("life_stage", "none"))
        if limit is None:
            continue
        total = intake[key] + expected_food(profile, key)
        if total > limit * (1 + 1e-6) + 1e-6:
            out.append(key)
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=requests(), placement=st.one_of(st.none(), st.sampled_from(PLACEMENTS)))
@example(
    raw={"profile": {"age": 45, "country": "DE", "current_supplements": [
        {"label": "Zink 25", "nutrients": {"zinc_mg": 25}}]}},
    placement=None,
)  # fmt: skip
@example(
    raw={"profile": {"age": 12, "sex": "female", "life_stage": "pregnant",
        "dairy_portions_per_day": 20, "current_supplements": [
        {"sku": "BL-B12-100-TAB"}, {"nutrients": {"calcium_mg": 1.1125369292536007e-308}}]}},
    placement=None,
)  # fmt: skip
@example(raw={"profile": {"age": 40, "dairy_portions_per_day": 14}}, placement="home")
def test_every_limit_exceeded_with_food_is_named_in_a_notice(recommender, raw, placement):
    raw = {**raw, "profile": {**raw["profile"], "country": raw["profile"].get("country", "NL")}}
    if placement is not None:
        raw = {**raw, "placement": placement}
        if placement == "product_page":
            raw["product_sku"] = "XF-MG-CIT-150-TAB"
    body = RecommendationRequestSchema().load(raw)
    if placement is None:
        answer = recommender.recommend(body)
    else:
        answer = recommend_placement(recommender.snapshot, body, TODAY, None)
    notices = codes(answer["notices"])
    for key in _over_room(raw):
        assert f"above_upper_limit:{key}" in notices, (key, notices)


# ---------------------------------------------------------------- S7: the suggestion
def test_pregnancy_suggestion_removes_the_high_dose_vitamin_d_first(http):
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    for sku in ("XF-D3K2-TAB", "XF-D3-50-CAP"):
        answer = check(http, {"profile": profile, "basket": [{"sku": sku}]})
        suggestion = answer["suggestion"]
        assert suggestion is not None
        assert suggestion["code"] == "remove"
        assert suggestion["sku"] == sku
        assert suggestion["changes"][0] == {
            "code": "remove",
            "sku": sku,
            "servings_per_day": 0,
            "line": "basket.0",
        }
        assert "pregnancy" in suggestion["text"]
        # what follows the removal is for the basket without it: no vitamin D above the cap
        for change in suggestion["changes"][1:]:
            assert change["code"] == "add"
            assert per_day(PRODUCTS[change["sku"]]).get("vitamin_d_ug", 0) <= 25


def test_vitamin_k_with_an_anticoagulant_and_magnesium_with_kidney_disease_are_removed(http):
    cases = [
        ({"age": 68, "sex": "female", "medications": ["vitamin_k_antagonist"]}, "XF-D3K2-DROPS"),
        ({"age": 60, "sex": "female", "conditions": ["kidney_disease"]}, "XF-MG-CIT-150-TAB"),
    ]
    for profile, sku in cases:
        answer = check(http, {"profile": profile, "basket": [{"sku": sku}]})
        suggestion = answer["suggestion"]
        assert suggestion is not None, profile
        assert suggestion["code"] == "remove"
        assert [c["sku"] for c in suggestion["changes"] if c["code"] == "remove"] == [sku]


def test_pregnancy_suggestion_adds_folic_acid_before_iodine(http):
    """20 µg vitamin D taken leaves no room under the 25 µg cap for a pregnancy multivitamin:
    folic acid and iodine are both wholly missing, and folic acid comes first."""
    profile = {
        "age": 30,
        "sex": "female",
        "life_stage": "pregnant",
        "current_supplements": [{"label": "D3", "nutrients": {"vitamin_d_ug": 20}}],
    }
    answer = check(http, {"profile": profile, "basket": []})
    suggestion = answer["suggestion"]
    assert suggestion is not None and suggestion["code"] == "add"
    assert per_day(PRODUCTS[suggestion["sku"]]).get("folic_acid_ug", 0) > 0


def _failing_basket_skus(raw: dict[str, Any], answer: dict[str, Any]) -> set[str]:
    """Basket catalog lines (not also taken) that a warning of a failed guarantee names, for the
    guarantees that hold per product (life-stage maxima of a sum are checked separately)."""
    taken = {line.get("sku") for line in raw["profile"].get("current_supplements", [])}
    basket = {line["sku"] for line in raw.get("basket", []) if "sku" in line} - taken
    failing: set[str] = set()
    for w in answer["warnings"]:
        code = w["code"]
        per_product = code in FAILING_CODES - {"life_stage_maximum"}
        excluding = code.startswith("interaction:") and code.split(":", 1)[1] in EXCLUDING
        if per_product or excluding:
            failing |= set(w["skus"]) & basket
    return failing


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=requests(profile=profiles(current=lines(1)), basket=lines(3)))
def test_no_addition_is_suggested_while_a_basket_line_fails_a_guarantee(recommender, raw):
    raw = {key: raw[key] for key in ("profile", "basket") if key in raw}
    answer = recommender.check_intake(IntakeCheckRequestSchema().load(raw), TODAY)
    failing = _failing_basket_skus(raw, answer)
    stage_max = "life_stage_maximum" in codes(answer["warnings"])
    suggestion = answer["suggestion"]
    if failing or stage_max:
        assert suggestion is None or suggestion["code"] != "add", (failing, suggestion)
    if failing:
        assert suggestion is not None
        removed = {c.get("sku") for c in suggestion["changes"] if c["code"] == "remove"}
        assert failing <= removed, (failing, suggestion)


def test_a_list_says_when_what_is_taken_is_already_over_a_daily_threshold(http):
    """40 µg vitamin D taken with a thiazide: the list says so once, whatever its items add;
    20 µg (not above the threshold) is not said."""
    profile = {
        "age": 72,
        "sex": "male",
        "medications": ["thiazide_diuretic"],
        "current_supplements": [{"label": "D3 40", "nutrients": {"vitamin_d_ug": 40}}],
    }
    answer = listing(http, {"profile": profile})
    assert "interaction:thiazide-diuretic" in codes(answer["notices"])
    below = {**profile, "current_supplements": [{"label": "D3", "nutrients": {"vitamin_d_ug": 20}}]}
    answer = listing(http, {"profile": below})
    assert "interaction:thiazide-diuretic" not in codes(answer["notices"])
