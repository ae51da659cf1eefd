"""Session 12: an item's reason says the day's total where other supplements give the nutrient.

A woman of 50 in NL who already takes 9.5 µg of vitamin D (the advice: 10 µg) was offered a
10 µg tablet with the reason "Gives 10 µg of vitamin D a day; the Dutch Health Council advises
10 µg of vitamin D a day for your profile": true of the tablet alone, misleading of her day
(19.5 µg). A doctor's 180 mg magnesium beside 150 mg taken got a multivitamin with 100 mg and
"your doctor advised 180 mg", for 250 mg in all. The reason now names what the other supplements
(taken and in the basket) give and the total with the product, and says "more than the advised
amount" where that total is. Where no food allowance counts (the magnesium limit is for
supplements only), a doctor's-dose notice no longer says "with up to 0 mg from ordinary food
... for total intake". Expected numbers come from the catalog (tests/oracle.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .oracle import PRODUCTS, per_day

OTHER = {
    "en": "from your other supplements",
    "nl": "uit je andere supplementen",
    "de": "aus Ihren anderen Nahrungsergänzungsmitteln",
}
MORE = {
    "en": "more than the advised amount",
    "nl": "meer dan de geadviseerde hoeveelheid",
    "de": "mehr als die empfohlene Menge",
}


def _answer(client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _number(value: float, locale: str) -> str:
    text = f"{value:g}"
    return text if locale == "en" else text.replace(".", ",")


def _gap_reasons(answer: dict[str, Any], nutrient: str) -> list[tuple[str, str]]:
    return [
        (item["sku"], reason["text"])
        for item in answer["items"]
        for reason in item["reasons"]
        if reason["code"] == f"fills_gap:{nutrient}"
    ]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_reason_beside_vitamin_d_taken_names_the_days_total(client, locale):
    taken = 6.0  # 9.5 of 10 µg is enough since session 13 (lists.covered.within)
    profile = {
        "age": 50,
        "sex": "female",
        "country": "NL",
        "current_supplements": [{"label": "D3", "nutrients": {"vitamin_d_ug": taken}}],
    }
    answer = _answer(client, {"profile": profile, "locale": locale, "limit": 10})
    reasons = _gap_reasons(answer, "vitamin_d_ug")
    assert reasons, answer
    for sku, text in reasons:
        total = taken + per_day(PRODUCTS[sku])["vitamin_d_ug"]
        assert OTHER[locale] in text, text
        assert f"{_number(taken, locale)} µg" in text, text
        assert f"{_number(total, locale)} µg" in text, text
        assert MORE[locale] in text, text  # every product makes the day more than 10 µg


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_basket_line_counts_as_another_supplement_in_the_reason(client, locale):
    basket_sku = "XF-MG-CIT-150-TAB"
    mg = per_day(PRODUCTS[basket_sku])["magnesium_mg"]
    profile = {
        "age": 50,
        "sex": "female",
        "country": "NL",
        "higher_dose_advised": {"magnesium_mg": 240},
    }
    body = {"profile": profile, "locale": locale, "limit": 20, "basket": [{"sku": basket_sku}]}
    answer = _answer(client, body)
    reasons = _gap_reasons(answer, "magnesium_mg")
    assert reasons, answer
    for sku, text in reasons:
        assert f"{_number(mg, locale)} mg {OTHER[locale]}" in text or (
            OTHER[locale] in text and f"{_number(mg, locale)} mg" in text
        ), text
        total = mg + per_day(PRODUCTS[sku])["magnesium_mg"]
        assert f"{_number(total, locale)} mg" in text, text
        assert (MORE[locale] in text) == (total > 240), text


def test_a_doctors_magnesium_beside_what_is_taken_is_no_invitation_to_overshoot(client):
    profile = {
        "age": 50,
        "sex": "female",
        "country": "NL",
        "higher_dose_advised": {"magnesium_mg": 180},
        "current_supplements": [{"label": "Magnesium", "nutrients": {"magnesium_mg": 150}}],
    }
    answer = _answer(client, {"profile": profile, "locale": "en", "limit": 10})
    reasons = _gap_reasons(answer, "magnesium_mg")
    assert reasons, answer
    for sku, text in reasons:
        total = 150 + per_day(PRODUCTS[sku])["magnesium_mg"]
        assert f"that is {total:g} mg" in text, text
        assert ("more than the advised amount" in text) == (total > 180), text


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_without_other_supplements_the_reason_is_the_products_alone(client, locale):
    profile = {"age": 50, "sex": "female", "country": "NL"}
    answer = _answer(client, {"profile": profile, "locale": locale, "limit": 10})
    reasons = _gap_reasons(answer, "vitamin_d_ug")
    assert reasons
    for _, text in reasons:
        assert OTHER[locale] not in text, text


def test_a_doctors_dose_reason_names_the_total_with_what_is_taken(client):
    """A product above the ordinary band, justified by the doctor's 60 µg, beside 10 µg taken."""
    profile = {
        "age": 50,
        "sex": "female",
        "country": "NL",
        "higher_dose_advised": {"vitamin_d_ug": 60},
        "current_supplements": [{"label": "D3", "nutrients": {"vitamin_d_ug": 10}}],
    }
    answer = _answer(client, {"profile": profile, "locale": "en", "limit": 20})
    doctor = [
        (item["sku"], reason["text"])
        for item in answer["items"]
        for reason in item["reasons"]
        # the gap reason quotes the doctor's dose, and no second reason repeats its numbers
        # (session 13, review 12 F19)
        if reason["code"] in ("dose_doctor:vitamin_d_ug", "fills_gap:vitamin_d_ug")
    ]
    assert doctor, answer
    for sku, text in doctor:
        assert "doctor advised 60 µg" in text, text
        total = 10 + per_day(PRODUCTS[sku])["vitamin_d_ug"]
        assert "with the 10 µg from your other supplements" in text, text
        assert f"{total:g} µg" in text, text


