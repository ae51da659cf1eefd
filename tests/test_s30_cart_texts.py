"""Session 29 left open: a cart, checkout or product page whose list is empty beside what the
basket gives said "Beside what your basket and the supplements you already take give ..." to
someone who takes nothing. Where nothing is taken the texts name the basket alone (and this
product, where one is asked about)."""

from __future__ import annotations

import pytest
import yaml

from .conftest import RULES

TEXTS = yaml.safe_load((RULES / "placements.yaml").read_text(encoding="utf-8"))["texts"]
TODDLER = {"age": 2, "country": "NL"}
DROPS = [{"sku": "XF-D3-KIDS-DROPS"}]


def _no_items(client, body: dict) -> str:
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.data
    answer = response.get_json()
    assert answer["items"] == []
    return {n["code"]: n["text"] for n in answer["notices"]}["no_items"]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
@pytest.mark.parametrize("placement", ["cart", "checkout"])
def test_a_basket_alone_is_named_alone(client, locale, placement):
    body = {"profile": TODDLER, "basket": DROPS, "placement": placement, "locale": locale}
    assert _no_items(client, body) == TEXTS["notice_no_items_basket_only"][locale]
    body["product_sku"] = "XF-D3-KIDS-DROPS"
    assert _no_items(client, body) == TEXTS["notice_no_items_basket_page_only"][locale]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_alternatives_of_a_product_in_the_basket_name_the_basket_alone(client, locale):
    body = {"profile": {"age": 40, "sex": "male", "country": "NL"}, "locale": locale}
    body["basket"] = [{"sku": "XF-D3-20-TAB"}]
    response = client.post("/v1/products/XF-D3-20-TAB/alternatives", json=body)
    notices = {n["code"]: n["text"] for n in response.get_json()["notices"]}
    assert notices["no_items"] == TEXTS["notice_no_alternatives_basket_only"][locale]
