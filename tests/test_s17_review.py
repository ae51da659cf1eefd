"""Session 17: the next pack of a product already taken.

A basket line of a SKU the person already takes is that product's next pack and is merged into
the taken line (profile.with_next_packs): its servings a day count, not a second tablet. When
those servings crossed an upper limit, the intake check showed the violation and suggested
nothing, because the merged line carried the taken line's place and "what is taken cannot be
changed in the basket" (found by hypothesis in the session 16 CI: an 8-year-old taking one
400 µg folate capsule with 2 a day of it in the basket). The basket line is what changes.
"""

from __future__ import annotations

import pytest

from .conftest import TODAY
from .test_regimen import apply, check
from .test_review_s7_dose_fit import _answer


def test_more_servings_of_a_taken_tablet_past_the_limit_are_reduced_back(recommender):
    profile = {"age": 40, "current_supplements": [{"sku": "XF-D3-75-TAB"}]}
    basket = [{"sku": "XF-D3-75-TAB", "servings_per_day": 2}]
    answer = check(recommender, profile, basket)
    assert [v["nutrient"] for v in answer["violations"]] == ["vitamin_d_ug"]
    suggestion = answer["suggestion"]
    assert suggestion is not None
    assert suggestion["changes"] == [
        {"code": "reduce", "sku": "XF-D3-75-TAB", "servings_per_day": 1, "line": "basket.0"}
    ]
    assert check(recommender, profile, apply(basket, suggestion))["violations"] == []


def test_two_basket_lines_of_the_taken_tablet_both_change(recommender):
    """The HTTP schema refuses a repeated SKU with servings_per_day (422); the core, as the
    property tests call it, changes both lines, or the day would stay past the limit."""
    profile = {"age": 40, "current_supplements": [{"sku": "XF-D3-75-TAB"}]}
    basket = [
        {"sku": "XF-D3-75-TAB", "servings_per_day": 2},
        {"sku": "XF-D3-75-TAB", "servings_per_day": 3},
    ]
    suggestion = check(recommender, profile, basket)["suggestion"]
    assert suggestion is not None
    assert {step["line"] for step in suggestion["changes"]} == {"basket.0", "basket.1"}
    assert check(recommender, profile, apply(basket, suggestion))["violations"] == []


@pytest.mark.parametrize("servings", [2, None])
def test_the_next_pack_of_a_product_not_meant_for_the_age_is_removed(recommender, servings):
    """The hypothesis case: taken folate not meant for 8-year-olds; its next pack goes."""
    profile = {
        "age": 8,
        "sex": "female",
        "country": "NL",
        "current_supplements": [{"sku": "GR-METHYLFOLATE-400-CAP"}],
    }
    line = {"sku": "GR-METHYLFOLATE-400-CAP"}
    if servings:
        line["servings_per_day"] = servings
    suggestion = check(recommender, profile, [line])["suggestion"]
    assert suggestion is not None
    assert suggestion["changes"] == [
        {
            "code": "remove",
            "sku": "GR-METHYLFOLATE-400-CAP",
            "servings_per_day": 0,
            "line": "basket.0",
        }
    ]
    assert suggestion["text"].startswith("Remove from your basket:")
    assert "not meant for your age" in suggestion["text"]
    assert check(recommender, profile, [])["suggestion"] is None


def test_the_next_pack_of_a_dose_above_the_band_is_only_reduced_past_the_limit(recommender):
    """50 µg taken at 40 is above the band, the person's own dose (warned of, review s6 T4):
    its next pack stays; at 3 a day, past the limit, it goes back to the 1 taken."""
    profile = {"age": 40, "current_supplements": [{"sku": "XF-D3-50-CAP"}]}
    assert check(recommender, profile, [{"sku": "XF-D3-50-CAP"}])["suggestion"] is None
    basket = [{"sku": "XF-D3-50-CAP", "servings_per_day": 3}]
    suggestion = check(recommender, profile, basket)["suggestion"]
    assert suggestion["changes"] == [
        {"code": "reduce", "sku": "XF-D3-50-CAP", "servings_per_day": 1, "line": "basket.0"}
    ]


def test_a_next_pack_at_the_taken_servings_is_not_a_fix(recommender):
    """Taken twice a day already above the limit: the pack adds nothing, nothing to change."""
    profile = {"age": 40, "current_supplements": [{"sku": "XF-D3-75-TAB", "servings_per_day": 2}]}
    answer = check(recommender, profile, [{"sku": "XF-D3-75-TAB"}])
    assert answer["violations"]
    assert answer["suggestion"] is None


# ------------------------------------------------------------------ why a dose stops short
def _thiazide(taken: float) -> dict:
    profile = {"age": 75, "sex": "female", "country": "NL", "medications": ["thiazide_diuretic"]}
    if taken:
        profile["current_supplements"] = [{"label": "D", "nutrients": {"vitamin_d_ug": taken}}]
    return {"profile": profile, "locale": "en", "limit": 5}


def _below_warning(answer: dict) -> dict[str, str]:
    return {
        item["sku"]: reason["text"]
        for item in answer["items"]
        for reason in item["reasons"]
        if reason["code"] == "below_warning:vitamin_d_ug"
    }


def test_the_dose_held_below_the_thiazide_threshold_says_why(recommender):
    """Session 16 put the 10 µg tablet first for a thiazide user taking 5 µg (15 µg in all,
    not past 20 µg); its reasons said only "15 µg; ... advises 20 µg"."""
    answer = _answer(recommender, _thiazide(5), TODAY)
    first = answer["items"][0]
    said = _below_warning(answer)
    assert first["sku"] in said, first["reasons"]
    assert "15 µg" in said[first["sku"]] and "20 µg" in said[first["sku"]]
    # the items past the threshold carry the medicine's warning, not this reason
    for item in answer["items"]:
        if any(w["code"] == "interaction:thiazide-diuretic" for w in item["warnings"]):
            assert item["sku"] not in said


@pytest.mark.parametrize(
    "request_body",
    [
        {"profile": {"age": 75, "sex": "female", "country": "NL"}, "locale": "en", "limit": 5},
        _thiazide(0),  # 20 µg meets the advice at the threshold: nothing held back
    ],
)
def test_no_reason_where_nothing_is_held_back(recommender, request_body):
    assert _below_warning(_answer(recommender, request_body, TODAY)) == {}
