"""Session 31: the refill e-mail and /refills agree beside a product taken that no longer fits
and lasts (left open by session 30): both reorder what suits and say it stays within the
amount once the product that no longer suits stops, naming it."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from .conftest import RULES, dated_client, store_customer

REFILLS = yaml.safe_load((RULES / "refills.yaml").read_text(encoding="utf-8"))["texts"]
# dark skin: the Gezondheidsraad's vitamin D advice calls for his D3, so it is reordered at all
# (review s34a F2: a child's product nothing calls for is not)
BOY = {"age": 12, "sex": "male", "country": "NL", "skin_type": 6}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_the_email_reorders_as_refills_does_beside_a_lasting_product_that_no_longer_fits(
    redis_url, locale
):
    """A boy of 12: his 20 µg D3 runs out while a fish-oil D3 + K2 (vitamin K: not for a
    child without a doctor) lasts until March; 45 µg a day now against at most 37.5. /refills
    reorders the D3 "once you stop" the D3 + K2; the e-mail held it back ("ask which of these
    products to continue") before."""
    client = dated_client(redis_url, dt.date(2026, 12, 5))
    bought = {"GR-D3-20-TAB": "2026-08-09", "NV-D3K2-FISH-SG": "2026-11-30"}
    store_customer(client, "s31-r1", BOY, bought)
    path = "/v1/customers/s31-r1"
    refills = client.get(f"{path}/refills", query_string={"locale": locale}).get_json()
    query = {"locale": locale, "placement": "email"}
    email = client.get(f"{path}/recommendations", query_string=query).get_json()
    assert [i["sku"] for i in refills["reorder"]["items"]] == ["GR-D3-20-TAB"]
    assert [(i["sku"], i["strategy"]) for i in email["items"]] == [("GR-D3-20-TAB", "refills")]
    codes = [n["code"] for n in email["notices"]]
    assert not [c for c in codes if c.startswith("refill_held_back")], codes
    (entry,) = [e for e in refills["refills"] if e["sku"] == "NV-D3K2-FISH-SG"]
    unfit = REFILLS["notice_warning_reorder_unfit"][locale].format(products=entry["name"])
    for answer in (refills, email):
        (warning,) = [
            n["text"] for n in answer["notices"] if n["code"] == "intake_warning:vitamin_d_ug"
        ]
        assert warning.endswith(" " + unfit), warning


def test_h9_reordered_says_which_entries_the_reorder_items_continue(redis_url):
    """Review s31b H9: `in_reorder` is true of a product only in `reorder.left_out` too (a
    vitamin K2 with a vitamin K antagonist); `reordered` is true of those in its items only."""
    client = dated_client(redis_url, dt.date(2026, 12, 5))
    profile = {"age": 70, "sex": "male", "country": "NL", "medications": ["vitamin_k_antagonist"]}
    bought = {"XF-K2-MK7-100-CAP": "2026-08-09", "GR-D3-20-TAB": "2026-08-09"}
    store_customer(client, "s31-h9", profile, bought)
    body = client.get("/v1/customers/s31-h9/refills?locale=en").get_json()
    items = {i["for_sku"] for i in body["reorder"]["items"]}
    left = {e["sku"] for e in body["reorder"]["left_out"]}
    assert items == {"GR-D3-20-TAB"} and left == {"XF-K2-MK7-100-CAP"}
    for entry in body["refills"]:
        assert entry["in_reorder"] == (entry["sku"] in items | left)
        assert entry["reordered"] == (entry["sku"] in items)
