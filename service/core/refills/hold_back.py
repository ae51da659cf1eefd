"""The reorder beside what the customer says they take (review s38d F1, F5, unsafe): a current
supplement the profile names that is due and left out of the reorder is still taken (bought
elsewhere, or simply not stopped), so every product the reorder proposes must keep every
guarantee beside it, or is held back with why (plan.plan_refills)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..profile import Line, Profile
from ..ranking import Evaluation
from .replace import covered_by
from .supplies import basket_besides, taken_lines
from .why import above_now, exclusions

if TYPE_CHECKING:
    from .plan import Decision
    from .supplies import Supply

# (the profile, the SKUs a supply counts, the supplies lasting beside the reorder, those
# lasting before any was stopped for a product of it, the basket)
Day = tuple[Profile, set[str], list[tuple[str, float]], list[tuple[str, float]], list[Line]]


@dataclass
class Reorder:
    """The plan's reorder as it is being decided: one decision per supply of `group`, more
    replacements of a multivitamin (`seconds`), the products proposed (`accepted`: SKU,
    servings a day) and the lasting supplies stopped for one of them (`stopped`)."""

    group: list[Supply]
    decided: dict[str, Decision]
    seconds: dict[str, list[Decision]]
    accepted: list[tuple[str, float]]
    stopped: dict[str, str]


def hold_back(
    reorder: Reorder, day: Day, evaluate_lines: Callable[[list[tuple[str, Line]]], Evaluation]
) -> None:
    """Each product `reorder` proposes checked on the day of everything else (`day`), until
    none is held back: one that breaks a guarantee there becomes a "stop" with why and leaves
    the reorder; a lasting supply stopped for a product held back is taken again (review s38f
    F1: "stop it when you start the new pack" of a multivitamin no longer proposed), and the
    first decision of a supply is the first of its decisions still proposed."""
    profile, counted, lasting, before, basket = day
    restored: set[str] = set()
    changed = True
    while changed:
        changed = False
        # the supplies still proposed (itself, or a replacement: the stop moved to it, session 41)
        proposed = {sku for sku, d in reorder.decided.items() if d.action != "stop"}
        for sku in [k for k, by in reorder.stopped.items() if by not in proposed]:
            del reorder.stopped[sku]
            restored.add(sku)
        # taken again: a supply as it lasts, a current supplement as the profile names it
        again = [x for x in before if x not in lasting and x[0] in restored]
        named = restored - {sku for sku, _ in before}
        beside = (profile, counted - named, lasting + again, basket)
        for supply in reorder.group:
            both = (reorder.decided[supply.sku], *reorder.seconds.get(supply.sku, []))
            kept = []
            for decision in both:
                ev = _breaks(decision, reorder.accepted, beside, evaluate_lines)
                if ev is None:
                    kept.append(decision)
                    continue
                _hold(decision, ev, reorder.accepted)
                changed = True
            first = (kept or [both[0]])[0]
            reorder.decided[supply.sku], reorder.seconds[supply.sku] = first, kept[1:]
    for supply in reorder.group:  # "another product in this order serves" only of what is in it
        decision = reorder.decided[supply.sku]
        rest = [a for a in reorder.accepted if a[0] != supply.sku]
        if "covered" in decision.nutrients and not covered_by(decision.ev, supply.index, rest):
            decision.nutrients = {k: v for k, v in decision.nutrients.items() if k != "covered"}
            decision.why = list(decision.nutrients)


def _breaks(
    decision: Decision,
    accepted: list[tuple[str, float]],
    beside: tuple[Profile, set[str], list[tuple[str, float]], list[Line]],
    evaluate_lines: Callable[[list[tuple[str, Line]]], Evaluation],
) -> Evaluation | None:
    """The day of everything else where the product `decision` proposes breaks a guarantee
    (upper limits with food, the life stage's maxima, interactions: `SafetyResult.allowed`;
    the dose band was checked where it was chosen): what the profile says is taken, the
    supplies lasting, the basket and the rest of the reorder. None where it keeps them all,
    or proposes nothing."""
    if decision.index is None:
        return None
    profile, counted, lasting, basket = beside
    index = decision.index
    sku = decision.ev.snapshot.catalog.products[index].sku
    others = [a for a in accepted if a[0] != sku]
    held = {a[0] for a in accepted}
    ev = evaluate_lines(
        taken_lines(profile, counted, lasting + others, basket_besides(basket, held))
    )
    allowed = ev.safety.allowed()
    if decision.action == "reorder":  # what is taken already is no reason for a reorder
        allowed[index] = ev.safety.allows_continuing(index)
    return ev if ev.over_limit_now or not allowed[index] else None


def _hold(decision: Decision, ev: Evaluation, accepted: list[tuple[str, float]]) -> None:
    """`decision` a "stop" with why on `ev`; its product leaves `accepted`."""
    index = decision.index
    assert index is not None
    sku = ev.snapshot.catalog.products[index].sku
    why = above_now(ev) if ev.over_limit_now else exclusions(ev, index)
    decision.action, decision.index, decision.ev = "stop", None, ev
    decision.why, decision.nutrients = list(why), why
    accepted[:] = [a for a in accepted if a[0] != sku]
