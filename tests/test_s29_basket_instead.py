"""Session 29: what suits in place of a product in the basket only, not taken, that does not
suit the person (instead.py). A man of 40 whose doctor advised 50 µg of vitamin D had a
pregnancy multivitamin (10 µg vitamin D) in his basket: the answer said it did not suit him,
counted its 10 µg all the same ("with the 10 µg in what you take now or have in your basket,
you reach at most 35 µg a day with our products ... Do not make up the rest"), offered 25 µg
beside it, and named nothing in its place."""

from __future__ import annotations

import pytest

from .conftest import notice_texts, recommend
from .oracle import PRODUCTS, per_day

MAN = {"age": 40, "sex": "male", "country": "NL", "higher_dose_advised": {"vitamin_d_ug": 50}}
BASKET_ONLY = {
    "en": "in your basket, we suggest",
    "nl": "in je winkelmandje raden we",
    "de": "in Ihrem Warenkorb empfehlen wir",
}


@pytest.mark.parametrize("placement", [None, "cart", "checkout", "home"])
@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_a_product_in_the_basket_that_does_not_suit_has_what_suits_named(client, locale, placement):
    body = {"profile": MAN, "basket": [{"sku": "XF-MULTI-PREGNANCY"}], "locale": locale}
    if placement:
        body["placement"] = placement
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    notices = {n["code"]: n["text"] for n in answer["notices"]}
    assert "product_not_suited:XF-MULTI-PREGNANCY" in notices, notices
    text = notices["instead:XF-MULTI-PREGNANCY"]
    assert BASKET_ONLY[locale] in text, text
    named = [
        s for s, p in PRODUCTS.items() if p["name"][locale] in text and s != "XF-MULTI-PREGNANCY"
    ]
    assert named, text
    # what is named meets the doctor's dose on the day without the multivitamin, so the
    # reach notice that counted its 10 µg is gone
    assert sum(per_day(PRODUCTS[s]).get("vitamin_d_ug", 0) for s in named) >= 50, named
    assert "doctor_dose_short:vitamin_d_ug" not in notices, notices
    # no item gives vitamin D beside what is named (it was judged without the multivitamin)
    for item in answer["items"]:
        assert item["nutrients_per_day"].get("vitamin_d_ug", 0) == 0, item


def test_a_product_taken_and_in_the_basket_still_reads_take_it_out_as_well(client):
    """Taken and in the basket: the notice for what is taken, then "as well" (session 28)."""
    profile = {**MAN, "current_supplements": [{"sku": "XF-MULTI-PREGNANCY"}]}
    body = {"profile": profile, "basket": [{"sku": "XF-MULTI-PREGNANCY"}], "locale": "en"}
    notices = {
        n["code"]: n["text"]
        for n in client.post("/v1/recommendations", json=body).get_json()["notices"]
    }
    text = notices["instead:XF-MULTI-PREGNANCY"]
    assert BASKET_ONLY["en"] not in text and "out of your basket as well" in text, text


VEGAN_ON_TWO = {
    "age": 40,
    "sex": "female",
    "diet": "vegan",
    "sun_exposure": "low",
    "current_supplements": [{"sku": "XF-D3-10-TAB"}, {"sku": "XF-D3-20-TAB"}],
}
GROUP = {
    "en": "do not take any of them together",
    "nl": "neem ze niet samen",
    "de": "nehmen Sie diese Produkte nicht zusammen ein",
}


@pytest.mark.parametrize("placement", [None, "home", "cart"])
@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_one_product_in_place_of_two_of_one_role(client, locale, placement):
    """Session 29: a vegan on a 10 µg and a 20 µg D3 that are not vegan (30 µg, 25 at most)
    had nothing named: in place of either alone nothing fit beside the other. One notice now
    names one vegan D3 in place of both, judged on the day without both."""
    body = {"profile": VEGAN_ON_TWO, "locale": locale}
    if placement:
        body["placement"] = placement
    answer = client.post("/v1/recommendations", json=body).get_json()
    instead = [n for n in answer["notices"] if n["code"].startswith("instead:")]
    assert len(instead) == 1, answer["notices"]
    text = instead[0]["text"]
    for sku in ("XF-D3-10-TAB", "XF-D3-20-TAB"):
        assert PRODUCTS[sku]["name"][locale] in text, text
    assert GROUP[locale] in text, text
    named = [
        s
        for s, p in PRODUCTS.items()
        if p["name"][locale] in text and s not in ("XF-D3-10-TAB", "XF-D3-20-TAB")
    ]
    assert len(named) == 1 and PRODUCTS[named[0]]["vegan"], named
    assert 10 <= per_day(PRODUCTS[named[0]])["vitamin_d_ug"] <= 25, named
    codes = [n["code"] for n in answer["notices"]]
    # after both notices saying why they do not suit
    assert codes.index(instead[0]["code"]) > codes.index("product_not_suited:XF-D3-20-TAB")


DOCTOR_SHORT = {
    "en": ("you take 10 µg of vitamin D a day from supplements", "make up the rest"),
    "nl": ("neem je 10 µg vitamine D per dag uit supplementen", "de rest aanvult"),
    "de": ("nehmen Sie 10 µg Vitamin D pro Tag aus Nahrungsergänzungsmitteln ein", "den Rest"),
}


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_review_s29b_f1_a_doctors_dose_left_short_by_what_is_named_is_said(client, locale):
    """Review s29b F1: an 87-year-old vegan with a doctor's 20 µg vitamin D and a calcium +
    D3 + K2 (20 µg) that is not vegan in her basket was told to take a vegan calcium + D3
    (10 µg) in its place, and nothing said her doctor's 20 µg was then half met."""
    profile = {"age": 87, "sex": "female", "diet": "vegan", "country": "NL"}
    profile["higher_dose_advised"] = {"vitamin_d_ug": 20}
    body = {"profile": profile, "basket": [{"sku": "XF-CAD3K2-TAB"}]}
    text = notice_texts(recommend(client, body, locale))["instead:XF-CAD3K2-TAB"]
    for part in DOCTOR_SHORT[locale]:
        assert part in text, text


def test_review_s29b_f1_a_doctors_dose_nothing_named_gives_is_said(client):
    """The same with a doctor's 45 µg vitamin K2 and two D3 + K2 products that are not vegan
    in the basket: a plain vegan D3 is named in their place, and it gave no K2 ("gives no
    vitamin K2; your doctor advised 45 µg"). Since review s37c F1 each product of a group is
    served for what those named before leave open: the doctor's 45 µg K2 is named beside it,
    and no sentence says K2 is left out."""
    profile = {"age": 30, "sex": "female", "diet": "vegan", "country": "DE"}
    profile["higher_dose_advised"] = {"vitamin_k2_ug": 45}
    basket = [{"sku": "XF-D3K2-DROPS"}, {"sku": "VL-D3K2-20-50-TAB"}]
    answer = recommend(client, {"profile": profile, "basket": basket})
    text = notice_texts(answer)["instead:XF-D3K2-DROPS"]
    named = text.split(", we suggest ", 1)[1].split(" for your profile")[0]
    assert "Vitamin K2 MK-7 45 µg" in named and "Vegan Vitamin D3" in named, text
    assert "gives no vitamin K2" not in text, text
