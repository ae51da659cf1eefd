"""Move shop events and served-list impressions out of Redis into the training dataset on disk
(JSON lines under DOSEWISE_LEARNING_DIR), trimming the streams as it goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .logs import write_jsonl

EVENTS_FILE = "events.jsonl"
IMPRESSIONS_FILE = "impressions.jsonl"


def export_streams(store: Any, out_dir: Path) -> dict[str, int]:
    """Append both streams to their files; each exported batch is then removed from Redis."""
    from service.customers.store import EVENTS_STREAM, IMPRESSIONS_STREAM

    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for stream, name in ((EVENTS_STREAM, EVENTS_FILE), (IMPRESSIONS_STREAM, IMPRESSIONS_FILE)):
        counts[name] = 0
        for batch in store.export_stream(stream):
            counts[name] += write_jsonl(out_dir / name, batch, append=True)
    return counts
