"""Which rules hold for a profile: the active rules of a rule set, day and market, kept once
(a refresh asks it for every profile), and their conditions evaluated together
(expressions.holding), an exclude rule whose condition fails holding (review s39b F2)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from typing import Any

from .expressions import Expression, holding
from .rules import Rule, RuleSet

log = logging.getLogger("dosewise.core")

# (id of a rule set, day, market) -> (that rule set, its active rules, their conditions); a few
_ACTIVE: dict[
    tuple[int, dt.date, str], tuple[RuleSet, tuple[Rule, ...], tuple[Expression, ...]]
] = {}


def _active(rules: RuleSet, today: dt.date, market: str) -> tuple[Rule, ...]:
    """`rules.active(today, market)`, once per rule set, day and market (a refresh asks it
    for every profile): what it reads is the rule set, the day and the market only."""
    return _active_and_conditions(rules, today, market)[1]


def matched_rules(rules: RuleSet, today: dt.date, market: str, context: Any) -> list[Rule]:
    """The active rules whose condition holds for the compiled `context`: `[r for r in
    _active(rules, today, market) if r.when.holds(context)]` (expressions.holding).

    A condition that fails for this profile (`100 / (profile.age - 15)` at 15: `rules check`
    finds such an error only where a sample profile meets it) holds for an exclude rule, so
    its products stay out, and for no other action (review s39b F2: the children's vitamin K
    exclusion silently stopped excluding at 15). It holds as a rule without `taken`: nothing
    taken is called unsuitable, and nobody told to stop it, on a condition that could not be
    worked out (review s39c F3: a pregnant woman's pregnancy multivitamin). Each such rule
    and error is logged once per process (`rule_condition_failed`)."""
    known = _active_and_conditions(rules, today, market)
    failed: list[tuple[Rule, str]] = []
    out = holding(known[1], known[2], context, failed)
    if failed:
        for rule, error in failed:
            _report_failed(rule, error)
        held = {id(r): _offers_only(r) for r, _ in failed if r.action == "exclude"}
        chosen = {id(r) for r in out} | set(held)
        # in the order of rules.active
        out = [held.get(id(r), r) for r in known[1] if id(r) in chosen]
    return out


def _offers_only(rule: Rule) -> Rule:
    """`rule` keeping its products out of what is offered, saying nothing of one taken."""
    return replace(rule, taken=None) if rule.taken else rule


_REPORTED: set[tuple[str, str, str]] = set()


def _report_failed(rule: Rule, error: str) -> None:
    key = (rule.file, rule.id, error)
    if key in _REPORTED or len(_REPORTED) > 1000:
        return
    _REPORTED.add(key)
    effect = (
        "holds: its products stay out of what is offered (one taken is not called unsuitable)"
        if rule.action == "exclude"
        else "does not hold"
    )
    log.warning(
        "rule_condition_failed: %s:%d rule %s: %s; for such a profile the rule %s",
        rule.file,
        rule.line,
        rule.id,
        error,
        effect,
    )


def _active_and_conditions(
    rules: RuleSet, today: dt.date, market: str
) -> tuple[RuleSet, tuple[Rule, ...], tuple[Expression, ...]]:
    key = (id(rules), today, market)
    known = _ACTIVE.get(key)
    if known is None or known[0] is not rules:
        if len(_ACTIVE) > 256:
            _ACTIVE.clear()
        active = tuple(rules.active(today, market))
        known = _ACTIVE[key] = (rules, active, tuple(r.when for r in active))
    return known
