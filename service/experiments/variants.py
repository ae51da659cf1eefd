"""An arm of an experiment as a Snapshot: the same data, another model, blend or rule set.

`arm_snapshot(snapshot, experiment, variant, load_version)` returns the snapshot a variant's
requests are ranked with. It changes only three things, and only through fields the ranking
already reads: `snapshot.model` (another installed version, or the same model with another
blend), and `snapshot.rules` (without the boost, bury or pin rules the variant leaves out).
Safety masks, limits, claims, rule excludes and requires come from the same reference data and
the same code path in every arm, so every guarantee holds in every arm (tests/test_experiments
runs them all per arm). Every arm's snapshot carries `experiment = (experiment id, variant id)`:
answers ranked with it have an `experiment` field naming the arm, and its fingerprint is its own
(the control's too), so cached answers and precomputed lists of one arm are never served to
another or outside the experiment. The versions say what the arm changed: `model` gets
`+<experiment>.<variant>` when the blend or model changes, `rules` when the rule set does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from service.core.rules import RuleSet
from service.core.snapshot import Snapshot
from service.learning.blend import BlendWeights
from service.learning.serving import LEARNING

from .spec import Experiment, Variant


class VariantModel:
    """A loaded model served with another blend (all scoring delegated)."""

    ready = True

    def __init__(self, model: Any, blend: BlendWeights, version: str) -> None:
        self.model = model
        self.blend = blend
        self.version = version
        self.feature_names = model.feature_names
        self.metadata = model.metadata

    def predict(self, features: np.ndarray) -> np.ndarray:
        return self.model.predict(features)

    def logit(self, features: np.ndarray) -> np.ndarray:
        return self.model.logit(features)

    def contributions(self, row: np.ndarray) -> dict[str, float]:
        return self.model.contributions(row)


def arm_snapshot(
    snapshot: Snapshot,
    experiment: Experiment,
    variant: Variant,
    load_version: Callable[[str], Any] | None = None,
) -> Snapshot:
    """The snapshot a variant ranks with: labelled with the arm (`snapshot.experiment`, so
    answers name it and its fingerprint is the arm's own, the control's too) and changed only
    where the variant says.

    `load_version(version)` loads an installed model version (the model store); a variant
    naming a model version without a loader, or one the store refuses, raises the loader's
    error (ModelError): the caller serves the control arm then.
    """
    tag = f"{experiment.id}.{variant.id}"
    out = replace(snapshot, experiment=(experiment.id, variant.id))
    model = snapshot.model
    changed_model = False
    if variant.model_version and (model is None or variant.model_version != model.version):
        if load_version is None:
            raise LookupError(f"{tag}: no model store to load {variant.model_version!r} from")
        model = load_version(variant.model_version)
        changed_model = True
    if variant.blend is not None and model is not None:
        model = VariantModel(model, variant.blend, f"{model.version}+{tag}")
        changed_model = True
    elif changed_model:
        model = VariantModel(model, model.blend, f"{model.version}+{tag}")
    if changed_model:
        # an arm with a model ranks through the learning (features, blend) of service/learning
        learning = out.learning if out.learning is not None else LEARNING
        out = replace(out, model=model, model_version=model.version, learning=learning)
    if variant.rules_off:
        off = set(variant.rules_off)
        rules = RuleSet(
            tuple(r for r in snapshot.rules.rules if r.id not in off),
            f"{snapshot.rules.version}+{tag}",
            snapshot.rules.files,
        )
        out = replace(out, rules=rules, rules_version=f"{snapshot.rules_version}+{tag}")
    return out


class Arms:
    """Arm snapshots per (snapshot fingerprint, experiment, variant), built once each."""

    def __init__(self, load_version: Callable[[str], Any] | None = None) -> None:
        self.load_version = load_version
        self._cache: dict[tuple[str, str, str], Snapshot] = {}
        self._lock = threading.Lock()

    def snapshot(self, snapshot: Snapshot, experiment: Experiment, variant: Variant) -> Snapshot:
        key = (snapshot.fingerprint + snapshot.rules_version, experiment.id, variant.id)
        with self._lock:
            found = self._cache.get(key)
        if found is not None:
            return found
        built = arm_snapshot(snapshot, experiment, variant, self.load_version)
        with self._lock:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = built
        return built
