"""Session 18: findings of the session's reviews and the known gaps left open in session 17."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("placement", ["email", "account", "home"])
def test_a_product_asked_about_off_a_product_page_is_named_not_on_this_page(client, placement):
    """A refill e-mail (or the home or account list) asked with a `product_sku` said "the
    product on this page does not suit your profile": there is no page. It names the product."""
    body = {
        "profile": {"age": 40},
        "placement": placement,
        "product_sku": "XF-D3K2-TAB",
        "locale": "en",
    }
    answer = client.post("/v1/recommendations", json=body).get_json()
    (notice,) = [n for n in answer["notices"] if n["code"] == "page_product_not_suited"]
    assert "this page" not in notice["text"]
    assert notice["text"].startswith("XTRA FUEL")
    assert "37.5 µg" in notice["text"]
