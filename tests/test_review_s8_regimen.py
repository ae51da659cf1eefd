"""Pharmacist review 8b, the regimen findings (/tmp/review8b/report.md R5, R10 second half, R2).

- R5: a target whose status says the amount fails a guarantee (`fails_guarantee`) said
  `"achieved": true`; `achieved` now holds exactly when the status is `achieved`.
- R10: "Together with what you already take, this regimen gives ..." for a profile that takes
  nothing; the regimen alone now "gives" it, in nl, de and en.
- R2: a man of 68 with goal muscles got 250 mg magnesium oxide (the whole supplement upper limit)
  for a 150 mg aim, where a 150 mg tablet fits and the list puts it first; the regimen now
  counts magnesium's overshoot too (scoring.yaml dose_fit.regimen_nutrients).

Expectations come from the request and the data files (targets.yaml, upper_limits.yaml, the
catalog through tests/oracle.py), and from the list's own answer to the same profile.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from service.core.errors import DataFileError
from service.core.recommender import Recommender

from .conftest import ROOT, TODAY, memory_app
from .oracle import PRODUCTS, per_day

LOCALES = ("nl", "de", "en")
REFERENCE = ROOT / "rules" / "reference"
TARGETS = {
    t["id"]: t for t in yaml.safe_load((REFERENCE / "targets.yaml").read_text("utf-8"))["targets"]
}
LIMITS = yaml.safe_load((REFERENCE / "upper_limits.yaml").read_text("utf-8"))
# "what you already take" in each locale (the wording of target_met before R10)
ALREADY_TAKEN = {
    "nl": "wat je al neemt",
    "de": "bisherigen einnahme",
    "en": "what you already take",
}
MG = "magnesium_mg"


@pytest.fixture(scope="module")
def client():
    return memory_app(TODAY).test_client()


def regimen(client, profile: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    body = {"profile": profile, "max_products": 3, "locale": locale}
    response = client.post("/v1/regimens", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def given(answer: dict[str, Any], nutrient: str) -> float:
    """What the regimen's lines give a day, from the catalog file."""
    return sum(
        per_day(PRODUCTS[line["sku"]], line["servings_per_day"]).get(nutrient, 0.0)
        for line in answer["lines"]
    )


# ---------------------------------------------------------------- R5
@pytest.mark.parametrize(
    "profile",
    [
        {"age": 72, "sex": "female", "current_supplements": [{"sku": "XF-D3-75-TAB"}]},
        {
            "age": 72,
            "sex": "female",
            "medications": ["thiazide_diuretic"],
            "current_supplements": [{"sku": "XF-D3-75-TAB"}],
        },
    ],
)
def test_a_target_that_fails_a_guarantee_is_not_achieved(client, profile):
    """R5: 75 µg vitamin D taken at 72 (advice 20 µg, targets.yaml nl-70-plus-vitamin-d; the dose
    band is 2.5 x that) fails guarantee 10: the target is not `achieved`."""
    assert (
        TARGETS["nl-70-plus-vitamin-d"]["amount"] * 2.5
        < per_day(PRODUCTS["XF-D3-75-TAB"])["vitamin_d_ug"]
    )
    answer = regimen(client, profile)
    target = answer["targets"]["vitamin_d_ug"]
    assert target["status"] == "fails_guarantee"
    assert target["achieved"] is False
    # a taken product that fails a guarantee is not a target the regimen could not reach
    assert "regimen_partial" not in {n["code"] for n in answer["notices"]}


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 72, "sex": "female", "current_supplements": [{"sku": "XF-D3-75-TAB"}]},
        {"age": 30, "sex": "female", "life_stage": "pregnant"},
        {"age": 75, "sex": "female"},
        {"age": 68, "sex": "male", "goals": ["muscles", "heart", "bones"]},
        {"age": 1, "country": "DE"},
        {"age": 45, "sex": "female", "diet": "vegan", "goals": ["energy"]},
    ],
)
def test_achieved_agrees_with_every_status(client, profile):
    """R5: `achieved` is true for status `achieved` and false for every other status."""
    for target in regimen(client, profile)["targets"].values():
        assert target["status"] in {"achieved", "missed", "fails_guarantee"}
        assert target["achieved"] is (target["status"] == "achieved"), target


