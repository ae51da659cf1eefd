"""Training settings: event weights, attribution window, holdout and validation shares, the
learners tried side by side, regularisation, the blend search and LightGBM's settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from service.core.vocabulary import EVENT_TYPES

from .boosted import BoostingConfig

LEARNERS = ("linear", "lightgbm")
DEFAULT_EVENT_WEIGHTS = {"view": 0.0, "click": 1.0, "add_to_cart": 2.0, "purchase": 4.0}


@dataclass(frozen=True)
class TrainConfig:
    # label of a shown item = the largest weight among its attributed events (0 = no signal)
    event_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    attribution_hours: float = 72.0  # events count for an impression this long after it
    holdout_fraction: float = 0.2  # latest share of impressions, by time, held out
    # latest share of the rest, by time: the blend is learned and boosting stopped on it
    validation_fraction: float = 0.2
    learners: tuple[str, ...] = LEARNERS  # fitted side by side, the holdout picks one
    regularisation: float = 1.0  # C of the logistic regression (larger = weaker L2)
    max_iter: int = 300
    min_positives: int = 50  # refuse to train on fewer positive rows
    blend_tolerance: float = 0.002  # blend points this close to the best count as as good
    rule_floor: float = 0.0  # the learned rule strength is at least this
    boosting: BoostingConfig = field(default_factory=BoostingConfig)

    def __post_init__(self) -> None:
        unknown = set(self.event_weights) - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown event types in event_weights: {sorted(unknown)}")
        if any(w < 0 for w in self.event_weights.values()):
            raise ValueError("event weights must not be negative")
        if not 0 < self.holdout_fraction < 1 or not 0 < self.validation_fraction < 1:
            raise ValueError("holdout_fraction and validation_fraction must be between 0 and 1")
        if not self.learners or set(self.learners) - set(LEARNERS):
            raise ValueError(f"learners must be some of {LEARNERS}: {self.learners}")
        if not 0 <= self.rule_floor <= 1 or not 0 <= self.blend_tolerance < 1:
            raise ValueError("rule_floor must be in 0..1 and blend_tolerance in 0..1")
        if self.attribution_hours <= 0 or self.regularisation <= 0:
            raise ValueError("attribution_hours and regularisation must be positive")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """From settings (e.g. the app config's LEARNING dict); unknown keys are an error."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown training settings: {sorted(unknown)}")
        values = dict(data)
        if "event_weights" in values:
            values["event_weights"] = {**DEFAULT_EVENT_WEIGHTS, **values["event_weights"]}
        if "learners" in values:
            values["learners"] = tuple(values["learners"])
        if "boosting" in values:
            known = {f.name for f in fields(BoostingConfig)}
            unknown = set(values["boosting"]) - known
            if unknown:
                raise ValueError(f"unknown boosting settings: {sorted(unknown)}")
            values["boosting"] = BoostingConfig(**values["boosting"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["event_weights"] = dict(self.event_weights)
        out["learners"] = list(self.learners)
        out["boosting"] = asdict(self.boosting)
        return out
