"""Buy again: the products a customer bought that still fit the profile as it is now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..advice_extras import served_targets
from ..children import second_sources
from ..fastnp import nan_to_num
from ..needs import past_advice_warned_taken
from ..profile import Line, Profile
from ..ranking import Evaluation, evaluate, item_warnings
from ..snapshot import Snapshot
from ..target_priority import column_ranks
from ..vocabulary import LOCALES
from .lasting import list_instead
from .plan import _as_taken, fits, listed_and_due, plan_refills
from .render import product_item, runs_out_reason, stop_reasons
from .replace import outgrown
from .settings import RefillConfig
from .stopped import said_by
from .supplies import Purchase, Supply, basket_besides, supplies, taken_lines
from .why import exclusions, no_longer_fits, not_indicated


# ---------------------------------------------------------------- buy again
@dataclass(frozen=True)
class BuyAgain:
    """One product to buy again: its supply and the evaluation it was checked in."""

    supply: Supply
    ev: Evaluation
    stopped: Mapping[str, str] = field(default_factory=dict)  # the plan's (buy_again_ranked)

    @property
    def index(self) -> int:
        return self.supply.index

    @property
    def fields(self) -> dict[str, Any]:
        """The item fields buy again adds to the contract's: when bought, how much, run-out."""
        supply = self.supply
        return {
            "last_purchase": supply.last_purchase.isoformat(),
            "packs_bought": supply.packs,
            "runs_out_on": supply.runs_out_on.isoformat(),
        }


