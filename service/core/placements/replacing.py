"""The replacement of a current supplement that does not suit the person (core/instead.py)
in the placements built on the profile's list, `home` and `account` (review s26b B2: they
showed the empty list and "talk to your midwife" that review 23p #3 was about)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..instead import Instead, shares
from .context import Pick, PlacementContext

# placements that name what suits in place of a current supplement that does not suit
# (core/instead.py): home and account, cart and checkout, and the refill e-mail beside what
# its refills name; not a product page (its product and alternatives)
REPLACING = frozenset({"profile", "buy_again", "complements", "refills"})


def names_instead(ctx: PlacementContext) -> bool:
    """The placement names `instead:` as the plain list does (review s36a F3, s36c F2: the
    e-mail of a vegan girl said no product fits where the list named a B12 in place of her
    sport multivitamin)."""
    return set(ctx.placement.strategies) <= REPLACING


def with_replacement(
    ctx: PlacementContext, picks: list[Pick]
) -> tuple[list[Pick], tuple[Instead, ...]]:
    """(`picks` less those that give a nutrient a replacement gives, the replacements), as the
    plain list: each replacement is named in a notice (`instead_notice`). Beside the refills'
    picks (the e-mail) only a replacement of a product none of them handles (reorders or
    replaces), naming only what gives nothing any of them gives: the reorder speaks for its
    own (re-review s40e F1: a men's multivitamin's folic acid and iodine were dropped together
    beside a folic acid reorder, and nothing named her iodine)."""
    instead = ctx.instead
    refilled = [p for p in picks if p.strategy == "refills"]
    if refilled:
        handled = {p.extra.get("for_sku") for p in refilled}
        catalog = ctx.snapshot.catalog
        gives = catalog.nutrients_per_day > 0
        # not a product still taken today that goes on: the list named what suits beside it
        # (s41c: a pregnant woman's calcium + D3 reordered as it runs out dropped the folic
        # acid + D3 named in place of her men's multivitamin, and nothing named folic acid)
        today = ctx.today.isoformat()
        new = [p.index for p in refilled if not _goes_on(p, today)]
        reordered = gives[new].any(axis=0) if new else np.zeros(gives.shape[1], dtype=bool)
        kept = []
        for one in instead:
            if {catalog.products[i].sku for i in one.stopped} & handled:
                continue
            named = tuple(i for i in one.indices if not (gives[i] & reordered).any())
            if named == one.indices:
                kept.append(one)
            elif named:
                kept.append(replace(one, indices=named))
        instead = tuple(kept)
        going = [p for p in refilled if _goes_on(p, today)]  # named beside them already
        rest, instead = _beside(ctx, [p for p in picks if p not in going], instead)
        return [p for p in picks if p in going or p in rest], instead
    return _beside(ctx, picks, instead)


def _goes_on(pick: Pick, today: str) -> bool:
    """A refills pick that reorders a product still taken today (the list counts it)."""
    return pick.extra.get("action") == "reorder" and str(pick.extra.get("runs_out_on")) > today


def _beside(
    ctx: PlacementContext, picks: list[Pick], instead: tuple[Instead, ...]
) -> tuple[list[Pick], tuple[Instead, ...]]:
    """(`picks` less those that give a nutrient a replacement gives, the replacements)."""
    if not instead:
        return picks, ()
    return [p for p in picks if not shares(ctx.ev, instead, p.index)], instead


def page_replacement(
    ctx: PlacementContext, picks: list[Pick]
) -> tuple[list[Pick], tuple[Instead, ...]]:
    """On the page of a product taken that does not suit, what the plain list names in its
    place (its `instead:` notice), the picks giving nothing it gives (review s37a F7: the page
    of a vegan's 100 µg D3 said "we suggest no other product for the same need", while the
    list named a vegan D3 in its place). Only that notice: the page is about its product."""
    index = ctx.product_index
    return _beside(ctx, picks, tuple(one for one in ctx.instead if index in one.stopped))
