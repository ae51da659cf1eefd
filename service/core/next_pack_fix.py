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
from itertools import combinations
from typing import Any

from .amounts import rounded
from .basket_fix import NextPack, basket_can_fix, change, crossed, next_packs
from .profile import Line, labelled_lines
from .ranking import Evaluation, evaluate
from .regimen_texts import TextWriter
from .unsuited import line_reasons, unsuited_lines

MAX_PACKS = 4  # raised next packs searched by subset; more: all of them together


def packs_back(
    ev: Evaluation, basket: list[Line], request: dict, write: TextWriter
) -> dict[str, Any] | None:
    """The fewest raised next packs back at the servings taken (or removed where those are no
    whole number) that alone leave the basket failing nothing it fails now; None otherwise, and
    while the day crosses an upper limit (basket_fix's, with its limit text). Only those packs:
    a doctor's 800 µg folic acid at 2 a day stays beside a vitamin D pack above the band
    (review 25 F2). A limit that what is taken crosses on its own (calcium with food) does not
    stand in the way (review 25 F1): it stays crossed, and no other is crossed with the packs
    back."""
    raised = next_packs(ev, basket)
    lines = [x for x in ev.resolved if x.path.startswith("basket.")]
    if not raised or basket_can_fix(ev, [*lines, *raised]):
        return None
    now = unsuited_lines(ev)
    sizes = range(1, len(raised) + 1) if len(raised) <= MAX_PACKS else [len(raised)]
    for size in sizes:
        for chosen in combinations(raised, size):
            gone = _gone(ev, basket, list(chosen), request, now)
            if gone:
                return _text(ev, list(chosen), gone, write)
    return None


def _gone(
    ev: Evaluation,
    basket: list[Line],
    chosen: list[NextPack],
    request: dict,
    now: dict[int, list[str]],
) -> dict[int, list[str]] | None:
    """What fails no more with the `chosen` packs back, where nothing is left to remove."""
    paths = {p.path for p in chosen} | {path for p in chosen for path, _ in p.followers}
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
    if not set(crossed(then).tolist()) <= set(crossed(ev).tolist()):
        return None
    after = unsuited_lines(then)
    if any(then.resolved[i].path.startswith("basket.") for i in after):
        return None  # a line still to remove: the suggestion's other paths
    gone = {i: [w for w in whys if w not in after.get(i, [])] for i, whys in now.items()}
    return {i: whys for i, whys in gone.items() if whys} or None


def _text(
    ev: Evaluation, chosen: list[NextPack], gone: dict[int, list[str]], write: TextWriter
) -> dict[str, Any]:
    changes, parts = [], []
    for pack in chosen:
        taken = float(pack.taken_servings)
        whole = taken.is_integer() and taken >= 1
        for path in [pack.path, *(path for path, _ in pack.followers)]:
            step = change("reduce" if whole else "remove", pack, int(taken) if whole else 0)
            changes.append({**step, "line": path})
        catalog = ev.snapshot.catalog
        name = catalog.products[catalog.index[str(pack.sku)]].name[write.locale]
        current = rounded(float(pack.line.servings_per_day or 0))
        parts.append(
            write("suggestion_reduce_pack", servings=int(taken), current=current, name=name)
            if whole
            else write("suggestion_remove_pack", name=name)
        )
    said = [line_reasons(ev, i, whys, write) for i, whys in sorted(gone.items())]
    reasons = "; ".join(dict.fromkeys(said))  # the same sum's reason once (review 25 F7)
    last = write("suggestion_pack_because", changes=parts[-1], reasons=reasons)
    text = " ".join([*(f"{part}." for part in parts[:-1]), last])
    return {**changes[0], "text": text, "changes": changes}


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
