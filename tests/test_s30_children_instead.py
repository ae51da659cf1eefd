"""Review s30a F3: a child's product that does not suit, of two nutrients with none of its own
role that suits a child (a fish-oil omega-3 + D chew, a calcium + D3 tablet not meant for the
age), was counted in the reasons of vitamin D drops offered beside it ("with the 5 µg from your
other supplements that is 15 µg"), against the page's own product_not_suited and the one
vitamin D product for a child. Such a product is now replaced by one of another role for an
advice gap of one of its nutrients: the drops are named in its place, and nothing with vitamin
D is offered beside it."""

from __future__ import annotations

import pytest

from .conftest import recommend

LOCALES = ["nl", "de", "en"]
DROPS = "XF-D3-KIDS-DROPS"


def _named(answer: dict, sku: str) -> str:
    return {n["code"]: n["text"] for n in answer["notices"]}[f"instead:{sku}"]


def _no_vitamin_d_items(answer: dict) -> None:
    for item in answer["items"]:
        assert not item["nutrients_per_day"].get("vitamin_d_ug"), item


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("allergies", [["fish"], []])
def test_the_drops_are_named_in_place_of_a_childs_omega3_chew(client, locale, allergies):
    profile = {"age": 3, "country": "DE", "allergies": allergies}
    profile["current_supplements"] = [{"sku": "KV-OMEGA3-KIDS-CHEW"}]
    answer = recommend(client, {"profile": profile, "limit": 5}, locale)
    drops = client.get(f"/v1/products/{DROPS}?locale={locale}").get_json()
    assert drops["name"] in _named(answer, "KV-OMEGA3-KIDS-CHEW")
    _no_vitamin_d_items(answer)


@pytest.mark.parametrize("country", ["DE", "BE"])
def test_a_calcium_d3_in_a_toddlers_basket_gets_the_drops_in_its_place(client, country):
    profile = {"age": 3, "sex": "female", "country": country}
    body = {"profile": profile, "basket": [{"sku": "GR-CAD3-VEGAN-TAB"}]}
    answer = recommend(client, body, "en")
    assert "Vitamin D3 Kids Drops" in _named(answer, "GR-CAD3-VEGAN-TAB")
    _no_vitamin_d_items(answer)
    for item in answer["items"]:
        for reason in item["reasons"]:
            assert "other supplements" not in reason["text"], reason
