"""The replacement of a current supplement that does not suit the person (core/instead.py)
in the placements built on the profile's list, `home` and `account` (review s26b B2: they
showed the empty list and "talk to your midwife" that review 23p #3 was about)."""

from __future__ import annotations

from ..instead import Instead, shares
from .context import Pick, PlacementContext

# placements that name what suits in place of a current supplement that does not suit
# (core/instead.py): home and account, and cart and checkout; not a product page (its product
# and alternatives); the e-mail only where its refills named nothing (they name their own)
REPLACING = frozenset({"profile", "buy_again", "complements"})


def names_instead(ctx: PlacementContext) -> bool:
    """The placement names `instead:` as the plain list does: one of REPLACING, or the refill
    e-mail while its refills strategy has picked nothing (review s36a F3: a vegan girl's
    e-mail said no product fits where the list named a B12 in place of her multivitamin)."""
    strategies = set(ctx.placement.strategies)
    if strategies <= REPLACING:
        return True
    return strategies <= REPLACING | {"refills"} and not ctx.__dict__.get("_refills_picked")


def with_replacement(
    ctx: PlacementContext, picks: list[Pick]
) -> tuple[list[Pick], tuple[Instead, ...]]:
    """(`picks` less those that give a nutrient a replacement gives, the replacements), as the
    plain list: each replacement is named in a notice (`instead_notice`)."""
    instead = ctx.instead
    if not instead:
        return picks, ()
    return [p for p in picks if not shares(ctx.ev, instead, p.index)], instead
