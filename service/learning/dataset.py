"""Impressions joined to events: one row per shown item, labelled by what the customer did.

The label of a shown item is the largest weight (TrainConfig.event_weights) among the events of
the same customer on the same SKU that happened after the impression and within the attribution
window, each event counted for the latest impression that showed that SKU to that customer
before it. Items without events get 0. An item is `seen` when any event (a `view` included)
was attributed to it. Rows keep the logged features, so training sees exactly what serving saw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.core.errors import DosewiseError
from service.core.vocabulary import EVENT_TYPES

from .features import FEATURES_VERSION, N_FEATURES
from .logs import SIMULATED, epoch_seconds, read_jsonl


class DatasetError(DosewiseError):
    """The logs cannot make a training set (nothing usable, too few positive labels)."""

    code = "training_data_refused"


@dataclass(frozen=True)
class Dataset:
    features: np.ndarray  # (rows, N_FEATURES) float32, as logged
    labels: np.ndarray  # (rows,) float: largest event weight, 0 without events
    seen: np.ndarray  # (rows,) bool: some event (a view at least) was attributed to the row
    query: np.ndarray  # (rows,) impression index; each impression's rows are contiguous
    position: np.ndarray  # (rows,) 1 = first shown
    sku: np.ndarray  # (rows,) index into `skus`
    query_time: np.ndarray  # (impressions,) seconds since 1970
    skus: tuple[str, ...]
    has_views: bool = False  # the shop sends view events (else `seen` means engaged)
    skipped_impressions: int = 0  # logged with another feature list
    simulated_impressions: int = 0  # of the whole log: shown by the simulated shop (logs.SIMULATED)

    @property
    def rows(self) -> int:
        return int(self.labels.size)

    @property
    def impressions(self) -> int:
        return int(self.query_time.size)

    def window(self) -> dict[str, str | None]:
        if self.query_time.size == 0:
            return {"from": None, "until": None}
        return {"from": _iso(self.query_time.min()), "until": _iso(self.query_time.max())}

    def select(self, impressions: np.ndarray) -> Dataset:
        """The impressions where the boolean mask `impressions` holds, renumbered."""
        keep = impressions[self.query]
        renumber = np.cumsum(impressions) - 1
        return Dataset(
            self.features[keep],
            self.labels[keep],
            self.seen[keep],
            renumber[self.query[keep]],
            self.position[keep],
            self.sku[keep],
            self.query_time[impressions],
            self.skus,
            self.has_views,
            self.skipped_impressions,
            self.simulated_impressions,
        )

    def split(self, holdout_fraction: float) -> tuple[Dataset, Dataset, float]:
        """(train, holdout, split time): the holdout is the latest impressions by time."""
        if self.impressions == 0:
            raise DatasetError("no impressions to split")
        at = float(np.quantile(self.query_time, 1.0 - holdout_fraction))
        late = self.query_time >= at
        return self.select(~late), self.select(late), at


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(float(seconds), dt.UTC).isoformat()


def load_dataset(
    impressions_path: Path,
    events_path: Path,
    event_weights: Mapping[str, float],
    attribution_hours: float,
) -> Dataset:
    """Read both logs and label every shown item (see the module docstring)."""
    customers: dict[str, int] = {}
    skus: dict[str, int] = {}
    blocks: list[np.ndarray] = []
    counts: list[int] = []
    row_sku: list[int] = []
    row_position: list[int] = []
    query_customer: list[int] = []
    query_time: list[float] = []
    skipped = simulated = 0
    for record in read_jsonl(Path(impressions_path)):
        items = record.get("items") or []
        if record.get("features_version") != FEATURES_VERSION or not items:
            skipped += 1
            continue
        block = np.array([item["features"] for item in items], dtype=np.float32)
        if block.ndim != 2 or block.shape[1] != N_FEATURES:
            skipped += 1
            continue
        blocks.append(block)
        counts.append(len(items))
        simulated += record.get("source") == SIMULATED
        customer = customers.setdefault(record["customer_id"], len(customers))
        query_customer.append(customer)
        query_time.append(epoch_seconds(record["timestamp"]))
        for item in items:
            row_sku.append(skus.setdefault(item["sku"], len(skus)))
            row_position.append(int(item["position"]))
    if not blocks:
        raise DatasetError(  # what to do, not only the hash (review s35b newcomer)
            f"{impressions_path}: none of its {skipped} records is a shown list with this "
            f"version's features ({FEATURES_VERSION}): give the impressions file `dosewise "
            "events export` or `dosewise simulate` wrote, from this version"
        )
    sizes = np.array(counts)
    query = np.repeat(np.arange(len(counts)), sizes)
    times = np.array(query_time)
    sku = np.array(row_sku, dtype=np.int64)
    events = _events(Path(events_path), customers, skus, event_weights)
    labels, seen = _labels(
        np.array(query_customer, dtype=np.int64)[query],
        sku,
        times[query],
        events,
        len(skus),
        attribution_hours * 3600.0,
    )
    names = sorted(skus, key=skus.__getitem__)
    return Dataset(
        np.concatenate(blocks),
        labels,
        seen,
        query,
        np.array(row_position, dtype=np.int64),
        sku,
        times,
        tuple(names),
        bool(events.has_views),
        skipped,
        simulated,
    )


@dataclass(frozen=True)
class _Events:
    customer: np.ndarray
    sku: np.ndarray
    seconds: np.ndarray
    weight: np.ndarray
    has_views: bool


def _events(
    path: Path,
    customers: dict[str, int],
    skus: dict[str, int],
    weights: Mapping[str, float],
) -> _Events:
    """The events that can match a logged impression (known customer and SKU)."""
    customer, sku, seconds, weight = [], [], [], []
    has_views = False
    for event in read_jsonl(path):
        c = customers.get(event.get("customer_id", ""))
        s = skus.get(event.get("sku", ""))
        kind = event.get("type", "")
        if c is None or s is None or kind not in EVENT_TYPES:
            continue
        has_views = has_views or kind == "view"
        customer.append(c)
        sku.append(s)
        seconds.append(epoch_seconds(event["timestamp"]))
        weight.append(float(weights.get(kind, 0.0)))
    return _Events(
        np.array(customer, dtype=np.int64),
        np.array(sku, dtype=np.int64),
        np.array(seconds, dtype=float),
        np.array(weight, dtype=float),
        has_views,
    )


def _labels(
    row_customer: np.ndarray,
    row_sku: np.ndarray,
    row_time: np.ndarray,
    events: _Events,
    sku_count: int,
    window_seconds: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(largest event weight, any event) per row; an event goes to the latest earlier row."""
    labels = np.zeros(row_customer.size)
    seen = np.zeros(row_customer.size, dtype=bool)
    ev_customer, ev_sku, ev_time, ev_weight = (
        events.customer,
        events.sku,
        events.seconds,
        events.weight,
    )
    if ev_customer.size == 0:
        return labels, seen
    pair = row_customer * sku_count + row_sku
    pairs, row_pair = np.unique(pair, return_inverse=True)
    origin = min(float(row_time.min()), float(ev_time.min()))
    # (pair, whole seconds) in one int64: pairs < 2**30, seconds < 2**32 (136 years)
    row_key = (row_pair.astype(np.int64) << 32) + (row_time - origin).astype(np.int64)
    order = np.argsort(row_key, kind="stable")
    sorted_key = row_key[order]
    ev_pair_value = ev_customer * sku_count + ev_sku
    at = np.searchsorted(pairs, ev_pair_value)
    known = (at < pairs.size) & (pairs[np.minimum(at, pairs.size - 1)] == ev_pair_value)
    ev_key = (at.astype(np.int64) << 32) + (ev_time - origin).astype(np.int64)
    hit = np.searchsorted(sorted_key, ev_key, side="right") - 1
    valid = known & (hit >= 0)
    hit = np.maximum(hit, 0)
    row = order[hit]
    valid &= row_pair[row] == at
    valid &= (ev_time >= row_time[row]) & (ev_time - row_time[row] <= window_seconds)
    np.maximum.at(labels, row[valid], ev_weight[valid])
    seen[row[valid]] = True
    return labels, seen
