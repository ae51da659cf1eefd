"""Session 4 pharmacist/hostile review (/work/notes/review_s4.md), advice findings R3, R10, R7,
R9, R13: a notice never endorses ("enough") what fails a guarantee for the person, a life stage's
maximum counts every line (labels too), K1 and K2 are one vitamin K for "no more", the
alternatives say one thing, and the intake check's verdict counts food.

Expectations come from the data files (product_maxima.yaml, nutrients.yaml, the catalog through
tests/oracle.py) and the answers' own notices, never from the service's advice code.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .conftest import ROOT
from .oracle import PRODUCTS, per_day

MAXIMA = yaml.safe_load((ROOT / "rules" / "reference" / "product_maxima.yaml").read_text("utf-8"))
PREGNANCY_D = MAXIMA["life_stages"]["pregnant"]["vitamin_d_ug"]["amount"]
PREGNANT = {"age": 30, "sex": "female", "life_stage": "pregnant"}


def post(client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json={"locale": "en", **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def notices(answer: dict[str, Any]) -> dict[str, str]:
    return {n["code"]: n["text"] for n in answer["notices"]}


def endorsed(answer: dict[str, Any], nutrient: str) -> bool:
    """The answer says the person takes "enough" of the nutrient (or covers it)."""
    return f"already_covered:{nutrient}" in notices(answer)


def adds(sku: str) -> set[str]:
    return {k for k, v in per_day(PRODUCTS[sku]).items() if v > 0}


# ---------------------------------------------------------------- R3: pregnancy maxima
@pytest.mark.parametrize("placement", [None, "cart", "checkout"])
@pytest.mark.parametrize("where", ["current_supplements", "basket"])
def test_r3_pregnancy_75_ug_vitamin_d_is_a_warning_never_enough(client, placement, where):
    """Before: "You already take enough vitamin D (75 µg a day)" to a pregnant woman."""
    assert PRODUCTS["XF-D3-75-TAB"]["pregnancy_suitable"] is False
    line = {"sku": "XF-D3-75-TAB"}
    profile = dict(PREGNANT)
    body: dict[str, Any] = {"basket": [{"sku": "BL-FOLIC-400-TAB"}]}
    if where == "current_supplements":
        profile["current_supplements"] = [line]
    else:
        body["basket"].append(line)
    if placement:
        body["placement"] = placement
    answer = post(client, "/v1/recommendations", {"profile": profile, **body})
    assert not endorsed(answer, "vitamin_d_ug"), notices(answer)
    warning = notices(answer)["intake_warning:vitamin_d_ug"]
    assert "midwife" in warning and f"{PREGNANCY_D:g} µg" in warning
    assert "XTRA FUEL Vitamin D3 75" in warning  # names the product
    assert "enough" not in warning
    assert not [i for i in answer["items"] if "vitamin_d_ug" in adds(i["sku"])]


def test_r3_pregnancy_label_above_the_maximum_is_a_warning(client):
    profile = {
        **PREGNANT,
        "current_supplements": [{"label": "D drops", "nutrients": {"vitamin_d_ug": 50}}],
    }
    for locale in ("nl", "de", "en"):
        answer = post(client, "/v1/recommendations", {"profile": profile, "locale": locale})
        assert not endorsed(answer, "vitamin_d_ug")
        warning = notices(answer)["intake_warning:vitamin_d_ug"]
        assert "D drops" in warning and "50" in warning


def test_r3_a_basket_product_unsuitable_in_pregnancy_is_named(client):
    """Before: VL-VITA-800-CAP (pregnancy_suitable: false) in a pregnant woman's cart: no word."""
    assert PRODUCTS["VL-VITA-800-CAP"]["pregnancy_suitable"] is False
    answer = post(
        client,
        "/v1/recommendations",
        {"profile": PREGNANT, "basket": [{"sku": "VL-VITA-800-CAP"}], "placement": "cart"},
    )
    text = notices(answer)["product_not_suited:VL-VITA-800-CAP"]
    assert "Vitalinea Vitamin A 800" in text and "midwife" in text


