"""The replacement of a current supplement that does not suit the person (core/instead.py)
in the placements built on the profile's list, `home` and `account` (review s26b B2: they
showed the empty list and "talk to your midwife" that review 23p #3 was about)."""

from __future__ import annotations

from ..instead import Instead, instead_reasons, shares, taken_instead
from ..vocabulary import LOCALES
from .context import Pick, PlacementContext


def with_replacement(ctx: PlacementContext, picks: list[Pick], limit: int) -> tuple:
    """(`picks`, the replacement or None): as the plain list, the replacement first where it is
    safe beside everything taken (a pick judged on the day without what does not fit, its
    `replaces:<SKU>` reason first), and no pick that gives a nutrient it gives; where it is
    safe only in the product's place, only that (its notice: `instead_notice`)."""
    instead = taken_instead(ctx.ev, ctx.request)
    if instead is None:
        return picks, None
    kept = [p for p in picks if not shares(ctx.ev, instead, p.index)]
    if not instead.beside_safe:
        return kept, instead
    # its reasons of the day without what does not fit, its warnings of the day as it is
    day, index = instead.day, instead.index
    reasons = {locale: instead_reasons(instead, locale)[:1] for locale in LOCALES}
    first = Pick(index, float(day.raw[index]), day, "profile", reasons, reasons_ev=instead.fit)
    return [first, *kept][:limit], instead


__all__ = ["Instead", "with_replacement"]
