"""Session 5 pharmacist/hostile review (/work/notes/review_s5.md), regimen and advice findings
S5 and S10: a regimen never calls an intake that fails a guarantee (the pregnancy maximum, the
dose band, a contraindication) "achieved" and fine, nor blames the budget for a contraindication;
outside NL/DE an infant, a child and someone of 70+ still get the EFSA reference intake.

Expectations come from the data files and the list's own answer for the same profile, never from
the regimen code.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .conftest import ROOT

REFERENCE = ROOT / "rules" / "reference"
MAXIMA = yaml.safe_load((REFERENCE / "product_maxima.yaml").read_text("utf-8"))
PREGNANCY_D = MAXIMA["life_stages"]["pregnant"]["vitamin_d_ug"]["amount"]


def post(client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json={"locale": "en", **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def codes(answer: dict[str, Any]) -> dict[str, str]:
    return {n["code"]: n["text"] for n in answer["notices"]}


PREGNANT_ON_50 = {
    "age": 30,
    "sex": "female",
    "life_stage": "pregnant",
    "current_supplements": [{"label": "D3 druppels 50", "nutrients": {"vitamin_d_ug": 50}}],
}
OLD_ON_4000_IU = {
    "age": 72,
    "sex": "female",
    "current_supplements": [{"label": "D3 4000 IE", "nutrients": {"vitamin_d_iu": 4000}}],
}


# ---------------------------------------------------------------- S5: regimens
@pytest.mark.parametrize("locale", ["en", "nl", "de"])
@pytest.mark.parametrize("profile", [PREGNANT_ON_50, OLD_ON_4000_IU], ids=["pregnant", "72"])
def test_s5_regimen_warns_as_the_list_does(client, profile, locale):
    """Before: `achieved: true`, "at or above the advised", no notice (and `targets_met`: "nothing
    needs to be added") where the list for the same profile warns `intake_warning:vitamin_d_ug`."""
    assert PREGNANCY_D < 50
    listed = post(client, "/v1/recommendations", {"profile": profile, "locale": locale})
    regimen = post(
        client, "/v1/regimens", {"profile": profile, "locale": locale, "max_products": 3}
    )
    # the dose band's warning, or the upper limit's where food takes the day over it (S2: 100 µg
    # + food for the woman of 72): the notice that names the upper limit wins
    warned = {
        c: t
        for c, t in codes(listed).items()
        if c.startswith(("intake_warning:", "above_upper_limit:"))
    }
    assert {"intake_warning:vitamin_d_ug", "above_upper_limit:vitamin_d_ug"} & set(warned)
    for code, text in warned.items():
        assert codes(regimen).get(code) == text, codes(regimen)
    assert "targets_met" not in codes(regimen)
    target = regimen["targets"]["vitamin_d_ug"]
    assert target["status"] == "fails_guarantee"
    assert target["why"] != post(client, "/v1/regimens", {"profile": {"age": 30}})["targets"].get(
        "vitamin_d_ug", {}
    ).get("why")
    # the list's upper-limit notice for the same profile, where it gives one
    for code, text in codes(listed).items():
        if code.startswith("above_upper_limit:"):
            assert codes(regimen).get(code) == text
    # nothing more of a failing nutrient is added
    assert all("vitamin_d_ug" not in line["nutrients_per_day"] for line in regimen["lines"])


def test_s5_targets_met_only_when_everything_is_fine(client):
    """A person whose intake meets every target and fails nothing still hears `targets_met`, and
    each target says `achieved`."""
    profile = {
        "age": 40,
        "current_supplements": [{"label": "D3 10", "nutrients": {"vitamin_d_ug": 10}}],
    }
    regimen = post(client, "/v1/regimens", {"profile": profile})
    if "targets_met" in codes(regimen):
        assert all(t["status"] == "achieved" for t in regimen["targets"].values())
    for target in regimen["targets"].values():
        assert target["status"] == ("achieved" if target["achieved"] else "missed")


def test_s5_regimen_infeasible_names_the_contraindication(client):
    """Before: "…your choices (budget, number of products)" for kidney disease, where no budget
    or product count is the cause: every product with vitamin D is contraindicated."""
    profile = {"age": 60, "sex": "female", "conditions": ["kidney_disease"]}
    regimen = post(client, "/v1/regimens", {"profile": profile})
    text = codes(regimen)["regimen_infeasible"]
    assert "budget" not in text and "vitamin D" in text, text
    target = regimen["targets"]["vitamin_d_ug"]
    assert not target["achieved"] and "condition" in target["why"], target
    # with a generous budget and product count the cause stays the same
    roomy = post(
        client, "/v1/regimens", {"profile": profile, "max_products": 10, "budget_per_month": 500}
    )
    assert codes(roomy)["regimen_infeasible"] == text


# ---------------------------------------------------------------- S10: markets without a table
TARGETS = yaml.safe_load((REFERENCE / "targets.yaml").read_text("utf-8"))
MARKETS = yaml.safe_load((REFERENCE / "markets.yaml").read_text("utf-8"))
EFSA_D = {
    (r["min_age"], r["max_age"]): r["amount"]
    for r in TARGETS["reference_intakes"]
    if r["nutrient"] == "vitamin_d_ug"
}


def efsa_d(age: int) -> float:
    return next(a for (low, high), a in EFSA_D.items() if low <= age <= high)


@pytest.mark.parametrize("country", ["BE", "AT", "CH", "LU", "FR"])
@pytest.mark.parametrize("age", [0, 1, 3, 75])
def test_s10_unserved_market_falls_back_to_efsa(client, country, age):
    """Before: `items: []`, `no_advice`, "no need in your profile" for an infant in BE."""
    assert country not in MARKETS["served"] and country in MARKETS["countries"]
    profile = {"age": age, "country": country}
    listed = post(client, "/v1/recommendations", {"profile": profile})
    assert "no_advice" not in codes(listed), codes(listed)
    assert listed["items"], codes(listed)
    gives_d = [i for i in listed["items"] if i["nutrients_per_day"].get("vitamin_d_ug", 0) > 0]
    assert gives_d, [i["sku"] for i in listed["items"]]
    reasons = [r for i in gives_d for r in i["reasons"] if r["code"].startswith("fills_gap")]
    assert reasons and all("EFSA" in r["text"] for r in reasons), reasons
    regimen = post(client, "/v1/regimens", {"profile": profile})
    target = regimen["targets"]["vitamin_d_ug"]
    assert target["target"] == efsa_d(age) and target["source"].startswith("efsa-")
    assert "no_targets" not in codes(regimen)


def test_s10_fallback_markets_are_the_unserved_ones():
    """The EFSA fallback entries name exactly the served markets (markets.yaml) as excluded."""
    fallback = [t for t in TARGETS["targets"] if t["id"].startswith("efsa-")]
    assert fallback
    for entry in fallback:
        assert entry["authority"] == "efsa"
        named = entry["when"].split("market in [", 1)[1].split("]", 1)[0]
        assert sorted(m.strip(" '") for m in named.split(",")) == sorted(MARKETS["served"])


@pytest.mark.parametrize("country", ["NL", "DE"])
def test_s10_served_markets_keep_their_own_tables(client, country):
    regimen = post(client, "/v1/regimens", {"profile": {"age": 0, "country": country}})
    assert not regimen["targets"]["vitamin_d_ug"]["source"].startswith("efsa-")
