"""What the web layer asks of experiments per request: which arm, its snapshot, the exposure.

`ExperimentServer(path, model_dir, exposures_path)` loads the experiments file (and reloads it
when it changes, at most every `check_interval` seconds); a refused file is logged with every
finding and the last good version keeps serving (none at first: no experiment). For a request
on a placement with an active experiment and a unit id (the customer id, or the
`X-Session-ID` header for experiments by session) it returns the unit's `Arm`: the experiment,
the variant and a function that turns the serving snapshot into the arm's (variants.py).
A unit outside the traffic, a request without a unit id, or a variant whose model version the
store refuses gets no arm: the default ranking, no exposure, no `experiment` field.

Exposures are appended as JSON lines to `exposures_path` (`<LEARNING_DIR>/exposures.jsonl`),
one `write` per line under a lock, so lines from several threads or processes do not interleave;
a write that fails is logged and kept in `exposure_error` for /readyz.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.core.errors import DataFileError
from service.core.snapshot import Snapshot
from service.learning.exports import EXPOSURES_FILE
from service.learning.model import ModelError, load_model
from service.learning.store import version_dir

from .assign import assign
from .report import exposure_record
from .spec import EMPTY, Experiment, ExperimentSet, Variant, load_experiments
from .variants import Arms

log = logging.getLogger("dosewise.experiments")


@dataclass(frozen=True)
class Arm:
    experiment: Experiment
    variant: Variant
    unit_id: str
    snapshot_for: Callable[[Snapshot], Snapshot]

    @property
    def label(self) -> dict[str, str]:
        """The response's added `experiment` field."""
        return {"id": self.experiment.id, "variant": self.variant.id}


