"""Contract v1.1: every new vocabulary code and profile field is accepted (never a 422) on every
endpoint that takes a profile, and bad values of the new field are a clear 422."""

from __future__ import annotations

from typing import Any

import pytest

from service.core.errors import DataFileError
from service.core.snapshot import load_snapshot

from .oracle import CONDITIONS, CONTRAINDICATED, CONTRAINDICATED_MEDICATIONS, MEDICATIONS, per_day
from .oracle import PRODUCTS as CATALOG

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
    body = response.get_json()
    assert body["source"] in ("cache", "computed")
    for item in body["items"]:  # haemochromatosis, oral retinoid, active vitamin D, iodine
        for key in ("iron_mg", "vitamin_a_ug", "vitamin_d_ug", "calcium_mg", "iodine_ug"):
            assert item["nutrients_per_day"].get(key, 0) == 0, item


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


# ---------------------------------------------------------------- guarantee 6 (v1.1) and item 6
@pytest.mark.parametrize(
    "kind, code",
    [("conditions", c) for c in ("kidney_disease", "haemochromatosis", "thyroid_disease")]
    + [
        ("medications", m)
        for m in ("oral_retinoid", "active_vitamin_d", "amiodarone", "levothyroxine")
    ],
)
def test_v11_contraindications_exclude_every_product_with_the_nutrient(client, kind, code):
    table = CONTRAINDICATED if kind == "conditions" else CONTRAINDICATED_MEDICATIONS
    for age in (8, 40, 75):
        # goals give every age a need (no fillers since issue 10), so the list is not empty
        profile = {"age": age, kind: [code], "goals": ["bones", "immunity", "energy"]}
        body = {"profile": profile, "limit": 50, "locale": "en"}
        response = client.post("/v1/recommendations", json=body).get_json()
        assert response["items"] or age < 18, body
        for item in response["items"]:
            amounts = per_day(CATALOG[item["sku"]])
            for nutrient in table[code]:
                assert amounts.get(nutrient, 0) == 0, (code, item["sku"])
        assert any(n["code"].startswith("interaction:") for n in response["notices"]), code


@pytest.mark.parametrize(
    "interaction_id, expected",
    [
        ("kidney-disease-magnesium", ["kidney_disease", "magnesium_mg"]),
        ("haemochromatosis", ["haemochromatosis", "iron_mg"]),
        ("oral-retinoid", ["oral_retinoid", "vitamin_a_ug"]),
        ("active-vitamin-d", ["active_vitamin_d", "vitamin_d_ug", "calcium_mg"]),
        ("iodine-with-a-doctor", ["amiodarone", "thyroid_disease", "iodine_ug"]),
    ],
)
def test_dropping_a_v11_exclusion_is_refused(data_copy, interaction_id, expected):
    """Regression: before v1.1 the loader let an edit drop these exclusions silently."""
    import yaml

    path = data_copy.reference_dir / "interactions.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in document["interactions"]:
        if item["id"] == interaction_id:
            item.pop("exclude")
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataFileError) as refused:
        load_snapshot(data_copy)
    messages = " ".join(f.message for f in refused.value.findings)
    assert {f.code for f in refused.value.findings} == {"guarantee_not_covered"}
    for word in expected:
        assert word in messages, (word, messages)


def _warnings(client, medications, sku, conditions=()):
    body = {
        "profile": {"age": 50, "medications": medications, "conditions": list(conditions)},
        "basket": [{"sku": sku}],
        "locale": "en",
    }
    response = client.post("/v1/intake/check", json=body)
    assert response.status_code == 200
    return {w["code"]: w["text"] for w in response.get_json()["warnings"] if sku in w["skus"]}


@pytest.mark.parametrize(
    "medication, sku, code, words",
    [
        ("levothyroxine", "XF-IRON-14-CAP", "interaction:levothyroxine", ["iron", "4 hours"]),
        ("bisphosphonate", "XF-IRON-14-CAP", "interaction:bisphosphonate", ["iron", "2 hours"]),
        ("antiplatelet", "VL-VITE-134-SG", "interaction:bleeding-risk-vitamin-e-omega3", []),
        ("antiplatelet", "XF-VITE-67-SG", "interaction:bleeding-risk-vitamin-e-omega3", []),
        ("antiplatelet", "OP-FISH-OIL-LIQUID", "interaction:bleeding-risk-vitamin-e-omega3", []),
        ("antiplatelet", "XF-OMEGA3-FORTE-SG", "interaction:bleeding-risk-vitamin-e-omega3", []),
        (
            "vitamin_k_antagonist",
            "XF-OMEGA3-FORTE-SG",
            "interaction:bleeding-risk-vitamin-e-omega3",
            ["bleeding"],
        ),
        ("integrase_inhibitor", "BL-CA-500-TAB", "interaction:integrase-inhibitor", ["6 hours"]),
        ("integrase_inhibitor", "XF-IRON-14-CAP", "interaction:integrase-inhibitor", ["iron"]),
        ("integrase_inhibitor", "XF-MG-CIT-150-TAB", "interaction:integrase-inhibitor", []),
        ("orlistat", "XF-D3-20-TAB", "interaction:orlistat", ["bedtime", "2 hours after"]),
    ],
)
def test_v11_interaction_warnings(client, medication, sku, code, words):
    warnings = _warnings(client, [medication], sku)
    assert code in warnings, warnings
    for word in words:
        assert word in warnings[code], warnings[code]


@pytest.mark.parametrize(
    "medication, sku",
    [
        ("antiplatelet", "XF-OMEGA3-1000-SG"),  # 600 mg EPA+DHA: not a high dose
        ("antiplatelet", "XF-MULTI-SPORT"),  # 30 mg vitamin E
        ("levothyroxine", "BL-B12-100-TAB"),
    ],
)
def test_no_v11_warning_below_the_threshold(client, medication, sku):
    warnings = _warnings(client, [medication], sku)
    assert not [c for c in warnings if c.startswith("interaction:")], warnings


def test_orlistat_text_is_no_longer_one_hour_before(client):
    """Regression: orlistat shared the bile-acid sequestrant text (1 h before or 4-6 h after)."""
    warnings = _warnings(client, ["orlistat"], "XF-D3-20-TAB")
    assert "interaction:fat-absorption-blockers" not in warnings
    assert "1 hour before" not in " ".join(warnings.values())


def test_bariatric_surgery_gets_a_notice(client):
    body = {"profile": {"age": 40, "conditions": ["bariatric_surgery"]}, "locale": "en"}
    notices = client.post("/v1/recommendations", json=body).get_json()["notices"]
    assert any(n["code"] == "interaction:bariatric-surgery" for n in notices), notices
