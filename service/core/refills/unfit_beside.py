"""The replacement of a product of the reorder found as if what no longer fits the profile were
not taken, and only where the plan stops that (re-review s40c N1).

A pregnant woman's folic acid + 10 µg D3 ran out days before her 25 µg D3, beside a women's
multivitamin (not suitable in pregnancy) that lasts: both were left out (35 µg vitamin D on the
days they overlap), and no product named her folic acid: the multivitamin's folic acid counted
as hers, so a folic acid tablet was a second source, and the multivitamin's `instead` left
folic acid out, as the folic acid + D3 still lasted. What no longer fits is no source of
"enough" (review 9b F3): here the folic acid tablet replaces the folic acid + D3 where the plan
also stops the multivitamin (for the 25 µg D3, `lasting.stop_unsuited`), and stops it as it
starts, where that is first (said on both items); where nothing stops it, the product stays
left out as before, so no second source goes on beside it for good (a second vitamin D beside
children's D3 chews a pregnant woman takes). It is settled after the reorder's other products
(`Waiting`), checked again beside all of them: none of those was decided beside it (s41b F2:
one undone later had made others "covered" by it)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..ranking import Evaluation
from .replace import fits, reasoned, replacement_once
from .supplies import Supply

# each day a replacement would be taken (the day it starts first, the reorder whole last),
# with that day without the products that no longer fit (None: none of them is taken)
Checked = list[tuple[Evaluation, Evaluation | None]]


class Waiting(NamedTuple):
    """A product of the reorder left out, with the replacement found beside what no longer
    fits (`found`), to stand where the plan stops `needs`."""

    supply: Supply
    why: dict[str, list[str]]
    found: int
    needs: frozenset[str]


def beside_unfit(
    supply: Supply,
    why: dict[str, list[str]],
    avoid: Any,
    checked: Checked,
    unfit: set[str],
) -> Waiting | None:
    """The replacement of `supply` found without what no longer fits (searched as the plan
    searches beside it: the reorder whole, then the day it starts), that fits each day with
    that still taken (safety, dose band, rules) and is no second source once it is not, with
    the SKUs of `unfit` taken that give what it gives; None where there is none."""
    first, whole = checked[0][1], checked[-1][1]
    if first is None or whole is None:
        return None
    for cover in [whole] if first is whole else [whole, first]:
        found = replacement_once(cover, supply.index, avoid)
        if (
            found is not None
            and all(bool(fits(day)[found]) for day, _ in checked)
            and not whole.offer.duplicate[found]
            and reasoned(first, found)
        ):
            needs = _giving(checked, found, unfit)
            return Waiting(supply, why, found, needs) if needs else None
    return None


def _giving(checked: Checked, found: int, unfit: set[str]) -> frozenset[str]:
    """The SKUs of lines taken on any of the days that are in `unfit` and give a nutrient
    the product at `found` gives."""
    day = checked[0][0]
    gives = np.flatnonzero(day.snapshot.catalog.nutrients_per_day[found] > 0)
    return frozenset(
        line.sku
        for day, _ in checked
        for line in day.resolved
        if line.sku in unfit and any(line.amounts[c] > 0 for c in gives)
    )


def move_stops(
    stopped: dict[str, str],
    also: dict[str, set[str]],
    waiting: Waiting,
    starts: dict[str, Any],
) -> None:
    """The products `waiting` needs stopped stop as its replacement starts where that is
    before the product of the reorder they stop for (`starts`: supply SKU -> its day); the
    other's item still says so (`also`): one bought without the other still stops them."""
    sku = waiting.supply.sku
    for stop in waiting.needs:
        first = stopped[stop]
        if starts[sku] < starts[first]:
            stopped[stop] = sku
            also.setdefault(stop, set()).add(first)
        else:
            also.setdefault(stop, set()).add(sku)
