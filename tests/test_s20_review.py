"""Session 20: the findings left open by session 19 and this session's reviews."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import recommend

PREGNANT = {"age": 30, "sex": "female", "life_stage": "pregnant", "country": "NL"}
REGIMEN_TEXTS = Path(__file__).resolve().parents[1] / "rules" / "reference" / "regimen_texts.yaml"


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_folic_acid_in_pregnancy_is_our_aim_in_the_regimen_and_the_check_as_in_the_list(
    client, locale
):
    """Review 19 F5: the list's reason quotes folic acid in pregnancy as our aim (targets.yaml:
    authority dosewise, not in domain.md's tables), while the regimen and the intake check
    called the same 400 µg "the advised": its `first` priority, which only orders it before
    the other advice, made it read as an authority's. A target's wording follows its
    authority; its priority only orders it."""
    words = yaml.safe_load(REGIMEN_TEXTS.read_text(encoding="utf-8"))["texts"]
    ours, advised = words["advised_ours"][locale], words["advised"][locale]
    listed = recommend(client, {"profile": PREGNANT, "limit": 5}, locale)
    reasons = [r for i in listed["items"] for r in i["reasons"]]
    assert any(r["code"] == "fills_gap:folic_acid_ug" for r in reasons)
    body = {"profile": PREGNANT, "locale": locale}
    regimen = client.post("/v1/regimens", json=body).get_json()
    why = regimen["targets"]["folic_acid_ug"]["why"]
    assert f"{ours} 400" in why and advised not in why, why
    check = {"profile": PREGNANT, "basket": [{"sku": "XF-D3-10-TAB"}], "locale": locale}
    added = client.post("/v1/intake/check", json=check).get_json()["suggestion"]
    assert added["sku"] in {"BL-FOLIC-400-TAB", "GR-METHYLFOLATE-400-CAP"}, added
    assert f"{ours} 400" in added["text"] and advised not in added["text"], added["text"]


@pytest.mark.parametrize("servings", [0.01, 0.5])
def test_the_next_pack_of_a_product_taken_at_its_label_never_lowers_what_is_counted(
    client, servings
):
    """Review 20a F1 (unsafe): a basket line of a product taken at its label (no
    `servings_per_day`) with fewer servings a day than the label replaced the taken line's
    servings: a 50 µg D3 taken and its next pack at 0.01 a day counted 0.5 µg, and with 25 µg
    from a label line and 9 µg from food, 20 µg products were offered (104 of the limit of
    100). The next pack counts only above the label's serving."""
    taken = [{"sku": "NV-D3-50-FISH-SG"}, {"label": "D3 drops", "nutrients": {"vitamin_d_ug": 25}}]
    profile = {"age": 40, "sex": "male", "serum_25ohd_nmol_l": 10, "current_supplements": taken}
    basket = [{"sku": "NV-D3-50-FISH-SG", "servings_per_day": servings}]
    plain = recommend(client, {"profile": profile, "limit": 50})
    answer = recommend(client, {"profile": profile, "basket": basket, "limit": 50})
    assert answer["intake"]["vitamin_d_ug"] == plain["intake"]["vitamin_d_ug"]
    assert answer["intake"]["vitamin_d_ug"]["current"] == 75
    assert [i["sku"] for i in answer["items"]] == [i["sku"] for i in plain["items"]]
    check = client.post("/v1/intake/check", json={"profile": profile, "basket": basket})
    assert check.get_json()["totals"]["vitamin_d_ug"]["amount"] == 75


def test_the_next_pack_raises_a_label_dose_as_before(client):
    """What review s6 T4 built stays: the next pack at more servings than the label counts at
    those servings (2 a day of a 10 µg tablet taken at its label is 20 µg)."""
    profile = {"age": 40, "current_supplements": [{"sku": "XF-D3-10-TAB"}]}
    basket = [{"sku": "XF-D3-10-TAB", "servings_per_day": 2}]
    answer = recommend(client, {"profile": profile, "basket": basket})
    assert answer["intake"]["vitamin_d_ug"]["current"] == 20
    one = recommend(client, {"profile": profile, "basket": [{"sku": "XF-D3-10-TAB"}]})
    assert one["intake"]["vitamin_d_ug"]["current"] == 10
