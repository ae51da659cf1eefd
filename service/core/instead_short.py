"""What the `instead:<SKU>` notices leave short of an advice (said in the notice), and how
well one answer of them serves the person against another (instead.py tries several orders
of the products it replaces: review s38b)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .fastnp import nan_to_num

if TYPE_CHECKING:
    from .instead import Instead
    from .profile import Line
    from .ranking import Evaluation


def with_short(
    ev: Evaluation, named: list[tuple[str, Line]], found: list[Instead]
) -> list[Instead]:
    """`found`, the last notice naming a product that gives a nutrient with the columns (and
    amount a day) of each advice that a product replaced gave to and that the day every notice
    asks for still leaves short (s27b M4: a boy of 11 in DE with little sun, 20 µg advised,
    told to take 10 µg kids' drops in place of a 25 µg spray, with no word that half the
    advice is still open: no item gives vitamin D beside what is named); and on each, the
    doctor's doses that day meets (`_without_stale_reach`).

    That day is without what the notices say to stop, with what they name (`named`): the
    other products still taken count, a product that does not suit with no notice of its own
    too (review s28b F3: "you take 10 µg" of a girl of 8 still on a calcium + 10 µg D3), and
    every notice's products (review s28 F1: "you take 10 µg, make up the rest" beside another
    notice naming a 20 µg D3). Not of a doctor's dose (its own notices say how far our
    products reach it and what the upper limit or the life stage's maximum leaves: review
    s28b F1, F2), nor of an advice above the room the upper limit leaves beside food."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    stopped = [i for one in found for i in one.stopped]
    intake = _day(ev, stopped, named)
    targets, doctor, _ = _advised(ev)
    met = frozenset(np.flatnonzero(doctor & ~(intake < targets * (1 - 1e-9))).tolist())
    short = _short_columns(ev, intake, np.asarray((per_day[stopped] > 0).any(axis=0)))
    out = [replace(one, doctor_met=met) for one in found]
    for column in np.flatnonzero(short).tolist():
        giving = [
            k for k, one in enumerate(found) if (per_day[list(one.indices), column] > 0).any()
        ]
        # none named gives it (a doctor's K2 beside a plain D3 named for two D3 + K2): the
        # last notice whose products to stop gave it says so
        gave = [k for k, one in enumerate(found) if (per_day[list(one.stopped), column] > 0).any()]
        k = (giving or gave)[-1]
        amount = (int(column), float(intake[column]))
        out[k] = replace(out[k], short=(*out[k].short, amount))
    return out


def score(
    ev: Evaluation, replaced: list[int], found: list[Instead], named: list[tuple[str, Line]]
) -> tuple[int, int, int, int]:
    """How an answer of notices serves the person, lower first, on the day without every
    product replaced (who stops each as advised, named or not) and with what is named: the
    advices it leaves short (as `with_short` says them), the nutrients those products gave
    that nothing then gives (a K2, an omega-3), the products with nothing named in their
    place, the products named (review s38c F3: fewest products without a replacement alone
    preferred a vegan omega-3 + D3 in place of two omega-3s and a D3 + K2, the K2 lost;
    review s38b #223: at 91 an algae omega-3 with 12.5 µg of vitamin D, not the 20 µg D3 the
    Health Council advises)."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    intake = _day(ev, replaced, named)
    gave = np.asarray((per_day[replaced] > 0).any(axis=0))
    stopped = {i for one in found for i in one.stopped}
    return (
        int(_short_columns(ev, intake, gave).sum()),
        int((gave & ~(intake > 0)).sum()),
        sum(i not in stopped for i in replaced),
        len(named),
    )


def _day(ev: Evaluation, stopped: list[int], named: list[tuple[str, Line]]) -> np.ndarray:
    """The intake of the day without the products at `stopped`, with those `named`, without
    evaluating it: the profile's advice and room do not depend on what is taken (targets.yaml
    conditions read no intake)."""
    catalog = ev.snapshot.catalog
    skus = {catalog.products[i].sku for i in stopped}
    intake = ev.intake - sum((x.amounts for x in ev.resolved if x.sku in skus), start=0.0)
    added = [catalog.index[str(line.sku)] for _, line in named]
    return intake + catalog.nutrients_per_day[added].sum(axis=0)


def _short_columns(ev: Evaluation, intake: np.ndarray, gave: np.ndarray) -> np.ndarray:
    """The nutrients `gave` of an advice (or a doctor's dose) that `intake` leaves short."""
    targets, _, sayable = _advised(ev)
    return np.asarray(gave & sayable & (intake < targets * (1 - 1e-9)))


def _advised(ev: Evaluation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the advice's targets, NaN as 0; the doctor's doses; the nutrients whose shortfall may
    be said), worked out once per evaluation: every order `instead` tries reads them twice."""
    key = ("instead_short.advised",)
    if key not in ev.memo:
        from .advice import advice_of
        from .advice_extras import capped_doctor_doses
        from .advice_open import advised_columns

        advice = advice_of(ev)
        targets = nan_to_num(advice.targets)
        doctor = np.isin(np.arange(len(targets)), list(advice.doctor))
        within = targets <= ev.safety.room_or_inf * (1 + 1e-9)
        # a doctor's dose too, unless the life stage's maximum or the upper limit holds it (its
        # own notice says so: review s28b F1); where a doctor's notice of it stands beside,
        # `instead_notice` leaves it to that one (s28b F2). Review s29b F1: a doctor's 20 µg of
        # an 87-year-old vegan was halved by the vegan calcium + D3 named in place of her
        # basket's, without a word
        capped = np.isin(np.arange(len(targets)), list(capped_doctor_doses(ev)))
        # review s30c F5: never of a nutrient a medicine or condition keeps out (active vitamin
        # D, sarcoidosis: "make up the vitamin D" beside "we do not suggest vitamin D")
        kept_out = np.isin(ev.snapshot.reference.nutrients.keys, list(_kept_out(ev)))
        sayable = (advised_columns(ev) | doctor) & ~capped & within & ~kept_out
        ev.memo[key] = (targets, doctor, np.asarray(sayable))
    return ev.memo[key]  # type: ignore[no-any-return]


def _kept_out(ev: Evaluation) -> set[str]:
    """Nutrients an interaction the profile triggers excludes or warns about (its doctor
    decides: no advice of them is "made up" from what a notice names)."""
    return {n for i in ev.safety.triggered for n in (*(i.exclude or {}), *(i.warn or {}))}
