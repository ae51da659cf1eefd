"""Session 6: the numbers in the upper-limit texts are the numbers the answer's `intake` block
and the guarantee use.

3. near_upper_limit: the food allowance in the text is the intake block's `food`, written as
   numbers.py writes it (12.5 mg zinc, "12,5" in nl and de), and the total is amount + food.
4. above_upper_limit: where the limit is for total intake, the text names the total the
   guarantee checks (taken + basket + food allowance), also when the supplements alone are
   already above the limit (before: "What you take now gives 35 mg of zinc a day, more than
   the safe upper limit of 25 mg", the cart's 25 mg counted, the 12.5 mg from food not).
"""

from __future__ import annotations

import datetime as dt

import pytest

from service.core.numbers import format_number

from .conftest import memory_app

TODAY = dt.date(2026, 12, 2)
WOMAN = {"age": 35, "sex": "female"}  # NL zinc: food allowance 12.5 mg, limit 25 mg


@pytest.fixture(scope="module")
def client():
    return memory_app(TODAY).test_client()


def _written(value: float, locale: str) -> str:
    """As the texts write an amount (amounts.rounded, then numbers.localized)."""
    value = round(float(value), 3)
    return format_number(int(value) if value == int(value) else value, locale)


def _post(client, path: str, body: dict) -> dict:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.data
    return response.get_json()


# ------------------------------------------------------------------ 3. near_upper_limit
@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_near_upper_limit_names_the_food_of_the_intake_block(client, locale):
    answers = [
        _post(
            client,
            "/v1/recommendations",
            {"profile": {**WOMAN, "goals": ["immunity"]}, "locale": locale, "limit": 20},
        ),
        _post(
            client,
            "/v1/recommendations",
            {
                "profile": {**WOMAN, "goals": ["immunity"]},
                "placement": "product_page",
                "product_sku": "XF-ZINC-10-TAB",
                "locale": locale,
            },
        ),
    ]
    checked = 0
    for answer in answers:
        for item in answer["items"]:
            for warning in item["warnings"]:
                if warning["code"] != "near_upper_limit:zinc_mg":
                    continue
                intake = answer["intake"]["zinc_mg"]
                amount = item["nutrients_per_day"]["zinc_mg"] + intake["current"]
                food = intake["food"]
                assert food == 12.5
                assert f" {_written(food, locale)} mg" in warning["text"], warning["text"]
                assert f" {_written(amount + food, locale)} " in warning["text"], warning["text"]
                checked += 1
    assert checked, "the case needs a zinc item near the limit"


# ------------------------------------------------------------------ 4. above_upper_limit
@pytest.mark.parametrize("locale", ["en", "nl", "de"])
@pytest.mark.parametrize("placement", [None, "cart", "product_page"])
def test_above_upper_limit_names_the_total_the_guarantee_uses(client, placement, locale):
    """10 mg zinc taken, 25 mg in the cart: 35 mg, with 12.5 mg from food 47.5 mg of 25."""
    body = {
        "profile": {**WOMAN, "current_supplements": [{"sku": "XF-ZINC-10-TAB"}]},
        "basket": [{"sku": "BL-ZINC-25-TAB"}],
        "locale": locale,
    }
    if placement:
        body["placement"] = placement
        body["product_sku"] = "XF-D3-10-TAB"
    answer = _post(client, "/v1/recommendations", body)
    intake = answer["intake"]["zinc_mg"]
    assert (intake["current"], intake["food"], intake["upper_limit"]) == (35, 12.5, 25)
    texts = [n["text"] for n in answer["notices"] if n["code"] == "above_upper_limit:zinc_mg"]
    assert len(texts) == 1, answer["notices"]
    total = intake["current"] + intake["food"]
    for number in (intake["current"], intake["food"], total, total - intake["upper_limit"]):
        assert f" {_written(number, locale)} mg" in texts[0], (number, texts[0])


def test_above_upper_limit_with_a_limit_for_supplements_names_no_food(client):
    """Magnesium's limit is for supplements only (food_intake.yaml scope): no food named."""
    body = {
        "profile": {**WOMAN, "current_supplements": [{"sku": "BL-MG-375-TAB"}]},
        "locale": "en",
    }
    answer = _post(client, "/v1/recommendations", body)
    texts = [n["text"] for n in answer["notices"] if n["code"] == "above_upper_limit:magnesium_mg"]
    assert texts and "food" not in texts[0], answer["notices"]
    assert " 375 mg" in texts[0] and " 250 mg" in texts[0], texts[0]


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_the_intake_checks_violation_text_names_its_total(client, locale):
    """The violation's `total` (amount + food) was 47.5 while its text said 35 mg, more than
    25 mg, without the food that makes the total."""
    body = {
        "profile": {**WOMAN, "current_supplements": [{"sku": "XF-ZINC-10-TAB"}]},
        "basket": [{"sku": "BL-ZINC-25-TAB"}],
        "locale": locale,
    }
    answer = _post(client, "/v1/intake/check", body)
    (violation,) = [v for v in answer["violations"] if v["nutrient"] == "zinc_mg"]
    assert (violation["amount"], violation["food"], violation["total"]) == (35, 12.5, 47.5)
    for number in (violation["amount"], violation["food"], violation["total"]):
        assert f" {_written(number, locale)} mg" in violation["text"], violation["text"]
