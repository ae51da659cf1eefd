"""Deterministic assignment: the same unit always gets the same variant of an experiment.

    u = first 8 bytes of SHA-256("<experiment id>\\x1f<unit id>") / 2^64      uniform in [0, 1)

A unit is in the experiment when u < traffic; its variant is the one whose cumulative share
interval holds u / traffic. Nothing is stored: the id and the file decide. Different
experiments hash differently (the experiment id is in the hash), so being in one arm of one
experiment says nothing about the arm of the next.
"""

from __future__ import annotations

import hashlib

from .spec import Experiment, Variant


def unit_position(experiment_id: str, unit_id: str) -> float:
    digest = hashlib.sha256(f"{experiment_id}\x1f{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign(experiment: Experiment, unit_id: str) -> Variant | None:
    """The unit's variant, or None when the unit is outside the experiment's traffic."""
    position = unit_position(experiment.id, unit_id)
    if position >= experiment.traffic:
        return None
    position /= experiment.traffic
    cumulative = 0.0
    for variant in experiment.variants:
        cumulative += variant.share
        if position < cumulative:
            return variant
    return experiment.variants[-1]  # shares add up to 1 up to rounding
