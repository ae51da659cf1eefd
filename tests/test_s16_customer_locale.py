"""Review 22 F3: a stored customer's GET without `locale` is in the shop language of the
customer's country, the one the refresh precomputes its list in (README "Known customers"):
a German customer read Dutch texts, and the list was computed on every request, never served
from the cache (no gzip either). On a real Redis, through the fast path and through Flask."""

from __future__ import annotations

import gzip
import json

import pytest

from service.customers.redis_client import cache_policy
from service.customers.refresh import refresh_chunk
from service.customers.store import stream_record

GERMAN = "Vitamin D trägt zur Erhaltung normaler Knochen bei."


def _stored(app, store, customer_id: str, profile: dict) -> None:
    store.put_profile(customer_id, profile)
    refresh_chunk(app.extensions["dosewise"], store, [customer_id], cache_policy(app))


def _texts(body: dict) -> str:
    return " ".join(r["text"] for i in body["items"] for r in i["reasons"])


@pytest.mark.parametrize(
    ("country", "locale"), [("DE", "de"), ("AT", "de"), ("NL", "nl"), ("BE", "nl"), ("FR", "en")]
)
def test_a_get_without_locale_is_the_customers_shop_language_from_the_cache(
    served, country, locale
):
    app, store = served
    _stored(app, store, "c-1", {"age": 40, "country": country, "goals": ["bones"]})
    client = app.test_client()
    plain = client.get("/v1/customers/c-1/recommendations", buffered=True)
    asked = client.get(f"/v1/customers/c-1/recommendations?locale={locale}", buffered=True)
    assert plain.status_code == asked.status_code == 200
    body = plain.get_json()
    assert body["source"] == "cache", body["source"]
    assert body["items"] == asked.get_json()["items"]
    # gzip passthrough for the same list
    zipped = client.get(
        "/v1/customers/c-1/recommendations", headers={"Accept-Encoding": "gzip"}, buffered=True
    )
    assert zipped.headers.get("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(zipped.data))["items"] == body["items"]
    # every hit's impression is logged, in the read's one round trip (the stored part as it is)
    entries = store.client.xrange("dw:impressions")
    assert all(set(fields) == {b"data", b"imp"} for _, fields in entries)
    logged = [stream_record(f) for _, f in entries]
    assert len(logged) == 3 and all(r["customer_id"] == "c-1" for r in logged)
    # a precomputed placement's list too
    home = client.get("/v1/customers/c-1/recommendations?placement=home", buffered=True)
    asked = client.get(f"/v1/customers/c-1/recommendations?placement=home&locale={locale}")
    assert home.get_json()["source"] == "cache"
    assert home.get_json()["items"] == asked.get_json()["items"]
    assert stream_record(store.client.xrange("dw:impressions")[3][1])["placement"] == "home"


def test_a_german_customer_reads_german_without_locale_also_when_computed(served):
    app, store = served
    store.put_profile("c-2", {"age": 40, "country": "DE", "goals": ["bones"]})  # no refresh yet
    client = app.test_client()
    body = client.get("/v1/customers/c-2/recommendations").get_json()
    assert body["source"] == "computed"
    assert GERMAN in _texts(body), _texts(body)
    # and through a placement computed now (the cart with a basket)
    cart = client.get("/v1/customers/c-2/recommendations?placement=cart&basket=XF-D3-20-TAB")
    assert cart.status_code == 200, cart.get_json()
    texts = " ".join(r["text"] for i in cart.get_json()["items"] for r in i["reasons"])
    assert "trägt" in texts or not cart.get_json()["items"], texts


def test_an_explicit_locale_still_wins(served):
    app, store = served
    _stored(app, store, "c-3", {"age": 40, "country": "DE", "goals": ["bones"]})
    body = app.test_client().get("/v1/customers/c-3/recommendations?locale=en").get_json()
    assert "contributes to the maintenance of normal bones" in _texts(body)


@pytest.mark.parametrize("path", ["refills", "buy-again"])
def test_refills_and_buy_again_without_locale_are_in_the_customers_shop_language(served, path):
    app, store = served
    client = app.test_client()
    assert client.put("/v1/customers/c-4", json={"age": 40, "country": "DE"}).status_code == 200
    event = {"customer_id": "c-4", "sku": "XF-D3-20-TAB", "type": "purchase"}
    event["timestamp"] = "2026-11-20T10:00:00+00:00"
    assert client.post("/v1/events", json={"events": [event]}).status_code == 202
    plain = client.get(f"/v1/customers/c-4/{path}")
    german = client.get(f"/v1/customers/c-4/{path}?locale=de")
    dutch = client.get(f"/v1/customers/c-4/{path}?locale=nl")
    assert plain.status_code == 200, plain.get_json()
    assert plain.get_json() == german.get_json() != dutch.get_json()
