"""Session 40: what the re-reviews of session 39 left open.

s39d F1 (misleading): a pregnant woman with a women's multivitamin (unsuitable in pregnancy as
a whole, 10 µg vitamin D) and her 25 µg D3 running out was told on /refills that the D3 is
left out with "no safe alternative"; the multivitamin's replacements (folic acid, iodine) give
no vitamin D, so whoever followed the reorder took none."""

from __future__ import annotations

import datetime as dt

from .conftest import dated_client, store_customer
from .oracle import PRODUCTS, per_day

TODAY_S40 = dt.date(2026, 12, 7)
PREGNANT = {"age": 32, "sex": "female", "life_stage": "pregnant"}
MULTI, D3 = "XF-MULTI-WOMEN", "XF-D3-25-SG"


def _stored(client, customer_id: str, profile: dict, bought: list[tuple[str, int]]) -> str:
    """Store `profile` with purchases (SKU, days before TODAY_S40); the customer's path."""
    purchases = [(sku, TODAY_S40 - dt.timedelta(days=ago)) for sku, ago in bought]
    store_customer(client, customer_id, profile, purchases)
    return f"/v1/customers/{customer_id}"


def test_refills_reorder_her_vitamin_d_beside_a_multivitamin_that_stops(redis_url) -> None:
    """s39d F1: the 25 µg D3 suits pregnancy by itself; only the women's multivitamin beside
    it (replaced: not suitable in pregnancy) takes the day above 25 µg. The reorder keeps the
    D3, buy again and the e-mail offer it, and what replaces the multivitamin keeps the day
    within 25 µg of vitamin D."""
    client = dated_client(redis_url, TODAY_S40)
    base = _stored(client, "s40-d", PREGNANT, [(MULTI, 20), (D3, 112)])
    answer = client.get(f"{base}/refills?locale=en").get_json()
    reorder = answer["reorder"]
    assert [i["sku"] for i in reorder["items"]] == [D3], reorder
    assert not reorder["left_out"], reorder
    refill = {r["sku"]: r for r in answer["refills"]}
    assert refill[D3]["fits"] is True, refill[D3]
    assert refill[MULTI]["fits"] is False, refill[MULTI]
    instead = [refill[MULTI]["instead"], *refill[MULTI].get("instead_also", [])]
    day = sum(per_day(PRODUCTS[i["sku"]]).get("vitamin_d_ug", 0.0) for i in instead)
    assert day + per_day(PRODUCTS[D3])["vitamin_d_ug"] <= 25, instead
    again = client.get(f"{base}/buy-again?locale=en").get_json()["items"]
    assert D3 in {i["sku"] for i in again}, again
    assert MULTI not in {i["sku"] for i in again}, again
    email = client.get(f"{base}/recommendations?placement=email&locale=en").get_json()
    assert D3 in {i["sku"] for i in email["items"]}, email


def test_refills_still_leave_out_a_dose_above_the_maximum_beside_a_suitable_product(
    redis_url,
) -> None:
    """The other side: beside a product that suits pregnancy (a 20 µg D3 still lasting), a
    25 µg D3 running out is still above the maximum of 25 µg together with it."""
    client = dated_client(redis_url, TODAY_S40)
    base = _stored(client, "s40-e", PREGNANT, [("GR-D3-20-TAB", 10), (D3, 112)])
    reorder = client.get(f"{base}/refills?locale=en").get_json()["reorder"]
    assert D3 not in {i["sku"] for i in reorder["items"]}, reorder
    again = client.get(f"{base}/buy-again?locale=en").get_json()["items"]
    assert D3 not in {i["sku"] for i in again}, again
