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

import datetime as dt
from dataclasses import replace

import numpy as np

from ..advice_texts import line_names
from ..amounts import above
from ..doctor_reach import doctor_short_reach
from ..instead_switch import switch_reason
from ..profile import Line
from ..ranking import Evaluation, evaluate
from ..refills import (
    RefillPlan,
    Supply,
    buy_again_choices,
    listed_and_due,
    plan_refills,
    supplies,
)
from ..refills.beside import CONTINUED_KINDS, supply_ends
from ..refills.render import as_taken_view, replaces_key, runs_out_reason, stop_reasons
from ..refills.why import no_longer_fits
from ..safety import planning_pregnancy
from ..vocabulary import LOCALES
from .context import Pick, PlacementContext

Ends = dict[str, dt.date]  # a supply's SKU -> the day it runs out


def _passes(ctx: PlacementContext, ev: Evaluation, index: int, continuing: bool = False) -> bool:
    """The plain list's masks for one item, in the evaluation it was checked in (the one that
    counts what the customer takes besides it), plus the request's filters. A product bought
    again or reordered (`continuing`) is checked where its own servings above the label's
    count as taken: that is no reason to leave it out (`already_taken`; review 23p #1, two
    10 µg D3 tablets a day)."""
    if ev.over_limit_now or ctx.ev.over_limit_now:
        return False
    safe = ev.safety.allows_continuing(index) if continuing else ev.safety.allowed()[index]
    return bool(
        safe
        and not ev.rule_excluded[index]
        and ev.rule_required[index]
        and ctx.request_mask()[index]
    )


def _now_besides(
    ctx: PlacementContext, skus: frozenset[str], added: tuple[tuple[str, float], ...] = ()
) -> Evaluation:
    """The list's own evaluation (what the customer takes now: the supplies still lasting
    included, the one the notices speak of) without the lines of `skus` (the product
    proposed and the one it replaces: a reorder continues, a replacement takes the place of
    what it replaces) and with `added` (sku, servings a day) on top; worked out once."""
    memo = ctx.__dict__.setdefault("_now_besides", {})
    key = (skus, added)
    if key not in memo:
        ev = ctx.ev
        lines = [(r.path, r.line) for r in ev.resolved if not (r.sku and r.sku in skus)]
        if len(lines) == len(ev.resolved) and not added:
            memo[key] = ev
        else:
            lines += [
                (f"proposed.{sku}", Line(sku=sku, servings_per_day=servings))
                for sku, servings in added
            ]
            profile, jurisdiction = ctx.request.profile, ctx.request.jurisdiction
            memo[key] = evaluate(ctx.snapshot, profile, lines, ctx.today, jurisdiction)
    return memo[key]