# ---------------------------------------------------------------- R10 (second half)
@pytest.mark.parametrize("locale", LOCALES)
def test_nothing_taken_is_not_called_what_you_already_take(client, locale):
    """R10: a woman of 75 who takes nothing gets 20 µg vitamin D (targets.yaml
    nl-70-plus-vitamin-d) from the regimen alone: its why does not speak of what she takes."""
    answer = regimen(client, {"age": 75, "sex": "female"}, locale)
    target = answer["targets"]["vitamin_d_ug"]
    assert target["target"] == TARGETS["nl-70-plus-vitamin-d"]["amount"]
    assert target["status"] == "achieved"
    assert ALREADY_TAKEN[locale] not in target["why"].lower()
    assert "20" in target["why"]


@pytest.mark.parametrize("locale", LOCALES)
def test_what_is_taken_is_still_named_when_it_counts(client, locale):
    """R10: with 10 µg vitamin D already taken, the regimen's 20 µg total is still 'together
    with what you already take'."""
    profile = {
        "age": 75,
        "sex": "female",
        "current_supplements": [{"label": "D drops", "nutrients": {"vitamin_d_ug": 10}}],
    }
    target = regimen(client, profile, locale)["targets"]["vitamin_d_ug"]
    assert target["status"] == "achieved"
    assert ALREADY_TAKEN[locale] in target["why"].lower()


# ---------------------------------------------------------------- R2
MUSCLES_68 = {"age": 68, "sex": "male", "goals": ["muscles"]}


@pytest.mark.parametrize(
    "profile",
    [
        MUSCLES_68,
        {
            **MUSCLES_68,
            "medications": ["vitamin_k_antagonist"],
            "goals": ["heart", "bones", "muscles"],
        },
    ],
)
def test_the_regimen_takes_the_magnesium_dose_that_fits(client, profile):
    """R2: the aim is 150 mg magnesium (targets.yaml sport-magnesium); the catalog has a 150 mg
    tablet; the supplement upper limit is 250 mg. The regimen gives 150 mg, not the limit."""
    aim = TARGETS["sport-magnesium"]["amount"]
    limit = LIMITS["jurisdictions"]["EU"]["limits"][MG]["values"]["adult"]
    assert per_day(PRODUCTS["XF-MG-CIT-150-TAB"])[MG] == aim < limit
    answer = regimen(client, profile)
    assert answer["targets"][MG]["target"] == aim
    assert given(answer, MG) == aim
    assert answer["targets"][MG]["amount"] == aim
    assert f"near_upper_limit:{MG}" not in {w["code"] for w in answer["warnings"]}


def test_the_regimen_and_the_list_agree_on_magnesium(client):
    """R2: the list for the same profile puts the same magnesium product first."""
    response = client.post(
        "/v1/recommendations", json={"profile": MUSCLES_68, "limit": 5, "locale": "en"}
    )
    assert response.status_code == 200
    items = response.get_json()["items"]
    first = next(i["sku"] for i in items if per_day(PRODUCTS[i["sku"]]).get(MG, 0) > 0)
    lines = [line["sku"] for line in regimen(client, MUSCLES_68)["lines"]]
    assert first in lines


def test_an_unknown_regimen_nutrient_is_refused_at_load(data_copy):
    """R2: scoring.yaml `dose_fit.regimen_nutrients` is data, checked when the snapshot loads."""
    path = data_copy.reference_dir / "scoring.yaml"
    text = path.read_text("utf-8")
    assert "regimen_nutrients: [magnesium_mg]" in text
    path.write_text(text.replace("regimen_nutrients: [magnesium_mg]", "regimen_nutrients: [mg]"))
    with pytest.raises(DataFileError) as refused:
        Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    assert any(f.file.endswith("scoring.yaml") for f in refused.value.findings)
