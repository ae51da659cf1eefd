"""Session 5 pharmacist/hostile review (/work/notes/review_s5.md), input findings S12, S13, S11:
impossible life stages are refused, customer ids and query values that would be a second
customer (or nothing) are refused, events dated centuries ago are refused, and a JSON body with a
UTF-8 byte order mark is read (UTF-16 gets the service's own malformed_json message).

The age bounds come from rules/reference/markets.yaml, never from the service's code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from service.api.app import create_app

from .conftest import ROOT

MARKETS = yaml.safe_load((ROOT / "rules" / "reference" / "markets.yaml").read_text("utf-8"))
AGES = MARKETS["life_stage_ages"]


def refused(response, field: str) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["error"]["code"] == "validation_failed", body
    assert field in body["error"]["fields"], body
    return body


# ---------------------------------------------------------------- S12: impossible life stages
IMPOSSIBLE = [
    {"age": 5, "sex": "male", "life_stage": "pregnant", "goals": ["pregnancy"]},
    {"age": 30, "sex": "male", "life_stage": "breastfeeding"},
    {"age": 90, "sex": "female", "life_stage": "pregnant"},
    {"age": 120, "sex": "male", "life_stage": "breastfeeding"},
    {"age": 0, "life_stage": "pregnant"},
    {"age": AGES["pregnant"]["min_age"] - 1, "sex": "female", "life_stage": "pregnant"},
    {"age": AGES["breastfeeding"]["max_age"] + 1, "life_stage": "breastfeeding"},
]


@pytest.mark.parametrize("profile", IMPOSSIBLE, ids=lambda p: f"{p['age']}-{p['life_stage']}")
@pytest.mark.parametrize("path", ["/v1/recommendations", "/v1/regimens", "/v1/intake/check"])
def test_s12_impossible_life_stage_is_refused(client, path, profile):
    """Before: 200 with "The Dutch Health Council advises pregnant women…" for a boy of five."""
    body = refused(client.post(path, json={"profile": profile}), "profile.life_stage")
    assert profile["life_stage"] in body["error"]["fields"]["profile.life_stage"][0]


@pytest.mark.parametrize("profile", IMPOSSIBLE[:3], ids=lambda p: f"{p['age']}-{p['life_stage']}")
def test_s12_stored_customers_are_validated_alike(client, profile):
    refused(client.put("/v1/customers/s5-life-stage", json=profile), "life_stage")


@pytest.mark.parametrize("stage", ["pregnant", "breastfeeding"])
@pytest.mark.parametrize("bound", ["min_age", "max_age"])
@pytest.mark.parametrize("sex", [None, "female", "unspecified"])
def test_s12_possible_life_stages_stay_accepted(client, stage, bound, sex):
    profile: dict[str, Any] = {"age": AGES[stage][bound], "life_stage": stage}
    if sex:
        profile["sex"] = sex
    response = client.post("/v1/recommendations", json={"profile": profile})
    assert response.status_code == 200, response.get_json()


# ---------------------------------------------------------------- S13: ids and query values
BAD_IDS = ["s5-h%20", "%20s5-h", "a%00b", "a%09b", "%E2%80%AE", "s5%E2%80%8Bh", "s5%E2%81%A6h"]


@pytest.mark.parametrize("raw", BAD_IDS)
def test_s13_customer_ids_with_blanks_controls_or_bidi_are_refused(client, raw):
    """Before: `PUT /v1/customers/rv5-h%20` stored a second customer "rv5-h " beside "rv5-h"."""
    refused(client.put(f"/v1/customers/{raw}", json={"age": 40}), "customer_id")
    refused(client.get(f"/v1/customers/{raw}/recommendations"), "customer_id")
    refused(client.get(f"/v1/customers/{raw}/refills"), "customer_id")
    event = {"customer_id": raw, "sku": "XF-D3K2-TAB", "type": "view"}
    event["timestamp"] = dt.datetime.now(dt.UTC).isoformat()
    from urllib.parse import unquote

    event["customer_id"] = unquote(raw)
    refused(client.post("/v1/events", json={"events": [event]}), "events.0.customer_id")


def test_s13_plain_ids_stay_accepted(client):
    assert client.put("/v1/customers/c-1001.x_y:z", json={"age": 40}).status_code == 200
    assert client.put("/v1/customers/klant-é", json={"age": 40}).status_code == 200
    assert client.delete("/v1/customers/c-1001.x_y:z").status_code == 200


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00+14:00"])
def test_s13_events_dated_long_ago_are_refused(client, stamp):
    """Before: 202, counted as a purchase (`first_purchase: "0001-01-01"`)."""
    now = dt.datetime.now(dt.UTC).isoformat()
    events = [
        {"customer_id": "s5-old", "sku": "XF-D3K2-TAB", "type": "view", "timestamp": now},
        {"customer_id": "s5-old", "sku": "XF-D3K2-TAB", "type": "purchase", "timestamp": stamp},
    ]
    body = refused(client.post("/v1/events", json={"events": events}), "events.1.timestamp")
    assert "events.0.timestamp" not in body["error"]["fields"]


def test_s13_recent_events_stay_accepted(client):
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(days=365 * 3)).isoformat()
    event = {"customer_id": "s5-new", "sku": "XF-D3K2-TAB", "type": "view", "timestamp": stamp}
    assert client.post("/v1/events", json={"events": [event]}).status_code == 202


@pytest.mark.parametrize("basket", ["", ",,,", " , ,"])
def test_s13_a_basket_of_commas_is_blank(client, basket):
    """Before: `basket=,,,` answered 200 with an empty basket while `basket=` was refused."""
    response = client.get(f"/v1/customers/s5-q/recommendations?placement=cart&basket={basket}")
    refused(response, "basket")


def test_s13_product_sku_error_text_matches_what_is_accepted(client):
    """`product_sku` goes with any placement (the product the placement is about); the error
    for a plain GET no longer lists only two of them."""
    response = client.get("/v1/customers/s5-q/recommendations?product_sku=XF-D3-10-TAB")
    message = refused(response, "product_sku")["error"]["fields"]["product_sku"][0]
    assert "(cart, product_page)" not in message and "placement" in message


# ---------------------------------------------------------------- S11: byte order marks
PROFILE = b'{"profile": {"age": 40}}'


def test_s11_utf8_bom_is_ignored(client):
    """RFC 8259 8.1: a parser may ignore a BOM (PowerShell Out-File and Notepad write one).
    Before: Werkzeug's "The browser (or proxy) sent…" and `fields: {"": [...]}`."""
    plain = client.post("/v1/recommendations", data=PROFILE, content_type="application/json")
    bom = client.post(
        "/v1/recommendations", data=b"\xef\xbb\xbf" + PROFILE, content_type="application/json"
    )
    assert bom.status_code == 200, bom.get_json()
    assert bom.get_json()["items"] == plain.get_json()["items"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_s11_utf16_gets_the_service_message(client, encoding):
    data = PROFILE.decode().encode(encoding)
    response = client.post("/v1/recommendations", data=data, content_type="application/json")
    body = response.get_json()
    assert response.status_code == 400, body
    assert body["error"]["code"] == "malformed_json" and body["error"]["fields"] == {}
    assert "UTF-8" in body["error"]["message"]


def test_s11_bom_on_a_customer_put_too():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    response = app.test_client().put(
        "/v1/customers/s5-bom", data=b'\xef\xbb\xbf{"age": 40}', content_type="application/json"
    )
    assert response.status_code == 200, response.get_json()
