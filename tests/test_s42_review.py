"""Session 42: what session 41 left open (s41e F1, F3): what a lasting product that no longer
fits names `instead`, checked day by day beside the reorder and beside what the other
entries name, in place of a trim that dropped whatever shared a nutrient with the reorder."""

from __future__ import annotations

import datetime as dt

from .conftest import dated_client, store_customer
from .oracle import PRODUCTS, expected_food, expected_upper_limit, per_day

TODAY_S42 = dt.date(2026, 12, 7)
PREGNANCY_CAP_D = 25.0  # contract v1.1 guarantee 10


def _refills(client, customer_id: str, profile: dict, bought: list[tuple[str, int]]) -> dict:
    """/refills (en) of `profile` with purchases (SKU, days before TODAY_S42)."""
    purchases = [(sku, TODAY_S42 - dt.timedelta(days=ago)) for sku, ago in bought]
    store_customer(client, customer_id, profile, purchases)
    return client.get(f"/v1/customers/{customer_id}/refills?locale=en").get_json()


def _named(entry: dict) -> list[str]:
    return [i["sku"] for i in [entry.get("instead"), *entry.get("instead_also", [])] if i]


def _followed(answer: dict, stopped: set[str]) -> dict[str, float]:
    """A day of one who follows the whole answer once the reorder has started: its items,
    what each entry names instead, and the supplies still lasting not told to stop."""
    taken = [i["sku"] for i in (answer["reorder"] or {}).get("items", [])]
    for entry in answer["refills"]:
        named = _named(entry)
        taken += named
        if not named and entry["sku"] not in stopped and entry["runs_out_on"] > "2026-12-07":
            taken.append(entry["sku"])
    return _total(taken)


def _total(skus: list[str]) -> dict[str, float]:
    """Nutrients a day of `skus`, each product once (at its label's servings)."""
    total: dict[str, float] = {}
    for sku in dict.fromkeys(skus):
        for nutrient, amount in per_day(PRODUCTS[sku]).items():
            total[nutrient] = total.get(nutrient, 0.0) + amount
    return total


def test_her_pregnancy_multivitamin_is_named_beside_a_10_ug_calcium_d3_reorder(redis_url) -> None:
    """s41e F1 (focused 323): a pregnant woman's A-Z multivitamin (not for pregnancy) lasts,
    her vegan calcium + 10 µg D3 runs out today and is reordered. The multivitamin's entry
    named nothing: the pregnancy multivitamin found for it (10 µg D) was dropped because it
    shares vitamin D with the reorder, though 20 µg a day is within her 25; no product named
    her folic acid or iodine."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {"age": 38, "sex": "female", "life_stage": "pregnant", "country": "DE"}
    answer = _refills(client, "s42-f1", profile, [("BL-MULTI-AZ", 77), ("GR-CAD3-VEGAN-TAB", 60)])
    (entry,) = [e for e in answer["refills"] if e["sku"] == "BL-MULTI-AZ"]
    gives = {n for sku in _named(entry) for n in per_day(PRODUCTS[sku])}
    assert {"folic_acid_ug", "iodine_ug"} <= gives, entry
    assert "GR-CAD3-VEGAN-TAB" in [i["sku"] for i in answer["reorder"]["items"]], answer
    day = _followed(answer, {"BL-MULTI-AZ"})
    assert day["vitamin_d_ug"] <= PREGNANCY_CAP_D, day
    for nutrient, amount in day.items():
        limit = expected_upper_limit(nutrient, 38, "pregnant")
        assert limit is None or amount <= limit, (nutrient, amount, limit)


def _all_named(answer: dict) -> dict[str, float]:
    """What every entry names instead and every reorder item, a product named twice taken
    once: a day of one who follows the whole answer, past what runs out."""
    skus = [i["sku"] for i in (answer["reorder"] or {}).get("items", [])]
    skus += [sku for entry in answer["refills"] for sku in _named(entry)]
    return _total(skus)


def test_what_two_entries_name_together_keeps_her_calcium_within_the_limit(redis_url) -> None:
    """s41e F3 (sweep seed 1, 1152): a pregnant vegan's kids' chew named a 500 mg calcium,
    her 50+ multivitamin (and her 75 µg D3 + K2) a vegan calcium + D3 of 400 mg; each was
    checked alone, together with her food they came to 2,600 mg a day (2,500 at most)."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {
        "age": 35,
        "sex": "female",
        "life_stage": "pregnant",
        "goals": ["pregnancy"],
        "country": "NL",
        "diet": "vegan",
    }
    bought = [
        ("XF-D3K2-TAB", 20),
        ("XF-MULTI-PREGNANCY", 104),
        ("KV-MULTI-KIDS-CHEW", 42),
        ("XF-MULTI-50PLUS", 53),
    ]
    answer = _refills(client, "s42-f3-ca", profile, bought)
    named = [sku for entry in answer["refills"] for sku in _named(entry)]
    assert named, answer["refills"]  # each entry still names what fits
    day = _all_named(answer)
    calcium = day.get("calcium_mg", 0.0) + expected_food(profile, "calcium_mg")
    assert calcium <= expected_upper_limit("calcium_mg", 35, "pregnant"), (calcium, named)
    assert day.get("vitamin_d_ug", 0.0) <= PREGNANCY_CAP_D, (day, named)


