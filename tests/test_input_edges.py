"""Input the contract refuses, refused the same way everywhere (issue 15, point 11).

Regressions: duplicate JSON keys took the last value silently (`{"age": 30, "age": 3}`: which
profile did the shop mean?); `explain: 0` passed as a boolean; `"NL\\n"` passed the country
pattern; OpenAPI said `servings_per_day` minimum 0 while 0 is refused.
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "body",
    [
        '{"profile": {"age": 30, "age": 3}}',
        '{"profile": {"age": 30, "medications": []}, "limit": 5, "limit": 50}',
        '{"profile": {"age": 30, "current_supplements": [{"label": "x", "nutrients": '
        '{"vitamin_d_ug": 25, "vitamin_d_ug": 0}}]}}',
    ],
)
def test_duplicate_keys_are_refused(client, body):
    response = client.post(
        "/v1/recommendations", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "malformed_json"
    assert "duplicate key" in error["message"]


@pytest.mark.parametrize("value", [0, 1, "true", "yes", None])
def test_explain_takes_only_json_booleans(client, value):
    response = client.post("/v1/recommendations", json={"profile": {"age": 30}, "explain": value})
    assert response.status_code == 422, (value, response.status_code)
    assert "explain" in response.get_json()["error"]["fields"]


def test_explain_true_and_false_still_work(client):
    for value in (True, False):
        response = client.post(
            "/v1/recommendations", json={"profile": {"age": 30}, "explain": value}
        )
        assert response.status_code == 200


@pytest.mark.parametrize("country", ["NL\n", "\nNL", "NLD", "N", "N1"])
def test_the_country_is_exactly_two_letters(client, country):
    response = client.post("/v1/recommendations", json={"profile": {"age": 30, "country": country}})
    assert response.status_code == 422, country
    assert "profile.country" in response.get_json()["error"]["fields"]


def test_openapi_says_servings_per_day_must_be_above_zero(client):
    spec = client.get("/openapi.json").get_json()
    servings = spec["components"]["schemas"]["Line"]["properties"]["servings_per_day"]
    assert servings["minimum"] == 0 and servings.get("exclusiveMinimum") is True
    basket = [{"sku": "XF-D3K2-TAB", "servings_per_day": 0}]
    response = client.post("/v1/recommendations", json={"profile": {"age": 30}, "basket": basket})
    assert response.status_code == 422
