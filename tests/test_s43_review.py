"""Session 43: what session 42 left open in /refills' `instead` (s42b N2: a nutrient a lasting
product that no longer fits gave, still advised with all named beside it, that no entry named),
and what the session's reviews found (s43a: a pharmacist on POST answers; s43c: a newcomer, a
merchandiser and a hostile tester)."""

from __future__ import annotations

import pytest

from .conftest import dated_client, memory_app, recommend
from .oracle import PRODUCTS, expected_food, expected_upper_limit, per_day
from .test_s42_review import TODAY_S42, _all_named, _named, _refills


def test_two_kids_multivitamins_each_counting_the_others_vitamin_d_name_her_vitamin_d(
    redis_url,
) -> None:
    """A breastfeeding vegan (NL, 31) takes two kids' multivitamins, neither of which suits her
    (diet, age, breastfeeding). Each entry's search counted the other's 10 µg vitamin D as
    taken, so together they named B12, iodine and calcium, and nothing gave the 10 µg vitamin
    D advised while breastfeeding once she stops both."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {
        "age": 31,
        "sex": "female",
        "life_stage": "breastfeeding",
        "diet": "vegan",
        "country": "NL",
    }
    bought = [("KV-MULTI-KIDS-CHEW", 10), ("KV-MULTI-KIDS-GUMMY", 15)]
    answer = _refills(client, "s43-n2", profile, bought)
    named = [sku for entry in answer["refills"] for sku in _named(entry)]
    assert named, answer
    assert any("vitamin_d_ug" in per_day(PRODUCTS[sku]) for sku in named), named
    day = _all_named(answer)
    for nutrient, amount in day.items():
        limit = expected_upper_limit(nutrient, 31, "breastfeeding")
        total = amount + expected_food(profile, nutrient)
        assert limit is None or total <= limit, (nutrient, total, limit)
    assert day["vitamin_d_ug"] <= 25.0, day


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_dark_skin_rule_stands_back_beside_a_measured_low_level(locale: str) -> None:
    """s43a F3: a man with dark skin and a measured 20 nmol/l got on each vitamin D item both
    "about 30 µg ... brings it towards 50 nmol/l" and the dark-skin rule's "the Health Council
    then advises 10 µg": two advised amounts on one item. Its sibling rules (little sun, women
    50-70, 70+, DGE) stand back for a measured level below 50 nmol/l; so does it now."""
    client = memory_app().test_client()
    profile = {"age": 35, "sex": "male", "country": "NL", "skin_type": 6}
    low = recommend(client, {"profile": {**profile, "serum_25ohd_nmol_l": 20}}, locale)
    vitamin_d = [i for i in low["items"] if "vitamin_d_ug" in i["nutrients_per_day"]]
    assert vitamin_d, low
    for item in vitamin_d:
        codes = [r["code"] for r in item["reasons"]]
        assert "rule:dark-skin-vitamin-d" not in codes, item
    plain = recommend(client, {"profile": profile}, locale)
    codes = {r["code"] for i in plain["items"] for r in i["reasons"]}
    assert "rule:dark-skin-vitamin-d" in codes, plain  # without a measured level it still says so


def _followed_all(answer: dict, profile: dict) -> dict[str, float]:
    """A day today of one who follows the whole answer: the reorder's items, what every entry
    names, each supply still lasting whose entry names nothing (nothing here says to stop it,
    its why only that it no longer fits), and the current supplements named by SKU, less what
    an entry names a product in place of."""
    skus = [i["sku"] for i in (answer["reorder"] or {}).get("items", [])]
    for entry in answer["refills"]:
        named = _named(entry)
        skus += named
        if not named and entry["runs_out_on"] > TODAY_S42.isoformat():
            skus.append(entry["sku"])
    replaced = {entry["sku"] for entry in answer["refills"] if _named(entry)}
    skus += [line["sku"] for line in profile.get("current_supplements", [])]
    skus = [sku for sku in skus if sku not in replaced]
    total: dict[str, float] = {}
    for sku in dict.fromkeys(skus):
        servings = next(
            (
                line.get("servings_per_day")
                for line in profile.get("current_supplements", [])
                if line["sku"] == sku
            ),
            None,
        )
        for nutrient, amount in per_day(PRODUCTS[sku], servings).items():
            total[nutrient] = total.get(nutrient, 0.0) + amount
    return total


@pytest.mark.parametrize(
    ("profile", "bought"),
    [
        # a lanolin D3 (not vegan) lasts and names nothing; the women's multivitamin named
        # a lichen 20 µg D3: 40 µg a day in pregnancy
        (
            {
                "age": 23,
                "sex": "female",
                "life_stage": "pregnant",
                "country": "NL",
                "diet": "vegan",
            },
            [("BL-MG-OX-250-TAB", 70), ("BL-D3-20-70PLUS-TAB", 50), ("XF-MULTI-WOMEN", 60)],
        ),
        # her calcium + D3 (not vegan) lasts and names nothing; the A-Z named 500 mg calcium:
        # with food 3,000 mg a day
        (
            {"age": 40, "sex": "male", "country": "DE", "diet": "vegan"},
            [("BL-MULTI-AZ", 14), ("GR-MG-CIT-VCAP", 58), ("XF-CAD3-500-10-TAB", 41)],
        ),
        # a breastfeeding girl declares 2 x 50 µg D3 (not for her): a 20 µg D3 was named for
        # her A-Z multivitamin beside it
        (
            {
                "age": 17,
                "sex": "female",
                "life_stage": "breastfeeding",
                "country": "DE",
                "conditions": ["haemochromatosis"],
                "current_supplements": [
                    {"sku": "BL-MULTI-AZ"},
                    {"sku": "XF-D3-50-CAP", "servings_per_day": 2},
                ],
            },
            [("BL-MULTI-AZ", 37), ("GR-B12-500-TAB", 20)],
        ),
    ],
)
def test_what_is_named_counts_a_supply_the_answer_leaves_taken(
    redis_url, profile: dict, bought: list
) -> None:
    """s43b F1 (unsafe if followed): what an entry names was checked as if every supply still
    lasting that no longer fits were stopped, but a supply whose entry names nothing, and a
    current supplement named by SKU, are never told to stop: one who follows the answer takes
    both. Now the product counts them, or is named in place of them too."""
    client = dated_client(redis_url, TODAY_S42)
    customer = f"s43-f1-{profile['age']}"
    answer = _refills(client, customer, profile, bought)
    day = _followed_all(answer, profile)
    named = {sku for entry in answer["refills"] for sku in _named(entry)}
    life_stage = profile.get("life_stage", "none")
    for nutrient, amount in day.items():
        if not any(nutrient in per_day(PRODUCTS[sku]) for sku in named):
            continue  # above a limit now with nothing named for it: the notice says so
        limit = expected_upper_limit(nutrient, profile["age"], life_stage)
        total = amount + expected_food(profile, nutrient)
        assert limit is None or total <= limit, (nutrient, total, limit, answer["refills"])
    if life_stage != "none" and any("vitamin_d_ug" in per_day(PRODUCTS[s]) for s in named):
        assert day.get("vitamin_d_ug", 0.0) <= 25.0, (day, answer["refills"])
