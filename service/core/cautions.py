"""What interactions.yaml `cautions` mean beyond a list item's own warning (day_totals reads
them per profile, `cautions_of`): a regimen's caution naming its lines, and which products give
a cautioned nutrient nobody asked for (split from day_totals.py, module limit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .day_totals import cautions_of

if TYPE_CHECKING:
    from .ranking import Evaluation


def unasked_cautioned(ev: Evaluation, rows: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """Per row of amounts (products x nutrients), whether it gives a nutrient of a caution that
    holds for the profile and that `asked` (per nutrient column) does not ask for: plain D3
    before D3 + K2 where nobody advised the K2 (review s44a F1, s44b F5)."""
    out = np.zeros(len(rows), dtype=bool)
    for _, columns in cautions_of(ev):
        unasked = [c for c in columns if not asked[c]]
        if unasked:
            out |= (rows[:, unasked] > 0).any(axis=1)
    return out


def regimen_cautions(
    ev: Evaluation, rows: list[tuple[str, Any, bool]], locale: str
) -> list[dict[str, Any]]:
    """`caution:<id>` of a regimen, naming its products (`rows`: SKU, amounts a day, whether
    it is the regimen's) that give one of the caution's nutrients, as the list's items carry
    it (review s44a F1: the D3 + 50 µg K2 drops in one regimen of seven, no word of it)."""
    out = []
    for c, columns in cautions_of(ev):
        skus = [sku for sku, amounts, ours in rows if ours and (amounts[columns] > 0).any()]
        if skus:
            text = c.words(ev.profile.country, locale)
            out.append({"code": f"caution:{c.id}", "text": text, "skus": skus})
    return out