def buy_again_ranked(
    snapshot: Snapshot,
    config: RefillConfig,
    profile: Profile,
    purchases: list[Purchase],
    today: dt.date,
    *,
    limit: int = 10,
    basket: list[Line] | tuple[Line, ...] = (),
    jurisdiction: str | None = None,
    stopped: Mapping[str, str] | None = None,
) -> list[BuyAgain]:
    """Products the customer bought (in the last `buy_again_days`) that still fit the profile
    as it is now and are not in the basket already, most bought first (packs, then the latest
    purchase). The `account` placement's `buy_again` and `GET /v1/customers/{id}/buy-again`
    both read this list.

    A product in the basket is being bought again already: it is no item (review 10, review
    s11 F7: offered on top of its basket line it was checked without that line, 125 + 500 mg
    calcium with 2,000 mg from food above the 2,500 mg upper limit), and it takes no place of
    `limit`. Each other is checked like an item of a list (`fits`: every safety guarantee,
    merchandising excludes, the dose band) against the current supplements, the whole basket
    and the other supplies that still last (not against itself); one that does not fit any
    more is left out (the refills propose its replacement). Nothing when what is taken already
    crosses an upper limit, as for every list. Beside a product taken that no longer fits the
    profile it is checked as the reorder checks it (`exclusions` with that product no source
    of "enough", its amounts counted for every limit and maximum unless the plan stops it;
    review 9b F3, s39d F1).

    As the refills plan it (`stopped`: a lasting supply the reorder stops when its product
    starts -> that product's SKU; the plan's own when None): a stopped supply is not offered
    again, and its product is checked without it (review s35a F3: on digoxin, /refills
    reordered a D3 + K2 and stopped the K2 drops beside it, and buy again offered the drops
    and not the D3 + K2, which the lasting drops' vitamin K2 duplicated)."""
    since = today - dt.timedelta(days=config.buy_again_days)
    bought = supplies(snapshot, profile, [p for p in purchases if p.day >= since])
    if not bought:
        return []
    if stopped is None:
        stopped = _stopped(snapshot, config, profile, purchases, today, basket, jurisdiction)
    lasting = {s.sku: s.servings_per_day for s in bought if s.runs_out_on > today}
    bought = [s for s in bought if s.sku not in stopped]
    in_basket = {line.sku for line in basket if line.sku}
    # chosen by the advice each serves first, so that where two cannot be taken together the
    # one a pharmacist would keep stays; listed most bought first (session 18 re-review F7)
    base = evaluate(snapshot, profile, taken_lines(profile, set(), [], list(basket)), today)
    serves = _advice_served(base)
    # review 9b F3, s39d F1 (as the reorder's `cover`): what no longer fits the profile is no
    # source of "enough" (a pregnant woman's women's multivitamin beside her 25 µg D3)
    unfit = {
        sku
        for sku in [*lasting, *(x.sku for x in profile.current_supplements)]
        if sku and no_longer_fits(base, sku)
    }

    def enough_in(ev: Evaluation, counted: set[str], extra: list[tuple[str, float]]) -> Evaluation:
        if not unfit & {line.sku for line in ev.resolved if line.sku}:
            return ev
        kept = [(sku, n) for sku, n in extra if sku not in unfit]
        lines = taken_lines(profile, counted | unfit, kept, basket_besides(list(basket), unfit))
        return evaluate(snapshot, profile, lines, today, jurisdiction)

    def fits_beside(ev: Evaluation, index: int, besides: Evaluation, enough: Evaluation) -> bool:
        # fits `ev` (at the servings taken), nothing it adds covered by what is taken besides;
        # beside a product that no longer fits, as the reorder checks it (`exclusions` with
        # its `cover`): that one is said to stop, its totals count for the upper limits only
        if enough is besides:
            return bool(fits(ev, index)[index]) and not besides.offer.duplicated(index)
        return not exclusions(ev, index, besides, enough)

    ranked = sorted(bought, key=lambda s: (serves(s.index), *_most_bought(s)))
    chosen: list[BuyAgain] = []
    for supply in ranked:
        if supply.sku in in_basket:
            continue
        # what is taken besides it: the current supplements (those a lasting supply counts
        # already, and the product itself, left out), the other lasting supplies, the basket
        ends = set(said_by(stopped, supply.sku))  # stop as it starts
        others = sorted(sku for sku in lasting if sku != supply.sku and sku not in ends)
        extra = [(sku, lasting[sku]) for sku in others]
        lines = taken_lines(profile, {supply.sku, *others, *ends}, extra, list(basket))
        ev = evaluate(snapshot, profile, lines, today, jurisdiction)
        if ev.over_limit_now:
            return []
        # checked at the servings the customer takes, as the reorder is (check.as_taken)
        own = _as_taken(snapshot, profile, lines, supply, today, jurisdiction, None, ev)
        # and with the items listed before it: what is offered together stays within every
        # limit and life stage maximum (session 18 review F3: 45 µg vitamin D in pregnancy
        # from three items each checked alone); "covered" stays what is taken
        together, listed_besides = own, ev  # the latter without its own extra servings
        counted, besides = {supply.sku, *others, *ends}, extra
        if chosen:
            listed = [
                (c.supply.sku, c.supply.servings_per_day)
                for c in chosen
                if c.supply.sku not in lasting  # a lasting one counts already
            ]
            counted, besides = counted | set(dict(listed)), extra + listed
            more = taken_lines(profile, counted, besides, list(basket))
            before = listed_besides = evaluate(snapshot, profile, more, today, jurisdiction)
            together = _as_taken(snapshot, profile, more, supply, today, jurisdiction, None, before)
        # nothing it adds covered already by what is taken besides it (F12, review s4 R11)
        if (
            not own.over_limit_now
            and not together.over_limit_now
            and fits_beside(
                own, supply.index, ev, enough_in(ev, {supply.sku, *others, *ends}, extra)
            )
            # nor by the items listed before it (a folic acid + D3 tablet beside the pregnancy
            # multivitamin listed first; session 19), never by its own servings above the
            # label's (re-review 23r #2: the second of two 20 µg tablets a day is no source)
            and (
                listed_besides is ev
                or fits_beside(
                    together,
                    supply.index,
                    listed_besides,
                    enough_in(listed_besides, counted, besides),
                )
            )
            and not second_sources(together)[supply.index]  # a child's one product (s19 F2)
            # no iron for a man without a measured need (session 18 review F4)
            and not not_indicated(own, snapshot.catalog.nutrients_per_day[supply.index])
            # shown at the label's servings: checked at them (re-review 22 U3)
            and supply.index not in past_advice_warned_taken(own, as_taken=False)
            # a child's product nothing calls for any more, as the reorder leaves it out
            # (review s35a F3: a boy of 14's vitamin B6 5 mg, "no reason" on /refills)
            and not outgrown(profile, config, own, supply.index)
        ):
            chosen.append(BuyAgain(supply, own, stopped))
            if len(chosen) >= limit:
                break
    return sorted(chosen, key=lambda c: _most_bought(c.supply))


def _stopped(
    snapshot: Snapshot,
    config: RefillConfig,
    profile: Profile,
    purchases: list[Purchase],
    today: dt.date,
    basket: list[Line] | tuple[Line, ...],
    jurisdiction: str | None,
) -> Mapping[str, str]:
    """The refill plan's lasting supplies to stop when a product of its reorder starts: none
    where nothing is due (no reorder) or nothing lasts beside it (review s36c F7: the plan
    more than doubled the time of buy again)."""
    everything = supplies(snapshot, profile, purchases)
    # a current supplement named by SKU can be stopped too (review s39d F1: the women's
    # multivitamin a pregnant woman names beside her 25 µg D3 bought here)
    besides = len(everything) + sum(1 for x in profile.current_supplements if x.sku)
    if besides < 2 or not listed_and_due(config, everything, today)[1]:
        return {}
    plan = plan_refills(
        snapshot, config, profile, purchases, today, basket, jurisdiction, everything=everything
    )
    return plan.stopped


def _most_bought(supply: Supply) -> tuple[int, int, str]:
    """The order buy again lists in: packs, then the latest purchase, then the SKU."""
    return (-supply.packs, -supply.last_purchase.toordinal(), supply.sku)