class ExperimentServer:
    def __init__(
        self,
        path: Path,
        model_dir: Path | None,
        exposures_path: Path | None,
        check_interval: float = 2.0,
    ) -> None:
        self.path = Path(path)
        self.model_dir = Path(model_dir) if model_dir else None
        self.exposures_path = Path(exposures_path) if exposures_path else None
        self.check_interval = check_interval
        self.experiments: ExperimentSet = EMPTY
        self.error: str | None = None
        # the last exposure that could not be written (None after one that could; /readyz
        # shows it: review s35b F2, every exposure of a read-only LEARNING_DIR was lost)
        self.exposure_error: str | None = None
        self._stamp: tuple[int, int] | None = None
        self._checked_at = -float("inf")
        self._lock = threading.Lock()
        self._arms = Arms(self._load_version)
        # safety.py's checks of arm answers: (experiment, variant, lists, violations)
        self.on_check: Callable[[str, str, int, int], None] | None = None
        self.checked: dict[tuple[str, str], list[int]] = {}  # in this process: [lists, violations]

    def _load_version(self, version: str) -> Any:
        if self.model_dir is None:
            raise ModelError(f"no model store to load {version!r} from")
        return load_model(version_dir(self.model_dir, version))

    def refresh(self, rules: Sequence[Any], force: bool = False) -> None:
        """Reload the file when it changed (checked at most every `check_interval` s, or now:
        `force`, the admin reload)."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.check_interval:
            return
        self._checked_at = now
        try:
            stat = self.path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp and not force:  # forced: its rules may have changed (s36c F4)
            return
        with self._lock:
            self._stamp = stamp
            try:
                self.experiments = load_experiments(self.path, rules)
                self.error = None
            except DataFileError as exc:
                self.error = "; ".join(str(f) for f in exc.findings)
                log.error("experiments file refused, the last good one serves: %s", self.error)
            except Exception as exc:  # noqa: BLE001 - never a request's 500 (review s34b F4)
                self.error = f"{self.path}: {type(exc).__name__}: {exc}"
                log.exception("experiments file refused, the last good one serves")

    def arm(
        self,
        placement: str,
        customer_id: str | None,
        session_id: str | None,
        day: dt.date,
        snapshot: Snapshot,
    ) -> Arm | None:
        self.refresh(snapshot.rules.rules)
        experiment = self.experiments.active(placement, day)
        if experiment is None:
            return None
        unit = customer_id if experiment.unit == "customer" else session_id
        if not unit:
            return None
        variant = assign(experiment, unit)
        if variant is None:
            return None
        try:
            self._arms.snapshot(snapshot, experiment, variant)  # refuse early, not mid-answer
        except (ModelError, LookupError) as exc:
            log.error("%s.%s cannot serve: %s", experiment.id, variant.id, exc)
            return None
        arms = self._arms
        return Arm(experiment, variant, unit, lambda base: arms.snapshot(base, experiment, variant))

    # ------------------------------------------------ the customer GET path and the refresh
    # (service/customers/arms.py asks these of `recommender.experiments`; customers.py answers)
    def customer_snapshot(self, recommender: Any, customer_id: str) -> Snapshot:
        from .customers import serving_snapshot

        return serving_snapshot(recommender, customer_id)

    def recommend_for_customer(
        self, recommender: Any, data: dict[str, Any], **options: Any
    ) -> dict[str, Any]:
        from .customers import recommend

        return recommend(recommender, data, **options)

    def refresh_per_arm(
        self,
        refresh: Callable[..., dict[str, int]],
        decode: Callable[[bytes], Any],
        recommender: Any,
        store: Any,
        ids: Sequence[str],
        policy: Any,
        **options: Any,
    ) -> dict[str, int] | None:
        from .customers import refresh_per_arm

        return refresh_per_arm(refresh, decode, recommender, store, ids, policy, **options)

    def arm_snapshot(
        self, snapshot: Snapshot, experiment_id: str, variant_id: str
    ) -> Snapshot | None:
        """The snapshot of a named arm (None when the file no longer has it)."""
        try:
            experiment = self.experiments.get(experiment_id)
        except KeyError:
            return None
        for variant in experiment.variants:
            if variant.id == variant_id:
                try:
                    return self._arms.snapshot(snapshot, experiment, variant)
                except (ModelError, LookupError):
                    return None
        return None

    def count_check(self, experiment_id: str, variant_id: str, unsafe: Sequence[str]) -> None:
        """Count one checked arm list and its violations (safety.py)."""
        with self._lock:
            totals = self.checked.setdefault((experiment_id, variant_id), [0, 0])
            totals[0] += 1
            totals[1] += len(unsafe)
        if unsafe:
            log.error(
                "experiment %s.%s served SKUs the data in service does not allow: %s",
                experiment_id,
                variant_id,
                ", ".join(unsafe),
            )
        if self.on_check is not None:
            self.on_check(experiment_id, variant_id, 1, len(unsafe))

    def log_exposure(
        self,
        arm: Arm,
        customer_id: str | None,
        request_id: str,
        skus: Sequence[str],
        placement: str | None = None,
    ) -> None:
        if self.exposures_path is None:
            return
        record = exposure_record(
            arm.experiment.id,
            arm.variant.id,
            arm.unit_id,
            customer_id,
            request_id,
            dt.datetime.now(dt.UTC),
            placement or arm.experiment.placement,
            skus,
        )
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        try:
            self.exposures_path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                fd = os.open(self.exposures_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
            self.exposure_error = None
        except OSError as exc:
            self.exposure_error = f"{self.exposures_path}: {exc.strerror or exc}"
            log.warning("could not log an exposure", exc_info=True)


def attach(config: Any, extensions: dict[str, Any]) -> ExperimentServer:
    """The process's server (made once from RULES_DIR, MODEL_DIR and LEARNING_DIR), kept in
    `extensions["dosewise_experiments"]` and known to the recommender as
    `recommender.experiments` (the customer GET path and the batch refresh ask it through
    service/customers/arms.py). The factory calls this for the app, the workers and the CLI."""
    server = extensions.get("dosewise_experiments")
    if server is None:
        server = ExperimentServer(
            Path(config["RULES_DIR"]) / "experiments.yaml",
            Path(config["MODEL_DIR"]) if config.get("MODEL_DIR") else None,
            Path(config["LEARNING_DIR"]) / EXPOSURES_FILE if config.get("LEARNING_DIR") else None,
            check_interval=float(config.get("RELOAD_INTERVAL", 2.0)),
        )
        extensions["dosewise_experiments"] = server
        extensions["dosewise"].experiments = server
    return server


def for_app(app: Any) -> ExperimentServer:
    """The app's server, its safety checks counted in the app's Prometheus metrics."""
    server = attach(app.config, app.extensions)
    metrics = app.extensions.get("dosewise_metrics")
    if metrics is not None and server.on_check is None:
        server.on_check = metrics.count_experiment_check
    return server
