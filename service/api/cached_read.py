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
    key = store._key
    command = b"".join(
        (
            _prefix(script.sha),
            _bulk(key("profile", customer_id).encode()),
            _bulk(key("recs", customer_id).encode()),
            _STREAM,
            _bulk(key("impressions", customer_id).encode()),
            _MAXLEN,
            _bulk(head),
            _bulk(hit.fingerprint.encode()),
            _bulk(repr(hit.now).encode()),
            _bulk(repr(hit.max_age).encode()),
            _bulk(str(hit.limit).encode()),
            _bulk(part_name(hit.locale, hit.placement).encode()),
            _bulk((hit.placement or "").encode()),
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