def test_what_two_entries_name_together_keeps_her_vitamin_d_within_25_ug(redis_url) -> None:
    """s41e F3 (sweep seed 2, 2312): a pregnant vegetarian's cod-liver oil named a 20 µg D3,
    her A-Z multivitamin the pregnancy multivitamin (10 µg): 30 µg a day together, 25 at
    most. The multivitamin's is kept (her folic acid and iodine, and vitamin D), the D3 goes."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {
        "age": 38,
        "sex": "female",
        "life_stage": "pregnant",
        "country": "DE",
        "diet": "vegetarian",
        "medications": ["digoxin"],
    }
    bought = [
        ("GR-ALGAE-D3-SG", 88),
        ("XF-OMEGA3-1000-SG", 122),
        ("NV-COD-LIVER-OIL", 27),
        ("BL-MULTI-AZ", 35),
    ]
    answer = _refills(client, "s42-f3-d", profile, bought)
    day = _all_named(answer)
    assert day.get("vitamin_d_ug", 0.0) <= PREGNANCY_CAP_D, day
    (multi,) = [e for e in answer["refills"] if e["sku"] == "BL-MULTI-AZ"]
    gives = {n for sku in _named(multi) for n in per_day(PRODUCTS[sku])}
    assert {"folic_acid_ug", "iodine_ug", "vitamin_d_ug"} <= gives, multi


def test_a_lower_dose_is_still_named_beside_a_supply_that_stops_in_days(redis_url) -> None:
    """Review s42a F1 (of 4dd02d0): a pregnant woman on digoxin keeps a 50 µg fish-oil D3 that
    does not suit pregnancy; its entry named a 10 µg D3 in its place until the day check
    counted a calcium + D3 left out of the reorder that stops in 12 days (20 µg today, past
    the advice digoxin warns above): nothing named her a lower dose, and no vitamin D."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {
        "age": 33,
        "sex": "female",
        "life_stage": "pregnant",
        "goals": ["pregnancy"],
        "country": "NL",
        "diet": "omnivore",
        "medications": ["digoxin"],
    }
    bought = [
        ("BL-D3K2-TAB", 117),
        ("NV-D3-50-FISH-SG", 91),
        ("BL-MULTI-AZ", 106),
        ("GR-CAD3-VEGAN-TAB", 48),
    ]
    answer = _refills(client, "s42a-f1", profile, bought)
    (entry,) = [e for e in answer["refills"] if e["sku"] == "NV-D3-50-FISH-SG"]
    doses = [per_day(PRODUCTS[sku]).get("vitamin_d_ug", 0.0) for sku in _named(entry)]
    assert doses and 0 < max(doses) <= 10, entry


def test_a_product_the_reorder_stops_names_nothing_the_reorder_gives(redis_url) -> None:
    """Review s42a F2 (s4#2326): her kelp stops as the reorder's iodine tablet starts ("do not
    take the two together"), yet its entry named the pregnancy multivitamin: with the
    reorder's folic acid, D3 and iodine, 800 µg folic acid and 300 µg iodine a day."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {
        "age": 28,
        "sex": "female",
        "life_stage": "breastfeeding",
        "goals": ["pregnancy"],
        "country": "NL",
        "diet": "vegetarian",
        "medications": ["bisphosphonate"],
    }
    bought = [
        ("XF-MULTI-WOMEN", 107),
        ("XF-OMEGA3-D3-SG", 121),
        ("BL-MULTI-AZ", 93),
        ("GR-KELP-150-TAB", 31),
    ]
    answer = _refills(client, "s42a-f2", profile, bought)
    stops = {r["code"] for i in answer["reorder"]["items"] for r in i["reasons"]}
    assert "stop:GR-KELP-150-TAB" in stops, answer["reorder"]
    (kelp,) = [e for e in answer["refills"] if e["sku"] == "GR-KELP-150-TAB"]
    assert not _named(kelp), kelp
    day = _all_named(answer)
    assert day.get("folic_acid_ug", 0.0) <= 400 and day.get("iodine_ug", 0.0) <= 150, day


def test_two_entries_do_not_name_two_folic_acids(redis_url) -> None:
    """Review s42a F2 (s1#1863 of the session's sweep): a pregnant woman's men's multivitamin
    names a folic acid + D3 and iodine; her kids' chew named a second folic acid tablet
    besides (800 µg a day for an aim of 400). A product that adds only what another entry's
    gives enough of is no longer named."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {"age": 19, "sex": "female", "life_stage": "pregnant", "country": "NL"}
    bought = [("XF-MULTI-MEN", 55), ("KV-MULTI-KIDS-CHEW", 17)]
    answer = _refills(client, "s42a-folic", profile, bought)
    named = {sku for entry in answer["refills"] for sku in _named(entry)}
    folic = [sku for sku in named if per_day(PRODUCTS[sku]).get("folic_acid_ug", 0) > 0]
    assert len(folic) == 1, named


def test_a_folic_acid_and_d3_named_by_one_entry_serves_the_other_too(redis_url) -> None:
    """Review s42b N1: a pregnant woman in DE with a women's and a men's multivitamin (neither
    for pregnancy): one entry named a folic acid tablet, the other a folic acid + 10 µg D3
    for her vitamin D as well: 800 µg of folic acid a day for an aim of 400. The one that
    gives all the other gives, as much, is named for both."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {"age": 25, "sex": "female", "life_stage": "pregnant", "country": "DE"}
    answer = _refills(client, "s42b-n1", profile, [("XF-MULTI-WOMEN", 60), ("XF-MULTI-MEN", 22)])
    named = {sku for entry in answer["refills"] for sku in _named(entry)}
    day = _all_named(answer)
    assert day.get("folic_acid_ug", 0.0) == 400, named
    assert day.get("vitamin_d_ug", 0.0) > 0 and day.get("iodine_ug", 0.0) > 0, named
