"""Session 44: what session 43's reviews left open (s43c: a newcomer and a hostile tester) and
what the session's reviews found."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import dated_client, notice_texts, recommend, store_customer


@pytest.mark.parametrize("path", ["refills", "buy-again", "recommendations"])
@pytest.mark.parametrize("basket", ["", ",", ", ,", "%20"])
def test_a_blank_basket_is_refused_on_every_customer_get(redis_url, path, basket) -> None:
    """s43c 7 (inconsistent): `basket=` was a 422 on the customer's recommendations and a 200
    with an empty basket on /refills and /buy-again: one parser (SkuList) for all three."""
    client = dated_client(redis_url, dt.date(2026, 12, 7))
    store_customer(client, "s44-b1", {"age": 40, "country": "NL"}, {"XF-D3-10-TAB": "2026-11-01"})
    response = client.get(f"/v1/customers/s44-b1/{path}?basket={basket}")
    assert response.status_code == 422, response.get_json()
    assert "basket" in response.get_json()["error"]["fields"], response.get_json()
    assert client.get(f"/v1/customers/s44-b1/{path}").status_code == 200


PRESCRIBED = {
    "en": "do not change a dose a doctor prescribed on your own",
    "nl": "verander niet op eigen houtje een dosis die een arts voorschreef",
    "de": "ändern Sie eine ärztlich verordnete Dosis nicht eigenmächtig",
}
NOW = {"en": "now how to get it", "nl": "nu hoe je het", "de": "jetzt, wie Sie Folsäure"}


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
@pytest.mark.parametrize(
    ("country", "iron", "doctor"), [("NL", 65, True), ("DE", 50, False), ("NL", 65, False)]
)
def test_a_prescribed_dose_above_a_limit_is_not_to_be_adjusted_nor_folic_acid_delayed(
    client, locale, country, iron, doctor
) -> None:
    """s44b F1, F3 (unsafe in effect): a pregnant woman on the iron her midwife prescribed for
    anaemia (65 mg, limit 40) read "we suggest nothing more until that is adjusted" and "we
    suggest folic acid too only once what you take is within the safe upper limits again": as
    if to cut the prescription and to wait with folic acid. The list stays empty (guarantee 1
    counts every nutrient), but the limit's notice says not to change a prescribed dose on
    one's own (as the infant's did), and folic acid is to be asked for now, not later."""
    line = {"label": "Ferrofumaraat", "nutrients": {"iron_mg": iron}}
    profile = {"age": 27, "sex": "female", "life_stage": "pregnant", "country": country}
    profile["current_supplements"] = [line]
    if doctor:
        profile["higher_dose_advised"] = {"iron_mg": iron}
    texts = notice_texts(recommend(client, {"profile": profile}, locale))
    assert PRESCRIBED[locale] in texts["above_upper_limit:iron_mg"], texts
    folic = texts["advice_open:folic_acid_ug"]
    assert NOW[locale] in folic, folic
    for words in ("until that is adjusted", "tot dat is aangepast", "bis das angepasst"):
        assert not any(words in text for text in texts.values()), texts


K_CAUTION = "caution:vitamin-k-blood-thinner"


def test_the_vitamin_k_caution_is_on_regimens_checks_and_their_suggestions(client) -> None:
    """s44a F1 (misleading, close to unsafe): the list puts `caution:vitamin-k-blood-thinner`
    on an item with vitamin K (review s39a F3: one who names no medicine may still take
    phenprocoumon); a regimen with the D3 + 50 µg K2 drops (chosen on cost, one in seven), an
    intake check with them in the basket, and its suggestion to add them (a man of 66 on
    amiodarone) said nothing of it."""
    profile = {"age": 75, "sex": "male", "country": "DE"}
    regimen = client.post("/v1/regimens", json={"profile": profile, "max_products": 3}).get_json()
    with_k = [
        line["sku"]
        for line in regimen["lines"]
        if {"vitamin_k1_ug", "vitamin_k2_ug"} & set(line["nutrients_per_day"])
    ]
    assert with_k, regimen["lines"]  # the drops, on cost
    (caution,) = [w for w in regimen["warnings"] if w["code"] == K_CAUTION]
    assert caution["skus"] == with_k
    body = {"profile": profile, "basket": [{"sku": "XF-D3K2-DROPS"}]}
    check = client.post("/v1/intake/check", json=body).get_json()
    assert K_CAUTION in {n["code"] for n in check["notices"]}, check["notices"]
    amiodarone = {"age": 66, "sex": "male", "country": "DE", "medications": ["amiodarone"]}
    body = {"profile": amiodarone, "basket": [{"sku": "GR-KELP-150-TAB"}]}
    suggestion = client.post("/v1/intake/check", json=body).get_json()["suggestion"]
    added = [c["sku"] for c in suggestion["changes"] if c["code"] == "add"]
    assert added == ["XF-D3K2-DROPS"], suggestion
    assert "INR" in suggestion["text"], suggestion["text"]
    # named as taking one, the medicine's own interaction speaks instead: no caution
    vka = {**profile, "medications": ["vitamin_k_antagonist"]}
    regimen = client.post("/v1/regimens", json={"profile": vka}).get_json()
    assert K_CAUTION not in {w["code"] for w in regimen["warnings"]}
