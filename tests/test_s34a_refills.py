"""Review s34a F2: /refills reordered a child's product nothing in the profile called for any
more, with "runs out" as its only reason: the Dutch kids' drops for a girl of 4 (the Gezondheids-
raad's 10 µg vitamin D ends at the 4th birthday) and a vitamin D chewable for a boy of 12, whose
plain lists said there was no advice. Below refills.yaml `reorder_needs_advice_below_age` such a
product is left out with why `no_advice`, as it was at 13; where an advice, a rule or a goal calls
for it, or for an adult's own choice, it is reordered as before. Expectations from the data."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from .conftest import ROOT, TODAY, memory_app, store_customer
from .oracle import PRODUCTS

REFILLS = yaml.safe_load((ROOT / "rules" / "refills.yaml").read_text(encoding="utf-8"))


def _bought_to_run_out_soon(sku: str) -> str:
    """A purchase day from which one pack runs out 5 days after TODAY."""
    product = PRODUCTS[sku]
    days = product["pack_size"] // product["servings_per_day"]
    return (TODAY - dt.timedelta(days=days - 5)).isoformat()


def _reorder(profile: dict, sku: str) -> dict:
    client = memory_app().test_client()
    store_customer(client, "kid-1", profile, [(sku, _bought_to_run_out_soon(sku))])
    answer = client.get("/v1/customers/kid-1/refills?locale=en")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["reorder"]


@pytest.mark.parametrize(
    ("profile", "sku"),
    [
        ({"age": 4, "sex": "female", "country": "NL"}, "XF-D3-KIDS-DROPS"),
        ({"age": 12, "sex": "male", "country": "NL"}, "KV-D3-10-CHEW"),
    ],
)
def test_a_childs_product_nothing_calls_for_is_not_reordered(profile, sku):
    assert profile["age"] < REFILLS["reorder_needs_advice_below_age"]
    reorder = _reorder(profile, sku)
    assert not [i for i in reorder["items"] if i["sku"] == sku], reorder["items"]
    (left,) = [x for x in reorder["left_out"] if x["sku"] == sku]
    assert [w["code"] for w in left["why"]] == ["no_advice"], left


@pytest.mark.parametrize(
    ("profile", "sku"),
    [
        ({"age": 2, "sex": "female", "country": "NL"}, "XF-D3-KIDS-DROPS"),  # advised under 4
        ({"age": 4, "sex": "female", "country": "DE"}, "XF-D3-KIDS-DROPS"),  # DGE: every age
        ({"age": 8, "country": "NL", "goals": ["immunity"]}, "KV-D3-10-CHEW"),  # a goal
        ({"age": 9, "country": "NL", "skin_type": 6}, "KV-D3-10-CHEW"),  # dark skin: advised
        ({"age": 40, "sex": "male", "country": "NL"}, "XF-MG-CIT-150-TAB"),  # an adult's choice
    ],
)
def test_what_something_calls_for_or_an_adult_chose_is_reordered(profile, sku):
    reorder = _reorder(profile, sku)
    assert [(i["sku"], i["action"]) for i in reorder["items"]] == [(sku, "reorder")], reorder


TEXTS = REFILLS["texts"]
ADVISES = {"en": "the Dutch Health Council advises 20 µg of vitamin D a day for your profile."}


def _warnings(profile: dict, sku: str) -> list[dict]:
    (item,) = [i for i in _reorder(profile, sku)["items"] if i["sku"] == sku]
    return [w for w in item["warnings"] if w["code"].startswith("short_of_advice:")]


def test_a_reorder_short_of_the_advice_says_so():
    """Review s34a F4: a Dutch man of 71 reordering a 10 µg D3 heard nothing of the
    Gezondheidsraad's 20 µg from 70 (the cart's `basket_short` says it)."""
    (warning,) = _warnings({"age": 71, "sex": "male", "country": "NL"}, "XF-D3-10-TAB")
    name = PRODUCTS["XF-D3-10-TAB"]["name"]["en"]
    assert warning["code"] == "short_of_advice:vitamin_d_ug"
    assert warning["text"].startswith(f"With {name} you get 10 µg of vitamin D a day in all; ")
    assert ADVISES["en"] in warning["text"], warning["text"]


@pytest.mark.parametrize(
    ("profile", "sku"),
    [
        ({"age": 71, "sex": "male", "country": "NL"}, "BL-D3-20-70PLUS-TAB"),  # the advice
        ({"age": 40, "sex": "male", "country": "DE"}, "XF-D3-10-TAB"),  # the DGE's total
    ],
)
def test_a_reorder_that_meets_the_advice_or_a_total_with_food_says_nothing(profile, sku):
    assert "dge_total" not in REFILLS["short_of_advice_authorities"]
    assert _warnings(profile, sku) == []
