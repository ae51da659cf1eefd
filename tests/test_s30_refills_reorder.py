"""Review s29b F4 (left open by session 29): /refills said "we suggest no more vitamin D" in an
intake warning beside a reorder item that gives vitamin D, a replacement (a 20 µg D3 for
someone over 70 in place of the 75 µg capsules that run out) or the same product reordered
(a 20 µg D3 that runs out, while a D3 + K2 is left out: 55 µg a day now, at most 50). The
plan checks each item on every day it would be taken, so the warning now says so: a lower
dose named in place of the product (as the list says beside `instead:<SKU>`), or the reorder
in place of what runs out, within that amount."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from .conftest import RULES, dated_client, store_customer

LOCALES = ["nl", "de", "en"]
CODE = "intake_warning:vitamin_d_ug"


@pytest.fixture()
def client(redis_url):
    return dated_client(redis_url, dt.date(2026, 12, 5))


def _texts(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["texts"]


def _refills(client, customer: str, profile: dict, bought: dict, locale: str) -> dict:
    store_customer(client, customer, profile, bought)
    response = client.get(f"/v1/customers/{customer}/refills", query_string={"locale": locale})
    assert response.status_code == 200, response.data
    return response.get_json()


def _ends(text: str, template: str) -> bool:
    return text.endswith(template.rsplit("}", 1)[-1])


@pytest.mark.parametrize("locale", LOCALES)
def test_a_replacement_in_the_reorder_is_the_lower_dose_the_warning_names(client, locale):
    body = _refills(
        client,
        "s30-r1",
        {"age": 72, "sex": "female", "country": "DE"},
        {"GR-D3-75-VCAP": "2026-09-13"},  # 75 µg a day, runs out on 12 Dec
        locale,
    )
    (item,) = body["reorder"]["items"]
    assert item["action"] == "replace" and item["replaces"] == "GR-D3-75-VCAP", item
    assert 0 < item["nutrients_per_day"]["vitamin_d_ug"] <= 50
    warning = {n["code"]: n["text"] for n in body["notices"]}[CODE]
    lower = _texts(RULES / "reference" / "texts.yaml")["notice_intake_dose_band_instead"][locale]
    assert _ends(warning, lower), warning
    name = body["refills"][0]["name"]
    assert name in warning.split(";")[-1], warning  # "in place of <that product>"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_product_reordered_beside_the_warning_is_in_place_of_what_runs_out(client, locale):
    bought = {
        "VL-CAD3K2-TAB": "2026-11-21",  # 10 µg, lasts until February
        "NV-D3K2-FISH-SG": "2026-08-19",  # runs out on 17 Dec, left out
        "GR-D3-20-TAB": "2026-08-23",  # 20 µg, runs out on 21 Dec, reordered
    }
    body = _refills(client, "s30-r2", {"age": 45, "sex": "female", "country": "DE"}, bought, locale)
    items = body["reorder"]["items"]
    assert [(i["action"], i["sku"]) for i in items] == [("reorder", "GR-D3-20-TAB")], items
    assert [e["sku"] for e in body["reorder"]["left_out"]] == ["NV-D3K2-FISH-SG"]
    warning = {n["code"]: n["text"] for n in body["notices"]}[CODE]
    reorder = _texts(RULES / "refills.yaml")["notice_warning_reorder"][locale]
    assert warning.endswith(" " + reorder), warning
    # what the warning says is so: with the D3 + K2 left out, 20 + 10 µg a day, within 50
    per_day = {e["sku"]: e for e in body["refills"]}
    assert "NV-D3K2-FISH-SG" in per_day


@pytest.mark.parametrize("locale", LOCALES)
def test_no_reorder_sentence_where_no_reorder_item_gives_the_nutrient(client, locale):
    """A 75 µg D3 at 72 that lasts beside an omega-3 reordered: the reorder gives no vitamin
    D, and "we suggest no more vitamin D" stands as it is."""
    bought = {"GR-D3-75-VCAP": "2026-11-05", "XF-OMEGA3-1000-SG": "2026-08-20"}
    body = _refills(client, "s30-r3", {"age": 72, "sex": "female", "country": "DE"}, bought, locale)
    items = body["reorder"]["items"]
    assert [i["sku"] for i in items] == ["XF-OMEGA3-1000-SG"], items
    assert not items[0]["nutrients_per_day"].get("vitamin_d_ug")
    warning = {n["code"]: n["text"] for n in body["notices"]}[CODE]
    plain = _texts(RULES / "reference" / "texts.yaml")["notice_intake_dose_band"][locale]
    assert _ends(warning, plain), warning
    reorder = _texts(RULES / "refills.yaml")["notice_warning_reorder"][locale]
    assert reorder not in warning


@pytest.mark.parametrize("locale", LOCALES)
def test_the_email_says_within_that_amount_where_a_product_it_names_is_still_taken(client, locale):
    """The refill e-mail said "What we suggest here is for when these products run out" of
    the 20 µg D3 reordered, while the calcium + 10 µg D3 + K2 the warning names lasts until
    February: now it says what /refills says, that the reorder is in place of what runs out
    and stays within that amount with what is still taken (20 + 10 µg, at most 50)."""
    bought = {
        "VL-CAD3K2-TAB": "2026-11-21",
        "NV-D3K2-FISH-SG": "2026-08-19",
        "GR-D3-20-TAB": "2026-08-23",
    }
    store_customer(client, "s30-e1", {"age": 45, "sex": "female", "country": "DE"}, bought)
    query = {"locale": locale, "placement": "email"}
    email = client.get("/v1/customers/s30-e1/recommendations", query_string=query).get_json()
    assert [i["sku"] for i in email["items"]] == ["GR-D3-20-TAB"], email["items"]
    warning = {n["code"]: n["text"] for n in email["notices"]}[CODE]
    reorder = _texts(RULES / "refills.yaml")["notice_warning_reorder"][locale]
    assert warning.endswith(" " + reorder), warning
    texts = _texts(RULES / "placements.yaml")
    assert texts["notice_warning_continued"][locale] not in warning


@pytest.mark.parametrize("locale", LOCALES)
def test_the_email_says_it_only_once_what_no_longer_fits_stops(redis_url, locale):
    """Review s30c F8: a vegan of 18 in BE, a 20 µg spray reordered on 16 March while a D3
    softgel and a folic acid + D3 that are not vegan last until 20 and 28 March: 55 µg a day
    against at most 37.5. The e-mail said "with what you still take then, you stay within
    that amount"; now, as /refills, once what no longer suits him stops."""
    client = dated_client(redis_url, dt.date(2026, 3, 15))
    profile = {"age": 18, "sex": "male", "allergies": ["tree_nut", "gluten"], "country": "BE"}
    profile |= {"sun_exposure": "low", "goals": ["immunity"], "diet": "vegan"}
    profile["higher_dose_advised"] = {"folic_acid_ug": 800, "vitamin_d_ug": 30}
    bought = {
        "GR-D3-20-SPRAY-VEGAN": "2025-12-06",
        "XF-FOLIC-D3-TAB": "2025-12-28",
        "XF-D3-25-SG": "2025-11-20",
    }
    store_customer(client, "s30-e2", profile, bought)
    query = {"locale": locale, "placement": "email"}
    email = client.get("/v1/customers/s30-e2/recommendations", query_string=query).get_json()
    warning = {n["code"]: n["text"] for n in email["notices"]}.get(CODE, "")
    refills = _texts(RULES / "refills.yaml")
    within = refills["notice_warning_reorder"][locale].split("; ")[-1]  # "with what you ..."
    assert within not in warning, warning
    items = [i["sku"] for i in email["items"]]
    if "GR-D3-20-SPRAY-VEGAN" in items:  # said as /refills says it, naming what to stop
        assert refills["notice_warning_reorder_unfit"][locale].split("{")[0] in warning, warning
