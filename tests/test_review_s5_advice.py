"""Session 5 pharmacist review, the open advice leftovers: R8 (the first vitamin D item fits the
advice for a measured serum level), R15b (a doctor's dose above the pregnancy maximum is capped
with a notice), R15f (vegan children: vitamin B12 and a doctor's or dietitian's guidance), R15h
(vitamin K antagonists in the DE market: the medicines known there), R15j (the product GET says
per market whether the product may be sold there).

Expectations come from the data files (targets.yaml, scoring.yaml, product_maxima.yaml,
markets.yaml, the catalog through tests/oracle.py) evaluated here, never from the service's
advice code.
"""

from __future__ import annotations

from typing import Any

import cel
import pytest
import yaml

from .conftest import ROOT, TODAY
from .oracle import PRODUCTS, expected_upper_limit, per_day

REFERENCE = ROOT / "rules" / "reference"
TARGETS = yaml.safe_load((REFERENCE / "targets.yaml").read_text("utf-8"))
SCORING = yaml.safe_load((REFERENCE / "scoring.yaml").read_text("utf-8"))
MAXIMA = yaml.safe_load((REFERENCE / "product_maxima.yaml").read_text("utf-8"))
SERVED = yaml.safe_load((REFERENCE / "markets.yaml").read_text("utf-8"))["served"]
LOCALES = ("nl", "de", "en")
D = "vitamin_d_ug"


