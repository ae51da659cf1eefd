"""Each web process's own copy of the cached lists it served, kept valid by Redis itself.

A cache hit of `GET /v1/customers/{id}/recommendations` costs one Redis round trip, and that
round trip was most of what separated it from `/healthz` (bench/README.md, session 24). A web
process now keeps the customer's profile entry and decoded list it last read (`LOCAL_HITS`
customers, least recently served dropped first, each for at most `LOCAL_HITS_SECONDS`) and
answers the next hit from memory, with every check of a hit made again on each request
(fingerprint of the rules, catalog and model in service, the profile's digest, the list's age,
limit, locale and placement, the A/B arm).

**Never a list from before a change that was answered.** Each process holds one connection of
its own on which Redis names every customer profile and list key written or deleted, whoever
wrote it (`CLIENT TRACKING ON BCAST` on the `dw:profile:` and `dw:recs:` prefixes, RESP3): a
PUT, a DELETE or a purchase on any web process of any host, a refresh worker, an operator. That
alone is no guarantee (the message travels on another connection than the writer's answer: a
lost packet or a busy Redis delays it), so the copies are used under a lease:

- the process sends a probe on that connection at a hit when the last is `PROBE_SECONDS` old
  (its thread once a second when quiet): a write of the lease key (`SET dw:local-hits:lease
  1 PX 1000`), so that a Redis that cannot take writes (a primary demoted to replica behind a
  proxy that kept the connection) answers an error and ends the copies; Redis answers in
  order, after every message of a write it carried out before the probe arrived;
- a copy is used only while the answer to a probe *sent* less than `LEASE_SECONDS` ago has
  been read (with every message before it): a write finished before that probe was sent was
  heard;
- a web process that wrote a customer's profile or list (PUT, DELETE, a purchase event), also
  when the write failed midway, waits `WRITE_WAIT_SECONDS` (more than the lease) before it
  answers whenever the lease key exists (`redis_client.after_write`): a GET that follows the
  answer comes after every lease that could hide the write ran out. Without the key no process
  holds a lease from the last second, and the writer answers at once. The writes of refresh
  and refill workers need no wait: they answer no one.

A copy is not kept when a message for its customer arrived while it was read from Redis. When
the connection fails, Redis does not answer a probe within `ANSWER_SECONDS`, or a database is
flushed, every copy is dropped, and none is used until a new connection is answered (every hit
reads Redis meanwhile, as before). Off on a Redis Cluster (its keys live on many nodes), where
the server refuses tracking (Redis before 6, or an ACL without `client`), and on Redis 8 or
later with I/O threads (which may answer a probe before the message of a write it carried out
in the turn before): then tried again at most every minute.

A key that expires (a list computed with a supply that runs out, service/customers/supplies.py)
is reported when Redis removes it, which can be later than the expiry time: such a copy may be
used up to `LOCAL_HITS_SECONDS` after its run-out time (it counts the supply as still taken).

The impression of a list answered from memory is logged like the one logged in the read's
round trip (the same stream entry), but a process writes them in batches: at a hit once the
oldest waiting is `IMPRESSION_FLUSH_SECONDS` old or 64 wait, else within a second (the
process's thread), and when the process exits. A process killed
without warning loses the impressions of its last fraction of a second; a batch Redis refuses
is logged and dropped, as a single impression was; a customer erased meanwhile is not logged.
"""

from __future__ import annotations

