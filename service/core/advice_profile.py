"""The targets and dose bands of one profile (`profile_advice`; advice.py describes them and
re-exports both names). Split from advice.py (issue 16, session 12)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .advice_checks import band_factor
from .advice_config import DOCTOR, advice_config
from .expressions import Expression, holding
from .intake import advised_amounts
from .reference import Reference
from .target_priority import priorities

log = logging.getLogger("dosewise.core")


@dataclass(frozen=True)
class ProfileAdvice:
    """Targets and dose bands over the nutrient keys (NaN: none; inf: no band)."""

    targets: np.ndarray
    target_ids: dict[str, str]
    authority: dict[int, str]  # column -> authority of the target
    general: np.ndarray  # the advice without serum or doctor, else the reference intake
    band_upper: np.ndarray  # most a product may give a day (inf: not banded)
    ordinary_upper: np.ndarray  # the band without a serum level or a doctor's advice
    justified_by: dict[int, str]  # column -> "serum" | "doctor" where the band was raised
    doctor: dict[int, float]  # column -> amount a doctor advised
    serum: float | None
    # interactions (ids) whose warning keeps an aim of ours from being a target (review 16 F7)
    aims_warned_by: frozenset[str] = frozenset()

    def columns_of(self, authority: str) -> list[int]:
        """The nutrient columns whose target `authority` gives (advice_config.DOCTOR: a
        doctor's dose; CLAIM_CONDITION: a claim's condition of use)."""
        return [c for c, a in self.authority.items() if a == authority]


def profile_advice(
    reference: Reference, profile: Any, context: Any, targets_in: tuple
) -> ProfileAdvice:
    """The one advice for a profile (see the module docstring). `context` is the compiled
    expression context of the profile; `targets_in` the Target objects of the reference."""
    config = advice_config(reference)
    keys = reference.nutrients.keys
    size = len(keys)
    # Python floats while the targets are chosen (numpy scalars cost more than the work)
    best: list[float] = [math.nan] * size
    general_of: list[float] = [math.nan] * size
    chosen: dict[str, str] = {}
    authority: dict[int, str] = {}
    measured: set[int] = set()  # columns a `measured` target holds for: the serum band below
    warned = _warned_nutrients(reference, profile)
    ours, warned_by = priorities(reference).is_ours, set()
    advised = advised_amounts(profile, reference.nutrients)  # contract keys: 4000 IU is 100 µg
    for target in holding(targets_in, _conditions(targets_in), context):
        if isinstance(target.amount, Expression):
            try:
                amount = float(target.amount.evaluate(context))
            except Exception as exc:  # noqa: BLE001 - a bad amount never fails a request
                # but never silently: the profile loses an advice (no profile value is logged)
                log.warning(
                    "target %s: amount not evaluated (%s), target left out",
                    target.id,
                    type(exc).__name__,
                )
                continue
        else:
            amount = float(target.amount)
        column = keys.index(target.nutrient)
        source = config.target_authority.get(target.id, "dosewise")
        measured |= {column} if source == "measured" else set()
        if source != "measured" and (math.isnan(general_of[column]) or amount > general_of[column]):
            general_of[column] = amount
        # a doctor's lower dose takes the place of our estimate from a measured level: 50 µg
        # for 10 nmol/l beside "your doctor advised 10 µg" is five times the doctor's dose
        # (review 20a F3); the doctor knows the level. An authority's advice stays (the larger
        # counts), and so does the estimate where the doctor advised more. The level still
        # raises the band (`measured`, above): a doctor's 40 µg at 5 nmol/l keeps the 50 µg
        # product that comes closest to it (re-review 20d F5)
        if source == "measured" and 0 < advised.get(target.nutrient, 0) < amount:
            continue
        threshold, interaction = warned.get(target.nutrient, (math.inf, ""))
        if amount > threshold and ours(target.id):
            warned_by.add(interaction)
            continue  # review 16 F7: no aim of ours past a medicine's warning (see below)
        if math.isnan(best[column]) or amount > best[column]:
            best[column] = amount
            chosen[target.nutrient] = target.id
            authority[column] = source
    for intake in config.reference_intakes:
        column = keys.index(intake.nutrient)
        if math.isnan(general_of[column]) and intake.min_age <= profile.age <= intake.max_age:
            general_of[column] = float(intake.amount)  # as a float array stores it
    targets = np.array(best, dtype=np.float64)
    general = np.array(general_of, dtype=np.float64)
    doctor: dict[int, float] = {}
    for key, amount in advised.items():
        if key in keys and isinstance(amount, int | float) and amount > 0:
            column = keys.index(key)
            doctor[column] = float(amount)
            if np.isnan(targets[column]) or amount > targets[column]:
                targets[column] = float(amount)
                chosen[key] = f"higher_dose_advised:{key}"
                authority[column] = DOCTOR
    ordinary = np.full(size, np.inf)
    for key in config.banded:
        column = keys.index(key)
        if not np.isnan(general[column]):
            ordinary[column] = band_factor(config, profile.age) * general[column]
    upper = ordinary.copy()
    justified: dict[int, str] = {}
    serum = profile.serum_25ohd_nmol_l
    if serum is not None and config.serum_nutrient is not None:
        column = keys.index(config.serum_nutrient)
        for below, up_to in config.serum_levels:
            if serum < below:
                if column in measured and np.isfinite(upper[column]) and up_to > upper[column]:
                    upper[column], justified[column] = up_to, "serum"
                break
    limits = reference.upper_limits.for_profile(profile.age, profile.life_stage)
    for column, amount in doctor.items():  # s9 F3: the doctor's amount as the advice, where a
        band = min(config.factor * amount, max(upper[column], amount))  # limit is set (not B12)
        if authority.get(column) == DOCTOR and band < upper[column] and limits[column] >= 0:
            upper[column] = band
        elif np.isfinite(upper[column]) and amount > upper[column]:
            upper[column], justified[column] = amount, DOCTOR
    return ProfileAdvice(
        targets,
        chosen,
        authority,
        general,
        upper,
        ordinary,
        justified,
        doctor,
        serum,
        frozenset(warned_by),
    )


def _conditions(targets: tuple) -> tuple[Expression, ...]:
    """The `when` of each target, once per tuple of targets (the reference's never changes)."""
    known = _CONDITIONS.get(id(targets))
    if known is None or known[0] is not targets:
        if len(_CONDITIONS) > 64:
            _CONDITIONS.clear()
        known = _CONDITIONS[id(targets)] = (targets, tuple(t.when for t in targets))
    return known[1]


# id of a tuple of targets -> (that tuple, their conditions); one per reference loaded
_CONDITIONS: dict[int, tuple[tuple, tuple[Expression, ...]]] = {}


def _warned_nutrients(reference: Reference, profile: Any) -> dict[str, tuple[float, str]]:
    """{nutrient: (the lowest daily threshold, its interaction's id)} at which an interaction
    the person's medicines or conditions trigger warns of the nutrient itself
    (interactions.yaml `warn`; not one about when to take it, `timing`). An aim of our own
    (targets.yaml priorities `ours`: calcium for vegans, magnesium for sport, a claim's
    condition) past it is no target: a thiazide user was planned 500 mg calcium "at or above
    our suggested 300 mg" beside "talk to your doctor first" (review 16 F7). The advice of an
    authority or a doctor stays, with the warning; the interaction's notice says why
    (ranking.profile_notices)."""
    out: dict[str, tuple[float, str]] = {}
    medications, conditions = tuple(profile.medications), tuple(profile.conditions)
    serum = profile.serum_25ohd_nmol_l
    if not medications and not conditions and serum is None:  # nothing can trigger one
        return out
    for interaction in reference.triggered(profile):
        if interaction.timing or not interaction.warn:
            continue
        for nutrient, threshold in interaction.warn.items():
            if float(threshold) < out.get(nutrient, (math.inf, ""))[0]:
                out[nutrient] = (float(threshold), interaction.id)
    return out
