"""Items of one list that together cross an upper limit (review 21 M2).

Each item of a list is checked with what the person takes and has in the basket (guarantee
1), and a list reads as choices to combine: a vegan woman of 25 was offered a multivitamin with
100 mg calcium, a calcium + D3 with 400 mg and a 500 mg calcium tablet, each "near the upper
limit", while the three together take her past it beside the food allowance (about one list in
six of a fuzzed sample had such a set). `not_together:<nutrient>` names the items that give
the nutrient, what they give together and the room the upper limit leaves beside food and what
is taken, so nobody reads the list as one routine to buy whole (the cart's "complete my
routine" placement checks its items together already). Where no two of the items fit, or
each of them alone gives what the profile's advice aims at, it says to take only one of them
(review s30a F5, s32a). Texts: texts.yaml `notice_not_together*`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .day_totals import lowest_warning_thresholds
from .fastnp import flatnonzero
from .safety import life_stage_maxima

if TYPE_CHECKING:
    from .ranking import Evaluation


def together_notices(ev: Evaluation, ranked: list[int], locale: str) -> list[dict[str, str]]:
    """One notice per nutrient that the list's items, each within a cap alone, together take
    past it, the tightest such cap: a medicine's or condition's warning threshold for the day
    (interactions.yaml `warn`: a thiazide and 20 µg vitamin D), the life stage's maximum
    (product_maxima.yaml: 25 µg vitamin D in pregnancy), the room the upper limit leaves beside
    the food allowance; each with what is taken (re-review 21 #2: a breastfeeding woman
    planning a pregnancy got 65 µg of vitamin D in one list, and only the upper limits were
    named). The numbers once per list and evaluation, the texts per locale."""
    if len(ranked) < 2:
        return []
    found = ev.memo.get(("together", tuple(ranked)))
    if found is None:
        found = ev.memo[("together", tuple(ranked))] = _crossed(ev, ranked)
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    notices = []
    for key, kind, total, left, indices, more in found:
        names = [catalog.products[i].name[locale] for i in indices]
        values = reference.nutrients.text_values(key, locale, total=total, room=left, **more)
        products = reference.listed(names, locale)
        text = reference.text(f"notice_not_together{kind}", locale, products=products, **values)
        notices.append({"code": f"not_together:{key}", "text": text})
    return notices + _one_of(ev, ranked, locale, {key for key, *_ in found})


def _one_of(ev: Evaluation, ranked: list[int], locale: str, named: set[str]) -> list[dict]:
    """`one_of:<nutrient>`: items that each fill alone what the profile's aim leaves open of a
    nutrient (`_filled_alone`), where no cap is crossed by the list's items together
    (`not_together` says it then): "Choose one of these products" (review s34a F4: a Dutch man
    of 71 on 10 µg vitamin D was offered a cod-liver oil "that is 20 µg" and a D3 + K2 "that
    is 30 µg", each beside what he takes, with no word that both together make 40 µg). Texts:
    `notice_one_of*`. The numbers once per list and evaluation, the texts per locale."""
    found = ev.memo.get(("one_of", tuple(ranked)))
    if found is None:
        found = ev.memo[("one_of", tuple(ranked))] = _filled_alone(ev, ranked)
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    notices = []
    for key, indices, amounts in found:
        if key in named:
            continue
        values = reference.nutrients.text_values(key, locale, **amounts)
        products = reference.listed([catalog.products[i].name[locale] for i in indices], locale)
        kind = "_taken" if "taken" in amounts else ""
        text = reference.text(f"notice_one_of{kind}", locale, products=products, **values)
        notices.append({"code": f"one_of:{key}", "text": text})
    return notices


def _filled_alone(ev: Evaluation, ranked: list[int]) -> list[tuple[str, list[int], dict]]:
    """(nutrient, the items that each fill alone what the aim leaves open of it, the text's
    amounts: the aim, what is taken, the day with all of them) per nutrient where two or more
    do and none of them is the list's only item for another open aim (then the list is a
    combination). An item giving less of it is no choice of these (review s35c 2: a 10 µg
    calcium + D3 beside two 20 µg D3 products silenced the notice)."""
    per_day = ev.snapshot.catalog.nutrients_per_day[ranked]
    giving = per_day > 0
    shared = flatnonzero(giving.sum(axis=0) >= 2)
    if not shared.size:
        return []
    gaps = np.maximum(ev.targets_or_zero - ev.intake, 0.0)
    alone = (gaps > 0) & (giving.sum(axis=0) == 1)
    keys, out = ev.snapshot.reference.nutrients.keys, []
    for column in shared.tolist():
        if not gaps[column]:
            continue
        fills = giving[:, column] & (per_day[:, column] >= gaps[column] * (1 - 1e-9))
        others = alone.copy()
        others[column] = False
        if fills.sum() < 2 or giving[fills][:, others].any():
            continue
        taken = float(ev.intake[column])
        amounts = {"aim": float(ev.targets_or_zero[column])}
        amounts["total"] = float(per_day[fills, column].sum()) + taken
        amounts.update({"taken": taken} if taken > 0 else {})
        out.append((keys[column], [ranked[r] for r in flatnonzero(fills).tolist()], amounts))
    return out


def _crossed(
    ev: Evaluation, ranked: list[int]
) -> list[tuple[str, str, float, float, list[int], dict[str, float]]]:
    """(nutrient key, text kind, the items' total, the cap left, the items giving it, more
    amounts for the text) per nutrient of `together_notices`. A medicine's threshold with
    something taken says the threshold and what is taken, not the room left as if it were
    the threshold (review s26 P2: "more than the 10 µg above which your medicine ..." to a
    thiazide user who takes 10 µg, whose threshold is 20 µg in all)."""
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    keys = reference.nutrients.keys
    per_day = catalog.nutrients_per_day[ranked]
    giving = per_day > 0
    shared = flatnonzero(giving.sum(axis=0) >= 2)
    if not shared.size:  # no nutrient given by two items: nothing to add up
        return []
    total = per_day.sum(axis=0)
    caps = {"": np.maximum(ev.safety.room_or_inf - ev.intake, 0.0)}  # kind -> cap left
    maxima = life_stage_maxima(reference, ev.profile)
    if maxima:
        stage = np.full(len(keys), np.inf)
        for key, maximum in maxima.items():
            stage[keys.index(key)] = maximum
        caps["_stage"] = np.maximum(stage - ev.intake, 0.0)
    thresholds = lowest_warning_thresholds(ev)
    if thresholds:
        warned = np.full(len(keys), np.inf)
        for column, threshold in thresholds.items():
            warned[column] = threshold
        caps["_warning"] = np.maximum(warned - ev.intake, 0.0)
    out = []
    for column in shared.tolist():
        alone = per_day[giving[:, column], column].max()
        crossed = [
            (float(cap[column]), kind)
            for kind, cap in caps.items()
            if total[column] > cap[column] * (1 + 1e-9) and alone <= cap[column] * (1 + 1e-9)
        ]
        if crossed:
            left, kind = min(crossed)
            indices = [ranked[r] for r in flatnonzero(giving[:, column]).tolist()]
            more: dict[str, float] = {}
            if kind == "" and keys[column] not in reference.food.counts_food:
                kind = "_supplements"  # no "beside food" of magnesium's limit (review s27 F4)
            if kind == "_warning" and ev.intake[column] > 0:
                kind = "_warning_taken"
                more = {"taken": float(ev.intake[column]), "threshold": thresholds[column]}
            # no two of them fit, or each alone fills what the advice aims at and none is
            # the list's only product for another aim: "take only one", not "which of them to
            # combine" (review s30a F5: a baby's two 10 µg drops beside 10 µg of room; s32a:
            # four products of 400 µg folic acid in pregnancy)
            amounts = np.sort(per_day[giving[:, column], column])
            if amounts[:2].sum() > left * (1 + 1e-9) or _each_fills(ev, giving, amounts, column):
                kind += "_one"
            out.append((keys[column], kind, float(total[column]), left, indices, more))
    return out


def _each_fills(ev: Evaluation, giving: np.ndarray, amounts: np.ndarray, column: int) -> bool:
    """Whether every item giving `column` fills alone what the profile's aim leaves open
    of it (target less intake), and none of them is the list's only item giving another
    nutrient with an aim left open: then one of them is the whole choice (a pregnancy
    multivitamin, a folic acid + D3 and a folic acid tablet; not a vegan multivitamin
    that alone gives vitamin B12, beside a pregnancy multivitamin, for their iodine).
    `giving`: which items give which nutrient; `amounts`: theirs of `column`, smallest first."""
    gaps = np.maximum(ev.targets_or_zero - ev.intake, 0.0)
    rows = giving[:, column]
    if not gaps[column] or amounts[0] < gaps[column] * (1 - 1e-9):
        return False
    alone = (gaps > 0) & (giving.sum(axis=0) == 1)
    alone[column] = False
    return not giving[rows][:, alone].any()
