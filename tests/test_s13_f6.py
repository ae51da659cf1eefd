"""Pharmacist review F6 (session 13): a doctor's dose answered with multivitamins.

1. A woman of 40 with a doctor's 1000 µg folic acid was offered only XF-MULTI-WOMEN (14 mg
   iron, 600 µg retinol, vitamin K1 ...) and BL-MULTI-AZ (800 µg retinol, 14 mg iron): the
   plain folic acid products are tagged 'pregnancy' and risk_groups.yaml kept them to
   pregnancy. A pharmacist hands a plain folic acid tablet for a doctor's folic acid dose:
   `pregnancy-folic-acid-only-in-pregnancy-or-doctor-dose` opens the products that give
   nothing but folic acid for a doctor's folic acid dose; pregnancy multivitamins and the
   folic acid + D3 stay with pregnancy (`pregnancy-multivitamin-only-in-pregnancy`).
2. A woman of 45 with a doctor's 180 mg magnesium who takes 150 mg was offered two
   multivitamins for the 30 mg left, each "Gives 60 mg of magnesium a day; with the 150 mg
   from your other supplements that is 210 mg, more than the advised amount": a product whose
   only need is gaps it overshoots, giving at least scoring.yaml
   `lists.overshot_gap.min_unneeded` nutrients it fills no gap of, is not offered for them.

Expected products come from the catalog (tests/oracle.py), the bound from scoring.yaml.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .oracle import PRODUCTS, REFERENCE_DIR, per_day

SCORING = yaml.safe_load((REFERENCE_DIR / "scoring.yaml").read_text(encoding="utf-8"))
MIN_UNNEEDED = SCORING["lists"]["overshot_gap"]["min_unneeded"]
MORE = "more than the advised amount"


def _answer(client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _plain_folic(sku: str) -> bool:
    """Gives nothing but folic acid (a tablet of folic acid or methylfolate)."""
    return set(k for k, v in per_day(PRODUCTS[sku]).items() if v > 0) == {"folic_acid_ug"}


PLAIN_FOLIC = sorted(
    s
    for s, p in PRODUCTS.items()
    if p["category"] == "folic_acid" and "pregnancy" in p.get("tags", []) and _plain_folic(s)
)
PREGNANCY_OTHER = sorted(
    s
    for s, p in PRODUCTS.items()
    if p["category"] in ("folic_acid", "multivitamin")
    and "pregnancy" in p.get("tags", [])
    and s not in PLAIN_FOLIC
)

FOLIC_DOCTOR = {
    "age": 40,
    "sex": "female",
    "country": "NL",
    "higher_dose_advised": {"folic_acid_ug": 1000},
}


def test_catalog_has_what_the_tests_speak_of():
    assert PLAIN_FOLIC and PREGNANCY_OTHER
    assert "XF-FOLIC-D3-TAB" in PREGNANCY_OTHER  # folic acid + D3 is no plain product


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_f6_a_doctors_folic_acid_gets_a_plain_folic_acid_product(client, locale):
    answer = _answer(client, {"profile": FOLIC_DOCTOR, "locale": locale, "limit": 3})
    skus = [i["sku"] for i in answer["items"]]
    plain = [s for s in skus if s in PLAIN_FOLIC]
    assert plain, answer
    for item in answer["items"]:
        if item["sku"] in plain:
            codes = [r["code"] for r in item["reasons"]]
            assert "fills_gap:folic_acid_ug" in codes, item
    assert not set(skus) & set(PREGNANCY_OTHER), skus


def test_f6_the_folic_acid_category_page_for_a_doctors_dose(client):
    body = {"profile": FOLIC_DOCTOR, "locale": "en", "limit": 10, "category": "folic_acid"}
    skus = {i["sku"] for i in _answer(client, body)["items"]}
    assert skus & set(PLAIN_FOLIC), skus
    assert not skus & set(PREGNANCY_OTHER), skus


@pytest.mark.parametrize(
    "extra",
    [
        {},  # no doctor's dose: folic acid stays with pregnancy (review s5 S6)
        {"higher_dose_advised": {"vitamin_d_ug": 50}},  # a doctor's dose of something else
        {"higher_dose_advised": {"folic_acid_ug": 0}},  # the contract allows 0: no dose
    ],
)
def test_without_a_doctors_folic_acid_the_plain_products_stay_with_pregnancy(client, extra):
    profile = {"age": 40, "sex": "female", "country": "NL", **extra}
    for category in (None, "folic_acid"):
        body: dict[str, Any] = {"profile": profile, "locale": "en", "limit": 10}
        if category:
            body["category"] = category
        skus = {i["sku"] for i in _answer(client, body)["items"]}
        assert not skus & (set(PLAIN_FOLIC) | set(PREGNANCY_OTHER)), skus


MG_DOCTOR = {
    "age": 45,
    "sex": "female",
    "country": "NL",
    "higher_dose_advised": {"magnesium_mg": 180},
    "current_supplements": [{"label": "Mg", "nutrients": {"magnesium_mg": 150}}],
}


def _unneeded(sku: str, gaps: set[str]) -> int:
    return sum(1 for k, v in per_day(PRODUCTS[sku]).items() if v > 0 and k not in gaps)


def test_f6_no_multivitamin_for_a_small_gap_it_overshoots(client):
    answer = _answer(client, {"profile": MG_DOCTOR, "locale": "en", "limit": 8})
    for item in answer["items"]:
        gives_mg = per_day(PRODUCTS[item["sku"]]).get("magnesium_mg", 0) > 0
        assert not (gives_mg and _unneeded(item["sku"], {"magnesium_mg"}) >= MIN_UNNEEDED), item
    # and the list says why there is nothing for the doctor's dose, naming it
    codes = {n["code"]: n["text"] for n in answer["notices"]}
    said = [t for c, t in codes.items() if c.endswith(":magnesium_mg")]
    assert said and all("180 mg" in t for t in said), answer["notices"]


@pytest.mark.parametrize(
    "profile",
    [
        MG_DOCTOR,
        {**MG_DOCTOR, "age": 55, "current_supplements": []},  # a 180 mg gap: no overshoot
        {"age": 52, "sex": "female", "country": "NL"},  # NL 10 µg vitamin D advice
        {
            "age": 52,
            "sex": "female",
            "country": "NL",
            "current_supplements": [{"label": "D", "nutrients": {"vitamin_d_ug": 5}}],
        },
        {"age": 72, "sex": "male", "country": "NL", "goals": ["bones"]},
    ],
)
def test_an_item_only_for_gaps_it_overshoots_is_no_multivitamin(client, profile):
    """Whatever the profile: an item whose every reason is an advice gap it fills past the
    advice gives fewer than `min_unneeded` nutrients besides those gaps."""
    answer = _answer(client, {"profile": profile, "locale": "en", "limit": 10})
    for item in answer["items"]:
        reasons = item["reasons"]
        gaps = {r["code"].split(":", 1)[1] for r in reasons if r["code"].startswith("fills_gap:")}
        only_over = reasons and all(
            r["code"].startswith("fills_gap:") and MORE in r["text"] for r in reasons
        )
        if only_over:
            assert _unneeded(item["sku"], gaps) < MIN_UNNEEDED, item


def test_a_doctors_dose_of_one_nutrient_gets_a_product_for_it_not_a_multivitamin(client):
    """Review 14 (session 13): a doctor's 180 mg with nothing taken: a multivitamin's 60 mg does
    not pass it, but a pharmacist answers a doctor's magnesium with a magnesium product, not
    with eleven nutrients nobody advised (the rule first kept such multivitamins)."""
    profile = {**MG_DOCTOR, "current_supplements": []}
    answer = _answer(client, {"profile": profile, "locale": "en", "limit": 10})
    given = [i for i in answer["items"] if per_day(PRODUCTS[i["sku"]]).get("magnesium_mg", 0)]
    assert given, answer
    for item in given:
        assert PRODUCTS[item["sku"]]["category"] != "multivitamin", item
