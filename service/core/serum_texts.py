"""What a measured vitamin D level below the referral threshold changes in the texts
(scoring.yaml `dose_band.serum.refer_below`): the doctor's first (split from advice_texts.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .advice import advice_of
from .amounts import rounded

if TYPE_CHECKING:
    from .ranking import Evaluation


def serum_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`serum_deficient`: a deficient level is the doctor's first (R8), said whatever a list or
    a regimen offers, and whatever the age or life stage (review s6 T2)."""
    serum, below = advice_of(ev).serum, ev.offer.config.serum_refer_below
    if serum is None or below is None or serum >= below:
        return []
    text = ev.snapshot.reference.text(
        "notice_serum_deficient", locale, serum=rounded(serum), below=rounded(below)
    )
    return [{"code": "serum_deficient", "text": text}]


def deficient_column(ev: Evaluation) -> int | None:
    """The column of the measured nutrient where the level is below the referral threshold
    (`serum_deficient` is said): what is taken of it is never called "enough" beside that
    notice, nor a regimen "nothing needs to be added" (review 23p #2: a pregnant woman's 10 µg
    at 20 nmol/l). None where a doctor advised a dose of it: the doctor has decided, and what
    is taken is enough of that dose (re-review 23r #6)."""
    config, advice = ev.offer.config, advice_of(ev)
    serum, below = advice.serum, config.serum_refer_below
    if serum is None or below is None or serum >= below or config.serum_nutrient is None:
        return None
    column = ev.snapshot.reference.nutrients.keys.index(config.serum_nutrient)
    return None if column in advice.doctor else column
