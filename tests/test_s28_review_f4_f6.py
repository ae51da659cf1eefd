"""Review s28 (pharmacist and hostile tester), findings F4 to F6.

F4: a boy of 15 in DE with a doctor's 25 µg vitamin D: each item quoted both "your doctor
advised 25 µg" and the DGE rule's "20 µg" (the D3 + K2 offered to him is left open: an
exclusion rule that needs a doctor's dose matches none of the lint's sample profiles).
F5: a toddler whose 10 µg drops (taken or in the basket) cover the vitamin D advice was told
that no product safely fits, although nothing was unsafe. F6: "Your ... Tablets is expected to
run out", "..., ... Tablets suits your profile": singular verbs with plural product names, in
all three locales.
"""

from __future__ import annotations

import pytest

from service.api.app import create_app

from .conftest import memory_app, store_customer
from .oracle import PRODUCTS

LOCALES = ["nl", "de", "en"]


@pytest.fixture(scope="module")
def client():
    return create_app({"TESTING": True, "RELOAD_INTERVAL": 0}).test_client()


def _post(client, body: dict) -> dict:
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.data
    return response.get_json()


def _notices(answer: dict) -> dict[str, str]:
    return {n["code"]: n["text"] for n in answer["notices"]}


# ---------------------------------------------------------------- F4
@pytest.mark.parametrize("age", [15, 40])
def test_f4_the_dge_rule_is_not_quoted_beside_a_doctors_vitamin_d_dose(client, age):
    profile = {"age": age, "sex": "male", "country": "DE", "sun_exposure": "low"}
    doctor = {**profile, "higher_dose_advised": {"vitamin_d_ug": 25}}
    answer = _post(client, {"profile": doctor, "locale": "en"})
    codes = [r["code"] for item in answer["items"] for r in item["reasons"]]
    assert "fills_gap:vitamin_d_ug" in codes, codes
    assert "rule:de-dge-vitamin-d-20" not in codes, codes
    # without the doctor's dose the DGE's 20 µg is still quoted
    plain = _post(client, {"profile": profile, "locale": "en"})
    codes = [r["code"] for item in plain["items"] for r in item["reasons"]]
    assert "rule:de-dge-vitamin-d-20" in codes, codes


