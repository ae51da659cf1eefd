"""`GET /v1/products/{sku}/alternatives`: the alternatives of a product without a profile.

The products that serve the same need at a comparable dose and are no less suitable
(alternatives.py), sellable in the country and in stock, and not above an upper limit for
everyone they are sold for (`above_limit_for_everyone`, review 16 F6).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..amounts import above, rounded
from ..catalog import Catalog
from ..errors import NotFound
from ..food import room
from ..market import market_masks
from ..reference import Reference
from ..snapshot import Snapshot
from .alternatives import (
    alternative_mask,
    alternative_reasons,
    dose_distance,
    no_alternatives_notice,
)

SEXES = ("male", "female")  # `other` and `unspecified` take the higher food value: less room
# (ids of catalog and reference, market) -> (catalog, reference, mask); a few snapshots at most
_OVER: dict[tuple[int, int, str], tuple[Catalog, Reference, np.ndarray]] = {}


def above_limit_for_everyone(catalog: Catalog, reference: Reference, country: str) -> np.ndarray:
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
    (magnesium below 4) is room without end. Computed once per catalog, reference and market."""
    key = (id(catalog), id(reference), country)
    known = _OVER.get(key)
    if known is not None and known[0] is catalog and known[1] is reference:
        return known[2]
    food = reference.food
    per_day = catalog.nutrients_per_day
    everyone = np.ones(len(catalog), dtype=bool)
    sold_to_anyone = np.zeros(len(catalog), dtype=bool)
    for band, low, high in food.bands:
        sold = (catalog.min_age <= high) & (catalog.max_age >= low)
        limits = reference.upper_limits.for_profile(low, "none")
        for sex in SEXES:
            left = room(limits, food.allowance(band, country, sex))
            over = ((per_day > 0) & above(per_day, np.nan_to_num(left, nan=np.inf))).any(axis=1)
            everyone &= over | ~sold
            sold_to_anyone |= sold
    mask = everyone & sold_to_anyone
    mask.setflags(write=False)
    if len(_OVER) > 16:
        _OVER.clear()
    _OVER[key] = (catalog, reference, mask)
    return mask


def alternatives_of(
    snapshot: Snapshot,
    sku: str,
    limit: int,
    locale: str,
    country: str = "NL",
) -> dict[str, Any]:
    """`GET /v1/products/{sku}/alternatives`: without a profile, the products that serve the
    same need and are no less suitable (alternatives.py), sellable in `country` and in stock,
    never one whose dose alone is above an upper limit for everyone it is sold for
    (`above_limit_for_everyone`)."""
    catalog, reference = snapshot.catalog, snapshot.reference
    index = catalog.index.get(sku)
    if index is None:
        raise NotFound(f"no product with SKU {sku!r}")
    config = snapshot.placements
    market = country.upper()
    mask = alternative_mask(catalog, index, config, only_its_nutrients=True)
    mask &= ~catalog.not_sellable & catalog.in_stock
    mask &= ~above_limit_for_everyone(catalog, reference, market)
    for excluded in market_masks(catalog, reference.market_maxima, market).values():
        mask &= ~excluded
    order = sorted(
        mask.nonzero()[0].tolist(),
        key=lambda o: (round(dose_distance(catalog, index, o), 3), catalog.products[o].sku),
    )
    items = []
    for other in order:
        reasons = alternative_reasons(catalog, reference, config, index, other, locale)
        reasons = [r for r in reasons if reference.forbidden_match(r["text"]) is None]
        if not reasons:
            continue
        product = catalog.products[other]
        items.append(
            {
                "sku": product.sku,
                "name": product.name[locale],
                "score": round(1.0 / (1.0 + dose_distance(catalog, index, other)), 4),
                "servings_per_day": product.servings_per_day,
                "nutrients_per_day": {k: rounded(v) for k, v in product.nutrients_per_day.items()},
                "category": product.category,
                "form": product.form,
                "brand": product.brand,
                "price": product.price,
                "currency": product.currency,
                "price_per_month": product.price_per_month,
                "reasons": reasons,
                "warnings": [],
                "strategy": "alternatives",
            }
        )
        if len(items) >= limit:
            break
    notices = [] if items else [no_alternatives_notice(config, locale, profile=False)]
    return {"product": sku, "items": items, "notices": notices, "versions": snapshot.versions}
