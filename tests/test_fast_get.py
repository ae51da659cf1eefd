"""The cached customer GET in front of Flask (service/api/fast_path.py), on a real Redis: the
same status, headers and bytes as the Flask view for the requests it answers (plain and
placement lists, with and without gzip), Flask's own answer for everything else (bad ids and
queries, unknown customers, missing or wrong keys, stale or other-limit lists), and the same
impression logged in the read's round trip, also when Redis lost the script or holds an
impression index of an older type."""

from __future__ import annotations

import gzip
from urllib.parse import quote

import pytest
from werkzeug.test import Client

from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk
from service.customers.store import stream_record

from .conftest import redis_app

KEY, OTHER = "k" * 20, "o" * 20
PROFILES = {
    "plain-1": {"age": 58, "goals": ["bones"]},
    "vka-1": {"age": 58, "medications": ["vitamin_k_antagonist"], "goals": ["bones"]},
    "de-1": {"age": 34, "country": "DE", "goals": ["energy"]},
    "kid-1": {"age": 4},
}
HEADERS = (
    "Content-Type",
    "Content-Encoding",
    "Vary",
    "X-Request-ID",
    "ETag",
    "Cache-Control",
    "WWW-Authenticate",
)


@pytest.fixture()
def served(redis_url):
    def make(**config):
        app = redis_app(redis_url, **{"LOCAL_HITS": 4096, **config})  # (hits from memory too)
        store = get_store(app)
        for customer_id, profile in PROFILES.items():
            store.put_profile(customer_id, profile)
        refresh_chunk(app.extensions["dosewise"], store, list(PROFILES), cache_policy(app))
        flask = Client(app.extensions["dosewise_flask_wsgi"])
        return app, store, app.test_client(), flask

    return make


def _get(client, url: str, **headers):
    # buffered: the response is closed, so what the fast path does after sending has run
    return client.get(url, headers={"X-Request-ID": "same-id", **headers}, buffered=True)


def _same(fast, slow) -> None:
    assert fast.status_code == slow.status_code, (fast.data[:200], slow.data[:200])
    assert fast.get_data() == slow.get_data()
    for name in HEADERS:
        assert fast.headers.get(name) == slow.headers.get(name), name
    assert int(fast.headers["Content-Length"]) == len(fast.get_data())


def _url(customer_id: str, query: str = "") -> str:
    path = f"/v1/customers/{quote(customer_id, safe='')}/recommendations"
    return f"{path}?{query}" if query else path


def _logged(store) -> list[dict]:
    records = [stream_record(fields) for _, fields in store.client.xrange("dw:impressions")]
    store.client.delete("dw:impressions")
    return [{k: v for k, v in r.items() if k != "timestamp"} for r in records]


def _answered_in_front(app, monkeypatch) -> None:
    def view(*args, **kwargs):
        raise AssertionError("the Flask view was called")

    monkeypatch.setitem(app.view_functions, "customers.customer_recommendations", view)


QUERIES = ["", "limit=5", "locale=nl", "limit=5&locale=nl", "locale=de"]


def test_cache_hits_are_the_flask_views_bytes_and_impression(served):
    app, store, fast, flask = served()
    sources = []
    for customer_id in PROFILES:
        for query in QUERIES:
            url = _url(customer_id, query)
            slow = _get(flask, url)
            from_flask = _logged(store)
            answer = _get(fast, url)
            _same(answer, slow)
            assert answer.status_code == 200 and answer.headers["Vary"] == "Accept-Encoding"
            sources.append(answer.get_json()["source"])  # computed: a locale not precomputed
            if answer.get_json()["items"]:
                # one impression each, the same record (the fast path's in the read's trip)
                assert _logged(store) == from_flask and len(from_flask) == 1
    assert sources.count("cache") >= 12


