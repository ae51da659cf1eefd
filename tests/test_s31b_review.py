"""Review s31b (hostile tester), H1, H2, H3 and H6, each seen failing before its fix.

H1: a stored profile entry that decodes as JSON but is no valid profile (serum NaN, age "x",
no age) answered 500 on the customer GETs, failed its whole batch-refresh chunk and was a
traceback in `dosewise refills`. H2 (safety): a stored profile was not validated when read: an
unknown medication ("warfarin") was dropped and vitamin K2 offered first; `allergy` for
`allergies`, country XX and age 500 were served with 200. Both: such an entry is corrupt (503
`unavailable`, `dosewise_corrupt_entries_total`, `corrupt` in a refresh, one CLI line), checked
with the schema a PUT validates with, only where the profile is used (not on a cached hit).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import redis as redis_lib
from click.testing import CliRunner
from werkzeug.test import Client

from service.api.app import create_app
from service.cli import main
from service.customers import entries
from service.customers.redis_client import cache_policy, get_store
from service.customers.refills import refill_chunk
from service.customers.refresh import refresh_chunk
from service.customers.store import CachedList

from .conftest import TODAY

# stored as the review did with redis-cli: JSON text, so NaN is the token json.loads takes
NOT_PROFILES = {
    "nan-serum": '{"age": 75, "serum_25ohd_nmol_l": NaN}',
    "age-text": '{"age": "x"}',
    "no-age": "{}",
    "unknown-medication": '{"age": 75, "medications": ["warfarin"]}',
    "misspelt-key": '{"age": 40, "allergy": ["fish"]}',
    "country-xx": '{"age": 40, "country": "XX"}',
    "age-500": '{"age": 500}',
    "supplements-not-a-list": '{"age": 40, "current_supplements": 5}',
}
# a product the catalog lacks: the 409 stored_profile_stale, as before
STALE = '{"age": 40, "current_supplements": [{"sku": "GONE-1"}]}'


def _entry(profile_text: str) -> str:
    return '{"profile": ' + profile_text + ', "digest": "abc", "updated_at": "2026-01-01"}'


@pytest.fixture()
def stored(redis_url):
    app = create_app(
        {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url, "ACCESS_LOG": False}
    )
    app.extensions["dosewise"].clock = lambda: TODAY
    r = redis_lib.Redis.from_url(redis_url)

    def plant(customer_id: str, profile_text: str) -> None:
        r.set(f"dw:profile:{customer_id}", _entry(profile_text))
        r.sadd("dw:customers", customer_id)

    return {
        "app": app,
        "full": app.test_client(),
        "flask": Client(app.extensions["dosewise_flask_wsgi"]),  # Flask alone, no fast path
        "plant": plant,
        "redis": r,
        "store": get_store(app),
        "url": redis_url,
    }


def _metric(client, family: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    prefix = f'dosewise_corrupt_entries_total{{family="{family}"}} '
    line = next((line for line in text.splitlines() if line.startswith(prefix)), prefix + "0")
    return float(line.removeprefix(prefix))


GETS = [
    "recommendations",
    "recommendations?limit=3",
    "recommendations?placement=home",
    "recommendations?placement=cart",
    "refills",
    "buy-again",
]


@pytest.mark.parametrize("name", list(NOT_PROFILES))
def test_a_stored_entry_that_is_no_valid_profile_is_a_503_until_a_put(stored, name):
    customer_id = f"s31b-{name}"
    stored["plant"](customer_id, NOT_PROFILES[name])
    before = _metric(stored["full"], "profile")
    for via in ("full", "flask"):
        for path in GETS:
            answer = stored[via].get(f"/v1/customers/{customer_id}/{path}")
            assert answer.status_code == 503, (via, path, answer.data[:300])
            assert answer.get_json()["error"]["code"] == "unavailable", (via, path)
    assert _metric(stored["full"], "profile") == before + 2 * len(GETS)
    assert stored["full"].put(f"/v1/customers/{customer_id}", json={"age": 75}).status_code == 200
    assert stored["full"].get(f"/v1/customers/{customer_id}/recommendations").status_code == 200


def test_warfarin_stored_by_another_tool_gets_no_vitamin_k(stored):
    """H2's safety case: before, 200 with XF-D3K2-DROPS (vitamin K2) first."""
    stored["plant"]("s31b-warfarin", NOT_PROFILES["unknown-medication"])
    answer = stored["full"].get("/v1/customers/s31b-warfarin/recommendations?locale=en")
    assert answer.status_code == 503, answer.get_json()


def test_an_unknown_sku_stays_the_409_stored_profile_stale(stored):
    stored["plant"]("s31b-sku", STALE)
    answer = stored["full"].get("/v1/customers/s31b-sku/recommendations")
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "stored_profile_stale"