@pytest.mark.parametrize("taken", [200, 210])  # 220 of 240 is enough (session 13)
@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_limit_for_supplements_only_is_not_called_one_for_total_intake(client, taken, locale):
    """The magnesium limit counts no food: "up to 0 mg from ordinary food ... for total intake"
    was said of it."""
    profile = {
        "age": 50,
        "sex": "female",
        "country": "NL",
        "higher_dose_advised": {"magnesium_mg": 240},
        "current_supplements": [{"label": "Magnesium", "nutrients": {"magnesium_mg": taken}}],
    }
    answer = _answer(client, {"profile": profile, "locale": locale, "limit": 10})
    (notice,) = [n for n in answer["notices"] if n["code"] == "doctor_dose_short:magnesium_mg"]
    text = notice["text"]
    assert not re.search(r"\b0 mg", text), text
    for phrase in (
        "total intake",
        "totale inname",
        "Gesamtzufuhr",
        "ordinary food",
        "gewone voeding",
    ):
        assert phrase not in text, text
    assert f"{250 - taken:g} mg" in text, text


@pytest.mark.parametrize("where", ["current_supplements", "basket"])
def test_review_12_f1_an_alternative_is_instead_of_the_page_product(client, where):
    """On the page of the 10 µg tablet she takes (or has in the cart), a 20 µg alternative said
    "with the 10 µg from your other supplements that is 30 µg, more than the advised amount":
    the 10 µg was the page product that the alternative replaces."""
    page = "XF-D3-10-TAB"
    profile: dict[str, Any] = {"age": 72, "sex": "female", "country": "NL"}
    body: dict[str, Any] = {"placement": "product_page", "product_sku": page, "locale": "en"}
    if where == "basket":
        body["basket"] = [{"sku": page}]
    else:
        profile["current_supplements"] = [{"sku": page}]
    answers = [
        _answer(client, {**body, "profile": profile, "limit": 4}),
        client.post(
            f"/v1/products/{page}/alternatives",
            json={"profile": profile, "locale": "en", "basket": body.get("basket", [])},
        ).get_json(),
    ]
    for answer in answers:
        alternatives = [i for i in answer["items"] if i.get("strategy") == "alternatives"]
        assert alternatives, answer
        for item in alternatives:
            for reason in item["reasons"]:
                assert OTHER["en"] not in reason["text"], (item["sku"], reason)


@pytest.mark.parametrize("food", [False, True])
@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_review_12_f21_what_is_taken_is_named_before_those(client, locale, food):
    """ "We suggest no product for it: with those 200 mg, ..." named nothing before "those"."""
    nutrient, advised, taken = ("zinc_mg", 12, 5) if food else ("magnesium_mg", 240, 200)
    profile = {
        "age": 45,
        "sex": "female",
        "country": "DE",
        "higher_dose_advised": {nutrient: advised},
        "current_supplements": [{"label": "own", "nutrients": {nutrient: taken}}],
    }
    answer = _answer(client, {"profile": profile, "locale": locale, "limit": 10})
    notices = [n["text"] for n in answer["notices"] if n["code"] == f"doctor_dose_short:{nutrient}"]
    named = {
        "en": f"what you take now gives {taken} mg",
        "nl": f"wat je nu neemt, geeft er {taken} mg",
        "de": f"was Sie jetzt einnehmen, liefert davon {taken} mg",
    }
    those = {"en": "those", "nl": "die", "de": "diesen"}
    for text in notices:
        if f" {those[locale]} {taken} mg" in text:
            assert named[locale] in text, text
            assert text.index(named[locale]) < text.index(f" {those[locale]} {taken} mg"), text
    assert notices or not food, answer["notices"]


def test_review_12_f17_advice_unmet_quotes_no_amount_above_the_limit(client):
    profile = {
        "age": 45,
        "sex": "male",
        "country": "NL",
        "higher_dose_advised": {"magnesium_mg": 180},
        "current_supplements": [{"label": "Mg", "nutrients": {"magnesium_mg": 150}}],
    }
    answer = _answer(client, {"profile": profile, "locale": "en", "limit": 10})
    limit = answer["intake"]["magnesium_mg"]["upper_limit"]
    for notice in answer["notices"]:
        if notice["code"].endswith(":magnesium_mg"):
            quoted = [float(n) for n in re.findall(r"(\d+(?:\.\d+)?) mg", notice["text"])]
            assert all(q <= limit for q in quoted), notice
