"""Why what is taken or in the basket fails a guarantee for the person, per nutrient (R3, R10):
`Offer.failing` (advice.py) reads it; such a nutrient is never called "enough", its notice is a
warning (advice_texts.advice_notices)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .amounts import above
from .fastnp import flatnonzero
from .safety import life_stage_maxima

if TYPE_CHECKING:
    from .ranking import Evaluation


@dataclass(frozen=True)
class Failing:
    """Why what is taken fails a guarantee for one nutrient: `kind` (interaction,
    life_stage_maximum, dose_band, life_stage), the indices of the resolved lines that give it,
    and the maximum crossed (life stage or dose band)."""

    kind: str
    lines: tuple[int, ...]
    maximum: float | None
    interaction: str | None = None  # the interaction's id (kind interaction): whom to ask


def failing_of(
    ev: Evaluation, unsuitable_lines: list[int], enough_taken: list[int]
) -> dict[int, Failing]:
    """Nutrient columns where what is taken or in the basket fails a guarantee for the person
    (R3, R10): a line an interaction or contraindication excludes (K2 with a vitamin K
    antagonist), a total above the life stage's maximum (product_maxima.yaml `life_stages`,
    labels counted too), a total above the dose band, or, for a nutrient that is covered
    (`enough_taken`), a catalog product the catalog marks unsuitable in the life stage
    (`unsuitable_lines`)."""
    from .advice import advice_of  # it reads this module

    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    lines = ev.resolved
    out: dict[int, Failing] = {}

    def giving(column: int, threshold: float = 0.0) -> tuple[int, ...]:
        return tuple(i for i, line in enumerate(lines) if line.amounts[column] > threshold)

    for interaction in ev.safety.triggered:
        for key, threshold in interaction.exclude.items():
            column = keys.index(key)
            found = giving(column, threshold)
            if found and column not in out:
                out[column] = Failing("interaction", found, None, interaction.id)
    # a woman planning a pregnancy is held to the pregnancy maxima (review s8 Q4)
    stage = life_stage_maxima(reference, ev.profile)
    unsuitable = set(unsuitable_lines)
    for key, maximum in stage.items():
        column = keys.index(key)
        if column in out or not above(ev.intake[column], maximum):  # noise: not above
            continue  # within it; at 0 (retinol) a product unsuited as a whole says it
        others = [i for i in giving(column) if i in unsuitable]
        rest = ev.intake[column] - sum(lines[i].amounts[column] for i in others)
        alone = any(above(lines[i].amounts[column], maximum) for i in others)
        if maximum and others and not alone and not above(rest, maximum):
            # within it once what does not suit as a product stops (and within it by
            # itself: a 75 µg flagship says its dose, review s8 Q4): that product is the
            # failing, not the rest (review s39a F7: a pregnant woman's suitable 20 µg
            # D3 + K2 drops beside a women's multivitamin were replaced with a 20 µg D3)
            out[column] = Failing("life_stage", tuple(others), None)
            continue
        if found := tuple(i for i in giving(column) if maximum or i not in unsuitable):
            out[column] = Failing("life_stage_maximum", found, float(maximum))
    upper = advice_of(ev).band_upper
    for column in flatnonzero(ev.intake > upper * (1 + 1e-9)).tolist():
        if column not in out:
            out[column] = Failing("dose_band", giving(column), float(upper[column]))
    for column in enough_taken:
        found = tuple(i for i in giving(column) if i in unsuitable)
        if found and column not in out:
            out[column] = Failing("life_stage", found, None)
    return out


def stage_totals(ev: Evaluation, index: int) -> tuple[list[int], list[int]]:
    """The nutrient columns where the product at `index` with what is taken besides it goes
    above the life stage's maximum: (those it fails, those within that maximum once the lines
    of products unsuitable in the life stage as a whole stop). The second are theirs, as
    `failing_of` names them (review s39a F7), not the product's: a pregnant woman's 25 µg D3
    beside a women's multivitamin (10 µg) goes on once that multivitamin stops (s39d F1)."""
    stage = life_stage_maxima(ev.snapshot.reference, ev.profile)
    if not stage:
        return [], []
    keys = ev.snapshot.reference.nutrients.keys
    row = ev.snapshot.catalog.nutrients_per_day[index]
    unsuitable = ev.offer.unsuitable_lines
    fails: list[int] = []
    theirs: list[int] = []
    for key, maximum in stage.items():
        column = keys.index(key)
        total = ev.safety.totals_with_item[index, column]
        if row[column] <= 0 or not above(total, maximum):
            continue
        rest = total - sum(ev.resolved[i].amounts[column] for i in unsuitable)
        (theirs if maximum and unsuitable and not above(rest, maximum) else fails).append(column)
    return fails, theirs


def doctor_covers(ev: Evaluation, column: int) -> bool:
    """The profile's doctor's dose of the nutrient (`higher_dose_advised`) is at least what is
    taken and in the basket of it."""
    from .advice import advice_of  # it reads this module

    doctor = advice_of(ev).doctor.get(column)
    return doctor is not None and not above(float(ev.intake[column]), doctor)


def doctor_dose_product(ev: Evaluation, index: int) -> bool:
    """The product at catalog `index` does not suit the life stage only by its dose of nutrients
    whose doctor's dose covers what is taken (review s44b F4: a pregnant woman's 50 µg D3 for a
    measured deficiency, as her doctor advised, was to be swapped for 25 µg drops): it fails no
    other check of the profile (diet, allergy, age, an interaction, a rule's `taken`)."""
    from .refills.why import unfit_products  # it reads this module

    stage = ev.safety.excluded.get("life_stage")
    if stage is None or not stage[index] or unfit_products(ev, besides="life_stage")[index]:
        return False
    keys = ev.snapshot.reference.nutrients.keys
    row = ev.snapshot.catalog.nutrients_per_day[index]
    maxima = life_stage_maxima(ev.snapshot.reference, ev.profile)
    over = [keys.index(k) for k, most in maxima.items() if above(row[keys.index(k)], most)]
    return bool(over) and all(doctor_covers(ev, column) for column in over)


def zero_stage_labels(ev: Evaluation) -> list[int]:
    """Resolved label lines (no SKU) that give a nutrient of which the life stage allows none
    (product_maxima.yaml `life_stages`: retinol in pregnancy): unsuitable as a whole, as the
    catalog marks such a product, so what else they give is no "achieved" (review s44a F3: a
    typed-in women's multivitamin achieved a pregnant woman's folic acid, vitamin D and iodine,
    by SKU it failed)."""
    keys = ev.snapshot.reference.nutrients.keys
    zero = [
        keys.index(k)
        for k, most in life_stage_maxima(ev.snapshot.reference, ev.profile).items()
        if most == 0
    ]
    return [
        i
        for i, line in enumerate(ev.resolved)
        if line.sku is None and any(line.amounts[c] > 0 for c in zero)
    ]
