"""Session 36: findings left open by session 35's reviews, and this session's reviews.

- s35a F3: a woman of 72 on digoxin whose D3 + K2 runs out while her K2 drops still last.
  /refills reorders the D3 + K2 (her only vitamin D source) and stops the drops; buy again
  offered the drops and not the D3 + K2 (checked beside the drops, its vitamin K2 duplicated
  them). Buy again now follows the plan: the drops are not offered, the D3 + K2 is.
Expectations from the catalog (oracle) and the answers' own fields."""

from __future__ import annotations

import datetime as dt

from .conftest import TODAY, memory_app, store_customer
from .oracle import PRODUCTS


def _bought(sku: str, days_left: int) -> tuple[str, str]:
    """A purchase of one pack of `sku` that has `days_left` days left today."""
    product = PRODUCTS[sku]
    days = product["pack_size"] // product["servings_per_day"]
    return sku, (TODAY - dt.timedelta(days=days - days_left)).isoformat()


DIGOXIN = {"age": 72, "sex": "female", "medications": ["digoxin"], "country": "NL"}
D3K2, K2_DROPS = "VL-D3K2-20-50-TAB", "XF-K2-MK7-DROPS"


def test_buy_again_follows_the_reorder_that_stops_a_lasting_supply() -> None:
    client = memory_app().test_client()
    store_customer(client, "c-s36-dig", DIGOXIN, [_bought(D3K2, -20), _bought(K2_DROPS, 100)])
    refills = client.get("/v1/customers/c-s36-dig/refills?locale=en").get_json()
    reorder = {i["sku"]: i for i in refills["reorder"]["items"]}
    # the premise: /refills reorders the D3 + K2 and stops the drops beside it
    assert reorder[D3K2]["action"] == "reorder"
    assert f"stop:{K2_DROPS}" in {r["code"] for r in reorder[D3K2]["reasons"]}
    for path in ("/buy-again?locale=en", "/recommendations?placement=account&locale=en"):
        answer = client.get(f"/v1/customers/c-s36-dig{path}").get_json()
        offered = {i["sku"] for i in answer["items"]}
        assert K2_DROPS not in offered, (path, offered)
        assert D3K2 in offered, (path, offered)
