"""Guarantee 9 (contract v1.1): upper limits are for the whole diet. A high usual intake from
food (rules/reference/food_intake.yaml) counts wherever the limit is for total intake; the room
for supplements is what is left. The expected numbers come from tests/oracle.py, which reads the
data file itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from service.core.errors import DataFileError
from service.core.profile import Profile
from service.core.ranking import evaluate
from service.core.regimen import formulate_regimen
from service.core.snapshot import load_snapshot

from .oracle import PRODUCTS, expected_food, expected_room, expected_upper_limit, per_day

TODAY = dt.date(2026, 11, 28)


def _upper_limit_excluded(recommender, profile: dict[str, Any]) -> set[str]:
    snapshot = recommender.snapshot
    ev = evaluate(snapshot, Profile.from_dict(profile), [], TODAY)
    skus = [p.sku for p in snapshot.catalog.products]
    return {skus[i] for i in ev.safety.excluded["upper_limit"].nonzero()[0]}


def test_oracle_reads_the_food_table():
    adult = {"age": 40, "country": "NL"}
    assert expected_food({**adult, "sex": "female"}, "zinc_mg") == 12.5
    assert expected_food({**adult, "sex": "male"}, "zinc_mg") == 16
    assert expected_food(adult, "zinc_mg") == 16  # unspecified: the higher
    assert expected_food(adult, "magnesium_mg") == 0  # supplements only
    assert expected_food(adult, "folic_acid_ug") == 0
    assert expected_food({"age": 0}, "vitamin_d_ug") == 15  # formula and food (review 18 F2)
    assert expected_food({"age": 0}, "vitamin_a_ug") == 0  # no product for infants carries it
    assert expected_food({**adult, "dairy_portions_per_day": 2}, "calcium_mg") == 850
    assert expected_food({"age": 40, "country": "US"}, "vitamin_a_ug") == 1800  # highest table
    assert expected_room(adult, "calcium_mg") == 500


@pytest.mark.parametrize(
    "profile, sku",
    [
        ({"age": 40}, "BL-ZINC-25-TAB"),  # 25 mg zinc: the whole UL, food gives up to 16 more
        ({"age": 40}, "XF-CAD3-1000-20-TAB"),  # 1000 mg calcium + up to 2000 from food
        ({"age": 2}, "KV-MULTI-KIDS-CHEW"),
    ],
)
def test_a_product_that_fits_the_limit_only_without_food_is_not_offered(recommender, profile, sku):
    """Regression: before v1.1, only supplements counted against the (total-intake) limit."""
    product = PRODUCTS[sku]
    amounts = per_day(product)
    assert any(
        (limit := expected_upper_limit(n, profile["age"], "none")) is not None
        and a <= limit < a + expected_food(profile, n)
        for n, a in amounts.items()
    ), "the case must be one that only the food allowance decides"
    assert sku in _upper_limit_excluded(recommender, profile)


def test_declared_dairy_portions_replace_the_calcium_allowance(recommender):
    sku = "XF-CAD3-1000-20-TAB"
    assert sku in _upper_limit_excluded(recommender, {"age": 60})
    assert sku not in _upper_limit_excluded(recommender, {"age": 60, "dairy_portions_per_day": 1})
    assert sku in _upper_limit_excluded(recommender, {"age": 60, "dairy_portions_per_day": 9})


def test_magnesium_limit_is_for_supplements_only(recommender):
    assert "BL-MG-OX-250-TAB" not in _upper_limit_excluded(recommender, {"age": 40})


def test_intake_shows_food_and_room_and_items_fit_the_room(client):
    body = {
        "profile": {"age": 50, "sex": "female", "country": "DE"},
        "basket": [{"label": "D", "nutrients": {"vitamin_d_ug": 20}}],
        "limit": 20,
        "locale": "en",
    }
    answer = client.post("/v1/recommendations", json=body).get_json()
    entry = answer["intake"]["vitamin_d_ug"]
    assert entry == {"current": 20, "upper_limit": 100, "food": 8, "room": 72}
    assert answer["intake"]["magnesium_mg"]["food"] == 0
    for item in answer["items"]:
        for key, amount in item["nutrients_per_day"].items():
            room = answer["intake"][key]["room"]
            assert room is None or amount <= room + 1e-6, (item["sku"], key)


def test_intake_check_warns_when_only_food_takes_a_total_over_the_limit(client):
    def check(amount: float) -> dict[str, Any]:
        body = {
            "profile": {"age": 40, "sex": "male"},
            "basket": [{"label": "D drops", "nutrients": {"vitamin_d_ug": amount}}],
            "locale": "en",
        }
        return client.post("/v1/intake/check", json=body).get_json()

    inside = check(91)  # 91 + 9 from food = 100: at the limit
    assert inside["totals"]["vitamin_d_ug"]["room"] == 0
    assert not [w for w in inside["warnings"] if w["code"].startswith("above_room")]
    over = check(95)
    total = over["totals"]["vitamin_d_ug"]
    # R13: the verdict counts food where the limit is for total intake
    assert total["status"] == "above_upper_limit" and total["food"] == 9 and total["room"] == 0
    (violation,) = over["violations"]
    assert violation["amount"] == 95 and violation["food"] == 9 and violation["counts_food"]
    (warning,) = [w for w in over["warnings"] if w["code"] == "above_room:vitamin_d_ug"]
    assert warning["skus"] == ["D drops"] and "100" in warning["text"] and "9" in warning["text"]


def test_regimen_uses_the_same_room(recommender):
    profile = {
        "age": 75,
        "sex": "male",
        "current_supplements": [{"label": "D", "nutrients": {"vitamin_d_ug": 95}}],
        # goals give other nutrients a need (issue 10: no item without a need)
        "goals": ["energy", "heart"],
    }
    answer = formulate_regimen(recommender.snapshot, {"profile": profile, "locale": "en"}, TODAY)
    for line in answer["lines"]:
        assert "vitamin_d_ug" not in line["nutrients_per_day"], line
    recommendation = recommender.recommend({"profile": profile, "limit": 50})
    assert recommendation["items"], "other nutrients are still offered"
    assert all("vitamin_d_ug" not in i["nutrients_per_day"] for i in recommendation["items"])


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda d: d["markets"]["NL"]["values"]["zinc_mg"].pop("source"), ["zinc_mg", "source"]),
        (lambda d: d["markets"]["NL"]["values"]["zinc_mg"].update({"4-7": 3}), ["4-7"]),
        (lambda d: d["markets"]["NL"]["values"]["zinc_mg"].update({"adult": -1}), [">= 0"]),
        (lambda d: d["markets"]["DE"]["values"].update({"zinc_ug": {"adult": 1}}), ["zinc_ug"]),
        (lambda d: d["texts"]["above_room"].update({"en": "{limit}"}), ["placeholder"]),
    ],
)
def test_a_broken_food_table_is_refused_with_file_and_reason(data_copy, edit, words):
    path = data_copy.reference_dir / "food_intake.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataFileError) as refused:
        load_snapshot(data_copy)
    text = " ".join(str(f) for f in refused.value.findings)
    assert "food_intake.yaml" in text
    for word in words:
        assert word in text, text


def test_food_alone_above_a_limit_is_said_in_every_list(client):
    """Session 11 (CI stop 23): 14 declared dairy portions give 500 + 14 x 175 = 2,950 mg
    calcium, above the 2,500 mg limit for total intake, with nothing taken. The list offered no
    calcium and said nothing of why; now `above_upper_limit:calcium_mg` names the food and the
    excess in every list and placement, and nothing offered gives calcium."""
    profile = {"age": 40, "sex": "female", "country": "NL", "dairy_portions_per_day": 14}
    food = expected_food(profile, "calcium_mg")
    limit = expected_upper_limit("calcium_mg", 40, "none")
    assert food == 2950 and limit == 2500
    for placement in (None, "home", "cart", "checkout", "account", "email"):
        body: dict[str, Any] = {"profile": {**profile, "goals": ["bones"]}, "locale": "en"}
        if placement:
            body["placement"] = placement
        answer = client.post("/v1/recommendations", json=body).get_json()
        (notice,) = [n for n in answer["notices"] if n["code"] == "above_upper_limit:calcium_mg"]
        assert "2950" in notice["text"] and "450" in notice["text"] and "2500" in notice["text"]
        for item in answer["items"]:
            assert per_day(PRODUCTS[item["sku"]]).get("calcium_mg", 0) == 0, (placement, item)
    below = {**profile, "dairy_portions_per_day": 11}  # 2,425 mg: within the limit
    answer = client.post("/v1/recommendations", json={"profile": below}).get_json()
    assert "above_upper_limit:calcium_mg" not in {n["code"] for n in answer["notices"]}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_the_above_room_warning_opens_with_a_capital(client, locale):
    """Review 10: the food text opens with the nutrient's name, lower case in nl and en
    ("vitamine D: 95 µg ..."), so the warning began with a small letter."""
    body = {
        "profile": {"age": 40, "sex": "male"},
        "basket": [{"label": "D drops", "nutrients": {"vitamin_d_ug": 95}}],
        "locale": locale,
    }
    answer = client.post("/v1/intake/check", json=body).get_json()
    (warning,) = [w for w in answer["warnings"] if w["code"] == "above_room:vitamin_d_ug"]
    assert warning["text"][0].isupper(), warning["text"]