def _blocked_now(
    ctx: PlacementContext,
    index: int,
    supply: Supply,
    ends: Ends,
    leaving: frozenset[str] | set[str] = frozenset(),
) -> tuple[int, list[int]] | None:
    """Review s5 S5: a reorder or replacement adds no nutrient the answer's own warning names
    (`intake_warning:<nutrient>`: what is taken now fails a guarantee) while a product the
    warning names is still taken. A proposal starts when the supply it continues or replaces
    runs out (today, when it has run out already): it is held back when, on that day, a line
    giving the nutrient is still taken (a supply lasting longer, a current supplement the
    profile names, a basket line), not when every such line has run out by then (review s7
    P4: the folic acid + 10 µg D tablet reordered as it and the 25 µg D3 run out, the 35 µg
    warned of now). The refill plan checked the proposal against what is taken besides it
    then, as /refills proposes it; the notice says it is for when those products run out.
    What is taken enough of is no reason here (review s6 T5). Returns the warned nutrient's
    column and the lines of `ctx.ev` still taken then, or None. `leaving`: SKUs the reorder
    leaves out, no reason to hold back for the dose band (the plan's overlap, session 18)."""
    catalog, keys = ctx.snapshot.catalog, ctx.snapshot.reference.nutrients.keys
    now = ctx.ev
    gives = catalog.nutrients_per_day[index] > 0
    start = max(ctx.today, supply.runs_out_on)
    for column, found in now.offer.failing.items():
        if now.intake[column] <= 0:
            continue
        warned = np.zeros(len(keys), dtype=bool)
        warned[column] = True
        if not (gives & now.offer.config.grouped(keys, warned)).any():
            continue
        lasting = []
        for line in found.lines:
            sku = now.resolved[line].sku
            if sku == supply.sku:  # what the proposal continues or replaces
                continue
            if sku in leaving and found.kind == "dose_band":
                continue
            end = ends.get(sku) if sku else None
            if end is None or end > start:
                lasting.append(line)
        # what is still taken then, with the proposal, within the maximum crossed now is no
        # reason to hold it back (session 18 re-review F3a: 5 µg of her own drops and the
        # pregnancy multivitamin's 10 µg, the 20 µg D3 stopped)
        then = sum(float(now.resolved[line].amounts[column]) for line in lasting)
        then += float(catalog.nutrients_per_day[index, column])
        if found.maximum is not None and not above(then, found.maximum):
            if lasting:  # continued.continuing: not "for when these products run out" (s30)
                ctx.__dict__.setdefault("_within_besides", set()).add(column)
            continue
        # within once the lasting products that no longer fit stop: proposed, as /refills
        # proposes it, beside /refills' sentence that names them (beside.reorder_text;
        # session 31: the e-mail held the boy's D3 back "ask which of these to continue")
        unfit = [line for line in lasting if no_longer_fits(now, now.resolved[line].sku)]
        kept = then - sum(float(now.resolved[line].amounts[column]) for line in unfit)
        # and a product unsuitable in the life stage as a whole (no amount crossed): its
        # failure is its own, and stopping it leaves nothing of that failure (review s38d F3: a
        # pregnant woman's folate reorder was held back "more folic acid than suits you" for
        # kids' gummies the same e-mail said to stop, 480 µg in all against the 1,000 µg limit)
        within = (
            found.kind in CONTINUED_KINDS
            and found.maximum is not None
            and not above(kept, found.maximum)
        )
        if unfit and (within or found.kind == "life_stage" and set(lasting) <= set(unfit)):
            ctx.__dict__.setdefault("_within_besides", set()).add(column)
            continue
        if lasting:
            return column, lasting
    return None


def _held_back_notice(
    ctx: PlacementContext, supply: Supply, blocked: tuple[int, list[int]]
) -> None:
    """`refill_held_back:<SKU>` (in `ctx.notices`, every locale): a supply running out whose
    reorder `_blocked_now` holds back says so, with the products still taken then that make
    the warned total, and whom to ask (the midwife in pregnancy and while
    breastfeeding or planning one). Without it the e-mail said only "you already take
    enough ..." of a product running out in two days (review s7's P4 variant)."""
    column, lines = blocked
    config, products = ctx.refills, ctx.snapshot.catalog.products
    if config is None:
        return
    ev, nutrients = ctx.ev, ctx.snapshot.reference.nutrients
    profile = ctx.request.profile
    midwife = profile.life_stage != "none" or planning_pregnancy(profile)
    key = "notice_refill_held_back" + ("_midwife" if midwife else "")
    for locale in LOCALES:
        text = ctx.snapshot.placements.text(
            key,
            locale,
            product=products[supply.index].name[locale],
            date=config.date(max(ctx.today, supply.runs_out_on), locale),
            products=line_names(ev, tuple(lines), locale),
            nutrient=nutrients.name(nutrients.keys[column], locale),
        )
        ctx.notices.setdefault(locale, []).append(
            {"code": f"refill_held_back:{supply.sku}", "text": text}
        )


def counting_proposals(ctx: PlacementContext, picks: list[Pick]) -> PlacementContext:
    """The context the strategies after `buy_again` or `refills` work in: the products they
    proposed count as taken (at their label dose), in place of what they replace or continue,
    so a later strategy offers no second source of what a proposal gives (review s5 S5: no
    folic acid tablet after a pregnancy multivitamin)."""
    products = ctx.snapshot.catalog.products
    return counting_proposed(
        ctx, [(p.index, str(p.extra.get("for_sku", products[p.index].sku))) for p in picks]
    )


