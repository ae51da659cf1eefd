"""Session 20: small findings of the hostile review (20a)."""

from __future__ import annotations

import pytest
import redis as redis_lib

from service.api.app import create_app
from tests.conftest import memory_app
from tests.test_deploy import load_gunicorn_conf

# ------------------------------------------------------------ numbers as JSON strings
# README: "Numbers must be JSON numbers (`"age": "30"` is refused)". serum_25ohd_nmol_l and
# budget_per_month were plain marshmallow Floats, which take "20", "2e1" and " 20 ".
NOT_NUMBERS = ["20", "2e1", " 20 ", True]
PROFILE_BODIES = {
    "/v1/recommendations": lambda profile: {"profile": profile},
    "/v1/intake/check": lambda profile: {"profile": profile},
    "/v1/regimens": lambda profile: {"profile": profile},
    "/v1/products/XF-D3-20-TAB/alternatives": lambda profile: {"profile": profile},
}


def _error_fields(response) -> dict:
    assert response.status_code == 422, (response.status_code, response.get_json())
    return response.get_json()["error"]["fields"]


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("path", list(PROFILE_BODIES))
def test_a_serum_level_given_as_a_string_is_refused_on_every_post(client, path, value):
    body = PROFILE_BODIES[path]({"age": 40, "serum_25ohd_nmol_l": value})
    assert "profile.serum_25ohd_nmol_l" in _error_fields(client.post(path, json=body))
    number = PROFILE_BODIES[path]({"age": 40, "serum_25ohd_nmol_l": 20})
    assert client.post(path, json=number).status_code == 200


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_serum_level_given_as_a_string_is_refused_on_the_customer_put(client, value):
    response = client.put("/v1/customers/s20-num", json={"age": 40, "serum_25ohd_nmol_l": value})
    assert "serum_25ohd_nmol_l" in _error_fields(response)
    fine = client.put("/v1/customers/s20-num", json={"age": 40, "serum_25ohd_nmol_l": 20})
    assert fine.status_code == 200


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_budget_given_as_a_string_is_refused(client, value):
    body = {"profile": {"age": 40}, "budget_per_month": value}
    assert "budget_per_month" in _error_fields(client.post("/v1/regimens", json=body))
    fine = client.post("/v1/regimens", json={**body, "budget_per_month": 10})
    assert fine.status_code == 200 and fine.get_json()["budget_per_month"] == 10


@pytest.mark.parametrize("value", ["2", True, 2.5])
def test_an_event_quantity_must_be_a_json_integer(client, value):
    event = {
        "customer_id": "s20-qty",
        "sku": "XF-D3-20-TAB",
        "type": "purchase",
        "timestamp": "2026-11-20T10:00:00Z",
    }
    response = client.post("/v1/events", json={"events": [{**event, "quantity": value}]})
    assert "events.0.quantity" in _error_fields(response)
    fine = client.post("/v1/events", json={"events": [{**event, "quantity": 2}]})
    assert fine.status_code == 202


def test_the_openapi_document_still_says_number_for_the_strict_fields(client):
    spec = client.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    profile = next(v for k, v in schemas.items() if k.startswith("Profile"))
    assert profile["properties"]["serum_25ohd_nmol_l"]["type"] in ("number", ["number", "null"])
    regimen = next(v for k, v in schemas.items() if k.startswith("RegimenRequest"))
    assert regimen["properties"]["budget_per_month"]["type"] in ("number", ["number", "null"])
    event = next(v for k, v in schemas.items() if k == "Event")
    assert event["properties"]["quantity"]["type"] == "integer"


# ------------------------------------------------------------ DELETE's `deleted`
def _purchase(customer_id: str) -> dict:
    return {
        "events": [
            {
                "customer_id": customer_id,
                "sku": "XF-D3-20-TAB",
                "type": "purchase",
                "timestamp": "2026-11-20T10:00:00Z",
            }
        ]
    }