import atexit
import logging
import os
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
_PREFIX_BYTES = tuple(prefix.encode() for prefix in PREFIXES)
LEASE_KEY = "dw:local-hits:lease"  # written by each process's probe, read by writers
PROBE_SECONDS = 0.05  # how often the process's thread sends a probe on the tracking connection
LEASE_SECONDS = 0.2  # a copy is used while a probe sent less than this long ago was answered
WRITE_WAIT_SECONDS = LEASE_SECONDS + 0.05  # what a writer waits before it answers
ANSWER_SECONDS = 0.5  # a probe unanswered this long: the connection is dropped
# How often the process's thread looks (connects, reads what arrived, probes): hits look (and
# probe) on each request, so the thread matters only for a quiet process, which it keeps from
# falling behind. A thread that wakes often costs every request of the process: at 0.1 s it
# made `/healthz` 36 % dearer in CPython (the GIL handed back and forth), at 1 s 3 %.
READER_SECONDS = 1.0
_PROBE = ("SET", LEASE_KEY, "1", "PX", "1000")  # (the key outlives every lease by far)
TRACKING_TIMEOUT = 0.1  # seconds for the rest of a message half read (it is on its way)
RETRY_SECONDS = 1.0  # after the connection failed, before it is made again (doubling to 60)
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
        self.hits = self.misses = 0  # copies used, and hits read from Redis
        self._lock = threading.Lock()
        self._forked()

    def _forked(self) -> None:
        self._pid = os.getpid()
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        self._reading: dict[str, list[Any]] = {}  # id -> [reads under way, message seen]
        self._connection: Any = None
        self._epoch = 0  # counts the connection's failures: a read from before one is not kept
        self._retry_at, self._backoff = 0.0, RETRY_SECONDS
        self._probes: deque[float] = deque()  # when each probe still unanswered was sent
        self._probed_at = -1e18  # when the last probe was sent
        self._answered_sent = -1e18  # when the last probe answered was sent
        self._broken = ""  # a message the handler could not take (redis-py swallows errors)
        self._reader: threading.Thread | None = None
        self._closed = False

    # -- the tracking connection (the lock is held)
    def _read(self) -> bool:
        """Read what arrived on the connection (messages, probes' answers); False when there is
        none or it failed (then every copy is dropped)."""
        if self._pid != os.getpid():
            self._forked()  # the parent's connection and copies are not this process's
        if self._reader is None:
            self._reader = threading.Thread(
                target=_reader, args=(weakref.ref(self),), name="dosewise-tracking", daemon=True
            )
            self._reader.start()
        connection = self._connection
        if connection is None or self._closed:
            return False
        try:
            while connection.can_read(timeout=0):
                reply = connection.read_response(push_request=True)
                if self._broken:
                    raise redis.ResponseError(self._broken)
                if reply is None:  # a message, taken by _invalidated
                    continue
                if reply not in (b"OK", "OK") or not self._probes:  # (an error is raised)
                    raise redis.ResponseError(f"unexpected reply {reply!r:.80}")
                self._answered_sent = self._probes.popleft()
            if self._probes and time.monotonic() - self._probes[0] > ANSWER_SECONDS:
                raise TimeoutError(f"a probe unanswered for {ANSWER_SECONDS} s")
        except Exception as exc:  # noqa: BLE001 - any fault: nothing kept can be trusted
            self._lost(f"{type(exc).__name__}: {exc}")
            return False
        return True

    def _leased(self) -> bool:
        """Whether copies may be used now: what arrived was read, and it includes the answer to
        a probe sent less than LEASE_SECONDS ago (a probe is sent when one is due)."""
        if not self._read():
            return False
        now = time.monotonic()
        if now - self._probed_at >= PROBE_SECONDS and not self._probe(now):
            return False
        return now - self._answered_sent < LEASE_SECONDS

    def _probe(self, now: float) -> bool:
        """Send a probe (the lock is held); False when the connection failed."""
        try:
            self._probed_at = now  # (not at each answer: that was a storm of probes)
            self._probes.append(now)  # (the time before it is sent)
            self._connection.send_command(*_PROBE)
        except Exception as exc:  # noqa: BLE001
            self._lost(f"{type(exc).__name__}: {exc}")
            return False
        return True

    def _lost(self, why: str) -> None:
        log.warning("local cache hits dropped (%s); every hit reads Redis until it is back", why)
        if self._connection is not None:
            self._connection.disconnect()
        self._connection = None
        self._probes.clear()
        self._retry_at = time.monotonic() + RETRY_SECONDS
        self._drop_all()

    def _drop_all(self) -> None:
        self._kept.clear()
        self._epoch += 1
        for reading in self._reading.values():
            reading[1] = True

    def _invalidated(self, message: Any) -> None:
        """Redis's message: [b"invalidate", [keys]], or [b"invalidate", None] for a flush."""
        try:
            names = message[1]
            if names is None:
                self._drop_all()
                return
            for name in names:
                raw = name if isinstance(name, bytes) else str(name).encode()
                for prefix in _PREFIX_BYTES:
                    if raw.startswith(prefix):
                        try:  # a key of ours is the id's UTF-8; another is no customer's
                            customer_id = raw[len(prefix) :].decode()
                        except UnicodeDecodeError:
                            continue
                        self._kept.pop(customer_id, None)
                        reading = self._reading.get(customer_id)
                        if reading is not None:
                            reading[1] = True
        except Exception as exc:  # noqa: BLE001 - redis-py would only log it: say so
            self._drop_all()
            self._broken = f"a message that did not read ({type(exc).__name__})"

    # -- the process's thread: connects, reads as messages arrive, sends the probes
    def _connect(self) -> Any:
        """A connection with tracking on (made without the lock), or None."""
        pool = self.client.connection_pool
        # redis-py's own class, not the breaker's (service/customers/redis_client.py): this
        # connection's faults are its own, and its traffic says nothing of the store's health
        plain = next(c for c in pool.connection_class.__mro__ if c.__module__.startswith("redis"))
        settings = {**pool.connection_kwargs, "protocol": 3, "socket_timeout": TRACKING_TIMEOUT}
        connection = plain(**settings)
        try:
            connection.connect()
            _check_server(connection)
            connection._parser.set_invalidation_push_handler(self._invalidated)
            args = ["CLIENT", "TRACKING", "ON", "BCAST"]
            for prefix in PREFIXES:
                args += ["PREFIX", prefix]
            connection.send_command(*args)
            reply = connection.read_response()
            if reply not in (b"OK", "OK"):
                raise redis.ResponseError(f"CLIENT TRACKING answered {reply!r:.80}")
        except Exception as exc:  # noqa: BLE001 - no tracking: every hit reads Redis
            connection.disconnect()
            if self._backoff == RETRY_SECONDS:  # (once per outage)
                log.warning("local cache hits off for now: %s: %s", type(exc).__name__, exc)
            self._retry_at = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, 60.0)
            return None
        self._backoff = RETRY_SECONDS
        return connection

    def _tend(self) -> None:
        """One turn of the thread: connect when due, read, send a probe when due."""
        with self._lock:
            if self._pid != os.getpid() or self._closed:
                return
            connection = self._connection
        if connection is None:
            if time.monotonic() < self._retry_at:
                return
            connection = self._connect()
            if connection is None:
                return
            with self._lock:
                if self._closed:
                    connection.disconnect()
                    return
                self._connection, self._broken = connection, ""
                self._probes.clear()
        with self._lock:
            if self._connection is connection:
                self._leased()  # reads what arrived; a probe when one is due

    # -- what the cache hit asks
    def usable(self) -> bool:
        """Whether copies can be used now (the first call starts the process's thread, which
        makes the connection: until then every hit reads Redis)."""
        with self._lock:
            return self._leased()

    def get(self, customer_id: str) -> Kept | None:
        """The customer's copy, when there is one and it can be used now."""
        with self._lock:
            if not self._leased():
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
            self.misses += 1
            if not self._read():
                return None
            reading = self._reading.setdefault(customer_id, [0, False])
            reading[0] += 1
            return self._epoch

    def keep(self, customer_id: str, token: int | None, kept: tuple[dict, CachedList] | None):
        """After the read (call it whatever the outcome, `kept` None when there is nothing to
        keep): the values are kept unless a message for the customer arrived meanwhile or the
        connection failed (a message may have been missed); the lease decides their use."""
        if token is None:
            return
        with self._lock:
            connected = self._read()  # the messages that arrived during the read
            reading = self._reading.get(customer_id)
            if reading is None:  # (a fork in between)
                return
            reading[0] -= 1
            changed = reading[1]
            if reading[0] <= 0:
                del self._reading[customer_id]
            if kept is None or changed or not connected or token != self._epoch:
                return
            self._kept[customer_id] = Kept(kept[0], kept[1], time.monotonic())
            self._kept.move_to_end(customer_id)
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)

    def close(self) -> None:
        """No more copies in this process: the connection closed, the thread ends."""
        with self._lock:
            self._closed = True
            if self._connection is not None:
                self._connection.disconnect()
            self._connection = None
            self._drop_all()

    def __len__(self) -> int:
        return len(self._kept)


