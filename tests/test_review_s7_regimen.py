"""Pharmacist review s7 P7, the regimen part (/work/notes/review_s7.md P7; the list part is
tests/test_review_s7_notices.py): a doctor's dose above the profile's upper limit or the life
stage's maximum is one the shop cannot supply as a food supplement.

Before, POST /v1/regimens still aimed at that dose: a man of 50 with a doctor's 60 mg iron got
a 14 mg iron product and a target "missed" against 60 mg; a pregnant woman with a doctor's
5000 µg folic acid reached 800 µg "missed" against 5000 µg, and neither answer carried the
list's `doctor_dose_capped` notice. A regimen now aims at the advice without the doctor's dose
(none where there is none: no iron product), never says it missed the doctor's dose, and says
what the list says. Expectations come from the data files (targets.yaml, upper_limits.yaml, the
catalog through tests/oracle.py) and from the list's own answer to the same profile.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from .conftest import ROOT, memory_app
from .oracle import PRODUCTS, per_day

TODAY = dt.date(2026, 12, 2)
LOCALES = ("nl", "de", "en")
REFERENCE = ROOT / "rules" / "reference"
TARGETS = {
    t["id"]: t for t in yaml.safe_load((REFERENCE / "targets.yaml").read_text("utf-8"))["targets"]
}
LIMITS = yaml.safe_load((REFERENCE / "upper_limits.yaml").read_text("utf-8"))
MAXIMA = yaml.safe_load((REFERENCE / "product_maxima.yaml").read_text("utf-8"))["life_stages"]

PREGNANT_FOLIC = {
    "age": 30,
    "sex": "female",
    "country": "NL",
    "life_stage": "pregnant",
    "higher_dose_advised": {"folic_acid_ug": 5000},
}
MAN_IRON = {"age": 50, "sex": "male", "country": "NL", "higher_dose_advised": {"iron_mg": 60}}
PREGNANT_D = {**PREGNANT_FOLIC, "higher_dose_advised": {"vitamin_d_ug": 75}}


@pytest.fixture(scope="module")
def client():
    return memory_app(TODAY).test_client()


def post(client, path: str, profile: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    response = client.post(path, json={"profile": profile, "locale": locale})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def regimen(client, profile: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    return post(client, "/v1/regimens", profile, locale)


def notices(answer: dict[str, Any]) -> dict[str, str]:
    return {n["code"]: n["text"] for n in answer["notices"]}


def given(answer: dict[str, Any], nutrient: str) -> float:
    """What the regimen's lines give a day, from the catalog file."""
    return sum(
        per_day(PRODUCTS[line["sku"]], line["servings_per_day"]).get(nutrient, 0.0)
        for line in answer["lines"]
    )


def upper_limit(nutrient: str, group: str) -> float:
    """The EU (EFSA) upper limit, the default jurisdiction, for an age band or pregnancy."""
    return float(LIMITS["jurisdictions"]["EU"]["limits"][nutrient]["values"][group])


def test_the_data_behind_these_cases():
    """The doses below are medicinal by the data files, not by this test's say-so."""
    assert 5000 > upper_limit("folic_acid_ug", "pregnancy")
    assert 60 > upper_limit("iron_mg", "adult")
    assert 75 > float(MAXIMA["pregnant"]["vitamin_d_ug"]["amount"])


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("profile", "nutrient"),
    [(PREGNANT_FOLIC, "folic_acid_ug"), (MAN_IRON, "iron_mg"), (PREGNANT_D, "vitamin_d_ug")],
    ids=["folic-acid-5000", "iron-60", "vitamin-d-75-pregnant"],
)
def test_the_regimen_says_what_the_list_says_of_a_capped_doctor_dose(
    client, profile, nutrient, locale
):
    """Before: no doctor_dose_capped notice in a regimen at all."""
    code = f"doctor_dose_capped:{nutrient}"
    listed = notices(post(client, "/v1/recommendations", profile, locale))
    assert code in listed, listed
    found = notices(regimen(client, profile, locale))
    assert found.get(code) == listed[code], found


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("profile", "nutrient", "advised"),
    [
        (PREGNANT_FOLIC, "folic_acid_ug", "5000"),
        (MAN_IRON, "iron_mg", "60"),
        (PREGNANT_D, "vitamin_d_ug", "75"),
    ],
    ids=["folic-acid-5000", "iron-60", "vitamin-d-75-pregnant"],
)
def test_no_target_is_the_capped_doctor_dose(client, profile, nutrient, advised, locale):
    """Before: "missed" against 60 mg iron and 5000 µg folic acid."""
    answer = regimen(client, profile, locale)
    target = answer["targets"].get(nutrient)
    if target is not None:
        assert target["target"] < float(advised), target
        assert target["status"] != "missed", target
        assert not target["source"].startswith("higher_dose_advised"), target
    whys = [t["why"] for t in answer["targets"].values()]
    assert not any(advised in why for why in whys), whys


