"""The reasons of a reorder item that say what to stop when it starts (split from render.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..snapshot import Snapshot
from .settings import RefillConfig
from .stopped import said_by
from .why_texts import nutrient_names


def stop_reasons(
    snapshot: Snapshot,
    config: RefillConfig,
    stopped: Mapping[str, str],
    sku: str,
    locale: str,
    proposed: str | None = None,
) -> list[dict[str, str]]:
    """`stop:<SKU>` on the reorder of `sku` (`proposed`: the product proposed for it, if not
    itself) for each lasting supply the plan stops when it starts (RefillPlan.stopped,
    session 18; `said_by`), where the item gives a nutrient it gives: what to stop, and why;
    one stopped as not suited to the life stage (`Stopped.unsuited`, review s39d F1) or
    replaced with it (`Stopped.joined`) says that."""
    catalog, reference = snapshot.catalog, snapshot.reference
    unsuited: frozenset[str] = getattr(stopped, "unsuited", frozenset())
    joined: frozenset[str] = getattr(stopped, "joined", frozenset())
    out = []
    for other in said_by(stopped, sku):
        product = catalog.products[catalog.index[other]]
        both = shared(catalog, other, proposed or sku)
        if not both:
            continue  # said where what it gives goes on (s41c: not a folic acid's, of a D3)
        if other in joined:
            text = config.text("reason_stop_joined", locale, name=product.name[locale])
        else:  # unsuited: what the two give together above her life stage's maximum
            key = "reason_stop_unsuited" if other in unsuited else "reason_stop_lasting"
            names = nutrient_names(reference, both, locale)
            text = config.text(key, locale, name=product.name[locale], nutrients=names)
        out.append({"code": f"stop:{other}", "text": text})
    return out


def shared(catalog: Any, sku: str, other: str) -> list[str]:
    """The nutrients both catalog products `sku` and `other` give, sorted."""
    return sorted(set(gives(catalog, sku)) & set(gives(catalog, other)))


def gives(catalog: Any, sku: str) -> list[str]:
    """The nutrients the catalog product `sku` gives a day."""
    return list(catalog.products[catalog.index[sku]].nutrients_per_day)