def _check_server(connection: Any) -> None:
    """Refuses (ResponseError) a Redis whose answers may come before the messages of writes it
    carried out earlier: Redis 8 or later with I/O threads (it sends those messages in the next
    turn of its loop), or one that does not say whether it runs them."""
    connection.send_command("INFO", "server")
    info = connection.read_response()
    text = info.decode() if isinstance(info, bytes) else str(info)
    version = next(
        (line.split(":", 1)[1] for line in text.splitlines() if "redis_version:" in line), "0"
    )
    if int(version.strip().split(".")[0] or 0) < 8:
        return
    connection.send_command("CONFIG", "GET", "io-threads")
    reply = connection.read_response()
    values = list(reply.values()) if isinstance(reply, dict) else list(reply or [])[1:]
    if [str(v, "utf-8") if isinstance(v, bytes) else str(v) for v in values] != ["1"]:
        raise redis.ResponseError(f"Redis {version.strip()} with I/O threads ({values!r:.40})")


def _reader(ref: weakref.ref[LocalHits]) -> None:
    """A process's thread for its tracking connection, until its LocalHits is gone (it holds
    no reference to it while it sleeps): connects, reads, sends the probes when due."""
    while (hits := ref()) is not None:
        if hits._pid != os.getpid() or hits._closed:
            return
        hits._tend()
        del hits
        time.sleep(READER_SECONDS)


