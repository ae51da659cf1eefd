"""The jobs the CLI and Celery run: train and promote, and build the default (simulated) model."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from service.core.snapshot import Snapshot

from .config import TrainConfig
from .simulator import SimulationLog, simulate
from .store import Promotion, promote_if_better
from .train import TrainResult, train

CANDIDATES = "candidates"


@dataclass(frozen=True)
class TrainingRun:
    result: TrainResult
    promotion: Promotion


def train_and_promote(
    impressions_path: Path,
    events_path: Path,
    store_dir: Path,
    config: TrainConfig | None = None,
    *,
    catalog_version: str | None = None,
    min_gain: float = 0.0,
) -> TrainingRun:
    """Train a candidate into <store>/candidates/<version>, then promote it if it is better."""
    parent = Path(store_dir) / CANDIDATES
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".training-", dir=parent))
    try:
        result = train(
            impressions_path, events_path, staging, config, catalog_version=catalog_version
        )
        target = parent / result.model.version
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    promotion = promote_if_better(
        store_dir,
        target,
        result.holdout,
        min_gain=min_gain,
    )
    moved = dataclasses.replace(result, model_dir=target)
    return TrainingRun(moved, promotion)


def build_default_model(
    snapshot: Snapshot,
    store_dir: Path,
    work_dir: Path,
    *,
    customers: int = 12_000,
    days: int = 90,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[SimulationLog, TrainingRun]:
    """Simulate a shop (simulator.py), train on it and promote: the model `make run` ships.
    `progress(done, total)` follows the simulated visits."""
    log = simulate(
        snapshot, Path(work_dir), customers=customers, days=days, seed=seed, progress=progress
    )
    run = train_and_promote(
        log.impressions_path,
        log.events_path,
        store_dir,
        catalog_version=snapshot.catalog.version,
    )
    return log, run
