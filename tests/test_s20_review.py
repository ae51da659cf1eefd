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
