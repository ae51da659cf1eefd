"""The notices of a placement beside a buy_again or refills item that gives what they name:
"we suggest no more <nutrient>" is said with what the item is for (when what is taken runs out,
not on top of it), as /refills says it (split from serve.py)."""

from __future__ import annotations

import numpy as np

from ..refills.beside import above_limit_beside, reorder_text, stopped_unsuited
from .context import Pick, PlacementContext


def continuing(
    ctx: PlacementContext, picks: list[Pick], notices: list[dict[str, str]], locale: str
) -> list[dict[str, str]]:
    """Review s5 T5: next to a buy_again or refills item that gives a nutrient the person
    already takes enough of (the D3 she takes, reordered as it runs out), the notice "we
    suggest no more ..." says the item is for when what is taken runs out, not on top of it.
    Review s7 P4: next to a refills item that gives a nutrient an `intake_warning` names (a
    proposal held back unless every product the warning names has run out when it starts,
    purchased.py), the warning says the proposal is for when those products run out."""
    per_day = ctx.snapshot.catalog.nutrients_per_day
    keys = ctx.snapshot.reference.nutrients.keys
    given = {
        keys[c]
        for pick in picks
        if pick.strategy in ("buy_again", "refills")
        for c in np.flatnonzero(per_day[pick.index] > 0).tolist()
    }
    if not given:
        return notices
    config = ctx.snapshot.placements
    grouped = ctx.ev.offer.config.grouped
    refilled = np.zeros(len(keys), dtype=bool)
    for pick in picks:
        if pick.strategy == "refills":
            refilled |= per_day[pick.index] > 0
    products = ctx.snapshot.catalog.products
    picked = {products[p.index].sku for p in picks if p.strategy in ("buy_again", "refills")}
    out = []
    for n in notices:
        kind, _, key = n["code"].partition(":")
        if kind == "already_covered" and key in given:
            n = {**n, "text": f"{n['text']} {config.text('notice_covered_continued', locale)}"}
        elif kind == "intake_warning" and key in keys:
            warned = np.zeros(len(keys), dtype=bool)
            warned[keys.index(key)] = True
            if (grouped(keys, warned) & refilled).any():
                found = ctx.ev.offer.failing.get(keys.index(key))
                lines = ctx.ev.resolved
                named = {lines[i].sku or lines[i].name for i in found.lines} if found else set()
                one = len(named) == 1  # the warning names one product
                more = config.text(f"notice_warning_continued{'_one' if one else ''}", locale)
                # one the warning names is still taken beside it (the 20 µg D3 reordered
                # beside a calcium + 10 µg D3 that lasts): as /refills says it, where true
                # on each day a reorder starts (review s30c F8: not beside products that no
                # longer fit and last; refills/beside.reorder_text)
                if keys.index(key) in ctx.__dict__.get("_within_besides", ()):
                    more = _reorder_sentence(ctx, picks, keys.index(key), locale)
                n = {**n, "text": f"{n['text']} {more}"} if more else n
        elif kind == "product_not_suited" and ctx.refills is not None and "_plan" in ctx.__dict__:
            # what a refills or buy_again item stops as not suited (re-review s40a F2)
            n = stopped_unsuited([n], ctx.__dict__["_plan"], picked, ctx.refills, locale)[0]
        elif kind == "above_upper_limit":  # a replacement as it runs out, as /refills says
            index = ctx.snapshot.catalog.index  # (review s35d F3)
            pairs = [
                (index[p.extra["replaces"]], p.index)
                for p in picks
                if p.strategy == "refills" and p.extra.get("replaces") in index
            ]
            n = above_limit_beside(ctx.ev, n, pairs, locale)
        out.append(n)
    return out


def _reorder_sentence(ctx: PlacementContext, picks: list[Pick], column: int, locale: str) -> str:
    """/refills' sentence beside a warning of `column` (beside.reorder_text) for the refill
    picks of the e-mail, with the plan they came from; "" where none is true."""
    plan = ctx.__dict__.get("_refill_plan")
    if plan is None or ctx.refills is None:
        return ""
    picked = {pick.index for pick in picks if pick.strategy == "refills"}
    reordered = [d for d in plan.decisions if d.action != "stop" and d.index in picked]
    return reorder_text(ctx.ev, plan, reordered, column, ctx.refills, locale)
