"""Session 34's hostile review (s34b): the API's findings, each seen failing before its fix.

F1: the answer cache was keyed by the request's raw body (up to 1 MB): 150 whitespace-padded
POSTs of one small request added 237 MB to a web process, and its 4,096 entries could hold 4 GB.
F7: a placement name in capitals got marshmallow's words, not where the names are.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from .conftest import memory_app


def test_the_answer_cache_keeps_a_small_key_whatever_the_body_size():
    app = memory_app()
    client = app.test_client()
    cache = app.extensions["dosewise"].cache
    body = json.dumps({"profile": {"age": 40}, "limit": 5})
    for padding in range(20):  # each a different byte string, all the same valid request
        data = body[:-1] + " " * (100_000 + padding) + "}"
        answer = client.post("/v1/recommendations", data=data, content_type="application/json")
        assert answer.status_code == 200
    kept = list(cache._data)
    assert len(kept) >= 20 and max(len(key) for key in kept) <= 64, max(map(len, kept))


@pytest.mark.parametrize("name", ["HOME", "home ", "a-b"])
def test_a_placement_name_of_another_form_says_where_the_names_are(client, name):
    """F7: "HOME" got marshmallow's "String does not match expected pattern." where docs/api.md
    promises a 422 naming the known placements."""
    for answer in (
        client.post("/v1/recommendations", json={"profile": {"age": 40}, "placement": name}),
        client.get(f"/v1/customers/x/recommendations?placement={quote(name)}"),
    ):
        assert answer.status_code == 422
        (said,) = answer.get_json()["error"]["fields"]["placement"]
        assert "unknown placement" in said and "/v1/placements" in said, said
    assert client.get("/v1/placements").status_code == 200


def test_a_customer_id_in_two_unicode_forms_is_one_customer(client):
    """F6: "café" with é (NFC) and with e + U+0301 (NFD) were stored as two customers, and a
    DELETE of one left the other. An id not in NFC is refused where data is written or read;
    the erasure takes any id, so one stored before stays erasable."""
    composed, decomposed = "caf\u00e9-1", "cafe\u0301-1"
    assert client.put(f"/v1/customers/{quote(composed)}", json={"age": 40}).status_code == 200
    for answer in (
        client.put(f"/v1/customers/{quote(decomposed)}", json={"age": 40}),
        client.get(f"/v1/customers/{quote(decomposed)}/recommendations"),
        client.post(
            "/v1/events",
            json={"events": [{"customer_id": decomposed, "sku": "XF-D3K2-TAB", "type": "view"}]},
        ),
    ):
        assert answer.status_code == 422, answer.get_json()
        assert "NFC" in json.dumps(answer.get_json()), answer.get_json()
    assert client.delete(f"/v1/customers/{quote(decomposed)}").status_code == 200
    assert client.delete(f"/v1/customers/{quote(composed)}").get_json()["deleted"] is True
