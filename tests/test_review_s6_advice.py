"""Session 6 review (notes/review_s6.md), the advice findings T2, T3 and T7.

- T2: a measured serum 25(OH)D gave a 2-year-old an "advised 40 µg" vitamin D and a pregnant
  woman "about 40 µg" (above the 25 µg pregnancy maximum). The measured advice (targets.yaml
  `low-serum-vitamin-d`, the adult dose-response of domain.md) and the raised dose band are for
  adults outside pregnancy and breastfeeding; children and pregnant or breastfeeding people keep
  their normal advice, and a deficient level gets the see-a-doctor notice, in regimens too.
- T3: the intake check removed a pregnant woman's 10 µg folic acid + D3 tablet beside a 25 µg
  softgel: the sum above the life stage's maximum is not a failure of each line; the largest
  giver goes first until the sum fits (unsuited.py).
- T7: the goal `pregnancy` (planning one) gets the 400 µg folic acid target, so the regimen and
  the list agree.

Expectations come from the data (product_maxima.yaml, scoring.yaml, markets.yaml) and the
tests' own reading of domain.md (tests/oracle_advice.py), never from the service's advice code.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .conftest import ROOT, TODAY
from .oracle import PRODUCTS, per_day
from .oracle_advice import vitamin_d_advice

REFERENCE = ROOT / "rules" / "reference"
MAXIMA = yaml.safe_load((REFERENCE / "product_maxima.yaml").read_text("utf-8"))["life_stages"]
SCORING = yaml.safe_load((REFERENCE / "scoring.yaml").read_text("utf-8"))
AGES = yaml.safe_load((REFERENCE / "markets.yaml").read_text("utf-8"))["life_stage_ages"]
REFER_BELOW = SCORING["dose_band"]["serum"]["refer_below"]
FACTOR = SCORING["dose_band"]["factor"]
D, FOLIC = "vitamin_d_ug", "folic_acid_ug"
LOCALES = ("nl", "de", "en")


def post(client, path: str, body: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    response = client.post(path, json={"locale": locale, **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def codes(answer: dict[str, Any]) -> list[str]:
    return [n["code"] for n in answer["notices"]]


# ---------------------------------------------------------------- T2: serum level, who it advises
NOT_MEASURED = [
    pytest.param({"age": 2}, id="toddler"),
    pytest.param({"age": 9, "sex": "male"}, id="child-9"),
    pytest.param({"age": 30, "sex": "female", "life_stage": "pregnant"}, id="pregnant"),
    pytest.param({"age": 30, "sex": "female", "life_stage": "breastfeeding"}, id="breastfeeding"),
]


@pytest.mark.parametrize("profile", NOT_MEASURED)
@pytest.mark.parametrize("serum", [10, 40])
def test_a_serum_level_gives_children_and_pregnancy_only_their_normal_advice(
    client, profile: dict[str, Any], serum: float
) -> None:
    """T2: the regimen's vitamin D target is the age or life-stage advice (or none), never an
    amount from the adult dose-response; no list item quotes such an amount or gives more than
    the ordinary dose band, and nothing above the life stage's maximum."""
    profile = {**profile, "serum_25ohd_nmol_l": serum}
    normal = vitamin_d_advice(profile, TODAY.month)
    regimen = post(client, "/v1/regimens", {"profile": profile})
    target = regimen["targets"].get(D)
    if normal is None:
        assert target is None, target
    else:
        assert target is not None and target["target"] == normal, target
        assert target["source"] != "low-serum-vitamin-d", target
    listed = post(client, "/v1/recommendations", {"profile": profile, "limit": 10})
    # the ordinary band: 2.5 x the advice, else x the EFSA adequate intake (15 µg from 1 year)
    band = FACTOR * (normal if normal is not None else 15.0)
    maximum = MAXIMA.get(profile.get("life_stage", "none"), {}).get(D, {}).get("amount")
    for item in listed["items"]:
        amount = per_day(PRODUCTS[item["sku"]]).get(D, 0.0)
        assert amount <= band + 1e-9, (item["sku"], amount, band)
        if maximum is not None:
            assert amount <= maximum + 1e-9, (item["sku"], amount, maximum)
        for reason in item["reasons"]:
            assert "towards 50 nmol/l" not in reason["text"], (item["sku"], reason)
            assert not reason["code"].startswith("dose_serum:"), (item["sku"], reason)


@pytest.mark.parametrize("profile", NOT_MEASURED)
def test_a_deficient_level_sends_to_the_doctor_in_lists_and_regimens(
    client, profile: dict[str, Any]
) -> None:
    """T2: below scoring.yaml dose_band.serum.refer_below the regimen says serum_deficient as
    the list does (it had no such notice), in every locale."""
    profile = {**profile, "serum_25ohd_nmol_l": REFER_BELOW - 20}
    for locale in LOCALES:
        regimen = post(client, "/v1/regimens", {"profile": profile}, locale)
        listed = post(client, "/v1/recommendations", {"profile": profile}, locale)
        assert "serum_deficient" in codes(regimen), (locale, regimen["notices"])
        assert "serum_deficient" in codes(listed), (locale, listed["notices"])
        regimen_text = dict((n["code"], n["text"]) for n in regimen["notices"])
        listed_text = dict((n["code"], n["text"]) for n in listed["notices"])
        assert regimen_text["serum_deficient"] == listed_text["serum_deficient"]


