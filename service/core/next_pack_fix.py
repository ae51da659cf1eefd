"""The intake check's suggestion where the basket holds the next pack of a product already
taken (profile.with_next_packs merges it into the taken line; basket_fix.NextPack).

Raised servings of a next pack are the first thing to undo: where the basket with each pack back
at the servings taken fails no guarantee and crosses no limit, while the basket as it is does,
the suggestion takes the packs back to those servings (review 24 F3: 2 a day of a 25 µg softgel
taken once a day, above the dose band, got no suggestion; F5: in pregnancy the folic acid +
D3 tablet was removed, not the doubled D3). And where a taken product fails a guarantee of its
own, its pack is removed and what else crosses a limit is fixed with it (review 24 F1)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .amounts import rounded
from .basket_fix import change, next_packs
from .day_totals import over_room
from .profile import Line, labelled_lines
from .ranking import Evaluation, evaluate
from .regimen_texts import TextWriter
from .unsuited import line_name, line_reasons, unsuited_lines


def packs_back(
    ev: Evaluation, basket: list[Line], request: dict, write: TextWriter
) -> dict[str, Any] | None:
    """Each raised next pack back at the servings taken (or removed where those are no whole
    number), where that alone leaves the basket failing nothing it fails now; None otherwise."""
    raised = next_packs(ev, basket)
    if not raised:
        return None
    paths = {p.path for p in raised} | {path for p in raised for path, _ in p.followers}
    back = [
        replace(line, servings_per_day=None) if f"basket.{b}" in paths else line
        for b, line in enumerate(basket)
    ]
    then = evaluate(
        ev.snapshot,
        ev.profile,
        labelled_lines(ev.profile, back),
        ev.today,
        request.get("jurisdiction"),
    )
    if then.over_limit_now or over_room(then).size:
        return None
    now, after = unsuited_lines(ev), unsuited_lines(then)
    if any(then.resolved[i].path.startswith("basket.") for i in after):
        return None  # a line still to remove: the suggestion's other paths
    gone = {i: [w for w in whys if w not in after.get(i, [])] for i, whys in now.items()}
    gone = {i: whys for i, whys in gone.items() if whys}
    if not gone:  # nothing the packs cause: a crossed limit alone is basket_fix's (NextPack)
        return None
    changes, parts = [], []
    for pack in raised:
        taken = float(pack.taken_servings)
        whole = taken.is_integer() and taken >= 1
        for path in [pack.path, *(path for path, _ in pack.followers)]:
            step = change("reduce" if whole else "remove", pack, int(taken) if whole else 0)
            changes.append({**step, "line": path})
        name = line_name(ev, _taken_index(ev, pack.sku), write)
        current = rounded(float(pack.line.servings_per_day or 0))
        parts.append(
            write("suggestion_reduce_pack", servings=int(taken), current=current, name=name)
            if whole
            else write("suggestion_remove_pack", name=name)
        )
    reasons = "; ".join(line_reasons(ev, i, whys, write) for i, whys in sorted(gone.items()))
    text = write("suggestion_pack_because", changes="; ".join(parts), reasons=reasons)
    return {**changes[0], "text": text, "changes": changes}


def _taken_index(ev: Evaluation, sku: str | None) -> int:
    return next(i for i, line in enumerate(ev.resolved) if line.sku == sku)


def kept_for_then(
    ev: Evaluation, lines: list, basket: list[Line], going: list[int], packs: dict[int, list[str]]
) -> tuple[list, list[Line]]:
    """The lines (and basket) once the `going` basket lines and the `packs` (resolved index of
    the taken line -> its pack lines' places) are removed: a taken line is back at what the
    person takes, and stays (review 24 F1: its crossed limit is still fixed)."""
    gone = {path for paths in packs.values() for path in paths}
    rest = [Line() if f"basket.{b}" in gone else line for b, line in enumerate(basket)]
    taken = {
        path: line
        for path, line in labelled_lines(ev.profile)
        if path in {ev.resolved[i].path for i in packs}
    }
    kept = [(path, taken.get(path, line)) for i, (path, line) in enumerate(lines) if i not in going]
    return kept, rest
