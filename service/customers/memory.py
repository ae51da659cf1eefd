"""The customer store in process memory, for `make run` without Redis (one process)."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

from .entries import (
    ERASURE_MEMORY,
    EVENTS_MAXLEN,
    EVENTS_PER_CUSTOMER,
    IMPRESSIONS_STREAM,
    profile_digest,
)
from .purchases import MemoryPurchases


class MemoryStore(MemoryPurchases):
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
        self, ids: list[str], checked: bool = True
    ) -> tuple[list[dict | None], list[bytes | None], list[str]]:
        """Profiles here come from a PUT only, checked by its schema then."""
        profiles, lists = self.read_many(ids)
        return profiles, lists, []

    def write_lists(
        self, entries: list[tuple[str, str, bytes]], newest: Mapping[str, Any] | None = None
    ) -> int:
        """As RedisStore.write_lists: only while the profile and the newest purchase are the
        ones the refresh read."""
        written, newest = 0, newest or {}
        with self._guard:
            for customer_id, digest, value in entries:
                entry = self._profiles.get(customer_id)
                if entry is None or entry["digest"] != digest:
                    continue
                if customer_id in newest:
                    history = self._purchases.get(customer_id)
                    if (history[-1] if history else None) != newest[customer_id]:
                        continue
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
            impressions = len(self._impressions)
            self._impressions = [
                i for i in self._impressions if i.get("customer_id") != customer_id
            ]
            # anything of the customer erased, not only a profile (review 20a), as in Redis
            found = [
                self._profiles.pop(customer_id, None) is not None,
                self._lists.pop(customer_id, None) is not None,
                self._events.pop(customer_id, None) is not None,
                self.forget_purchases(customer_id),
                len(self._impressions) < impressions,
            ]
        return any(found)

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

    def log_impression(self, customer_id: str, record: bytes) -> None:
        self.add_impressions([json.loads(record)])

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

    def ping(self) -> bool:
        return True
