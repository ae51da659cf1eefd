"""A regimen beside the products named in place of those taken that do not suit, as the list
names them (instead.py; review s36a F2: a breastfeeding vegan on a women's multivitamin and a
D3, neither vegan, got a regimen of one calcium tablet beside them and no word of what suits in
their place, where her list named B12, a vegan calcium + D3 and iodine). The notices name the
replacements; the regimen's own products give none of their nutrients (`beside_mask`): who
follows both takes nothing the replacements were not checked beside."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .instead import Instead, beside_mask, instead_notice, taken_instead, with_no_items_instead
from .requests import RecommendationRequest

if TYPE_CHECKING:
    from .profile import Profile
    from .ranking import Evaluation

_BESIDE = ("regimen", "beside")  # ev.memo key: the products that may stand beside them


def regimen_instead(
    ev: Evaluation, profile: Profile, jurisdiction: str | None
) -> tuple[Instead, ...]:
    """The list's replacements for this evaluation; the regimen's candidates are then only
    products that may stand beside them (`beside`)."""
    instead = taken_instead(ev, RecommendationRequest(profile=profile, jurisdiction=jurisdiction))
    if instead:
        ev.memo[_BESIDE] = beside_mask(ev, instead)
    return instead


def beside(ev: Evaluation) -> np.ndarray | bool:
    """A mask of the products a regimen may hold beside the replacements (True: any)."""
    found = ev.memo.get(_BESIDE)
    return True if found is None else np.asarray(found)


def with_instead(
    ev: Evaluation,
    instead: tuple[Instead, ...],
    notices: list[dict[str, str]],
    locale: str,
    chosen: bool,
) -> list[dict[str, str]]:
    """`notices` with the list's `instead:` notices; a regimen that adds nothing beside them
    says so as the list does ("what suits in its place is named above"), not "we could not put
    together a regimen"."""
    if not instead:
        return notices
    notices = instead_notice(ev, instead, notices, locale)
    if not chosen and any(n["code"] == "regimen_infeasible" for n in notices):
        kept = [n for n in notices if n["code"] != "regimen_infeasible"]
        notices = with_no_items_instead(instead, [*kept, {"code": "no_items", "text": ""}], locale)
    return notices
