"""Always-valid comparisons of two arms (mSPRT) and what an experiment can detect.

The unit of randomisation is a customer (or session): outcomes of one unit are correlated, so
every metric is a ratio over units, R = sum(y) / sum(x) (x = the unit's exposures, y = its
clicks, purchases or revenue), with the delta-method variance

    Var(R) = (var(y) - 2 R cov(x, y) + R^2 var(x)) / (n mean(x)^2).

Sequential test: the mixture sequential probability ratio test (mSPRT; Johari, Pekelis and
Walsh, "Always valid inference", 2017/2022) with a normal mixture of variance tau^2 over the
difference theta = R_treatment - R_control, whose estimate has variance V:

    Lambda = sqrt(V / (V + tau^2)) exp(tau^2 (theta_hat - theta_0)^2 / (2 V (V + tau^2)))

Rejecting theta_0 the first time Lambda >= 1/alpha keeps the false-positive rate at most alpha
however often anyone looks. The always-valid p-value is min(1, 1 / max Lambda over the looks so
far); the confidence sequence is the set of theta_0 with Lambda < 1/alpha, an interval around
theta_hat of half-width

    sqrt(2 V (V + tau^2) / tau^2 (log(1/alpha) + log((V + tau^2) / V) / 2)),

and the intersection of those intervals over the looks is still valid. `tau` is the size of
effect the experiment is designed to find (in the metric's units): the test is most powerful
near it.

Power before the start (`detectable_effect`): with the planned units per arm, the smallest
effect found with probability `power` at the last look at the latest, taking only that look
(earlier looks can only add power, so this is conservative):
delta = half_width(V at the end) + z_power sqrt(V).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


@dataclass(frozen=True)
class ArmTotals:
    """Sufficient statistics of one arm: units, and sums over units of x, y, x^2, y^2, x y."""

    units: int
    x: float
    y: float
    xx: float
    yy: float
    xy: float

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> ArmTotals:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        return cls(
            int(x.size),
            float(x.sum()),
            float(y.sum()),
            float((x * x).sum()),
            float((y * y).sum()),
            float((x * y).sum()),
        )

    @property
    def ratio(self) -> float:
        return self.y / self.x if self.x > 0 else math.nan

    @property
    def ratio_variance(self) -> float:
        """Delta-method variance of `ratio` (nan with fewer than two units)."""
        n = self.units
        if n < 2 or self.x <= 0:
            return math.nan
        mean_x, mean_y = self.x / n, self.y / n
        var_x = max(self.xx / n - mean_x**2, 0.0) * n / (n - 1)
        var_y = max(self.yy / n - mean_y**2, 0.0) * n / (n - 1)
        cov = (self.xy / n - mean_x * mean_y) * n / (n - 1)
        r = self.ratio
        return max(var_y - 2 * r * cov + r * r * var_x, 0.0) / (n * mean_x**2)


@dataclass(frozen=True)
class Comparison:
    """Treatment against control at one look, and over all looks so far."""

    control: float
    treatment: float
    difference: float  # treatment - control
    low: float  # always-valid confidence interval of the difference (all looks intersected)
    high: float
    p_value: float  # always-valid p-value (over all looks)
    significant: bool  # p_value <= alpha
    relative: float  # difference / control
    relative_low: float
    relative_high: float


def log_likelihood_ratio(
    difference: float, variance: float, tau: float, null: float = 0.0
) -> float:
    """log Lambda of the normal-mixture SPRT (see the module docstring)."""
    if not (variance > 0 and tau > 0) or not math.isfinite(difference):
        return -math.inf if variance > 0 else 0.0
    tau2 = tau * tau
    return 0.5 * math.log(variance / (variance + tau2)) + tau2 * (difference - null) ** 2 / (
        2 * variance * (variance + tau2)
    )


def half_width(variance: float, tau: float, alpha: float) -> float:
    """Half-width of the confidence sequence at one look."""
    if not (variance > 0 and tau > 0):
        return math.inf
    tau2 = tau * tau
    return math.sqrt(
        2
        * variance
        * (variance + tau2)
        / tau2
        * (math.log(1 / alpha) + 0.5 * math.log((variance + tau2) / variance))
    )


def compare(
    looks: Sequence[tuple[ArmTotals, ArmTotals]], tau: float, alpha: float = 0.05
) -> Comparison:
    """(control, treatment) totals at each look, oldest first; the last is now."""
    if not looks:
        raise ValueError("no looks")
    best_log_lambda = -math.inf
    low, high = -math.inf, math.inf
    for control, treatment in looks:
        difference = treatment.ratio - control.ratio
        variance = treatment.ratio_variance + control.ratio_variance
        if not (math.isfinite(difference) and math.isfinite(variance) and variance > 0):
            continue
        best_log_lambda = max(best_log_lambda, log_likelihood_ratio(difference, variance, tau))
        width = half_width(variance, tau, alpha)
        low, high = max(low, difference - width), min(high, difference + width)
    control, treatment = looks[-1]
    difference = treatment.ratio - control.ratio
    p_value = min(1.0, math.exp(-best_log_lambda)) if best_log_lambda > -math.inf else 1.0
    if low > high:  # the intervals no longer meet: keep the latest look's
        variance = treatment.ratio_variance + control.ratio_variance
        width = half_width(variance, tau, alpha)
        low, high = difference - width, difference + width
    base = control.ratio

    def relative(value: float) -> float:
        return value / base if base and math.isfinite(base) else math.nan

    return Comparison(
        control.ratio,
        treatment.ratio,
        difference,
        low,
        high,
        p_value,
        p_value <= alpha,
        relative(difference),
        relative(low),
        relative(high),
    )


def sequential_p_values(difference: np.ndarray, variance: np.ndarray, tau: float) -> np.ndarray:
    """Always-valid p-values of many tests at once: arrays (tests, looks) -> (tests,)."""
    tau2 = tau * tau
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lambda = 0.5 * np.log(variance / (variance + tau2)) + tau2 * difference**2 / (
            2 * variance * (variance + tau2)
        )
    log_lambda = np.where(variance > 0, log_lambda, -np.inf)
    return np.minimum(1.0, np.exp(-log_lambda.max(axis=1)))


@dataclass(frozen=True)
class Detectable:
    absolute: float  # in the metric's units
    relative: float  # of the baseline
    units_per_arm: tuple[int, int]


def detectable_effect(
    baseline: float,
    unit_variance: float,
    units: tuple[int, int],
    tau: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Detectable:
    """Smallest difference found with `power` by the last look (see the module docstring).

    `unit_variance` is the variance of one unit's outcome per exposure (for a rate p with one
    exposure per unit: p (1 - p)); `units` the (control, treatment) units by the end.
    """
    control, treatment = units
    if control < 2 or treatment < 2 or unit_variance <= 0:
        return Detectable(math.inf, math.inf, units)
    variance = unit_variance / control + unit_variance / treatment
    effect = half_width(variance, tau, alpha) + NormalDist().inv_cdf(power) * math.sqrt(variance)
    return Detectable(effect, effect / baseline if baseline > 0 else math.inf, units)
