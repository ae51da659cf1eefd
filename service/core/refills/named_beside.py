"""What the supplies still lasting that no longer fit name `instead`, checked day by day beside
everything else the answer has the customer take (s41e F1, F3): what is still taken today, and
once the reorder starts, what it proposes; and each product beside what the other entries
name, as one who follows the whole answer takes them together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import numpy as np

from ..catalog import Catalog
from ..children import second_sources
from ..profile import Line, Profile
from ..ranking import Evaluation
from ..snapshot import Snapshot
from .check import CheckCache, cached_evaluate
from .lasting import Named, Verdicts, lasting_verdicts, unfit_skus
from .replace import fits, gap_replacement
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
    """`instead` (lasting SKU -> what it names) as one who follows the whole answer takes it.
    Entries by SKU, a multivitamin's first; each product in its entry's order. A product that
    gives a nutrient the reorder proposes or an entry before it names is kept only where it
    is within every limit today (beside the supplies still lasting that fit, and what is named
    before it) and fits from the reorder's start (beside what the reorder proposes in place of
    its supplies, without what it stops) as no mere second source (`_fits_later`); it is then
    worded on that day. One that gives all a product named before it gives, as much, takes
    that one's place in both entries where it fits so; a product two entries name is taken
    once. An entry the reorder stops names only what gives a nutrient it gave that the
    products stopping it do not; entries of supplies in the reorder are its own. Replaces a
    trim that dropped every product sharing a nutrient with a new product of the reorder (a
    pregnancy multivitamin, 10 µg D, beside a 10 µg calcium + D3: her folic acid and iodine
    were named nowhere) and checks what two entries name together (two multivitamins'
    calcium + D3: 2,600 mg of calcium a day; a folic acid tablet and a folic acid + D3)."""
    if not instead:
        return {}
    snapshot, profile, listed, basket, today, jurisdiction = listing
    group, proposed, stopped = reorder
    catalog = snapshot.catalog
    products = catalog.products
    gives = catalog.nutrients_per_day > 0
    lasting = [(s.sku, s.servings_per_day) for s in listed if s.runs_out_on > today]
    counted = group | {sku for sku, _ in lasting}
    unfit = unfit_skus(next(iter(instead.values())).ev, listed, profile)
    # the supplies still lasting that no longer fit, name nothing and are not stopped: one
    # who follows the answer goes on with them (s43b F1: a pregnant vegan's lanolin 20 µg D3
    # beside the lichen 20 µg D3 named for her multivitamin, 40 µg a day), unless what is
    # named here is named in their place too
    silent = {
        sku
        for sku, _ in lasting
        if sku in unfit and sku not in instead and sku not in stopped and sku in catalog.index
    }
    # and so with a current supplement named by SKU that no longer fits, has no lasting supply
    # here and is not stopped: nothing here names a product in its place (s43b: a breastfeeding
    # girl's declared 2 x 50 µg D3 beside a 20 µg D3 named for her A-Z multivitamin; a
    # pregnant woman's declared vegan multivitamin, 25 µg D, whose supply ran out)
    declared = {
        line.sku
        for line in profile.current_supplements
        if line.sku in unfit and line.sku not in stopped and line.sku not in dict(lasting)
    }
    silent |= {sku for sku in declared if sku in catalog.index}
    named: list[tuple[str, float]] = []
    chosen: dict[str, list[tuple[int, Evaluation]]] = {}
    worded: dict[int, Evaluation] = {}  # the day each product named is worded on
    memo: dict[tuple[object, ...], Evaluation] = {}

    def days(sku: str, others: list[tuple[str, float]], off: set[str]) -> Evaluation:
        """The day from the reorder's start without `sku`, what no longer fits and is not
        `silent`, and `off`, beside `others` named."""
        off = (unfit - silent) | {sku} | off
        then = off | group | set(stopped)
        taken = _less(lasting, then) + proposed + others
        return _day(listing, evaluations, (counted | then) - declared, taken, then, memo)

    def check(
        sku: str, index: int, others: list[tuple[str, float]]
    ) -> tuple[Evaluation, set[str]] | None:
        """The day from the reorder's start with the product at `index` in place of `sku`
        (and of each `silent` supply it gives a nutrient of, not one due: the reorder's),
        beside `others` named, and those supplies; None where it is above a limit today
        (beside every supply still lasting that is not replaced) or does not fit then."""
        replaced = {
            s for s in silent - group - declared if (gives[catalog.index[s]] & gives[index]).any()
        }
        off = (unfit - silent) | {sku} | replaced
        today = _less(lasting, off) + others
        now = _day(listing, evaluations, (counted | off) - declared, today, off, memo)
        later = days(sku, others, replaced)
        ok = now.safety.allowed()[index] and _fits_later(later, index)
        return (later, replaced) if ok else None

    def take(sku: str, index: int, ev: Evaluation, replaced: set[str]) -> None:
        """The product at `index` named for `sku` (done by the caller) and in place of each
        of `replaced`, worded on `ev`."""
        for other in sorted(replaced):
            chosen.setdefault(other, []).append((index, ev))
        silent.difference_update(replaced)
        worded[index] = ev
        np.logical_or(beside, gives[index], out=beside)
        named.append((products[index].sku, float(products[index].servings_per_day)))

    # a multivitamin's first: what it names serves more (the pregnancy multivitamin named
    # for her A-Z keeps her folic acid and iodine; a 20 µg D3 for her cod-liver oil, 30 µg
    # with it, then goes)
    rows = [catalog.index[sku] for sku, _ in proposed] + [catalog.index[s] for s in silent]
    beside: np.ndarray = np.asarray(gives[rows].any(axis=0), dtype=bool)
    order = sorted(instead, key=lambda sku: -int(gives[catalog.index[sku]].sum()))
    for sku in order:
        entry = instead[sku]
        if sku in group:
            continue
        kept: list[tuple[int, Evaluation]] = []
        # stopped as a product of the reorder starts: what it names gives what it gave that
        # none of those does (her kelp stops for an iodine tablet: no pregnancy multivitamin
        # for it, s42a F2; her men's multivitamin stops for a calcium + D3: her folic acid)
        lost = gives[catalog.index[sku]] & ~gives[stopped.get(sku, [])].any(axis=0)
        for index, ev in [(entry.product, entry.ev), *entry.also]:
            if sku in stopped and not (gives[index] & lost).any():
                continue
            if products[index].sku in {n for n, _ in named}:  # another entry's: taken once,
                kept.append((index, worded[index]))  # worded as there (review s42b N1)
                continue
            replaced: set[str] = set()
            # one that shares no nutrient with what the reorder proposes, the others name or
            # a silent supply gives: its own check holds (most answers)
            if (gives[index] & beside).any():
                # what another entry names that this one gives all of, as much of each, goes
                # for this one, in both entries, where it fits so (a folic acid tablet for a
                # folic acid + D3 that gives her vitamin D too: not both, review s42b N1)
                mine = {products[i].sku for i, _ in kept}
                within = [x for x in named if x[0] not in mine and _gives_all(catalog, index, x)]
                found = None
                if within:
                    found = check(sku, index, [x for x in named if x not in within])
                if found is None:
                    within, found = [], check(sku, index, named)
                if found is None:
                    continue
                ev, replaced = found  # its texts count what it is taken beside (s42a F2)
                for other in within:
                    named.remove(other)
                    _swap(chosen, catalog.index[other[0]], (index, ev))
                    worded.pop(catalog.index[other[0]], None)
            kept.append((index, ev))
            take(sku, index, ev, replaced)
        if kept:
            chosen[sku] = kept
    # what an entry's product gave that is still an advice gap with all named, and that
    # nothing named or reordered gives: one more product for it, checked as the others
    # (s42b N2: a breastfeeding vegan's two kids' multivitamins, each of whose entries
    # counted the other's vitamin D, named B12, iodine and calcium, and no vitamin D)
    entries = [sku for sku in order if sku not in group and sku not in stopped]
    for _ in range(len(entries) * 2 if entries else 0):
        avoid = {s.sku for s in listed} | {sku for sku, _ in named + proposed}
        later = days(entries[0], named, set())
        lost_to = [*entries, *sorted(silent - group - declared)]
        found_gap = _lost_gap(lost_to, later, avoid, beside, check, named)
        if found_gap is None:
            break
        sku, index, (ev, replaced) = found_gap
        take(sku, index, ev, replaced | {sku})
    keys = [*instead, *(sku for sku in chosen if sku not in instead)]
    out = {sku: _unique(chosen[sku]) for sku in keys if chosen.get(sku)}
    return {sku: Named(k[0][0], k[0][1], tuple(k[1:])) for sku, k in out.items()}


def _gives_all(catalog: Catalog, index: int, line: tuple[str, float]) -> bool:
    """The product at `index` gives every nutrient the product named in `line` gives (at its
    label's servings, as every named product), as much a day."""
    per_day = catalog.nutrients_per_day
    return bool((per_day[index] >= per_day[catalog.index[line[0]]]).all())


def _swap(
    chosen: dict[str, list[tuple[int, Evaluation]]], old: int, new: tuple[int, Evaluation]
) -> None:
    """Each entry in `chosen` names `new` in place of the product at `old`."""
    for kept in chosen.values():
        kept[:] = [new if index == old else (index, ev) for index, ev in kept]


def _unique(kept: list[tuple[int, Evaluation]]) -> list[tuple[int, Evaluation]]:
    """`kept` without a product named twice (two it named swapped for one that gives both)."""
    out: list[tuple[int, Evaluation]] = []
    for index, ev in kept:
        if index not in {i for i, _ in out}:
            out.append((index, ev))
    return out


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
    memo: dict[tuple[object, ...], Evaluation],
) -> Evaluation:
    """The day of `taken`, the current supplements not `counted` (a supply counts them) and
    the basket less its lines of `leave`; each day evaluated once (`memo`: today and from the
    reorder's start are one day where nothing is reordered or stopped)."""
    snapshot, profile, _, basket, today, jurisdiction = listing
    key = (frozenset(counted), tuple(taken), frozenset(leave))
    if key not in memo:
        lines = taken_lines(profile, counted, taken, basket_besides(basket, leave))
        memo[key] = cached_evaluate(snapshot, profile, lines, today, jurisdiction, evaluations)
    return memo[key]


def _lost_gap(
    entries: list[str],
    later: Evaluation,
    avoid: set[str],
    beside: np.ndarray,
    check: Callable[[str, int, list[tuple[str, float]]], tuple[Evaluation, set[str]] | None],
    named: list[tuple[str, float]],
) -> tuple[str, int, tuple[Evaluation, set[str]]] | None:
    """Of `entries` (lasting SKUs that no longer fit, in order), the first whose product gave
    a nutrient that is an advice gap on the day `later` (all named, the reorder started) and
    that nothing `beside` (named, reordered or given by a supply that goes on) gives, with the
    product for that gap that passes `check` there: (its SKU, the product, what `check`
    says); None where none."""
    if later.over_limit_now:
        return None  # nothing more is suggested (contract guarantee 1)
    catalog = later.snapshot.catalog
    open_gaps = (later.features.fill > 0).any(axis=0) & ~beside
    if not open_gaps.any():
        return None
    for sku in entries:
        index = catalog.index[sku]
        lost = (catalog.nutrients_per_day[index] > 0) & open_gaps
        tried = set(avoid)
        while lost.any() and len(tried) < len(avoid) + 3:
            pick = gap_replacement(later, index, tried, lost)
            if pick is None:
                break
            found = check(sku, pick, named)
            if found is not None:
                return sku, pick, found
            tried.add(catalog.products[pick].sku)
    return None
