"""Review s30b (a pharmacist's and a hostile tester's read of session 30's own changes,
/work/notes/review_s30b.md), F1-F6, reproduced through the API."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from .conftest import RULES, dated_client, recommend, store_customer

REFERENCE = yaml.safe_load((RULES / "reference" / "texts.yaml").read_text(encoding="utf-8"))
TEXTS = REFERENCE["texts"]
REFILLS = yaml.safe_load((RULES / "refills.yaml").read_text(encoding="utf-8"))["texts"]
# dark skin: the Gezondheidsraad's vitamin D advice calls for his D3, so it is reordered at all
# (review s34a F2: a child's product nothing calls for is not)
BOY = {"age": 12, "sex": "male", "country": "NL", "skin_type": 6}
LOCALES = ["nl", "de", "en"]


def _stored(redis_url, day: dt.date):
    return dated_client(redis_url, day)


def _notices(answer: dict) -> dict[str, str]:
    return {n["code"]: n["text"] for n in answer["notices"]}


@pytest.mark.parametrize("locale", LOCALES)
def test_f1_no_within_that_amount_beside_a_product_that_lasts_and_no_longer_fits(redis_url, locale):
    """A boy of 12: a 20 µg D3 reordered while a fish-oil D3 + K2 (25 µg, the children's
    vitamin K rule) lasts until March: 45 µg a day against at most 37.5. Not "with what you
    still take then, you stay within that amount", but once he stops the D3 + K2."""
    client = _stored(redis_url, dt.date(2026, 12, 5))
    bought = {"GR-D3-20-TAB": "2026-08-09", "NV-D3K2-FISH-SG": "2026-11-30"}
    store_customer(client, "s30b-1", BOY, bought)
    query = {"locale": locale}
    body = client.get("/v1/customers/s30b-1/refills", query_string=query).get_json()
    assert [i["sku"] for i in body["reorder"]["items"]] == ["GR-D3-20-TAB"]
    warning = _notices(body)["intake_warning:vitamin_d_ug"]
    assert REFILLS["notice_warning_reorder"][locale] not in warning, warning
    (entry,) = [e for e in body["refills"] if e["sku"] == "NV-D3K2-FISH-SG"]
    unfit = REFILLS["notice_warning_reorder_unfit"][locale].format(products=entry["name"])
    assert warning.endswith(" " + unfit), warning


def test_f2_refills_do_not_replace_a_childs_calcium_d3_by_drops_without_its_calcium(redis_url):
    """A boy of 10 in DE with a doctor's 500 mg calcium: his calcium + D3 chew runs out. The
    drops named in its place would not say that his calcium is lost: /refills leaves it out
    with "ask your pharmacist", as before session 30."""
    client = _stored(redis_url, dt.date(2026, 12, 5))
    profile = {"age": 10, "sex": "male", "country": "DE"}
    profile["higher_dose_advised"] = {"calcium_mg": 500}
    store_customer(client, "s30b-2", profile, {"BL-CAD3-CHEW": "2026-10-10"})
    body = client.get("/v1/customers/s30b-2/refills?locale=en").get_json()
    assert body["reorder"]["items"] == []
    assert [e["sku"] for e in body["reorder"]["left_out"]] == ["BL-CAD3-CHEW"]


@pytest.mark.parametrize(
    "other", ["XF-OMEGA3-D3-SG", "XF-D3-25-SG"], ids=["omega3-d", "d3-softgel"]
)
def test_f3_a_toddler_is_told_to_stop_both_vitamin_d_products(client, other):
    profile = {"age": 2, "country": "NL"}
    profile["current_supplements"] = [{"sku": "GR-CAD3-VEGAN-TAB"}, {"sku": other}]
    notices = _notices(recommend(client, {"profile": profile}))
    (text,) = [t for code, t in notices.items() if code.startswith("instead:")]
    assert "Kids Drops" in text
    stop = text.split("we suggest", 1)[1]
    assert "GreenRoots Vegan Calcium + Vitamin D3 Tablets" in stop, text


def test_f4_no_switch_words_of_a_vitamin_k_product_only_in_the_basket(client):
    profile = {"age": 72, "sex": "female", "country": "NL", "diet": "vegan"}
    profile |= {"medications": ["vitamin_k_antagonist"]}
    profile["current_supplements"] = [{"sku": "XF-D3-20-TAB"}]
    answer = recommend(client, {"profile": profile, "basket": [{"sku": "BL-D3K2-TAB"}]})
    text = _notices(answer)["instead:XF-D3-20-TAB"]
    assert "BasisLijn Vitamin D3 + K2 Tablets" in text  # named, out of the basket
    for key, value in TEXTS.items():
        if key.startswith("notice_instead_switch"):
            assert value["en"] not in text, text


@pytest.mark.parametrize("locale", LOCALES)
def test_f5_no_medication_is_invented_beside_an_allergen(client, locale):
    profile = {"age": 75, "sex": "male", "country": "NL", "allergies": ["soy"]}
    profile["current_supplements"] = [{"sku": "XF-D3-20-TAB"}, {"sku": "VL-K2-MK7-75-SG"}]
    notices = _notices(recommend(client, {"profile": profile}, locale))
    assert "product_not_suited:VL-K2-MK7-75-SG" in notices
    assert notices["no_items"] == TEXTS["notice_no_items_covered"][locale]


def test_f6_the_range_is_of_what_we_can_suggest_not_of_what_suits(client):
    """An 800 mg calcium + D3 + K2 suits her profile; the K2 she takes keeps it out."""
    profile = {"age": 69, "sex": "female", "sun_exposure": "low", "country": "NL"}
    profile |= {"serum_25ohd_nmol_l": 10}
    profile["higher_dose_advised"] = {"vitamin_k2_ug": 45, "calcium_mg": 1000}
    profile["current_supplements"] = [
        {"sku": "VL-D3K2-25-100-SG", "servings_per_day": 1},
        {"sku": "XF-SELENIUM-55-TAB"},
    ]
    body = {"profile": profile, "basket": [{"sku": "VL-VITE-134-SG"}]}
    text = _notices(recommend(client, body))["doctor_dose_short:calcium_mg"]
    between = TEXTS["doctor_short_between"]["en"]
    assert between.split("{")[0] in text, text
    assert "that suit your profile gives between" not in text
