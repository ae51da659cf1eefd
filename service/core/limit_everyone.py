"""Products whose daily dose alone is above an upper limit for everyone they are sold for.

One check, three readers: the alternatives GET leaves such a product out with the market's food
allowance (review 16 F6), and the catalog checks (`above-upper-limit`) and the product page's
`markets` name one that is above the limit itself, with no food at all, for every age it is
sold for: a product no list ever offers to anyone (guarantee 1; review s31b H5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .amounts import above
from .food import room

if TYPE_CHECKING:
    from .catalog import Catalog
    from .reference import Reference

SEXES = ("male", "female")  # `other` and `unspecified` take the higher food value: less room
# (ids of catalog and reference, market or "" without food) -> (catalog, reference, mask)
_OVER: dict[tuple[int, int, str], tuple[Catalog, Reference, np.ndarray]] = {}


def above_limit_for_everyone(
    catalog: Catalog, reference: Reference, country: str, food: bool = True
) -> np.ndarray:
    """Products whose daily dose alone is above the room an upper limit leaves for every age
    and sex the product is sold for (review 16 F6: the 375 mg magnesium tablet, EFSA's limit for
    supplemental magnesium 250 mg from 4 years; in DE the 100 µg vitamin D, the adult limit for
    total intake, above it with any food). The room is the one the plain list checks (guarantees
    1 and 9): the default jurisdiction's limit (another only tightens) less the market's food
    allowance (food_intake.yaml P95) where the limit counts food, per age band the product's
    ages reach, for a man and a woman; a product above it for each of them is one the plain list
    offers to no profile that declares no food intake of its own, so the GET, which has no
    person, does not offer it either. Pregnancy and breastfeeding only tighten (the stricter of
    the band's limit and theirs) and are left out; an age band without a limit for a nutrient
    (magnesium below 4) is room without end. `food` False: the limit itself is the room (no
    food at all, `country` unused): above it, no profile is ever offered the product.
    Computed once per catalog, reference and market."""
    key = (id(catalog), id(reference), country if food else "")
    known = _OVER.get(key)
    if known is not None and known[0] is catalog and known[1] is reference:
        return known[2]
    intake = reference.food
    per_day = catalog.nutrients_per_day
    everyone = np.ones(len(catalog), dtype=bool)
    sold_to_anyone = np.zeros(len(catalog), dtype=bool)
    for band, low, high in intake.bands:
        sold = (catalog.min_age <= high) & (catalog.max_age >= low)
        limits = reference.upper_limits.for_profile(low, "none")
        for sex in SEXES:
            left = room(limits, intake.allowance(band, country, sex)) if food else limits
            over = ((per_day > 0) & above(per_day, np.nan_to_num(left, nan=np.inf))).any(axis=1)
            everyone &= over | ~sold
            sold_to_anyone |= sold
    mask = everyone & sold_to_anyone
    mask.setflags(write=False)
    if len(_OVER) > 16:
        _OVER.clear()
    _OVER[key] = (catalog, reference, mask)
    return mask


def above_every_limit(catalog: Catalog, reference: Reference) -> np.ndarray:
    """Products whose daily dose alone is above an upper limit itself (no food) at every age
    they are sold for: never offered to anyone, in any market (review s31b H5)."""
    return above_limit_for_everyone(catalog, reference, "", food=False)


def limits_passed(catalog: Catalog, reference: Reference, index: int) -> str:
    """Of such a product, in words: each nutrient whose daily dose alone is above its limit at
    every age the product is sold for, with the highest of those limits (upper_limits.yaml):
    "vitamin_d_ug 500 (upper limit at most 100)"; else (a different nutrient for different
    ages) each age band's: "zinc_mg 30 (upper limit 25 at ages 18+)"."""
    product = catalog.products[index]
    per_day = catalog.nutrients_per_day[index]
    keys = catalog.nutrient_keys
    last = len(reference.food.bands) - 1
    sold = [
        (
            f"{low}+" if i == last else f"{low}-{high}",
            reference.upper_limits.for_profile(low, "none"),
        )
        for i, (_, low, high) in enumerate(reference.food.bands)
        if product.min_age <= high and (product.max_age is None or product.max_age >= low)
    ]
    words = []
    for column, key in enumerate(keys):
        amount = float(per_day[column])
        limits = [float(table[column]) for _, table in sold]
        if amount > 0 and all(not np.isnan(x) and above(amount, x) for x in limits):
            words.append(f"{key} {amount:g} (upper limit at most {max(limits):g})")
    if words:
        return ", ".join(words)
    for ages, table in sold:  # a different nutrient for different ages
        words += [
            f"{key} {float(per_day[c]):g} (upper limit {float(table[c]):g} at ages {ages})"
            for c, key in enumerate(keys)
            if per_day[c] > 0 and above(per_day[c], table[c])
        ]
    return ", ".join(words)
