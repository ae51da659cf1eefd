"""One customer id, one key: the fast path and Flask read ids and queries with one parser.

Regression (issue 15, point 1, critical): the fast path unquoted a PATH_INFO that the server had
already decoded, so customer `patient%2542` was served the cached list of `patientB`, and ids
with the bytes %FE and %FF both became U+FFFD.
"""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest
import redis as redis_lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from service.api.app import create_app
from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk

K_NUTRIENTS = {"vitamin_k1_ug", "vitamin_k2_ug"}
# goals give both a need (lists are need-based), and bones makes vitamin K products candidates
VKA_PROFILE = {"age": 58, "medications": ["vitamin_k_antagonist"], "goals": ["bones"]}
PLAIN_PROFILE = {"age": 58, "goals": ["bones"]}


@pytest.fixture()
def stored(redis_url):
    """An app on a real Redis, a client through the fast path and one straight to Flask."""
    app = create_app(
        {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url, "ACCESS_LOG": False}
    )
    flask_only = app.extensions["dosewise_flask_wsgi"]  # Flask alone, no fast path
    store = get_store(app)

    def put_and_precompute(customer_id: str, profile: dict) -> None:
        store.put_profile(customer_id, profile)
        refresh_chunk(app.extensions["dosewise"], store, [customer_id], cache_policy(app))

    yield {
        "app": app,
        "full": app.test_client(),
        "flask": Client(flask_only),
        "put": put_and_precompute,
        "redis": redis_lib.Redis.from_url(redis_url),
    }


def _vitamin_k(item: dict) -> bool:
    return any(item["nutrients_per_day"].get(n, 0) > 0 for n in K_NUTRIENTS)


def _path(customer_id: str) -> str:
    return f"/v1/customers/{quote(customer_id, safe='')}/recommendations"


def test_an_encoded_percent_in_an_id_is_not_decoded_twice(stored):
    stored["put"]("patientB", PLAIN_PROFILE)
    stored["put"]("patient%42", VKA_PROFILE)
    assert stored["redis"].exists("dw:recs:patient%42")
    for _ in range(3):
        answer = stored["full"].get("/v1/customers/patient%2542/recommendations")
        assert answer.status_code == 200
        body = answer.get_json()
        assert body["source"] == "cache"
        assert body["items"], "the VKA customer still gets a list"
        for item in body["items"]:
            assert not _vitamin_k(item), f"{item['sku']} carries vitamin K"
        assert "interaction:vitamin-k-antagonist" in {n["code"] for n in body["notices"]}
        other = stored["full"].get("/v1/customers/patientB/recommendations").get_data()
        assert answer.get_data() != other


@pytest.mark.parametrize("raw", ["a\xfe", "a\xff", "\xc3", "patient\xed\xa0\x80"])
def test_ids_whose_bytes_are_not_utf8_are_refused_not_merged(stored, raw):
    """gunicorn passes the decoded path bytes as latin-1; werkzeug would replace bad bytes."""
    stored["put"]("a\ufffd", VKA_PROFILE)
    path = f"/v1/customers/{raw}/recommendations"
    for client in (stored["full"], stored["flask"]):
        answer = client.get("/", environ_overrides={"PATH_INFO": path})
        assert answer.status_code == 400, answer.data
        assert answer.get_json()["error"]["code"] == "malformed_path"
    put = stored["full"].put(
        "/", json=PLAIN_PROFILE, environ_overrides={"PATH_INFO": f"/v1/customers/{raw}"}
    )
    assert put.status_code == 400
    assert stored["redis"].get("dw:profile:a\ufffd") is not None  # untouched


@pytest.mark.parametrize(
    "query",
    ["limit=", "locale=", "limit=&locale=", "limit=5&limit=5", "locale=nl&locale=de", "limit=%FF"],
)
def test_the_fast_path_refuses_what_flask_refuses(stored, query):
    stored["put"]("q-1", PLAIN_PROFILE)
    full = stored["full"].get(f"/v1/customers/q-1/recommendations?{query}")
    flask = stored["flask"].get(f"/v1/customers/q-1/recommendations?{query}")
    assert full.status_code == flask.status_code == 422
    assert full.get_json() == flask.get_json()


ID_CHARS = st.characters(
    blacklist_categories=("Cs",),  # surrogates cannot be sent as UTF-8
    blacklist_characters="/",
)
QUERY_PARTS = st.lists(
    st.sampled_from(
        [
            "limit=5",
            "limit=3",
            "limit=",
            "limit=abc",
            "limit=51",
            "limit=05",
            "locale=nl",
            "locale=de",
            "locale=en",
            "locale=fr",
            "locale=",
            "x=1",
            "limit=%35",
            "locale=n%6C",
        ]
    ),
    max_size=3,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(
        st.one_of(
            st.text(ID_CHARS, min_size=1, max_size=24),
            st.text(string.punctuation.replace("/", "") + "%", min_size=1, max_size=8),
        ),
        min_size=2,
        max_size=3,
        unique=True,
    ),
    query=QUERY_PARTS,
)
def test_fast_path_and_flask_give_the_same_bytes_for_any_id_and_query(stored, ids, query):
    """Ids with every reserved and non-ASCII character: each reads its own list, and the fast
    path answers exactly what Flask answers."""
    stored["redis"].flushdb()
    profiles = {}
    for n, customer_id in enumerate(ids):
        profiles[customer_id] = VKA_PROFILE if n % 2 else {**PLAIN_PROFILE, "age": 30 + n}
        stored["put"](customer_id, profiles[customer_id])
    query_string = "&".join(query)
    for customer_id in ids:
        url = _path(customer_id) + (f"?{query_string}" if query_string else "")
        full = stored["full"].get(url)
        flask = stored["flask"].get(url)
        assert full.status_code == flask.status_code, (customer_id, query_string)
        assert full.get_data() == flask.get_data(), (customer_id, query_string)
        if full.status_code == 200 and profiles[customer_id] is VKA_PROFILE:
            for item in full.get_json()["items"]:
                assert not _vitamin_k(item)
