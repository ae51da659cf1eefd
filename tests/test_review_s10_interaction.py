"""Review 10 M1: a product excluded for the person by an interaction or contraindication.

M1: a 72-year-old on a vitamin K antagonist with the D3 + K2 drops in her basket (or the 50+
multivitamin with K1, or as a stored customer who bought the drops) heard "with your basket you
get enough vitamin D" next to the warning about its vitamin K, and got no item: the only vitamin
D she has comes from a product she is told not to take. Now such a line is never "enough" of
what else it gives: it gets `product_not_suited:<SKU>` naming the product and the conflicting
nutrient, and says that a product with the other nutrients without the conflicting one can
suit her; the interaction's own warning (intake_warning, the trombosedienst in NL) stays.

Expectations come from catalog/products.yaml and rules/reference/interactions.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import memory_app, store_customer
from .oracle import PRODUCTS

ROOT = Path(__file__).resolve().parent.parent
INTERACTIONS = yaml.safe_load((ROOT / "rules/reference/interactions.yaml").read_text())[
    "interactions"
]
VKA = {"medications": ["vitamin_k_antagonist"]}
ENOUGH = {"nl": "genoeg", "de": "genug", "en": "enough"}


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


def _per_day(sku: str) -> dict[str, float]:
    product = PRODUCTS[sku]
    servings = product.get("servings_per_day") or 1
    return {k: v * servings for k, v in product["nutrients_per_serving"].items() if v > 0}


def _conflicts(profile: dict, sku: str) -> set[str]:
    """The oracle: nutrients of the product an interaction triggered by the profile excludes."""
    out: set[str] = set()
    gives = _per_day(sku)
    for item in INTERACTIONS:
        trigger = item.get("trigger") or {}
        hit = set(trigger.get("medications", [])) & set(profile.get("medications", []))
        hit |= set(trigger.get("conditions", [])) & set(profile.get("conditions", []))
        if hit:
            out |= {n for n, t in (item.get("exclude") or {}).items() if gives.get(n, 0) > t}
    return out


def _check(notices: dict[str, str], profile: dict, sku: str, locale: str) -> None:
    conflicts = _conflicts(profile, sku)
    assert conflicts, "the case needs a product the interaction excludes"
    name = PRODUCTS[sku]["name"][locale]
    text = notices.get(f"product_not_suited:{sku}", "")
    assert name in text, notices
    # what else the product gives is never "enough" while it is not to be taken
    for code, value in notices.items():
        if code.startswith("already_covered:"):
            assert code.split(":", 1)[1] not in _per_day(sku), (code, value)
        assert ENOUGH[locale] not in value.lower() or code.startswith("fills_gap"), (code, value)
    # the interaction's own warning stays (whom to ask)
    assert any(f"intake_warning:{n}" in notices for n in conflicts), notices


CART = [
    ({"age": 72, "country": "NL", **VKA}, "XF-D3K2-DROPS", "cart"),
    ({"age": 72, "country": "NL", **VKA}, "XF-D3K2-DROPS", "checkout"),
    ({"age": 72, "country": "NL", **VKA}, "XF-D3K2-DROPS", None),
    ({"age": 72, "country": "NL", **VKA}, "XF-MULTI-50PLUS", "checkout"),
    ({"age": 72, "country": "DE", **VKA}, "XF-D3K2-DROPS", "cart"),
]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
@pytest.mark.parametrize("case", range(len(CART)))
def test_an_excluded_basket_line_is_never_enough(client, case, locale):
    profile, sku, placement = CART[case]
    body = {
        "locale": locale,
        "limit": 5,
        "profile": profile,
        "basket": [{"sku": sku}],
        **({"placement": placement} if placement else {}),
    }
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200
    notices = {n["code"]: n["text"] for n in response.get_json()["notices"]}
    _check(notices, profile, sku, locale)
    if profile["country"] == "NL" and locale == "nl" and "vitamin_k2_ug" in _per_day(sku):
        assert "trombosedienst" in notices["intake_warning:vitamin_k2_ug"]


@pytest.mark.parametrize("placement", ["account", "email"])
def test_a_stored_customer_who_bought_it_hears_no_enough(client, placement):
    profile = {"age": 70, "country": "DE", **VKA}
    customer = f"s10-vka-{placement}"
    store_customer(client, customer, profile, {"XF-D3K2-DROPS": "2026-09-01"})
    response = client.get(
        f"/v1/customers/{customer}/recommendations?placement={placement}&locale=de&limit=5"
    )
    assert response.status_code == 200
    notices = {n["code"]: n["text"] for n in response.get_json()["notices"]}
    _check(notices, profile, "XF-D3K2-DROPS", "de")


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_taken_excluded_line_is_never_enough(client, locale):
    """The plain list for the drops among what she takes (no basket)."""
    profile = {"age": 72, "country": "NL", **VKA}
    body = {
        "locale": locale,
        "limit": 5,
        "profile": {**profile, "current_supplements": [{"sku": "XF-D3K2-DROPS"}]},
    }
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200
    notices = {n["code"]: n["text"] for n in response.get_json()["notices"]}
    _check(notices, profile, "XF-D3K2-DROPS", locale)


def test_the_notice_names_the_conflicting_nutrient_and_what_can_suit(client):
    body = {
        "locale": "nl",
        "profile": {"age": 72, "country": "NL", **VKA},
        "basket": [{"sku": "XF-D3K2-DROPS"}],
        "placement": "cart",
    }
    notices = {
        n["code"]: n["text"]
        for n in client.post("/v1/recommendations", json=body).get_json()["notices"]
    }
    text = notices["product_not_suited:XF-D3K2-DROPS"]
    assert "vitamine K2" in text and "vitamine D" in text, text


def test_without_the_medicine_the_drops_are_still_enough(client):
    body = {
        "locale": "en",
        "profile": {"age": 72, "country": "NL"},
        "basket": [{"sku": "XF-D3K2-DROPS"}],
        "placement": "cart",
    }
    codes = {n["code"] for n in client.post("/v1/recommendations", json=body).get_json()["notices"]}
    assert "already_covered:vitamin_d_ug" in codes
    assert not any(c.startswith("product_not_suited:") for c in codes)


PAGE = {
    "limit": 5,
    "profile": {"age": 40, "country": "NL", "sex": "female", **VKA},
    "placement": "product_page",
    "product_sku": "XF-D3K2-TAB",
}
WOULD = {"nl": "zouden voorstellen", "de": "vorschlagen würden", "en": "would suggest"}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_product_page_quotes_no_dose_we_would_suggest_without_advice(client, locale):
    """M2: next to `no_advice` the page reason claimed "the 37.5 µg a day we would suggest for
    your profile": the band (the most a product may give a day) is said as what we offer at
    most, which holds with an advice and without one."""
    body = {**PAGE, "locale": locale}
    notices = {
        n["code"]: n["text"]
        for n in client.post("/v1/recommendations", json=body).get_json()["notices"]
    }
    assert "no_advice" in notices, notices
    text = notices["page_product_not_suited"]
    assert WOULD[locale] not in text, text
    assert "37,5" in text or "37.5" in text, text  # the band is still named


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_product_page_names_the_conflicting_vitamin_k(client, locale):
    """M2: the page reason named only "your medicine or condition" and vitamin D: it names the
    vitamin K2 that conflicts with the vitamin K antagonist."""
    body = {**PAGE, "locale": locale}
    notices = {
        n["code"]: n["text"]
        for n in client.post("/v1/recommendations", json=body).get_json()["notices"]
    }
    text = notices["page_product_not_suited"]
    k2 = {"nl": "vitamine K2", "de": "Vitamin K2", "en": "vitamin K2"}[locale]
    assert k2 in text, text


def test_the_intake_check_names_the_conflicting_vitamin_k(client):
    body = {
        "locale": "nl",
        "profile": {"age": 72, "country": "NL", **VKA},
        "basket": [{"sku": "XF-D3K2-DROPS"}],
    }
    suggestion = client.post("/v1/intake/check", json=body).get_json()["suggestion"]
    assert suggestion["code"] == "remove"
    assert "vitamine K2" in suggestion["text"].split(".")[0], suggestion["text"]
