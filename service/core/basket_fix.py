"""The smallest basket change that brings a crossed upper limit back within it (the intake
check's suggestion, intake_check.py): one line reduced or removed, else the fewest lines
removed. Among changes that each fix the limit, one that leaves the advice met (a doctor's dose
where that is the advice) and the day within the dose band goes first (session 12: a doctor's
75 µg vitamin D tablet with 25 µg drops in the basket was the line to remove, leaving 25 µg of
the 75 µg advised)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

import numpy as np

from .advice import advice_of
from .amounts import rounded, tolerated
from .day_totals import over_room
from .intake import LineAmounts
from .intake_food import SuggestionLimits
from .profile import Line
from .ranking import Evaluation
from .regimen_texts import TextWriter

MAX_SUBSET_LINES = 8  # basket lines searched exhaustively for the smallest fix


@dataclass(frozen=True)
class NextPack(LineAmounts):
    """The next pack of a product already taken: a basket line that profile.with_next_packs
    merged into the taken line, raising its servings a day. What it adds is the servings above
    those taken (`amounts`), and removing it goes back to them (session 17: 2 a day of a 75 µg
    tablet taken once a day crossed the limit and the check suggested nothing). `followers`:
    further basket lines of the product above the taken servings, changed with it."""

    taken_servings: float = 0.0
    followers: tuple[tuple[str, float], ...] = ()


def next_packs(ev: Evaluation, basket: Sequence[Line]) -> list[NextPack]:
    """For each product taken whose servings a basket line raises, that change as a line."""
    catalog = ev.snapshot.catalog
    taken = {line.path: line for line in ev.resolved if line.path.startswith("profile.")}
    out = []
    for sku in dict.fromkeys(line.sku for line in basket if line.sku in catalog.index):
        labelled = catalog.products[catalog.index[sku]].servings_per_day
        places = [i for i, line in enumerate(ev.profile.current_supplements) if line.sku == sku]
        merged = taken.get(f"profile.current_supplements.{places[0]}") if places else None
        if merged is None:
            continue
        first = ev.profile.current_supplements[places[0]].servings_per_day
        before = labelled if first is None else first
        raising = sorted(  # a line without servings_per_day changes nothing taken
            (-line.servings_per_day, i)
            for i, line in enumerate(basket)
            if line.sku == sku
            and line.servings_per_day is not None
            and line.servings_per_day > before
        )
        if not raising:
            continue
        now = merged.line.servings(labelled)
        top = raising[0][1]
        share = (now - before) / now
        followers = tuple((f"basket.{i}", -servings) for servings, i in raising[1:])
        line = replace(basket[top], servings_per_day=now)
        out.append(NextPack(f"basket.{top}", line, sku, merged.amounts * share, before, followers))
    return out


def fix_violation(ev: Evaluation, basket: list[LineAmounts], write: TextWriter) -> dict | None:
    """The fix (see the module), with the further basket lines of a product taken changed
    together with the first (`NextPack.followers`)."""
    fix = _fix(ev, basket, write)
    if fix is None:
        return None
    followers = {line.path: line.followers for line in basket if isinstance(line, NextPack)}
    more = []
    for step in fix["changes"]:
        for path, servings in followers.get(step["line"], ()):
            if step["code"] == "remove" or servings > step["servings_per_day"]:
                more.append({**step, "line": path})
    return {**fix, "changes": fix["changes"] + more}


def crossed(ev: Evaluation) -> np.ndarray:
    """Columns above an upper limit, or above the room food leaves (guarantee 9)."""
    return np.union1d(np.array(ev.over_limit_now, dtype=np.int64), over_room(ev))


def _crossings(ev: Evaluation, basket: list[LineAmounts]) -> tuple[np.ndarray, ...]:
    """(columns crossed, their excess, each basket line's part of them, which of them the
    basket can bring back). Only those: one that what is taken crosses on its own is the
    person's (its notice says so), and no reason to leave the basket's other crossed limit
    unfixed (review 25 F1: 1,000 mg calcium taken, 75 + 50 µg vitamin D in the basket)."""
    over = crossed(ev)
    excess = ev.intake[over] - tolerated(ev.safety.room[over])
    contribution = np.array([line.amounts[over] for line in basket]).reshape(len(basket), -1)
    return over, excess, contribution, contribution.sum(axis=0) >= excess - 1e-9


def basket_can_fix(ev: Evaluation, basket: list[LineAmounts]) -> bool:
    """Whether the basket can bring back a crossed limit (the fix below has one to make)."""
    return bool(basket) and bool(_crossings(ev, basket)[3].any())


def _fix(ev: Evaluation, basket: list[LineAmounts], write: TextWriter) -> dict | None:
    if not basket:
        return None
    over, excess, contribution, fixable = _crossings(ev, basket)
    if not fixable.any():
        return None
    over, excess, contribution = over[fixable], excess[fixable], contribution[:, fixable]
    limits = ev.limits[over]
    share = (contribution / limits).sum(axis=1)
    order = sorted(range(len(basket)), key=lambda b: (-share[b], b))
    limit_text = SuggestionLimits.of(ev, over)  # R11-5: only the limits the change keeps
    short = _shortfall(ev, basket)
    # the fewest lines, the least of the advice left unmet first, then the largest share (as
    # before session 12), unless more lines leave the advice met and the day within its band:
    # a doctor's 75 µg tablet stays, the drops beside it go. More lines that only leave less
    # unmet are no fix of the limit the text names (a second vitamin D line removed "to stay
    # within the vitamin B6 limit", the day still above the band: session 14)
    indices = order[:MAX_SUBSET_LINES]
    best: tuple | None = None  # (shortfall, -share, lines) of the fewest lines that fix it
    for size in range(1, len(indices) + 1):
        found: tuple | None = None
        for subset in combinations(order if size == 1 else indices, size):
            rows = sorted(subset)
            if not (contribution[rows].sum(axis=0) >= excess).all():
                continue
            key = (short(rows), -float(share[rows].sum()), rows)
            found = key if found is None or key < found else found
        if found is not None and (best is None or found[0] == 0):
            best = found
        if best is not None and best[0] == 0:
            break
    if best is None:
        return None
    rows = best[2]
    if len(rows) == 1:
        return _reduce_or_remove(ev, basket[rows[0]], over, excess, limit_text, write)
    removed = [basket[b] for b in sorted(rows, key=lambda b: (-share[b], b))]
    return _removal(ev, removed, limit_text, write)


def _shortfall(ev: Evaluation, basket: list[LineAmounts]) -> Any:
    """For a set of basket lines (their indices), how far the day without them misses the
    advice: for every nutrient with an advice that a basket line gives, the part of the advice
    left unmet plus the part above its dose band, each as a share of the advice (review
    12: not only the nutrients over the limit, so that removing a multivitamin does not take away
    the only vitamin D to keep a calcium aim; above the band too, so that 70 µg left beside a
    doctor's 50 µg is no fix). Rounded, so that float noise does not order the changes."""
    advice = advice_of(ev)
    targets = np.where(advice.targets > 0, advice.targets, 0.0)  # NaN: no advice
    upper = advice.band_upper
    full = np.array([line.amounts for line in basket])
    columns = np.flatnonzero((targets > 0) & (full > 0).any(axis=0))  # an advice to keep
    aim, band, intake, given = (
        targets[columns],
        upper[columns],
        ev.intake[columns],
        full[:, columns],
    )

    def short(rows: list[int]) -> float:
        left = intake - given[rows].sum(axis=0)
        under = np.maximum(aim - left, 0.0)
        above = np.where(np.isfinite(band), np.maximum(left - band * (1 + 1e-9), 0.0), 0.0)
        return round(float(((under + above) / aim).sum()), 6)

    return short


def _reduce_or_remove(
    ev: Evaluation,
    line: LineAmounts,
    over: np.ndarray,
    excess: np.ndarray,
    limit_text: SuggestionLimits,
    write: TextWriter,
) -> dict:
    catalog = ev.snapshot.catalog
    if line.sku is None:
        return _removal(ev, [line], limit_text, write)
    product = catalog.products[catalog.index[line.sku]]
    current = line.line.servings(product.servings_per_day)
    per_serving = (
        catalog.nutrients_per_day[catalog.index[line.sku]][over] / product.servings_per_day
    )
    keep = math.floor(float(np.min(current - excess / per_serving)) + 1e-9)
    while keep > 0 and ((current - keep) * per_serving < excess).any():
        keep -= 1
    keep = min(keep, _within_band(ev, catalog.index[line.sku], product.servings_per_day, current))
    # never more than the label's own daily dose (review 17 B2: "take 2 instead of 5" of a
    # one-a-day 20 µg tablet at 75, 20 µg of 10 µg drops for a child of 1)
    keep = min(keep, math.floor(product.servings_per_day))
    if isinstance(line, NextPack) and keep < line.taken_servings:  # back to what is taken
        keep = int(line.taken_servings) if float(line.taken_servings).is_integer() else 0
    if keep < 1 or keep >= current or not limit_text.reduces:
        return _removal(ev, [line], limit_text, write)
    name = product.name[write.locale]
    text = limit_text.text(
        write, "suggestion_reduce", servings=keep, current=rounded(current), name=name
    )
    reduced = change("reduce", line, keep)
    return {**reduced, "text": text, "changes": [reduced]}


def _within_band(ev: Evaluation, index: int, labelled: float, current: float) -> int:
    """The most servings of the product (catalog `index`) that keep the day within the dose
    band of every nutrient it gives whose band the rest of the day keeps (review 16 F8: "take
    1 instead of 50" of a 75 µg tablet at 40, and the next check said to remove it, 80 µg
    above the 37.5 µg band: one end state, the removal)."""
    band = advice_of(ev).band_upper * (1 + 1e-9)
    one = ev.snapshot.catalog.nutrients_per_day[index] / labelled
    others = ev.intake - current * one  # the day without this line
    columns = np.flatnonzero((one > 0) & np.isfinite(band) & (others <= band))
    if not columns.size:
        return math.floor(current)
    return math.floor(float(np.min((band[columns] - others[columns]) / one[columns])) + 1e-9)


def _removal(
    ev: Evaluation, lines: list[LineAmounts], limit_text: SuggestionLimits, write: TextWriter
) -> dict:
    catalog = ev.snapshot.catalog
    names = [
        catalog.products[catalog.index[line.sku]].name[write.locale] if line.sku else line.name
        for line in lines
    ]
    changes = [change("remove", line, 0) for line in lines]
    text = limit_text.text(write, "suggestion_remove", name=write.listed(names))
    return {**changes[0], "text": text, "changes": changes}


def change(code: str, line: LineAmounts, servings: int) -> dict[str, Any]:
    change: dict[str, Any] = {
        "code": code,
        "sku": line.sku,
        "servings_per_day": servings,
        "line": line.path,
    }
    if line.sku is None:
        change["label"] = line.line.label
    return change
