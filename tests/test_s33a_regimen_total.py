"""Review s33a F1: the DGE's 20 µg vitamin D is for food and supplements together
(targets.yaml authority `dge_total`), not a supplement dose. Regimens named it "the advised
20 µg": a child of 8 in DE with 10 µg drops read "You reach 10 of the advised 20 µg ... no
safe combination gets closer" (an invitation to a second drop), a man of 40 "mindestens die
empfohlenen 20 µg". The lists had said "from food and supplements together" since review s8
R6; regimens now say it too (regimen_texts.yaml `advised_dge_total`)."""

from __future__ import annotations

import pytest

WORDS = {
    "en": ("the food-and-supplements total of 20", "advised"),
    "nl": ("voor voeding en supplementen samen genoemde 20", "geadviseerde"),
    "de": ("für Nahrung und Präparate zusammen genannten 20", "empfohlenen"),
}


def _why(client, profile: dict, locale: str) -> dict:
    body = {"profile": profile, "max_products": 3, "locale": locale}
    response = client.post("/v1/regimens", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["targets"]["vitamin_d_ug"]


@pytest.mark.parametrize("locale", sorted(WORDS))
@pytest.mark.parametrize(
    "profile", [{"age": 8, "country": "DE"}, {"age": 40, "sex": "male", "country": "DE"}]
)
def test_a_regimen_names_the_dge_total_as_food_and_supplements(client, profile, locale):
    target = _why(client, profile, locale)
    assert target["source"] == "de-no-skin-synthesis-vitamin-d"
    total, advised = WORDS[locale]
    assert total in target["why"], target
    assert advised not in target["why"], target


def test_an_advice_of_another_authority_is_still_the_advised_one(client):
    # the Gezondheidsraad's 20 µg from 70 is a supplement advice: "the advised 20 µg"
    target = _why(client, {"age": 75, "sex": "female", "country": "NL"}, "en")
    assert "the advised 20" in target["why"], target


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "from food and supplements together"),
        ("de", "aus Nahrung und Präparaten zusammen"),
        ("nl", "uit voeding en supplementen samen"),
    ],
)
def test_the_cart_names_the_dge_total_as_food_and_supplements(client, locale, words):
    """Review s33c 3: the cart said "10 µg of vitamin D a day, less than the advised 20 µg ...
    ask your pharmacist whether to add one" of the DGE's total for a man of 40 in DE."""
    body = {
        "profile": {"age": 40, "sex": "male", "country": "DE"},
        "basket": [{"sku": "XF-D3-10-TAB"}],
        "placement": "cart",
        "locale": locale,
    }
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.get_json()
    notices = {n["code"]: n["text"] for n in response.get_json()["notices"]}
    text = notices["basket_short:vitamin_d_ug"]
    assert words in text, text
    assert WORDS[locale][1] not in text, text


NOTE = {
    "en": "Food gives part of it: about 2 to 4 µg of vitamin D a day.",
    "de": "Die Nahrung liefert einen Teil davon: etwa 2 bis 4 µg Vitamin D pro Tag.",
    "nl": "Voeding geeft er een deel van: ongeveer 2 tot 4 µg vitamine D per dag.",
}


@pytest.mark.parametrize("locale", sorted(NOTE))
def test_a_child_short_of_the_dge_total_reads_that_food_gives_part(client, locale):
    """Review s33c 3: "You reach 10 of the ... 20 µg: no safe combination ... gets closer" and
    the notice regimen_partial ("Not every advised amount can be reached safely") beside a
    child's 10 µg drops read as "give a second drop"; the target now says food gives part of
    the total, and the notice is not given for it."""
    body = {"profile": {"age": 8, "country": "DE"}, "max_products": 3, "locale": locale}
    regimen = client.post("/v1/regimens", json=body).get_json()
    target = regimen["targets"]["vitamin_d_ug"]
    assert target["status"] == "missed" and target["why"].endswith(NOTE[locale]), target
    assert "regimen_partial" not in {n["code"] for n in regimen["notices"]}, regimen["notices"]