def post(client, path: str, body: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    response = client.post(path, json={"locale": locale, **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def notices(answer: dict[str, Any]) -> dict[str, str]:
    return {n["code"]: n["text"] for n in answer["notices"]}


# ---------------------------------------------------------------- R8: the dose that fits best
PROFILE_DEFAULTS = {
    "sex": "unspecified",
    "life_stage": "none",
    "diet": "omnivore",
    "allergies": [],
    "medications": [],
    "conditions": [],
    "sun_exposure": "moderate",
    "goals": [],
}


def cel_context(profile: dict[str, Any]) -> dict[str, Any]:
    """What a target's expression sees: the profile with the contract's defaults (a serum level
    is a CEL double), the market and the month."""
    full = {**PROFILE_DEFAULTS, **profile}
    if "serum_25ohd_nmol_l" in full:
        full["serum_25ohd_nmol_l"] = float(full["serum_25ohd_nmol_l"])
    return {"profile": full, "market": profile.get("country", "NL"), "month": TODAY.month}


def advised(profile: dict[str, Any], nutrient: str) -> float:
    """The highest target of targets.yaml for the nutrient whose condition holds (CEL evaluated
    here, on the profile as given with the contract's defaults)."""
    context = cel_context(profile)
    amounts = []
    for target in TARGETS["targets"]:
        if target["nutrient"] == nutrient and cel.evaluate(target["when"], context) is True:
            amount = target["amount"]
            amounts.append(
                float(cel.evaluate(amount, context) if isinstance(amount, str) else amount)
            )
    assert amounts, f"no {nutrient} advice for {profile}"
    return max(amounts)


def band_upper(profile: dict[str, Any], advice: float) -> float:
    """scoring.yaml dose_band: factor x the general advice (here the reference intake or an
    advice that is not the measured one), raised by the serum level."""
    band = SCORING["dose_band"]
    general = [
        float(t["amount"])
        for t in TARGETS["targets"]
        if t["nutrient"] == D
        and t["authority"] != "measured"
        and cel.evaluate(t["when"], cel_context(profile)) is True
    ]
    reference = [
        float(r["amount"])
        for r in TARGETS["reference_intakes"]
        if r["nutrient"] == D and r["min_age"] <= profile["age"] <= r["max_age"]
    ]
    upper = band["factor"] * max(general or reference)
    for level in sorted(band["serum"]["levels"], key=lambda lv: lv["below"]):
        if profile["serum_25ohd_nmol_l"] < level["below"]:
            upper = max(upper, float(level["up_to"]))
            break
    return upper


def vitamin_d_candidates(profile: dict[str, Any], upper: float) -> list[float]:
    """Daily vitamin D doses of the catalog products that may be offered to an omnivore adult
    of this market without a medication: sellable, in stock, of the age, within the dose band
    and the maximum that applies in the market (binding, or advisory where switched on)."""
    market = profile.get("country", "NL")
    law = MAXIMA["markets"].get(market, {})
    applies = law.get("binding") or market in MAXIMA.get("apply_in_markets", [])
    binding = (law.get("maxima", {}) if applies else {}).get(D, {}).get("amount", float("inf"))
    doses = []
    for product in PRODUCTS.values():
        dose = per_day(product).get(D, 0.0)
        if dose <= 0 or not product.get("sellable", True) or not product.get("in_stock", True):
            continue
        if product["min_age"] > profile["age"] or (product.get("max_age") or 200) < profile["age"]:
            continue
        if dose <= upper + 1e-9 and dose <= binding + 1e-9:
            doses.append(dose)
    return doses


SERUM_PROFILES = [
    {"age": 40, "sex": "male"},
    {"age": 55, "sex": "female"},
    {"age": 40, "sex": "male", "sun_exposure": "low"},
    {"age": 40, "sex": "female", "country": "DE"},
]


@pytest.mark.parametrize("base", SERUM_PROFILES, ids=lambda p: "-".join(str(v) for v in p.values()))
@pytest.mark.parametrize("serum", [5, 10, 15, 20, 25, 30, 35, 42, 45])
def test_r8_first_vitamin_d_item_is_the_closest_fit_to_the_measured_advice(client, base, serum):
    """Before: with a serum of 20 nmol/l (advice 30 µg) the 75 µg flagship led the list."""
    profile = {**base, "serum_25ohd_nmol_l": serum}
    advice = advised(profile, D)
    upper = band_upper(profile, advice)
    doses = vitamin_d_candidates(profile, upper)
    best = min(abs(dose - advice) for dose in doses)
    answer = post(client, "/v1/recommendations", {"profile": profile, "limit": 10})
    given = [item["nutrients_per_day"].get(D, 0) for item in answer["items"]]
    assert any(given), answer
    assert all(amount <= upper + 1e-9 for amount in given), (upper, given)
    first = next(amount for amount in given if amount > 0)
    assert abs(first - advice) <= best + 1e-9, (
        f"advice {advice:g} µg: first vitamin D item gives {first:g} µg, a closer fit is "
        f"{best:g} µg away ({sorted(set(doses))})"
    )


# ---------------------------------------------------------------- R15b: the pregnancy maximum
@pytest.mark.parametrize("stage", sorted(MAXIMA["life_stages"]))
@pytest.mark.parametrize("locale", LOCALES)
def test_r15b_doctor_dose_above_the_life_stage_maximum_says_the_maximum_applies(
    client, stage, locale
):
    """Before: a doctor's 50 µg in pregnancy was silently capped at 25 µg."""
    cap = MAXIMA["life_stages"][stage][D]["amount"]
    doctor = 2 * cap
    profile = {
        "age": 31,
        "sex": "female",
        "life_stage": stage,
        "higher_dose_advised": {D: doctor},
    }
    answer = post(client, "/v1/recommendations", {"profile": profile, "limit": 10}, locale)
    assert all(item["nutrients_per_day"].get(D, 0) <= cap for item in answer["items"])
    found = notices(answer)
    code = f"doctor_dose_capped:{D}"
    assert code in found, found
    text = found[code]
    assert f"{cap:g}" in text and f"{doctor:g}" in text, text
    if locale == "en":
        assert "doctor" in text and "midwife" in text, text


@pytest.mark.parametrize("advised_ug", [10, 25])
def test_r15b_no_cap_notice_when_the_doctor_dose_fits_the_life_stage(client, advised_ug):
    profile = {
        "age": 31,
        "sex": "female",
        "life_stage": "pregnant",
        "higher_dose_advised": {D: advised_ug},
    }
    answer = post(client, "/v1/recommendations", {"profile": profile})
    assert not any(code.startswith("doctor_dose_capped") for code in notices(answer))


def test_r15b_doctor_dose_in_iu_is_capped_with_the_notice(client):
    cap = MAXIMA["life_stages"]["pregnant"][D]["amount"]
    profile = {
        "age": 31,
        "sex": "female",
        "life_stage": "pregnant",
        "higher_dose_advised": {"vitamin_d_iu": 4000},  # 100 µg
    }
    answer = post(client, "/v1/recommendations", {"profile": profile})
    assert f"doctor_dose_capped:{D}" in notices(answer)
    assert all(item["nutrients_per_day"].get(D, 0) <= cap for item in answer["items"])


# ---------------------------------------------------------------- R15f: vegan children, B12
B12 = "vitamin_b12_ug"


def b12_products_for(age: int) -> list[str]:
    return [
        sku
        for sku, p in PRODUCTS.items()
        if per_day(p).get(B12, 0) > 0
        and p["vegan"]
        and p.get("sellable", True)
        and p["min_age"] <= age <= (p.get("max_age") or 200)
    ]


@pytest.mark.parametrize("age", [0, 2, 6, 10, 15])
@pytest.mark.parametrize("locale", LOCALES)
def test_r15f_vegan_child_gets_a_b12_notice(client, age, locale):
    """Before: a vegan child of 6 got vitamin D drops and not a word about vitamin B12."""
    answer = post(client, "/v1/recommendations", {"profile": {"age": age, "diet": "vegan"}}, locale)
    found = notices(answer)
    code = "diet_child:vegan-child-vitamin-b12"
    assert code in found, found
    text = found[code].lower()
    if locale == "en":
        assert "b12" in text and "dietitian" in text and "doctor" in text, text
        if not b12_products_for(age):
            assert "no vitamin b12 product" in text, text
    else:
        assert "b12" in text, text


def test_r15f_adults_and_omnivore_children_get_no_child_b12_notice(client):
    for profile in ({"age": 30, "diet": "vegan"}, {"age": 6}, {"age": 6, "diet": "vegetarian"}):
        answer = post(client, "/v1/recommendations", {"profile": profile})
        assert not any(c.startswith("diet_child:") for c in notices(answer)), profile


# ---------------------------------------------------------------- R15h: DE anticoagulants
def has_k(item: dict[str, Any]) -> bool:
    n = item["nutrients_per_day"]
    return n.get("vitamin_k1_ug", 0) > 0 or n.get("vitamin_k2_ug", 0) > 0


@pytest.mark.parametrize("locale", LOCALES)
def test_r15h_de_vitamin_k_antagonist_names_the_medicines_of_germany(client, locale):
    """Before: a DE customer reading Dutch was sent to the (Dutch) 'trombosedienst', and the
    German text named neither Marcumar nor warfarin."""
    profile = {
        "age": 66,
        "sex": "male",
        "country": "DE",
        "medications": ["vitamin_k_antagonist"],
        "goals": ["bones"],
    }
    answer = post(client, "/v1/recommendations", {"profile": profile, "limit": 10}, locale)
    assert answer["items"] and not any(has_k(i) for i in answer["items"])
    text = notices(answer)["interaction:vitamin-k-antagonist"]
    assert "Marcumar" in text and "trombosedienst" not in text.lower(), text
    check = post(
        client,
        "/v1/intake/check",
        {"profile": profile, "basket": [{"sku": "XF-K2-MK7-100-CAP"}]},
        locale,
    )
    warned = {w["code"]: w["text"] for w in check["warnings"]}
    assert "Marcumar" in warned["interaction:vitamin-k-antagonist"]


@pytest.mark.parametrize("locale", LOCALES)
def test_r15h_nl_vitamin_k_antagonist_names_acenocoumarol_and_the_anticoagulation_clinic(
    client, locale
):
    profile = {"age": 66, "sex": "male", "medications": ["vitamin_k_antagonist"]}
    answer = post(client, "/v1/recommendations", {"profile": profile}, locale)
    text = notices(answer)["interaction:vitamin-k-antagonist"]
    assert "acenocoumarol" in text.lower(), text
    assert "trombosedienst" in text.lower(), text


# ---------------------------------------------------------------- R15j: sellable per market
def test_r15j_product_get_says_per_market_whether_it_may_be_sold(client):
    """Before: GET /v1/products/XF-D3-100-CAP answered `sellable: true` and nothing about NL's
    75 µg maximum per daily dose."""
    for sku, product in PRODUCTS.items():
        body = client.get(f"/v1/products/{sku}").get_json()
        assert set(body["markets"]) == set(SERVED), body
        for market in SERVED:
            entry = MAXIMA["markets"].get(market, {})
            applies = entry.get("binding") or market in MAXIMA.get("apply_in_markets", [])
            over = [
                n
                for n, m in (entry.get("maxima", {}) if applies else {}).items()
                if per_day(product).get(n, 0) > m["amount"] + 1e-9
            ]
            beyond = above_every_limit(product)  # review s31b H5: never offered to anyone
            sellable = product.get("sellable", True) and body["sellable"] and not over
            sellable = sellable and not beyond
            status = body["markets"][market]
            assert status["sellable"] is bool(sellable), (sku, market, status)
            assert bool(status["reasons"]) is not sellable, (sku, market, status)
            for nutrient in over:
                assert any(nutrient in r["text"] for r in status["reasons"]), status
            assert ("upper_limit" in [r["code"] for r in status["reasons"]]) is beyond, status


def above_every_limit(product: dict) -> bool:
    """Its daily dose alone is above the EFSA upper limit (oracle.py) at every age it is sold
    for, some nutrient at each age."""
    ages = range(product["min_age"], (product.get("max_age") or 100) + 1)
    return all(
        any(
            (limit := expected_upper_limit(n, age, "none")) is not None and amount > limit + 1e-9
            for n, amount in per_day(product).items()
        )
        for age in ages
    )


def test_r15j_the_100_ug_vitamin_d_is_not_sellable_in_nl(client):
    over_nl = [
        sku
        for sku, p in PRODUCTS.items()
        if per_day(p).get(D, 0) > MAXIMA["markets"]["NL"]["maxima"][D]["amount"]
    ]
    assert over_nl
    for sku in over_nl:
        body = client.get(f"/v1/products/{sku}").get_json()
        assert body["markets"]["NL"]["sellable"] is False
        assert body["markets"]["NL"]["reasons"][0]["code"] == "market_maximum"
    schema = client.get("/openapi.json").get_json()["components"]["schemas"]
    product_schema = next(
        v for k, v in schema.items() if k.startswith("Product") and "sku" in v.get("properties", {})
    )
    assert "markets" in product_schema["properties"]
