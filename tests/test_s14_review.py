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


@pytest.mark.parametrize("character", ["\u202e", "\n", "\u200b", "\x07", "\u2028"])
@pytest.mark.parametrize("where", ["basket", "current_supplements"])
def test_a_label_with_control_or_bidi_characters_is_refused_with_its_field(
    client, character, where
):
    """review 16 F9: a label with a right-to-left override and a newline was pasted into the
    intake check's suggestion ('Remove <b>Vit\\nD</b> \\u202eevil from your basket')."""
    line = {"label": f"Vit D{character}evil", "nutrients": {"vitamin_d_iu": 4000}}
    profile: dict = {"age": 40, "sex": "female"}
    body: dict = {"profile": profile, "locale": "en"}
    if where == "basket":
        body["basket"], field = [line], "basket.0.label"
    else:
        profile["current_supplements"], field = [line], "profile.current_supplements.0.label"
    paths = ["/v1/intake/check", "/v1/recommendations"]
    for path in paths + (["/v1/regimens"] if where != "basket" else []):
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, response.get_data(as_text=True))
        assert field in response.get_json()["error"]["fields"], response.get_json()


def test_a_label_with_ordinary_and_non_breaking_spaces_and_signs_is_fine(client):
    """Copied from a web page: a non-breaking space, µ, an emoji and a dash are no problem."""
    line = {"label": "Vit D3\u00a050\u202fµg – 🌞", "nutrients": {"vitamin_d_ug": 10}}
    body = {"profile": {"age": 40}, "basket": [line], "locale": "en"}
    assert client.post("/v1/intake/check", json=body).status_code == 200