def test_a_refresh_chunk_counts_them_corrupt_and_computes_the_rest(stored):
    app, store, r = stored["app"], stored["store"], stored["redis"]
    good = [f"s31b-good-{i}" for i in range(5)]
    for i, customer_id in enumerate(good):
        store.put_profile(customer_id, {"age": 30 + i})
    bad = [f"s31b-bad-{name}" for name in NOT_PROFILES]
    for customer_id, text in zip(bad, NOT_PROFILES.values(), strict=True):
        stored["plant"](customer_id, text)
    ids = [*good[:2], *bad, *good[2:]]
    # purchases: those customers go through the refresh of supplies still lasting first
    events = [_purchase(c) for c in (good[0], bad[0], bad[3], bad[-1])]
    assert stored["full"].post("/v1/events", json={"events": events}).status_code == 202
    counts = refresh_chunk(app.extensions["dosewise"], store, ids, cache_policy(app))
    assert counts["done"] == len(ids)
    assert counts["corrupt"] == len(bad), counts
    assert counts["computed"] == len(good), counts
    for customer_id in good:
        assert CachedList.decode(r.get(f"dw:recs:{customer_id}")).response("nl") is not None
    for customer_id in bad:
        assert r.get(f"dw:recs:{customer_id}") is None


def test_a_refresh_of_fresh_lists_does_not_check_their_profiles(stored, monkeypatch):
    """Performance: a list that is fresh is skipped without its profile being checked (it was
    when the list was computed); one computed is checked once per distinct profile."""
    app, store = stored["app"], stored["store"]
    ids = [f"s31b-fresh-{i}" for i in range(6)]
    for i, customer_id in enumerate(ids):
        store.put_profile(customer_id, {"age": 30 + i % 2})  # two distinct profiles
    loads: list[object] = []
    real = entries._PROFILE.load
    monkeypatch.setattr(entries._PROFILE, "load", lambda p: loads.append(p) or real(p))
    counts = refresh_chunk(app.extensions["dosewise"], store, ids, cache_policy(app))
    assert counts["computed"] == 2 and len(loads) == 2, (counts, loads)
    counts = refresh_chunk(app.extensions["dosewise"], store, ids, cache_policy(app))
    assert counts["skipped"] == len(ids) and len(loads) == 2, (counts, loads)


def test_the_refill_job_counts_them_corrupt(stored):
    app, store, client = stored["app"], stored["store"], stored["full"]
    assert client.put("/v1/customers/s31b-ok", json={"age": 60}).status_code == 200
    bad = [f"s31b-job-{name}" for name in NOT_PROFILES]
    for customer_id, text in zip(bad, NOT_PROFILES.values(), strict=True):
        stored["plant"](customer_id, text)
    day = TODAY - dt.timedelta(days=100)
    events = [
        {
            "customer_id": c,
            "sku": "XF-D3-20-TAB",
            "type": "purchase",
            "timestamp": f"{day}T10:00:00+00:00",
        }
        for c in ["s31b-ok", *bad]
    ]
    assert client.post("/v1/events", json={"events": events}).status_code == 202
    counts = refill_chunk(app.extensions["dosewise"], store, ["s31b-ok", *bad], TODAY)
    assert counts["done"] == 1 + len(bad) and counts["missing"] == 0, counts
    assert counts["corrupt"] == len(bad), counts


@pytest.mark.parametrize("command", ["refills", "buy-again"])
@pytest.mark.parametrize("name", ["nan-serum", "unknown-medication", "stale-sku"])
def test_the_cli_says_so_in_one_line(stored, command, name):
    """(A profile naming a product the catalog lacks, the API's 409, was a traceback too.)"""
    stored["plant"]("s31b-cli", NOT_PROFILES.get(name, STALE))
    result = CliRunner().invoke(
        main, [command, "s31b-cli"], env={"REDIS_URL": stored["url"]}, catch_exceptions=False
    )
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dosewise: "), result.stderr
    assert "store it again" in lines[0].lower() or "store the profile again" in lines[0].lower()
    assert "Traceback" not in result.output


def test_a_cached_hit_does_not_validate_the_profile(stored, monkeypatch):
    """Performance: the cached GET reads the list (and the profile's digest), so the profile
    is checked only when a list is computed from it."""
    client = stored["full"]
    assert client.put("/v1/customers/s31b-hit", json={"age": 50}).status_code == 200
    app = stored["app"]
    refresh_chunk(app.extensions["dosewise"], stored["store"], ["s31b-hit"], cache_policy(app))
    loads: list[object] = []
    real = entries._PROFILE.load
    monkeypatch.setattr(entries._PROFILE, "load", lambda p: loads.append(p) or real(p))
    for path in ("recommendations", "recommendations?limit=3"):
        answer = client.get(f"/v1/customers/s31b-hit/{path}")
        assert answer.status_code == 200 and answer.get_json()["source"] == "cache"
    assert loads == []
    answer = client.get("/v1/customers/s31b-hit/recommendations?limit=7")
    assert answer.get_json()["source"] == "computed"
    assert len(loads) == 1
    assert json.loads(stored["redis"].get("dw:profile:s31b-hit"))["profile"] == loads[0]


# ---------------------------------------------------------------- H3: ids no path can reach
UNREACHABLE_IDS = ["r31b/x", "r31b/../x", "/", "a/", ".", ".."]


