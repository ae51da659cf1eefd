"""The replacement of a current supplement that does not suit the person (core/instead.py)
in the placements built on the profile's list, `home` and `account` (review s26b B2: they
showed the empty list and "talk to your midwife" that review 23p #3 was about)."""

from __future__ import annotations

from ..instead import Instead, shares, taken_instead
from .context import Pick, PlacementContext


def with_replacement(ctx: PlacementContext, picks: list[Pick]) -> tuple[list[Pick], Instead | None]:
    """(`picks` less those that give a nutrient the replacement gives, the replacement or
    None), as the plain list: the replacement is named in a notice (`instead_notice`)."""
    instead = taken_instead(ctx.ev, ctx.request)
    if instead is None:
        return picks, None
    return [p for p in picks if not shares(ctx.ev, instead, p.index)], instead