@pytest.mark.parametrize(
    "lines",
    [
        [{"label": "D drops", "nutrients": {"vitamin_d_ug": 50}}],
        [
            {"label": "drops a", "nutrients": {"vitamin_d_ug": 20}},
            {"label": "drops b", "nutrients": {"vitamin_d_iu": 800}},
        ],
        [{"sku": "XF-D3-20-TAB"}, {"sku": "XF-D3-10-TAB"}],
    ],
)
def test_r3_intake_check_applies_the_life_stage_maximum_to_the_sum_of_all_lines(client, lines):
    """Before: warnings [] for label lines (only a single catalog SKU above 25 µg was named)."""
    answer = post(client, "/v1/intake/check", {"profile": PREGNANT, "basket": lines})
    found = [w for w in answer["warnings"] if w["code"] == "life_stage_maximum"]
    assert len(found) == 1, answer["warnings"]
    names = {line.get("sku") or line["label"] for line in lines}
    assert set(found[0]["skus"]) == names
    assert f"> {PREGNANCY_D:g} µg" in found[0]["text"]


def test_r3_intake_check_within_the_maximum_has_no_life_stage_warning(client):
    lines = [{"label": "drops", "nutrients": {"vitamin_d_ug": PREGNANCY_D}}]
    answer = post(client, "/v1/intake/check", {"profile": PREGNANT, "basket": lines})
    assert not [w for w in answer["warnings"] if w["code"] == "life_stage_maximum"]


# ---------------------------------------------------------------- R10: no endorsement
def test_r10_checkout_k2_for_a_vka_user_is_the_interaction_warning_naming_the_product(client):
    """Before: "You already take vitamin K2 (200 µg a day) ... we suggest no more vitamin K2"."""
    profile = {
        "age": 45,
        "sex": "female",
        "goals": ["heart", "bones"],
        "medications": ["vitamin_k_antagonist"],
    }
    answer = post(
        client,
        "/v1/recommendations",
        {"profile": profile, "basket": [{"sku": "XF-D3K2-TAB"}], "placement": "checkout"},
    )
    assert not endorsed(answer, "vitamin_k2_ug")
    warning = notices(answer)["intake_warning:vitamin_k2_ug"]
    assert "XTRA FUEL Vitamin D3 + K2" in warning and "doctor" in warning
    # 75 µg vitamin D without any advice above it is not "enough" either (dose band)
    assert not endorsed(answer, "vitamin_d_ug")


def test_r10_breastfeeding_45_ug_is_not_enough_but_a_warning(client):
    profile = {
        "age": 30,
        "sex": "female",
        "life_stage": "breastfeeding",
        "diet": "vegan",
        "current_supplements": [{"sku": "GR-D3-25-VCAP"}, {"sku": "GR-D3-20-TAB"}],
    }
    body = {"profile": profile, "placement": "product_page", "product_sku": "GR-D3-25-VCAP"}
    answer = post(client, "/v1/recommendations", body)
    assert not endorsed(answer, "vitamin_d_ug")
    assert "45" in notices(answer)["intake_warning:vitamin_d_ug"]


def test_r10_a_basket_is_not_what_you_already_take(client):
    """The cart's notice about a basket line does not say "you already take"."""
    answer = post(
        client,
        "/v1/recommendations",
        {"profile": {"age": 40, "sex": "male"}, "basket": [{"sku": "XF-D3-20-TAB"}],
         "placement": "cart"},
    )  # fmt: skip
    text = notices(answer)["already_covered:vitamin_d_ug"]
    assert "already take" not in text and "basket" in text
    taken = post(
        client,
        "/v1/recommendations",
        {"profile": {"age": 40, "sex": "male", "current_supplements": [{"sku": "XF-D3-20-TAB"}]}},
    )
    assert "already take enough" in notices(taken)["already_covered:vitamin_d_ug"]


