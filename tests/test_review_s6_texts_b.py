"""Review s6 T8 (/work/notes/review_s6.md): a contraindication's warning says whom to ask for
that interaction and market (the anticoagulation clinic only for vitamin K with a vitamin K
antagonist in NL), and a list that the basket blocks does not ask for goals."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import memory_app

TODAY = dt.date(2026, 12, 2)


@pytest.fixture()
def client():
    return memory_app(TODAY).test_client()


def _notices(client, body: dict) -> dict[str, str]:
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.data
    return {n["code"]: n["text"] for n in response.get_json()["notices"]}


CLINIC = ("anticoagulation clinic", "Gerinnungsdienst", "trombosedienst", "Thrombosedienst")


@pytest.mark.parametrize(
    ("profile", "sku", "locale", "nutrient"),
    [
        ({"age": 40, "conditions": ["kidney_stones"]}, "BL-CA-500-TAB", "en", "calcium_mg"),
        ({"age": 40, "conditions": ["thyroid_disease"]}, "VL-IODINE-150-TAB", "de", "iodine_ug"),
        ({"age": 40, "conditions": ["thyroid_disease"]}, "VL-IODINE-150-TAB", "nl", "iodine_ug"),
        (
            {"age": 60, "country": "DE", "medications": ["vitamin_k_antagonist"]},
            "XF-K2-MK7-100-CAP",
            "de",
            "vitamin_k2_ug",
        ),
    ],
)
def test_t8_the_warning_names_no_anticoagulation_clinic_outside_vka_in_nl(
    client, profile, sku, locale, nutrient
):
    body = {"profile": profile, "basket": [{"sku": sku}], "locale": locale}
    text = _notices(client, body)[f"intake_warning:{nutrient}"]
    assert not any(word in text for word in CLINIC), text


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_t8_vitamin_k_with_a_vka_in_nl_names_the_clinic(client, locale):
    body = {
        "profile": {"age": 60, "medications": ["vitamin_k_antagonist"]},
        "basket": [{"sku": "XF-K2-MK7-100-CAP"}],
        "locale": locale,
    }
    text = _notices(client, body)["intake_warning:vitamin_k2_ug"]
    assert any(word in text for word in CLINIC), text


def test_t8_a_list_the_basket_blocks_does_not_ask_for_goals(client):
    body = {
        "profile": {"age": 40, "conditions": ["kidney_stones"]},
        "basket": [{"sku": "BL-CA-500-TAB"}],
        "locale": "en",
    }
    notices = _notices(client, body)
    assert "no_items" in notices
    assert "goals" not in notices["no_items"], notices["no_items"]
