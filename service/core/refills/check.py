"""The refill job's checks, shared across customers by what they read.

Whether a due product still fits (`plan.exclusions`) reads an evaluation's safety masks, its
merchandising excludes and its advice (dose band, what is covered), never its ranking. Most
customers of a daily run have a profile many others share (age, sex, market) but their own
mix of supplies, so whole evaluations are hardly ever shared (about one in six). Their parts
are, each keyed by exactly what it reads:

- safety of the profile alone (`SafetyPart`, keyed by `safety_key`: the profile fields
  `safety.safety_masks` reads, the declared intake and the jurisdiction): the limits, the
  food allowance and the room it leaves, the interactions triggered, and every safety mask
  except the upper limit, the life stage's maximum of a day and what is taken. Profiles that
  differ only in skin type, sun exposure, serum level or a doctor's advice share it (goals
  are read since session 6: the goal `pregnancy` brings pregnancy suitability);
- what the expression context decides (`ContextPart`): the advice (targets, dose band) and
  the matched merchandising rules. The context holds the whole profile and intake, but the
  rule and target expressions read only a few of its nutrients (`intake.vitamin_d_ug`):
  customers with the same stored profile and the same amounts of those share them
  (`context_reads`; an expression that reads the intake or the basket any other way makes
  the whole of it part of the key);
- what depends on the customer's own lines: the intake, the upper-limit and day-maximum
  masks (`safety.over_limits`, `safety.life_stage_mask`), what is taken, and the advice's
  view of them (`Offer`, lazily).

`CheckCache.evaluate` builds a `CheckEvaluation` from the shared parts and the customer's own:
the same values `ranking.evaluate` gives (tests/test_refill_fast_path.py pins whole answers
over many seeded customers, tests/test_refill_shared.py each key against every input it
leaves out), with the ranking (features, raw score, model) worked out only when read: for a
replacement and its reasons.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..advice import ProfileAdvice, profile_advice
from ..context import compiled_context, expression_context
from ..expressions import Expression
from ..food import declared_intake
from ..intake import resolve_lines, total
from ..profile import Line, Profile
from ..ranking import Evaluation, _apply_model, evaluate, rule_masks, transparent_ranking
from ..rule_match import matched_rules
from ..rules import Rule
from ..safety import SAFETY_FIELDS, SafetyResult, life_stage_mask, over_limits, safety_masks
from ..snapshot import Snapshot

if TYPE_CHECKING:
    from .supplies import Supply

_READS = re.compile(r"\b(intake|basket)\b(\s*\.\s*([A-Za-z_]\w*))?")


class _Ranked:
    """A ranking field of a CheckEvaluation: taken from the full evaluation on first read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, ev: Any, owner: type | None = None) -> Any:
        if ev is None:
            return self
        if self.name not in ev.__dict__:
            ev.rank_now()
        return ev.__dict__[self.name]

    def __set__(self, ev: Any, value: Any) -> None:
        ev.__dict__[self.name] = value


class CheckEvaluation(Evaluation):
    """An Evaluation whose safety, rules and advice are exact and whose ranking is computed
    only when read (a replacement, its reasons, a placement's score)."""

    features = _Ranked()  # type: ignore[assignment]
    raw = _Ranked()  # type: ignore[assignment]
    model_features = _Ranked()  # type: ignore[assignment]
    model_score = _Ranked()  # type: ignore[assignment]

    def rank_now(self) -> None:
        """The ranking as `ranking.evaluate` computes it, from this evaluation's parts."""
        snapshot = self.snapshot
        features, raw = transparent_ranking(
            snapshot,
            self.profile,
            self.intake,
            self.targets,
            self.limits,
            self.safety.totals_with_item,
            self.rule_weight,
        )
        self.__dict__.update(features=features, raw=raw, model_features=None, model_score=None)
        if snapshot.model is not None and snapshot.learning is not None:
            _apply_model(self, snapshot.learning)


@dataclass(frozen=True)
class SafetyPart:
    """What safety reads of the profile alone (`safety.SAFETY_FIELDS`, the declared intake
    and the market's limits): the limits, the food allowance and the room it leaves, the
    interactions triggered and every mask but the upper limit, the life stage's maximum of a
    day and what is taken (those read the intake: worked out per customer)."""

    limits: np.ndarray
    excluded: dict[str, np.ndarray]
    triggered: tuple
    food: np.ndarray
    room: np.ndarray


@dataclass(frozen=True)
class ContextPart:
    """What the rule and target expressions decide (the advice, targets and dose bands, the
    matched merchandising rules): read from the whole profile, the day, the market and the
    intake columns the expressions name (`context_reads`)."""

    advice: ProfileAdvice
    matched_rules: list[Rule]
    rule_excluded: np.ndarray
    rule_required: np.ndarray
    rule_weight: np.ndarray


