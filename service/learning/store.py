"""The artefact store: versioned model directories and a `current` pointer, with promotion.

    <store>/versions/<version>/model.npz, metadata.json, report.json, metrics.png
    <store>/current                       one line: the version that serves

A version is installed by copying into a temporary directory and renaming it (never half
written); the pointer is replaced atomically. Serving reads only the pointer and the directory
it names (serving.ModelHolder).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .dataset import Dataset
from .evaluate import holdout_scores, with_positives
from .metrics import ranking_metrics
from .model import ModelError, Ranker, load_model

VERSIONS = "versions"
CURRENT = "current"


@dataclass(frozen=True)
class Promotion:
    promoted: bool
    version: str  # the candidate's
    serving: str | None  # the version serving after the decision (None: the transparent score)
    metric: str
    candidate: float
    current: float  # the current model's, or the rules-only score's when none serves
    reason: str


def version_dir(store_dir: Path, version: str) -> Path:
    if not version or "/" in version or version.startswith("."):
        raise ModelError(f"not a version name: {version!r}")
    return Path(store_dir) / VERSIONS / version


def current_version(store_dir: Path) -> str | None:
    """The version the pointer names, None when nothing was promoted yet."""
    try:
        text = (Path(store_dir) / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def current_path(store_dir: Path) -> Path | None:
    """The directory of the serving artefact, None when nothing was promoted yet."""
    version = current_version(store_dir)
    return version_dir(store_dir, version) if version else None


def load_current(store_dir: Path) -> Ranker | None:
    """The serving model, None when nothing was promoted; raises ModelError when refused."""
    path = current_path(store_dir)
    return load_model(path) if path else None


def install(store_dir: Path, candidate_dir: Path) -> Path:
    """Check and copy an artefact into the store (not yet serving); returns its directory."""
    model = load_model(candidate_dir)
    target = version_dir(store_dir, model.version)
    if target.exists():
        load_model(target)  # an intact copy is there already
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=target.parent))
    try:
        for item in Path(candidate_dir).iterdir():
            if item.is_file():
                shutil.copy2(item, staging / item.name)
        load_model(staging)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def set_current(store_dir: Path, version: str) -> None:
    """Point serving at an installed version (atomic replace of the pointer file)."""
    load_model(version_dir(store_dir, version))
    pointer = Path(store_dir) / CURRENT
    temporary = pointer.with_name(f".{CURRENT}.tmp")
    temporary.write_text(version + "\n", encoding="utf-8")
    os.replace(temporary, pointer)


def promote_if_better(
    store_dir: Path,
    candidate_dir: Path,
    holdout: Dataset,
    *,
    metric: str = "ndcg@10",
    min_gain: float = 0.0,
) -> Promotion:
    """Promote the candidate only if it beats what serves now on the same holdout.

    Both are scored as serving would use them (each with its own blend) with the position-bias
    corrected metric (metrics.py) on the candidate's holdout; what serves now is
    the current model, or the transparent score plus rules when there is none or the current
    artefact is refused. The candidate must exceed it by more than `min_gain`. A corrupt or
    incompatible candidate raises ModelError and changes nothing.
    """
    candidate = load_model(candidate_dir)
    current: Ranker | None
    try:
        current = load_current(store_dir)
    except ModelError:
        current = None
    serving = current.version if current else None

    holdout, propensity = with_positives(holdout)

    def score(model: Ranker | None) -> float:
        scores = holdout_scores(model, holdout, {})
        key = "blend" if model is not None else "rules_only"
        return ranking_metrics(holdout.query, holdout.labels, scores[key], propensity)[metric]

    new, old = score(candidate), score(current)
    against = f"current model {serving}" if current else "the rules-only score"
    if current is not None and current.version == candidate.version:
        return Promotion(False, candidate.version, serving, metric, new, old, "already serving")
    if not new > old + min_gain:
        reason = f"{metric} {new:.4f} does not beat {against} ({old:.4f} + {min_gain})"
        return Promotion(False, candidate.version, serving, metric, new, old, reason)
    install(store_dir, candidate_dir)
    set_current(store_dir, candidate.version)
    reason = f"{metric} {new:.4f} beats {against} ({old:.4f})"
    return Promotion(True, candidate.version, candidate.version, metric, new, old, reason)
