"""Review 11 R11-4 and R11-5: POST /v1/intake/check told untruths where food alone is above a
limit for total intake, and said nothing of a doctor's dose.

R11-4: 14 declared dairy portions give 2,950 mg calcium a day (DE 3,000 mg), above the 2,500 mg
limit for total intake. The check said calcium `status: ok`, no warning, while the lists say
`above_upper_limit:calcium_mg`. The total (amount + food) is above the limit: `status` is
`above_upper_limit`, and the lists' warning says so; nothing the supplements add, so no
violation (violations name what the supplements add).

R11-5: the check's suggestion "remove X: then you stay within the safe upper limit for calcium
(2500 mg)" was false with food alone above it; and a 100 µg vitamin D product bought on a
doctor's 100 µg got a bare "remove it". Expectations come from the data files (tests/oracle.py,
texts.yaml, regimen_texts.yaml, nutrients.yaml); the doctor's notices are compared with what
the lists say for the same profile (the same words wherever the service says them).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .oracle import PRODUCTS, REFERENCE_DIR, expected_food, expected_upper_limit, per_day

TEXTS = yaml.safe_load((REFERENCE_DIR / "texts.yaml").read_text("utf-8"))["texts"]
REGIMEN_TEXTS = yaml.safe_load((REFERENCE_DIR / "regimen_texts.yaml").read_text("utf-8"))
NUTRIENTS = yaml.safe_load((REFERENCE_DIR / "nutrients.yaml").read_text("utf-8"))["nutrients"]
CALCIUM = "calcium_mg"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _food_alone_text(profile: dict[str, Any], key: str, locale: str) -> str:
    """texts.yaml notice_above_upper_limit_food_alone, filled in from the oracle's numbers."""
    food = expected_food(profile, key)
    limit = expected_upper_limit(key, profile["age"], profile.get("life_stage", "none"))
    assert limit is not None and food > limit, (food, limit)
    return str(TEXTS["notice_above_upper_limit_food_alone"][locale]).format(
        nutrient=NUTRIENTS[key]["name"][locale],
        food=_number(food),
        excess=_number(food - limit),
        upper_limit=_number(limit),
        unit=NUTRIENTS[key]["unit"],
    )


def _limit_part(profile: dict[str, Any], key: str, locale: str) -> str:
    limit = expected_upper_limit(key, profile["age"], profile.get("life_stage", "none"))
    assert limit is not None
    texts = REGIMEN_TEXTS.get("texts", REGIMEN_TEXTS)
    return str(texts["limit_part"][locale]).format(
        nutrient=NUTRIENTS[key]["name"][locale],
        upper_limit=_number(limit),
        unit=NUTRIENTS[key]["unit"],
    )