def test_an_adult_keeps_the_measured_advice_and_the_regimen_the_doctor_notice(client) -> None:
    """The adult rule stays (domain.md: about +1 nmol/l per 1 µg a day, towards 50 nmol/l):
    serum 10 -> 40 µg, with the see-a-doctor notice now in the regimen too."""
    profile = {"age": 45, "sex": "male", "serum_25ohd_nmol_l": 10}
    regimen = post(client, "/v1/regimens", {"profile": profile})
    assert regimen["targets"][D]["target"] == 40, regimen["targets"]
    assert regimen["targets"][D]["source"] == "low-serum-vitamin-d"
    assert "serum_deficient" in codes(regimen), regimen["notices"]
    adequate = post(client, "/v1/regimens", {"profile": {**profile, "serum_25ohd_nmol_l": 60}})
    assert "serum_deficient" not in codes(adequate)


# ---------------------------------------------------------------- T3: largest giver first
def removed(answer: dict[str, Any]) -> list[str]:
    suggestion = answer.get("suggestion") or {}
    return [c["sku"] for c in suggestion.get("changes") or () if c["code"] == "remove"]


@pytest.mark.parametrize("larger", ["XF-D3-25-SG", "XF-D3-20-TAB"])
def test_the_intake_check_removes_only_the_largest_giver_in_pregnancy(client, larger: str) -> None:
    """T3: 25 (or 20) µg + the 10 µg folic acid tablet is above the 25 µg pregnancy maximum;
    removing the larger line brings the day within it, so the folic acid tablet stays."""
    maximum = MAXIMA["pregnant"][D]["amount"]
    small = per_day(PRODUCTS["XF-FOLIC-D3-TAB"])[D]
    assert per_day(PRODUCTS[larger])[D] + small > maximum >= small  # the case holds in data
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    basket = [{"sku": larger}, {"sku": "XF-FOLIC-D3-TAB"}]
    answer = post(client, "/v1/intake/check", {"profile": profile, "basket": basket})
    assert removed(answer) == [larger], answer.get("suggestion")
    assert "XF-FOLIC-D3-TAB" not in answer["suggestion"]["text"], answer["suggestion"]["text"]


def test_a_line_above_the_maximum_on_its_own_fails_and_the_small_one_stays(client) -> None:
    """T3: a taken 50 µg (above the 25 µg maximum on its own) is the line that fails; the
    basket's 10 µg folic acid tablet is not removed for it (no basket change fixes what is
    taken, so nothing is suggested rather than removing the tablet)."""
    profile = {
        "age": 30,
        "sex": "female",
        "life_stage": "pregnant",
        "current_supplements": [{"sku": "XF-D3-50-CAP"}],
    }
    basket = [{"sku": "XF-FOLIC-D3-TAB"}]
    answer = post(client, "/v1/intake/check", {"profile": profile, "basket": basket})
    assert "XF-FOLIC-D3-TAB" not in removed(answer), answer.get("suggestion")


# ---------------------------------------------------------------- T7: planning a pregnancy
def folic_items(answer: dict[str, Any]) -> set[str]:
    return {i["sku"] for i in answer["items"] if per_day(PRODUCTS[i["sku"]]).get(FOLIC, 0) > 0}


@pytest.mark.parametrize("country", ["NL", "DE"])
def test_planning_a_pregnancy_gets_a_folic_acid_regimen_that_agrees_with_the_list(
    client, country: str
) -> None:
    """T7: the Gezondheidsraad advises 400 µg folic acid a day from 4 weeks before conception;
    the regimen had no lines and "no advised daily amount" while the list offered folic acid."""
    profile = {"age": 30, "sex": "female", "goals": ["pregnancy"], "country": country}
    regimen = post(client, "/v1/regimens", {"profile": profile})
    assert "no_targets" not in codes(regimen), regimen["notices"]
    assert regimen["targets"][FOLIC]["target"] == 400, regimen["targets"]
    assert regimen["targets"][FOLIC]["achieved"], regimen["targets"][FOLIC]
    listed = post(client, "/v1/recommendations", {"profile": profile, "limit": 10})
    assert "no_advice" not in codes(listed), listed["notices"]
    assert folic_items(listed), listed["items"]
    # the regimen's folic acid product is one the list offers on its category's shelf
    chosen = {line["sku"] for line in regimen["lines"]}
    folic = {s for s in chosen if per_day(PRODUCTS[s]).get(FOLIC, 0) > 0}
    assert folic, chosen
    for sku in folic:
        category = PRODUCTS[sku]["category"]
        shelf = post(client, "/v1/recommendations", {"profile": profile, "category": category})
        assert sku in {i["sku"] for i in shelf["items"]}, (sku, shelf["items"])


@pytest.mark.parametrize(
    ("profile", "applies"),
    [
        ({"age": AGES["pregnant"]["min_age"], "sex": "female"}, True),
        ({"age": AGES["pregnant"]["max_age"], "sex": "female"}, True),
        ({"age": AGES["pregnant"]["min_age"] - 1, "sex": "female"}, False),
        ({"age": AGES["pregnant"]["max_age"] + 1, "sex": "female"}, False),
        ({"age": 30, "sex": "male"}, False),
        ({"age": 30}, True),  # no sex given, as markets.yaml life_stage_ages admits
    ],
)
def test_the_pregnancy_goal_target_follows_the_life_stage_ages(
    client, profile: dict[str, Any], applies: bool
) -> None:
    """T7: the goal's folic acid target holds for the ages a pregnancy may be stated at
    (markets.yaml life_stage_ages), not for a man; where it does not, no folic acid target."""
    regimen = post(client, "/v1/regimens", {"profile": {**profile, "goals": ["pregnancy"]}})
    target = regimen["targets"].get(FOLIC)
    if applies:
        assert target is not None and target["target"] == 400, regimen["targets"]
    else:
        assert target is None, target
