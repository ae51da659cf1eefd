"""Review s4 (pharmacist / hostile tester), input findings: R6, R12, R1, R14, R15a, R15c.

R6: a request field `"jurisdiction": "US"` lifted the EFSA upper limits for a Dutch profile
(zinc 15 mg offered with 16 mg from food, UL 25). A jurisdiction other than the default may only
tighten: per nutrient the stricter of its limit and the default (EFSA) table's.
"""

from __future__ import annotations

import math

import pytest

from service.core.recommender import Recommender

ZINC_MAN = {"age": 40, "sex": "male", "goals": ["immunity"], "country": "NL"}


# ------------------------------------------------------------------ R6 jurisdiction
@pytest.mark.parametrize("country", ["NL", "DE"])
def test_us_jurisdiction_does_not_lift_the_eu_zinc_limit(client, country):
    body = {
        "profile": {**ZINC_MAN, "country": country},
        "jurisdiction": "US",
        "locale": "en",
        "limit": 10,
        "category": "zinc",
    }
    answer = client.post("/v1/recommendations", json=body).get_json()
    assert answer["intake"]["zinc_mg"]["upper_limit"] == 25
    for item in answer["items"]:
        zinc = item["nutrients_per_day"].get("zinc_mg", 0)
        assert zinc + answer["intake"]["zinc_mg"]["food"] <= 25, item["sku"]


def test_us_jurisdiction_never_lifts_a_limit_on_any_endpoint(client):
    profile = {"age": 40, "country": "NL"}
    plain = client.post("/v1/recommendations", json={"profile": profile, "locale": "en"})
    eu = {k: v["upper_limit"] for k, v in plain.get_json()["intake"].items()}
    bodies = {
        "/v1/recommendations": {"profile": profile},
        "/v1/intake/check": {"profile": profile, "basket": [{"sku": "VL-ZINC-15-CAP"}]},
        "/v1/products/XF-ZINC-10-TAB/alternatives": {"profile": profile},
    }
    for path, body in bodies.items():
        answer = client.post(path, json={**body, "jurisdiction": "US", "locale": "en"})
        assert answer.status_code == 200, path
        table = answer.get_json().get("intake") or answer.get_json()["totals"]
        for key, row in table.items():
            if eu.get(key) is not None:
                assert row["upper_limit"] is not None and row["upper_limit"] <= eu[key], (path, key)
    placement = {"profile": profile, "placement": "cart", "basket": [{"sku": "XF-D3-20-TAB"}]}
    answer = client.post("/v1/recommendations", json={**placement, "jurisdiction": "US"})
    for key, row in answer.get_json()["intake"].items():
        if eu.get(key) is not None:
            assert row["upper_limit"] <= eu[key], key


def test_us_jurisdiction_regimen_stays_within_eu_limits(client, recommender: Recommender):
    profile = {"age": 40, "sex": "male", "goals": ["immunity", "muscles"], "country": "NL"}
    body = {"profile": profile, "jurisdiction": "US", "locale": "en", "max_products": 5}
    answer = client.post("/v1/regimens", json=body)
    assert answer.status_code == 200
    limits = recommender.snapshot.reference.upper_limits
    eu = dict(zip(limits.nutrient_keys, limits.for_profile(40, "none"), strict=True))
    for key, amount in answer.get_json()["totals"].items():
        if key in eu and not math.isnan(eu[key]):
            assert amount <= eu[key] + 1e-9, key


def test_a_jurisdiction_only_tightens_per_nutrient(recommender: Recommender):
    limits = recommender.snapshot.reference.upper_limits
    for age in (0, 5, 16, 30, 60, 90):
        for stage in ("none", "pregnant"):
            eu = limits.for_profile(age, stage)
            us = limits.for_profile(age, stage, "US")
            for key, a, b in zip(limits.nutrient_keys, eu, us, strict=True):
                if not math.isnan(a):
                    assert not math.isnan(b) and b <= a, (age, stage, key)
    # and it does tighten: the US calcium limit from 51 years (2,000 mg) is below EFSA's 2,500
    column = limits.nutrient_keys.index("calcium_mg")
    assert limits.for_profile(60, "none", "US")[column] == 2000


@pytest.mark.parametrize("path", ["/v1/intake/check", "/v1/regimens"])
def test_an_unknown_jurisdiction_is_refused(client, path):
    answer = client.post(path, json={"profile": {"age": 40}, "jurisdiction": "XX"})
    assert answer.status_code == 422
    assert "jurisdiction" in answer.get_json()["error"]["fields"]