def test_pregnancy_folic_acid_is_aimed_at_the_pregnancy_advice(client):
    answer = regimen(client, PREGNANT_FOLIC)
    advice = TARGETS["pregnancy-folic-acid"]
    target = answer["targets"]["folic_acid_ug"]
    assert target["target"] == advice["amount"] and target["source"] == advice["id"], target
    assert target["status"] == "achieved", target
    amount = given(answer, "folic_acid_ug")
    assert advice["amount"] <= amount <= upper_limit("folic_acid_ug", "pregnancy"), answer["lines"]


def test_no_iron_product_for_a_dose_only_the_doctor_can_give(client):
    """Before: a 14 mg iron product in the regimen beside the doctor's 60 mg."""
    answer = regimen(client, MAN_IRON)
    assert given(answer, "iron_mg") == 0, answer["lines"]
    assert "iron_mg" not in answer["targets"], answer["targets"]


def test_vitamin_d_in_pregnancy_is_aimed_at_the_advice_not_the_doctor(client):
    answer = regimen(client, PREGNANT_D)
    advice = TARGETS["nl-pregnancy-vitamin-d"]
    target = answer["targets"]["vitamin_d_ug"]
    assert target["target"] == advice["amount"] and target["source"] == advice["id"], target
    assert given(answer, "vitamin_d_ug") <= float(MAXIMA["pregnant"]["vitamin_d_ug"]["amount"])


def test_a_doctor_dose_within_the_limits_is_still_aimed_at_beside_a_capped_one(client):
    profile = {**MAN_IRON, "higher_dose_advised": {"iron_mg": 60, "vitamin_d_ug": 50}}
    answer = regimen(client, profile)
    target = answer["targets"]["vitamin_d_ug"]
    assert target["target"] == 50 and target["source"] == "higher_dose_advised:vitamin_d_ug"
    capped = [c for c in notices(answer) if c.startswith("doctor_dose_capped")]
    assert capped == ["doctor_dose_capped:iron_mg"], capped
    assert given(answer, "iron_mg") == 0, answer["lines"]


def suggestion(client, profile: dict[str, Any]) -> dict[str, Any] | None:
    body = {"profile": profile, "basket": [], "locale": "en"}
    response = client.post("/v1/intake/check", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["suggestion"]


def test_the_intake_check_suggests_no_iron_for_a_dose_only_the_doctor_can_give(client):
    """The intake check's `add` suggestion is the one-product regimen (regimen_problem). Before:
    "Add XTRA FUEL Iron 14 mg ...: with it you reach 14 of the advised 60 mg iron"."""
    assert suggestion(client, MAN_IRON) is None


def test_the_intake_check_quotes_the_pregnancy_folic_acid_advice(client):
    """Before: "... 400 of the advised 5000 µg folic acid ...". Our aim, as the list's reason
    quotes it (review 19 F5, session 20: "our suggested", not "the advised")."""
    found = suggestion(client, PREGNANT_FOLIC)
    assert found is not None
    amount = TARGETS["pregnancy-folic-acid"]["amount"]
    assert f"of our suggested {amount} µg folic acid" in found["text"], found
    assert "5000" not in found["text"], found