# ---------------------------------------------------------------- R7: vitamin K is one nutrient
SCORING = yaml.safe_load((ROOT / "rules" / "reference" / "scoring.yaml").read_text("utf-8"))
VITAMIN_K = set(SCORING["lists"]["groups"]["vitamin_k"]["nutrients"])


def test_r7_the_group_is_data_with_a_source():
    assert VITAMIN_K == {"vitamin_k1_ug", "vitamin_k2_ug"}
    assert SCORING["lists"]["groups"]["vitamin_k"]["source"]


@pytest.mark.parametrize("placement", ["cart", "checkout"])
def test_r7_a_basket_with_vitamin_k1_gets_no_vitamin_k2(client, placement):
    """Before: "no more vitamin K1", then XF-K2-MK7-DROPS "which your basket does not give yet"."""
    assert adds("XF-MULTI-WOMEN") & VITAMIN_K
    profile = {"age": 45, "sex": "female", "goals": ["heart", "bones"]}
    body = {"profile": profile, "basket": [{"sku": "XF-MULTI-WOMEN"}], "placement": placement}
    answer = post(client, "/v1/recommendations", {**body, "limit": 10})
    assert not [i["sku"] for i in answer["items"] if adds(i["sku"]) & VITAMIN_K]


def test_r7_vitamin_k2_taken_keeps_multivitamins_with_k1_out(client):
    """K2 taken is covered (no reference value): a multivitamin's K1 is vitamin K as well."""
    profile = {
        "age": 40,
        "sex": "female",
        "goals": ["bones"],
        "current_supplements": [{"label": "MK-7", "nutrients": {"vitamin_k2_ug": 100}}],
    }
    for placement in (None, "home", "product_page"):
        body: dict[str, Any] = {"profile": profile, "limit": 20}
        if placement:
            body["placement"] = placement
        if placement == "product_page":
            body["product_sku"] = "BL-MULTI-AZ"
        answer = post(client, "/v1/recommendations", body)
        assert "already_covered:vitamin_k2_ug" in notices(answer)
        assert not [i["sku"] for i in answer["items"] if adds(i["sku"]) & VITAMIN_K], placement


# ---------------------------------------------------------------- R9: alternatives say one thing
def covered_nutrients(answer: dict[str, Any]) -> set[str]:
    out = set()
    for code in notices(answer):
        prefix, _, nutrient = code.partition(":")
        if prefix in ("already_covered", "intake_warning"):
            out |= VITAMIN_K if nutrient in VITAMIN_K else {nutrient}
    return out


@pytest.mark.parametrize(
    ("sku", "profile", "basket"),
    [
        ("XF-D3-25-DROPS", {"age": 40, "country": "DE"}, ["XF-D3-20-TAB"]),
        ("XF-SELENIUM-55-TAB", {"age": 45, "sex": "female"}, ["XF-MULTI-WOMEN"]),
        (
            "GR-D3-25-VCAP",
            {"age": 30, "sex": "female", "life_stage": "breastfeeding", "diet": "vegan",
             "current_supplements": [{"label": "D", "nutrients": {"vitamin_d_ug": 50}}]},
            [],
        ),
        (
            "BL-D3K2-TAB",
            {"age": 15, "sex": "female", "life_stage": "breastfeeding", "diet": "vegan",
             "country": "BE", "serum_25ohd_nmol_l": 45},
            ["BL-D3K2-TAB"],
        ),
    ],
)  # fmt: skip
def test_r9_alternatives_never_add_what_the_notices_say_no_more_of(client, sku, profile, basket):
    """Before (review main 2258a62): "we suggest no more vitamin D" above four vitamin D items.
    Alternatives with a profile must fit next to what is taken and in the basket (docs/api.md),
    so they are additions: a nutrient the answer covers is in none of them."""
    lines = [{"sku": s} for s in basket]
    answers = [
        post(client, f"/v1/products/{sku}/alternatives", {"profile": profile, "basket": lines}),
        post(
            client,
            "/v1/recommendations",
            {
                "profile": profile,
                "basket": lines,
                "placement": "product_page",
                "product_sku": sku,
                "limit": 10,
            },
        ),  # fmt: skip
    ]
    for answer in answers:
        covered = covered_nutrients(answer)
        for item in answer["items"]:
            assert not adds(item["sku"]) & covered, (item["sku"], covered)


