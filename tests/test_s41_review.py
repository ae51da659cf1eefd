"""Session 41: what session 40 left open.

s40c N1 / s40a F1 variant (unsafe in effect): a pregnant woman whose folic acid + 10 µg D3
runs out a few days before her 25 µg D3, beside a women's multivitamin (not suitable in
pregnancy) that lasts, had both left out ("ask your pharmacist"), and the multivitamin's
`instead` named iodine only: no product named her folic acid."""

from __future__ import annotations

import datetime as dt

from .conftest import dated_client, store_customer
from .oracle import PRODUCTS, per_day

TODAY_S41 = dt.date(2026, 12, 7)
PREGNANT = {"age": 32, "sex": "female", "life_stage": "pregnant"}
MULTI, FOLIC_D3, D3 = "XF-MULTI-WOMEN", "XF-FOLIC-D3-TAB", "XF-D3-25-SG"


def _stored(client, customer_id: str, profile: dict, bought: list[tuple[str, int]]) -> str:
    """Store `profile` with purchases (SKU, days before TODAY_S41); the customer's path."""
    purchases = [(sku, TODAY_S41 - dt.timedelta(days=ago)) for sku, ago in bought]
    store_customer(client, customer_id, profile, purchases)
    return f"/v1/customers/{customer_id}"


def _gives(sku: str, nutrient: str) -> float:
    return per_day(PRODUCTS[sku]).get(nutrient, 0.0)


def test_her_folic_acid_is_named_when_it_runs_out_days_before_her_vitamin_d(redis_url) -> None:
    """s40c N1: the folic acid + D3 (35 µg with the 25 µg D3 on the days they overlap) is
    replaced by a folic acid without vitamin D, found as if the multivitamin she is told to
    stop were not taken; the 25 µg D3 goes on and stops the multivitamin as it starts; the
    multivitamin's `instead` names her iodine. Every day from the D3's start she is within
    25 µg vitamin D, and the e-mail proposes the same two."""
    client = dated_client(redis_url, TODAY_S41)
    base = _stored(client, "s41-n1", PREGNANT, [(MULTI, 20), (FOLIC_D3, 85), (D3, 112)])
    answer = client.get(f"{base}/refills?locale=en").get_json()
    reorder = answer["reorder"]
    items = {i["sku"]: i for i in reorder["items"]}
    assert not reorder["left_out"], reorder
    (folic,) = [s for s in items if _gives(s, "folic_acid_ug") > 0]
    assert items[folic]["action"] == "replace" and items[folic]["replaces"] == FOLIC_D3, items
    assert _gives(folic, "vitamin_d_ug") == 0, folic
    codes = [r["code"] for r in items[folic]["reasons"]]
    assert "fills_gap:folic_acid_ug" in codes, codes  # said as if the multivitamin stopped
    assert items[D3]["action"] == "reorder", items
    assert f"stop:{MULTI}" in [r["code"] for r in items[D3]["reasons"]], items[D3]
    # the days she takes the multivitamin beside the new folic acid are said
    warned = [w["code"] for w in items[folic]["warnings"]]
    assert "near_upper_limit:folic_acid_ug" in warned, items[folic]
    assert _gives(folic, "vitamin_d_ug") + _gives(D3, "vitamin_d_ug") <= 25
    refill = {r["sku"]: r for r in answer["refills"]}
    assert refill[MULTI]["why"][0]["code"] == "stopped_for", refill[MULTI]
    instead = [refill[MULTI]["instead"], *refill[MULTI].get("instead_also", [])]
    assert "iodine_ug" in {n for i in instead for n in i["nutrients_per_day"]}, instead
    email = client.get(f"{base}/recommendations?placement=email&locale=en").get_json()
    assert {i["sku"] for i in email["items"]} == {folic, D3}, email


def test_no_folic_acid_beside_a_multivitamin_that_must_go_on_for_now(redis_url) -> None:
    """Where nothing stops the multivitamin (a vitamin K antagonist: its switch is only as
    agreed with her doctor), a folic acid found as if it were not taken would be a second
    source beside it for good: the folic acid + D3 is left out as before."""
    client = dated_client(redis_url, TODAY_S41)
    profile = {**PREGNANT, "medications": ["vitamin_k_antagonist"]}
    base = _stored(client, "s41-vka", profile, [(MULTI, 20), (FOLIC_D3, 85), (D3, 112)])
    reorder = client.get(f"{base}/refills?locale=en").get_json()["reorder"]
    assert not [i for i in reorder["items"] if _gives(i["sku"], "folic_acid_ug") > 0], reorder
    assert FOLIC_D3 in [i["sku"] for i in reorder["left_out"]], reorder
    assert not any(r["code"].startswith("stop:") for i in reorder["items"] for r in i["reasons"])