def counting_proposed(ctx: PlacementContext, proposed: list[tuple[int, str]]) -> PlacementContext:
    """`counting_proposals` from (product index, the SKU it replaces or continues) pairs: what
    the experiments' safety check (experiments/safety.py) reads back from an answer."""
    products = ctx.snapshot.catalog.products
    skus, added = set(), []
    for index, for_sku in proposed:
        product = products[index]
        skus |= {product.sku, for_sku}
        added.append((product.sku, float(product.servings_per_day)))
    if not added:
        return ctx
    ev = _now_besides(ctx, frozenset(skus), tuple(added))
    out = replace(ctx)
    out.__dict__["ev"] = ev  # the cached_property, computed
    # review 9b finding 2: what a later strategy offers starts at once, beside what is taken
    # now (a supply the proposal replaces lasts until it runs out): it passes the list's
    # masks with what is taken now too (no vitamin D on top of a 100 µg still taken, where
    # room is 0) and is no second source of what the notices say "no more" of
    now = ctx.ev
    mask = ctx.base(now) & ~now.offer.duplicate
    # nor a second product of a doctor's dose its notice says not to make up with one (review
    # 22 F2: the e-mail's cod-liver oil for 10 µg more beside the reorder of a 75 µg D3 and
    # "do not take a second product with vitamin D to make up the rest")
    mask &= ~_second_of_doctors_dose(now, [index for index, _ in proposed])
    out.__dict__["request_mask"] = lambda: mask & ctx.request_mask()
    return out


