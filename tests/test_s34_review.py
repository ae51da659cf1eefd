"""Session 34's review findings, each seen failing before its fix.

s32a (left open then, taken now): a pregnant woman in NL was shown four products of 400 µg folic
acid with "Do not take all of these products together ... Ask your pharmacist which of them to
combine". Each of them alone gives the 400 µg her advice aims at (targets.yaml
pregnancy-folic-acid), so a pharmacist says "one": `not_together` now says to take only one
where each product it names fills the advice alone, as it already did where no two fit.
Expectations come from the data files, not from the service's own code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from service.core.list_together import together_notices
from service.core.ranking import evaluate
from service.core.requests import RecommendationRequest

from .conftest import TODAY, notice_texts, recommend
from .oracle import PRODUCTS, per_day

ROOT = Path(__file__).resolve().parents[1]
TEXTS = yaml.safe_load((ROOT / "rules" / "reference" / "texts.yaml").read_text("utf-8"))["texts"]
TARGETS = yaml.safe_load((ROOT / "rules" / "reference" / "targets.yaml").read_text("utf-8"))
FOLIC_AIM = next(t["amount"] for t in TARGETS["targets"] if t["id"] == "pregnancy-folic-acid")


def _opening(key: str, locale: str) -> str:
    """The words of a notice text before its first placeholder."""
    return TEXTS[key][locale].split("{")[0]


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_products_that_each_fill_the_folic_acid_advice_are_one_choice(client, locale):
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant", "country": "NL"}
    answer = recommend(client, {"profile": profile, "limit": 8}, locale)
    amounts = [
        i["nutrients_per_day"]["folic_acid_ug"]
        for i in answer["items"]
        if i["nutrients_per_day"].get("folic_acid_ug", 0) > 0
    ]
    room = answer["intake"]["folic_acid_ug"]["room"]
    # the case: each fills the aim alone, two of them still fit, all of them do not
    assert len(amounts) >= 3 and min(amounts) >= FOLIC_AIM, amounts
    assert sorted(amounts)[0] + sorted(amounts)[1] <= room < sum(amounts), (amounts, room)
    said = notice_texts(answer)["not_together:folic_acid_ug"]
    assert said.startswith(_opening("notice_not_together_supplements_one", locale)), said
    assert not said.startswith(_opening("notice_not_together_supplements", locale)), said


def _together(recommender, skus: list[str]) -> str:
    """The iodine `not_together` notice of a list of `skus` for a breastfeeding vegan woman
    in NL (aims for iodine and, as a vegan, for vitamin B12)."""
    profile = {"age": 30, "sex": "female", "life_stage": "breastfeeding", "diet": "vegan"}
    request = RecommendationRequest.from_dict({"profile": {**profile, "country": "NL"}})
    snapshot = recommender.snapshot
    ev = evaluate(snapshot, request.profile, request.lines(), TODAY)
    keys = snapshot.reference.nutrients.keys
    assert ev.targets_or_zero[keys.index("vitamin_b12_ug")] > 0
    assert ev.targets_or_zero[keys.index("iodine_ug")] > 0
    ranked = [snapshot.catalog.index[sku] for sku in skus]
    return notice_texts({"notices": together_notices(ev, ranked, "en")})["not_together:iodine_ug"]


def test_a_product_that_alone_gives_another_aim_keeps_the_list_a_combination(recommender):
    """Three products of 150 µg iodine, each filling the aim; the vegan multivitamin is also the
    list's only vitamin B12, vitamin D and calcium, which she is advised too: "take only one"
    would tell her to drop those or the multivitamin."""
    iodine = ["GR-MULTI-VEGAN", "VL-IODINE-150-TAB", "GR-KELP-150-TAB"]
    said = _together(recommender, iodine)
    assert said.startswith(_opening("notice_not_together", "en")), said
    # with a B12 tablet and a calcium + D3 in the list too, one iodine product is the choice
    said = _together(recommender, [*iodine, "GR-B12-500-TAB", "GR-CAD3-VEGAN-TAB"])
    assert said.startswith(_opening("notice_not_together_one", "en")), said


# ---------------------------------------------------------------- s34a F1
PREGNANT_ON_25 = {
    "age": 30,
    "sex": "female",
    "life_stage": "pregnant",
    "country": "NL",
    "current_supplements": [{"sku": "XF-D3-25-SG"}],
}


def _product(sku: str) -> dict:
    return PRODUCTS[sku]


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
@pytest.mark.parametrize("placement", [None, "cart"])
def test_a_basket_line_above_the_pregnancy_maximum_is_swapped_not_called_enough(
    client, locale, placement
):
    """s34a F1: 25 µg vitamin D taken (at the 25 µg that suits pregnancy) and a folic acid + 10
    µg D3 tablet in the basket (35 µg). The list and the cart said "with your basket you get
    enough folic acid" and named no swap; the intake check named plain folic acid. Now the
    basket line covers nothing and `instead:` names a product in its place that gives folic
    acid and no vitamin D."""
    carted = "XF-FOLIC-D3-TAB"
    body = {"profile": PREGNANT_ON_25, "basket": [{"sku": carted}]}
    if placement:
        body["placement"] = placement
    answer = recommend(client, body, locale)
    said = notice_texts(answer)
    assert "already_covered:folic_acid_ug" not in said, said
    assert "basket_covered" not in said, said
    named = [
        sku
        for sku in PRODUCTS
        if _product(sku)["name"][locale] in said[f"instead:{carted}"] and sku != carted
    ]
    assert named, said[f"instead:{carted}"]
    for sku in named:
        gives = per_day(_product(sku))
        assert gives.get("folic_acid_ug", 0) > 0 and not gives.get("vitamin_d_ug"), (sku, gives)
    # "take it out of your basket" once: the instead notice says it, not the warning too
    out = TEXTS["notice_above_upper_limit_basket_out"][locale].split("{")[0]
    assert out not in said["intake_warning:vitamin_d_ug"], said["intake_warning:vitamin_d_ug"]


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_a_basket_d3_above_the_pregnancy_maximum_says_to_take_it_out(client, locale):
    """The same with a plain 20 µg D3 in the basket: nothing serves a need of it (the 25 µg
    taken gives the vitamin D), so the warning itself says which to take out of the basket,
    as the upper limit's notice does (review s31a F5)."""
    carted = "XF-D3-20-TAB"
    answer = recommend(client, {"profile": PREGNANT_ON_25, "basket": [{"sku": carted}]}, locale)
    said = notice_texts(answer)
    assert not any(code.startswith("instead:") for code in said), said
    out = TEXTS["notice_above_upper_limit_basket_out"][locale].format(
        products=_product(carted)["name"][locale]
    )
    assert said["intake_warning:vitamin_d_ug"].endswith(out), said["intake_warning:vitamin_d_ug"]


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_a_basket_line_without_a_name_is_named_as_the_warning_names_it(client, locale):
    """Found by this session's equivalence run: "Without basket.0 from your basket you stay
    within it" (the line's path) where a basket line has no SKU and no label; the notice's
    first sentence called it "unnamed product (line 1 of your basket)"."""
    body = {"profile": {"age": 40, "country": "NL"}, "basket": [{"nutrients": {"iron_mg": 60}}]}
    said = notice_texts(recommend(client, body, locale))["above_upper_limit:iron_mg"]
    unnamed = TEXTS["line_unnamed_basket"][locale].format(number=1)
    out = TEXTS["notice_above_upper_limit_basket_out"][locale].format(products=unnamed)
    assert said.endswith(out) and "basket.0" not in said, said


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_a_basket_line_above_a_maximum_crossed_already_is_swapped_too(client, locale):
    """Review s34c 1: with 30 µg of vitamin D taken (above the 25 µg of pregnancy by itself),
    the folic acid + D3 tablet in the basket was still called "enough folic acid" and nothing
    named in its place: the first fix took only a basket that alone crossed the maximum."""
    carted = "XF-FOLIC-D3-TAB"
    taken = [{"label": "D3 30", "nutrients": {"vitamin_d_ug": 30}}]
    profile = {**PREGNANT_ON_25, "current_supplements": taken}
    said = notice_texts(
        recommend(client, {"profile": profile, "basket": [{"sku": carted}]}, locale)
    )
    assert "already_covered:folic_acid_ug" not in said, said
    assert f"instead:{carted}" in said, said
    # what is taken alone is above it: no "without it you stay within it"
    out = TEXTS["notice_above_upper_limit_basket_out"][locale].split("{")[0]
    assert out not in said["intake_warning:vitamin_d_ug"], said["intake_warning:vitamin_d_ug"]
