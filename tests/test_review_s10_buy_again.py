"""Review 10 (found by a helper's property run): the account placement offered a product the
customer bought before as "buy again" while the same product was in the basket at a quarter
serving a day, and checked it without that basket line: 125 mg + 500 mg calcium + 2,000 mg
from food, above the 2,500 mg upper limit. A product already in the basket is no item to buy
again. Seen failing before the fix."""

from __future__ import annotations

import datetime as dt

from service.contract.schemas import RecommendationRequestSchema
from service.core.placements.serve import recommend_placement
from service.core.refills import Purchase, refill_config
from tests.conftest import RULES, TODAY
from tests.test_placement_safety import assert_placement_promises


def test_a_product_in_the_basket_is_not_offered_again_on_top_of_it(recommender):
    raw = {
        "profile": {"age": 56},
        "basket": [{"sku": "BL-CA-500-TAB", "servings_per_day": 0.25}],
        "placement": "account",
    }
    day = dt.date(2026, 8, 19)
    purchases = [
        Purchase(day=day, sku=sku, quantity=1, event="")
        for sku in ("BL-B12-100-TAB", "BL-B6-10-TAB", "BL-CA-500-TAB")
    ]
    body = RecommendationRequestSchema().load(raw)
    settings = refill_config(RULES, recommender.snapshot.reference)
    answer = recommend_placement(
        recommender.snapshot, body, TODAY, None, purchases=(purchases, settings)
    )
    assert "BL-CA-500-TAB" not in [item["sku"] for item in answer["items"]]
    assert_placement_promises(raw, answer)
