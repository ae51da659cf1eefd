"""Session 6 review T10: requests that answered 200 while ignoring the caller's mistake.

- `GET /v1/products?category=nope` listed nothing with a 200, where the POST with the same
  category is a 422: a typo in a shop's category filter looked like an empty category.
- `placement: product_page` without `product_sku` answered the plain list: the page's product
  was silently dropped.
Both are now a 422 naming the field, in the contract's error shape.
"""

from __future__ import annotations

import pytest

from service.api.app import create_app


@pytest.fixture(scope="module")
def http():
    return create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None}).test_client()


def test_an_unknown_category_filter_is_a_422_naming_the_known_ones(http):
    response = http.get("/v1/products?category=nope")
    assert response.status_code == 422
    body = response.get_json()
    assert "category" in body["error"]["fields"]
    assert "vitamin_d" in body["error"]["fields"]["category"][0]


def test_a_known_category_still_lists_its_products(http):
    body = http.get("/v1/products?category=vitamin_d").get_json()
    assert body["total"] > 0 and all(p["category"] == "vitamin_d" for p in body["items"])


def test_product_page_without_its_product_is_a_422(http):
    body = {"profile": {"age": 40}, "placement": "product_page"}
    response = http.post("/v1/recommendations", json=body)
    assert response.status_code == 422
    assert "product_sku" in response.get_json()["error"]["fields"]


def test_product_page_with_its_product_answers(http):
    body = {"profile": {"age": 40}, "placement": "product_page", "product_sku": "XF-D3-10-TAB"}
    assert http.post("/v1/recommendations", json=body).status_code == 200


def test_an_alternative_without_a_nutrient_says_so(http):
    """Review s6 T11: an alternative of the D3 + K2 flagship without K2 read "0 µg of vitamin
    K2 a day instead of 200 µg"; it now says "without vitamin K2"."""
    request = {
        "profile": {"age": 30, "sex": "female", "life_stage": "pregnant"},
        "placement": "product_page",
        "product_sku": "XF-D3K2-TAB",
        "locale": "en",
        "limit": 10,
    }
    body = http.post("/v1/recommendations", json=request).get_json()
    texts = [r["text"] for item in body["items"] for r in item["reasons"]]
    assert texts
    assert not [t for t in texts if t.startswith("0 ")], texts
    dropped = [i for i in body["items"] if not i["nutrients_per_day"].get("vitamin_k2_ug")]
    for item in dropped:
        assert "without vitamin K2" in [r["text"] for r in item["reasons"]], item["reasons"]
