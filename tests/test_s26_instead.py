"""Review 23p #3 (session 26): what serves the need of a current supplement that does not suit
the person, in its place (service/core/instead.py).

A pregnant woman on a women's multivitamin with retinol was told to talk to her midwife and got
an empty list; only /refills named the pregnancy multivitamin. The list now names it in a
notice that says to stop the other first; never as an item, whose every guarantee is of the day
as it is (session 26: as an item, a vegetarian girl of 12 on 37.5 µg of a fish-oil vitamin D
was offered a 20 µg D3, above her 50 µg band beside it)."""

from __future__ import annotations

import pytest

from service.api.app import create_app


@pytest.fixture(scope="module")
def client():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0})
    return app.test_client(), app.extensions["dosewise"].snapshot


def _post(client, profile: dict, **extra) -> dict:
    response = client.post("/v1/recommendations", json={"profile": profile, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


PREGNANT_ON_WOMENS_MULTI = {
    "age": 31,
    "sex": "female",
    "country": "NL",
    "life_stage": "pregnant",
    "current_supplements": [{"sku": "XF-MULTI-WOMEN"}],
}
FISH_ALLERGY_75 = {
    "age": 75,
    "sex": "female",
    "country": "NL",
    "allergies": ["fish"],
    "current_supplements": [{"sku": "NV-D3-25-FISH-SG"}],
}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_pregnant_woman_on_a_retinol_multivitamin_is_told_what_suits_in_its_place(client, locale):
    c, snapshot = client
    body = _post(c, PREGNANT_ON_WOMENS_MULTI, locale=locale)
    codes = [n["code"] for n in body["notices"]]
    assert "instead:XF-MULTI-WOMEN" in codes, codes
    # right after the product's own notice, which says why it does not suit
    at = codes.index("instead:XF-MULTI-WOMEN")
    assert codes[at - 1] == "product_not_suited:XF-MULTI-WOMEN"
    text = body["notices"][at]["text"]
    catalog = snapshot.catalog
    pregnancy = catalog.products[catalog.index["XF-MULTI-PREGNANCY"]]
    womens = catalog.products[catalog.index["XF-MULTI-WOMEN"]]
    assert pregnancy.name[locale] in text and womens.name[locale] in text
    # not an item: both together give more zinc than the upper limit leaves room for
    assert all(item["sku"] != "XF-MULTI-PREGNANCY" for item in body["items"])
    zinc = body["intake"]["zinc_mg"]
    assert pregnancy.nutrients_per_day["zinc_mg"] > zinc["room"]


def test_the_named_product_suits_pregnancy(client):
    c, snapshot = client
    body = _post(c, PREGNANT_ON_WOMENS_MULTI, locale="en")
    catalog = snapshot.catalog
    notice = next(n for n in body["notices"] if n["code"].startswith("instead:"))
    named = [p for p in catalog.products if p.name["en"] in notice["text"]]
    replacement = [p for p in named if p.sku != "XF-MULTI-WOMEN"]
    assert replacement and all(p.pregnancy_suitable for p in replacement)
    assert all(p.nutrients_per_day.get("vitamin_a_ug", 0) == 0 for p in replacement)


def _instead(body: dict) -> dict:
    return next(n for n in body["notices"] if n["code"].startswith("instead:"))


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_fish_allergy_at_75_is_told_of_the_vitamin_d_that_suits_in_its_place(client, locale):
    c, snapshot = client
    body = _post(c, FISH_ALLERGY_75, locale=locale)
    notice = _instead(body)
    assert notice["code"] == "instead:NV-D3-25-FISH-SG"
    catalog = snapshot.catalog
    named = [p for p in catalog.products if p.name[locale] in notice["text"]]
    new = [p for p in named if p.sku != "NV-D3-25-FISH-SG"]
    assert new and all("fish" not in p.allergens for p in new)
    assert all(p.nutrients_per_day.get("vitamin_d_ug", 0) > 0 for p in new)
    # never an item, and no item gives vitamin D beside it
    assert all(item["nutrients_per_day"].get("vitamin_d_ug", 0) == 0 for item in body["items"])
    assert not any(r["code"].startswith("replaces:") for i in body["items"] for r in i["reasons"])


def test_the_items_dose_band_and_order_stay_those_of_the_day_as_it_is(client):
    """Session 26 CI (test_advice's oracle): as an item, the replacement was judged on the day
    without the unsuited product; a vegetarian girl of 12 taking 1.5 fish-oil softgels (37.5 µg)
    was offered a 20 µg D3, 57.5 µg against her 50 µg band beside it."""
    c, _ = client
    profile = {
        "age": 12,
        "country": "DE",
        "diet": "vegetarian",
        "current_supplements": [{"sku": "NV-D3-25-FISH-SG", "servings_per_day": 1.5}],
    }
    body = _post(c, profile, locale="nl", limit=1)
    assert all(item["nutrients_per_day"].get("vitamin_d_ug", 0) == 0 for item in body["items"])


def test_nothing_in_its_place_on_a_category_page_or_without_a_need(client):
    c, _ = client
    body = _post(c, FISH_ALLERGY_75, locale="en", category="vitamin_d")
    assert not any(n["code"].startswith("instead:") for n in body["notices"])
    # 35, no advice for vitamin D in NL and nothing asked for: nothing serves a need
    young = {**FISH_ALLERGY_75, "age": 35}
    body = _post(c, young, locale="en")
    assert not body["items"]
    assert not any(n["code"].startswith("instead:") for n in body["notices"])


def test_a_vegan_on_fish_oil_is_told_of_the_algae_oil_beside_the_rest(client):
    c, _ = client
    profile = {
        "age": 40,
        "sex": "male",
        "country": "NL",
        "diet": "vegan",
        "goals": ["heart"],
        "current_supplements": [{"sku": "XF-OMEGA3-1000-SG"}],
    }
    body = _post(c, profile, locale="en")
    assert _instead(body)["code"] == "instead:XF-OMEGA3-1000-SG"
    assert "GreenRoots" in _instead(body)["text"] or "Algae" in _instead(body)["text"]
    assert body["items"]  # the rest of the list stays (none gives omega-3)
    assert all(i["nutrients_per_day"].get("omega3_mg", 0) == 0 for i in body["items"])


B1_CASES = [
    # a doctor's 75 µg: the notice named a 75 µg D3 + K2, the item a 50 µg D3 (125 µg + food)
    {
        "profile": {
            "age": 62,
            "sex": "female",
            "medications": ["levothyroxine"],
            "higher_dose_advised": {"vitamin_d_ug": 75},
            "current_supplements": [{"sku": "VL-MULTI-WOMEN50"}],
        },
        "limit": 1,
    },
    # a vegan with the goal sport: the notice named calcium + magnesium (200 mg), the item
    # 125 mg magnesium (325 of 250 mg)
    {
        "profile": {
            "age": 61,
            "sex": "female",
            "diet": "vegan",
            "goals": ["sport"],
            "current_supplements": [{"sku": "BL-MULTI-AZ"}, {"sku": "GR-D3-20-SPRAY-VEGAN"}],
        },
        "limit": 1,
    },
    # pregnant in DE: the notice named the pregnancy multivitamin (10 µg), an item 20 µg drops
    {
        "profile": {
            "age": 40,
            "sex": "female",
            "life_stage": "pregnant",
            "country": "DE",
            "current_supplements": [{"sku": "BL-MULTI-AZ"}],
        },
        "limit": 2,
    },
]


@pytest.mark.parametrize("case", B1_CASES)
def test_b1_who_follows_the_instead_notice_stays_within_every_limit(client, case):
    """Review s26b B1 (unsafe): where the replacement is only a notice ("stop X before you
    start Y"), the list's items were chosen beside X: Y and an item together went past the
    vitamin D upper limit, the magnesium limit and the 25 µg of pregnancy. Now no item gives a
    nutrient Y gives, so the day of who follows the notice is X's day less X plus Y."""
    c, snapshot = client
    body = _post(c, case["profile"], locale="en", limit=case["limit"])
    notices = [n for n in body["notices"] if n["code"].startswith("instead:")]
    assert notices, body["notices"]
    catalog = snapshot.catalog
    old = catalog.products[catalog.index[notices[0]["code"].split(":", 1)[1]]]
    # one product, or more in place of a multivitamin (review s27 F1)
    new = [p for p in catalog.products if p.name["en"] in notices[0]["text"] and p.sku != old.sku]
    assert new, notices[0]["text"]
    gives = {k for p in new for k, v in p.nutrients_per_day.items() if v > 0}
    for item in body["items"]:
        shared = gives & {k for k, v in item["nutrients_per_day"].items() if v > 0}
        assert not shared, (item["sku"], [p.sku for p in new], shared)
    # and the day as the notice asks for it stays within each room the limits leave
    for key in gives:
        view = body["intake"].get(key)
        if view is None or view["room"] is None:
            continue
        after = sum(p.nutrients_per_day.get(key, 0) for p in new)
        after -= old.nutrients_per_day.get(key, 0)
        after += sum(i["nutrients_per_day"].get(key, 0) for i in body["items"])
        assert after <= view["room"] + 1e-9, (key, after, view)


@pytest.mark.parametrize("placement", ["home", "account"])
def test_b2_the_placements_on_the_profiles_list_name_the_replacement_too(client, placement):
    """Review s26b B2: `home` and `account` showed the empty list and "talk to your midwife"
    that review 23p #3 was about; they now name the replacement as the plain list does."""
    c, _ = client
    path, where = "/v1/recommendations", {"placement": placement}
    answer = c.post(path, json={"profile": FISH_ALLERGY_75, "locale": "en", **where}).get_json()
    assert answer["placement"] == placement
    assert _instead(answer)["code"] == "instead:NV-D3-25-FISH-SG", answer
    assert all(not i["nutrients_per_day"].get("vitamin_d_ug") for i in answer["items"])
    body = {"profile": PREGNANT_ON_WOMENS_MULTI, "locale": "nl", **where}
    answer = c.post(path, json=body).get_json()
    codes = [n["code"] for n in answer["notices"]]
    assert "instead:XF-MULTI-WOMEN" in codes, codes


FOLLOW_CASES = [
    # a breastfeeding girl of 15 on a kids' chew (10 µg) and a 75 µg D3, both unsuited: a
    # 20 µg D3 in the chew's place made 95 µg with the 75 (room 7)
    {
        "age": 15,
        "sex": "female",
        "life_stage": "breastfeeding",
        "country": "DE",
        "current_supplements": [{"sku": "KV-MULTI-KIDS-CHEW"}, {"sku": "GR-D3-75-VCAP"}],
    },
    {
        "age": 33,
        "sex": "female",
        "life_stage": "breastfeeding",
        "diet": "vegan",
        "current_supplements": [{"sku": "KV-MULTI-KIDS-CHEW"}, {"sku": "XF-D3K2-TAB"}],
    },
    # breastfeeding, vegan, soy allergy, cod-liver oil and a calcium + D3: 35 µg vitamin D
    {
        "age": 40,
        "sex": "female",
        "life_stage": "breastfeeding",
        "diet": "vegan",
        "allergies": ["soy"],
        "country": "DE",
        "current_supplements": [{"sku": "NV-COD-LIVER-OIL"}, {"sku": "XF-CAD3-500-10-TAB"}],
    },
]


@pytest.mark.parametrize("profile", FOLLOW_CASES)
def test_the_replacement_fits_beside_the_other_products_still_taken(client, profile):
    """A quick check of session 26: with two unsuited products taken, the replacement of the
    first was judged on the day without both, while the notice says to stop the first only."""
    c, snapshot = client
    body = _post(c, profile, locale="en")
    notices = [n for n in body["notices"] if n["code"].startswith("instead:")]
    catalog = snapshot.catalog
    taken = {line["sku"] for line in profile["current_supplements"]}
    for notice in notices:
        code = notice["code"].split(":", 1)[1]
        said = [p for p in catalog.products if p.name["en"] in notice["text"]]
        # what it says to stop: its own product, and any other product taken it names (s30b
        # F3); one product named, or more in place of a multivitamin (review s27 F1)
        old = [p for p in said if p.sku == code or p.sku in taken]
        new = [p for p in said if p not in old]
        assert new, notice["text"]
        for key in {k for p in new for k, v in p.nutrients_per_day.items() if v > 0}:
            view = body["intake"].get(key)
            if view is None or view["room"] is None:
                continue
            after = sum(p.nutrients_per_day.get(key, 0) for p in new)
            after -= sum(p.nutrients_per_day.get(key, 0) for p in old)
            assert after <= view["room"] + 1e-9, (key, after, view)
        vitamin_d = sum(p.nutrients_per_day.get("vitamin_d_ug", 0) for p in new)
        if vitamin_d > 0:  # at most 25 µg breastfeeding
            d = body["intake"]["vitamin_d_ug"]["current"] + vitamin_d
            d -= sum(p.nutrients_per_day.get("vitamin_d_ug", 0) for p in old)
            assert d <= 25 + 1e-9, (d, [p.sku for p in new])
