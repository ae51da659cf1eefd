"""The two logs training reads, as JSON lines: impressions (what was shown) and shop events.

Impression (one line per served list; serving writes it, the simulator writes the same with
`"source": "simulated"`):

    {"request_id": "...", "customer_id": "...", "timestamp": "2026-11-28T10:00:00+00:00",
     "model_version": "transparent-31f0a328", "features_version": "<FEATURES_VERSION>",
     "items": [{"sku": "XF-D3-10-TAB", "position": 1, "features": [<N_FEATURES floats>]}, ...]}

Positions start at 1, in the order shown; `features` are the row of `product_features(ev)` for
that product, rounded to 4 decimals. Event (the body of POST /v1/events, one per line):

    {"customer_id": "...", "sku": "...", "type": "view|click|add_to_cart|purchase",
     "timestamp": "..."}

Training joins an event to the latest impression of the same customer that showed the same SKU
before the event, within the attribution window (train.TrainConfig).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .features import FEATURES_VERSION

# `source` of an impression the simulated shop wrote (simulator.py): synthetic customers
SIMULATED = "simulated"
# a trained model's metadata `data.source`: every impression from the shop's own customers
# (SHOP), every one simulated (SIMULATED), or both (MIXED); only SHOP lets a list say that
# customers chose a product (core/needs.py)
SHOP = "shop"
MIXED = "mixed"


def data_source(impressions: int, simulated: int) -> str:
    """SHOP, SIMULATED or MIXED for a training set of `impressions`, `simulated` of them
    written by the simulated shop."""
    if simulated == 0:
        return SHOP
    return SIMULATED if simulated >= impressions else MIXED


def impression_record(
    request_id: str,
    customer_id: str,
    timestamp: dt.datetime,
    features: np.ndarray,
    shown: Sequence[int],
    skus: Sequence[str],
    model_version: str,
    source: str | None = None,
) -> dict[str, Any]:
    """The log line for one served list.

    `features` is the full `product_features(ev)` matrix, `shown` the catalog indices in the
    order shown (pins included), `skus` the catalog's SKUs (`[p.sku for p in catalog.products]`).
    `source`: `SIMULATED` for a list the simulated shop showed to a synthetic customer (the
    trained model's metadata `data.source` then says no real customer chose anything); a list
    served to the shop's customers has none.
    """
    rows = _compact_rows(features[list(shown)])
    record = {
        "request_id": request_id,
        "customer_id": customer_id,
        "timestamp": iso(timestamp),
        "model_version": model_version,
        "features_version": FEATURES_VERSION,
        "items": [
            {"sku": skus[index], "position": position, "features": row}
            for position, (index, row) in enumerate(zip(shown, rows, strict=True), start=1)
        ],
    }
    if source is not None:
        record["source"] = source
    return record


def _compact_rows(rows: np.ndarray) -> list[list[float | int]]:
    """Rows rounded to 4 decimals, whole numbers as ints ("0" not "0.0": a third shorter)."""
    rounded = np.round(rows, 4)
    values = rounded.astype(object)
    whole = rounded == np.trunc(rounded)
    values[whole] = rounded[whole].astype(np.int64).tolist()
    return values.tolist()


def event_record(customer_id: str, sku: str, kind: str, timestamp: dt.datetime) -> dict[str, str]:
    return {"customer_id": customer_id, "sku": sku, "type": kind, "timestamp": iso(timestamp)}


def iso(timestamp: dt.datetime) -> str:
    """ISO 8601 in UTC; a naive timestamp is taken as UTC."""
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=dt.UTC)
    return timestamp.astimezone(dt.UTC).isoformat()


def epoch_seconds(text: str) -> float:
    """Seconds since 1970 of an ISO 8601 timestamp (naive = UTC)."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def write_jsonl(path: Path, records: Iterable[dict[str, Any]], append: bool = False) -> int:
    """Write records one per line; returns how many."""
    count = 0
    with path.open("a" if append else "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, separators=(",", ":")))
            handle.write("\n")
            count += 1
    return count


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSON lines file; blank lines are skipped, a broken line names its number."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a JSON line ({exc.msg})") from exc
