"""A reorder that leaves an advice short says so (review s34a F4).

A Dutch man of 71 reordering a 10 µg D3 heard nothing of the Gezondheidsraad's 20 µg from 70:
/refills gave "runs out" as the reorder's only reason, where the cart says `basket_short`. The
reorder (or its replacement) keeps its place; its item gets the warning `short_of_advice:<nutrient>`
with the day's total, the advice in its authority's words, and whom to ask. Only for the
authorities refills.yaml `short_of_advice_authorities` names: not the shop's own aims, and not
the DGE's total for food and supplements together (food gives part of it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..advice import advice_of
from ..advice_texts import advice_phrase
from ..fastnp import flatnonzero

if TYPE_CHECKING:
    from ..ranking import Evaluation
    from .settings import RefillConfig


def short_of_advice(
    config: RefillConfig, ev: Evaluation, index: int, name: str, locale: str
) -> list[dict[str, str]]:
    """The warnings of the product at `index` taken on the day `ev` (without it): a nutrient it
    gives whose advice the day's total with it stays below (by more than the share that still
    counts as enough, scoring.yaml `lists.covered.within`)."""
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    keys = reference.nutrients.keys
    gives = catalog.nutrients_per_day[index]
    day = ev.intake + gives
    advice = advice_of(ev)
    out = []
    for column in flatnonzero(gives > 0).tolist():
        target = ev.targets[column]
        if np.isnan(target) or day[column] >= target * (1 - ev.offer.enough_share[column]):
            continue
        if advice.authority.get(column, "dosewise") not in config.short_of_advice_authorities:
            continue
        values = reference.nutrients.text_values(keys[column], locale, amount=day[column])
        text = config.text(
            "warning_reorder_short",
            locale,
            name=name,
            advice=advice_phrase(ev, column, locale),
            **values,
        )
        out.append({"code": f"short_of_advice:{keys[column]}", "text": text})
    return out
