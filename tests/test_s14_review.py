"""Session 14: review 16's findings (placements, alternatives, intake check, regimens,
customers), each seen failing before its fix."""

from __future__ import annotations

import pytest


def _post(client, path: str, body: dict) -> dict:
    response = client.post(path, json=body)
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True))
    return response.get_json()


@pytest.mark.parametrize(
    ("stage", "taken", "basket", "locale"),
    [
        ("pregnant", "XF-MULTI-PREGNANCY", "XF-FOLIC-D3-TAB", "en"),
        ("pregnant", "XF-MULTI-PREGNANCY", "XF-D3-10-TAB", "nl"),
        ("pregnant", "XF-FOLIC-D3-TAB", "XF-MULTI-PREGNANCY", "en"),
        ("breastfeeding", "XF-MULTI-PREGNANCY", "XF-FOLIC-D3-TAB", "de"),
    ],
)
def test_the_intake_check_removes_nothing_for_a_total_within_the_life_stage_maximum(
    client, stage, taken, basket, locale
):
    """review 16 F1: a pregnant woman on the pregnancy multivitamin (10 µg vitamin D) with a
    folic acid + D3 (10 µg) in her basket was told to remove it: 'vitamin D: 20 µg a day ... is
    more than the 25 µg a day that suits pregnancy or breastfeeding'."""
    profile = {"age": 30, "sex": "female", "life_stage": stage}
    profile["current_supplements"] = [{"sku": taken}]
    body = {"profile": profile, "basket": [{"sku": basket}], "locale": locale}
    answer = _post(client, "/v1/intake/check", body)
    assert answer["totals"]["vitamin_d_ug"]["amount"] == pytest.approx(20)
    suggestion = answer.get("suggestion") or {}
    assert not suggestion.get("remove"), suggestion
    assert "25 µg" not in (suggestion.get("text") or ""), suggestion
