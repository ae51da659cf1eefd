"""Review 22, HTTP input (F11 to F13): what a refused request body says, and where.

Regressions: a bad amount in a nutrient map was reported on `...nutrients.vitamin_d_ug.value`
(marshmallow's Dict nests value errors under "value", key errors under "key"), no field of the
request; `NaN`, `Infinity` and `-Infinity`, which are not JSON (RFC 8259), were parsed and
answered 422 instead of 400 `malformed_json`; a 5000-digit integer's 400 told the API client to
call `sys.set_int_max_str_digits()`; a doctor's 0.0001 µg was told "give 0 or more"; and a label
line without nutrients was reported on its `sku`.
"""

from __future__ import annotations

import pytest

from tests.conftest import memory_app

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def app():
    return memory_app()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code, error
    return error


def _label(nutrients: dict) -> dict:
    return {"label": "x", "nutrients": nutrients}


# F11: the path of a bad entry of a nutrient map is the entry's key


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"profile": {"age": 30, "current_supplements": [_label({"vitamin_d_ug": -5})]}},
            "profile.current_supplements.0.nutrients.vitamin_d_ug",
        ),
        (
            {"profile": {"age": 30}, "basket": [_label({"vitamin_d_ug": 1e12})]},
            "basket.0.nutrients.vitamin_d_ug",
        ),
        (
            {"profile": {"age": 30, "current_supplements": [_label({"zinc_mg": None})]}},
            "profile.current_supplements.0.nutrients.zinc_mg",
        ),
        (
            {"profile": {"age": 30, "current_supplements": [_label({"": 5})]}},
            "profile.current_supplements.0.nutrients.",
        ),
        (
            {"profile": {"age": 30, "higher_dose_advised": {"vitamin_d_ug": -1}}},
            "profile.higher_dose_advised.vitamin_d_ug",
        ),
        (
            {"profile": {"age": 30, "higher_dose_advised": {"vitamin_d_ug": "50"}}},
            "profile.higher_dose_advised.vitamin_d_ug",
        ),
        (
            {"profile": {"age": 30, "higher_dose_advised": {"vitamin_q": 5}}},
            "profile.higher_dose_advised.vitamin_q",
        ),
    ],
)
def test_a_bad_entry_of_a_nutrient_map_is_named_by_its_key(client, body, field):
    error = _error(client.post("/v1/recommendations", json=body), 422, "validation_failed")
    assert list(error["fields"]) == [field], error


def test_a_bad_key_and_value_of_one_entry_give_one_field_with_both_messages(client):
    body = {"profile": {"age": 30, "higher_dose_advised": {"vitamin_q": -1}}}
    error = _error(client.post("/v1/recommendations", json=body), 422, "validation_failed")
    assert list(error["fields"]) == ["profile.higher_dose_advised.vitamin_q"], error
    messages = " ".join(error["fields"]["profile.higher_dose_advised.vitamin_q"])
    assert "Must be one of" in messages and "greater than or equal to 0" in messages


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/v1/intake/check",
            {"profile": {"age": 30}, "basket": [_label({"iron_mg": -1})]},
            "basket.0.nutrients.iron_mg",
        ),
        (
            "/v1/regimens",
            {"profile": {"age": 30, "current_supplements": [_label({"iron_mg": -1})]}},
            "profile.current_supplements.0.nutrients.iron_mg",
        ),
    ],
)
def test_every_endpoint_names_the_key(client, path, body, field):
    error = _error(client.post(path, json=body), 422, "validation_failed")
    assert list(error["fields"]) == [field], error


def test_a_stored_profile_names_the_key(client):
    profile = {"age": 30, "higher_dose_advised": {"vitamin_d_ug": -1}}
    error = _error(client.put("/v1/customers/c-s16", json=profile), 422, "validation_failed")
    assert list(error["fields"]) == ["higher_dose_advised.vitamin_d_ug"], error
