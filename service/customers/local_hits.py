"""Each web process's own copy of the cached lists it served, kept valid by Redis itself.

A cache hit of `GET /v1/customers/{id}/recommendations` costs one Redis round trip, and that
round trip was most of what separated it from `/healthz` (bench/README.md, session 24). A web
process now keeps the customer's profile entry and decoded list it last read (`LOCAL_HITS`
customers, least recently served dropped first, each for at most `LOCAL_HITS_SECONDS`) and
answers the next hit from memory, with every check of a hit made again on each request
(fingerprint of the rules, catalog and model in service, the profile's digest, the list's age,
limit, locale and placement).

**Never a list computed before a change.** The copy is kept valid by Redis's server-assisted
client-side caching: each process holds one connection of its own on which Redis sends the
name of every customer profile and list key written, deleted, expired or evicted (`CLIENT
TRACKING ON BCAST` on the `dw:profile:` and `dw:recs:` prefixes, RESP3), whoever wrote it: a
PUT or DELETE in any web process of any host, a refresh or refill worker, an operator. Before
a copy is used the messages that have arrived are read (a poll of the socket, no round trip),
and Redis sends them in the same turn of its event loop as its reply to the write: a request
that follows the answer to a PUT finds the PUT's message there. A copy is only kept when no
message for that customer arrived while it was read from Redis. When the connection fails or
Redis flushes a database, every copy is dropped, and none is used or kept until the
connection is back (then the process reads Redis on every hit, as before). Off on a Redis
Cluster (its keys live on many nodes) and where the server refuses tracking (Redis before 6).

The impression of a list answered from memory is logged like the one logged in the read's
round trip (the same stream entry), but a process writes them in batches: every
`IMPRESSION_FLUSH_SECONDS` or at 64 waiting, and when the process exits. A process killed
without warning loses the impressions of its last fraction of a second.
"""

from __future__ import annotations

import atexit
import logging
import os
import select
import threading
import time
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import redis

from .entries import EVENTS_MAXLEN, IMPRESSIONS_STREAM, CachedList, key
from .scripts import LOG_HITS

log = logging.getLogger("dosewise.customers")

PREFIXES = (key("profile", ""), key("recs", ""))
RETRY_SECONDS = 1.0  # after the tracking connection failed, how long before it is tried again
# A connection can stay open while Redis no longer reaches it (a network partition): the process
# then hears of no write. So it sends a PING on it every PING_SECONDS while serving, drops it
# when the PONG takes longer than PONG_SECONDS, and uses copies only while the last PONG is
# recent: Redis sends in order, so every write before the PING was reported before the PONG.
PING_SECONDS = 0.5
PONG_SECONDS = 0.5
# Redis writes a message into the connection's socket at once unless the socket is full: then
# the rest waits in Redis until the process reads, and a socket read empty does not mean every
# message arrived. A process that reads this many bytes of messages at one look (a socket that
# may have been full) uses no copy until the PONG of a PING sent after them; a thread of its
# own reads the messages as they come, so that a quiet process does not fall behind.
BACKLOG_BYTES = 4096
BATCH = 64  # impressions waiting that make a process write them at once


@dataclass(frozen=True)
class Kept:
    """A customer's profile entry and cached list as read from Redis, and when."""

    entry: dict
    cached: CachedList
    read_at: float  # time.monotonic()


