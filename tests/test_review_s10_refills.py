"""Review 9b findings 3, 5 and 6 (a pharmacist's eye, clock 2026-11-28), on stored customers
with purchase events, through GET /v1/customers/{id}/refills:

- F3: "with what you take besides it, you already get enough vitamin D" only counts sources
  the customer will still take and that still fit (not a fish-oil D3 for a vegan or with a
  fish allergy, not a D3 + K2 with a vitamin K antagonist); two supplies still lasting are not
  each called enough beside the other;
- F5: a product taken at more servings a day than its label says gets reasons that are true
  together: its own extra servings are not "what you take besides it";
- F6: a fish oil that no longer fits is replaced only by a product that serves its own need
  (omega-3), never by one chosen for a nutrient it did not give (an algae omega-3 with vitamin
  D for the vitamin D advice), and the replacement prefers the one that adds nothing.

Expectations are worked out here from the catalog (tests/oracle.py), never from the service.
"""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import memory_app, store_customer
from .oracle import PRODUCTS, per_day

TODAY = dt.date(2026, 11, 28)  # memory_app's clock
LOCALES = ["nl", "de", "en"]
NL_WOMAN_55 = {"age": 55, "sex": "female", "country": "NL"}  # advised 10 µg vitamin D (NL)


def _runs_out(sku: str, bought: str, servings: float | None = None) -> dt.date:
    """One pack bought on `bought`, taken at `servings` a day (the label's by default)."""
    product = PRODUCTS[sku]
    days = int(product["pack_size"] // (servings or product["servings_per_day"]))
    return dt.date.fromisoformat(bought) + dt.timedelta(days=days)


def _refills(name: str, profile: dict, purchases: dict[str, str], locale: str) -> dict:
    client = memory_app().test_client()
    store_customer(client, name, profile, purchases)
    response = client.get(f"/v1/customers/{name}/refills", query_string={"locale": locale})
    assert response.status_code == 200, response.data
    return response.get_json()


def _left_out(body: dict) -> dict[str, dict]:
    return {x["sku"]: x for x in (body["reorder"] or {"left_out": []})["left_out"]}


def _items(body: dict) -> dict[str, dict]:
    return {x["for_sku"]: x for x in (body["reorder"] or {"items": []})["items"]}


# ---------------------------------------------------------------- finding 3
# the due vitamin D and a lasting vitamin D source that no longer fits the profile
F3_CASES = {
    "vegan": ({**NL_WOMAN_55, "diet": "vegan"}, "GR-D3-20-TAB", "NV-D3-25-FISH-SG"),
    "fish_allergy": ({**NL_WOMAN_55, "allergies": ["fish"]}, "XF-D3-20-TAB", "NV-D3-25-FISH-SG"),
    "vka": (
        {**NL_WOMAN_55, "medications": ["vitamin_k_antagonist"]},
        "XF-D3-20-TAB",
        "XF-D3K2-DROPS",
    ),
    # the women's multivitamin is not for pregnancy: no reason to leave the 10 µg D3 out
    "pregnant": (
        {"age": 30, "sex": "female", "country": "NL", "life_stage": "pregnant"},
        "XF-D3-10-TAB",
        "XF-MULTI-WOMEN",
    ),
}


def _bought_to_run_out(sku: str, day: dt.date) -> str:
    """The day one pack bought runs out on `day` at the label's servings."""
    product = PRODUCTS[sku]
    return (
        day - dt.timedelta(days=product["pack_size"] // product["servings_per_day"])
    ).isoformat()


@pytest.mark.parametrize("case", sorted(F3_CASES))
@pytest.mark.parametrize("locale", LOCALES)
def test_f3_a_source_that_no_longer_fits_is_not_enough_vitamin_d(case, locale):
    """The vegan D3 runs out on 12-03; the fish-oil D3 bought 11-15 lasts until 03-15 but is
    not vegan (not for a fish allergy; the D3 + K2 not with a vitamin K antagonist; the
    women's multivitamin not in pregnancy). The answer says it no longer fits; so it cannot
    be the 'enough vitamin D' (nor the reason) that leaves the fitting D3 out: that one is
    reordered."""
    profile, due, unfit = F3_CASES[case]
    purchases = {due: _bought_to_run_out(due, dt.date(2026, 12, 3)), unfit: "2026-11-15"}
    assert _runs_out(unfit, "2026-11-15") > dt.date(2027, 1, 1)
    body = _refills(f"f3_{case}", profile, purchases, locale)
    listed = {r["sku"]: r for r in body["refills"]}
    assert listed[unfit]["fits"] is False, listed[unfit]
    assert due not in _left_out(body), _left_out(body).get(due)
    assert _items(body)[due]["sku"] == due, _items(body)


@pytest.mark.parametrize("locale", LOCALES)
def test_f3_two_lasting_supplies_are_not_each_enough_beside_the_other(locale):
    """The 20 µg D3 runs out on 12-03 (due), the 25 µg on 12-14 (one day past the combined
    reorder): the answer may leave one of them out as covered by the other, but never call
    each of them 'already enough' beside the other (then neither is taken)."""
    purchases = {"XF-D3-20-TAB": "2026-08-05", "XF-D3-25-SG": "2026-08-16"}
    assert _runs_out("XF-D3-25-SG", "2026-08-16") == dt.date(2026, 12, 14)
    body = _refills("f3_two", NL_WOMAN_55, purchases, locale)
    covered = {
        r["sku"]
        for r in body["refills"]
        if any(w["code"] == "already_covered" for w in r.get("why", []))
    }
    assert covered != set(purchases), body["refills"]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_lasting_product_that_no_longer_fits_says_what_serves_its_need_instead(locale):
    """The vegan's fish-oil D3 lasts until 03-15 and no longer fits her diet; nothing else
    gives her vitamin D. Its entry names a vegan vitamin D that adds nothing the fish-oil D3
    did not give, and says what it replaces."""
    sku = "NV-D3-25-FISH-SG"
    profile = {**NL_WOMAN_55, "diet": "vegan"}
    body = _refills("lasting_unfit", profile, {sku: "2026-11-15"}, locale)
    (entry,) = body["refills"]
    assert entry["fits"] is False and [w["code"] for w in entry["why"]] == ["diet"]
    instead = entry["instead"]
    product = PRODUCTS[instead["sku"]]
    assert product["vegan"] and not product["allergens"], product
    assert _gives(instead["sku"]) == _gives(sku) == {"vitamin_d_ug"}
    codes = [r["code"] for r in instead["reasons"]]
    assert codes[0] == "replaces" and len(codes) > 1, codes
    assert PRODUCTS[sku]["name"][locale] in instead["reasons"][0]["text"]


@pytest.mark.parametrize("locale", LOCALES)
def test_no_lasting_replacement_next_to_a_reorder_of_the_same_nutrient(locale):
    """F3's vegan: the vegan D3 is reordered; the fish-oil D3 no longer fits but needs no
    second vitamin D named instead of it."""
    profile, due, unfit = F3_CASES["vegan"]
    purchases = {due: _bought_to_run_out(due, dt.date(2026, 12, 3)), unfit: "2026-11-15"}
    body = _refills("lasting_unfit_reorder", profile, purchases, locale)
    entry = next(r for r in body["refills"] if r["sku"] == unfit)
    assert entry["fits"] is False and "instead" not in entry, entry


# ---------------------------------------------------------------- finding 5
F5_CASES = {
    # 4 x 100 µg D3 a day, the only product: above the limit by itself
    "d3_100x4": ({"age": 40, "sex": "female", "country": "NL"}, "XF-D3-100-CAP", 4),
    # 4 x (500 mg calcium + 10 µg D3)
    "cad3x4": ({"age": 40, "sex": "female", "country": "NL"}, "XF-CAD3-500-10-TAB", 4),
    # pregnant, 4 x 10 µg D3 with calcium: 40 µg, its own dose above the 25 µg maximum
    "cad3x4_pregnant": (
        {"age": 30, "sex": "female", "country": "NL", "life_stage": "pregnant"},
        "XF-CAD3-500-10-TAB",
        4,
    ),
    "men_multi_x4": ({"age": 40, "sex": "female", "country": "NL"}, "XF-MULTI-MEN", 4),
}
# why codes that say something else is taken besides the product
BESIDES = ("already_covered", "life_stage_maximum_total", "upper_limit", "upper_limit_taken_food")


@pytest.mark.parametrize("case", sorted(F5_CASES))
@pytest.mark.parametrize("locale", LOCALES)
def test_f5_more_servings_than_the_label_are_not_something_taken_besides(case, locale):
    """The customer takes only this product, at more servings a day than the label says (the
    profile's current supplements): no reason of the left-out product speaks of what is taken
    besides it (nothing is), and none says 'enough' next to 'your only source'."""
    base, sku, servings = F5_CASES[case]
    profile = {**base, "current_supplements": [{"sku": sku, "servings_per_day": servings}]}
    body = _refills(f"f5_{case}", profile, {sku: "2026-11-20"}, locale)
    assert _runs_out(sku, "2026-11-20", servings) <= TODAY + dt.timedelta(days=14)
    left = _left_out(body)[sku]
    codes = [w["code"] for w in left["why"]]
    assert codes, left
    assert not set(codes) & set(BESIDES), left["why"]
    assert not any(c.startswith("besides_") for c in codes), left["why"]


def test_f5_its_own_dose_at_the_servings_taken_is_above_the_pregnancy_maximum():
    """4 x 10 µg is 40 µg of vitamin D a day from the product alone: its own daily dose is
    above the 25 µg pregnancy maximum (not 'together with what you take besides it')."""
    base, sku, servings = F5_CASES["cad3x4_pregnant"]
    assert per_day(PRODUCTS[sku], servings)["vitamin_d_ug"] == 40
    profile = {**base, "current_supplements": [{"sku": sku, "servings_per_day": servings}]}
    body = _refills("f5_own", profile, {sku: "2026-11-20"}, "en")
    codes = [w["code"] for w in _left_out(body)[sku]["why"]]
    assert "life_stage_maximum" in codes, codes


# ---------------------------------------------------------------- finding 6
OMEGA3_ONLY = {"omega3_mg"}


def _gives(sku: str) -> set[str]:
    return {k for k, v in per_day(PRODUCTS[sku]).items() if v > 0}


@pytest.mark.parametrize(
    "profile",
    [
        {**NL_WOMAN_55, "diet": "vegan"},
        {**NL_WOMAN_55, "diet": "vegetarian"},
        {**NL_WOMAN_55, "allergies": ["fish"]},
        {"age": 75, "sex": "male", "country": "DE", "diet": "vegan"},
        {"age": 30, "sex": "female", "country": "NL", "diet": "vegan", "sun_exposure": "low"},
        {**NL_WOMAN_55, "diet": "vegan", "goals": ["immunity"]},  # a vitamin D claim's goal
    ],
    ids=["vegan", "vegetarian", "fish_allergy", "vegan_75_de", "vegan_low_sun", "immunity"],
)
@pytest.mark.parametrize("locale", LOCALES)
def test_f6_the_fish_oil_is_not_replaced_for_the_vitamin_d_it_did_not_give(profile, locale):
    """The fish oil (omega-3 only) runs out on 11-29 and no longer fits. Nothing in these
    profiles calls for omega-3, but each has a vitamin D advice: an algae omega-3 with 12.5
    µg vitamin D is no replacement of the fish oil (it would be chosen for the vitamin D,
    which the reorder did not ask for; nor for the immunity goal, which a vitamin D claim
    serves). The fish oil is left out as not called for; a replacement, if any, gives nothing
    the fish oil did not."""
    sku = "OP-FISH-OIL-LIQUID"
    assert _gives(sku) == OMEGA3_ONLY
    body = _refills("f6", profile, {sku: "2026-10-20"}, locale)
    item = _items(body).get(sku)
    if item is not None:
        assert _gives(item["sku"]) <= OMEGA3_ONLY, item
    else:
        codes = [w["code"] for w in _left_out(body)[sku]["why"]]
        assert "no_advice" in codes, codes


@pytest.mark.parametrize("locale", LOCALES)
def test_f6_with_an_omega3_need_the_replacement_adds_no_vitamin_d(locale):
    """With the heart goal (omega-3 called for) and a vitamin D advice, the fish oil's
    replacement is the algae omega-3 without vitamin D."""
    profile = {"age": 75, "sex": "female", "country": "NL", "diet": "vegan", "goals": ["heart"]}
    body = _refills("f6_heart", profile, {"OP-FISH-OIL-LIQUID": "2026-10-20"}, locale)
    item = _items(body)["OP-FISH-OIL-LIQUID"]
    assert _gives(item["sku"]) == OMEGA3_ONLY, item
    assert not [r for r in item["reasons"] if r["code"].startswith("adds:")], item["reasons"]