def _advice_served(base: Evaluation) -> Callable[[int], tuple[int, ...]]:
    """A sort key per product (catalog index): how many advice gaps of each priority tier
    (targets.yaml `priorities`, first tier first) it gives something towards, negated. A
    pregnant woman who bought a 20 µg D3 three times and a folic acid + 10 µg D3 tablet once
    was offered the D3 alone: the tablet, checked after it, went above the 25 µg that suits
    pregnancy, and her buy-again had no folic acid (session 18 re-review F7)."""
    targets, ids = served_targets(base)
    keys = base.snapshot.reference.nutrients.keys
    ranks = column_ranks(base.snapshot.reference, keys, ids)
    gaps = nan_to_num(targets) > base.intake * (1 + 1e-9)
    per_day = base.snapshot.catalog.nutrients_per_day
    tiers = int(ranks.max()) + 1 if len(ranks) else 1

    def key(index: int) -> tuple[int, ...]:
        served = gaps & (per_day[index] > 0)
        return tuple(-int((served & (ranks == tier)).sum()) for tier in range(tiers))

    return key


def buy_again_reasons(
    config: RefillConfig,
    snapshot: Snapshot,
    supply: Supply,
    today: dt.date,
    locale: str,
    stopped: Mapping[str, str] | None = None,
) -> list[dict[str, str]]:
    """Why an item is offered again: bought before (when), when it runs out, and what to stop
    when it starts, as /refills says (`stopped`, the plan's; review s36d F2: a calcium + D3
    chew offered again with no word of the 25 µg D3 drops the reorder stops, 45 µg together)."""
    name = snapshot.catalog.products[supply.index].name[locale]
    reasons = [
        {
            "code": "bought_before",
            "text": config.text(
                "reason_bought_before", locale, date=config.date(supply.last_purchase, locale)
            ),
        }
    ]
    if supply.runs_out_on >= today - dt.timedelta(days=config.forget_after_days):
        reasons.append(runs_out_reason(config, name, supply.runs_out_on, today, locale))
    return reasons + stop_reasons(snapshot, config, stopped or {}, supply.sku, locale)


def buy_again(
    snapshot: Snapshot,
    config: RefillConfig,
    profile: Profile,
    purchases: list[Purchase],
    today: dt.date,
    *,
    locale: str = "nl",
    limit: int = 10,
    basket: list[Line] | tuple[Line, ...] = (),
    jurisdiction: str | None = None,
) -> list[dict[str, Any]]:
    """`buy_again_ranked` as items: the contract's item fields plus `last_purchase`,
    `packs_bought` and `runs_out_on`, with reasons and warnings in `locale`. None that gives a
    nutrient a product the customer's list names in place of another gives, as the `account`
    placement leaves them out (placements.replacing; review s38d F4: buy again offered a
    20 µg D3 spray where the account page named a 20 µg D3 in place of a multivitamin)."""
    from ..instead import shares

    ranked = buy_again_ranked(
        snapshot,
        config,
        profile,
        purchases,
        today,
        limit=limit,
        basket=basket,
        jurisdiction=jurisdiction,
    )
    if not ranked:
        return []
    lasting = [s for s in supplies(snapshot, profile, purchases) if s.runs_out_on > today]
    instead = list_instead((snapshot, profile, lasting, list(basket), today, jurisdiction))
    items = []
    for chosen in ranked:
        supply = chosen.supply
        if instead and shares(chosen.ev, instead, chosen.index):
            continue
        item = product_item(chosen.ev, supply.index, locale)
        item.update(
            {
                **chosen.fields,
                "reasons": buy_again_reasons(
                    config, snapshot, supply, today, locale, chosen.stopped
                ),
                "warnings": item_warnings(chosen.ev, supply.index, locale),
            }
        )
        items.append(item)
    return items


def buy_again_choices(
    snapshot: Snapshot,
    config: RefillConfig,
    profile: Profile,
    purchases: list[Purchase],
    today: dt.date,
    *,
    limit: int = 10,
    basket: list[Line] | tuple[Line, ...] = (),
    jurisdiction: str | None = None,
    stopped: Mapping[str, str] | None = None,
) -> list[tuple[int, Evaluation, dict[str, list[dict[str, str]]], dict[str, Any]]]:
    """For a placement's strategy chain (the `account` placement's `buy_again`): per product,
    its catalog index, the evaluation it was checked in, its reasons per locale and the extra
    item fields (`last_purchase`, `packs_bought`, `runs_out_on`)."""
    out = []
    for chosen in buy_again_ranked(
        snapshot,
        config,
        profile,
        purchases,
        today,
        limit=limit,
        basket=basket,
        jurisdiction=jurisdiction,
        stopped=stopped,
    ):
        supply = chosen.supply
        reasons = {
            locale: buy_again_reasons(config, snapshot, supply, today, locale, chosen.stopped)
            for locale in LOCALES
        }
        out.append((chosen.index, chosen.ev, reasons, chosen.fields))
    return out