# ---------------------------------------------------------------- R13: the verdict counts food
FOOD = yaml.safe_load((ROOT / "rules" / "reference" / "food_intake.yaml").read_text("utf-8"))


@pytest.mark.parametrize(
    ("basket", "nutrient", "amount"),
    [
        ([{"sku": "BL-ZINC-25-TAB"}], "zinc_mg", 25),
        ([{"sku": "XF-D3-75-TAB"}, {"sku": "XF-D3-20-TAB"}], "vitamin_d_ug", 95),
        ([{"label": "x", "nutrients": {"vitamin_d_iu": 4000}}], "vitamin_d_ug", 100),
    ],
)
def test_r13_status_and_violations_count_food_where_the_limit_is_for_total_intake(
    client, basket, nutrient, amount
):
    """Before: status "ok" and no violation for 25 mg zinc + 17 mg from food (UL 25)."""
    answer = post(
        client, "/v1/intake/check", {"profile": {"age": 40, "country": "DE"}, "basket": basket}
    )
    total = answer["totals"][nutrient]
    assert total["amount"] == amount  # the supplements' amount, as before
    assert total["food"] > 0 and amount + total["food"] > total["upper_limit"]
    assert total["status"] == "above_upper_limit"
    (violation,) = [v for v in answer["violations"] if v["nutrient"] == nutrient]
    assert violation["amount"] == amount and violation["food"] == total["food"]
    assert violation["total"] == amount + total["food"]
    names = {line.get("sku") or line.get("label") for line in basket}
    assert set(violation["skus"]) == names


def test_r13_food_does_not_count_where_the_limit_is_for_supplements_only(client):
    """Magnesium's UL is for supplements only (food_intake.yaml): 250 mg is at the limit."""
    lines = [{"label": "Mg", "nutrients": {"magnesium_mg": 250}}]
    answer = post(client, "/v1/intake/check", {"profile": {"age": 40}, "basket": lines})
    assert answer["totals"]["magnesium_mg"]["status"] == "ok"
    assert not answer["violations"]


# ---------------------------------------------------------------- R15e: goal pregnancy at 60
@pytest.mark.parametrize(
    "profile",
    [
        {"age": 60, "sex": "unspecified", "goals": ["energy", "muscles", "pregnancy"]},
        {"age": 60, "sex": "female", "goals": ["pregnancy"]},
        {"age": 30, "sex": "male", "goals": ["pregnancy", "energy"]},
    ],
)
def test_r15e_the_pregnancy_goal_gives_no_reason_to_a_man_or_past_55(client, profile):
    """Before: "Folate contributes to maternal tissue growth during pregnancy" to a 60-year-old."""
    answer = post(client, "/v1/recommendations", {"profile": profile, "limit": 20})
    for item in answer["items"]:
        texts = " ".join(r["text"] for r in item["reasons"]).lower()
        assert "pregnan" not in texts, (item["sku"], item["reasons"])


# ---------------------------------------------------------------- R8 (part): deficient level
def test_r8_a_deficient_measured_level_says_to_see_a_doctor(client):
    below = SCORING["dose_band"]["serum"]["refer_below"]
    low = post(
        client, "/v1/recommendations", {"profile": {"age": 75, "serum_25ohd_nmol_l": below - 10}}
    )
    assert "doctor" in notices(low)["serum_deficient"]
    insufficient = post(
        client, "/v1/recommendations", {"profile": {"age": 75, "serum_25ohd_nmol_l": below + 5}}
    )
    assert "serum_deficient" not in notices(insufficient)
