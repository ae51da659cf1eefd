"""Review s30a F1 (unsafe): a person on a vitamin K antagonist who takes a vitamin D3 + K2
product was told "Stop X before you start the new product" of it and offered plain D3, with
no word of the anticoagulation clinic: her coumarin dose is set with that vitamin K taken, and
stopping it shifts the INR as starting it does (domain.md: MK-7 from 10 µg/day shifts INR).
The same in /refills and the refill e-mail: a one-click replacement. Now each says to make
the switch only as agreed with whoever checks the clotting (the trombosedienst in NL), and a
product a medicine or condition keeps out otherwise says to switch only as agreed with the
doctor (a pregnancy multivitamin with iodine beside levothyroxine)."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from .conftest import RULES, dated_client, recommend, store_customer

LOCALES = ["nl", "de", "en"]
TEXTS = yaml.safe_load((RULES / "reference" / "texts.yaml").read_text(encoding="utf-8"))["texts"]
VKA_NL = {
    "age": 78,
    "sex": "female",
    "medications": ["vitamin_k_antagonist"],
    "current_supplements": [{"sku": "XF-D3K2-DROPS"}],
}
VKA_DE = {
    "age": 66,
    "sex": "male",
    "country": "DE",
    "medications": ["vitamin_k_antagonist"],
    "current_supplements": [{"sku": "XF-CAD3K2-TAB"}],
}


def _instead(answer: dict, sku: str) -> str:
    return {n["code"]: n["text"] for n in answer["notices"]}[f"instead:{sku}"]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_switch_from_a_vitamin_k_product_is_only_with_the_trombosedienst(client, locale):
    answer = recommend(client, {"profile": VKA_NL, "limit": 5}, locale)
    text = _instead(answer, "XF-D3K2-DROPS")
    assert text.endswith(" " + TEXTS["notice_instead_switch.vitamin-k-antagonist.NL"][locale])
    assert "INR" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_in_germany_with_the_doctor_who_checks_the_clotting(client, locale):
    answer = recommend(client, {"profile": VKA_DE}, locale)
    text = _instead(answer, "XF-CAD3K2-TAB")
    assert TEXTS["notice_instead_switch.vitamin-k-antagonist"][locale] in text
    assert "trombosedienst" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_another_medicine_keeping_a_product_out_asks_for_the_doctor(client, locale):
    profile = {
        "age": 34,
        "sex": "female",
        "life_stage": "pregnant",
        "country": "NL",
        "medications": ["levothyroxine"],
        "current_supplements": [{"sku": "XF-MULTI-PREGNANCY"}],
    }
    text = _instead(recommend(client, {"profile": profile}, locale), "XF-MULTI-PREGNANCY")
    assert TEXTS["notice_instead_switch"][locale] in text


@pytest.mark.parametrize("locale", LOCALES)
def test_a_diet_alone_needs_no_doctor_for_the_switch(client, locale):
    """A fish allergy and a fish-oil omega-3 + D3: nothing of a medicine; no word of a doctor
    for the switch."""
    profile = {"age": 30, "sex": "female", "country": "DE", "allergies": ["fish"]}
    profile["current_supplements"] = [{"sku": "XF-OMEGA3-D3-SG"}]
    text = _instead(recommend(client, {"profile": profile}, locale), "XF-OMEGA3-D3-SG")
    for key, value in TEXTS.items():
        if key.startswith("notice_instead_switch"):
            assert value[locale] not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_refills_and_the_email_say_it_of_their_replacement(redis_url, locale):
    client = dated_client(redis_url, dt.date(2026, 12, 6))
    profile = {"age": 78, "sex": "female", "country": "NL", "medications": ["vitamin_k_antagonist"]}
    store_customer(client, "s30-vka", profile, {"XF-D3K2-DROPS": "2025-11-06"})
    query = {"locale": locale}
    body = client.get("/v1/customers/s30-vka/refills", query_string=query).get_json()
    (item,) = body["reorder"]["items"]
    assert item["action"] == "replace" and item["replaces"] == "XF-D3K2-DROPS"
    switch = TEXTS["notice_instead_switch.vitamin-k-antagonist.NL"][locale]
    codes = {r["code"]: r["text"] for r in item["reasons"]}
    assert codes["switch:vitamin-k-antagonist"] == switch, item["reasons"]
    query["placement"] = "email"
    email = client.get("/v1/customers/s30-vka/recommendations", query_string=query).get_json()
    (picked,) = [i for i in email["items"] if i["sku"] == item["sku"]]
    assert "switch:vitamin-k-antagonist" in [r["code"] for r in picked["reasons"]]
    # a supply that still lasts names its replacement `instead`, with the same words
    store_customer(client, "s30-vka2", profile, {"XF-D3K2-DROPS": "2026-11-20"})
    del query["placement"]
    body = client.get("/v1/customers/s30-vka2/refills", query_string=query).get_json()
    (entry,) = [r for r in body["refills"] if r.get("instead")]
    assert "switch:vitamin-k-antagonist" in [r["code"] for r in entry["instead"]["reasons"]]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_vitamin_k_product_left_out_says_to_tell_the_clinic_before_it_runs_out(redis_url, locale):
    """The reorder leaves out a D3 + K2 beside a vitamin K antagonist: when it runs out the
    vitamin K stops, which changes the INR; its advice said only "take it again only as
    agreed" (review s30a F1, /refills)."""
    client = dated_client(redis_url, dt.date(2026, 12, 5))
    profile = {"age": 70, "sex": "male", "medications": ["vitamin_k_antagonist"], "country": "NL"}
    bought = [("XF-D3K2-TAB", "2026-08-10"), ("XF-MULTI-50PLUS", "2026-09-10")]
    store_customer(client, "s30-vka3", profile, bought)
    body = client.get("/v1/customers/s30-vka3/refills", query_string={"locale": locale})
    left = {e["sku"]: e for e in body.get_json()["reorder"]["left_out"]}
    refills = RULES / "refills.yaml"
    texts = yaml.safe_load(refills.read_text(encoding="utf-8"))["texts"]
    template = texts["notice_not_reordered_interaction.vitamin-k-antagonist"][locale]
    advice = left["XF-D3K2-TAB"]["advice"]
    assert advice.endswith(template.rsplit("}", 1)[1]), advice
    assert "INR" in advice