def _check(client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/intake/check", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# ---------------------------------------------------------------- R11-4
DAIRY = {"age": 40, "dairy_portions_per_day": 14}
NON_CALCIUM = "XF-D3-20-TAB"


@pytest.mark.parametrize("country", ["NL", "DE"])
@pytest.mark.parametrize("locale", ["nl", "de", "en"])
@pytest.mark.parametrize("basket", [[], [{"sku": NON_CALCIUM}]])
def test_food_alone_above_the_limit_is_not_ok(client, country, locale, basket):
    assert per_day(PRODUCTS[NON_CALCIUM]).get(CALCIUM, 0) == 0
    profile = {**DAIRY, "country": country}
    answer = _check(client, {"profile": profile, "basket": basket, "locale": locale})
    total = answer["totals"][CALCIUM]
    assert total["amount"] == 0
    assert total["status"] == "above_upper_limit", total
    # the supplements add nothing: no violation (violations name what they add)
    assert CALCIUM not in {v["nutrient"] for v in answer["violations"]}
    (warning,) = [w for w in answer["warnings"] if w["code"] == f"above_upper_limit:{CALCIUM}"]
    assert warning["text"] == _food_alone_text(profile, CALCIUM, locale)
    assert warning["skus"] == []


def test_food_within_the_limit_stays_ok(client):
    profile = {**DAIRY, "dairy_portions_per_day": 11}
    limit = expected_upper_limit(CALCIUM, 40, "none")
    assert limit is not None and expected_food(profile, CALCIUM) <= limit
    answer = _check(client, {"profile": profile, "locale": "en"})
    assert answer["totals"][CALCIUM]["status"] == "ok"
    assert not [w for w in answer["warnings"] if w["code"].endswith(CALCIUM)]


# ---------------------------------------------------------------- R11-5
@pytest.mark.parametrize(
    ("sku", "locale", "country"),
    [
        ("XF-CAD3-500-10-TAB", "nl", "NL"),
        ("XF-MULTI-MEN", "en", "NL"),
        ("BL-CA-500-TAB", "de", "DE"),
        ("XF-CAD3-500-10-TAB", "de", "DE"),
    ],
)
def test_removal_names_only_the_limits_it_keeps(client, sku, locale, country):
    profile = {**DAIRY, "country": country}
    gives = per_day(PRODUCTS[sku])
    assert gives[CALCIUM] > 0
    answer = _check(client, {"profile": profile, "basket": [{"sku": sku}], "locale": locale})
    suggestion = answer["suggestion"]
    assert suggestion["code"] == "remove" and suggestion["sku"] == sku
    text = suggestion["text"]
    # not "then you stay within the safe upper limit for calcium (2500 mg)": food alone is above
    assert _limit_part(profile, CALCIUM, locale) not in text, text
    assert _food_alone_text(profile, CALCIUM, locale) in text, text
    # the limits the removal does bring the day within are still named (zinc in XF-MULTI-MEN)
    for key, amount in gives.items():
        limit = expected_upper_limit(key, 40, "none")
        if key == CALCIUM or limit is None:
            continue
        if amount + expected_food(profile, key) > limit:
            assert _limit_part(profile, key, locale) in text, (key, text)


DOCTOR_DE = {"age": 45, "country": "DE", "higher_dose_advised": {"vitamin_d_ug": 100}}


@pytest.mark.parametrize("locale", ["de", "en"])
def test_removing_a_doctors_dose_carries_the_doctors_notice(client, locale):
    """A 100 µg product on a doctor's 100 µg is above the limit with food; the suggestion to
    remove it says what the lists say for the profile without it (doctor_dose_short)."""
    sku = "XF-D3-100-CAP"
    food = expected_food(DOCTOR_DE, "vitamin_d_ug")
    limit = expected_upper_limit("vitamin_d_ug", 45, "none")
    assert limit is not None and per_day(PRODUCTS[sku])["vitamin_d_ug"] + food > limit
    body = {"profile": DOCTOR_DE, "basket": [{"sku": sku}], "locale": locale}
    suggestion = _check(client, body)["suggestion"]
    assert suggestion["code"] == "remove" and suggestion["sku"] == sku
    listed = client.post("/v1/recommendations", json={"profile": DOCTOR_DE, "locale": locale})
    said = [n for n in listed.get_json()["notices"] if n["code"].startswith("doctor_dose")]
    assert said, "the list says the doctor's dose for this profile"
    assert suggestion["notices"] == said
    for notice in said:
        assert notice["text"] in suggestion["text"]


def test_the_check_carries_the_lists_doctor_notices(client):
    """A doctor's 150 µg is above the 100 µg limit: the cart list says doctor_dose_capped with
    the basket as it is, and so does the check."""
    profile = {"age": 45, "higher_dose_advised": {"vitamin_d_ug": 150}}
    basket = [{"sku": "XF-D3-20-TAB"}]
    cart = {"profile": profile, "basket": basket, "placement": "cart", "locale": "en"}
    listed = client.post("/v1/recommendations", json=cart).get_json()["notices"]
    said = [n for n in listed if n["code"].startswith("doctor_dose")]
    assert [n["code"] for n in said] == ["doctor_dose_capped:vitamin_d_ug"]
    answer = _check(client, {"profile": profile, "basket": basket, "locale": "en"})
    assert [n for n in answer["notices"] if n["code"].startswith("doctor_dose")] == said
