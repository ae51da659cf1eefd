"""Review s31a (a pharmacist's and a hostile tester's read of the whole product,
/work/notes/review_s31a.md), reproduced through the API."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from service.core.errors import DataFileError
from service.core.recommender import Recommender

from .conftest import CATALOG, RULES, TODAY, dated_client, notice_texts, recommend, store_customer

TEXTS = yaml.safe_load((RULES / "reference" / "texts.yaml").read_text(encoding="utf-8"))["texts"]
LOCALES = ["nl", "de", "en"]
VKA = "vitamin_k_antagonist"


def _unsuited_ending(country: str, locale: str) -> str:
    """The sentence after "Does not suit your profile: X (why)." for a product a vitamin K
    antagonist keeps out, in `country`."""
    key = "notice_product_unsuited.vitamin-k-antagonist" + (".NL" if country == "NL" else "")
    return TEXTS[key][locale].split("). ", 1)[1]


@pytest.mark.parametrize("country", ["NL", "DE"])
@pytest.mark.parametrize("locale", LOCALES)
def test_f3_a_vitamin_k_product_taken_beside_a_vka_is_not_stopped_on_ones_own(
    client, country, locale
):
    """A man of 60 on a vitamin K antagonist takes 100 µg MK-7 and nothing is named in its
    place: "talk to your pharmacist or doctor before you go on taking it" framed stopping as
    free, while stopping it changes the INR as starting it does."""
    profile = {"age": 60, "sex": "male", "country": country, "medications": [VKA]}
    profile["current_supplements"] = [{"sku": "XF-K2-MK7-100-CAP"}]
    notices = notice_texts(recommend(client, {"profile": profile}, locale))
    text = notices["product_not_suited:XF-K2-MK7-100-CAP"]
    assert text.endswith(_unsuited_ending(country, locale)), text
    assert "INR" in notices["intake_warning:vitamin_k2_ug"]
    assert "trombosedienst" in text if country == "NL" else "trombosedienst" not in text


def test_f3_the_same_words_in_the_regimen_and_the_stored_customers_email(client, redis_url):
    body = {
        "profile": {
            "age": 70,
            "sex": "female",
            "country": "NL",
            "medications": [VKA, "levothyroxine"],
            "conditions": ["osteoporosis"],
            "current_supplements": [{"sku": "XF-MULTI-50PLUS"}],
        },
        "max_products": 3,
        "locale": "nl",
    }
    regimen = client.post("/v1/regimens", json=body).get_json()
    text = notice_texts(regimen)["product_not_suited:XF-MULTI-50PLUS"]
    assert _unsuited_ending("NL", "nl").split(",")[0] in text, text
    stored = dated_client(redis_url, dt.date(2026, 12, 5))
    profile = {"age": 66, "sex": "male", "country": "DE", "medications": [VKA]}
    store_customer(stored, "s31a-f3", profile, {"XF-K2-MK7-100-CAP": "2026-10-01"})
    for placement in ("email", "home"):
        query = {"locale": "de", "placement": placement}
        answer = stored.get("/v1/customers/s31a-f3/recommendations", query_string=query)
        text = notice_texts(answer.get_json())["product_not_suited:XF-K2-MK7-100-CAP"]
        assert text.endswith(_unsuited_ending("DE", "de")), text


def test_f3_other_unsuited_products_keep_the_common_words(client):
    """A fish allergy is no medicine: "talk to your pharmacist or doctor" stays."""
    profile = {"age": 40, "country": "DE", "allergies": ["fish"]}
    profile["current_supplements"] = [{"sku": "XF-OMEGA3-D3-SG"}]
    answer = recommend(client, {"profile": profile})
    text = notice_texts(answer)["product_not_suited:XF-OMEGA3-D3-SG"]
    assert TEXTS["notice_product_unsuited"]["en"].split("). ", 1)[1] in text, text


INTERACTIONS = yaml.safe_load(
    (RULES / "reference" / "interactions.yaml").read_text(encoding="utf-8")
)["interactions"]


def _interaction_text(ident: str, country: str, locale: str) -> str:
    (entry,) = [i for i in INTERACTIONS if i["id"] == ident]
    return entry.get("markets", {}).get(country, entry)["text"][locale]


PREGNANT = {"age": 24, "sex": "female", "life_stage": "pregnant"}
PLANNING = {"age": 30, "sex": "female", "goals": ["pregnancy"]}


@pytest.mark.parametrize(
    ("medicine", "ident", "stage"),
    [
        ("oral_retinoid", "retinoid-pregnancy", PREGNANT),
        ("oral_retinoid", "retinoid-pregnancy", PLANNING),
        ("oral_retinoid", "retinoid-pregnancy", {**PREGNANT, "life_stage": "breastfeeding"}),
        (VKA, "vitamin-k-antagonist-pregnancy", PREGNANT),
        (VKA, "vitamin-k-antagonist-pregnancy", PLANNING),
        ("anticonvulsant", "anticonvulsant-pregnancy", PREGNANT),
        ("anticonvulsant", "anticonvulsant-pregnancy", PLANNING),
    ],
)
@pytest.mark.parametrize("country", ["NL", "DE"])
def test_f1_f2_a_medicine_that_pregnancy_changes_is_said_first(
    client, medicine, ident, stage, country
):
    """A pregnant woman on isotretinoin, a vitamin K antagonist or an anti-epileptic got the
    usual pregnancy list with no word that the medicine must not be used in pregnancy (or
    that a higher folic acid dose is usually advised with it): the notice now leads."""
    profile = {**stage, "country": country, "medications": [medicine]}
    for locale in LOCALES:
        answer = recommend(client, {"profile": profile}, locale)
        first = answer["notices"][0]
        assert first["code"] == f"interaction:{ident}", answer["notices"]
        assert first["text"] == _interaction_text(ident, country, locale)


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 24, "sex": "female", "medications": ["oral_retinoid"]},
        {"age": 60, "sex": "male", "goals": ["pregnancy"], "medications": [VKA]},
        {"age": 30, "sex": "female", "life_stage": "breastfeeding", "medications": [VKA]},
        {
            "age": 30,
            "sex": "female",
            "life_stage": "breastfeeding",
            "medications": ["anticonvulsant"],
        },
    ],
)
def test_f1_f2_not_said_outside_those_life_stages(client, profile):
    codes = [n["code"] for n in recommend(client, {"profile": profile})["notices"]]
    assert not [c for c in codes if c.endswith("-pregnancy")], codes


def test_f2_the_regimen_and_the_intake_check_say_it_too(client):
    profile = {**PREGNANT, "country": "NL", "medications": ["anticonvulsant"]}
    body = {"profile": profile, "locale": "en", "max_products": 3}
    regimen = client.post("/v1/regimens", json=body).get_json()
    assert regimen["notices"][0]["code"] == "interaction:anticonvulsant-pregnancy"
    check = client.post("/v1/intake/check", json={"profile": profile, "locale": "en"}).get_json()
    assert "interaction:anticonvulsant-pregnancy" in [n["code"] for n in check["notices"]]


@pytest.mark.parametrize("age", [1, 3, 8])
def test_f6_a_vegan_childs_regimen_says_what_the_list_says_of_vitamin_b12(client, age):
    """A vegan toddler's regimen marked B12 `missed` without the list's notice that a vegan
    child needs vitamin B12 and whom to ask (a known cause of serious harm)."""
    profile = {"age": age, "country": "DE", "diet": "vegan"}
    for locale in LOCALES:
        listed = notice_texts(recommend(client, {"profile": profile}, locale))
        body = {"profile": profile, "max_products": 3, "locale": locale}
        regimen = notice_texts(client.post("/v1/regimens", json=body).get_json())
        code = "diet_child:vegan-child-vitamin-b12"
        assert regimen[code] == listed[code]


MAXIMA = yaml.safe_load((RULES / "reference" / "product_maxima.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("nutrient", ["vitamin_k2_ug", "vitamin_k1_ug"])
def test_f4_a_doctors_dose_of_a_medicine_gets_nothing_towards_it(client, nutrient):
    """A doctor's 45 mg of vitamin K2 (MK-4, a prescription medicine) was answered with 50 µg
    MK-7 drops "towards" it and "ask how to take the rest of the dose"."""
    above = MAXIMA["medicine_above"][nutrient]["amount"]
    profile = {"age": 40, "higher_dose_advised": {nutrient: above * 45}}
    for locale in LOCALES:
        answer = recommend(client, {"profile": profile}, locale)
        assert not [i for i in answer["items"] if i["nutrients_per_day"].get(nutrient)]
        notices = notice_texts(answer)
        assert f"doctor_dose_short:{nutrient}" not in notices
        opening = TEXTS["notice_doctor_dose_medicine"][locale].split("{nutrient}")[-1][:40]
        assert opening in notices[f"doctor_dose_capped:{nutrient}"]
        body = {"profile": profile, "locale": locale}
        regimen = client.post("/v1/regimens", json=body).get_json()
        assert not [line for line in regimen["lines"] if line["nutrients_per_day"].get(nutrient)]
        assert f"doctor_dose_capped:{nutrient}" in notice_texts(regimen)


def test_f4_a_doctors_dose_a_supplement_gives_is_still_served(client):
    profile = {"age": 40, "higher_dose_advised": {"vitamin_k2_ug": 180}}
    answer = recommend(client, {"profile": profile})
    assert [i for i in answer["items"] if i["nutrients_per_day"].get("vitamin_k2_ug")]
    assert not [n for n in answer["notices"] if n["code"].startswith("doctor_dose_capped")]


@pytest.mark.parametrize("locale", LOCALES)
def test_f5_the_basket_product_that_makes_the_excess_is_named_to_take_out(client, locale):
    """A man's multivitamin (20 µg vitamin D) with a 75 µg D3 + K2 in the basket: 104 µg with
    food, above the 100 µg limit. "Talk to your doctor or pharmacist" about a product not
    bought yet; the basket line it is, and taking it out keeps him within the limit."""
    profile = {"age": 45, "sex": "male", "country": "NL"}
    profile["current_supplements"] = [{"sku": "XF-MULTI-MEN"}]
    body = {"profile": profile, "basket": [{"sku": "XF-D3K2-TAB"}]}
    answer = recommend(client, body, locale)
    products = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))["products"]
    (name,) = [p["name"][locale] for p in products if p["sku"] == "XF-D3K2-TAB"]
    text = notice_texts(answer)["above_upper_limit:vitamin_d_ug"]
    out = TEXTS["notice_above_upper_limit_basket_out"][locale].format(products=name)
    assert text.endswith(" " + out), text


def test_f5_not_said_where_what_is_taken_alone_is_above_the_limit(client):
    profile = {"age": 45, "sex": "male", "country": "NL"}
    profile["current_supplements"] = [{"sku": "XF-D3K2-TAB"}, {"sku": "XF-MULTI-MEN"}]
    body = {"profile": profile, "basket": [{"sku": "XF-D3-20-TAB"}]}
    text = notice_texts(recommend(client, body))["above_upper_limit:vitamin_d_ug"]
    assert "out of your basket" not in text, text


@pytest.mark.parametrize("interaction_id", ["vitamin-k-antagonist", "oral-retinoid"])
def test_a_contract_exclusion_narrowed_to_a_life_stage_is_refused(data_copy, interaction_id):
    """Session 31's `trigger.life_stage` must not let a rule edit keep guarantee 2 or 6 for
    pregnancy only: an exclusion the contract promises, held only in a life stage, covers no
    one else, and the loader refuses the file (guarantee_not_covered)."""
    path = data_copy.reference_dir / "interactions.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in document["interactions"]:
        if item["id"] == interaction_id:
            item["trigger"]["life_stage"] = ["pregnant"]
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(DataFileError) as refused:
        Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    assert any(f.code == "guarantee_not_covered" for f in refused.value.findings)