def safety_key(profile: Profile, jurisdiction: str | None) -> tuple:
    """Exactly what `SafetyPart` reads: the profile fields `safety.safety_masks` reads (its
    own SAFETY_FIELDS), the declared intake (the food allowance) and the jurisdiction (the
    limits, with the age and life stage)."""
    fields = tuple(getattr(profile, name) for name in SAFETY_FIELDS)
    return (*fields, declared_intake(profile), jurisdiction)


def safety_part(snapshot: Snapshot, profile: Profile, jurisdiction: str | None) -> SafetyPart:
    """`safety_masks` of the profile with nothing taken; the masks that read the intake or
    what is taken are replaced per customer (`CheckCache._build`), in the same order."""
    reference, catalog = snapshot.reference, snapshot.catalog
    limits = reference.upper_limits.for_profile(profile.age, profile.life_stage, jurisdiction)
    nothing = np.zeros(len(reference.nutrients.keys))
    safety = safety_masks(catalog, reference, profile, nothing, limits, set())
    return SafetyPart(limits, dict(safety.excluded), safety.triggered, safety.food, safety.room)


def context_part(
    snapshot: Snapshot, profile: Profile, intake: np.ndarray, taken: set[str], today: dt.date
) -> ContextPart:
    """The expression context's answers, as `ranking.evaluate` works them out."""
    reference, catalog = snapshot.reference, snapshot.catalog
    keys = reference.nutrients.keys
    context = compiled_context(
        expression_context(
            profile,
            dict(zip(keys, map(float, intake), strict=True)),
            today,
            sorted(taken),
            sorted({catalog.products[catalog.index[s]].category for s in taken}),
        )
    )
    advice = profile_advice(reference, profile, context, reference.targets)
    matched = matched_rules(snapshot.rules, today, profile.country, context)
    rule_weight, rule_excluded, rule_required = rule_masks(matched, len(catalog))
    for array in (rule_weight, rule_excluded, rule_required):
        array.setflags(write=False)  # shared by every customer of the key
    return ContextPart(advice, matched, rule_excluded, rule_required, rule_weight)


def context_reads(snapshot: Snapshot) -> tuple[tuple[int, ...] | None, bool]:
    """The intake columns the rule and target expressions read (None: the whole intake, when
    one reads it other than as `intake.<nutrient>`), and whether any reads the basket."""
    reference = snapshot.reference
    keys = reference.nutrients.keys
    sources = [rule.when.source for rule in snapshot.rules.rules if rule.when is not None]
    for target in reference.targets:
        sources.append(target.when.source)
        if isinstance(target.amount, Expression):
            sources.append(target.amount.source)
    columns: set[int] = set()
    whole, basket = False, False
    for match in _READS.finditer("\n".join(sources)):
        if match[1] == "basket":
            basket = True
        elif match[3] in keys:
            columns.add(keys.index(match[3]))
        else:
            whole = True
    return (None if whole else tuple(sorted(columns))), basket


