"""Review s4 R5: a product whose name says whom it is made for (men, women, 50+, 70+) is not
offered to someone else (rules/merchandising/risk_groups.yaml, target-group-*)."""

from __future__ import annotations

import pytest

from service.api.app import create_app

from .conftest import TODAY


@pytest.fixture(scope="module")
def client():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    app.extensions["dosewise"].clock = lambda: TODAY
    return app.test_client()


def _skus(client, profile: dict, limit: int = 10, **extra) -> list[str]:
    body = {"profile": profile, "locale": "en", "limit": limit, **extra}
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.data
    return [item["sku"] for item in response.get_json()["items"]]


def test_a_breastfeeding_woman_gets_no_mens_multivitamin(client):
    profile = {
        "age": 25,
        "sex": "female",
        "life_stage": "breastfeeding",
        "sun_exposure": "moderate",
    }
    assert "XF-MULTI-MEN" not in _skus(client, profile)
    profile = {
        "age": 41,
        "life_stage": "breastfeeding",
        "sex": "female",
        "medications": ["thiazide_diuretic", "digoxin"],
        "sun_exposure": "high",
        "country": "DE",
        "serum_25ohd_nmol_l": 80,
    }
    skus = _skus(client, profile, limit=8)
    assert "XF-MULTI-MEN" not in skus
    assert "BL-D3-20-70PLUS-TAB" not in skus


def test_the_70_plus_product_is_for_70_and_over(client):
    younger = [
        s
        for age in (30, 41, 55, 69)
        for s in _skus(client, {"age": age, "country": "NL"}, category="vitamin_d", limit=20)
    ]
    assert "BL-D3-20-70PLUS-TAB" not in younger
    older = _skus(client, {"age": 75, "country": "NL"}, category="vitamin_d", limit=20)
    assert "BL-D3-20-70PLUS-TAB" in older


def test_a_man_gets_no_womens_multivitamin_and_the_young_no_50_plus(client):
    men = _skus(client, {"age": 60, "sex": "male", "goals": ["energy"]}, category="multivitamin")
    assert not {"XF-MULTI-WOMEN", "VL-MULTI-WOMEN50"} & set(men)
    young = _skus(
        client, {"age": 30, "sex": "female", "goals": ["energy"]}, category="multivitamin"
    )
    assert not {"XF-MULTI-50PLUS", "VL-MULTI-WOMEN50"} & set(young)


def test_alternatives_with_a_profile_keep_the_target_group(client):
    body = {"profile": {"age": 30, "sex": "female", "goals": ["energy"], "sun_exposure": "low"}}
    response = client.post(
        "/v1/products/XF-MULTI-MEN/alternatives", json={**body, "locale": "en", "limit": 10}
    )
    assert response.status_code == 200, response.data
    skus = [item["sku"] for item in response.get_json()["items"]]
    assert "XF-MULTI-50PLUS" not in skus
