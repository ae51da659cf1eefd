"""The ranking model: a logistic regression on the features plus profile x product crosses.

Why linear: `explain=true` must show what is behind a score, and for a linear model in the
log-odds the contributions are exact (coefficient x value, summing to the logit), not an
approximation. The crosses (each profile column times each crossed product column: "age 65+ &
category vitamin_d_k2", "diet vegan & source lichen", "age 18-29 & price per month") give it the
interactions a tree would find, and scoring a request is three small matrix products (well under
a millisecond for the bundled catalog).

    logit = intercept + sum_j main[j] x[j] + sum_{p,q} cross[p, q] profile[p] product[q]
    score = sigmoid((logit - center) / scale)        in (0, 1), the order of the logit

`center` and `scale` are the mean and standard deviation of the logit over the training rows, so
that scores spread over 0..1 like the transparent features they are blended with (serving.py).
The score is a relative preference, not a probability (training weights positives by event).
Position is a training-only feature (position bias): the intercept is the logit at position 1.

Artefact: a directory with `model.npz` (arrays only, loaded with allow_pickle=False: loading a
model never runs code) and `metadata.json` (version, feature list, data window, metrics, the
learned blend (blend.py), the SHA-256 of model.npz and `metadata_sha256`, the SHA-256 of the
metadata itself without that key, so that an edited blend or feature list is refused too).
`RankingModel.load` refuses a directory whose files are missing, unreadable, altered,
non-finite or made for another feature list. Artefacts of format 1 (before blends were learned)
still load and serve with `blend.DEFAULT_BLEND`.

`load_model(directory)` loads any artefact by its format: this linear model or the LightGBM
ranker (boosted.py); both offer `version`, `feature_names`, `metadata`, `blend`, `predict`,
`logit`, `contributions` and `save` (the `Ranker` protocol).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from service.core.errors import DosewiseError

from .blend import DEFAULT_BLEND, BlendWeights
from .features import (
    CROSSED_PRODUCT,
    CROSSED_PRODUCT_NAMES,
    FEATURE_NAMES,
    FEATURES_VERSION,
    PROFILE,
    PROFILE_NAMES,
    TRANSPARENT_SCORE,
)

FORMAT = "dosewise-linear-ranker/2"
LEGACY_FORMATS = ("dosewise-linear-ranker/1",)  # no blend, no metadata checksum
MODEL_FILE = "model.npz"
METADATA_FILE = "metadata.json"
# Columns of the main effects: every feature but the logged transparent_score (a linear
# combination of four others, kept for evaluation only).
MAIN_COLUMNS = np.array([i for i in range(len(FEATURE_NAMES)) if i != TRANSPARENT_SCORE])
CROSS_NAMES = tuple(f"{p} & {q}" for p in PROFILE_NAMES for q in CROSSED_PRODUCT_NAMES)


class ModelError(DosewiseError):
    """A model artefact cannot be used; the service keeps what it had."""

    code = "model_refused"


class CorruptModel(ModelError):
    """Files missing, unreadable, altered after training, or holding non-finite numbers."""

    code = "model_corrupt"


class IncompatibleModel(ModelError):
    """Made for another artefact format or another feature list: retrain."""

    code = "model_incompatible"


class Ranker(Protocol):
    """What serving, evaluation and the store need of a loaded model (linear or boosted)."""

    version: str
    feature_names: tuple[str, ...]
    metadata: dict[str, Any]
    blend: BlendWeights

    def predict(self, features: np.ndarray) -> np.ndarray: ...

    def logit(self, features: np.ndarray) -> np.ndarray: ...

    def contributions(self, row: np.ndarray) -> dict[str, float]: ...

    def save(self, directory: Path) -> Path: ...


def load_model(directory: Path) -> Ranker:
    """Load an artefact of any known format; raises CorruptModel or IncompatibleModel."""
    directory = Path(directory)
    metadata = _read_metadata(directory / METADATA_FILE)
    from .boosted import FORMAT as BOOSTED_FORMAT

    if metadata.get("format") == BOOSTED_FORMAT:
        from .boosted import BoostedRankingModel

        return BoostedRankingModel.load(directory)
    return RankingModel.load(directory)


@dataclass(frozen=True)
class LinearWeights:
    intercept: float
    main: np.ndarray  # (N_FEATURES,), 0 for transparent_score
    cross: np.ndarray  # (len(PROFILE_NAMES), len(CROSSED_PRODUCT_NAMES))
    center: float
    scale: float

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "intercept": np.array([self.intercept]),
            "main": self.main,
            "cross": self.cross,
            "center": np.array([self.center]),
            "scale": np.array([self.scale]),
        }


class RankingModel:
    """A loaded model: score feature rows, explain one row. Immutable once built."""

    ready = True

    def __init__(self, weights: LinearWeights, metadata: dict[str, Any]) -> None:
        self.weights = weights
        self.metadata = metadata
        self.version: str = metadata["version"]
        self.feature_names: tuple[str, ...] = tuple(metadata["feature_names"])
        self.blend: BlendWeights = blend_of(metadata)

    # ------------------------------------------------------------------ scoring
    def logit(self, features: np.ndarray) -> np.ndarray:
        """Log-odds per row of a (rows, N_FEATURES) matrix."""
        w = self.weights
        crossed = features[:, PROFILE] @ w.cross
        return (
            w.intercept
            + features @ w.main
            + np.einsum("ij,ij->i", crossed, features[:, CROSSED_PRODUCT])
        )

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Scores in (0, 1), one per row; higher = more likely to be clicked and bought."""
        return self.squash(self.logit(features))

    def squash(self, logit: np.ndarray) -> np.ndarray:
        z = (logit - self.weights.center) / self.weights.scale
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))

    def contributions(self, row: np.ndarray) -> dict[str, float]:
        """Each non-zero term of the logit for one feature row, largest magnitude first.

        The values, with "intercept", sum to `logit(row)`; "a & b" names a cross.
        """
        row = np.asarray(row, dtype=float).reshape(-1)
        w = self.weights
        terms: dict[str, float] = {"intercept": w.intercept}
        main = w.main * row
        for j in np.flatnonzero(main).tolist():
            terms[FEATURE_NAMES[j]] = float(main[j])
        cross = w.cross * np.outer(row[PROFILE], row[CROSSED_PRODUCT])
        for p, q in zip(*np.nonzero(cross), strict=True):
            terms[CROSS_NAMES[p * cross.shape[1] + q]] = float(cross[p, q])
        return dict(sorted(terms.items(), key=lambda kv: -abs(kv[1])))

    # ------------------------------------------------------------------ files
    def save(self, directory: Path) -> Path:
        """Write model.npz and metadata.json (with the checksum) into `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        model_path = directory / MODEL_FILE
        arrays = self.weights.arrays()
        with model_path.open("wb") as handle:
            np.savez(
                handle,
                intercept=arrays["intercept"],
                main=arrays["main"],
                cross=arrays["cross"],
                center=arrays["center"],
                scale=arrays["scale"],
            )
        metadata = {**self.metadata, "format": FORMAT, "blend": self.blend.to_dict()}
        write_metadata(directory, metadata, model_path)
        return directory

    @classmethod
    def load(cls, directory: Path) -> RankingModel:
        """Load an artefact directory; raises CorruptModel or IncompatibleModel."""
        directory = Path(directory)
        metadata = read_metadata(directory, MODEL_FILE, FORMAT, LEGACY_FORMATS)
        return cls(_read_weights(directory / MODEL_FILE), metadata)


def blend_of(metadata: dict[str, Any]) -> BlendWeights:
    """The blend an artefact serves with: its learned one, or the default for old formats."""
    if "blend" not in metadata:
        return DEFAULT_BLEND
    try:
        return BlendWeights.from_dict(metadata["blend"])
    except (ValueError, TypeError) as exc:
        raise CorruptModel(f"metadata blend refused: {exc}") from exc


def write_metadata(directory: Path, metadata: dict[str, Any], model_path: Path) -> None:
    """metadata.json with the SHA-256 of the model file and of the metadata itself."""
    plain = json.loads(json.dumps(metadata, default=_plain))
    plain.pop("metadata_sha256", None)
    plain["sha256"] = _sha256(model_path)
    plain["metadata_sha256"] = _metadata_digest(plain)
    _write_json(directory / METADATA_FILE, plain)


def read_metadata(
    directory: Path, model_file: str, fmt: str, legacy: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Checked metadata of an artefact: format, feature list, version, both checksums.

    Raises IncompatibleModel (another format or feature list) or CorruptModel (anything
    missing, unreadable or altered). Legacy formats have no metadata checksum and no blend.
    """
    metadata = _read_metadata(directory / METADATA_FILE)
    found = metadata.get("format")
    if found != fmt and found not in legacy:
        raise IncompatibleModel(f"{directory}: artefact format {found!r}, expected {fmt!r}")
    if found == fmt:
        if metadata.get("metadata_sha256") != _metadata_digest(metadata):
            raise CorruptModel(f"{directory}: {METADATA_FILE} does not match its checksum")
        if "blend" not in metadata:
            raise CorruptModel(f"{directory}: metadata has no blend")
    elif "blend" in metadata:
        raise CorruptModel(f"{directory}: a {found} artefact cannot carry a blend")
    if tuple(metadata.get("feature_names") or ()) != FEATURE_NAMES:
        raise IncompatibleModel(
            f"{directory}: trained on features {metadata.get('features_version')!r}, "
            f"this service computes {FEATURES_VERSION!r}; retrain the model"
        )
    if not isinstance(metadata.get("version"), str) or not metadata["version"]:
        raise CorruptModel(f"{directory}: metadata has no version")
    try:
        digest = _sha256(directory / model_file)
    except OSError as exc:
        raise CorruptModel(f"{directory}: cannot read {model_file}: {exc}") from exc
    if digest != metadata.get("sha256"):
        raise CorruptModel(f"{directory}: {model_file} does not match its checksum")
    blend_of(metadata)
    return metadata


