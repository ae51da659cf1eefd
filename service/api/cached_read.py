"""The cached GET's one Redis round trip, with the command packed here.

`RedisStore.read_and_log` sends the store's READ_AND_LOG script through redis-py: for a
command of 13 arguments redis-py's generic packing, its retry wrapper and its per-command
bookkeeping took about 30 of the call's 50 µs of CPU (bench/README.md, HTTP section). This
sends the same EVALSHA with the same keys and arguments, packed in one `bytes` join, over the
same connection (the thread's own, with its timeouts and circuit breaker) and reads the reply
with the same connection's parser. Anything but a plain reply (NOSCRIPT after a Redis restart,
an impression index of an older type, or any other error reply) is handed to
`RedisStore.read_and_log`, which loads the script or converts the index and calls again;
connection faults are raised as from that method (the connection is dropped, as redis-py does).
"""

from __future__ import annotations

from typing import Any

import redis

from ..core.placements.serve import part_name
from ..customers.entries import key
from ..customers.store import (
    EVENTS_MAXLEN,
    IMPRESSIONS_STREAM,
    Hit,
    RedisStore,
    load_profile_entry,
)


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


# the words that do not change between requests, packed once (the script's sha once per load)
_STREAM = _bulk(IMPRESSIONS_STREAM.encode())
_MAXLEN = _bulk(str(EVENTS_MAXLEN).encode())
_PREFIXES: dict[str, bytes] = {}


def _prefix(sha: str) -> bytes:
    prefix = _PREFIXES.get(sha)
    if prefix is None:
        prefix = _PREFIXES[sha] = b"*15\r\n" + _bulk(b"EVALSHA") + _bulk(sha.encode()) + _bulk(b"4")
    return prefix


# a customer's keys on a single Redis (store._key): the family's prefix, then the id
_PROFILE, _RECS, _INDEX = (key(f, "").encode() for f in ("profile", "recs", "impressions"))
_PROFILE_LEN, _RECS_LEN, _INDEX_LEN = len(_PROFILE), len(_RECS), len(_INDEX)
_ASKED: dict[tuple[float, int, str, str | None], bytes] = {}


def _asked(max_age: float, limit: int, locale: str, placement: str | None) -> bytes:
    """The last four arguments (max age, limit, part, placement), packed once per value: a
    few settings and queries repeat on every hit."""
    plain = type(max_age) is float and max_age > 0 and type(limit) is int  # equal means same
    kept = _ASKED.get((max_age, limit, locale, placement)) if plain else None
    if kept is None:
        kept = b"".join(
            (
                _bulk(repr(max_age).encode()),
                _bulk(str(limit).encode()),
                _bulk(part_name(locale, placement).encode()),
                _bulk((placement or "").encode()),
            )
        )
        if plain and len(_ASKED) < 1024:  # bounded: the queries are the contract's, but any locale
            _ASKED[(max_age, limit, locale, placement)] = kept
    return kept


def read_and_log(
    store: RedisStore, customer_id: str, hit: Hit, head: bytes
) -> tuple[dict | None, bytes | None, bool]:
    """What `store.read_and_log` returns: the profile entry (CorruptEntry when it does not
    decode), the cached list and whether the impression was logged."""
    if store.cluster:  # routed by slot: redis-py's cluster client
        return store.read_and_log(customer_id, hit, head)
    script = store._read_log_script
    connection = getattr(store._own(), "connection", None)
    if connection is None or not script.sha:
        return store.read_and_log(customer_id, hit, head)
    cid = customer_id.encode()
    command = b"".join(
        (
            _prefix(script.sha),
            b"$%d\r\n%s%s\r\n" % (_PROFILE_LEN + len(cid), _PROFILE, cid),
            b"$%d\r\n%s%s\r\n" % (_RECS_LEN + len(cid), _RECS, cid),
            _STREAM,
            b"$%d\r\n%s%s\r\n" % (_INDEX_LEN + len(cid), _INDEX, cid),
            _MAXLEN,
            _bulk(head),
            _bulk(hit.fingerprint.encode()),
            _bulk(repr(hit.now).encode()),
            _asked(hit.max_age, hit.limit, hit.locale, hit.placement),
        )
    )
    connection.send_packed_command([command])
    try:
        reply: Any = connection.read_response()
    except redis.ResponseError:  # the whole reply was read: the connection is still in step
        return store.read_and_log(customer_id, hit, head)
    if not isinstance(reply, list) or len(reply) != 3:  # the script may have logged: no retry
        raise redis.ResponseError(f"READ_AND_LOG answered {type(reply).__name__}")
    profile_raw, recs_raw, logged = reply
    return load_profile_entry(profile_raw), recs_raw, bool(logged)
