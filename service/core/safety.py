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
from .fastnp import nan_to_num
from .food import declared_intake, room
from .lazy import cached_property
from .market import above_maxima, describe, market_masks
from .markets import markets
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
            # one that holds only in a life stage covers no one else (trigger.life_stage, s31)
            if code in triggers and not item.life_stages and not item.all_medications:
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
    # the codes of the masks computed from the profile alone (`_person_masks`, `_shop_masks`:
    # not from the intake or what is taken), the same on every day of the profile; none known
    # (a result built elsewhere) leaves `any_day_allowed` all true
    profile_codes: frozenset[str] = frozenset()

    @cached_property
    def any_day_allowed(self) -> np.ndarray:
        """No mask of `profile_codes` excludes it: what `allowed()` of every day of this
        profile is within, whatever is taken (read-only)."""
        blocked = np.zeros(self.over_limit.shape[0], dtype=bool)
        for code in self.profile_codes:
            blocked |= self.excluded[code]
        return _read_only(~blocked)

    @cached_property
    def food_or_zero(self) -> np.ndarray:
        """`food` with 0 for NaN (`np.nan_to_num`), once per result; read-only."""
        return _read_only(nan_to_num(self.food))

    @cached_property
    def room_or_inf(self) -> np.ndarray:
        """`room` with inf for NaN (no limit is never crossed), once per result; read-only."""
        return _read_only(nan_to_num(self.room, nan=np.inf))

    def allowed(self) -> np.ndarray:
        """No mask excludes it (a new array each call: callers may change theirs)."""
        return self._allowed.copy()

    def allows_continuing(self, index: int) -> bool:
        """No mask but `already_taken` excludes the product at `index`: one the customer goes
        on with, checked where its own servings above the label's count as taken (refills
        refills.check.as_taken; review 23p #1: two 10 µg D3 tablets a day)."""
        return not any(m[index] for code, m in self.excluded.items() if code != "already_taken")

    @cached_property
    def _allowed(self) -> np.ndarray:
        size = self.over_limit.shape[0]
        blocked = np.zeros(size, dtype=bool)
        for mask in self.excluded.values():
            blocked |= mask
        return _read_only(~blocked)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


# the profile fields safety_masks reads (and nothing else of the profile): its cache key
SAFETY_FIELDS = (
    "age",
    "sex",
    "country",
    "life_stage",
    "diet",
    "allergies",
    "medications",
    "conditions",
    "goals",  # the goal `pregnancy` (planning_pregnancy)
    "serum_25ohd_nmol_l",  # an interaction's trigger (interactions.yaml serum_25ohd_above)
)
# (ids of catalog and reference, the inputs read) -> (catalog, reference, result)
_SAFETY: dict[tuple, tuple[Catalog, Reference, SafetyResult]] = {}
_SAFETY_SIZE = 4096


def safety_masks(
    catalog: Catalog,
    reference: Reference,
    profile: Profile,
    intake: np.ndarray,
    limits: np.ndarray,
    taken_skus: set[str],
) -> SafetyResult:
    """Every guarantee of the contract as an exclusion mask, plus stock and what is taken.

    Computed once per exact input (issue 16: the distinct profiles of a refresh share it when
    they differ only in what safety does not read, goals or skin type): catalog and reference
    objects, the profile fields of SAFETY_FIELDS and its declared intake, the intake and limit
    vectors byte for byte, what is taken. The result's arrays are read-only."""
    key = (
        id(catalog),
        id(reference),
        *(getattr(profile, name) for name in SAFETY_FIELDS),
        declared_intake(profile),
        intake.tobytes(),
        limits.tobytes(),
        frozenset(taken_skus),
    )
    known = _SAFETY.get(key)
    if known is not None and known[0] is catalog and known[1] is reference:
        return known[2]
    result = _safety_masks(catalog, reference, profile, intake, limits, taken_skus)
    for array in (result.over_limit, result.totals_with_item, result.food, result.room):
        array.setflags(write=False)
    own = [id(v) for v in vars(catalog).values() if isinstance(v, np.ndarray)]
    for mask in result.excluded.values():
        if id(mask) not in own:  # the catalog's own arrays (not_sellable) stay as they are
            mask.setflags(write=False)
    if len(_SAFETY) >= _SAFETY_SIZE:
        _SAFETY.clear()
    _SAFETY[key] = (catalog, reference, result)
    return result


def _safety_masks(
    catalog: Catalog,
    reference: Reference,
    profile: Profile,
    intake: np.ndarray,
    limits: np.ndarray,
    taken_skus: set[str],
) -> SafetyResult:
    excluded: dict[str, np.ndarray] = {}
    # 1 and 9. upper limits across current supplements + basket + the item, plus a high usual
    # intake from food where the limit is for total intake: the item must fit the room left
    food = food_allowance(reference, profile)
    supplements_room = room(limits, food)
    totals, over = over_limits(catalog.nutrients_per_day, intake, limits, supplements_room)
    excluded["upper_limit"] = np.asarray(over.any(axis=1))
    # 2 and 6. medications and conditions (vitamin K antagonists, contraindications)
    triggered = tuple(
        i.in_market(profile.country)  # the market's medicine names (interactions.yaml, R15h)
        for i in reference.triggered(profile)
    )
    person = _person_masks(catalog, profile, triggered)
    excluded.update(person)
    # 10 (in part). maxima a day in pregnancy and breastfeeding (vitamin D 25 µg)
    life_stage = life_stage_mask(catalog, reference, profile, totals)
    if life_stage is not None:
        excluded["life_stage_maximum"] = life_stage
    shop = _shop_masks(catalog, reference, profile.country)
    excluded.update(shop)
    if taken_skus:
        excluded["already_taken"] = catalog.sku_mask(taken_skus)
    codes = frozenset(person) | frozenset(shop)
    return SafetyResult(excluded, over, totals, triggered, food, supplements_room, codes)


