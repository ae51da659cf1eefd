"""The strategies that work from a stored customer's purchases (issue 11 points 4 and 5): the
`account` placement's `buy_again` and the `email` placement's `refills`.

Both call the refill helper (service/core/refills: run-out dates, the reorder checked again
against the profile as it is now) and never decide safety themselves; each item they yield is
then held to the plain list's masks once more (`_passes`): every safety guarantee in the
evaluation it was checked in, the shop's excludes and requirements the placement takes, and
the request's own filters. Without purchases (a request that names no stored customer) or
without refill settings they yield nothing, and the chain goes on to its next strategy.
"""

from __future__ import annotations

from ..profile import Line
from ..ranking import Evaluation
from ..refills import buy_again_choices, plan_refills
from ..refills.render import runs_out_reason
from ..vocabulary import LOCALES
from .context import Pick, PlacementContext


def _passes(ctx: PlacementContext, ev: Evaluation, index: int) -> bool:
    """The plain list's masks for one item, in the evaluation it was checked in (the one that
    counts what the customer takes besides it), plus the request's filters."""
    if ev.over_limit_now or ctx.ev.over_limit_now:
        return False
    return bool(
        ev.safety.allowed()[index]
        and not ev.rule_excluded[index]
        and ev.rule_required[index]
        and ctx.request_mask()[index]
    )


def _basket(ctx: PlacementContext) -> list[Line]:
    return list(ctx.request.basket)


def buy_again(ctx: PlacementContext, limit: int) -> list[Pick]:
    """Products the customer bought that still fit the profile as it is now (the refill
    helper's `buy_again_choices`), most bought first, with when each runs out."""
    if not ctx.purchases or ctx.refills is None:
        return []
    request = ctx.request
    chosen = buy_again_choices(
        ctx.snapshot,
        ctx.refills,
        request.profile,
        list(ctx.purchases),
        ctx.today,
        limit=limit,
        basket=_basket(ctx),
        jurisdiction=request.jurisdiction,
    )
    return [
        Pick(index, float(ev.raw[index]), ev, "buy_again", reasons, extra)
        for index, ev, reasons, extra in chosen
        if _passes(ctx, ev, index)
    ]


def refills(ctx: PlacementContext, limit: int) -> list[Pick]:
    """What runs out soon, as the refill helper's reorder proposes it: the product again where
    it still fits, its safe replacement where it no longer does (never the product that no
    longer fits), soonest first."""
    if not ctx.purchases or ctx.refills is None:
        return []
    config, snapshot, request = ctx.refills, ctx.snapshot, ctx.request
    plan = plan_refills(
        snapshot,
        config,
        request.profile,
        list(ctx.purchases),
        ctx.today,
        _basket(ctx),
        request.jurisdiction,
    )
    products = snapshot.catalog.products
    picks = []
    for decision in plan.decisions:
        index, ev, supply = decision.index, decision.ev, decision.supply
        if decision.action == "stop" or index is None or not _passes(ctx, ev, index):
            continue
        reasons = {}
        for locale in LOCALES:
            name = products[supply.index].name[locale]
            own = [runs_out_reason(config, name, supply.runs_out_on, ctx.today, locale)]
            if decision.action == "replace":
                text = config.text("reason_replaces", locale, name=name)
                own.append({"code": "replaces", "text": text})
            reasons[locale] = own
        extra = {
            "action": decision.action,
            "for_sku": supply.sku,
            "runs_out_on": supply.runs_out_on.isoformat(),
        }
        if decision.action == "replace":
            extra["replaces"] = supply.sku
        picks.append(Pick(index, float(ev.raw[index]), ev, "refills", reasons, extra))
        if len(picks) >= limit:
            break
    return picks
