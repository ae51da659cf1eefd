"""Daily totals across the lines a person combines, with units normalised to the contract's keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .catalog import Catalog
from .errors import InvalidInput
from .profile import Line, Profile
from .reference import Nutrients


@dataclass(frozen=True)
class LineAmounts:
    """Per-day nutrient vector of one line, with where it came from in the request."""

    path: str
    line: Line
    sku: str | None
    amounts: np.ndarray

    @property
    def name(self) -> str:
        """How texts name the line: its SKU, else its label, else its place in the request."""
        return self.sku or self.line.label or self.path


def shown_name(line: LineAmounts, snapshot: Any, locale: str) -> str:
    """How a customer text names a line: the catalog's name, else its label, else its place in
    words (“unnamed product” (line 1 of your basket), without an article for any
    preposition; session 18: "basket.0" was shown)."""
    if line.sku and line.sku in snapshot.catalog.index:
        return str(snapshot.catalog.products[snapshot.catalog.index[line.sku]].name[locale])
    if line.line.label:
        return line.line.label
    where, _, number = line.path.rpartition(".")
    if not number.isdigit():
        return line.path
    key = "line_unnamed_basket" if where == "basket" else "line_unnamed_taken"
    return str(snapshot.reference.text(key, locale, number=int(number) + 1))


def resolve_lines(
    lines: list[tuple[str, Line]], catalog: Catalog, nutrients: Nutrients
) -> list[LineAmounts]:
    """Turn request lines into per-day vectors; unknown SKUs or nutrient keys are a 422."""
    errors: dict[str, list[str]] = {}
    resolved = []
    for path, line in lines:
        amounts = np.zeros(len(nutrients.keys))
        if line.sku is not None:
            i = catalog.index.get(line.sku)
            if i is None:
                errors[f"{path}.sku"] = [f"unknown SKU {line.sku!r}"]
                continue
            product = catalog.products[i]
            servings = line.servings(product.servings_per_day)
            amounts += catalog.nutrients_per_day[i] / product.servings_per_day * servings
        else:
            for key, amount in line.nutrients.items():
                if key in nutrients.keys:
                    amounts[nutrients.index(key)] += amount
                elif key in nutrients.conversions:
                    target, factor = nutrients.conversions[key]
                    amounts[nutrients.index(target)] += amount * factor
                else:
                    errors[f"{path}.nutrients.{key}"] = ["unknown nutrient key"]
        resolved.append(LineAmounts(path, line, line.sku, amounts))
    if errors:
        raise InvalidInput("the request names things the catalog does not know", errors)
    return resolved


def total(resolved: list[LineAmounts], size: int) -> np.ndarray:
    out = np.zeros(size)
    for item in resolved:
        out += item.amounts
    return out


def advised_amounts(profile: Profile, nutrients: Nutrients) -> dict[str, float]:
    """`higher_dose_advised` in the contract's keys (vitamin_d_iu converted to µg): nutrient
    key -> the daily amount a doctor advised (contract v1.1; the schema checked the keys)."""
    out: dict[str, float] = {}
    for key, amount in profile.higher_dose_advised:
        if key in nutrients.conversions:
            key, factor = nutrients.conversions[key]
            amount *= factor
        if key in nutrients.keys:
            out[key] = max(out.get(key, 0.0), amount)
    return out
