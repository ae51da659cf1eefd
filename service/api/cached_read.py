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

_MAXLEN = str(EVENTS_MAXLEN).encode()
_STREAM = IMPRESSIONS_STREAM.encode()


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


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
    words = (
        b"EVALSHA",
        script.sha.encode(),
        b"4",
        store._key("profile", customer_id).encode(),
        store._key("recs", customer_id).encode(),
        _STREAM,
        store._key("impressions", customer_id).encode(),
        _MAXLEN,
        head,
        hit.fingerprint.encode(),
        repr(hit.now).encode(),
        repr(hit.max_age).encode(),
        str(hit.limit).encode(),
        part_name(hit.locale, hit.placement).encode(),
        (hit.placement or "").encode(),
    )
    command = b"*15\r\n" + b"".join([_bulk(word) for word in words])
    connection.send_packed_command([command])
    try:
        reply: Any = connection.read_response()
    except redis.ResponseError:  # the whole reply was read: the connection is still in step
        return store.read_and_log(customer_id, hit, head)
    if not isinstance(reply, list) or len(reply) != 3:  # the script may have logged: no retry
        raise redis.ResponseError(f"READ_AND_LOG answered {type(reply).__name__}")
    profile_raw, recs_raw, logged = reply
    return load_profile_entry(profile_raw), recs_raw, bool(logged)
