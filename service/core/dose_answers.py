"""What may answer a doctor's dose (doctor_reach.py, advice_extras.doctor_band_unmet): the
products that suit the person whatever they take, alone within the room the upper limits
leave, and which nutrients a medicine or condition keeps out. Session 13 (review 12 F5, F7,
F11; reviews 14 and 15)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .ranking import Evaluation


# safety masks that depend on what is taken beside a product (the day's totals, SKUs taken)
BESIDE_TAKEN = frozenset({"upper_limit", "life_stage_maximum", "already_taken"})


def suits_the_person(ev: Evaluation) -> np.ndarray:
    """Products no safety mask keeps from the person whatever they take (who they are, their
    medicines and conditions, the law, the stock) and no rule excludes."""
    known = ev.memo.get("suits_the_person")
    if known is None:
        known = ~ev.rule_excluded & ev.rule_required
        for name, mask in ev.safety.excluded.items():
            if name not in BESIDE_TAKEN:
                known = known & ~mask
        ev.memo["suits_the_person"] = known
    return known


def answers_a_dose(ev: Evaluation, column: int) -> np.ndarray:
    """What may answer a doctor's dose of `column`: `suits_the_person`, adding nothing taken
    enough of (a vegan multivitamin's 200 µg folic acid beside a pregnancy multivitamin's
    vitamin D), no multivitamin for gaps it only overshoots (needs.overshot_gap, review 12 F6),
    and alone within the room every other limit leaves beside food (a kids' multivitamin whose
    zinc crosses it answers no child's folic acid dose: review 14); the room of `column` itself
    is doctor_reach's to name."""
    from .advice_extras import extra_concern  # it reads this module
    from .needs import overshot_gap  # it reads the Offer, which reads this module

    known = ev.memo.get(("answers_a_dose", column))
    if known is None:
        alone = alone_within_room(ev, column)
        known = suits_the_person(ev) & alone & ~ev.offer.duplicate & ~overshot_gap(ev.offer)
        # nor one whose other nutrient is itself a concern, which no list offers (review 20b
        # F5: a doctor's 1 mg vitamin B6 and the magnesium + B6 tablet at 200 mg magnesium)
        known = known & ~extra_concern(ev.offer)
        # nor one past a medicine's warning or with a nutrient not indicated, which no list
        # offers for this dose (review 20b F4, 20d F2)
        known = known & ~ev.offer.kept_out
        ev.memo[("answers_a_dose", column)] = known
    return known


def alone_within_room(ev: Evaluation, column: int | None = None) -> np.ndarray:
    """Products whose daily dose alone stays within the room every upper limit leaves beside
    food (all but `column`'s, where given): what may be taken instead of what is taken, or
    answer a doctor's dose of `column` (doctor_reach names that column's room itself)."""
    known = ev.memo.get(("alone_within_room", column))
    if known is None:
        room = ev.safety.room_or_inf * (1 + 1e-9)
        if column is not None:
            room = room.copy()
            room[column] = np.inf
        known = np.asarray((ev.snapshot.catalog.nutrients_per_day <= room).all(axis=1))
        ev.memo[("alone_within_room", column)] = known
    return known


def excluded_by_interaction(ev: Evaluation) -> set[int]:
    """Nutrient columns an interaction of the person's medicines or conditions excludes
    (interactions.yaml `exclude`, at any threshold)."""
    keys = ev.snapshot.reference.nutrients.keys
    return {keys.index(k) for i in ev.safety.triggered for k in i.exclude}


def warned_past_dose(ev: Evaluation, column: int) -> bool:
    """Whether a product that gives `column` and suits the person, alone within the room the
    other limits leave, is kept out only because it goes past that nutrient's advice beside a
    medicine's or condition's warning of it (needs.past_advice_warned): the doctor's-dose
    notices then say so, not that no product suits the person (left open in s20)."""
    from .needs import past_advice_warned  # it reads the Offer, which reads this module

    gives = ev.snapshot.catalog.nutrients_per_day[:, column] > 0
    fits = suits_the_person(ev) & alone_within_room(ev, column) & ~ev.offer.duplicate
    return bool((gives & fits & past_advice_warned(ev.offer)).any())
