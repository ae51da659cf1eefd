"""Session 21: the findings left open by session 20 and this session's reviews."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import buy_again_lists, notice_texts, recommend, store_customer

TEXTS = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "rules" / "reference" / "texts.yaml").read_text(
        encoding="utf-8"
    )
)["texts"]


def _calcium(answer: dict) -> list[str]:
    return [i["sku"] for i in answer["items"] if i["nutrients_per_day"].get("calcium_mg", 0) > 0]


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 75, "sex": "female", "medications": ["thiazide_diuretic"]},
        {"age": 50, "sex": "male", "medications": ["digoxin"]},
        {"age": 50, "sex": "male", "diet": "vegan", "medications": ["digoxin"]},
    ],
)
@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_a_doctors_dose_beside_a_medicines_warning_is_not_answered_past_it(client, profile, locale):
    """Review 21 P1 (session 20's open finding): a thiazide user's doctor advised 250 mg
    calcium a day, and the list offered 400 and 500 mg products "more than the advised amount;
    your doctor advised 250 mg", with the thiazide's warning on each: twice the doctor's dose
    of the very nutrient the medicine warns of. Beside such a warning an advice brings only a
    product within it, with what is taken; the list says why none is suggested (our products
    for calcium give more), with the medicine's notice, not that no product suits the person
    or that nothing gives more than a multivitamin's 200 mg."""
    body = {"profile": {**profile, "higher_dose_advised": {"calcium_mg": 250}}, "limit": 8}
    answer = recommend(client, body, locale)
    assert _calcium(answer) == [], answer["items"]
    notices = notice_texts(answer)
    medicine = "thiazide-diuretic" if "thiazide_diuretic" in profile["medications"] else "digoxin"
    assert f"interaction:{medicine}" in notices
    said = notices.get("advice_unmet:calcium_mg") or notices.get("doctor_dose_short:calcium_mg")
    assert said is not None, notices
    band = TEXTS["notice_doctor_dose_band"][locale].split("{advised}")[1][:30]
    assert band not in said
    range_text = TEXTS["doctor_short_range"][locale].split("{offered}")[0]
    assert range_text not in said
    warned = TEXTS["doctor_short_warned"][locale].split("{nutrient}")[0]
    assert TEXTS["notice_doctor_dose_warned"][locale].split("{nutrient}")[1][:20] in said or (
        warned in said
    ), said


def test_without_a_warning_a_doctors_calcium_is_answered_as_before(client):
    """The change holds only beside a warning of that nutrient: without one a doctor's 300 mg
    calcium is still answered by our 400 mg products (calcium has no dose band)."""
    profile = {"age": 50, "sex": "male", "higher_dose_advised": {"calcium_mg": 300}}
    answer = recommend(client, {"profile": profile, "limit": 8})
    assert "NV-CA-400-CHEW" in _calcium(answer)


def test_a_doctors_calcium_within_the_dose_stays_with_the_warning(client):
    """A doctor's 500 mg calcium beside a thiazide: the 400 and 500 mg products are within the
    dose and stay, each with the thiazide's warning."""
    profile = {
        "age": 75,
        "sex": "female",
        "medications": ["thiazide_diuretic"],
        "higher_dose_advised": {"calcium_mg": 500},
    }
    answer = recommend(client, {"profile": profile, "limit": 8})
    calcium = [i for i in answer["items"] if i["sku"] in _calcium(answer)]
    assert calcium and all(i["nutrients_per_day"]["calcium_mg"] <= 500 for i in calcium)
    for item in calcium:
        assert "interaction:thiazide-diuretic" in {w["code"] for w in item["warnings"]}


def test_a_thiazide_users_vitamin_d_stays_within_the_advice_with_what_is_taken(client):
    """Session 20's open finding: a thiazide user of 75 taking 10 µg vitamin D (advice 20 µg,
    the thiazide's threshold 20 µg) was offered the 20 µg product after the 10 µg one: 30 µg a
    day, past the advice and the warning. Only products within the advice are offered."""
    taken = [{"label": "D3 drops", "nutrients": {"vitamin_d_ug": 10}}]
    profile = {
        "age": 75,
        "sex": "female",
        "medications": ["thiazide_diuretic"],
        "current_supplements": taken,
    }
    answer = recommend(client, {"profile": profile, "limit": 8})
    vitamin_d = [i["nutrients_per_day"].get("vitamin_d_ug", 0) for i in answer["items"]]
    assert vitamin_d and max(vitamin_d) <= 10, answer["items"]


def test_a_doctors_higher_vitamin_d_beside_a_thiazide_keeps_its_dose(client):
    """A doctor's 50 µg beside a thiazide: the 50 µg products are the doctor's dose and stay
    (with the warning); none past it."""
    profile = {
        "age": 45,
        "sex": "male",
        "medications": ["thiazide_diuretic"],
        "higher_dose_advised": {"vitamin_d_ug": 50},
    }
    answer = recommend(client, {"profile": profile, "limit": 8})
    doses = [i["nutrients_per_day"].get("vitamin_d_ug", 0) for i in answer["items"]]
    assert 50 in doses and max(doses) <= 50, answer["items"]


def test_a_regimen_meets_a_doctors_calcium_beside_a_thiazide_with_fewer_servings(client):
    """The list offers none of our calcium products past a doctor's 250 mg beside a thiazide;
    a regimen, whose servings may be fewer than the label's, meets the dose (one tablet of a
    250 mg calcium citrate taken two a day) with the warning, and does not carry the list's
    "we suggest none of them" nor an "at most 200 mg" cap from a multivitamin."""
    profile = {
        "age": 75,
        "sex": "female",
        "medications": ["thiazide_diuretic"],
        "higher_dose_advised": {"calcium_mg": 250},
    }
    regimen = client.post("/v1/regimens", json={"profile": profile}).get_json()
    calcium = regimen["targets"]["calcium_mg"]
    assert calcium["status"] == "achieved" and calcium["amount"] == 250, calcium
    codes = {n["code"] for n in regimen["notices"]}
    assert "advice_unmet:calcium_mg" not in codes and "doctor_dose_short:calcium_mg" not in codes
    warned = {
        s
        for w in regimen["warnings"]
        if w["code"] == "interaction:thiazide-diuretic"
        for s in w["skus"]
    }
    assert any(line["sku"] in warned for line in regimen["lines"])


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_a_doctors_dose_reached_in_part_beside_a_warning_says_why(client, locale):
    """A doctor's 15 µg vitamin D beside digoxin (a warning of any vitamin D): the 10 µg
    products are offered, and the notice says the larger ones would pass the dose beside the
    medicine, not "no product that suits your profile gives more than 10 µg" (the 20 and 25 µg
    products suit the person)."""
    profile = {
        "age": 45,
        "sex": "male",
        "medications": ["digoxin"],
        "higher_dose_advised": {"vitamin_d_ug": 15},
    }
    answer = recommend(client, {"profile": profile, "limit": 8}, locale)
    doses = {i["nutrients_per_day"].get("vitamin_d_ug", 0) for i in answer["items"]}
    assert doses == {10}, answer["items"]
    said = notice_texts(answer)["doctor_dose_short:vitamin_d_ug"]
    assert TEXTS["doctor_short_warned"][locale].split("{nutrient}")[0] in said, said
    assert TEXTS["doctor_short_range"][locale].split("{offered}")[0] not in said, said


BREASTFEEDING_PLANNING = {
    "age": 32,
    "sex": "female",
    "life_stage": "breastfeeding",
    "goals": ["pregnancy"],
}
RETINOL = {"XF-MULTI-WOMEN", "BL-MULTI-AZ", "NV-COD-LIVER-OIL"}  # pregnancy_suitable: false


@pytest.mark.parametrize("goals", [["pregnancy"], ["pregnancy", "heart", "immunity"]])
def test_a_breastfeeding_woman_planning_a_pregnancy_gets_no_retinol(client, goals):
    """Review 21 P2 (unsafe): a woman who breastfeeds and has the goal pregnancy (trying to
    conceive, maybe pregnant without knowing) was offered the women's and A-Z multivitamins
    (600 and 800 µg retinol) and cod-liver oil: the pregnancy suitability held for a woman
    planning a pregnancy only without a life stage. Both suitabilities now hold."""
    profile = {**BREASTFEEDING_PLANNING, "goals": goals}
    answer = recommend(client, {"profile": profile, "limit": 10})
    assert answer["items"]
    assert not RETINOL & {i["sku"] for i in answer["items"]}, answer["items"]
    page = client.post(
        "/v1/products/XF-MULTI-PREGNANCY/alternatives", json={"profile": profile}
    ).get_json()
    assert not RETINOL & {i["sku"] for i in page["items"]}, page["items"]


def test_a_breastfeeding_woman_planning_a_pregnancy_is_warned_of_retinol_in_her_basket(client):
    body = {"profile": BREASTFEEDING_PLANNING, "basket": [{"sku": "XF-MULTI-WOMEN"}]}
    check = client.post("/v1/intake/check", json=body).get_json()
    assert {"life_stage", "life_stage_maximum"} <= {w["code"] for w in check["warnings"]}
    assert check["suggestion"]["code"] != "add" or check["suggestion"]["sku"] not in RETINOL


def test_a_breastfeeding_woman_planning_a_pregnancy_is_not_offered_her_retinol_again(client):
    """The same masks hold for what she bought: no reorder of a women's multivitamin."""
    customer = "s21-breastfeeding-planning"
    store_customer(client, customer, BREASTFEEDING_PLANNING, {"XF-MULTI-WOMEN": "2026-09-01"})
    for items in buy_again_lists(client, customer):
        assert "XF-MULTI-WOMEN" not in {i["sku"] for i in items}, items
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    reordered = {i["sku"] for i in refills["reorder"]["items"] if i.get("action") == "reorder"}
    assert "XF-MULTI-WOMEN" not in reordered, refills["reorder"]


def test_breastfeeding_alone_keeps_its_own_suitability(client):
    """Without the goal, a breastfeeding woman is held to breastfeeding suitability only, as
    before: the women's multivitamin (suitable while breastfeeding) in her basket is no
    warning."""
    profile = {k: v for k, v in BREASTFEEDING_PLANNING.items() if k != "goals"}
    body = {"profile": profile, "basket": [{"sku": "XF-MULTI-WOMEN"}]}
    check = client.post("/v1/intake/check", json=body).get_json()
    assert not {"life_stage", "life_stage_maximum"} & {w["code"] for w in check["warnings"]}