# ---------------------------------------------------------------- F5
DROPS = "GR-D3-KIDS-DROPS-VEGAN"  # 10 µg vitamin D a day
TODDLER = {"age": 2, "country": "NL"}
SAFELY = {"en": "safely", "nl": "veilig", "de": "sicher"}
BESIDE = {"en": "Beside what", "nl": "Naast wat", "de": "Neben dem, was"}
F5_BODIES = {
    "taken": {"profile": {**TODDLER, "current_supplements": [{"sku": DROPS}]}},
    "taken_home": {
        "profile": {**TODDLER, "current_supplements": [{"sku": DROPS}]},
        "placement": "home",
    },
    "basket": {"profile": TODDLER, "basket": [{"sku": DROPS}]},
    "cart": {"profile": TODDLER, "basket": [{"sku": DROPS}], "placement": "cart"},
    "checkout": {"profile": TODDLER, "basket": [{"sku": DROPS}], "placement": "checkout"},
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("case", F5_BODIES)
def test_f5_a_toddler_whose_need_is_covered_is_not_told_nothing_safely_fits(client, case, locale):
    answer = _post(client, {**F5_BODIES[case], "locale": locale})
    assert answer["items"] == []
    notices = _notices(answer)
    assert "already_covered:vitamin_d_ug" in notices, notices
    text = notices["no_items"]
    assert SAFELY[locale] not in text, text
    assert text.startswith(BESIDE[locale]), text


def test_f5_the_cart_keeps_its_promised_words(client):
    """README: 'Beside what your basket gives, we have nothing else to suggest' (review 12
    F20) for a toddler's cart that takes nothing (session 30: not "and the supplements you
    already take"); the plain list with a basket and nothing taken names only the basket too
    (review s8 Q7)."""
    cart = _notices(_post(client, {**F5_BODIES["cart"], "locale": "en"}))["no_items"]
    assert cart.startswith("Beside what your basket gives, we have nothing else"), cart
    plain = _notices(_post(client, {**F5_BODIES["basket"], "locale": "en"}))["no_items"]
    assert plain.startswith("Beside what your basket gives"), plain
    taken = _notices(_post(client, {**F5_BODIES["taken"], "locale": "en"}))["no_items"]
    assert taken.startswith("Beside what you already take"), taken


@pytest.mark.parametrize(
    "taken",
    [
        [{"sku": DROPS, "servings_per_day": 5}],  # 50 µg: above the limit with food
        # vitamin D covered, zinc above the toddler's limit: still nothing safely fits
        [{"label": "zinc and D", "nutrients": {"vitamin_d_ug": 10, "zinc_mg": 10}}],
    ],
)
@pytest.mark.parametrize("locale", LOCALES)
def test_f5_where_nothing_safely_fits_the_list_still_says_so(client, taken, locale):
    profile = {**TODDLER, "current_supplements": taken}
    answer = _post(client, {"profile": profile, "locale": locale})
    assert answer["items"] == []
    text = _notices(answer)["no_items"]
    assert SAFELY[locale] in text, text


# ---------------------------------------------------------------- F6
PLURAL = {"en": "Tablets", "nl": "Tabletten", "de": "Tabletten"}
POSSESSIVE = {"en": "Your", "nl": "Je", "de": "Ihr"}
SUPPLY = {"en": "Your supply of", "nl": "Je voorraad", "de": "Ihr Vorrat an"}
SUITS = {
    "en": ("{product} suits",),
    "nl": ("past {product}", "{product} past"),
    "de": ("passt {product}", "{product} passt"),
}


@pytest.mark.parametrize("bought", ["2026-08-01", "2026-07-25"])  # runs out 11-29, ran out 11-22
@pytest.mark.parametrize("locale", LOCALES)
def test_f6_the_refill_reason_agrees_with_a_plural_product_name(bought, locale):
    client = memory_app().test_client()
    name = f"s28_f6_{bought}"
    store_customer(
        client, name, {"age": 55, "sex": "female", "country": "NL"}, {"XF-D3-20-TAB": bought}
    )
    body = client.get(f"/v1/customers/{name}/refills", query_string={"locale": locale}).get_json()
    product = PRODUCTS["XF-D3-20-TAB"]["name"][locale]
    assert product.endswith(PLURAL[locale])
    reasons = [r["text"] for item in body["reorder"]["items"] for r in item["reasons"]]
    texts = [t for t in reasons if product in t]
    assert texts, reasons
    for text in texts:
        # the supply is the subject ("Your ... Tablets is expected" before)
        assert f"{POSSESSIVE[locale]} {product}" not in text, text
        assert f"{SUPPLY[locale]} {product}" in text, text


@pytest.mark.parametrize("locale", LOCALES)
def test_f6_the_instead_notice_agrees_with_a_plural_product_name(client, locale):
    profile = {
        "age": 75,
        "sex": "female",
        "country": "NL",
        "diet": "vegan",
        "current_supplements": [{"sku": "XF-D3-10-TAB"}],
    }
    notices = _notices(_post(client, {"profile": profile, "locale": locale}))
    text = notices["instead:XF-D3-10-TAB"]
    named = [s for s, p in PRODUCTS.items() if p["name"][locale] in text and s != "XF-D3-10-TAB"]
    assert named, text
    for sku in named:
        product = PRODUCTS[sku]["name"][locale]
        assert product.endswith(PLURAL[locale]), product
        # "... Tablets suits", "past ... Tabletten", "passt ... Tabletten" before
        for wrong in SUITS[locale]:
            assert wrong.format(product=product) not in text, text
