"""`GET /v1/products/{sku}/alternatives`: the alternatives of a product without a profile.

The products that serve the same need at a comparable dose and are no less suitable
(alternatives.py), sellable in the country and in stock, and not above an upper limit for
everyone they are sold for (`above_limit_for_everyone` of limit_everyone.py, review 16 F6).
"""

from __future__ import annotations

from typing import Any

from ..amounts import rounded
from ..errors import NotFound
from ..limit_everyone import above_limit_for_everyone
from ..market import market_masks
from ..snapshot import Snapshot
from .alternatives import (
    alternative_mask,
    alternative_reasons,
    dose_distance,
    no_alternatives_notice,
)


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