class LocalHits:
    """The copies of one web process (made again in a forked child: nothing is shared)."""

    def __init__(self, client: Any, capacity: int, seconds: float) -> None:
        self.client = client
        self.capacity = capacity
        self.seconds = seconds
        self.hits = self.misses = 0  # copies used, and hits read from Redis (for /metrics)
        self._lock = threading.Lock()
        self._forked()

    def _forked(self) -> None:
        self._pid = os.getpid()
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        self._reading: dict[str, list[Any]] = {}  # id -> [reads under way, message seen]
        self._connection: Any = None
        self._epoch = 0  # counts the connection's failures: a read from before one is not kept
        self._retry_at = 0.0
        self._ponged = 0.0  # time.monotonic() of the last PONG (or of the connection made)
        self._pings: deque[float] = deque()  # when each PING still unanswered was sent
        self._sent = self._answered = self._trusted_from = 0  # PINGs, PONGs, PONGs needed
        self._read_bytes = 0  # of messages, at this look
        self._reader: threading.Thread | None = None

    # -- the tracking connection (the lock is held)
    def _tracking(self) -> bool:
        """Read the invalidation messages that arrived; False while there is no connection."""
        if self._pid != os.getpid():
            self._forked()  # the parent's connection and copies are not this process's
        connection = self._connection
        if connection is None:
            if time.monotonic() < self._retry_at:
                return False
            connection = self._connect()
            if connection is None:
                return False
        if self._reader is None:
            self._reader = threading.Thread(
                target=_reader, args=(weakref.ref(self),), name="dosewise-tracking", daemon=True
            )
            self._reader.start()
        self._read_bytes = 0
        try:
            while connection.can_read(timeout=0):
                if connection.read_response(push_request=True) is not None:  # not a message
                    self._pings.popleft()  # a PONG: Redis answers in order
                    self._answered += 1
                    self._ponged = time.monotonic()
            now = time.monotonic()
            if self._pings and now - self._pings[0] > PONG_SECONDS:
                self._lost(f"Redis did not answer a PING within {PONG_SECONDS} s")
                return False
            if self._read_bytes >= BACKLOG_BYTES:  # more may wait in Redis: trust its PONG
                self._ping(connection, now)
                self._trusted_from = self._sent
            elif not self._pings and now - self._ponged >= PING_SECONDS:
                self._ping(connection, now)
        except Exception as exc:  # noqa: BLE001 - any fault: nothing kept can be trusted
            self._lost(f"the tracking connection failed ({type(exc).__name__}: {exc})")
            return False
        # (after a quiet spell: the PING just sent must be answered before copies are used)
        return (
            self._answered >= self._trusted_from
            and now - self._ponged < PING_SECONDS + PONG_SECONDS
        )

    def _ping(self, connection: Any, now: float) -> None:
        connection.send_command("PING")
        self._pings.append(now)
        self._sent += 1

    def _read_on(self, connection: Any) -> bool:
        """Read the messages that arrived on `connection`, if it is still the one in use (the
        reader thread); False once this object is of another process."""
        with self._lock:
            if self._pid != os.getpid():
                return False
            if self._connection is connection:
                self._tracking()
            return True

    def _connect(self) -> Any:
        pool = self.client.connection_pool
        settings = {**pool.connection_kwargs, "protocol": 3}
        connection = pool.connection_class(**settings)
        try:
            connection.connect()
            connection._parser.set_invalidation_push_handler(self._invalidated)
            args = ["CLIENT", "TRACKING", "ON", "BCAST"]
            for prefix in PREFIXES:
                args += ["PREFIX", prefix]
            connection.send_command(*args)
            reply = connection.read_response()
            if reply not in (b"OK", "OK"):
                raise redis.ResponseError(f"CLIENT TRACKING answered {reply!r}")
        except Exception as exc:  # noqa: BLE001 - no tracking: every hit reads Redis
            connection.disconnect()
            self._retry_at = time.monotonic() + RETRY_SECONDS
            log.warning("local cache hits off for now: %s: %s", type(exc).__name__, exc)
            return None
        self._connection = connection
        self._ponged = time.monotonic()
        self._pings.clear()
        self._sent = self._answered = self._trusted_from = 0
        return connection

    def _lost(self, why: str) -> None:
        log.warning("local cache hits dropped: %s", why)
        if self._connection is not None:
            self._connection.disconnect()
        self._connection = None
        self._retry_at = time.monotonic() + RETRY_SECONDS
        self._drop_all()

    def _drop_all(self) -> None:
        self._kept.clear()
        self._epoch += 1
        for reading in self._reading.values():
            reading[1] = True

    def _invalidated(self, message: Any) -> None:
        """Redis's message: [b"invalidate", [keys]], or [b"invalidate", None] for a flush."""
        names = message[1] if isinstance(message, list) and len(message) == 2 else None
        if names is None:
            self._drop_all()
            return
        for name in names:
            text = name.decode() if isinstance(name, bytes) else str(name)
            self._read_bytes += len(text) + 16  # (with the protocol's framing, about)
            for prefix in PREFIXES:
                if text.startswith(prefix):
                    customer_id = text[len(prefix) :]
                    self._kept.pop(customer_id, None)
                    reading = self._reading.get(customer_id)
                    if reading is not None:
                        reading[1] = True

    # -- what the cache hit asks
    def get(self, customer_id: str) -> Kept | None:
        """The customer's copy, when there is one and it can be trusted."""
        with self._lock:
            if not self._tracking():
                return None
            kept = self._kept.get(customer_id)
            if kept is None:
                return None
            if time.monotonic() - kept.read_at >= self.seconds:
                del self._kept[customer_id]
                return None
            self._kept.move_to_end(customer_id)
            self.hits += 1
            return kept

    def reading(self, customer_id: str) -> int | None:
        """Before the customer's keys are read from Redis: a token for `keep`, or None when
        nothing read now could be kept (no tracking connection)."""
        with self._lock:
            if not self._tracking():
                return None
            reading = self._reading.setdefault(customer_id, [0, False])
            reading[0] += 1
            self.misses += 1
            return self._epoch

    def keep(self, customer_id: str, token: int | None, kept: tuple[dict, CachedList] | None):
        """After the read (call it whatever the outcome, `kept` None when there is nothing to
        keep): the values are kept unless a message for the customer arrived meanwhile."""
        if token is None:
            return
        with self._lock:
            tracking = self._tracking()  # the messages that arrived during the read
            reading = self._reading.get(customer_id)
            if reading is None:  # (a fork in between)
                return
            reading[0] -= 1
            changed = reading[1]
            if reading[0] <= 0:
                del self._reading[customer_id]
            if kept is None or changed or not tracking or token != self._epoch:
                return
            self._kept[customer_id] = Kept(kept[0], kept[1], time.monotonic())
            self._kept.move_to_end(customer_id)
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)


