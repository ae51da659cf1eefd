"""Session 12: the intake check's suggestion keeps the product that serves a doctor's dose.

A doctor advised 75 µg of vitamin D a day (DE, a woman of 50). Her basket: a 75 µg tablet and
25 µg drops, 100 µg with up to 8 µg from food, above the upper limit of 100 µg for total intake.
The suggestion was to remove the 75 µg tablet (the line with the largest share of the limit),
leaving her 25 µg of the 75 µg her doctor advised. Of the changes that bring the day within the
limit, one that leaves the advice met now goes first, with more lines removed where that is what
it takes; where every change leaves it met, the suggestion is as before (the largest share).
Amounts come from the catalog (tests/oracle.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from .oracle import PRODUCTS, expected_food, expected_upper_limit, per_day

PROFILE = {"age": 50, "sex": "female", "country": "DE"}


def _suggestion(client, profile: dict[str, Any], skus: list[str]) -> dict[str, Any]:
    body = {"profile": profile, "basket": [{"sku": s} for s in skus], "locale": "en"}
    response = client.post("/v1/intake/check", json=body)
    assert response.status_code == 200, response.get_json()
    suggestion = response.get_json()["suggestion"]
    assert suggestion is not None
    return suggestion


def _left(profile: dict[str, Any], skus: list[str], suggestion: dict[str, Any]) -> float:
    removed = {c["sku"] for c in suggestion["changes"] if c["code"] == "remove"}
    assert all(c["code"] == "remove" for c in suggestion["changes"]), suggestion
    return sum(per_day(PRODUCTS[s]).get("vitamin_d_ug", 0) for s in skus if s not in removed)


def _within_limit(profile: dict[str, Any], left: float) -> bool:
    food = expected_food(profile, "vitamin_d_ug")
    return left + food <= expected_upper_limit("vitamin_d_ug", profile["age"], "none")


@pytest.mark.parametrize(
    "skus",
    [
        ["XF-D3-75-TAB", "XF-D3-25-DROPS"],
        ["XF-D3-25-DROPS", "XF-D3-75-TAB"],
        ["XF-D3-75-TAB", "XF-D3-25-DROPS", "XF-D3-20-TAB"],
    ],
)
def test_the_doctors_dose_stays_in_the_basket(client, skus):
    profile = {**PROFILE, "higher_dose_advised": {"vitamin_d_ug": 75}}
    suggestion = _suggestion(client, profile, skus)
    left = _left(profile, skus, suggestion)
    assert left >= 75, suggestion  # the doctor's dose is still met
    assert _within_limit(profile, left), suggestion
    assert "XF-D3-75-TAB" not in {c["sku"] for c in suggestion["changes"]}, suggestion


def test_without_a_doctors_dose_the_largest_share_goes_as_before(client):
    skus = ["XF-D3-75-TAB", "XF-D3-25-DROPS"]
    suggestion = _suggestion(client, PROFILE, skus)
    assert [c["sku"] for c in suggestion["changes"]] == ["XF-D3-75-TAB"], suggestion
    assert _within_limit(PROFILE, _left(PROFILE, skus, suggestion))


def test_review_12_f10_the_fix_leaves_the_day_within_the_dose_band_too(client):
    """A doctor's 50 µg (DE): 50 + 25 + 20 µg. Removing only the 25 µg brought the day within the
    upper limit at 70 µg, above the band of 50 µg the same check warns about."""
    profile = {
        "age": 60,
        "sex": "male",
        "country": "DE",
        "higher_dose_advised": {"vitamin_d_ug": 50},
    }
    skus = ["XF-D3-50-CAP", "XF-D3-25-SG", "XF-D3-20-TAB"]
    suggestion = _suggestion(client, profile, skus)
    assert _left(profile, skus, suggestion) == 50, suggestion
    assert sorted(c["sku"] for c in suggestion["changes"]) == ["XF-D3-20-TAB", "XF-D3-25-SG"]


@pytest.mark.parametrize(
    ("profile", "skus"),
    [
        (  # 8.5 dairy portions: the multivitamin is her only vitamin D (20 µg advised at 72)
            {
                "age": 72,
                "sex": "female",
                "country": "NL",
                "conditions": ["osteoporosis"],
                "dairy_portions_per_day": 8.5,
            },
            ["XF-MULTI-50PLUS", "BL-CA-500-TAB"],
        ),
        (  # the calcium + D3 tablet was halved, which halved her vitamin D too
            {"age": 72, "sex": "female", "country": "NL", "conditions": ["osteoporosis"]},
            ["GR-CAD3-VEGAN-TAB", "BL-CA-500-TAB"],
        ),
    ],
)
def test_review_12_f3_a_calcium_fix_keeps_the_only_vitamin_d(client, profile, skus):
    response = client.post(
        "/v1/intake/check",
        json={"profile": profile, "basket": [{"sku": s} for s in skus], "locale": "en"},
    )
    suggestion = response.get_json()["suggestion"]
    changed = {c["sku"] for c in suggestion["changes"]}
    assert changed == {"BL-CA-500-TAB"}, suggestion  # the plain calcium goes, vitamin D stays
    assert suggestion["code"] == "remove", suggestion


@pytest.mark.parametrize("other", ["XF-D3-20-TAB", "XF-D3-25-SG"])
def test_review_12_f9_the_dose_band_removal_keeps_the_doctors_dose(client, other):
    """A doctor's 50 µg with the 50 µg capsule and 20 (25) µg beside it, above the band of 50 µg:
    the capsule was removed and another vitamin D product added, 'we suggest none for it'."""
    profile = {
        "age": 60,
        "sex": "male",
        "country": "DE",
        "higher_dose_advised": {"vitamin_d_ug": 50},
    }
    skus = ["XF-D3-50-CAP", other]
    suggestion = _suggestion(client, profile, skus)
    assert [c["sku"] for c in suggestion["changes"]] == [other], suggestion
    assert _left(profile, skus, suggestion) == 50


@pytest.mark.parametrize(
    "taken",
    [{"label": "D3 drops", "nutrients": {"vitamin_d_ug": 25}}, {"sku": "XF-D3-25-DROPS"}],
)
def test_review_12_f16_removing_the_doctors_tablet_says_what_is_taken_beside_it(client, taken):
    """Drops taken, the doctor's 75 µg tablet in the basket: the only basket change removes the
    tablet, and it said nothing of the doctor's dose."""
    profile = {
        "age": 60,
        "sex": "male",
        "country": "DE",
        "higher_dose_advised": {"vitamin_d_ug": 75},
        "current_supplements": [taken],
    }
    suggestion = _suggestion(client, profile, ["XF-D3-75-TAB"])
    codes = [n["code"] for n in suggestion.get("notices", [])]
    assert codes == ["doctor_dose_taken:vitamin_d_ug"], suggestion
    assert "75 µg" in suggestion["text"] and "25 µg you already take" in suggestion["text"]
