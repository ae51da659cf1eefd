"""Reviews s34a F3 and F5 (left open in session 34): the replacement of a product of many
nutrients that no longer fits served one advice, and brought what that advice did not ask for.

- F3: a German woman of 33, no longer pregnant, reordering her pregnancy multivitamin got the
  women's multivitamin in its place (retinol, vitamin K1, calcium, which hers did not give), for
  the DGE's vitamin D alone: the only advice it still served.
- F5: a pregnant Dutch woman's cod-liver oil (10 µg vitamin D, not suited in pregnancy: retinol)
  was replaced by an omega-3 with 20 µg vitamin D, "more than the advised amount" of the
  Gezondheidsraad's 10 µg, where a 10 µg D3 serves that advice as the oil did.

Where the product of its own role would add a nutrient or go past an advice the bought product
did not, what serves the advice it served, of any role, replaces it (refills.replace). The
list's `instead:<SKU>` notice names the same. Expectations from the catalog and the texts."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from .conftest import ROOT, TODAY, memory_app, store_customer
from .oracle import PRODUCTS, per_day

TEXTS = yaml.safe_load((ROOT / "rules" / "reference" / "texts.yaml").read_text(encoding="utf-8"))
MORE_THAN_ADVISED = TEXTS["texts"]["reason_advice_above"]["en"].split(";")[0].split("a day, ")[1]


def _runs_out_soon(sku: str) -> str:
    product = PRODUCTS[sku]
    days = product["pack_size"] // product["servings_per_day"]
    return (TODAY - dt.timedelta(days=days - 5)).isoformat()


def _reorder(profile: dict, sku: str) -> list[dict]:
    client = memory_app().test_client()
    store_customer(client, "c-s35", profile, [(sku, _runs_out_soon(sku))])
    answer = client.get("/v1/customers/c-s35/refills?locale=en")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["reorder"]["items"]


def _gives(sku: str) -> set[str]:
    return {k for k, v in per_day(PRODUCTS[sku]).items() if v > 0}


def test_a_pregnancy_multivitamin_after_pregnancy_is_replaced_by_what_its_advice_asks():
    bought = "XF-MULTI-PREGNANCY"
    items = _reorder({"age": 33, "sex": "female", "country": "DE"}, bought)
    replacing = [i for i in items if i.get("replaces") == bought]
    assert replacing, items
    for item in replacing:
        assert _gives(item["sku"]) <= _gives(bought), item  # no retinol, K1 or calcium added
        assert not [r for r in item["reasons"] if r["code"].startswith("adds:")], item
        assert "fills_gap:vitamin_d_ug" in [r["code"] for r in item["reasons"]], item


def test_a_pregnant_womans_cod_liver_oil_is_replaced_within_the_advice():
    bought = "NV-COD-LIVER-OIL"
    assert not PRODUCTS[bought]["pregnancy_suitable"]
    items = _reorder(
        {"age": 30, "sex": "female", "country": "NL", "life_stage": "pregnant"}, bought
    )
    (item,) = [i for i in items if i.get("replaces") == bought]
    oil = per_day(PRODUCTS[bought])["vitamin_d_ug"]
    assert per_day(PRODUCTS[item["sku"]])["vitamin_d_ug"] <= oil, item
    assert not [r for r in item["reasons"] if MORE_THAN_ADVISED in r["text"]], item
    assert "fills_gap:vitamin_d_ug" in [r["code"] for r in item["reasons"]], item


def test_the_list_names_the_same_in_its_place():
    client = memory_app().test_client()
    body = {
        "profile": {
            "age": 30,
            "sex": "female",
            "country": "NL",
            "life_stage": "pregnant",
            "current_supplements": [{"sku": "NV-COD-LIVER-OIL"}],
        },
        "locale": "en",
    }
    answer = client.post("/v1/recommendations", json=body).get_json()
    (notice,) = [n for n in answer["notices"] if n["code"] == "instead:NV-COD-LIVER-OIL"]
    named = [sku for sku in PRODUCTS if PRODUCTS[sku]["name"]["en"] in notice["text"]]
    named = [sku for sku in named if sku != "NV-COD-LIVER-OIL"]
    assert named, notice
    for sku in named:
        assert (
            per_day(PRODUCTS[sku])["vitamin_d_ug"]
            <= per_day(PRODUCTS["NV-COD-LIVER-OIL"])["vitamin_d_ug"]
        )
        assert _gives(sku) <= _gives("NV-COD-LIVER-OIL"), notice


def _notices(profile: dict, locale: str = "en") -> list[dict]:
    body = {"profile": profile, "locale": locale}
    answer = memory_app().test_client().post("/v1/recommendations", json=body)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_items_that_each_fill_the_aim_alone_say_to_choose_one():
    """Review s34a F4: a Dutch man of 71 on a 10 µg D3 was offered a cod-liver oil "that is
    20 µg" and a D3 + K2 "that is 30 µg, more than the advised amount", each beside what he
    takes, and nothing said that the two together make 40 µg: `one_of:vitamin_d_ug`."""
    taken = PRODUCTS["XF-D3-10-TAB"]
    profile = {
        "age": 71,
        "sex": "male",
        "country": "NL",
        "current_supplements": [{"sku": taken["sku"]}],
    }
    answer = _notices(profile)
    giving = [i for i in answer["items"] if i["nutrients_per_day"].get("vitamin_d_ug", 0) > 0]
    assert len(giving) >= 2, answer["items"]
    (notice,) = [n for n in answer["notices"] if n["code"] == "one_of:vitamin_d_ug"]
    for item in giving:
        assert item["name"] in notice["text"], notice
    day = per_day(taken)["vitamin_d_ug"] + sum(
        i["nutrients_per_day"]["vitamin_d_ug"] for i in giving
    )
    assert f"{day:g} µg a day" in notice["text"], notice


def test_items_that_fill_the_aim_only_together_get_no_one_of():
    """A list whose products give a nutrient that only together reach the aim, or where one is
    the only product for another aim, is a combination: no `one_of` (a pregnant woman's folic
    acid and iodine, each the only one of its kind)."""
    answer = _notices({"age": 30, "sex": "female", "country": "NL", "life_stage": "pregnant"})
    for notice in answer["notices"]:
        if not notice["code"].startswith("one_of:"):
            continue
        key = notice["code"].split(":", 1)[1]
        giving = [i for i in answer["items"] if i["nutrients_per_day"].get(key, 0) > 0]
        assert len(giving) >= 2, (notice, answer["items"])


UNSUITED_D = ["XF-D3-KIDS-DROPS", "NV-COD-LIVER-OIL", "KV-D3-KIDS-GUMMY", "KV-D3-10-CHEW"]


@pytest.mark.parametrize("taken", UNSUITED_D)
@pytest.mark.parametrize("placement", [None, "home", "account"])
@pytest.mark.parametrize("country", ["DE", "NL"])
def test_folic_acid_stays_beside_a_vitamin_d_named_in_place_of_one_taken(taken, placement, country):
    """Review s35d F1: a German pregnant woman taking kids' vitamin D drops (or cod-liver oil,
    a kids' gummy or chew) got a 20 µg D3 named in their place and no folic acid at all: the
    list picked its two folic acid products (both with vitamin D) before it left out what
    gives a nutrient of the named D3. What gives those nutrients is left out before ranking."""
    profile = {
        "age": 30,
        "sex": "female",
        "country": country,
        "life_stage": "pregnant",
        "current_supplements": [{"sku": taken}],
    }
    body = {"profile": profile, "locale": "en", "limit": 8}
    if placement:
        body["placement"] = placement
    answer = memory_app().test_client().post("/v1/recommendations", json=body).get_json()
    assert f"instead:{taken}" in [n["code"] for n in answer["notices"]], answer["notices"]
    folic = [i for i in answer["items"] if i["nutrients_per_day"].get("folic_acid_ug", 0) > 0]
    assert folic, answer["items"]


def test_one_of_names_the_items_that_fill_the_aim_beside_a_smaller_one():
    """Review s35c 2, s35d F2: a third item giving less vitamin D (a 10 µg calcium + D3 beside
    two 20 µg D3 products for the DGE's 20 µg) silenced `one_of`; it names the two that each
    fill the aim, and their total."""
    profile = {"age": 67, "sex": "female", "diet": "vegan", "country": "DE"}
    answer = _notices(profile)
    giving = [i for i in answer["items"] if i["nutrients_per_day"].get("vitamin_d_ug", 0) > 0]
    amounts = sorted(i["nutrients_per_day"]["vitamin_d_ug"] for i in giving)
    assert len(giving) >= 3 and amounts[0] < amounts[-1], giving  # the premise
    (notice,) = [n for n in answer["notices"] if n["code"] == "one_of:vitamin_d_ug"]
    fill = [i for i in giving if i["nutrients_per_day"]["vitamin_d_ug"] >= amounts[-1]]
    for item in giving:
        assert (item["name"] in notice["text"]) == (item in fill), (item["name"], notice)
    total = sum(i["nutrients_per_day"]["vitamin_d_ug"] for i in fill)
    assert f"{total:g} µg a day" in notice["text"], notice
