"""Review 11 R11-1: a pregnant woman's own vitamin A (retinol) supplement, typed in as a label
line, got no word in any list, placement or the intake check, while a catalog product with
half the dose was "not suitable during pregnancy". Retinol is teratogenic; product_maxima.yaml
`life_stages.pregnant.vitamin_a_ug` is now 0, so a label line is held to what the catalog's
flags say of every product with vitamin A. Expectations come from the data files."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .oracle import PRODUCTS, REFERENCE_DIR, per_day

STAGES = yaml.safe_load((REFERENCE_DIR / "product_maxima.yaml").read_text("utf-8"))["life_stages"]
RETINOL = {"label": "Vitamin A forte", "nutrients": {"vitamin_a_ug": 1500}}
PREGNANT = {"age": 30, "sex": "female", "life_stage": "pregnant"}


def test_the_data_says_no_retinol_in_pregnancy_and_the_catalog_agrees():
    assert STAGES["pregnant"]["vitamin_a_ug"]["amount"] == 0
    for sku, product in PRODUCTS.items():
        if per_day(product).get("vitamin_a_ug", 0) > 0:
            assert product.get("pregnancy_suitable") is False, sku


@pytest.mark.parametrize("placement", [None, "home", "cart", "checkout", "account", "email"])
@pytest.mark.parametrize(
    "profile",
    [PREGNANT, {"age": 31, "sex": "female", "goals": ["pregnancy"]}],  # planning one too
)
def test_a_retinol_label_line_is_warned_of_in_every_list(client, placement, profile):
    body: dict[str, Any] = {
        "profile": {**profile, "current_supplements": [RETINOL]},
        "locale": "en",
    }
    if placement:
        body["placement"] = placement
    answer = client.post("/v1/recommendations", json=body).get_json()
    (notice,) = [n for n in answer["notices"] if n["code"] == "intake_warning:vitamin_a_ug"]
    assert "Vitamin A forte" in notice["text"] and "1500" in notice["text"]
    # her own stage: "in pregnancy", or "when you want to become pregnant" (session 39, s39d F3)
    assert "pregnan" in notice["text"] and "midwife" in notice["text"]
    for item in answer["items"]:
        assert per_day(PRODUCTS[item["sku"]]).get("vitamin_a_ug", 0) == 0, item["sku"]


def test_the_intake_check_warns_of_a_retinol_label_line_in_pregnancy(client):
    body = {"profile": PREGNANT, "basket": [RETINOL], "locale": "en"}
    answer = client.post("/v1/intake/check", json=body).get_json()
    (warning,) = [w for w in answer["warnings"] if w["code"] == "life_stage_maximum"]
    assert warning["skus"] == ["Vitamin A forte"]
    assert answer["suggestion"]["changes"][0]["code"] == "remove"


def test_breastfeeding_keeps_vitamin_a(client):
    """The maximum is for pregnancy only: vitamin A is no concern while breastfeeding."""
    profile = {"age": 30, "sex": "female", "life_stage": "breastfeeding"}
    body = {"profile": {**profile, "current_supplements": [RETINOL]}, "locale": "en"}
    answer = client.post("/v1/recommendations", json=body).get_json()
    assert "intake_warning:vitamin_a_ug" not in {n["code"] for n in answer["notices"]}


def test_float_noise_of_retinol_is_no_amount_in_lists_or_the_check(client):
    """Hostile check of R11-1: 1e-300 µg vitamin A was a warning ("gives 0 µg") in the list
    while the intake check, which allows float noise, said nothing; both say nothing now."""
    noise = {"label": "x", "nutrients": {"vitamin_a_ug": 1e-300}}
    body = {"profile": {**PREGNANT, "current_supplements": [noise]}, "locale": "en"}
    answer = client.post("/v1/recommendations", json=body).get_json()
    assert "intake_warning:vitamin_a_ug" not in {n["code"] for n in answer["notices"]}
    check = client.post("/v1/intake/check", json={"profile": PREGNANT, "basket": [noise]})
    assert not [w for w in check.get_json()["warnings"] if w["code"] == "life_stage_maximum"]