def _reader(ref: weakref.ref[LocalHits]) -> None:
    """A process's reader of messages: reads whenever some arrived, until its LocalHits is
    gone (it holds no reference to it while it waits)."""
    while (hits := ref()) is not None:
        connection = hits._connection
        del hits
        sock = getattr(connection, "_sock", None)
        if sock is None:
            time.sleep(RETRY_SECONDS)
            continue
        try:
            ready = select.select([sock], [], [], PING_SECONDS)[0]
        except (OSError, ValueError):  # closed meanwhile: the next look says why
            ready = [sock]
        if ready:
            hits = ref()
            if hits is None or not hits._read_on(connection):
                return
            del hits
            time.sleep(0.001)  # (a message or two more, then read them together)
        connection = None


class HitImpressions:
    """The impressions of lists answered from memory, written in batches (LOG_HITS)."""

    def __init__(self, store: Any, seconds: float) -> None:
        self.store = store
        self.seconds = seconds
        self._lock = threading.Lock()
        self._waiting: list[tuple[str, bytes, bytes]] = []
        self._pid = os.getpid()
        self._thread: threading.Thread | None = None
        _ALL.add(self)

    def add(self, customer_id: str, head: bytes, part: bytes) -> None:
        with self._lock:
            if self._pid != os.getpid():  # the parent's waiting ones are the parent's
                self._pid, self._waiting, self._thread = os.getpid(), [], None
            self._waiting.append((customer_id, head, part))
            now = self.seconds <= 0 or len(self._waiting) >= BATCH
            if not now and self._thread is None:
                self._thread = threading.Thread(
                    target=self._every, name="dosewise-impressions", daemon=True
                )
                self._thread.start()
        if now:
            self.flush()

    def _every(self) -> None:
        while True:
            time.sleep(self.seconds)
            self.flush()

    def flush(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        try:
            self._write(waiting)
        except (redis.RedisError, OSError) as exc:
            log.warning("could not log %d impressions: %s", len(waiting), exc)

    def _write(self, waiting: list[tuple[str, bytes, bytes]]) -> None:
        store = self.store
        indexes = [store._key("impressions", customer_id) for customer_id, _, _ in waiting]
        args: list[Any] = [EVENTS_MAXLEN]
        for _, head, part in waiting:
            args += [head, part]
        older = self._script(keys=[IMPRESSIONS_STREAM, *indexes], args=args)
        if older:  # an index written by an older version: converted, then those logged
            again = [waiting[position - 1] for position in older]
            for position in older:
                store._convert_index(indexes[position - 1])
            self._write(again)

    @cached_property
    def _script(self) -> Any:
        return self.store.client.register_script(LOG_HITS)


_ALL: weakref.WeakSet[HitImpressions] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    """A web process that exits (gunicorn's max_requests, a deploy) writes what waits."""
    for impressions in list(_ALL):
        if impressions._pid == os.getpid():
            impressions.flush()
