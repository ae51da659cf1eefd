"""The reorder: what is due, checked again against the profile as it is now, what is taken and
the basket; what no longer fits is left out when the reorder meets its need, else replaced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from ..profile import Line, Profile
from ..ranking import Evaluation
from ..snapshot import Snapshot
from .check import CheckCache
from .check import as_taken as _as_taken
from .check import cached_evaluate as _evaluate
from .hold_back import Reorder, hold_back
from .joined import Joined, stoppable
from .lasting import (
    Named,
    Verdicts,
    declared,
    joined_skus,
    keeps_enough,
    lost_with,
    stop_for_reorder,
    stop_unsuited,
    unfit_skus,
)
from .named_beside import Beside, checked_verdicts
from .replace import (
    MULTI_REPLACEMENTS,
    covered_by,
    fits,
    fits_days,
    next_replacement,
    no_advice,
    once,
    outgrown,
    reasoned,
    replacement,
    replacement_once,
    still_lost,
)
from .settings import RefillConfig
from .stopped import Stopped, said_by
from .supplies import (
    Purchase,
    Supply,
    basket_besides,
    listed_and_due,
    reorder_group,
    still_taken,
    supplies,
    taken_lines,
)
from .unfit_beside import Waiting, beside_unfit, move_stops
from .why import (
    ASK_ANYWAY,
    HELD_CODES,
    OVERLAP,
    above_now,
    above_with_food,
    exclusions,
    gives_alone,
    held_why,
    held_whys,
    own_failure,
)

# read from here by render, buy_again and the package (replace.py and why.py since their split)
__all__ = ["Decision", "RefillPlan", "exclusions", "fits", "listed_and_due", "once"]
__all__ += ["plan_refills", "replacement", "taken_lines", "basket_besides", "Stopped", "said_by"]


# ---------------------------------------------------------------- checks
@dataclass
class Decision:
    """What a reorder does with one product that runs out."""

    supply: Supply
    action: str  # "reorder", "replace" or "stop"
    index: int | None  # the product proposed (the same one, its replacement, or None)
    why: list[str]  # codes of the checks the product bought fails now
    ev: Evaluation  # the evaluation it was checked in (for texts and warnings)
    nutrients: dict[str, list[str]] = field(default_factory=dict)  # why code -> nutrient keys


@dataclass
class RefillPlan:
    today: dt.date
    listed: list[Supply]  # what runs out when (forgotten supplies left out)
    due: list[Supply]
    decisions: list[Decision]  # the reorder: one per product in it, soonest first
    base: Evaluation | None  # the profile with what it takes besides the reorder
    above_limit_now: bool = False
    # supplies still lasting, not in the reorder, that no longer fit: sku -> why (check_lasting)
    lasting_why: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # of those, one that no longer fits the profile (why.unfit_products): sku -> the product
    # for its need that fits now, with the evaluation it was chosen in (review 9b)
    lasting_replacements: dict[str, Named] = field(default_factory=dict)
    checked_all: bool = False  # every listed supply was checked (check_lasting)
    # lasting supplies to stop when a product of the reorder starts: sku -> that product's SKU
    # (lasting.stop_for_reorder: the only source of a nutrient goes on, session 18)
    stopped: Stopped = field(default_factory=lambda: Stopped())
    # what is taken now (the list's evaluation: every supply still lasting, the current
    # supplements, the basket), worked out when first read (`now`): its warnings are the
    # answer's notices (review s8 Q1, Q2)
    taken_now: Callable[[], Evaluation] | None = None

    @property
    def now(self) -> Evaluation | None:
        if "_now" not in self.__dict__:
            self.__dict__["_now"] = self.taken_now() if self.taken_now is not None else self.base
        return self.__dict__["_now"]

    @property
    def order_by(self) -> dt.date | None:
        return min((d.supply.runs_out_on for d in self.decisions), default=None)


def plan_refills(
    snapshot: Snapshot,
    config: RefillConfig,
    profile: Profile,
    purchases: list[Purchase],
    today: dt.date,
    basket: list[Line] | tuple[Line, ...] = (),
    jurisdiction: str | None = None,
    evaluations: CheckCache | None = None,
    check_lasting: bool = False,
    profile_key: str | None = None,
    everything: list[Supply] | None = None,
) -> RefillPlan:
    """What runs out when, and the reorder: every product due (running out within
    `remind_days_before`, or run out since at most `forget_after_days`) plus those running
    out within `combine_within_days` of the first due one. Each is checked in run-out order
    against the profile as it is now, what it takes (current supplements, supplies still
    lasting), the basket and the reorder's products before it; one that fails is replaced by
    a safe product of the same role, or left out. `evaluations` (the batch job's, check.py)
    shares the checks' evaluations and their parts across customers with the same profile
    (`profile_key`: the stored profile's digest). `check_lasting` also checks each supply
    that still lasts against the profile and the other supplies (what the customer
    takes now that no longer fits is worth saying before it runs out). `everything`: the
    supplies of `purchases` when the caller has them already (`supplies`)."""
    if everything is None:
        everything = supplies(snapshot, profile, purchases)
    listed, due = listed_and_due(config, everything, today)
    taking = [(s.sku, s.servings_per_day) for s in listed if s.runs_out_on > today]
    now_lines = taken_lines(profile, {sku for sku, _ in taking}, taking, list(basket))

    def taken_now() -> Evaluation:  # the same lines as the plan's first check where it can
        return _evaluate(
            snapshot, profile, now_lines, today, jurisdiction, evaluations, profile_key
        )

    def verdicts(reorder: Beside = (set(), [], {}), beside: bool = True) -> Verdicts:
        listing = (snapshot, profile, listed, list(basket), today, jurisdiction)
        return (
            checked_verdicts(listing, evaluations, reorder, beside) if check_lasting else ({}, {})
        )

    if not due:
        lasting_why, instead = verdicts()
        return RefillPlan(
            today,
            listed,
            due,
            [],
            None,
            lasting_why=lasting_why,
            lasting_replacements=instead,
            checked_all=check_lasting,
            taken_now=taken_now,
        )
    # review 16 F10: what is taken now (every supply still lasting, those of the reorder
    # included) already above an upper limit: nothing is reordered, as for every list; the
    # answer's notice says "we suggest nothing more" of this same evaluation
    group = reorder_group(config, listed, due, today)
    in_group = {s.sku for s in group}
    now = taken_now()
    if now.over_limit_now:
        lasting_why, instead = verdicts((in_group, [], {}), beside=False)
        crossed = above_now(now)
        stops = [_held(now, s, crossed) for s in group]
        return RefillPlan(
            today,
            listed,
            due,
            stops,
            now,
            above_limit_now=True,
            lasting_why={k: v for k, v in lasting_why.items() if k not in in_group},
            lasting_replacements=instead,
            checked_all=check_lasting,
            taken_now=lambda: now,
        )
    # supplies still lasting that are not reordered are taken meanwhile: they count
    lasting = [
        (s.sku, s.servings_per_day)
        for s in listed
        if s.sku not in in_group and s.runs_out_on > today
    ]
    # a current supplement stands for itself unless a supply counts it already (lasting, or in
    # the reorder): a purchase long ago of what the profile says is taken stays in the intake
    counted = in_group | {sku for sku, _ in lasting}
    # a basket line of a product the reorder holds, or of the one checked, is that reorder (put
    # in the cart from the reminder), not more; every other basket line counts (basket_besides)
    basket = list(basket)
    accepted: list[tuple[str, float]] = []
    base = None
    # above a limit only with food, nothing adding one of those is reordered or put in its place
    # (s29a F2); the rest goes on, one failing of itself is replaced by none of those (s35a F2)
    food, withheld = above_with_food(now)
    holds, withheld = held_whys(now, [s for s in group if s.sku in withheld], food)
    decided = {s.sku: Decision(s, "stop", None, list(w), now, w) for s, w in holds}
    failed = [(decided.pop(s.sku).supply, w) for s, w in holds if own_failure(w)]
    # what the reorder proposes for each supply (itself or its replacement); before a supply
    # runs out the product itself is still taken (review 9b finding 1)
    proposed: dict[str, tuple[str, float]] = {}

    def evaluate_lines(lines: list[tuple[str, Line]]) -> Evaluation:
        return _evaluate(snapshot, profile, lines, today, jurisdiction, evaluations, profile_key)

    # review 9b F3: what no longer fits is no source of "enough", nor the only one of a nutrient
    # (re-review s40a F1: a pregnant woman's folic acid + D3 beside a women's multivitamin)
    unfit = unfit_skus(now, listed, profile)

    def cover_of(ev: Evaluation, lines: list[tuple[str, Line]]) -> Evaluation | None:
        kept = [(key, line) for key, line in lines if not (line.sku and line.sku in unfit)]
        return None if len(kept) == len(lines) else evaluate_lines(kept)

    def on_days(supply: Supply, held: set[str]) -> list[list[tuple[str, Line]]]:
        return [
            taken_lines(profile, counted, lasting + extra, basket_besides(basket, held))
            for extra in still_taken(group, supply, today, proposed)
        ]

    alone = gives_alone(snapshot, profile, group, lasting, unfit)  # only sources first (s6 T6)
    undecided = [s for s in group if s.sku not in decided and s not in dict(failed)]
    for supply in sorted(undecided, key=lambda s: s.sku not in alone):
        held = {supply.sku, *(sku for sku, _ in accepted)}
        lines = taken_lines(profile, counted, lasting + accepted, basket_besides(basket, held))
        ev = evaluate_lines(lines)
        if base is None:
            base = ev
        # the day it starts and each day another due product runs out, then the reorder whole
        checked = None
        for day_lines in [*on_days(supply, held), lines]:
            day = ev if day_lines is lines else evaluate_lines(day_lines)
            if day.over_limit_now:
                why = above_now(day)
                decided[supply.sku] = Decision(supply, "stop", None, list(why), day, why)
                break
            own = _as_taken(
                snapshot,
                profile,
                day_lines,
                supply,
                today,
                jurisdiction,
                evaluations,
                day,
                profile_key,
            )
            why = exclusions(own, supply.index, day, cover_of(day, day_lines))
            if day_lines is not lines:  # a few days' overlap is no second source to stop
                why = {code: keys for code, keys in why.items() if code not in OVERLAP}
            if why:
                failed.append((supply, why))
                break
            # the first day's: its warnings count what is still taken
            checked = own if checked is None else checked
        else:
            unasked = outgrown(profile, config, checked or ev, supply.index)
            if unasked:  # review s34a F2: a child's kids' drops at 4 in NL, advice ended
                why = {"no_advice": unasked}
                decided[supply.sku] = Decision(supply, "stop", None, list(why), ev, why)
                continue
            decided[supply.sku] = Decision(supply, "reorder", supply.index, [], checked or ev)
            accepted.append((supply.sku, supply.servings_per_day))
            proposed[supply.sku] = accepted[-1]
    # then what no longer fits: its need met by the reorder already, a replacement, or neither
    kept_as_is = {sku for sku, d in decided.items() if d.action == "reorder"}
    stopped: dict[str, str] = {}
    unsuited_stops: set[str] = set()  # of those, what does not suit the life stage (s39d F1)
    seconds: dict[str, list[Decision]] = {}  # more replacements of a multivitamin (session 19)
    waiting: list[Waiting] = []  # settled after the others (unfit_beside)
    joins = Joined(snapshot.catalog)  # replaced together with a product of it (joined.py)

    def proposals(sku: str) -> list[int]:  # the products proposed for a supply
        both = [decided[sku], *seconds.get(sku, [])] if sku in decided else []
        return [d.index for d in both if d.action != "stop" and d.index is not None]

    for supply, why in failed:
        lasting, counted = joins.settle(proposals, lasting, counted, stopped)
        basket_now = basket_besides(basket, kept_as_is)
        lines = taken_lines(profile, counted, lasting + accepted, basket_now)
        ev = _evaluate(snapshot, profile, lines, today, jurisdiction, evaluations, profile_key)
        taken = [sku for sku, _ in lasting] + [x.sku for x in profile.current_supplements if x.sku]
        joined = stoppable(ev, joined_skus(ev, supply.index, taken))
        if joined:  # stopped with it where it goes on (review s36c F1; s41b F4: joined.py)
            lasting, counted = joins.join(supply.sku, joined, lasting, counted)
            lines = taken_lines(profile, counted, lasting + accepted, basket_now)
            ev = _evaluate(snapshot, profile, lines, today, jurisdiction, evaluations, profile_key)
        if ev.over_limit_now:
            why = above_now(ev)
            decided[supply.sku] = Decision(supply, "stop", None, list(why), ev, why)
            continue
        if covered_by(ev, supply.index, accepted):
            why = {"covered": [], **why}
            decided[supply.sku] = Decision(supply, "stop", None, list(why), ev, why)
            continue
        taken_days = on_days(supply, kept_as_is)
        days = [evaluate_lines(one) for one in taken_days]
        above = next((day for day in days if day.over_limit_now), None)
        if above is not None:  # what is still taken when its replacement would start
            why = above_now(above)
            decided[supply.sku] = Decision(supply, "stop", None, list(why), above, why)
            continue
        # a supplement the profile names counts as a lasting one here (re-review F3b)
        candidates = lasting + declared(profile, counted)
        stop = stop_for_reorder(snapshot, supply, why, candidates)
        # only a product still taken today, which the list counts too: its `instead` of what
        # stops is named beside it (re-review s40d F1, F2: beside a D3 that ran out the list
        # names a pregnancy multivitamin, with vitamin D, in place of the women's multivitamin)
        unsuited: set[str] = set()
        if supply.runs_out_on > today and not stop:
            own = _as_taken(snapshot, profile, lines, supply, today, jurisdiction, evaluations, ev)
            unsuited = stop_unsuited(own, supply, why, candidates)
        # not while a product of the reorder that gives what it gives is left out (or not yet
        # decided): its need would be served by nothing (re-review s40a F4: a pregnancy
        # multivitamin held back beside the women's multivitamin the D3 would stop)
        settling = {w.supply.sku for w in waiting}
        not_going_on = [
            s.index
            for s in group
            if s.sku != supply.sku
            and (s.sku not in decided or decided[s.sku].action == "stop")
            and s.sku not in settling
        ]
        if unsuited and lost_with(snapshot, unsuited, supply.index, not_going_on):
            unsuited = set()
        stop = stop or unsuited
        # the only source of a nutrient goes on, what only adds to it stops; or one that does
        # not suit the life stage as a whole stops for it (review s39d F1)
        if stop:
            rest = [(sku, n) for sku, n in lasting if sku not in stop]
            held = {supply.sku, *(sku for sku, _ in accepted)}
            counted_before, counted = counted, counted | stop
            then = taken_lines(profile, counted, rest + accepted, basket_besides(basket, held))
            without = evaluate_lines(then)
            own = _as_taken(
                snapshot,
                profile,
                then,
                supply,
                today,
                jurisdiction,
                evaluations,
                without,
                profile_key,
            )
            kept, lasting = lasting, rest  # on_days reads it: each day it is taken, fitting
            on = [evaluate_lines(day) for day in on_days(supply, kept_as_is)]
            if (
                not without.over_limit_now
                and not exclusions(own, supply.index, without)
                and (bool(unsuited) or keeps_enough(own, supply.index, stop))
                and all(not d.over_limit_now and fits(d)[supply.index] for d in on)
            ):  # the stopped ones no longer count for what follows
                stopped.update(dict.fromkeys(sorted(stop), supply.sku))
                unsuited_stops.update(unsuited)
                decided[supply.sku] = Decision(supply, "reorder", supply.index, [], own)
                accepted.append((supply.sku, supply.servings_per_day))
                proposed[supply.sku] = accepted[-1]
                joins.order.append(supply.sku)
                continue
            lasting, counted = kept, counted_before
        avoid = in_group | {sku for sku, _ in accepted} | withheld
        # one that fits every day it would be taken (review 9b finding 1), with a reason of its
        # own the day it starts (CI, stop 27: an omega-3 chew with vitamin D for an algae
        # omega-3 + D of a 3-year-old, beside the D3 tablet still taken: no call for it)
        shown = days[0] if days else ev  # its warnings count what is still taken
        chosen = (replacement_once(e, supply.index, avoid) for e in [ev, *days[:1]])
        other = next(
            (
                i
                for i in chosen
                if i is not None and fits_days([*days, ev], i) and reasoned(shown, i)
            ),
            None,
        )
        if other is None:
            unasked = [] if ASK_ANYWAY & set(why) else no_advice(ev, supply.index)
            if unasked:  # review s7 P11: outgrown, not needed; no call for advice
                why = {**why, "no_advice": unasked}
            decided[supply.sku] = Decision(supply, "stop", None, list(why), ev, why)
            if unfit - in_group:  # re-review s40c N1: settled after the others (unfit_beside)
                beside = [
                    (d, cover_of(d, one))
                    for d, one in [*zip(days, taken_days, strict=True), (ev, lines)]
                ]
                wait = beside_unfit(supply, why, avoid, beside, unfit - in_group)
                waiting += [wait] if wait is not None else []
            continue
        products = snapshot.catalog.products
        accepted.append((products[other].sku, float(products[other].servings_per_day)))
        proposed[supply.sku] = accepted[-1]
        joins.order.append(supply.sku)
        # and what a multivitamin served that these leave open, one at a time (session 19:
        # the iodine; review s36c F1: a breastfeeding vegan's vitamin D and iodine, both)
        named, extra = [other], []
        while len(named) < MULTI_REPLACEMENTS:
            held = kept_as_is | {products[i].sku for i in named}
            after = evaluate_lines(
                taken_lines(profile, counted, lasting + accepted, basket_besides(basket, held))
            )
            also = next_replacement(after, supply.index, named, avoid | held)
            if also is None or not (fits_days([*days, after], also) and reasoned(after, also)):
                break
            accepted.append((products[also].sku, float(products[also].servings_per_day)))
            named.append(also)
            extra.append((also, after))
        why = still_lost(snapshot, why, named)
        decided[supply.sku] = Decision(supply, "replace", other, list(why), shown, why)
        seconds[supply.sku] = [Decision(supply, "replace", i, list(why), e, why) for i, e in extra]
    lasting, counted = joins.settle(proposals, lasting, counted, stopped)
    said_also: dict[str, set[str]] = {}
    starts = {s.sku: max(today, s.runs_out_on) for s in group}
    for wait in waiting:  # checked beside the whole reorder, once what it needs stops
        if not wait.needs <= stopped.keys():
            continue
        supply, why = wait.supply, wait.why
        lines = taken_lines(
            profile, counted, lasting + accepted, basket_besides(basket, kept_as_is)
        )
        ev = evaluate_lines(lines)
        days = [evaluate_lines(one) for one in on_days(supply, kept_as_is)]
        shown = days[0] if days else ev
        if any(d.over_limit_now for d in [*days, ev]) or not (
            fits_days([*days, ev], wait.found) and reasoned(shown, wait.found)
        ):
            continue
        product = snapshot.catalog.products[wait.found]
        accepted.append((product.sku, float(product.servings_per_day)))
        proposed[supply.sku] = accepted[-1]
        why = still_lost(snapshot, why, [wait.found])
        decided[supply.sku] = Decision(supply, "replace", wait.found, list(why), shown, why)
        move_stops(stopped, said_also, wait, starts)
        joins.order.append(supply.sku)
    joins.first(proposals, stopped, said_also, starts)
    # review s38d F1, F5 (unsafe): a current supplement the profile names, due and left out
    # of the reorder, is still taken (the customer says so: bought elsewhere, or not stopped),
    # and what the reorder proposes must keep every guarantee beside it (a vegan of 92 on a
    # 75 µg D3 + K2 whose purchases here ran out was proposed a 20 µg D3 in place of kids'
    # gummies: 105 µg with food against 100)
    says = {x.sku for x in profile.current_supplements if x.sku}
    left = {s.sku for s in group if decided[s.sku].action == "stop"} & says
    if left:
        # the supplies lasting beside the reorder before any was stopped for a product of it
        before = [
            (s.sku, s.servings_per_day)
            for s in listed
            if s.sku not in in_group and s.runs_out_on > today
        ]
        reorder = Reorder(group, decided, seconds, accepted, stopped)
        hold_back(reorder, (profile, counted - left, lasting, before, basket), evaluate_lines)
    for supply, _ in failed:  # one proposed later in the order may serve its need (review 9b)
        d = decided[supply.sku]
        if d.action == "stop" and not {"covered", *HELD_CODES} & set(d.why):
            if covered_by(d.ev, supply.index, [a for a in accepted if a[0] != supply.sku]):
                d.nutrients = {"covered": [], **d.nutrients}
                d.why = list(d.nutrients)
    joins.unstop(proposals, stopped, said_also)  # s41d F2: what gave its nutrients left
    decisions = [d for s in group for d in (decided[s.sku], *seconds.get(s.sku, []))]
    ends = Stopped(stopped, unsuited_stops, joins.stops, said_also)
    lasting_why, instead = verdicts((in_group, accepted, ends.starting(proposals)))
    return RefillPlan(
        today,
        listed,
        due,
        decisions,
        base,
        above_limit_now=bool(base is not None and base.over_limit_now),
        lasting_why={k: v for k, v in lasting_why.items() if k not in in_group},
        lasting_replacements=instead,
        checked_all=check_lasting,
        taken_now=lambda: now,
        stopped=ends,
    )


def _held(now: Evaluation, supply: Supply, crossed: dict[str, list[str]]) -> Decision:
    """A product of the reorder held back for `crossed`, with what it fails of itself."""
    label = now.snapshot.catalog.products[supply.index].servings_per_day
    why = held_why(now, supply.index, crossed, supply.servings_per_day / label)
    return Decision(supply, "stop", None, list(why), now, why)