class CheckCache:
    """The refill job's evaluations, by their inputs, for one snapshot and day (the batch
    cache: kept across the chunks a worker runs), and the parts they are built from, each by
    exactly what it reads. All are bounded: the least recently used goes first."""

    def __init__(self, evaluations_kept: int = 2000, parts_kept: int = 20_000) -> None:
        self.snapshot: Snapshot | None = None
        self.evaluations: dict[Hashable, Evaluation] = {}
        self.contexts: dict[Hashable, ContextPart] = {}
        self.safety: dict[Hashable, SafetyPart] = {}
        self.over: dict[Hashable, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.evaluations_kept, self.parts_kept = evaluations_kept, parts_kept
        self.reads: tuple[tuple[int, ...] | None, bool] = (None, True)
        # evaluations built; context and safety parts worked out (the others were shared)
        self.counts = {"evaluations": 0, "contexts": 0, "safety": 0, "over": 0}

    def _for(self, snapshot: Snapshot) -> None:
        if snapshot is not self.snapshot:
            self.snapshot = snapshot
            self.evaluations.clear()
            self.contexts.clear()
            self.safety.clear()
            self.over.clear()
            self.reads = context_reads(snapshot)

    def evaluate(
        self,
        snapshot: Snapshot,
        profile: Profile,
        lines: list,
        today: dt.date,
        jurisdiction: str | None,
        profile_key: str | None = None,
    ) -> Evaluation:
        """`ranking.evaluate(snapshot, profile, lines, today, jurisdiction)` for a check."""
        self._for(snapshot)
        inputs = (snapshot, profile, lines, today, jurisdiction)
        key = (
            profile_key or repr(profile),
            tuple(
                (line.sku, line.servings_per_day, line.label, tuple(sorted(line.nutrients.items())))
                for _, line in lines
            ),
            today,
            jurisdiction,
        )
        ev = self.evaluations.pop(key, None)
        if ev is None:
            ev = self._build(inputs, key[0])
            _bounded(self.evaluations, self.evaluations_kept)
        self.evaluations[key] = ev  # the most recently used last
        return ev

    def _build(self, inputs: tuple, profile_key: str) -> CheckEvaluation:
        snapshot, profile, lines, today, jurisdiction = inputs
        self.counts["evaluations"] += 1
        reference, catalog = snapshot.reference, snapshot.catalog
        resolved = resolve_lines(lines, catalog, reference.nutrients)
        intake = total(resolved, len(reference.nutrients.keys))
        taken = {r.sku for r in resolved if r.sku}
        columns, basket = self.reads
        read = intake.tobytes() if columns is None else tuple(intake[list(columns)].tolist())
        key = (profile_key, today, read, tuple(sorted(taken)) if basket else ())
        rules = _shared(self.contexts, key, self.parts_kept)
        if rules is None:
            self.counts["contexts"] += 1
            rules = self.contexts[key] = context_part(snapshot, profile, intake, taken, today)
        key = safety_key(profile, jurisdiction)
        part = _shared(self.safety, key, self.parts_kept)
        if part is None:
            self.counts["safety"] += 1
            part = self.safety[key] = safety_part(snapshot, profile, jurisdiction)
        totals, over, upper = self._over(catalog, intake, part)
        excluded = dict(part.excluded)  # the same codes in the same order as safety_masks
        excluded["upper_limit"] = upper
        life_stage = life_stage_mask(catalog, reference, profile, totals)  # a day's total too
        if life_stage is not None:
            excluded["life_stage_maximum"] = life_stage
        if taken:
            excluded["already_taken"] = catalog.sku_mask(taken)
        ev = CheckEvaluation.__new__(CheckEvaluation)
        ev.__dict__.update(
            snapshot=snapshot,
            profile=profile,
            today=today,
            resolved=resolved,
            intake=intake,
            limits=part.limits,
            targets=rules.advice.targets,
            target_ids=rules.advice.target_ids,
            safety=SafetyResult(excluded, over, totals, part.triggered, part.food, part.room),
            matched_rules=rules.matched_rules,
            rule_excluded=rules.rule_excluded,
            rule_required=rules.rule_required,
            rule_weight=rules.rule_weight,
            advice=rules.advice,
            jurisdiction=jurisdiction,
        )
        return ev

    def _over(
        self, catalog: Any, intake: np.ndarray, part: SafetyPart
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`safety.over_limits` and its upper-limit mask, by exactly what they read: the
        intake, the limits and the room (the catalog's daily amounts are the snapshot's).
        Customers taking the same amounts share them (read-only)."""
        key = (intake.tobytes(), part.limits.tobytes(), part.room.tobytes())
        found = _shared(self.over, key, self.parts_kept)
        if found is None:
            self.counts["over"] += 1
            totals, over = over_limits(catalog.nutrients_per_day, intake, part.limits, part.room)
            found = (totals, over, np.asarray(over.any(axis=1)))
            for array in found:
                array.setflags(write=False)
            self.over[key] = found
        return found


def _shared(cache: dict, key: Hashable, kept: int) -> Any:
    """The part under `key`, now the most recently used; None (with room made) when none."""
    found = cache.pop(key, None)
    if found is None:
        _bounded(cache, kept)
        return None
    cache[key] = found
    return found


def _bounded(cache: dict, kept: int) -> None:
    while len(cache) >= max(kept, 8):
        del cache[next(iter(cache))]


def cached_evaluate(
    snapshot: Snapshot,
    profile: Profile,
    lines: list[tuple[str, Line]],
    today: dt.date,
    jurisdiction: str | None,
    cache: CheckCache | None,
    profile_key: str | None = None,
) -> Evaluation:
    """`evaluate`, through the batch job's `cache` where there is one."""
    if cache is None:
        return evaluate(snapshot, profile, lines, today, jurisdiction)
    return cache.evaluate(snapshot, profile, lines, today, jurisdiction, profile_key)


def as_taken(
    snapshot: Snapshot,
    profile: Profile,
    lines: list[tuple[str, Line]],
    supply: Supply,
    today: dt.date,
    jurisdiction: str | None,
    evaluations: CheckCache | None,
    ev: Evaluation,
    profile_key: str | None = None,
) -> Evaluation:
    """The evaluation that checks a product at the servings the customer takes: the label's
    daily dose is the item, and servings above the label's are counted as already taken (two
    tablets a day of a one-a-day product double its dose)."""
    label = snapshot.catalog.products[supply.index].servings_per_day
    if supply.servings_per_day <= label + 1e-9:
        return ev
    extra = (
        f"supply.{supply.sku}.extra",
        Line(sku=supply.sku, servings_per_day=supply.servings_per_day - label),
    )
    return cached_evaluate(
        snapshot, profile, [*lines, extra], today, jurisdiction, evaluations, profile_key
    )
