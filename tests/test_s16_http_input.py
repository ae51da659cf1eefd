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
from werkzeug.test import Client

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


# F12: NaN and infinities are not JSON; an over-long integer is told so in the API's words


def _flask_only(app) -> Client:
    behind = app.extensions["dosewise_flask_wsgi"]
    return Client(lambda environ, start: behind(environ, start))


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v1/recommendations", '{"profile": {"age": 30, "dairy_portions_per_day": %s}}'),
        ("/v1/recommendations", '{"profile": {"age": 30, "higher_dose_advised": {"zinc_mg": %s}}}'),
        ("/v1/recommendations", '{"profile": {"age": %s}}'),
        ("/v1/recommendations", '{"profile": {"age": 30}, "unknown": [%s]}'),
        ("/v1/intake/check", '{"profile": {"age": 30, "serum_25ohd_nmol_l": %s}}'),
        ("/v1/regimens", '{"profile": {"age": 30}, "budget_per_month": %s}'),
    ],
)
def test_non_json_numbers_are_malformed_json(app, client, path, template, token):
    body = template % token
    error = _error(client.post(path, data=body, headers=JSON), 400, "malformed_json")
    assert token in error["message"] and "not JSON" in error["message"], error
    assert error["fields"] == {}
    flask_only = _flask_only(app).post(path, data=body, headers=JSON)
    assert flask_only.status_code == 400
    assert flask_only.get_json() == client.post(path, data=body, headers=JSON).get_json()


def test_non_json_numbers_are_refused_in_a_stored_profile_and_events(client):
    error = _error(
        client.put("/v1/customers/c-s16", data='{"age": NaN}', headers=JSON), 400, "malformed_json"
    )
    assert "NaN" in error["message"]
    events = '{"events": [{"customer_id": "c", "sku": "X", "type": "view", "timestamp": Infinity}]}'
    error = _error(client.post("/v1/events", data=events, headers=JSON), 400, "malformed_json")
    assert "Infinity" in error["message"]


def test_the_words_nan_and_infinity_in_strings_stay_fine(client):
    body = {"profile": {"age": 30, "current_supplements": [_label({"vitamin_d_ug": 10})]}}
    body["profile"]["current_supplements"][0]["label"] = "NaN Infinity -Infinity"
    assert client.post("/v1/recommendations", json=body).status_code == 200


@pytest.mark.parametrize("digits", ["9" * 5000, "-" + "9" * 5000])
def test_an_integer_with_too_many_digits_is_told_without_server_settings(app, client, digits):
    body = '{"profile": {"age": ' + digits + "}}"
    error = _error(
        client.post("/v1/recommendations", data=body, headers=JSON), 400, "malformed_json"
    )
    assert "too many digits" in error["message"], error
    assert "sys." not in error["message"] and "set_int_max_str_digits" not in error["message"]
    flask_only = _flask_only(app).post("/v1/recommendations", data=body, headers=JSON)
    assert flask_only.status_code == 400 and flask_only.get_json()["error"] == error


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" + "0" * 400 + ".5"])
def test_a_json_number_past_a_float_is_still_a_validation_error(client, number):
    """Valid JSON, which Python reads as an infinity: 422 on the field, as before."""
    body = '{"profile": {"age": 30, "dairy_portions_per_day": ' + number + "}}"
    error = _error(
        client.post("/v1/recommendations", data=body, headers=JSON), 422, "validation_failed"
    )
    assert list(error["fields"]) == ["profile.dairy_portions_per_day"], error


def test_a_long_integer_within_the_limit_is_still_a_validation_error(client):
    body = '{"profile": {"age": ' + "9" * 400 + "}}"
    error = _error(
        client.post("/v1/recommendations", data=body, headers=JSON), 422, "validation_failed"
    )
    assert "profile.age" in error["fields"]


# F13: messages that point to the right fix


@pytest.mark.parametrize(
    ("key", "amount", "least"),
    [
        ("vitamin_d_ug", 0.0001, "0.001"),
        ("vitamin_d_iu", 0.01, "0.04"),
        ("zinc_mg", 1e-300, "0.001"),
    ],
)
def test_a_tiny_doctors_dose_is_told_the_least_dose(client, key, amount, least):
    body = {"profile": {"age": 30, "higher_dose_advised": {key: amount}}}
    error = _error(client.post("/v1/recommendations", json=body), 422, "validation_failed")
    (message,) = error["fields"][f"profile.higher_dose_advised.{key}"]
    assert message.endswith(f"give 0 or at least {least}"), message
    assert "or more" not in message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"profile": {"age": 30, "current_supplements": [{"label": "x"}]}},
            "profile.current_supplements.0.nutrients",
        ),
        ({"profile": {"age": 30}, "basket": [{"label": "x"}]}, "basket.0.nutrients"),
    ],
)
def test_a_label_without_nutrients_is_reported_on_nutrients(client, body, field):
    error = _error(client.post("/v1/recommendations", json=body), 422, "validation_failed")
    assert list(error["fields"]) == [field], error
    assert "nutrients" in error["fields"][field][0]


def test_a_label_without_nutrients_is_reported_on_nutrients_at_the_intake_check(client):
    body = {"profile": {"age": 30}, "basket": [{"label": "x", "servings_per_day": 2}]}
    error = _error(client.post("/v1/intake/check", json=body), 422, "validation_failed")
    assert list(error["fields"]) == ["basket.0.nutrients"], error


@pytest.mark.parametrize("line", [{}, {"servings_per_day": 1}])
def test_a_line_with_neither_sku_nor_label_is_still_reported_on_sku(client, line):
    for body, field in (
        ({"profile": {"age": 30, "current_supplements": [line]}}, "profile.current_supplements.0"),
        ({"profile": {"age": 30}, "basket": [line]}, "basket.0"),
    ):
        error = _error(client.post("/v1/recommendations", json=body), 422, "validation_failed")
        assert list(error["fields"]) == [f"{field}.sku"], error
        assert error["fields"][f"{field}.sku"] == ["give a catalog sku, or a label with nutrients"]


@pytest.mark.parametrize(
    "line",
    [
        {"label": "x", "nutrients": {"zinc_mg": "5"}},
        {"label": "x", "nutrients": {"zinc_mg": True}},
        {"sku": "XF-D3-20-TAB", "servings_per_day": "2"},
        {"sku": "XF-D3-20-TAB", "servings_per_day": True},
    ],
)
def test_a_line_amount_that_is_not_a_json_number_is_refused(line):
    """Review 22 (helper): `{"zinc_mg": "5"}` was answered 200, though numbers must be JSON
    numbers (README), as `higher_dose_advised` already required."""
    client = memory_app().test_client()
    for where in ("current_supplements", "basket"):
        body = {"profile": {"age": 40}}
        if where == "basket":
            body["basket"] = [line]
        else:
            body["profile"]["current_supplements"] = [line]
        answer = client.post("/v1/recommendations", json=body)
        assert answer.status_code == 422, (where, line, answer.get_json())
        [field] = answer.get_json()["error"]["fields"]
        assert field.endswith(("zinc_mg", "servings_per_day")), field