def _second_of_doctors_dose(ev: Evaluation, proposed: list[int]) -> np.ndarray:
    """Products giving a nutrient of a doctor's dose that one product reaches only in part
    (`doctor_short_reach`: its notice says not to make up the rest with a second product)
    that a proposal gives already."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    short = [c for c in doctor_short_reach(ev) if (per_day[proposed, c] > 0).any()]
    if not short:
        return np.zeros(len(per_day), dtype=bool)
    return np.asarray((per_day[:, short] > 0).any(axis=1))


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
        stopped=_plan(ctx).stopped,  # as /refills and buy again (review s35a F3)
    )
    # a product already in the basket is no item to buy again (review 10): buy_again_ranked
    # leaves it out, for this placement and the buy-again GET alike (review s11 F7)
    return [
        Pick(index, float(ev.raw[index]), ev, "buy_again", reasons, extra)
        for index, ev, reasons, extra in chosen
        if _passes(ctx, ev, index, continuing=True)
    ]


def _plan(ctx: PlacementContext) -> RefillPlan:
    """The refill plan of the customer's purchases, made once per answer for the refills and
    buy again strategies."""
    plan = ctx.__dict__.get("_plan")
    if plan is None:
        assert ctx.refills is not None
        plan = ctx.__dict__["_plan"] = plan_refills(
            ctx.full_snapshot or ctx.snapshot,
            ctx.refills,
            ctx.request.profile,
            list(ctx.purchases or ()),
            ctx.today,
            _basket(ctx),
            ctx.request.jurisdiction,
        )
    return plan


def refills(ctx: PlacementContext, limit: int) -> list[Pick]:
    """What runs out soon, as the refill helper's reorder proposes it: the product again where
    it still fits, its safe replacement where it no longer does (never the product that no
    longer fits), soonest first."""
    if not ctx.purchases or ctx.refills is None:
        return []
    config, snapshot, request = ctx.refills, ctx.snapshot, ctx.request
    plan = _plan(ctx)
    products = snapshot.catalog.products
    ctx.__dict__["_refill_plan"] = plan  # continued.continuing words the warning beside it
    # a lasting supply the plan stops for a product of the reorder ends when that one starts
    # (session 18 review F1: the pregnancy multivitamin, her only folic acid, goes on and the
    # lasting 20 µg D3 stops), and one it leaves out is no longer taken for a warning of the
    # dose band, the plan's own overlap of a few days (review F2: the calcium + D3 reorder held
    # back for 2 more days of a 25 µg D3 the reorder leaves out)
    ends: Ends = supply_ends(plan)
    leaving = {d.supply.sku for d in plan.decisions if d.action == "stop"}
    # a product already in the basket is being bought: no reorder of it, as buy_again leaves
    # it out (review 11 R11-12: the refill e-mail proposed the calcium in the basket)
    in_basket = {line.sku for line in request.basket if line.sku}
    picks = []
    for decision in plan.decisions:
        index, ev, supply = decision.index, decision.ev, decision.supply
        if decision.action == "stop" or index is None:
            continue
        if not _passes(ctx, ev, index, continuing=decision.action == "reorder"):
            continue
        if products[index].sku in in_basket:
            continue
        blocked = _blocked_now(ctx, index, supply, ends, leaving)
        if blocked is not None:
            _held_back_notice(ctx, supply, blocked)
            continue
        reasons = {}
        for locale in LOCALES:
            name = products[supply.index].name[locale]
            own = [runs_out_reason(config, name, supply.runs_out_on, ctx.today, locale)]
            sku = products[index].sku
            own += stop_reasons(snapshot, config, plan.stopped, supply.sku, locale, sku)
            if decision.action == "replace":
                text = config.text(replaces_key(decision.why), locale, name=name)
                own.append({"code": "replaces", "text": text})
                own += [r for r in [switch_reason(ev, (supply.index,), locale)] if r]
            reasons[locale] = own
        extra = {
            "action": decision.action,
            "for_sku": supply.sku,
            "runs_out_on": supply.runs_out_on.isoformat(),
        }
        if decision.action == "replace":
            extra["replaces"] = supply.sku
        else:  # at the servings taken, as GET /refills shows it (re-review 22 U3, 22b U1)
            extra.update(as_taken_view(products[index], supply.servings_per_day))
        picks.append(Pick(index, float(ev.raw[index]), ev, "refills", reasons, extra))
        if len(picks) >= limit:
            break
    return picks


def reorders_together(ctx: PlacementContext, picks: list[Pick]) -> list[Pick]:
    """Review s13 F13: `picks` with the advice reasons of each `refills` pick worked out
    against the same set: every other reorder of the e-mail (at the servings it is proposed
    at) and what is still taken the day it starts (the list's lines without the supplies run
    out by then). The refill plan checks them one after another, each beside those before it:
    of a calcium + 10 µg D3 and a 10 µg D3 that run out the same day, one reason counted the
    other ("with the 10 µg from your other supplements that is 20 µg") and one did not."""
    mine = [p for p in picks if p.strategy == "refills"]
    if not mine or not ctx.purchases or ctx.refills is None:
        return picks
    products = ctx.snapshot.catalog.products
    everything = supplies(ctx.snapshot, ctx.request.profile, list(ctx.purchases))
    listed = {s.sku: s for s in listed_and_due(ctx.refills, everything, ctx.today)[0]}

    def taken(pick: Pick) -> tuple[str, float]:  # a reorder at the servings the customer takes
        product, supply = products[pick.index], listed.get(str(pick.extra["for_sku"]))
        if pick.extra.get("action") == "reorder" and supply is not None:
            return product.sku, float(supply.servings_per_day)
        return product.sku, float(product.servings_per_day)

    proposed = {p.index: taken(p) for p in mine}
    every = {sku for p in mine for sku in (products[p.index].sku, str(p.extra["for_sku"]))}
    out = []
    for pick in picks:
        if pick.strategy != "refills":
            out.append(pick)
            continue
        start = max(ctx.today, dt.date.fromisoformat(str(pick.extra["runs_out_on"])))
        ended = {sku for sku, s in listed.items() if s.runs_out_on <= start}
        added = [proposed[p.index] for p in mine if p is not pick]
        sku, servings = proposed[pick.index]
        label = float(products[pick.index].servings_per_day)
        if servings > label + 1e-9:  # its own servings above the label's (review 9b F5)
            added.append((sku, servings - label))
        ev = _now_besides(ctx, frozenset(every | ended), tuple(added))
        out.append(replace(pick, reasons_ev=ev))
    return out
