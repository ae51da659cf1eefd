"""A doctor's dose of one nutrient is answered by a product for it (left open by session 31 as
review s31a F4's second half; review s32a F1-F3): a man of 50 in NL (no vitamin D advice) with
a doctor's 200 µg vitamin K2 was offered a vitamin D3 + K2 "gives 100 µg of vitamin K2", 25 µg
of vitamin D a day nobody advised and not a word of it; a doctor's 20 µg vitamin D got a D3 +
K2 first (cheaper); a regimen for a doctor's 100 µg K2 was a D3 + K2 and K2 drops, one for a
doctor's 1,000 mg omega-3 a cod-liver oil with retinol. A product that fills only doctor's
doses and gives a nutrient it fills no gap of is out where a product for the dose alone can
be offered (needs._doctor_adds, read through needs.overshot_gap by lists, regimens and the
intake check's suggestion); a regimen holds one product per doctor's dose
(regimen_problem._one_of_membership)."""

from __future__ import annotations

import pytest
import yaml

from .conftest import memory_app, recommend


def _gives(items: list[dict], key: str) -> list[str]:
    return [i["sku"] for i in items if i["nutrients_per_day"].get(key, 0) > 0]


def _regimen(client, profile: dict) -> dict:
    body = {"profile": profile, "max_products": 3, "locale": "en"}
    response = client.post("/v1/regimens", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


NL_MAN = {"sex": "male", "country": "NL"}


def test_doctor_k2_dose_gets_no_vitamin_d_nobody_advised(client):
    profile = {**NL_MAN, "age": 50}
    # the same man without the doctor's dose: no vitamin D advice, no vitamin D product
    plain = recommend(client, {"profile": profile})
    assert _gives(plain["items"], "vitamin_d_ug") == []
    doctor = {**profile, "higher_dose_advised": {"vitamin_k2_ug": 200}}
    answer = recommend(client, {"profile": doctor})
    assert _gives(answer["items"], "vitamin_k2_ug"), answer  # the doctor's dose is answered
    for item in answer["items"]:
        assert set(item["nutrients_per_day"]) == {"vitamin_k2_ug"}, item


@pytest.mark.parametrize(("dose", "sku"), [(100, "XF-K2-MK7-100-CAP"), (180, "XF-K2-MK7-200-CAP")])
def test_regimen_for_a_doctor_k2_dose_is_one_k2_product(client, dose, sku):
    # review s32a F1: was a D3 + K2 (20 µg vitamin D) and K2 drops, 0.68 EUR a month cheaper
    regimen = _regimen(
        client, {**NL_MAN, "age": 40, "higher_dose_advised": {"vitamin_k2_ug": dose}}
    )
    assert [line["sku"] for line in regimen["lines"]] == [sku]
    assert regimen["targets"]["vitamin_k2_ug"]["status"] == "achieved"


@pytest.mark.parametrize("dose", [75, 180])
def test_regimen_gives_a_doctor_k2_dose_in_one_product_beside_a_vitamin_d_advice(client, dose):
    # in DE everyone of 40 has a vitamin D advice (20 µg): a D3 + K2 may serve both, but the
    # doctor's K2 is not split over two products (was BL-D3K2-TAB + NV-K2-MK7-120-CAP for 180)
    profile = {"age": 40, "sex": "male", "country": "DE", "higher_dose_advised": {}}
    profile["higher_dose_advised"]["vitamin_k2_ug"] = dose
    regimen = _regimen(client, profile)
    assert len(_gives(regimen["lines"], "vitamin_k2_ug")) == 1, regimen["lines"]
    assert regimen["targets"]["vitamin_k2_ug"]["status"] == "achieved"
    assert regimen["targets"]["vitamin_d_ug"]["status"] == "achieved"


def test_doctor_vitamin_d_dose_gets_a_vitamin_d_product_first(client):
    # review s32a F2: XF-D3K2-DROPS (50 µg vitamin K2) led on price
    profile = {**NL_MAN, "age": 50, "higher_dose_advised": {"vitamin_d_iu": 800}}
    answer = recommend(client, {"profile": profile, "limit": 6}, locale="de")
    assert answer["items"] and _gives(answer["items"], "vitamin_k2_ug") == [], answer["items"]
    assert answer["items"][0]["nutrients_per_day"] == {"vitamin_d_ug": 20}


def test_doctor_omega3_dose_gets_no_cod_liver_oil(client):
    # review s32a F3: the regimen was NV-COD-LIVER-OIL (250 µg retinol, vitamin D and E)
    profile = {**NL_MAN, "age": 40, "higher_dose_advised": {"omega3_mg": 1000}}
    regimen = _regimen(client, profile)
    assert regimen["lines"] and regimen["targets"]["omega3_mg"]["status"] == "achieved"
    for line in regimen["lines"]:
        assert set(line["nutrients_per_day"]) == {"omega3_mg"}, line
    answer = recommend(client, {"profile": profile, "limit": 10, "category": "omega3"})
    assert "NV-COD-LIVER-OIL" not in [i["sku"] for i in answer["items"]]


def test_a_d3_k2_that_fills_a_vitamin_d_advice_stays(client):
    # a man of 72 in NL has a vitamin D advice (20 µg): the D3 + K2 fills it, not only the
    # doctor's K2, and stays a choice (its category page offers it). Since review s33c 2 the
    # plain list leads with what fits both doses: a D3 20 µg and the 200 µg K2, not a D3 + K2
    # with 75 µg K2 ("your doctor advised 200 µg") first
    profile = {**NL_MAN, "age": 72, "higher_dose_advised": {"vitamin_k2_ug": 200}}
    page = recommend(client, {"profile": profile, "category": "vitamin_d_k2"})
    pairs = [set(i["nutrients_per_day"]) for i in page["items"]]
    assert {"vitamin_d_ug", "vitamin_k2_ug"} in pairs, page["items"]
    items = recommend(client, {"profile": profile})["items"]
    k2 = [
        i["nutrients_per_day"]["vitamin_k2_ug"]
        for i in items
        if "vitamin_k2_ug" in i["nutrients_per_day"]
    ]
    assert k2[0] == 200, items
    assert any(set(i["nutrients_per_day"]) == {"vitamin_d_ug"} for i in items), items


def test_only_a_combination_gives_the_dose_then_it_stays(data_copy):
    # with no vitamin K2 product of its own in the catalog, the doctor's K2 is still answered
    # by a D3 + K2 (not left with nothing)
    data = yaml.safe_load(data_copy.catalog.read_text(encoding="utf-8"))
    data["products"] = [p for p in data["products"] if p["category"] != "vitamin_k2"]
    data_copy.catalog.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    client = memory_app(data=data_copy).test_client()
    profile = {**NL_MAN, "age": 50, "higher_dose_advised": {"vitamin_k2_ug": 100}}
    answer = recommend(client, {"profile": profile})
    assert _gives(answer["items"], "vitamin_k2_ug"), answer