def _purchase(customer_id: str) -> dict:
    return {
        "customer_id": customer_id,
        "sku": "XF-D3-20-TAB",
        "type": "purchase",
        "timestamp": f"{TODAY}T10:00:00+00:00",
    }


@pytest.mark.parametrize("customer_id", UNREACHABLE_IDS)
def test_an_id_no_customer_path_can_reach_is_refused_in_bodies(stored, customer_id):
    """Before: 202 and 200 (impression logged), while DELETE /v1/customers/{id} could not
    reach the id, so its events, purchases and impressions could not be erased."""
    client = stored["full"]
    answer = client.post("/v1/events", json={"events": [_purchase(customer_id)]})
    assert answer.status_code == 422, answer.get_json()
    assert list(answer.get_json()["error"]["fields"]) == ["events.0.customer_id"]
    body = {"profile": {"age": 75}, "customer_id": customer_id}
    answer = client.post("/v1/recommendations", json=body)
    assert answer.status_code == 422, answer.get_json()
    assert list(answer.get_json()["error"]["fields"]) == ["customer_id"]
    assert stored["redis"].keys("dw:*r31b*") == []
    assert not any(k.endswith(f":{customer_id}".encode()) for k in stored["redis"].keys("dw:*"))


@pytest.mark.parametrize("customer_id", [".", ".."])
def test_a_dot_id_is_refused_on_the_paths_and_still_erased(stored, customer_id):
    for via in ("full", "flask"):
        client = stored[via]
        answer = client.put(f"/v1/customers/{customer_id}", json={"age": 40})
        assert answer.status_code == 422, (via, answer.get_json())
        assert list(answer.get_json()["error"]["fields"]) == ["customer_id"]
        for path in ("recommendations", "refills", "buy-again"):
            answer = client.get(f"/v1/customers/{customer_id}/{path}")
            assert answer.status_code == 422, (via, path, answer.get_data()[:200])
            assert answer.get_json()["error"]["code"] == "validation_failed"
    # one stored before the rule can still be erased
    stored["store"].put_profile(customer_id, {"age": 40})
    answer = stored["full"].delete(f"/v1/customers/{customer_id}")
    assert answer.status_code == 200 and answer.get_json()["deleted"] is True
    assert stored["redis"].get(f"dw:profile:{customer_id}") is None


@pytest.mark.parametrize("customer_id", ["a.b", "...", "c.", ".c", "c-1\\x"])
def test_dots_and_backslashes_inside_an_id_stay_fine(stored, customer_id):
    answer = stored["full"].post("/v1/events", json={"events": [_purchase(customer_id)]})
    assert answer.status_code == 202, answer.get_json()


# ---------------------------------------------------------------- H6: '//' in a path
EMPTY_SEGMENT_PATHS = [
    ("GET", "/v1//products"),  # was a 308 HTML redirect, Location from the Host header
    ("POST", "/v1//recommendations"),  # 308
    ("PUT", "/v1//customers/c-1"),  # 308
    ("GET", "/v1/customers//recommendations"),  # was 405 (id "recommendations")
    ("POST", "//v1/recommendations"),  # was 200: Werkzeug matched it as /v1/recommendations
    ("GET", "//v1/products"),  # 200
    ("GET", "//v1/customers/s31b-h6/recommendations"),  # 200 (a stored customer)
    ("OPTIONS", "/v1//products"),
    ("GET", "/v1/products//XF-D3-20-TAB"),
]


@pytest.mark.parametrize(("method", "path"), EMPTY_SEGMENT_PATHS)
def test_a_path_with_an_empty_segment_is_a_json_404_everywhere(stored, method, path):
    """Gunicorn passes `//` through as it was sent (PATH_INFO), as the test client does."""
    stored["full"].put("/v1/customers/s31b-h6", json={"age": 40})
    app = stored["app"]
    refresh_chunk(app.extensions["dosewise"], stored["store"], ["s31b-h6"], cache_policy(app))
    body = {"age": 40} if method == "PUT" else {"profile": {"age": 40}}
    for via in ("full", "flask"):
        answer = stored[via].open(
            "/",
            method=method,
            json=body if method in ("POST", "PUT") else None,
            environ_overrides={"PATH_INFO": path},
            headers={"Host": "evil.example"},
        )
        assert answer.status_code == 404, (via, answer.status_code, answer.get_data()[:200])
        assert answer.mimetype == "application/json"
        assert "Location" not in answer.headers
        error = answer.get_json()["error"]
        assert error["code"] == "not_found" and error["fields"] == {}
        assert "'//'" in error["message"]
    metrics = stored["full"].get("/metrics").get_data(as_text=True)  # no route's label
    assert f'count{{endpoint="unmatched",method="{method}",status="404"}} 2.0' in metrics


def test_the_same_paths_with_one_slash_still_answer(stored):
    client = stored["full"]
    assert client.get("/v1/products").status_code == 200
    assert client.post("/v1/recommendations", json={"profile": {"age": 40}}).status_code == 200
    assert client.put("/v1/customers/c-1", json={"age": 40}).status_code == 200
    assert client.get("/v1/customers/c-1/recommendations").status_code == 200
