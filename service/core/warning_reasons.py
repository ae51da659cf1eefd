"""The reason on a list item whose dose is held below a medicine's warning threshold.

A woman of 75 on a thiazide diuretic who takes 5 µg vitamin D a day is shown the 10 µg tablet
first (15 µg in all), not a 20 µg one that fits the 20 µg advice more closely but takes her past
the 20 µg above which the thiazide interaction asks for a doctor (scoring.yaml
`dose_fit.past_warning`, session 16). Its reason said "15 µg; ... advises 20 µg" and not why the
list stops short of the advice: `below_warning:<nutrient>` says so (session 17)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .advice_config import advice_config
from .amounts import above
from .day_totals import advice_within_warning
from .fastnp import flatnonzero

if TYPE_CHECKING:
    from .ranking import Evaluation


def below_warning_reasons(ev: Evaluation, index: int, locale: str) -> list[dict[str, str]]:
    """For each `dose_fit` nutrient the product is for (its category's role) where the day with
    it stays at or below a triggered warning threshold that the advice stays within, short of
    the advice by more than `dose_fit.order_tolerance`, while a product of the same role with a
    dose at least as close to the advice would take the day past the threshold: the reason that
    says so."""
    within = advice_within_warning(ev)
    if not within:
        return []
    reference = ev.snapshot.reference
    config = advice_config(reference)
    per_day = ev.snapshot.catalog.nutrients_per_day
    table = ev.offer.role_table
    totals = ev.safety.totals_with_item
    targets = ev.targets_or_zero
    reasons = []
    for column, threshold in sorted(within.items()):
        role = table.nutrient_role[column]
        if role < 0 or not config.fit_columns[column] or table.category_role[index] != role:
            continue
        total, target = float(totals[index, column]), float(targets[column])
        if per_day[index, column] <= 0 or above(total, threshold):
            continue
        if total >= target * (1 - (config.fit_order_tolerance or 0.0)):
            continue
        gap = max(target - float(ev.intake[column]), 0.0)
        same = flatnonzero(table.category_role == role)
        closer = np.abs(per_day[same, column] - gap) <= abs(per_day[index, column] - gap) + 1e-9
        if not (closer & above(totals[same, column], threshold)).any():
            continue
        key = reference.nutrients.keys[column]
        values = reference.nutrients.text_values(key, locale, total=total, threshold=threshold)
        text = reference.text("reason_below_warning", locale, **values)
        reasons.append({"code": f"below_warning:{key}", "text": text})
    return reasons
