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
    """README: 'Beside what your basket and the supplements you already take give, we have
    nothing else to suggest' (review 12 F20), for a toddler's cart too; the plain list with a
    basket and nothing taken names only the basket (review s8 Q7)."""
    cart = _notices(_post(client, {**F5_BODIES["cart"], "locale": "en"}))["no_items"]
    assert cart.startswith("Beside what your basket and the supplements you already take give")
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
