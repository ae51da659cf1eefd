"""The replacement of a current supplement that does not suit the person (core/instead.py)
in the placements built on the profile's list, `home` and `account` (review s26b B2: they
showed the empty list and "talk to your midwife" that review 23p #3 was about)."""

from __future__ import annotations

from ..instead import Instead, shares, taken_instead
from .context import Pick, PlacementContext


def with_replacement(
    ctx: PlacementContext, picks: list[Pick]
) -> tuple[list[Pick], tuple[Instead, ...]]:
    """(`picks` less those that give a nutrient a replacement gives, the replacements), as the
    plain list: each replacement is named in a notice (`instead_notice`)."""
    instead = taken_instead(ctx.ev, ctx.request)
    if not instead:
        return picks, ()
    return [p for p in picks if not shares(ctx.ev, instead, p.index)], instead
