"""Session 6 review T1: a woman planning a pregnancy (goal `pregnancy`) was offered products the
catalog marks unsuitable in pregnancy: GR-KELP-150-TAB (kelp, variable iodine) and BL-MULTI-AZ
(800 µg retinol), each with only the iodine claim as reason. Trying to conceive means she may be
pregnant without knowing it: she gets the pregnancy suitability of the catalog, in every
placement. A man, or a profile past the ages of markets.yaml `life_stage_ages`, is not planning.
Expectations are read from the catalog (tests/oracle.py), not from the service's code.
"""

from __future__ import annotations

import pytest

from service.api.app import create_app

from .oracle import PRODUCTS
from .test_placement_safety import PLACEMENTS

PLANNING = {"age": 30, "sex": "female", "goals": ["pregnancy"]}
UNSUITABLE = {sku for sku, p in PRODUCTS.items() if p.get("pregnancy_suitable") is False}


@pytest.fixture(scope="module")
def http():
    return create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None}).test_client()


def _skus(http, body):
    response = http.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.get_json()
    return [item["sku"] for item in response.get_json()["items"]]


@pytest.mark.parametrize("country", ["NL", "DE"])
def test_planning_a_pregnancy_gets_nothing_unsuitable_in_pregnancy(http, country):
    profile = {**PLANNING, "country": country}
    assert "GR-KELP-150-TAB" in UNSUITABLE and "BL-MULTI-AZ" in UNSUITABLE  # the review's two
    for placement in [None, *PLACEMENTS]:
        body = {"profile": profile, "limit": 20, "locale": "en"}
        if placement:
            body["placement"] = placement
            if placement == "product_page":
                body["product_sku"] = "GR-KELP-150-TAB"
        assert not set(_skus(http, body)) & UNSUITABLE, placement


def test_planning_with_other_goals_too(http):
    profile = {**PLANNING, "goals": ["pregnancy", "energy", "immunity"]}
    assert not set(_skus(http, {"profile": profile, "limit": 20})) & UNSUITABLE


def test_the_folic_acid_advice_is_still_offered(http):
    skus = _skus(http, {"profile": PLANNING, "limit": 20})
    assert any(PRODUCTS[s]["nutrients_per_serving"].get("folic_acid_ug", 0) > 0 for s in skus)
