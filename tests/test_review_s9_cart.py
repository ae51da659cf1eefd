"""Pharmacist review 9, findings 2 and 6.

2 (UNSAFE): the cart and checkout placements ("complete my routine": what the basket leaves
open, never a second source of a nutrient the basket or the current supplements give) offered
two items that give the same nutrient, which together went above the upper limit: 200 mg +
150 mg magnesium (limit 250 mg); 400 + 400 mg calcium with 2000 mg from food (limit 2500 mg).
Now one source per nutrient in the whole answer, so taken + basket + every item + the food
allowance stays within every limit.

6 (MINOR): the `above_upper_limit:<nutrient>` notice said "What you take now gives ..." when
the amount came from the basket; it now says "With your basket ..." as `already_covered` does.

Expectations come from the catalog and rules files through tests/oracle.py, never from the
service's safety code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.contract.schemas import RecommendationRequestSchema
from service.core.placements.serve import recommend_placement

from .conftest import TODAY
from .oracle import (
    GOALS,
    NUTRIENTS,
    PRODUCTS,
    expected_food,
    expected_intake,
    expected_upper_limit,
    per_day,
    within,
)
from .test_safety_properties import lines, profiles, requests

ROOT = Path(__file__).resolve().parents[1]
TEXTS = yaml.safe_load((ROOT / "rules" / "reference" / "texts.yaml").read_text("utf-8"))
SCORING = yaml.safe_load((ROOT / "rules" / "reference" / "scoring.yaml").read_text("utf-8"))
# nutrients that are one nutrient for "no more" (scoring.yaml lists.groups: K1 and K2)
GROUPS = [tuple(g["nutrients"]) for g in SCORING["lists"]["groups"].values()]
CART_PLACEMENTS = ("cart", "checkout")

EXAMPLE_CHECKOUT_NL = {
    "profile": {"age": 45, "country": "NL", "sex": "female", "goals": ["sport"], "diet": "vegan"},
    "locale": "nl",
    "limit": 5,
    "placement": "checkout",
    "basket": [{"sku": "XF-D3-25-SG"}],
}
EXAMPLE_CART_DE = {
    "profile": {"age": 18, "country": "DE", "sex": "male", "goals": ["muscles", "sport", "bones"],
                "diet": "vegan"},
    "locale": "de",
    "limit": 5,
    "placement": "cart",
    "basket": [{"sku": "XF-K2-MK7-DROPS"}],
}  # fmt: skip


def answer(recommender, raw: dict[str, Any]) -> dict[str, Any]:
    body = RecommendationRequestSchema().load(raw)
    return recommend_placement(recommender.snapshot, body, TODAY)


def gives(sku: str) -> set[str]:
    """The nutrients a catalog product gives at its label dose, K1 and K2 as one (a group)."""
    out = {k for k, v in per_day(PRODUCTS[sku]).items() if v > 0}
    for group in GROUPS:
        if out & set(group):
            out |= set(group)
    return out


def assert_one_source_and_within_limits(raw: dict[str, Any], body: dict[str, Any]) -> None:
    """No two items give the same nutrient, and for every nutrient with an upper limit that the
    items add: taken + basket + all items + the food allowance is within the limit."""
    skus = [item["sku"] for item in body["items"]]
    seen: dict[str, str] = {}
    for sku in skus:
        for nutrient in gives(sku):
            assert nutrient not in seen, f"{sku}: a second {nutrient} ({seen[nutrient]})"
            seen[nutrient] = sku
    profile = raw["profile"]
    intake = expected_intake(raw)
    for nutrient in NUTRIENTS:
        added = sum(per_day(PRODUCTS[sku]).get(nutrient, 0.0) for sku in skus)
        limit = expected_upper_limit(nutrient, profile["age"], profile.get("life_stage", "none"))
        if limit is None or added <= 0:
            continue
        total = intake[nutrient] + added + expected_food(profile, nutrient)
        assert within(total, limit), (
            f"{nutrient}: taken + basket {intake[nutrient]} + items {added} ({skus}) + food "
            f"{expected_food(profile, nutrient)} = {total} > {limit}"
        )


# ------------------------------------------------------------------ 2. the review's examples
@pytest.mark.parametrize("raw", [EXAMPLE_CHECKOUT_NL, EXAMPLE_CART_DE], ids=["checkout", "cart"])
def test_the_reviews_cart_and_checkout_offer_one_source_per_nutrient(recommender, raw):
    body = answer(recommender, raw)
    assert body["items"], body["notices"]
    assert_one_source_and_within_limits(raw, body)


def test_checkout_offers_no_second_magnesium_over_the_limit(recommender):
    """200 mg (XF-CA-MG-TAB) + 150 mg (XF-MG-CIT-150-TAB) magnesium: 350 mg of 250 mg."""
    body = answer(recommender, EXAMPLE_CHECKOUT_NL)
    magnesium = [i["sku"] for i in body["items"] if "magnesium_mg" in gives(i["sku"])]
    assert len(magnesium) <= 1, magnesium


def test_cart_offers_one_calcium_and_one_vitamin_d(recommender):
    body = answer(recommender, EXAMPLE_CART_DE)
    for nutrient in ("calcium_mg", "vitamin_d_ug"):
        sources = [i["sku"] for i in body["items"] if nutrient in gives(i["sku"])]
        assert len(sources) <= 1, (nutrient, sources)


# ------------------------------------------------------------------ 2. the property
@st.composite
def cart_requests(draw: st.DrawFn) -> dict[str, Any]:
    """Random profiles and baskets for the cart and checkout (no product page: its product is
    not bought with the answer). Goals are drawn often: they make the lists long."""
    goals = st.lists(st.sampled_from(GOALS), min_size=1, max_size=5, unique=True)
    profile = draw(st.one_of(profiles(), profiles(goals=goals)))
    raw = draw(requests(profile=st.just(profile), basket=lines(3)))
    raw["placement"] = draw(st.sampled_from(CART_PLACEMENTS))
    raw["limit"] = draw(st.integers(2, 50))
    return raw


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=cart_requests())
@example(raw=EXAMPLE_CHECKOUT_NL)
@example(raw=EXAMPLE_CART_DE)
@example(
    raw={"profile": {"age": 40, "sex": "female", "country": "NL",
                     "goals": ["bones", "heart", "immunity", "muscles", "energy", "sport"]},
         "basket": [{"sku": "XF-D3-20-TAB"}], "placement": "cart", "limit": 50}
)  # fmt: skip
def test_property_cart_and_checkout_items_together_stay_within_every_limit(recommender, raw):
    assert_one_source_and_within_limits(raw, answer(recommender, raw))


# ------------------------------------------------------------------ 6. "with your basket"
BASKET_WORDS = {"nl": "Met je winkelmandje", "de": "Mit Ihrem Warenkorb", "en": "With your basket"}
TAKEN_WORDS = {"nl": "Wat je nu neemt", "de": "Was Sie jetzt einnehmen", "en": "What you take now"}


def _above(body: dict[str, Any], key: str) -> str:
    texts = [n["text"] for n in body["notices"] if n["code"] == f"above_upper_limit:{key}"]
    assert len(texts) == 1, body["notices"]
    return texts[0]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_above_upper_limit_from_the_basket_says_with_your_basket(recommender, locale):
    """Review 6a: the men's multivitamin (10 mg zinc) in the cart with 17 mg zinc from DE food."""
    raw = {
        "locale": locale,
        "limit": 5,
        "placement": "cart",
        "basket": [{"sku": "XF-MULTI-MEN"}],
        "profile": {"age": 50, "sex": "male", "country": "DE",
                    "goals": ["bones", "heart", "immunity"]},
    }  # fmt: skip
    text = _above(answer(recommender, raw), "zinc_mg")
    assert text.startswith(BASKET_WORDS[locale]), text
    assert TAKEN_WORDS[locale] not in text, text


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_above_upper_limit_from_the_basket_alone_says_with_your_basket(recommender, locale):
    """Review 6b: a multivitamin and iron in the basket, 28 mg iron: above the limit with food."""
    raw = {
        "locale": locale,
        "limit": 5,
        "placement": "cart",
        "basket": [{"sku": "XF-MULTI-WOMEN"}, {"sku": "XF-IRON-14-CAP"}],
        "profile": {"age": 35, "sex": "female", "country": "NL", "goals": ["energy", "bones"]},
    }
    text = _above(answer(recommender, raw), "iron_mg")
    assert text.startswith(BASKET_WORDS[locale]), text


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_above_upper_limit_from_what_is_taken_still_says_what_you_take(recommender, locale):
    raw = {
        "locale": locale,
        "limit": 5,
        "placement": "cart",
        "basket": [{"sku": "XF-D3-10-TAB"}],
        "profile": {"age": 45, "sex": "female", "country": "NL",
                    "current_supplements": [{"sku": "BL-MG-375-TAB"}]},
    }  # fmt: skip
    text = _above(answer(recommender, raw), "magnesium_mg")
    assert text.startswith(TAKEN_WORDS[locale]), text


def test_the_basket_texts_are_in_every_locale():
    for key in ("notice_above_upper_limit", "notice_above_upper_limit_food",
                "notice_above_upper_limit_food_nothing"):  # fmt: skip
        texts = TEXTS["texts"][f"{key}_basket"]
        for locale, words in BASKET_WORDS.items():
            assert texts[locale].startswith(words), (key, locale)
