"""Review s9 A1: a line of the basket or of what is taken whose product does not suit the person
(allergy, diet, age: guarantees 3-5) was counted as "enough" with no word of why.

A vegan woman with a fish allergy with the fish-oil D3 + K2 softgel in her basket heard "with
your basket you get enough vitamin D" and nothing about fish; a child of 3 with a fish allergy
taking fish-oil chews heard "you already take enough vitamin D"; the intake check warned on the
same input. Now such a line gets `product_not_suited:<SKU>` naming the product and why, and
none of what it gives is called enough. Expectations come from catalog/products.yaml.
"""

from __future__ import annotations

import pytest

from .conftest import memory_app
from .oracle import PRODUCTS

CASES = [
    # (profile, basket, current SKUs, the unsuited SKU, why: the catalog field that fails)
    (
        {"age": 40, "sex": "female", "country": "NL", "allergies": ["fish"], "diet": "vegan"},
        ["NV-D3K2-FISH-SG"],
        [],
        "NV-D3K2-FISH-SG",
    ),
    (
        {"age": 3, "country": "NL", "allergies": ["fish"]},
        [],
        ["KV-OMEGA3-KIDS-CHEW", "XF-D3-KIDS-DROPS"],
        "KV-OMEGA3-KIDS-CHEW",
    ),
    ({"age": 13, "country": "DE"}, [], ["XF-D3-KIDS-DROPS"], "XF-D3-KIDS-DROPS"),
    ({"age": 8, "country": "NL"}, [], ["XF-D3-25-SG"], "XF-D3-25-SG"),
]
ENOUGH = {"nl": "genoeg", "de": "genug", "en": "enough"}


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


def _product(sku: str) -> dict:
    return PRODUCTS[sku]


def _fails(profile: dict, sku: str) -> bool:
    """The oracle: the catalog product fails the person's allergy, diet or age."""
    product = _product(sku)
    if set(product.get("allergens") or []) & set(profile.get("allergies", [])):
        return True
    diet = profile.get("diet", "omnivore")
    if diet == "vegan" and not product.get("vegan"):
        return True
    if diet == "vegetarian" and not (product.get("vegetarian") or product.get("vegan")):
        return True
    age = profile["age"]
    return age < (product.get("min_age") or 0) or age > (product.get("max_age") or 200)


@pytest.mark.parametrize("placement", [None, "cart", "checkout", "home"])
@pytest.mark.parametrize("locale", ["nl", "de", "en"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_an_unsuited_line_is_named_and_never_enough(client, case, locale, placement):
    profile, basket, current, unsuited = CASES[case]
    assert _fails(profile, unsuited)
    body = {
        "locale": locale,
        "limit": 5,
        "profile": {**profile, "current_supplements": [{"sku": s} for s in current]},
        "basket": [{"sku": s} for s in basket],
        **({"placement": placement} if placement else {}),
    }
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200
    notices = {n["code"]: n["text"] for n in response.get_json()["notices"]}
    name = _product(unsuited)["name"][locale]
    assert name in notices.get(f"product_not_suited:{unsuited}", ""), notices
    gives = {k for k, v in _product(unsuited)["nutrients_per_serving"].items() if v > 0}
    for code, text in notices.items():
        if code.startswith("already_covered:"):
            assert code.split(":", 1)[1] not in gives, text


def test_a_suited_line_is_still_enough(client):
    """The same drops for a child of 3 who has no allergy: enough, no warning."""
    body = {
        "locale": "en",
        "profile": {
            "age": 3,
            "country": "NL",
            "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}],
        },
    }
    notices = {
        n["code"] for n in client.post("/v1/recommendations", json=body).get_json()["notices"]
    }
    assert "already_covered:vitamin_d_ug" in notices
    assert not any(c.startswith("product_not_suited:") for c in notices)
