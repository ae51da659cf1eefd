"""Check what a person combines (current supplements + basket): totals, limits, warnings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from .intake import LineAmounts, rounded
from .market import over_maxima
from .profile import Line, Profile
from .ranking import evaluate
from .safety import intake_entries
from .snapshot import Snapshot


def check_intake(
    snapshot: Snapshot,
    profile: Profile,
    basket: tuple[Line, ...],
    locale: str,
    today: dt.date,
    jurisdiction: str | None = None,
) -> dict[str, Any]:
    lines = [
        (f"profile.current_supplements.{i}", x) for i, x in enumerate(profile.current_supplements)
    ]
    lines += [(f"basket.{i}", x) for i, x in enumerate(basket)]
    ev = evaluate(snapshot, profile, lines, today, jurisdiction)
    reference = snapshot.reference
    keys = reference.nutrients.keys
    totals, violations, food_warnings = {}, [], []
    entries = intake_entries(keys, ev.intake, ev.limits, ev.safety)
    for column, key in enumerate(keys):
        amount, limit = ev.intake[column], ev.limits[column]
        over = not np.isnan(limit) and amount > limit * (1 + 1e-9)
        totals[key] = {
            "amount": rounded(amount),
            "upper_limit": None if np.isnan(limit) else rounded(limit),
            "status": "above_upper_limit" if over else "ok",
            "food": entries[key]["food"],
            "room": entries[key]["room"],
        }
        room = ev.safety.room[column]
        if not over and not np.isnan(limit) and amount > room * (1 + 1e-9) + 1e-9:
            # within the limit on its own, but not with a high usual intake from food
            food_warnings.append(
                {
                    "code": f"above_room:{key}",
                    "text": reference.food.text(
                        "above_room",
                        locale,
                        nutrient=reference.nutrients.name(key, locale),
                        amount=rounded(amount),
                        food=rounded(ev.safety.food[column]),
                        upper_limit=rounded(limit),
                        room=rounded(room),
                        unit=reference.nutrients.units[key],
                    ),
                    "skus": _names(ev.resolved, column),
                }
            )
        if over:
            violations.append(
                {
                    "nutrient": key,
                    "amount": rounded(amount),
                    "upper_limit": rounded(limit),
                    "skus": _names(ev.resolved, column),
                    "text": reference.text(
                        "warning_above_upper_limit",
                        locale,
                        nutrient=reference.nutrients.name(key, locale),
                        amount=rounded(amount),
                        upper_limit=rounded(limit),
                        unit=reference.nutrients.units[key],
                    ),
                }
            )
    return {
        "totals": totals,
        "violations": violations,
        "warnings": food_warnings
        + _interaction_warnings(ev, locale)
        + _product_warnings(ev, locale)
        + _law_warnings(ev, locale),
        "versions": snapshot.versions,
    }


def _names(resolved: list[LineAmounts], column: int) -> list[str]:
    return [_name(r) for r in resolved if r.amounts[column] > 0]


def _name(line: LineAmounts) -> str:
    return line.sku or line.line.label or line.path


def _interaction_warnings(ev: Any, locale: str) -> list[dict[str, Any]]:
    keys = ev.snapshot.reference.nutrients.keys
    warnings = []

    def lines_with(thresholds: dict[str, float]) -> list[str]:
        return [
            _name(r)
            for r in ev.resolved
            if any(r.amounts[keys.index(n)] > t for n, t in thresholds.items())
        ]

    for interaction in ev.safety.triggered:
        names = lines_with({**interaction.exclude, **interaction.warn})
        if names:
            warnings.append(
                {
                    "code": f"interaction:{interaction.id}",
                    "text": interaction.text[locale],
                    "skus": names,
                }
            )
    for interaction in ev.snapshot.reference.interactions:
        if interaction.together is None:
            continue
        group_a = lines_with({n: 0 for n in interaction.together[0]})
        group_b = lines_with({n: 0 for n in interaction.together[1]})
        if group_a and group_b and (set(group_a) | set(group_b)) != set(group_a) & set(group_b):
            warnings.append(
                {
                    "code": f"interaction:{interaction.id}",
                    "text": interaction.text[locale],
                    "skus": sorted(set(group_a) | set(group_b)),
                }
            )
    return warnings


def _product_warnings(ev: Any, locale: str) -> list[dict[str, Any]]:
    """Catalog products in the lines that this profile should not take (diet, allergy, age)."""
    reference, catalog, profile = ev.snapshot.reference, ev.snapshot.catalog, ev.profile
    checks = {
        "diet": ("warning_diet", {"diet": reference.text(f"diet_{profile.diet}", locale)}),
        "allergy": ("warning_allergy", None),
        "age": ("warning_age", {"age": profile.age}),
        "life_stage": ("warning_life_stage", {}),
    }
    warnings = []
    for code, (text_key, values) in checks.items():
        mask = ev.safety.excluded.get(code)
        if mask is None:
            continue
        skus = sorted({r.sku for r in ev.resolved if r.sku and mask[catalog.index[r.sku]]})
        if not skus:
            continue
        if values is None:
            found = {a for s in skus for a in catalog.products[catalog.index[s]].allergens}
            values = {
                "allergens": ", ".join(
                    reference.text(f"allergen_{a}", locale)
                    for a in sorted(found & set(profile.allergies))
                )
            }
        warnings.append(
            {"code": code, "text": reference.text(text_key, locale, **values), "skus": skus}
        )
    return warnings


def _law_warnings(ev: Any, locale: str) -> list[dict[str, Any]]:
    """Catalog products in the lines that the law keeps off this profile's market (guarantee 8),
    that are not sellable at all, or that give more than suits pregnancy (guarantee 10)."""
    reference, catalog, profile = ev.snapshot.reference, ev.snapshot.catalog, ev.profile
    law = reference.market_maxima
    nutrients = reference.nutrients
    skus = sorted({r.sku for r in ev.resolved if r.sku})
    warnings = []

    def details(per_day: dict[str, float], maxima: dict[str, float]) -> str:
        return ", ".join(
            f"{nutrients.name(n, locale)} {rounded(per_day[n])} {nutrients.units[n]} > "
            f"{rounded(maxima[n])} {nutrients.units[n]}"
            for n in over_maxima(per_day, maxima)
        )

    checks = [
        ("market_maximum", law.binding.get(profile.country, {})),
        (
            "product_maximum",
            law.advisory.get(profile.country, {})
            if profile.country in law.advisory_markets
            else {},
        ),
        ("life_stage_maximum", law.life_stages.get(profile.life_stage, {})),
    ]
    for code, maxima in checks:
        if not maxima:
            continue
        for sku in skus:
            per_day = catalog.products[catalog.index[sku]].nutrients_per_day
            if over_maxima(per_day, maxima):
                warnings.append(
                    {
                        "code": code,
                        "text": law.text(
                            code, locale, details=details(per_day, maxima), market=profile.country
                        ),
                        "skus": [sku],
                    }
                )
    for sku in skus:
        index = catalog.index[sku]
        if catalog.not_sellable[index]:
            product = catalog.products[index]
            forms = catalog.unauthorised_forms.get(sku, ())
            reason = ", ".join(f"{v} ({f})" for v, f in forms) or str(product.not_sellable_reason)
            warnings.append(
                {
                    "code": "not_sellable",
                    "text": law.text("not_sellable", locale, reason=reason),
                    "skus": [sku],
                }
            )
    return warnings
