"""Session 22: the findings left open by session 21's reviews."""

from __future__ import annotations

import pytest

from .conftest import buy_again_lists, memory_app, store_customer


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


THIAZIDE_DOCTOR = {
    "age": 70,
    "sex": "female",
    "country": "NL",
    "medications": ["thiazide_diuretic"],
    "higher_dose_advised": {"calcium_mg": 250},
}


@pytest.mark.parametrize("sku", ["BL-CA-500-TAB", "VL-CA-CIT-TAB", "XF-CAD3-500-10-TAB"])
def test_no_reorder_past_a_doctors_dose_beside_a_medicines_warning(client, sku):
    """Re-review 21 #10: a thiazide user's doctor advised 250 mg calcium a day; the list
    offers nothing past it beside the thiazide's warning, but
    buy-again offered her 500 mg calcium again and the refills reordered it. Neither does
    now; the refills say why it is left out."""
    customer = f"s22-thiazide-{sku}"
    store_customer(client, customer, THIAZIDE_DOCTOR, {sku: "2026-09-15"})
    for items in buy_again_lists(client, customer):
        assert sku not in {i["sku"] for i in items}, items
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    reorder = refills["reorder"] or {"items": [], "left_out": []}
    assert sku not in {i["sku"] for i in reorder["items"]}
    for left in reorder["left_out"]:
        if left["sku"] == sku:
            assert "past_advice_warned" in {w["code"] for w in left["why"]}


def test_without_a_doctors_dose_the_thiazide_users_calcium_continues_with_its_warning(client):
    """Without an advice of calcium, what she bought is hers to continue: it is reordered,
    with the thiazide's warning, as before."""
    customer = "s22-thiazide-no-doctor"
    profile = {k: v for k, v in THIAZIDE_DOCTOR.items() if k != "higher_dose_advised"}
    store_customer(client, customer, profile, {"VL-CA-CIT-TAB": "2026-09-15"})
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    items = {i["sku"]: i for i in refills["reorder"]["items"]}
    assert "interaction:thiazide-diuretic" in {
        w["code"] for w in items["VL-CA-CIT-TAB"]["warnings"]
    }


def test_a_doctors_dose_the_product_stays_within_is_reordered(client):
    """One tablet a day of the 250 mg citrate (as her profile says she takes it) is within
    the doctor's 250 mg: reordered, with the warning."""
    customer = "s22-thiazide-one-a-day"
    profile = {
        **THIAZIDE_DOCTOR,
        "current_supplements": [{"sku": "VL-CA-CIT-TAB", "servings_per_day": 1}],
    }
    store_customer(client, customer, profile, {"VL-CA-CIT-TAB": "2026-08-01"})
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    items = {i["sku"]: i for i in refills["reorder"]["items"]}
    assert items["VL-CA-CIT-TAB"]["action"] == "reorder"
    assert items["VL-CA-CIT-TAB"]["servings_per_day"] == 1
