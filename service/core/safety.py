"""The contract's safety guarantees as boolean masks over the catalog.

Each check gives a mask of products it excludes, under a code. Rule files cannot switch any of
them off: the recommender applies every mask after the merchandising rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .amounts import above, rounded
from .catalog import Catalog, allergen_bits
from .errors import Finding
from .food import declared_intake, room
from .market import above_maxima, describe, market_masks
from .profile import Profile
from .reference import Interaction, Reference

# Tolerance for float sums (12.5 + 87.5 must equal 100, not exceed it).

# Contract guarantees 2 and 6: which triggers must exclude which nutrients. The amounts and texts
# are data (interactions.yaml); this only checks that the data still covers what the contract
# promises, so that an edit of the data cannot silently drop a guarantee.
REQUIRED_EXCLUSIONS: dict[tuple[str, str], frozenset[str]] = {
    ("medications", "vitamin_k_antagonist"): frozenset({"vitamin_k1_ug", "vitamin_k2_ug"}),
    **{
        ("conditions", c): frozenset({"vitamin_d_ug", "calcium_mg"})
        for c in ("hypercalcaemia", "sarcoidosis", "hyperparathyroidism")
    },
    ("conditions", "kidney_stones"): frozenset({"calcium_mg"}),
    # contract v1.1, guarantee 6
    ("conditions", "kidney_disease"): frozenset({"vitamin_d_ug", "calcium_mg", "magnesium_mg"}),
    ("conditions", "haemochromatosis"): frozenset({"iron_mg"}),
    ("medications", "oral_retinoid"): frozenset({"vitamin_a_ug"}),
    ("medications", "active_vitamin_d"): frozenset({"vitamin_d_ug", "calcium_mg"}),
    # not in the contract, the service's own safe reading of "iodine only with a doctor"
    ("medications", "amiodarone"): frozenset({"iodine_ug"}),
    ("conditions", "thyroid_disease"): frozenset({"iodine_ug"}),
}


def check_guarantee_coverage(reference: Reference, file: str) -> list[Finding]:
    findings = []
    for (kind, code), nutrients in REQUIRED_EXCLUSIONS.items():
        covered: set[str] = set()
        for item in reference.interactions:
            triggers = item.medications if kind == "medications" else item.conditions
            if code in triggers:
                covered |= {n for n, threshold in item.exclude.items() if threshold == 0}
        missing = nutrients - covered
        if missing:
            findings.append(
                Finding(
                    file,
                    1,
                    f"the contract requires {kind} {code!r} to exclude "
                    f"every product with {', '.join(sorted(missing))} "
                    "(threshold 0)",
                    code="guarantee_not_covered",
                )
            )
    return findings


@dataclass(frozen=True)
class SafetyResult:
    excluded: dict[str, np.ndarray]  # code -> mask of products that check excludes
    over_limit: np.ndarray  # (products, nutrients): would cross the upper limit or the room
    totals_with_item: np.ndarray  # (products, nutrients): intake + product per day
    triggered: tuple[Interaction, ...]
    food: np.ndarray  # (nutrients,): food allowance counted against each limit (guarantee 9)
    room: np.ndarray  # (nutrients,): upper limit - food allowance, >= 0; NaN where no limit

    def allowed(self) -> np.ndarray:
        size = self.over_limit.shape[0]
        blocked = np.zeros(size, dtype=bool)
        for mask in self.excluded.values():
            blocked |= mask
        return ~blocked


def safety_masks(
    catalog: Catalog,
    reference: Reference,
    profile: Profile,
    intake: np.ndarray,
    limits: np.ndarray,
    taken_skus: set[str],
) -> SafetyResult:
    """Every guarantee of the contract as an exclusion mask, plus stock and what is taken."""
    excluded: dict[str, np.ndarray] = {}
    # 1 and 9. upper limits across current supplements + basket + the item, plus a high usual
    # intake from food where the limit is for total intake: the item must fit the room left
    food = food_allowance(reference, profile)
    supplements_room = room(limits, food)
    totals = catalog.nutrients_per_day + intake
    has_limit = ~np.isnan(limits)
    over = np.zeros_like(totals, dtype=bool)
    over[:, has_limit] = above(totals[:, has_limit], limits[has_limit])
    # a product without the nutrient is not blocked by a room that food alone already fills
    over[:, has_limit] |= (catalog.nutrients_per_day[:, has_limit] > 0) & (
        above(totals[:, has_limit], supplements_room[has_limit])
    )
    excluded["upper_limit"] = np.asarray(over.any(axis=1))
    # 2 and 6. medications and conditions (vitamin K antagonists, contraindications)
    triggered = tuple(
        i for i in reference.interactions if i.triggered_by(profile.medications, profile.conditions)
    )
    for interaction in triggered:
        if interaction.exclude:
            mask = np.zeros(len(catalog), dtype=bool)
            for nutrient, threshold in interaction.exclude.items():
                column = catalog.nutrient_keys.index(nutrient)
                mask |= catalog.nutrients_per_day[:, column] > threshold
            excluded[f"interaction:{interaction.id}"] = mask
    # 3. diet
    if profile.diet == "vegan":
        excluded["diet"] = ~catalog.vegan
    elif profile.diet == "vegetarian":
        excluded["diet"] = ~(catalog.vegetarian | catalog.vegan)
    # 4. allergies
    if profile.allergies:
        excluded["allergy"] = (catalog.allergen_bits & allergen_bits(profile.allergies)) != 0
    # 5. age and life stage
    excluded["age"] = (catalog.min_age > profile.age) | (catalog.max_age < profile.age)
    if profile.life_stage == "pregnant":
        excluded["life_stage"] = ~catalog.pregnancy_suitable
    elif profile.life_stage == "breastfeeding":
        excluded["life_stage"] = ~catalog.breastfeeding_suitable
    # 10 (in part). maxima per daily dose in pregnancy and breastfeeding (vitamin D 25 µg)
    life_stage_maxima = reference.market_maxima.life_stages.get(profile.life_stage)
    if life_stage_maxima:
        excluded["life_stage_maximum"] = above_maxima(catalog, life_stage_maxima)
    # 8. market law: binding maxima of the profile's market (and advisory ones a shop switched
    # on), and forms not authorised for food supplements / products marked not sellable
    excluded.update(market_masks(catalog, reference.market_maxima, profile.country))
    excluded["not_sellable"] = catalog.not_sellable
    excluded["out_of_stock"] = ~catalog.in_stock
    if taken_skus:
        excluded["already_taken"] = catalog.sku_mask(taken_skus)
    return SafetyResult(excluded, over, totals, triggered, food, supplements_room)


def room_left(intake: np.ndarray, result: SafetyResult) -> np.ndarray:
    """What more supplements may add per nutrient: upper limit - food - current, at least 0
    (NaN where no limit). An item fits when it adds at most this (guarantees 1 and 9)."""
    return np.where(np.isnan(result.room), np.nan, np.maximum(result.room - intake, 0.0))


def intake_entries(
    keys: tuple[str, ...], intake: np.ndarray, limits: np.ndarray, result: SafetyResult
) -> dict[str, dict[str, float | int | None]]:
    """The `intake` block of a recommendation answer (one place for every endpoint)."""
    # Python floats (tolist): the same values, without a numpy scalar per field (issue 16)
    left, now, upper, food = (
        a.tolist() for a in (room_left(intake, result), intake, limits, result.food)
    )
    return {
        key: {
            "current": rounded(now[i]),
            "upper_limit": None if math.isnan(upper[i]) else rounded(upper[i]),
            "food": rounded(food[i]),
            "room": None if math.isnan(left[i]) else rounded(left[i]),
        }
        for i, key in enumerate(keys)
    }


def food_allowance(reference: Reference, profile: Profile) -> np.ndarray:
    """Guarantee 9: the food allowance per nutrient for this profile (food_intake.yaml)."""
    food = reference.food
    band = food.band_of(profile.age)
    return food.allowance(band, profile.country, profile.sex, declared_intake(profile))


# the codes safety_reason() explains (explain and preview)
SAFETY_REASON_CODES = frozenset(
    {"life_stage_maximum", "market_maximum", "product_maximum", "not_sellable"}
)


def safety_reason(
    catalog: Catalog, reference: Reference, profile: Profile, code: str, index: int
) -> str:
    """Why a product is excluded under the guarantee-8/10 codes (explain and preview)."""
    if code == "life_stage_maximum":
        maxima = reference.market_maxima.life_stages.get(profile.life_stage, {})
        per_day = catalog.products[index].nutrients_per_day
        return ", ".join(
            f"{n} {per_day.get(n, 0):g} per daily dose is above {m:g} when {profile.life_stage}"
            for n, m in maxima.items()
            if per_day.get(n, 0) > m
        )
    return describe(catalog, reference.market_maxima, profile.country, index, code)
