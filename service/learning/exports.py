"""Move shop events and served-list impressions out of Redis into the training dataset on disk
(JSON lines under DOSEWISE_LEARNING_DIR), trimming the streams as it goes; and keep erased
customers out of those files.

Erasure: `DELETE /v1/customers/{id}` records the id in the store (`pending_erasures`). Every
export drops records of recently erased customers before it appends a batch, and
`apply_erasures` rewrites the files without the pending ones, then settles them (queued by the
DELETE as the Celery task `workers.tasks.erase_exported`, and run by every export). Appending
and rewriting hold one file lock, so an export that read a batch before a DELETE cannot append
it after the rewrite.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .logs import write_jsonl

EVENTS_FILE = "events.jsonl"
IMPRESSIONS_FILE = "impressions.jsonl"
EXPOSURES_FILE = "exposures.jsonl"  # A/B test exposures (service/experiments), by customer too
LOCK_FILE = ".export.lock"


@contextmanager
def files_locked(out_dir: Path) -> Iterator[None]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def export_streams(store: Any, out_dir: Path) -> dict[str, int]:
    """Append both streams to their files; each exported batch is then removed from Redis.
    Records of customers erased in the last days are dropped, and pending erasures applied."""
    from service.customers.store import EVENTS_STREAM, IMPRESSIONS_STREAM

    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for stream, name in ((EVENTS_STREAM, EVENTS_FILE), (IMPRESSIONS_STREAM, IMPRESSIONS_FILE)):
        counts[name] = 0
        for batch in store.export_stream(stream):
            with files_locked(out_dir):
                erased = store.recent_erasures()
                kept = [r for r in batch if r.get("customer_id") not in erased]
                counts[name] += write_jsonl(out_dir / name, kept, append=True)
    apply_erasures(store, out_dir)
    return counts


def apply_erasures(store: Any, out_dir: Path) -> dict[str, int]:
    """Rewrite the exported files without the customers erased since the last time this ran.
    Returns the records removed per file."""
    removed = {EVENTS_FILE: 0, IMPRESSIONS_FILE: 0, EXPOSURES_FILE: 0}
    with files_locked(out_dir):
        pending = store.pending_erasures()
        if not pending:
            return removed
        for name in removed:
            path = out_dir / name
            if path.exists():
                removed[name] = _rewrite_without(path, pending)
        store.settle_erasures(pending)
    return removed


def _rewrite_without(path: Path, ids: set[str]) -> int:
    """The file without the lines of `ids`, replaced atomically (a crash leaves the old file)."""
    removed = 0
    temporary = path.with_name(path.name + ".erasing")
    with path.open(encoding="utf-8") as source, temporary.open("w", encoding="utf-8") as target:
        for line in source:
            try:
                customer_id = json.loads(line).get("customer_id")
            except (ValueError, AttributeError):
                customer_id = None
            if customer_id in ids:
                removed += 1
            else:
                target.write(line)
        target.flush()
        os.fsync(target.fileno())
    if removed:
        os.replace(temporary, path)
    else:
        temporary.unlink()
    return removed