def test_deleting_a_customer_with_only_events_says_deleted_in_redis(redis_url):
    app = create_app(
        {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url, "ACCESS_LOG": False}
    )
    client, r = app.test_client(), redis_lib.Redis.from_url(redis_url)
    assert client.post("/v1/events", json=_purchase("erase-4")).status_code == 202
    assert r.exists("dw:purchases:erase-4") and r.exists("dw:events:erase-4")
    answer = client.delete("/v1/customers/erase-4")
    assert answer.status_code == 200
    assert not r.exists("dw:purchases:erase-4", "dw:events:erase-4", "dw:pending:erase-4")
    assert answer.get_json() == {"customer_id": "erase-4", "deleted": True}
    again = client.delete("/v1/customers/erase-4").get_json()
    assert again == {"customer_id": "erase-4", "deleted": False}, "nothing left to erase"
    never = client.delete("/v1/customers/never-seen").get_json()
    assert never["deleted"] is False
    assert client.put("/v1/customers/erase-5", json={"age": 40}).status_code == 200
    assert client.delete("/v1/customers/erase-5").get_json()["deleted"] is True
    r.close()


def test_deleting_a_customer_with_only_events_says_deleted_in_memory():
    client = memory_app().test_client()
    assert client.post("/v1/events", json=_purchase("erase-4")).status_code == 202
    assert client.delete("/v1/customers/erase-4").get_json()["deleted"] is True
    assert client.delete("/v1/customers/erase-4").get_json()["deleted"] is False
    assert client.delete("/v1/customers/never-seen").get_json()["deleted"] is False
    assert client.put("/v1/customers/erase-5", json={"age": 40}).status_code == 200
    assert client.delete("/v1/customers/erase-5").get_json()["deleted"] is True


# ------------------------------------------------------------ gunicorn's control socket
def test_gunicorn_control_socket_is_off_unless_an_operator_sets_one(monkeypatch):
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    settings = load_gunicorn_conf(monkeypatch, 2)
    assert settings.get("control_socket_disable") is True, "two gunicorns unlink each other's"
    monkeypatch.setenv("GUNICORN_CONTROL_SOCKET", "/tmp/s20-dosewise.ctl")
    settings = load_gunicorn_conf(monkeypatch, 2)
    assert settings.get("control_socket_disable") is False
    assert settings["control_socket"] == "/tmp/s20-dosewise.ctl"


# ------------------------------------------------------------ a spray's reason
def test_the_malabsorption_reason_of_a_spray_does_not_claim_drops(client):
    profile = {
        "age": 45,
        "sex": "male",
        "diet": "vegan",
        "conditions": ["malabsorption"],
        "country": "NL",
    }
    for locale, drops in (("de", "Tropfen lassen"), ("nl", "Druppels zijn"), ("en", "Drops are")):
        response = client.post(
            "/v1/recommendations", json={"profile": profile, "locale": locale, "limit": 10}
        )
        assert response.status_code == 200, response.get_json()
        items = {item["sku"]: item for item in response.get_json()["items"]}
        assert "GR-D3-20-SPRAY-VEGAN" in items, sorted(items)
        reasons = {r["code"]: r["text"] for r in items["GR-D3-20-SPRAY-VEGAN"]["reasons"]}
        text = reasons["rule:malabsorption-vitamin-d-drops"]
        assert drops not in text, text
        assert "spray" in text.lower(), text


@pytest.mark.parametrize("value", ["９", "%EF%BC%99", "%2B5", "%205", "5%20", "-5", "--5", "-"])
@pytest.mark.parametrize(
    "path",
    [
        "/v1/products",
        "/v1/customers/s20-query/recommendations",
        "/v1/customers/s20-query/buy-again",
        "/v1/products/XF-D3-10-TAB/alternatives",
    ],
)
def test_a_query_integer_is_ascii_digits(client, path, value):
    """Review 20a: `limit=９` (a full-width digit), `limit=+5` and `limit= 5` were read as 9 and
    5 (Python's int() reads them); a query's integer is ASCII digits only, else 422 naming it."""
    assert client.put("/v1/customers/s20-query", json={"age": 40}).status_code == 200
    response = client.get(f"{path}?limit={value}")
    assert response.status_code == 422, response.get_json()
    assert "limit" in response.get_json()["error"]["fields"]
    assert client.get(f"{path}?limit=05").status_code == 200
