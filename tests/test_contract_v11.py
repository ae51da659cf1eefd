"""Contract v1.1: every new vocabulary code and profile field is accepted (never a 422) on every
endpoint that takes a profile, and bad values of the new field are a clear 422."""

from __future__ import annotations

from typing import Any

import pytest

from .oracle import CONDITIONS, MEDICATIONS

V11_MEDICATIONS = [
    "oral_retinoid",
    "amiodarone",
    "active_vitamin_d",
    "antiplatelet",
    "integrase_inhibitor",
]
V11_CONDITIONS = ["thyroid_disease", "haemochromatosis", "bariatric_surgery"]

V11_PROFILE: dict[str, Any] = {
    "age": 52,
    "sex": "female",
    "country": "NL",
    "medications": V11_MEDICATIONS,
    "conditions": V11_CONDITIONS,
    "higher_dose_advised": {"vitamin_d_ug": 50, "iron_mg": 0},
    "current_supplements": [{"label": "D drops", "nutrients": {"vitamin_d_iu": 400}}],
}


def test_oracle_knows_the_v11_vocabulary():
    assert set(V11_MEDICATIONS) <= set(MEDICATIONS)
    assert set(V11_CONDITIONS) <= set(CONDITIONS)


def _profile_endpoints(profile: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [
        ("post", "/v1/recommendations", {"profile": profile, "limit": 10, "locale": "en"}),
        ("post", "/v1/intake/check", {"profile": profile, "basket": [{"sku": "XF-D3-20-TAB"}]}),
        ("post", "/v1/regimens", {"profile": profile, "locale": "de"}),
        ("post", "/v1/preview", {"profile": profile, "locale": "nl"}),
        ("put", "/v1/customers/v11-test", profile),
    ]


@pytest.mark.parametrize("index", range(5))
@pytest.mark.parametrize(
    "profile",
    [
        V11_PROFILE,
        {"age": 30, "higher_dose_advised": {"vitamin_d_iu": 4000}},
        {"age": 30, "medications": ["antiplatelet"], "higher_dose_advised": {}},
        {"age": 30, "conditions": ["bariatric_surgery"], "dairy_portions_per_day": 2},
        {"age": 30, "higher_dose_advised": None},
    ],
)
def test_every_profile_endpoint_accepts_a_v11_profile(client, profile, index):
    method, path, body = _profile_endpoints(profile)[index]
    response = getattr(client, method)(path, json=body)
    assert response.status_code == 200, (path, response.get_json())


def test_stored_v11_profile_answers_its_list(client):
    assert client.put("/v1/customers/v11-stored", json=V11_PROFILE).status_code == 200
    response = client.get("/v1/customers/v11-stored/recommendations?limit=10&locale=de")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["source"] in ("cache", "computed")


@pytest.mark.parametrize(
    "advised, field",
    [
        ({"vitamin_x_ug": 10}, "profile.higher_dose_advised.vitamin_x_ug"),
        ({"vitamin_d_ug": -1}, "profile.higher_dose_advised.vitamin_d_ug"),
        ({"vitamin_d_ug": "50"}, "profile.higher_dose_advised.vitamin_d_ug"),
        ([50], "profile.higher_dose_advised"),
    ],
)
def test_bad_higher_dose_advised_is_422_naming_the_field(client, advised, field):
    body = {"profile": {"age": 40, "higher_dose_advised": advised}}
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert any(name.startswith(field) for name in fields), fields


def test_openapi_lists_the_v11_vocabulary(client):
    text = client.get("/openapi.json").get_data(as_text=True)
    for code in [*V11_MEDICATIONS, *V11_CONDITIONS, "higher_dose_advised"]:
        assert code in text, code