class HitImpressions:
    """The impressions of lists answered from memory, written in batches (LOG_HITS)."""

    def __init__(self, store: Any, seconds: float) -> None:
        self.store = store
        self.seconds = seconds
        self._lock = threading.Lock()
        self._waiting: list[tuple[str, bytes, bytes]] = []
        self._since = 0.0  # time.monotonic() of the oldest waiting
        self._pid = os.getpid()
        self._thread: threading.Thread | None = None
        _ALL.add(self)

    def add(self, customer_id: str, head: bytes, part: bytes) -> None:
        with self._lock:
            if self._pid != os.getpid():  # the parent's waiting ones are the parent's
                self._pid, self._waiting, self._thread = os.getpid(), [], None
            if not self._waiting:
                self._since = time.monotonic()
            self._waiting.append((customer_id, head, part))
            now = len(self._waiting) >= BATCH or time.monotonic() - self._since >= self.seconds
            if not now and self._thread is None:
                self._thread = threading.Thread(
                    target=self._every, name="dosewise-impressions", daemon=True
                )
                self._thread.start()
        if now:
            self.flush()

    def _every(self) -> None:
        """The last ones of a quiet spell (hits write the others): a thread that woke more
        often than every second would cost every request (see READER_SECONDS)."""
        while True:
            time.sleep(max(self.seconds, READER_SECONDS))
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the thread must go on writing the next ones
                log.exception("could not log impressions")

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
        keys: list[str] = [IMPRESSIONS_STREAM]
        args: list[Any] = [EVENTS_MAXLEN]
        for customer_id, head, part in waiting:
            keys += [store._key("impressions", customer_id), store._key("profile", customer_id)]
            args += [head, part]
        older = self._script(keys=keys, args=args)
        if older:  # an index written by an older version: converted (once each), then logged
            again = [waiting[position - 1] for position in older]
            for index in dict.fromkeys(keys[2 * position - 1] for position in older):
                store._convert_index(index)
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
