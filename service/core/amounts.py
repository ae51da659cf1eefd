"""Amounts, said once: the one test for "above an upper limit" (and a market's maximum, and the
room food leaves), past float noise only, so an amount equal to the limit is within it (a NaN
limit, none for that nutrient, is never crossed); and amounts as people read them."""

from __future__ import annotations

from typing import Any

EPSILON = 1e-9


def tolerated(limit: Any) -> Any:
    """The most that is still within `limit` (a float or an array)."""
    return limit * (1 + EPSILON) + EPSILON


def above(amount: Any, limit: Any) -> Any:
    """Whether `amount` is above `limit` (floats or arrays, elementwise)."""
    return amount > tolerated(limit)


def rounded(value: float) -> float | int:
    """Amounts as people read them: whole numbers without '.0', at most 3 decimals."""
    value = round(float(value), 3)
    return int(value) if value == int(value) else value
