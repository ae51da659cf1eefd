"""The replacement of a product of the reorder found as if what no longer fits the profile were
not taken, and only where the plan stops that (re-review s40c N1).

A pregnant woman's folic acid + 10 µg D3 ran out days before her 25 µg D3, beside a women's
multivitamin (not suitable in pregnancy) that lasts: both were left out (35 µg vitamin D on the
days they overlap), and no product named her folic acid: the multivitamin's folic acid counted
as hers, so a folic acid tablet was a second source, and the multivitamin's `instead` left
folic acid out, as the folic acid + D3 still lasted. What no longer fits is no source of
"enough" (review 9b F3): here the folic acid tablet replaces the folic acid + D3 where the plan
also stops the multivitamin (for the 25 µg D3, `lasting.stop_unsuited`); where nothing stops
it, the product stays left out as before, so no second source goes on beside it for good (a
second vitamin D beside children's D3 chews a pregnant woman takes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..ranking import Evaluation
from .replace import fits, reasoned, replacement_once

if TYPE_CHECKING:
    from .plan import Decision

# each day a replacement would be taken (the day it starts first, the reorder whole last),
# with that day without the products that no longer fit (None: none of them is taken)
Checked = list[tuple[Evaluation, Evaluation | None]]


def beside_unfit(
    index: int, avoid: Any, checked: Checked, unfit: set[str]
) -> tuple[int | None, Evaluation | None, set[str]]:
    """The replacement of the product at `index` found without what no longer fits (searched
    as the plan searches beside it: the reorder whole, then the day it starts), that fits each
    day with that still taken (safety, dose band, rules) and is no second source once it is
    not; the evaluation its reasons are said in (the day it starts without it), and the SKUs
    taken that no longer fit and give what it gives: it stands only where the plan stops
    those (`undo_unstopped`). (None, None, set()) where there is none."""
    first, whole = checked[0][1], checked[-1][1]
    if first is None or whole is None:
        return None, None, set()
    for cover in [whole] if first is whole else [whole, first]:
        found = replacement_once(cover, index, avoid)
        if (
            found is not None
            and all(bool(fits(day)[found]) for day, _ in checked)
            and not whole.offer.duplicate[found]
            and reasoned(first, found)
        ):
            return found, first, _giving(checked, found, unfit)
    return None, None, set()


def _giving(checked: Checked, found: int, unfit: set[str]) -> set[str]:
    """The SKUs of lines taken on any of the days that no longer fit and give a nutrient the
    product at `found` gives."""
    day = checked[0][0]
    gives = np.flatnonzero(day.snapshot.catalog.nutrients_per_day[found] > 0)
    return {
        line.sku
        for day, _ in checked
        for line in day.resolved
        if line.sku in unfit and any(line.amounts[c] > 0 for c in gives)
    }


def undo_unstopped(
    waiting: dict[str, tuple[set[str], Callable[[], Decision]]],
    stopped: Iterable[str],
    decided: dict[str, Decision],
    accepted: list[tuple[str, float]],
    proposed: dict[str, tuple[str, float]],
    seconds: dict[str, list[Decision]],
) -> None:
    """The replacements found by `beside_unfit` (`waiting`: supply SKU -> the SKUs that must
    stop, and its decision without one) whose products that no longer fit the plan does not
    stop: left out as before, out of the reorder (`accepted`, `proposed`, with the products
    named beside a multivitamin's first replacement, `seconds`)."""
    gone = set(stopped)
    for sku, (needs, left_out) in waiting.items():
        if needs <= gone:
            continue
        accepted.remove(proposed.pop(sku))
        for also in seconds.pop(sku, []):
            assert also.index is not None  # a product named beside the first replacement
            product = also.ev.snapshot.catalog.products[also.index]
            accepted.remove((product.sku, float(product.servings_per_day)))
        decided[sku] = left_out()