def _person_masks(
    catalog: Catalog, profile: Profile, triggered: tuple[Interaction, ...]
) -> dict[str, np.ndarray]:
    """The masks of the person alone (the interactions the profile triggers): guarantees 2
    to 6, whatever is taken."""
    excluded: dict[str, np.ndarray] = {}
    # 2 and 6. medications and conditions (vitamin K antagonists, contraindications)
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
    if profile.life_stage == "pregnant" or planning_pregnancy(profile):
        excluded["life_stage"] = ~catalog.pregnancy_suitable
        if profile.life_stage == "breastfeeding":  # and planning the next one (review 21)
            excluded["life_stage"] = excluded["life_stage"] | ~catalog.breastfeeding_suitable
    elif profile.life_stage == "breastfeeding":
        excluded["life_stage"] = ~catalog.breastfeeding_suitable
    return excluded


def _shop_masks(catalog: Catalog, reference: Reference, country: str) -> dict[str, np.ndarray]:
    """8. market law: binding maxima of the profile's market (and advisory ones a shop
    switched on), and forms not authorised for food supplements / products marked not
    sellable; and stock."""
    excluded = dict(market_masks(catalog, reference.market_maxima, country))
    excluded["not_sellable"] = catalog.not_sellable
    excluded["out_of_stock"] = ~catalog.in_stock
    return excluded


def planning_pregnancy(profile: Profile) -> bool:
    """A woman trying to conceive (goal `pregnancy`) may be pregnant without knowing it: she
    gets the catalog's pregnancy suitability (review s6 T1: kelp and an 800 µg retinol
    multivitamin were offered for the iodine claim). Not a man, nor a profile outside the ages
    of markets.yaml `life_stage_ages` for `pregnant`. A breastfeeding woman with the goal is
    planning one too (review 21 P2: she was offered 600-800 µg retinol multivitamins and
    cod-liver oil); so are her maxima (the pregnancy ones hold the breastfeeding ones)."""
    if "pregnancy" not in profile.goals or profile.life_stage not in ("none", "breastfeeding"):
        return False
    return markets().life_stage_problem("pregnant", profile.sex, profile.age) is None


def maxima_stage(profile: Profile) -> str:
    """The life stage whose maxima (product_maxima.yaml `life_stages`) hold for the profile: a
    woman planning a pregnancy (`planning_pregnancy`) is held to the pregnancy maxima, 25 µg
    vitamin D a day, in what is offered, combined and warned of alike (review s8 Q4)."""
    return "pregnant" if planning_pregnancy(profile) else profile.life_stage


def life_stage_maxima(reference: Reference, profile: Profile) -> dict[str, float]:
    """product_maxima.yaml `life_stages` of `maxima_stage(profile)` (empty: none)."""
    return reference.market_maxima.life_stages.get(maxima_stage(profile), {})


def over_limits(
    per_day: np.ndarray, intake: np.ndarray, limits: np.ndarray, supplements_room: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Guarantees 1 and 9 per product and nutrient: (totals, over), the intake plus the product
    a day, and where that crosses the limit or the room food leaves (the only masks that
    depend on what is taken; the refill check computes them per customer)."""
    totals = per_day + intake
    # on every column, then only those with a limit kept: a NaN limit or room compares false
    # anyway, and no copy of the columns with a limit is made (issue 16)
    over = above(totals, limits)
    # a product without the nutrient is not blocked by a room that food alone already fills
    over |= (per_day > 0) & above(totals, supplements_room)
    over &= ~np.isnan(limits)
    return totals, over


def life_stage_mask(
    catalog: Catalog, reference: Reference, profile: Profile, totals: np.ndarray
) -> np.ndarray | None:
    """Guarantee 10's maxima in pregnancy and breastfeeding (product_maxima.yaml `life_stages`:
    "offer no more than 25 µg a day") for the day: what is taken + basket + the product
    (`totals`), not the product alone (a pregnant woman with 10 µg in her basket is offered no
    20 µg product: session 5 re-review). None when the life stage has no maxima."""
    maxima = life_stage_maxima(reference, profile)
    if not maxima:
        return None
    mask = np.asarray(above_maxima(catalog, maxima)).copy()
    for nutrient, maximum in maxima.items():
        column = catalog.nutrient_keys.index(nutrient)
        given = catalog.nutrients_per_day[:, column] > 0
        mask |= given & above(totals[:, column], maximum)
    return mask


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
        maxima = life_stage_maxima(reference, profile)
        per_day = catalog.products[index].nutrients_per_day
        alone = [
            f"{n} {per_day.get(n, 0):g} per daily dose is above {m:g} when {profile.life_stage}"
            for n, m in maxima.items()
            if per_day.get(n, 0) > m
        ]
        with_taken = [
            f"{n} {per_day.get(n, 0):g} per daily dose with what is taken is above {m:g} a day "
            f"when {profile.life_stage}"
            for n, m in maxima.items()
            if 0 < per_day.get(n, 0) <= m
        ]
        return ", ".join(alone or with_taken)
    return describe(catalog, reference.market_maxima, profile.country, index, code)
