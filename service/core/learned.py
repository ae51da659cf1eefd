"""What the core asks of learned ranking, as protocols: service/learning implements them and
the factory (service/factory.py) hands them to the `Recommender`. The core never imports
service.learning; without them it ranks with the transparent score alone.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from .ranking import Evaluation


class Learning(Protocol):
    """Features, the blend of a model with the transparent score, its explanation, and the
    training log's record of a served list (learning.serving.LEARNING)."""

    def features(self, ev: Evaluation) -> np.ndarray:
        """One row of model features per catalog product."""
        ...

    def blended(self, model: Any, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(raw score, model score) of every product under `model` and its blend."""
        ...

    def explain(self, model: Any, row: np.ndarray) -> dict[str, Any]:
        """The `learned` part of one item's explanation."""
        ...

    def from_customers(self, model: Any) -> bool:
        """The model learned from the shop's own customers' choices (not a simulated shop):
        only then is a learned preference a need, with "Often chosen by customers ..."."""
        ...

    def impression(
        self,
        request_id: str,
        customer_id: str,
        at: dt.datetime,
        rows: np.ndarray,
        shown: list[int],
        skus: list[str],
        model_version: str,
    ) -> dict[str, Any]:
        """The training log's record of one served list."""
        ...


class ModelSource(Protocol):
    """The ranking model of one process (learning.holder.ModelHolder): `model` is None until
    one is promoted (the transparent score ranks), `error` says why an artefact was refused."""

    @property
    def model(self) -> Any: ...

    @property
    def version(self) -> str | None: ...

    @property
    def ready(self) -> bool: ...

    @property
    def error(self) -> str | None: ...

    def refresh(self) -> bool: ...

    def refresh_if_changed(self) -> bool: ...


class NoModels:
    """A process without a model store: the transparent score ranks, nothing to refresh."""

    model = None
    version = None
    ready = False
    error = None

    def refresh(self) -> bool:
        return False

    def refresh_if_changed(self) -> bool:
        return False
