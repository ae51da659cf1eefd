"""What the supplies still lasting that no longer fit name `instead`, checked day by day beside
everything else the answer has the customer take (s41e F1, F3): what is still taken today, and
once the reorder starts, what it proposes; and each product beside what the other entries
name, as one who follows the whole answer takes them together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ..children import second_sources
from ..profile import Line, Profile
from ..ranking import Evaluation
from ..snapshot import Snapshot
from .check import CheckCache, cached_evaluate
from .lasting import Named, Verdicts, lasting_verdicts, unfit_skus
from .replace import fits
from .supplies import Supply, basket_besides, taken_lines

# (what is reordered: its SKUs, the products it proposes (SKU, servings a day), the lasting
# supplies it stops when a product of it starts -> the products whose start stops them)
Beside = tuple[set[str], list[tuple[str, float]], Mapping[str, list[int]]]


def checked_verdicts(
    listing: tuple[Snapshot, Profile, list[Supply], list[Line], dt.date, str | None],
    evaluations: CheckCache | None,
    reorder: Beside,
    beside: bool = True,
) -> Verdicts:
    """`lasting.lasting_verdicts` judged beside what the `reorder` proposes (`beside`; not
    where nothing is reordered, as what is taken now is above a limit), what it names checked
    by `named_beside`."""
    snapshot, profile, listed, basket, today, jurisdiction = listing
    judged = reorder[:2] if beside else (set(), [])
    why, instead = lasting_verdicts(
        snapshot, profile, listed, today, basket, jurisdiction, evaluations, judged
    )
    return why, named_beside(listing, evaluations, instead, reorder)


def named_beside(
    listing: tuple[Snapshot, Profile, list[Supply], list[Line], dt.date, str | None],
    evaluations: CheckCache | None,
    instead: dict[str, Named],
    reorder: Beside = (set(), [], {}),
) -> dict[str, Named]:
    """`instead` (lasting SKU -> what it names) less the products that do not fit a day they
    are taken on, beside what is named before them (entries by SKU, a multivitamin's products
    in their order; a product that does not fit leaves the others): today, with every supply
    still lasting but those the entries kept so far replace; and from the reorder's start,
    with what it proposes in place of its supplies and without what it stops. Entries of
    supplies in the reorder are its own. Replaces a trim that dropped every product sharing a
    nutrient with a new product of the reorder (a pregnancy multivitamin, 10 µg D, beside a
    10 µg calcium + D3: her folic acid and iodine were named nowhere) and checks what two
    entries name together (two multivitamins' calcium + D3: 2,600 mg of calcium a day)."""
    snapshot, profile, listed, basket, today, jurisdiction = listing
    group, proposed, stopped = reorder
    products = snapshot.catalog.products
    lasting = [(s.sku, s.servings_per_day) for s in listed if s.runs_out_on > today]
    counted = group | {sku for sku, _ in lasting}
    named: list[tuple[str, float]] = []
    out: dict[str, Named] = {}
    unfit: set[str] | None = None
    catalog = snapshot.catalog
    gives = catalog.nutrients_per_day > 0
    # a multivitamin's first: what it names serves more (the pregnancy multivitamin named
    # for her A-Z keeps her folic acid and iodine; a 20 µg D3 for her cod-liver oil, 30 µg
    # with it, then goes)
    beside = gives[[catalog.index[sku] for sku, _ in proposed]].any(axis=0)
    order = sorted(instead, key=lambda sku: -int(gives[catalog.index[sku]].sum()))
    for sku in order:
        entry = instead[sku]
        if sku in group:
            continue
        kept = []
        # stopped as a product of the reorder starts: what it names gives what it gave that
        # none of those does (her kelp stops for an iodine tablet: no pregnancy multivitamin
        # for it, s42a F2; her men's multivitamin stops for a calcium + D3: her folic acid)
        lost = gives[catalog.index[sku]] & ~gives[stopped.get(sku, [])].any(axis=0)
        for index, ev in [(entry.product, entry.ev), *entry.also]:
            if sku in stopped and not (gives[index] & lost).any():
                continue
            if products[index].sku in {n for n, _ in named}:  # another entry's: taken once
                kept.append((index, ev))
                continue
            # one that shares no nutrient with what the reorder proposes or the others name:
            # its own check holds (most answers)
            if (gives[index] & beside).any():
                if unfit is None:
                    unfit = unfit_skus(ev, listed, profile)
                # beside what fits and goes on (each entry's own check counted what no
                # longer fits), today and from the reorder's start, with what it proposes
                off = unfit | {sku}
                now = _day(listing, evaluations, counted | off, _less(lasting, off) + named, off)
                off |= group | set(stopped)
                taken = _less(lasting, off) + proposed + named
                later = _day(listing, evaluations, counted | off, taken, off)
                if not (now.safety.allowed()[index] and _fits_later(later, index)):
                    continue
                ev = later  # its texts count what it is taken beside (s42a F2)
            kept.append((index, ev))
            beside |= gives[index]
            named.append((products[index].sku, float(products[index].servings_per_day)))
        if kept:
            out[sku] = Named(kept[0][0], kept[0][1], tuple(kept[1:]))
    return {sku: out[sku] for sku in instead if sku in out}


def _fits_later(ev: Evaluation, index: int) -> bool:
    """It fits the day (safety, dose band, rules) and is no mere second source: not a product
    that adds a nutrient taken enough of that day (the reorder's, or what another entry
    names: a 10 µg D3 beside a folic acid + 10 µg D3 reorder where 10 µg is the advice) and
    fills no advice gap, nor a child's second product of a nutrient (children.second_sources:
    a second kids' D3 drops beside the reorder's; review s42a F2, F3). One that fills a gap
    stays (a folic acid + D3 beside a folic acid named for another multivitamin: her D)."""
    if not fits(ev)[index]:
        return False
    offer = ev.offer
    redundant = bool(offer.covered_duplicate[index]) and not offer.gap_need[index].any()
    return not redundant and not second_sources(ev)[index]


def _less(supplies: list[tuple[str, float]], skus: set[str]) -> list[tuple[str, float]]:
    return [(sku, n) for sku, n in supplies if sku not in skus]


def _day(
    listing: tuple[Snapshot, Profile, list[Supply], list[Line], dt.date, str | None],
    evaluations: CheckCache | None,
    counted: set[str],
    taken: list[tuple[str, float]],
    leave: set[str],
) -> Evaluation:
    """The day of `taken`, the current supplements not `counted` (a supply counts them) and
    the basket less its lines of `leave`."""
    snapshot, profile, _, basket, today, jurisdiction = listing
    lines = taken_lines(profile, counted, taken, basket_besides(basket, leave))
    return cached_evaluate(snapshot, profile, lines, today, jurisdiction, evaluations)
