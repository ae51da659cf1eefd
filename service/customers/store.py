"""Where customer profiles, cached lists and events live: Redis, or process memory without it.

On a Redis Cluster (RedisStore(cluster=True)) the customer keys below carry the id as a hash
tag, `dw:profile:{id}`, and the customer set is `dw:{customers}`; see `key()`.

Redis keys (prefix `dw:`), every family erased by `delete()`:
  dw:profile:{id}      JSON {"profile", "digest", "updated_at"}
  dw:recs:{id}         cached list: one JSON line of metadata, a newline, the ready-made
                       responses per locale (JSON, zlib-compressed); TTL 14 days
  dw:pending:{id}      a refresh of this customer is queued (TTL)
  dw:events:{id}       ids of this customer's entries in the dw:events stream (a sorted set
                       scored by the entry's time, every entry still in the stream; older
                       stores kept a list of the last 1000, which `delete()` still reads)
  dw:impressions:{id}  the same for the dw:impressions stream (the lists shown, with the
                       features of each item, for training)
  dw:purchases:{id}    purchase history for refills: a list of `sku|YYYY-MM-DD|quantity`,
                       the newest last, at most rules/refills.yaml history_per_customer
  dw:refills:{id}      the refills due that the daily refill job found (JSON; TTL 3 days)
Shared keys: dw:customers (set of ids), dw:events (stream), dw:shared:{digest} (hash: lists
computed for one profile digest during a refresh, per fingerprint, day and limit; TTL; erased
with any customer whose profile has that digest), dw:erasing (set: ids erased whose exported
files are not cleaned yet), dw:erased (sorted set: ids whose files were cleaned, by time, kept
ERASURE_MEMORY seconds so exports keep dropping them), dw:refresh:* (lock and progress of
batch refreshes), dw:refilljob:* (the same for the daily refill job, `for_job("refilljob")`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import redis

PREFIX = "dw:"
CUSTOMERS = f"{PREFIX}customers"
EVENTS_STREAM = f"{PREFIX}events"
IMPRESSIONS_STREAM = f"{PREFIX}impressions"
PENDING_TTL = 120
LIST_TTL = 14 * 86_400  # cached lists; a refresh writes them again long before
SHARED_TTL = 3600
EVENTS_MAXLEN = 1_000_000
EVENTS_PER_CUSTOMER = 1000  # MemoryStore only
ERASED = f"{PREFIX}erased"
ERASING = f"{PREFIX}erasing"
ERASURE_MEMORY = 7 * 86_400  # how long an erased id is kept for cleaning exported files
REFILLS_TTL = 3 * 86_400  # the daily refill job writes them again every day

RELEASE_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Write a refreshed list only while the customer's stored profile is the one it was computed
# from: a refresh that read the profile before a DELETE (or a PUT) must not write it back after.
WRITE_IF_CURRENT = """
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local ok, entry = pcall(cjson.decode, stored)
if not ok or type(entry) ~= 'table' or entry['digest'] ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
"""


# Write a customer's refills only while the customer is stored (a DELETE meanwhile wins).
WRITE_IF_STORED = """
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.call('DEL', KEYS[2]) end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return 1
"""


def profile_digest(profile: dict[str, Any]) -> str:
    text = json.dumps(profile, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def key(family: str, customer_id: str, tagged: bool = False) -> str:
    """A customer's key. `tagged` (Redis Cluster) puts the id in a hash tag, `dw:recs:{id}`,
    so that every key of one customer maps to one slot: the first `{` is always ours, and the
    first `}` after it falls at the same place of the id in every family."""
    return f"{PREFIX}{family}:{{{customer_id}}}" if tagged else f"{PREFIX}{family}:{customer_id}"


class CorruptEntry(ValueError):
    """A stored value that does not decode (a bad write, a disk or a hand gone wrong). Readers
    treat a corrupt list as a miss and a corrupt profile as unavailable; the next write of that
    key (a refresh, a PUT) replaces it."""

    def __init__(self, family: str) -> None:
        super().__init__(f"a stored {family} entry does not decode")
        self.family = family


def load_profile_entry(raw: bytes | None) -> dict | None:
    """A stored profile entry ({"profile", "digest", "updated_at"}), or CorruptEntry."""
    if raw is None:
        return None
    try:
        entry = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptEntry("profile") from exc
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("profile"), dict)
        or not isinstance(entry.get("digest"), str)
    ):
        raise CorruptEntry("profile")
    return entry


@dataclass(frozen=True)
class CachedList:
    """A customer's precomputed answer: a metadata line, then a payload shared by every
    customer with the same profile: a header line and, per locale, the ready-made response
    (`source: "cache"`, `limit` items), zlib-compressed (level 1: ~1.4 KB instead of ~6 KB).
    A GET with that limit sends the bytes as they are; a smaller limit parses and slices."""

    fingerprint: str
    profile_digest: str
    computed_at: float
    limit: int
    payload: bytes

    @staticmethod
    def encode_payload(bodies: dict[str, dict]) -> bytes:
        parts, sizes = [], {}
        for locale, body in bodies.items():
            part = zlib.compress(_dumps({**body, "source": "cache"}), 1)
            sizes[locale] = len(part)
            parts.append(part)
        return _dumps({"locales": sizes}) + b"\n" + b"".join(parts)

    @staticmethod
    def encode(meta: dict[str, Any], payload: bytes) -> bytes:
        return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + payload

    @classmethod
    def decode(cls, raw: bytes) -> CachedList:
        """The entry, with its metadata and the layout of its payload checked (CorruptEntry
        when either is wrong); the compressed parts are checked when they are read."""
        try:
            head, _, payload = raw.partition(b"\n")
            meta = json.loads(head)
            cached = cls(
                meta["fingerprint"],
                meta["profile_digest"],
                float(meta["computed_at"]),
                meta["limit"],
                payload,
            )
            ok = (
                isinstance(cached.fingerprint, str)
                and isinstance(cached.profile_digest, str)
                and isinstance(cached.limit, int)
                and bool(cached._parts)
            )
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
            raise CorruptEntry("recs") from exc
        if not ok:
            raise CorruptEntry("recs")
        return cached

    @cached_property
    def _parts(self) -> dict[str, bytes]:
        head, _, rest = self.payload.partition(b"\n")
        parts, offset = {}, 0
        for locale, size in json.loads(head)["locales"].items():
            if not isinstance(locale, str) or not isinstance(size, int) or size <= 0:
                raise ValueError("bad payload layout")
            parts[locale] = rest[offset : offset + size]
            offset += size
        if offset != len(rest):
            raise ValueError("payload length does not match its layout")
        return parts

    def response(self, locale: str) -> bytes | None:
        """The ready-made response in `locale` (with `limit` items), without parsing JSON."""
        part = self._parts.get(locale)
        if part is None:
            return None
        try:
            return zlib.decompress(part)
        except zlib.error as exc:
            raise CorruptEntry("recs") from exc

    @cached_property
    def bodies(self) -> dict[str, dict]:
        try:
            return {
                locale: json.loads(zlib.decompress(part)) for locale, part in self._parts.items()
            }
        except (zlib.error, ValueError) as exc:
            raise CorruptEntry("recs") from exc


def shared_key(digest: str) -> str:
    return f"{PREFIX}shared:{digest}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _stream_ms(stream_id: bytes | str) -> int:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    return int(text.split("-", 1)[0])


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class RedisStore:
    """All customer data in Redis; every read the GET path needs is one round trip."""

    kind = "redis"
    job_prefix = f"{PREFIX}refresh"  # lock and run records of batch runs (see `for_job`)

    def __init__(self, client: Any, cluster: bool = False) -> None:
        """`cluster`: `client` is a RedisCluster. Customer keys then carry hash tags, the
        customer and erasure sets share one (SMOVE needs both in one slot), and no MULTI spans
        keys of different slots. Without it the key layout is the single-Redis one."""
        self.client = client
        self.cluster = cluster
        self.customers = f"{PREFIX}{{customers}}" if cluster else CUSTOMERS
        self.erasing = f"{PREFIX}{{customers}}:erasing" if cluster else ERASING

    def _key(self, family: str, customer_id: str) -> str:
        return key(family, customer_id, self.cluster)

    # -- profiles and cached lists
    def put_profile(self, customer_id: str, profile: dict[str, Any]) -> str:
        digest = profile_digest(profile)
        value = json.dumps({"profile": profile, "digest": digest, "updated_at": time.time()})
        # one MULTI on a single Redis; on a cluster these keys live in different slots
        pipe = self.client.pipeline(transaction=not self.cluster)
        pipe.set(self._key("profile", customer_id), value)
        pipe.sadd(self.customers, customer_id)
        pipe.delete(self._key("pending", customer_id))  # a new profile always gets its own refresh
        pipe.execute()
        return digest

    def read(self, customer_id: str) -> tuple[dict | None, bytes | None]:
        """Profile entry and cached list of one customer, in one round trip (MGET)."""
        profile_raw, recs_raw = self.client.mget(
            self._key("profile", customer_id), self._key("recs", customer_id)
        )
        return load_profile_entry(profile_raw), recs_raw

    def read_many(self, ids: list[str]) -> tuple[list[dict | None], list[bytes | None]]:
        """Profiles and cached lists of many customers; a corrupt profile reads as None (see
        `read_many_checked`)."""
        profiles, lists, _ = self.read_many_checked(ids)
        return profiles, lists

    def read_many_checked(
        self, ids: list[str]
    ) -> tuple[list[dict | None], list[bytes | None], list[str]]:
        """As `read_many`, plus the ids whose stored profile does not decode."""
        if not ids:
            return [], [], []
        keys = [self._key("profile", i) for i in ids] + [self._key("recs", i) for i in ids]
        # a cluster answers an MGET within one slot only: it is split by slot there
        values = self.client.mget_nonatomic(keys) if self.cluster else self.client.mget(keys)
        profiles: list[dict | None] = []
        corrupt = []
        for customer_id, value in zip(ids, values[: len(ids)], strict=True):
            try:
                profiles.append(load_profile_entry(value))
            except CorruptEntry:
                profiles.append(None)
                corrupt.append(customer_id)
        return profiles, list(values[len(ids) :]), corrupt

    def write_lists(self, entries: list[tuple[str, str, bytes]]) -> int:
        """Write many cached lists (customer id, profile digest, value) in one pipelined round
        trip; each replaces one customer's entry whole, so a reader sees the old list or the
        new one, never a mix, and only while the stored profile still has that digest (atomic
        in Redis): a customer erased or changed meanwhile gets nothing written. Returns the
        number written."""
        if not entries:
            return 0
        script = None if self.cluster else self.client.register_script(WRITE_IF_CURRENT)
        pipe = self.client.pipeline(transaction=False)
        for customer_id, digest, value in entries:
            keys = [self._key("profile", customer_id), self._key("recs", customer_id)]
            # a list nobody asked for in LIST_TTL seconds expires; a GET computes it again
            if script is None:  # a cluster pipeline sends the script itself (one slot per call)
                pipe.execute_command("EVAL", WRITE_IF_CURRENT, 2, *keys, digest, value, LIST_TTL)
            else:
                script(keys=keys, args=[digest, value, LIST_TTL], client=pipe)
        return sum(int(done) for done in pipe.execute())

    def delete(self, customer_id: str) -> bool:
        """Erase every key of the customer, its entries in both streams (however old), the
        shared lists of its profile digest, and record the erasure for exported files.

        Plain commands, no MULTI: Redis refuses a transaction when it is out of memory, while
        DEL, XDEL and SMOVE still work there (and free memory). Each step is idempotent, so a
        DELETE that failed midway is completed by repeating it."""
        profile_raw = self.client.get(self._key("profile", customer_id))
        digest = None
        try:
            entry = load_profile_entry(profile_raw)
            digest = entry["digest"] if entry else None
        except CorruptEntry:
            pass
        event_ids = self._index_ids(self._key("events", customer_id))
        impression_ids = self._index_ids(self._key("impressions", customer_id))
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(self._key("profile", customer_id))
        for family in ("recs", "pending", "events", "impressions", "purchases", "refills"):
            pipe.delete(self._key(family, customer_id))  # one key a DEL: cluster pipelines
        for start in range(0, len(event_ids), 1000):
            pipe.xdel(EVENTS_STREAM, *event_ids[start : start + 1000])
        for start in range(0, len(impression_ids), 1000):
            pipe.xdel(IMPRESSIONS_STREAM, *impression_ids[start : start + 1000])
        if digest:
            pipe.delete(shared_key(digest))
        removed = pipe.execute()
        # SMOVE, unlike SADD, is allowed at maxmemory: the id goes from the customers to the
        # erasures the exported files still need (outside the pipeline: a cluster refuses it
        # there; both sets share one slot)
        moved = self.client.smove(self.customers, self.erasing, customer_id)
        if not moved:  # not a stored customer (events only, or erased before)
            self.client.sadd(self.erasing, customer_id)
        return bool(removed[0] or moved)

    def pending_erasures(self) -> set[str]:
        """Ids erased whose exported files have not been cleaned yet."""
        return {_text(i) for i in self.client.smembers(self.erasing)}

    def recent_erasures(self) -> set[str]:
        """Ids erased in the last ERASURE_MEMORY seconds, pending or cleaned: exports drop
        their records (an export may have read them before the DELETE)."""
        since = time.time() - ERASURE_MEMORY
        recent = self.client.zrangebyscore(ERASED, since, "+inf")
        return {_text(i) for i in recent} | self.pending_erasures()

    def settle_erasures(self, ids: set[str]) -> None:
        """The exported files no longer hold `ids`: remember them a while, then forget them."""
        if not ids:
            return
        now = time.time()
        self.client.zadd(ERASED, dict.fromkeys(ids, now))
        self.client.zremrangebyscore(ERASED, "-inf", now - ERASURE_MEMORY)
        self.client.srem(self.erasing, *ids)

    def _index_ids(self, index: str) -> list[bytes]:
        """Stream ids of a per-customer index: a sorted set, or a list in older stores."""
        kind = self.client.type(index)
        if kind in (b"zset", "zset"):
            return list(self.client.zrange(index, 0, -1))
        if kind in (b"list", "list"):
            return list(self.client.lrange(index, 0, -1))
        return []

    def mark_pending(self, customer_id: str) -> bool:
        """True when no refresh of this customer was queued in the last PENDING_TTL seconds."""
        return bool(
            self.client.set(self._key("pending", customer_id), b"1", nx=True, ex=PENDING_TTL)
        )

    def clear_pending(self, ids: list[str]) -> None:
        if ids:
            self.client.delete(*[self._key("pending", i) for i in ids])

    def count(self) -> int:
        return int(self.client.scard(self.customers))

    def iter_id_chunks(self, size: int) -> Iterator[list[str]]:
        chunk: list[str] = []
        for raw in self.client.sscan_iter(self.customers, count=size):
            chunk.append(raw.decode() if isinstance(raw, bytes) else raw)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    # -- lists shared by identical profiles during a refresh
    def get_shared(self, names: list[tuple[str, str]]) -> list[bytes | None]:
        """(profile digest, "fingerprint:day:limit") -> the list computed for it, if any."""
        if not names:
            return []
        pipe = self.client.pipeline(transaction=False)
        for digest, field in names:
            pipe.hget(shared_key(digest), field)
        return list(pipe.execute())

    def put_shared(self, items: dict[tuple[str, str], bytes]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for (digest, field), value in items.items():
            pipe.hset(shared_key(digest), field, value)
            pipe.expire(shared_key(digest), SHARED_TTL)
        pipe.execute()

    # -- events
    def add_events(self, events: list[dict[str, Any]]) -> None:
        self._append(EVENTS_STREAM, "events", events)

    def add_impressions(self, records: list[dict[str, Any]]) -> None:
        """Append served lists (with the features of each item) to the impressions stream."""
        self._append(IMPRESSIONS_STREAM, "impressions", records)

    def _append(self, stream: str, family: str, records: list[dict[str, Any]]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for record in records:
            pipe.xadd(
                stream,
                {"data": json.dumps(record, separators=(",", ":"))},
                maxlen=EVENTS_MAXLEN,
                approximate=True,
            )
        pipe.xrange(stream, count=1)
        *ids, first = pipe.execute()
        # every entry of a customer stays findable by its id, however old; entries that left
        # the stream (trimmed by MAXLEN, or exported) leave the index here
        oldest = _stream_ms(first[0][0]) if first else 0
        additions: dict[str, dict[bytes, int]] = {}
        for record, stream_id in zip(records, ids, strict=True):
            if record.get("customer_id"):
                index = self._key(family, record["customer_id"])
                additions.setdefault(index, {})[stream_id] = _stream_ms(stream_id)
        pipe = self.client.pipeline(transaction=False)
        for index, members in additions.items():
            pipe.zadd(index, members)
            pipe.zremrangebyscore(index, "-inf", f"({oldest}")
        results = pipe.execute(raise_on_error=False)
        for (index, members), result in zip(additions.items(), results[::2], strict=True):
            if isinstance(result, redis.ResponseError) and "WRONGTYPE" in str(result):
                self._convert_index(index)
                self.client.zadd(index, members)
            elif isinstance(result, Exception):
                raise result

    def _convert_index(self, index: str) -> None:
        """An index written by an older version (a list) becomes a sorted set."""
        ids = self.client.lrange(index, 0, -1)
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(index)
        if ids:
            pipe.zadd(index, {i: _stream_ms(i) for i in ids})
        pipe.execute()

    def export_stream(self, stream: str, batch: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        """Take the records out of a stream in batches, oldest first. A batch is deleted from
        the stream only when the caller asks for the next one, so an export that dies midway
        writes one batch twice at worst and never loses one."""
        while True:
            entries = self.client.xrange(stream, count=batch)
            if not entries:
                return
            yield [json.loads(fields[b"data"]) for _, fields in entries]
            self.client.xdel(stream, *[entry_id for entry_id, _ in entries])

    # -- batch refresh bookkeeping
    def acquire_lock(self, run_id: str, ttl: int) -> str | None:
        """Take the refresh lock; the id of the run holding it when it is taken already."""
        if self.client.set(f"{self.job_prefix}:lock", run_id, nx=True, ex=ttl):
            return None
        holder = self.client.get(f"{self.job_prefix}:lock")
        return holder.decode() if holder else None

    def lock_holder(self) -> str | None:
        holder = self.client.get(f"{self.job_prefix}:lock")
        return holder.decode() if holder else None

    def extend_lock(self, run_id: str, ttl: int) -> None:
        """Keep the lock while chunks finish; a run whose workers died frees it within `ttl`."""
        lock = f"{self.job_prefix}:lock"
        if self.client.get(lock) == run_id.encode():
            self.client.expire(lock, ttl)

    def release_lock(self, run_id: str) -> None:
        """Free the lock if this run still holds it (compare and delete, atomic in Redis)."""
        self.client.eval(RELEASE_IF_HELD, 1, f"{self.job_prefix}:lock", run_id)

    def start_run(self, run_id: str, fields: dict[str, Any]) -> None:
        pipe = self.client.pipeline(transaction=not self.cluster)
        pipe.hset(f"{self.job_prefix}:run:{run_id}", mapping={k: str(v) for k, v in fields.items()})
        pipe.expire(f"{self.job_prefix}:run:{run_id}", 7 * 86400)
        pipe.set(f"{self.job_prefix}:latest", run_id)
        pipe.execute()

    def update_run(
        self, run_id: str, increments: dict[str, int], fields: dict[str, Any] | None = None
    ) -> dict[str, str]:
        name = f"{self.job_prefix}:run:{run_id}"
        pipe = self.client.pipeline(transaction=True)
        for field, amount in increments.items():
            pipe.hincrby(name, field, amount)
        if fields:
            pipe.hset(name, mapping={k: str(v) for k, v in fields.items()})
        pipe.hgetall(name)
        state = pipe.execute()[-1]
        return {k.decode(): v.decode() for k, v in state.items()}

    def complete_chunk(self, run_id: str, chunk: int, counts: dict[str, int]) -> dict[str, str]:
        """Count a chunk once, even when a redelivered task finishes it a second time."""
        first = self.client.sadd(f"{self.job_prefix}:run:{run_id}:chunks", chunk)
        self.client.expire(f"{self.job_prefix}:run:{run_id}:chunks", 7 * 86400)
        return self.update_run(run_id, counts if first else {})

    def run_state(self, run_id: str | None = None) -> dict[str, str] | None:
        if run_id is None:
            latest = self.client.get(f"{self.job_prefix}:latest")
            if latest is None:
                return None
            run_id = latest.decode()
        state = self.client.hgetall(f"{self.job_prefix}:run:{run_id}")
        return {k.decode(): v.decode() for k, v in state.items()} or None

    # -- purchases and refills (service/core/refills.py)
    def for_job(self, job: str) -> RedisStore:
        """The same store whose batch-run lock and progress (acquire_lock ... run_state) are
        those of another job: `dw:{job}:lock`, `dw:{job}:run:{id}`, `dw:{job}:latest`."""
        view = copy.copy(self)
        view.job_prefix = f"{PREFIX}{job}"
        return view

    def add_purchases(self, purchases: list[tuple[str, str]], keep: int) -> None:
        """Append (customer id, encoded purchase) to each customer's history, keeping the
        newest `keep` (one pipelined round trip)."""
        if not purchases:
            return
        pipe = self.client.pipeline(transaction=False)
        touched = []
        for customer_id, encoded in purchases:
            pipe.rpush(self._key("purchases", customer_id), encoded)
            touched.append(customer_id)
        for customer_id in dict.fromkeys(touched):
            pipe.ltrim(self._key("purchases", customer_id), -keep, -1)
        pipe.execute()

    def read_purchases(self, customer_id: str) -> list[bytes]:
        return list(self.client.lrange(self._key("purchases", customer_id), 0, -1))

    def read_purchases_many(self, ids: list[str]) -> list[list[bytes]]:
        return self.read_profiles_and_purchases(ids)[2]

    def read_profiles_and_purchases(
        self, ids: list[str]
    ) -> tuple[list[dict | None], list[str], list[list[bytes]]]:
        """Profiles (None where missing or corrupt), the ids whose profile does not decode,
        and purchase histories of many customers, in one pipelined round trip."""
        if not ids:
            return [], [], []
        pipe = self.client.pipeline(transaction=False)
        for customer_id in ids:
            pipe.get(self._key("profile", customer_id))
            pipe.lrange(self._key("purchases", customer_id), 0, -1)
        values = pipe.execute()
        profiles: list[dict | None] = []
        corrupt = []
        for customer_id, raw in zip(ids, values[::2], strict=True):
            try:
                profiles.append(load_profile_entry(raw))
            except CorruptEntry:
                profiles.append(None)
                corrupt.append(customer_id)
        return profiles, corrupt, [list(found) for found in values[1::2]]

    def write_refills(self, entries: list[tuple[str, bytes | None]]) -> None:
        """Write (or, for None, remove) the refills due of many customers, in one round trip.
        Only for customers still stored (atomic in Redis): an erased customer gets nothing
        written back."""
        if not entries:
            return
        script = None if self.cluster else self.client.register_script(WRITE_IF_STORED)
        pipe = self.client.pipeline(transaction=False)
        for customer_id, value in entries:
            target = self._key("refills", customer_id)
            if value is None:
                pipe.delete(target)
                continue
            keys = [self._key("profile", customer_id), target]
            if script is None:
                pipe.execute_command("EVAL", WRITE_IF_STORED, 2, *keys, value, REFILLS_TTL)
            else:
                script(keys=keys, args=[value, REFILLS_TTL], client=pipe)
        pipe.execute()

    def read_refills(self, customer_id: str) -> bytes | None:
        return self.client.get(self._key("refills", customer_id))

    def ping(self) -> bool:
        return bool(self.client.ping())


class MemoryStore:
    """The same interface in process memory, for `make run` without Redis (one process)."""

    kind = "memory"

    def __init__(self, max_customers: int = 100_000) -> None:
        self._profiles: OrderedDict[str, dict] = OrderedDict()
        self._lists: dict[str, bytes] = {}
        self._events: dict[str, list[dict]] = {}
        self._impressions: list[dict] = []
        self._shared: dict[tuple[str, str], bytes] = {}
        self._erased: dict[str, float] = {}
        self._erasing: set[str] = set()
        self._runs: dict[str, dict[str, str]] = {}
        self._latest: str | None = None
        self._lock_holder: str | None = None
        self._purchases: dict[str, list[bytes]] = {}
        self._refills: dict[str, bytes] = {}
        self._job_views: dict[str, MemoryStore] = {}
        self._guard = threading.Lock()
        self.max_customers = max_customers

    def put_profile(self, customer_id: str, profile: dict[str, Any]) -> str:
        digest = profile_digest(profile)
        with self._guard:
            self._profiles[customer_id] = {
                "profile": profile,
                "digest": digest,
                "updated_at": time.time(),
            }
            self._profiles.move_to_end(customer_id)
            while len(self._profiles) > self.max_customers:
                old, _ = self._profiles.popitem(last=False)
                self._lists.pop(old, None)
        return digest

    def read(self, customer_id: str) -> tuple[dict | None, bytes | None]:
        return self._profiles.get(customer_id), self._lists.get(customer_id)

    def read_many(self, ids: list[str]) -> tuple[list[dict | None], list[bytes | None]]:
        return [self._profiles.get(i) for i in ids], [self._lists.get(i) for i in ids]

    def read_many_checked(
        self, ids: list[str]
    ) -> tuple[list[dict | None], list[bytes | None], list[str]]:
        profiles, lists = self.read_many(ids)
        return profiles, lists, []

    def write_lists(self, entries: list[tuple[str, str, bytes]]) -> int:
        written = 0
        with self._guard:
            for customer_id, digest, value in entries:
                entry = self._profiles.get(customer_id)
                if entry is not None and entry["digest"] == digest:
                    self._lists[customer_id] = value
                    written += 1
        return written

    def pending_erasures(self) -> set[str]:
        return set(self._erasing)

    def recent_erasures(self) -> set[str]:
        since = time.time() - ERASURE_MEMORY
        return {i for i, t in self._erased.items() if t >= since} | self._erasing

    def settle_erasures(self, ids: set[str]) -> None:
        now = time.time()
        with self._guard:
            self._erased.update(dict.fromkeys(ids, now))
            self._erasing -= ids

    def delete(self, customer_id: str) -> bool:
        with self._guard:
            entry = self._profiles.get(customer_id)
            if entry is not None:
                for name in [n for n in self._shared if n[0] == entry["digest"]]:
                    del self._shared[name]
            self._erasing.add(customer_id)
            found = self._profiles.pop(customer_id, None) is not None
            self._lists.pop(customer_id, None)
            self._events.pop(customer_id, None)
            self._purchases.pop(customer_id, None)
            self._refills.pop(customer_id, None)
            self._impressions = [
                i for i in self._impressions if i.get("customer_id") != customer_id
            ]
        return found

    def mark_pending(self, customer_id: str) -> bool:
        return True

    def clear_pending(self, ids: list[str]) -> None:
        return None

    def count(self) -> int:
        return len(self._profiles)

    def iter_id_chunks(self, size: int) -> Iterator[list[str]]:
        ids = list(self._profiles)
        for start in range(0, len(ids), size):
            yield ids[start : start + size]

    def get_shared(self, names: list[tuple[str, str]]) -> list[bytes | None]:
        return [self._shared.get(n) for n in names]

    def put_shared(self, items: dict[tuple[str, str], bytes]) -> None:
        if len(self._shared) > 10_000:
            self._shared.clear()
        self._shared.update(items)

    def add_events(self, events: list[dict[str, Any]]) -> None:
        with self._guard:
            for event in events:
                bucket = self._events.setdefault(event["customer_id"], [])
                bucket.append(event)
                del bucket[:-EVENTS_PER_CUSTOMER]

    def add_impressions(self, records: list[dict[str, Any]]) -> None:
        with self._guard:
            self._impressions.extend(records)
            del self._impressions[: -EVENTS_MAXLEN // 100]

    def export_stream(self, stream: str, batch: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        with self._guard:
            if stream == IMPRESSIONS_STREAM:
                records, self._impressions = self._impressions, []
            else:
                records = [e for bucket in self._events.values() for e in bucket]
                self._events = {}
        for start in range(0, len(records), batch):
            yield records[start : start + batch]

    def acquire_lock(self, run_id: str, ttl: int) -> str | None:
        with self._guard:
            if self._lock_holder is None:
                self._lock_holder = run_id
                return None
            return self._lock_holder

    def lock_holder(self) -> str | None:
        return self._lock_holder

    def extend_lock(self, run_id: str, ttl: int) -> None:
        return None

    def release_lock(self, run_id: str) -> None:
        with self._guard:
            if self._lock_holder == run_id:
                self._lock_holder = None

    def start_run(self, run_id: str, fields: dict[str, Any]) -> None:
        self._runs[run_id] = {k: str(v) for k, v in fields.items()}
        self._latest = run_id

    def update_run(
        self, run_id: str, increments: dict[str, int], fields: dict[str, Any] | None = None
    ) -> dict[str, str]:
        with self._guard:
            state = self._runs.setdefault(run_id, {})
            for field, amount in increments.items():
                state[field] = str(int(state.get(field, "0")) + amount)
            state.update({k: str(v) for k, v in (fields or {}).items()})
            return dict(state)

    def complete_chunk(self, run_id: str, chunk: int, counts: dict[str, int]) -> dict[str, str]:
        seen = self._runs.setdefault(f"{run_id}:chunks", {})
        first = str(chunk) not in seen
        seen[str(chunk)] = "1"
        return self.update_run(run_id, counts if first else {})

    def run_state(self, run_id: str | None = None) -> dict[str, str] | None:
        run_id = run_id or self._latest
        return dict(self._runs[run_id]) if run_id in self._runs else None

    def for_job(self, job: str) -> MemoryStore:
        """A view with its own batch-run lock and progress (see RedisStore.for_job)."""
        with self._guard:
            view = self._job_views.get(job)
            if view is None:
                view = copy.copy(self)
                view._runs, view._latest, view._lock_holder = {}, None, None
                view._job_views = {}
                self._job_views[job] = view
            return view

    def add_purchases(self, purchases: list[tuple[str, str]], keep: int) -> None:
        with self._guard:
            for customer_id, encoded in purchases:
                bucket = self._purchases.setdefault(customer_id, [])
                bucket.append(encoded.encode())
                del bucket[:-keep]

    def read_purchases(self, customer_id: str) -> list[bytes]:
        return list(self._purchases.get(customer_id, ()))

    def read_purchases_many(self, ids: list[str]) -> list[list[bytes]]:
        return [self.read_purchases(i) for i in ids]

    def read_profiles_and_purchases(
        self, ids: list[str]
    ) -> tuple[list[dict | None], list[str], list[list[bytes]]]:
        return [self._profiles.get(i) for i in ids], [], self.read_purchases_many(ids)

    def write_refills(self, entries: list[tuple[str, bytes | None]]) -> None:
        with self._guard:
            for customer_id, value in entries:
                if value is None or customer_id not in self._profiles:
                    self._refills.pop(customer_id, None)
                else:
                    self._refills[customer_id] = value

    def read_refills(self, customer_id: str) -> bytes | None:
        return self._refills.get(customer_id)

    def ping(self) -> bool:
        return True
