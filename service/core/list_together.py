"""Items of one list that together cross an upper limit (review 21 M2).

Each item of a list is checked with what the person takes and has in the basket (guarantee
1), and a list reads as choices to combine: a vegan woman of 25 was offered a multivitamin with
100 mg calcium, a calcium + D3 with 400 mg and a 500 mg calcium tablet, each "near the upper
limit", while the three together take her past it beside the food allowance (about one list in
six of a fuzzed sample had such a set). `not_together:<nutrient>` names the items that give
the nutrient, what they give together and the room the upper limit leaves beside food and what
is taken, so nobody reads the list as one routine to buy whole (the cart's "complete my
routine" placement checks its items together already). Texts: texts.yaml
`notice_not_together`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .ranking import Evaluation


def together_notices(ev: Evaluation, ranked: list[int], locale: str) -> list[dict[str, str]]:
    """One notice per nutrient that the list's items, each within the room, together take
    past the room the upper limit leaves beside the food allowance and what is taken."""
    if len(ranked) < 2:
        return []
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    per_day = catalog.nutrients_per_day[ranked]
    left = np.maximum(ev.safety.room_or_inf - ev.intake, 0.0)
    giving = per_day > 0
    total = per_day.sum(axis=0)
    over = np.flatnonzero((giving.sum(axis=0) >= 2) & (total > left * (1 + 1e-9)))
    notices = []
    for column in over.tolist():
        key = reference.nutrients.keys[column]
        rows = np.flatnonzero(giving[:, column]).tolist()
        names = [catalog.products[ranked[r]].name[locale] for r in rows]
        values = reference.nutrients.text_values(
            key, locale, total=float(total[column]), room=float(left[column])
        )
        text = reference.text(
            "notice_not_together", locale, products=reference.listed(names, locale), **values
        )
        notices.append({"code": f"not_together:{key}", "text": text})
    return notices
