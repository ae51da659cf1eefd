"""Session 12: a product that does not suit, named on a placement that shows neither alternatives
nor what goes with it.

A man of 45 on a vitamin K antagonist, `placement: home` with `product_sku` of the D3 + K2
tablet: the answer said "The product on this page does not suit your profile (...); we show only
alternatives that do", above the home list, which holds no alternatives (here none at all). The
notice now says only that the product does not suit, and why, where the placement's chain
(rules/placements.yaml) has neither alternatives nor complements.
"""

from __future__ import annotations

import pytest
import yaml

from .oracle import REFERENCE_DIR

PLACEMENTS = yaml.safe_load((REFERENCE_DIR.parent / "placements.yaml").read_text("utf-8"))
CHAINS = {name: p["strategies"] for name, p in PLACEMENTS["placements"].items()}
PROFILE = {"age": 45, "sex": "male", "country": "NL", "medications": ["vitamin_k_antagonist"]}
ALTERNATIVES = {
    "en": "only alternatives",
    "nl": "alleen alternatieven",
    "de": "nur Alternativen",
}
NOTHING_WITH = {"en": "nothing to go with it", "nl": "niets bij voor", "de": "nichts dazu vor"}


def _notice(client, placement: str, locale: str) -> str:
    body = {
        "profile": PROFILE,
        "placement": placement,
        "product_sku": "XF-D3K2-TAB",
        "locale": locale,
        "limit": 5,
    }
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.get_json()
    (notice,) = [
        n for n in response.get_json()["notices"] if n["code"] == "page_product_not_suited"
    ]
    return notice["text"]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
@pytest.mark.parametrize("placement", sorted(CHAINS))
def test_the_page_products_notice_says_what_the_placement_does(client, placement, locale):
    chain = CHAINS[placement]
    text = _notice(client, placement, locale)
    assert "K2" in text, text  # why, in every case
    assert (ALTERNATIVES[locale] in text) == (
        "alternatives" in chain and "complements" not in chain
    ), (chain, text)
    assert (NOTHING_WITH[locale] in text) == ("complements" in chain), (chain, text)


def test_home_shows_no_alternatives_and_does_not_say_it_does(client):
    assert CHAINS["home"] == ["profile"]
    text = _notice(client, "home", "en")
    assert "alternative" not in text, text


DOCTOR_50 = {"age": 60, "sex": "male", "country": "DE", "higher_dose_advised": {"vitamin_d_ug": 50}}


@pytest.mark.parametrize(
    ("profile", "where"),
    [
        (DOCTOR_50, "current_supplements"),
        (DOCTOR_50, "basket"),
        ({"age": 72, "sex": "female", "country": "NL"}, "basket"),
        ({"age": 72, "sex": "female", "country": "NL"}, "current_supplements"),
    ],
)
def test_review_12_f2_the_next_pack_of_what_is_taken_suits_on_its_own_page(client, profile, where):
    """The doctor's 50 µg capsule he takes was "100 µg a day together with what you take" on its
    own page, and putting it in the cart made its page call it unsuitable: the next pack of a
    product taken or in the basket is no second capsule a day (README)."""
    page = "XF-D3-50-CAP"
    body: dict = {"placement": "product_page", "product_sku": page, "locale": "en", "limit": 4}
    line = {"sku": page}
    if where == "basket":
        body["basket"] = [line]
        body["profile"] = profile
    else:
        body["profile"] = {**profile, "current_supplements": [line]}
    answer = client.post("/v1/recommendations", json=body).get_json()
    codes = [n["code"] for n in answer["notices"]]
    assert "page_product_not_suited" not in codes, answer["notices"]
    alternatives = client.post(
        f"/v1/products/{page}/alternatives",
        json={"profile": body["profile"], "basket": body.get("basket", []), "locale": "en"},
    ).get_json()
    assert "page_product_not_suited" not in [n["code"] for n in alternatives["notices"]]


def test_review_12_f2_a_taken_page_product_above_the_band_is_named_with_the_days_amount(client):
    profile = {
        "age": 72,
        "sex": "female",
        "country": "NL",
        "current_supplements": [{"sku": "XF-D3-75-TAB"}],
    }
    body = {"profile": profile, "placement": "product_page", "product_sku": "XF-D3-75-TAB"}
    answer = client.post("/v1/recommendations", json={**body, "locale": "en"}).get_json()
    (text,) = [n["text"] for n in answer["notices"] if n["code"] == "page_product_not_suited"]
    assert "75 µg a day" in text and "150 µg" not in text, text
    assert "upper limit" not in text, text  # 75 + food is within it; the band is the reason
