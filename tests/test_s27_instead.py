"""The notice `instead:<SKU>` (service/core/instead.py), session 27.

A quick check of s27: the replacement was judged on the request's lines, without a stored
customer's supplies still lasting that the placement counts. A woman of 75 with a 75 µg D3
still lasting (bought, not in her profile) was told on `home` to take a 20 µg D3 in place of
her fish-oil D3, 75 + 20 + 7 from food = 102 µg against the upper limit of 100."""

from __future__ import annotations

import datetime as dt

import pytest

from service.contract.schemas import RecommendationRequestSchema
from service.core.placements.serve import recommend_placement
from service.core.refills import Purchase, refill_config

from .conftest import RULES, TODAY
from .oracle import PRODUCTS, per_day

FISH_ALLERGY_75 = {
    "age": 75,
    "sex": "female",
    "country": "NL",
    "allergies": ["fish"],
    "current_supplements": [{"sku": "NV-D3-25-FISH-SG"}],
}


def _vitamin_d(sku: str) -> float:
    return per_day(PRODUCTS[sku]).get("vitamin_d_ug", 0.0)


@pytest.mark.parametrize("placement", ["home", "account"])
@pytest.mark.parametrize("supply", ["XF-D3-75-TAB", "XF-D3-20-TAB"])
def test_the_replacement_counts_the_supplies_still_lasting(recommender, placement, supply):
    snapshot = recommender.snapshot
    config = refill_config(RULES, snapshot.reference)
    body = RecommendationRequestSchema().load(
        {"profile": FISH_ALLERGY_75, "placement": placement, "locale": "en"}
    )
    bought = [Purchase(TODAY - dt.timedelta(days=10), supply)]
    answer = recommend_placement(snapshot, body, TODAY, None, purchases=(bought, config))
    named = [
        p.sku
        for p in snapshot.catalog.products
        for n in answer["notices"]
        if n["code"].startswith("instead:") and p.name["en"] in n["text"].split(" suits ")[0]
    ]
    named = [sku for sku in named if sku != "NV-D3-25-FISH-SG"]
    # who follows the notice takes the supply and what is named, not the fish-oil D3
    day = _vitamin_d(supply) + sum(_vitamin_d(sku) for sku in named)
    assert day + answer["intake"]["vitamin_d_ug"]["food"] <= 100, (named, answer["notices"])
    # the supply serves the need of vitamin D already: no second vitamin D in its place
    assert not [sku for sku in named if _vitamin_d(sku)], answer["notices"]