def _metadata_digest(metadata: dict[str, Any]) -> str:
    body = {k: v for k, v in metadata.items() if k != "metadata_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_metadata(path: Path) -> dict[str, Any]:
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptModel(f"cannot read {path}: {exc}") from exc
    if not isinstance(metadata, dict):
        raise CorruptModel(f"{path}: not a JSON object")
    return metadata


def _read_weights(path: Path) -> LinearWeights:
    shapes = {
        "intercept": (1,),
        "main": (len(FEATURE_NAMES),),
        "cross": (len(PROFILE_NAMES), len(CROSSED_PRODUCT_NAMES)),
        "center": (1,),
        "scale": (1,),
    }
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: np.array(data[name], dtype=float) for name in shapes}
    except Exception as exc:  # noqa: BLE001 - zip, format and key errors all mean corrupt
        raise CorruptModel(f"cannot read {path}: {type(exc).__name__}: {exc}") from exc
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            raise CorruptModel(f"{path}: {name} has shape {arrays[name].shape}, expected {shape}")
        if not np.isfinite(arrays[name]).all():
            raise CorruptModel(f"{path}: {name} holds non-finite numbers")
    scale = float(arrays["scale"][0])
    if not scale > 0:
        raise CorruptModel(f"{path}: scale must be positive")
    return LinearWeights(
        float(arrays["intercept"][0]),
        arrays["main"],
        arrays["cross"],
        float(arrays["center"][0]),
        scale,
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True, default=_plain) + "\n")
    os.replace(temporary, path)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"not JSON: {type(value).__name__}")
