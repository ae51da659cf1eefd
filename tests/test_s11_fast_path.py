"""Session 11's cheaper cache hit does what it did before (bench/README.md, session 11):

- `CachedList.decode` reads with orjson and falls back to `json` exactly as before: for every
  entry (real lists with umlauts, empty lists, placements, and broken ones: integers beyond 64
  bits, NaN, lone surrogates, a BOM, bytes that are not UTF-8, keys given twice, layouts that do
  not add up) it accepts and refuses what `json` alone did, with the same values and parts;
- `HitLog.head` (orjson) writes json's bytes for every customer id;
- a new request id is a version 4 UUID's hex, as `uuid.uuid4().hex` was;
- `cache_policy` follows a change of the settings;
- the customer GET's check for an A/B arm, kept per loaded experiments file, follows the file:
  an experiment on the customer lists added after the first hit is served in its arms.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from service.api.logs import new_request_id, request_id_from
from service.customers.entries import CachedList, CorruptEntry
from service.customers.redis_client import HitLog, cache_policy, get_store
from service.customers.refresh import refresh_chunk
from service.experiments.assign import assign
from service.experiments.spec import load_experiments

from .conftest import TODAY, memory_app
from .test_experiments_serving import _app, _write_experiment

PROFILES = {
    "nl-1": {"age": 58, "goals": ["bones"]},
    "de-1": {"age": 34, "country": "DE", "goals": ["energy"]},  # umlauts in the texts
    "kid-1": {"age": 4},
    "young-1": {"age": 22, "sex": "male"},  # few or no items
}


@pytest.fixture(scope="module")
def stored() -> list[bytes]:
    """Real entries as a refresh writes them (with impression and placement parts)."""
    app = memory_app(TODAY)
    store = get_store(app)
    for customer_id, profile in PROFILES.items():
        store.put_profile(customer_id, profile)
    refresh_chunk(app.extensions["dosewise"], store, list(PROFILES), cache_policy(app))
    _, lists, _ = store.read_many_checked(list(PROFILES))
    assert all(lists)
    return lists


def _outcome(decode, raw):
    try:
        cached = decode(raw)
    except CorruptEntry:
        return "corrupt"
    except Exception as exc:  # noqa: BLE001 - what json's reading raised (OverflowError)
        return type(exc).__name__
    return (
        cached.fingerprint,
        cached.profile_digest,
        cached.computed_at,
        type(cached.limit),
        cached.limit,
        cached.payload,
        cached._layout,
    )


def _same(raw: bytes) -> None:
    fast = _outcome(CachedList.decode, raw)
    assert fast == _outcome(CachedList._decode_json, raw), raw[:300]


def _meta(raw: bytes) -> dict:
    return json.loads(raw.partition(b"\n")[0])


def _with_meta(raw: bytes, head: bytes) -> bytes:
    return head + b"\n" + raw.partition(b"\n")[2]


def _with_header(raw: bytes, header: bytes) -> bytes:
    meta, _, payload = raw.partition(b"\n")
    return meta + b"\n" + header + b"\n" + payload.partition(b"\n")[2]


def test_real_lists_decode_as_json_read_them(stored):
    for raw in stored:
        _same(raw)
        cached = CachedList.decode(raw)
        assert cached._parts and cached.response(next(iter(cached._parts))) is not None
    empty = CachedList.encode_payload({"nl": {"items": []}})  # an empty list, no impression
    raw = CachedList.encode(
        {"fingerprint": "f", "profile_digest": "d", "computed_at": 1.5, "limit": 5}, empty
    )
    _same(raw)
    assert json.loads(CachedList.decode(raw).response("nl")) == {"items": [], "source": "cache"}
    umlauts = CachedList.encode_payload({"de": {"items": [], "note": "Folsäure, Jod 🙂"}})
    _same(
        CachedList.encode(
            {"fingerprint": "ü", "profile_digest": "ß", "computed_at": 1, "limit": 5}, umlauts
        )
    )


METAS = [
    b'{"fingerprint":"f","profile_digest":"d","computed_at":1.5,"limit":123456789012345678901234}',
    b'{"fingerprint":"f","profile_digest":"d","computed_at":1234567890123456789012345,"limit":5}',
    b'{"fingerprint":"f","profile_digest":"d","computed_at":' + b"9" * 400 + b',"limit":5}',
    b'{"fingerprint":"f","profile_digest":"d","computed_at":NaN,"limit":5}',
    b'{"fingerprint":"f","profile_digest":"d","computed_at":1e400,"limit":5}',
    b'{"fingerprint":"\\ud800","profile_digest":"d","computed_at":1.5,"limit":5}',
    b'\xef\xbb\xbf{"fingerprint":"f","profile_digest":"d","computed_at":1.5,"limit":5}',
    b'{"fingerprint":"\xff","profile_digest":"d","computed_at":1.5,"limit":5}',
    b'{"fingerprint":"a","fingerprint":"f","profile_digest":"d","computed_at":1.5,"limit":5}',
    b'{"fingerprint":"f","profile_digest":"d","computed_at":"1.5","limit":5}',
    b'{"fingerprint":"f","profile_digest":"d","computed_at":1.5,"limit":5.0}',
    b'{"fingerprint":"f","profile_digest":"d","computed_at":1.5,"limit":true}',
    b'{"fingerprint":"f","profile_digest":7,"computed_at":1.5,"limit":5}',
    b'{"fingerprint":"f","computed_at":1.5,"limit":5}',
    b'["f","d",1.5,5]',
    b'{"fingerprint":"f","profile_digest":"d","computed_at":[],"limit":5}',
    b"",
    b"  ",
    b"{",
]


def test_odd_metadata_is_taken_or_refused_as_json_did(stored):
    for raw in stored:
        for head in METAS:
            _same(_with_meta(raw, head))
    assert CachedList.decode(_with_meta(stored[0], METAS[0])).limit == 123456789012345678901234
    for wrong in (b"not a list", "text, not bytes", b"\n\n"):
        _same(wrong)  # type: ignore[arg-type]


def test_odd_headers_are_taken_or_refused_as_json_did(stored):
    raw = stored[0]
    header = json.loads(raw.partition(b"\n")[2].partition(b"\n")[0])
    sizes = header["locales"]
    first = next(iter(sizes))
    variants = [
        {**header, "locales": {}},
        {**header, "locales": {first: sizes[first] + 10**30}},
        {**header, "locales": {first: float(sizes[first])}},
        {**header, "locales": {**sizes, first: 0}},
        {**header, "impression": "12"},
        {**header, "placements": [["x", 1, 2]]},
        {**header, "placements": "none"},
        {k: v for k, v in header.items() if k != "impression"},
        {"locales": []},
        [],
    ]
    for variant in variants:
        _same(_with_header(raw, json.dumps(variant).encode()))
    _same(_with_header(raw, json.dumps(header).encode().replace(b"{", b'{"locales":{},', 1)))
    _same(_with_header(raw, b'{"locales":{"nl":' + b"1" * 30 + b"}}"))
    _same(_with_header(raw, b'{"locales":{"\\udc00":12}}'))


@pytest.mark.parametrize(
    "customer_id",
    ["c0000050", 'quote"back\\slash', "Jürgen-Müller", "klant 🙂 ✓", "tab\there", "\u2028x\x7f"],
)
def test_the_impression_head_is_jsons_bytes(customer_id):
    request_id = new_request_id()
    head = HitLog.head(request_id, customer_id)
    stamp = json.loads(head)["timestamp"]
    expected = json.dumps(
        {"request_id": request_id, "customer_id": customer_id, "timestamp": stamp},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    assert head == expected
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate: json's error, as before
        HitLog.head(request_id, customer_id + "\ud800")


def test_a_new_request_id_is_a_uuid4s_hex():
    ids = {request_id_from("") for _ in range(2000)}
    assert len(ids) == 2000
    for text in ids:
        assert re.fullmatch(r"[0-9a-f]{32}", text)
        parsed = uuid.UUID(hex=text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and parsed.hex == text
    assert request_id_from("given-id.1:2") == "given-id.1:2"
    assert len(request_id_from("not allowed!")) == 32


def test_the_cache_policy_follows_the_settings():
    app = memory_app(TODAY)
    first = cache_policy(app)
    assert cache_policy(app) is first
    app.config["CACHE_MAX_AGE"] = 60
    assert cache_policy(app).max_age == 60.0 and cache_policy(app).limit == first.limit
    app.config["PRECOMPUTE_LIMIT"] = "7"
    assert cache_policy(app).limit == 7


PROFILE = {"age": 72, "sex": "female", "goals": ["bones"], "country": "NL"}


def test_an_experiment_started_after_the_first_hit_is_served_in_its_arms(data_copy, tmp_path):
    app = _app(data_copy, tmp_path)  # files checked on every request (RELOAD_INTERVAL 0)
    client = app.test_client()
    ids = [f"arm-{n}" for n in range(8)]
    for customer in ids:
        assert client.put(f"/v1/customers/{customer}", json=PROFILE).status_code == 200
    for customer in ids:  # no experiment: the lists in service, from the cache
        response = client.get(f"/v1/customers/{customer}/recommendations")
        answer = response.get_json()
        response.close()
        assert answer["source"] == "cache" and "experiment" not in answer
    _write_experiment(data_copy.rules, "customer_recommendations")
    experiment = load_experiments(data_copy.rules / "experiments.yaml").experiments[0]
    for customer in ids:  # the stored lists are the old arm's: each answer names its arm
        response = client.get(f"/v1/customers/{customer}/recommendations")
        answer = response.get_json()
        response.close()
        variant = assign(experiment, customer).id
        assert answer["experiment"] == {"id": "no-campaigns", "variant": variant}, customer
    (data_copy.rules / "experiments.yaml").unlink()  # and back
    for customer in ids:
        answer = client.get(f"/v1/customers/{customer}/recommendations").get_json()
        assert "experiment" not in answer


def test_an_experiment_on_other_placements_leaves_the_lists_alone(data_copy, tmp_path):
    _write_experiment(data_copy.rules, "recommendations")
    app = _app(data_copy, tmp_path)
    client = app.test_client()
    assert client.put("/v1/customers/other-1", json=PROFILE).status_code == 200
    response = client.get("/v1/customers/other-1/recommendations")
    answer = response.get_json()
    response.close()
    assert answer["source"] == "cache" and "experiment" not in answer