def test_gzip_passthrough_is_the_same_body_compressed(served, monkeypatch):
    app, store, fast, flask = served()
    _answered_in_front(app, monkeypatch)
    hits = [(c, q) for c in PROFILES if c != "de-1" for q in ("", "placement=home")]
    hits += [("de-1", "locale=de"), ("de-1", "locale=de&placement=home")]
    for customer_id, query in hits:
        packed = _get(fast, _url(customer_id, query), **{"Accept-Encoding": "gzip, br"})
        plain = _get(fast, _url(customer_id, query))
        assert packed.status_code == plain.status_code == 200
        assert packed.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed.get_data()) == plain.get_data()
        assert packed.headers["Vary"] == plain.headers["Vary"] == "Accept-Encoding"
        assert int(packed.headers["Content-Length"]) == len(packed.get_data())
    refused = _get(fast, _url("plain-1"), **{"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_placement_hits_are_the_flask_views_bytes_and_log_the_placement(served, monkeypatch):
    app, store, fast, flask = served()
    for customer_id in PROFILES:
        url = _url(customer_id, "placement=home")
        _same(_get(fast, url), _get(flask, url))
    _logged(store)
    _answered_in_front(app, monkeypatch)
    answer = _get(fast, _url("plain-1", "placement=home"))
    assert answer.status_code == 200 and answer.get_json()["placement"] == "home"
    [record] = _logged(store)
    assert record["placement"] == "home" and record["request_id"] == "same-id"
    assert [i["sku"] for i in record["items"]] == [i["sku"] for i in answer.get_json()["items"]]


@pytest.mark.parametrize(
    ("customer_id", "query"),
    [
        ("nobody", ""),  # unknown customer: 404
        ("plain-1", "limit=3"),  # another limit: sliced by Flask
        ("plain-1", "limit=7"),  # computed
        ("plain-1", "locale=fr"),  # 422
        ("plain-1", "limit=0"),
        ("plain-1", "limit=5&limit=5"),
        ("plain-1", "surprise=1"),
        ("plain-1", "placement=nowhere"),  # core 422
        ("plain-1", "placement=cart&basket=NOPE"),
        ("plain-1", "placement=product_page&product_sku=NOPE"),
        ("plain-1", "placement=account"),  # not precomputed: computed with purchases
        (" plain-1", ""),  # customer ids the service does not store: 422
        ("plain-1\u200b", ""),
        ("a\u202eb", ""),
        ("x" * 129, ""),
        ("%FF", ""),
    ],
)
def test_what_the_fast_path_does_not_answer_gets_flasks_answer(served, customer_id, query):
    app, store, fast, flask = served()
    url = _url(customer_id, query)
    _same(_get(fast, url), _get(flask, url))


def test_paths_that_are_not_utf8_get_flasks_answer(served):
    app, store, fast, flask = served()
    for raw in ("a\xfe", "\xc3"):
        path = f"/v1/customers/{raw}/recommendations"
        answers = [
            c.get("/", environ_overrides={"PATH_INFO": path}, headers={"X-Request-ID": "id-1"})
            for c in (fast, flask)
        ]
        assert answers[0].status_code == 400
        _same(*answers)


def test_keys_and_scopes_as_in_flask(served):
    app, store, fast, flask = served(API_KEYS={KEY: ["recommend"], OTHER: ["events"]})
    for headers in ({}, {"Authorization": f"Bearer {OTHER}"}, {"Authorization": "Bearer nope"}):
        answer = _get(fast, _url("plain-1"), **headers)
        assert answer.status_code in (401, 403)
        _same(answer, _get(flask, _url("plain-1"), **headers))
    allowed = _get(fast, _url("plain-1"), Authorization=f"Bearer {KEY}")
    assert allowed.status_code == 200
    _same(allowed, _get(flask, _url("plain-1"), Authorization=f"Bearer {KEY}"))


def test_a_stale_or_corrupt_list_gets_flasks_answer(served):
    app, store, fast, flask = served()
    store.put_profile("plain-1", {"age": 59, "goals": ["bones"]})  # the list is stale now
    store.client.set("dw:recs:vka-1", b"not a list")
    for customer_id in ("plain-1", "vka-1"):
        answer = _get(fast, _url(customer_id))
        assert answer.status_code == 200 and answer.get_json()["source"] == "computed"
        assert _get(flask, _url(customer_id)).get_json()["items"] == answer.get_json()["items"]


def test_the_read_survives_a_lost_script_and_an_old_index(served, monkeypatch):
    """The command packed in service/api/cached_read.py: NOSCRIPT (a restarted Redis) and an
    impression index of an older type go through the store, which loads and converts."""
    app, store, fast, flask = served()
    _answered_in_front(app, monkeypatch)
    store.client.script_flush()
    assert _get(fast, _url("plain-1")).status_code == 200
    assert len(_logged(store)) == 1
    store.client.delete("dw:impressions:de-1")
    store.client.rpush("dw:impressions:de-1", "0-1")  # a list, as older versions kept
    assert _get(fast, _url("de-1", "locale=de")).status_code == 200
    assert len(_logged(store)) == 1
    assert store.client.type("dw:impressions:de-1") == b"zset"


def test_hits_are_counted_with_the_request_id(served, monkeypatch):
    app, store, fast, flask = served()
    _answered_in_front(app, monkeypatch)
    metrics = app.extensions["dosewise_metrics"]
    before = metrics.customer_lists.labels("cache")._value.get()  # noqa: SLF001
    answer = _get(fast, _url("kid-1"), **{"X-Request-ID": ""})
    assert answer.status_code == 200 and len(answer.headers["X-Request-ID"]) == 32
    assert metrics.customer_lists.labels("cache")._value.get() == before + 1  # noqa: SLF001
    route = "/v1/customers/<string:customer_id>/recommendations"
    assert metrics.request_seconds.labels(route, "GET", "200")._sum.get() > 0  # noqa: SLF001
