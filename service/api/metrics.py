"""Prometheus metrics of one app (own registry, so several apps in one process do not clash).

Under gunicorn (deploy/gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR) every worker writes its
values to files and `render()` sums them over the workers. The state of the data in service
(`dosewise_data_last_reload_ok`, `dosewise_data_info`) is not a file value: the worker that
answers the scrape reports it as it is now (it checks the files first, as on every request).
A file value would keep what a process wrote last: the gunicorn master's 0 from start-up, or
versions a worker served before a reload.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


def method_label(method: str) -> str:
    """The HTTP method as a label: any method a client makes up is "other" (a label per
    made-up method would let anyone grow /metrics without bound)."""
    return method if method in METHODS else "other"


LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "dosewise_request_seconds",
            "Request latency by endpoint, method and status.",
            ["endpoint", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.reloads = Counter(
            "dosewise_data_reloads",
            "Reloads of catalog and rule files by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.cache_hits = Gauge(
            "dosewise_cache_hits",
            "Answers served from the in-process cache.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.customer_lists = Counter(
            "dosewise_customer_lists",
            "Customer list answers by source (cache or computed).",
            ["source"],
            registry=self.registry,
        )
        self.list_reads = Counter(
            "dosewise_cached_list_reads",
            "Cache hits of the customer GET by where the list was read: memory (the web "
            "process's own copy, kept valid by Redis) or redis.",
            ["source"],
            registry=self.registry,
        )
        self.corrupt_entries = Counter(
            "dosewise_corrupt_entries",
            "Stored entries (family: recs, profile) that did not decode; answered without them.",
            ["family"],
            registry=self.registry,
        )
        self.refresh_done = Gauge(
            "dosewise_refresh_done",
            "Customers done in the latest batch refresh.",
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.refresh_total = Gauge(
            "dosewise_refresh_total",
            "Customers in the latest batch refresh.",
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.refresh_age = Gauge(
            "dosewise_refresh_age_seconds",
            "Seconds since the latest batch refresh started (its lag behind now).",
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.refresh_running = Gauge(
            "dosewise_refresh_running",
            "1 while a batch refresh runs.",
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.queue_length = Gauge(
            "dosewise_celery_queue_length",
            "Tasks waiting in the Celery queue (Redis broker).",
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.cache_misses = Gauge(
            "dosewise_cache_misses",
            "Answers computed because the in-process cache missed.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        # A/B tests (service/experiments/safety.py): arm lists checked against the data in
        # service, and the SKUs among them it would not allow (must stay 0). Labels are the
        # experiment and variant ids of rules/experiments.yaml, never client input.
        self.experiment_checked = Counter(
            "dosewise_experiment_lists_checked",
            "Lists served or precomputed in an A/B test arm and checked against the safety layer.",
            ["experiment", "variant"],
            registry=self.registry,
        )
        self.experiment_violations = Counter(
            "dosewise_experiment_safety_violations",
            "SKUs in A/B test arm lists that the safety and compliance layer would not allow.",
            ["experiment", "variant"],
            registry=self.registry,
        )

        self.data_state: DataStateCollector | None = None

    def count_experiment_check(
        self, experiment: str, variant: str, lists: int, violations: int
    ) -> None:
        self.experiment_checked.labels(experiment, variant).inc(lists)
        self.experiment_violations.labels(experiment, variant).inc(violations)

    def watch_data(self, state: Callable[[], tuple[bool, dict[str, Any]]]) -> None:
        """Report `state()` = (last reload ok, versions in service) at every scrape."""
        self.data_state = DataStateCollector(state)
        self.registry.register(self.data_state)


class DataStateCollector(Collector):
    """`dosewise_data_last_reload_ok` and `dosewise_data_info` read from the live process."""

    def __init__(self, state: Callable[[], tuple[bool, dict[str, Any]]]) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ok, versions = self.state()
        yield GaugeMetricFamily(
            "dosewise_data_last_reload_ok",
            "1 when the last reload of catalog and rule files succeeded, else 0.",
            value=1 if ok else 0,
        )
        info = GaugeMetricFamily(
            "dosewise_data_info",
            "Versions in service (value is always 1).",
            labels=["catalog", "rules", "model"],
        )
        info.add_metric(
            [str(versions.get(k)) for k in ("catalog", "rules", "model")],
            1,
        )
        yield info


def render(metrics: Metrics) -> bytes:
    """The Prometheus text: summed over gunicorn workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)
        if metrics.data_state is not None:
            combined.register(metrics.data_state)
        return generate_latest(combined)
    return generate_latest(metrics.registry)
