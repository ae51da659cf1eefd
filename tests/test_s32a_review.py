"""Review s32a (a pharmacist, /work/notes/review_s32a.md): F4, F6, F7, F8. F1-F3 (a doctor's
dose answered by a product for it) are tests/test_s32_doctor_adds.py."""

from __future__ import annotations

import pytest

from .conftest import notice_texts, recommend

BARIATRIC = {
    "age": 48,
    "sex": "female",
    "country": "NL",
    "medications": ["orlistat", "bile_acid_sequestrant"],
    "conditions": ["bariatric_surgery", "malabsorption"],
}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_bariatric_surgery_is_not_told_there_is_no_advice(client, locale):
    # F4: "you need supplements for life" and then "there is no advised daily amount from
    # supplements for your profile": the care team sets the amounts, the notice says so
    answer = recommend(client, {"profile": BARIATRIC, "limit": 5}, locale)
    texts = notice_texts(answer)
    plain = recommend(client, {"profile": {"age": 48, "sex": "female", "country": "NL"}}, locale)
    general = notice_texts(plain)["no_advice"]
    assert "interaction:bariatric-surgery" in texts
    assert texts["no_advice"] != general
    said = {"nl": "maagverkleining", "de": "Adipositas-Operation", "en": "bariatric surgery"}
    assert said[locale] in texts["no_advice"]


def test_without_the_surgery_the_general_no_advice_stays(client):
    profile = {**BARIATRIC, "conditions": ["malabsorption"]}
    texts = notice_texts(recommend(client, {"profile": profile, "limit": 5}))
    assert texts["no_advice"].startswith("For your profile there is no advised daily amount")


def test_a_list_cut_by_the_role_cap_says_so(client):
    # F6: 2 omega-3 items and "we show only products that meet a need", where a category page
    # shows 8 that do
    profile = {"age": 40, "sex": "male", "country": "NL", "higher_dose_advised": {}}
    profile["higher_dose_advised"]["omega3_mg"] = 1000
    answer = recommend(client, {"profile": profile, "limit": 6})
    assert len(answer["items"]) < 6
    text = notice_texts(answer)["short_list"]
    assert text.startswith("We show at most 2 products of one kind"), text
    page = recommend(client, {"profile": profile, "limit": 6, "category": "omega3"})
    assert len(page["items"]) > len(answer["items"])


def test_a_list_short_for_lack_of_needs_keeps_its_words(client):
    # a toddler in NL: the two kids' drops are all that meet her need, no cap cut the list
    answer = recommend(client, {"profile": {"age": 2, "country": "NL"}})
    assert 0 < len(answer["items"]) < 5
    text = notice_texts(answer)["short_list"]
    assert text.startswith("We show only products that meet a need"), text


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_one_claim_sentence_once_on_an_item(client, locale):
    # F7: the bones rule's "If you pay attention to your bones: vitamin D contributes to ..."
    # and then the claim "Vitamin D contributes to ..." again
    profile = {"age": 35, "sex": "female", "country": "NL", "goals": ["energy", "bones"]}
    body = {"profile": profile, "basket": [{"sku": "BL-CA-500-TAB"}], "limit": 6}
    answer = recommend(client, body, locale)
    (item,) = [i for i in answer["items"] if i["sku"] == "XF-D3K2-DROPS"]
    codes = [r["code"] for r in item["reasons"]]
    assert "rule:bones-d3-k2" in codes and "claim:vitamin_d_bones" not in codes, codes


def test_product_page_says_cheaper_only_at_a_comparable_dose(client):
    # F8: a 10 µg D3 "EUR 3.82 a month cheaper" beside the 100 µg on the page
    body = {
        "profile": {"age": 50, "country": "NL"},
        "placement": "product_page",
        "product_sku": "XF-D3-100-CAP",
        "limit": 4,
    }
    answer = recommend(client, body)
    assert answer["items"]
    for item in answer["items"]:
        codes = [r["code"] for r in item["reasons"]]
        assert "alternative:cheaper" not in codes, (item["sku"], codes)


def test_product_page_still_says_cheaper_at_the_same_dose(client):
    body = {"profile": {"age": 75, "country": "NL"}, "placement": "product_page"}
    body |= {"product_sku": "XF-D3-20-TAB", "limit": 6}
    answer = recommend(client, body)
    cheaper = [
        i["sku"]
        for i in answer["items"]
        if "alternative:cheaper" in [r["code"] for r in i["reasons"]]
    ]
    assert cheaper, [(i["sku"], [r["text"] for r in i["reasons"]]) for i in answer["items"]]
