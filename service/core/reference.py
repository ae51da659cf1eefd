"""Reference data (rules/reference/): nutrients, upper limits, targets, interactions, claims.

Every dose, limit, interaction and claim text is data with a `source` note; this module only reads,
checks and indexes it.

This module holds the indexed objects; reference_load.py reads and checks the files into them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .amounts import rounded
from .expressions import Expression
from .food import FoodIntake
from .ingredients import Ingredients
from .market import (
    AuthorisedForms,
    MarketMaxima,
)
from .numbers import localized
from .numbers import variant as text_variant
from .validation import invisible


# ---------------------------------------------------------------- indexed reference objects
@dataclass(frozen=True)
class Nutrients:
    keys: tuple[str, ...]
    units: dict[str, str]
    names: dict[str, dict[str, str]]
    conversions: dict[str, tuple[str, float]]

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def name(self, key: str, locale: str) -> str:
        return self.names[key][locale]

    def text_values(self, key: str, locale: str, **amounts: float) -> dict[str, Any]:
        """The placeholders of a text about nutrient `key`: `nutrient` (its name in `locale`),
        `unit`, and each amount given, rounded as people read it."""
        values = localized({k: rounded(v) for k, v in amounts.items()}, locale)
        return {"nutrient": self.name(key, locale), "unit": self.units[key], **values}


@dataclass(frozen=True, eq=False)  # hashed by identity, so its lookups can be cached
class UpperLimits:
    """Upper limits per jurisdiction, age band and life stage, as vectors over nutrient keys."""

    nutrient_keys: tuple[str, ...]
    default_jurisdiction: str
    jurisdictions: dict[str, dict[str, Any]]

    def for_profile(self, age: int, life_stage: str, jurisdiction: str | None = None) -> np.ndarray:
        """Vector of limits (NaN where none is set), read-only, cached per age and life stage.
        A `jurisdiction` other than the default only tightens: per nutrient the stricter of its
        limit and the default table's (never a higher limit than EFSA for an EU market)."""
        return self._cached(age, life_stage, jurisdiction or self.default_jurisdiction)[0]

    def unverified(self, age: int, life_stage: str, jurisdiction: str | None = None) -> list[str]:
        """Nutrient keys whose limit for this profile is marked unverified in the data."""
        return self._cached(age, life_stage, jurisdiction or self.default_jurisdiction)[1]

    @lru_cache(maxsize=1024)  # noqa: B019 - the object is immutable and lives as long as a snapshot
    def _cached(self, age: int, life_stage: str, jurisdiction: str) -> tuple[np.ndarray, list[str]]:
        limits = np.full(len(self.nutrient_keys), np.nan)
        unverified: list[str] = []
        for i, key in enumerate(self.nutrient_keys):
            value, shaky = self._value(jurisdiction, key, age, life_stage)
            if jurisdiction != self.default_jurisdiction:
                # Review s4 R6: another table may only tighten. The markets served (and every
                # other country, markets.yaml) take the default table (EFSA); a requested or
                # configured jurisdiction gives, per nutrient, the stricter of the two limits.
                market = self._value(self.default_jurisdiction, key, age, life_stage)
                if market[0] is not None and (value is None or market[0] <= value):
                    value, shaky = market
            if value is not None:
                limits[i] = value
                if shaky:
                    unverified.append(key)
        limits.setflags(write=False)
        return limits, unverified

    def _value(
        self, jurisdiction: str, key: str, age: int, life_stage: str
    ) -> tuple[float | None, bool]:
        table = self.jurisdictions.get(jurisdiction)
        if table is None:
            return None, False
        band = next((b["id"] for b in table["bands"] if b["min_age"] <= age <= b["max_age"]), None)
        if band is None:
            return None, False
        limit = table["limits"].get(key)
        if limit is None:
            return None, False
        candidates = [(limit["values"].get(band), band in limit["unverified"])]
        if life_stage in ("pregnant", "breastfeeding"):
            candidates.append(
                (limit["values"].get("pregnancy"), "pregnancy" in limit["unverified"])
            )
        known = [(v, shaky) for v, shaky in candidates if v is not None]
        if not known:
            return None, False
        return min(known, key=lambda pair: pair[0])


@dataclass(frozen=True)
class Target:
    id: str
    when: Expression
    nutrient: str
    amount: float | Expression
    source: str


@dataclass(frozen=True)
class Interaction:
    id: str
    medications: frozenset[str]
    conditions: frozenset[str]
    together: tuple[tuple[str, ...], tuple[str, ...]] | None
    exclude: dict[str, float]
    warn: dict[str, float]
    notice: bool
    text: dict[str, str]
    source: str
    # market -> locale -> text: the medicines and care known in that market (R15h: Marcumar
    # and the doctor who checks the INR in DE, acenocoumarol and the trombosedienst in NL)
    market_text: dict[str, dict[str, str]] = field(default_factory=dict)
    # the warning is about when to take it (hours apart): what is taken still counts as enough
    timing: bool = False
    # a measured serum 25(OH)D above this (nmol/l) triggers it too (review 21 P1: a high level)
    serum_above: float | None = None
    # and only in one of these life stages (`trigger.life_stage`; review s31a F1); empty: any
    life_stages: frozenset[str] = frozenset()
    # every medicine of `medications` taken, not any one (`trigger.all_medications`: a retinoid
    # with a tetracycline, review s44b F6)
    all_medications: bool = False

    def in_market(self, market: str) -> Interaction:
        """This interaction as a customer of `market` reads it (the default text elsewhere)."""
        text = self.market_text.get(market)
        return self if text is None else replace(self, text=text)

    def triggered_by(
        self,
        medications: tuple[str, ...],
        conditions: tuple[str, ...],
        serum: float | None = None,
    ) -> bool:
        if self.serum_above is not None and serum is not None and serum > self.serum_above:
            return True
        if self.all_medications:
            return self.medications.issubset(medications)
        return bool(self.medications.intersection(medications)) or bool(
            self.conditions.intersection(conditions)
        )

    def trigger_words(self, profile: Any) -> list[str]:
        """What of `profile` triggers it (explain): medicines, conditions, the serum level."""
        words = sorted(
            self.medications.intersection(profile.medications)
            | self.conditions.intersection(profile.conditions)
        )
        serum = profile.serum_25ohd_nmol_l
        if self.serum_above is not None and serum is not None and serum > self.serum_above:
            words.append(f"serum 25(OH)D {serum:g} nmol/l above {self.serum_above:g}")
        words += sorted(self.life_stages & trigger_life_stages(profile))
        return words


@dataclass(frozen=True)
class Caution:
    """interactions.yaml `cautions`: words an item that gives one of `nutrients` carries,
    unless the profile names one of `unless_medications` (review s39a F3)."""

    id: str
    nutrients: tuple[str, ...]
    unless_medications: frozenset[str]
    text: dict[str, str]
    source: str
    market_text: dict[str, dict[str, str]] = field(default_factory=dict)

    def words(self, market: str, locale: str) -> str:
        return self.market_text.get(market, self.text)[locale]


def own_stage(profile: Any) -> str:
    """The life stage a text names for `profile` (`<key>.<stage>` variants): pregnant,
    breastfeeding, `planning` (the goal pregnancy, held to pregnancy's maxima: review s39c F7,
    "not suitable during pregnancy or breastfeeding" to a woman who is neither; also while
    breastfeeding, s39d F2: "0 µg suits breastfeeding" was pregnancy's maximum), else none."""
    from .safety import planning_pregnancy

    if planning_pregnancy(profile):  # breastfeeding too: pregnancy's maxima hold (review 21 P2)
        return "planning"
    return str(profile.life_stage)


def trigger_life_stages(profile: Any) -> frozenset[str]:
    """The life stages an interaction's `trigger.life_stage` can name that `profile` is in:
    its `life_stage`, and `planning_pregnancy` (the goal, safety.planning_pregnancy)."""
    from .safety import planning_pregnancy

    stages = {profile.life_stage} - {"none"}
    if planning_pregnancy(profile):
        stages.add("planning_pregnancy")
    return frozenset(stages)


@dataclass(frozen=True)
class Claim:
    id: str
    nutrients: tuple[str, ...]
    min_per_day: float
    goals: tuple[str, ...]
    text: dict[str, str]
    wording_checked: dict[str, bool]
    # catalog flags a product must have to carry the claim (claims.yaml `requires`)
    requires: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True, eq=False)  # hashed by identity, so its lookups can be cached
class Reference:
    nutrients: Nutrients
    upper_limits: UpperLimits
    targets: tuple[Target, ...]
    interactions: tuple[Interaction, ...]
    claims: dict[str, Claim]
    forbidden: dict[str, tuple[re.Pattern, ...]]
    texts: dict[str, dict[str, str]]
    weights: dict[str, float]
    squash: dict[str, float]
    warn_at_upper_limit_fraction: float
    market_maxima: MarketMaxima  # guarantee 8 (market.py)
    authorised_forms: AuthorisedForms
    food: FoodIntake  # guarantee 9 (food.py)
    files: tuple[Path, ...] = field(default=())
    ingredients: Ingredients = field(default_factory=Ingredients)  # catalog flags (s36b F1)
    cautions: tuple[Caution, ...] = ()  # interactions.yaml `cautions` (s39a F3)

    def forbidden_match(self, text: str) -> str | None:
        """The forbidden disease-claim pattern `text` matches, of any locale, or None: a text
        is checked against every language's patterns, at load and when served alike (review
        19 F4: "Magnesium voorkomt griep" in a rule's `de:` text passed the load's German
        patterns and was then dropped without a word when served)."""
        return self._forbidden_match(text)

    @lru_cache(maxsize=8192)  # noqa: B019 - immutable, hashed by identity; texts repeat a lot
    def _forbidden_match(self, text: str) -> str | None:
        # as a reader sees it (review s33b F2): "pre\u200dvents" read as "prevents", a
        # fullwidth or compatibility form as its plain letter
        text = claim_text(text)
        for loc in self.forbidden:
            for pattern in self.forbidden.get(loc, ()):
                if pattern.search(text):
                    return pattern.pattern
        return None

    @cached_property
    def interaction_triggers(self) -> tuple[frozenset[str], frozenset[str], bool]:
        """Every medication and condition that triggers an interaction, and whether any
        interaction has a serum trigger: a profile with none of them triggers none
        (`Interaction.triggered_by` false for each), without asking each one (issue 16)."""
        medications: frozenset[str] = frozenset().union(*(i.medications for i in self.interactions))
        conditions: frozenset[str] = frozenset().union(*(i.conditions for i in self.interactions))
        serum = any(i.serum_above is not None for i in self.interactions)
        return medications, conditions, serum

    def triggered(self, profile: Any) -> list[Interaction]:
        """The interactions `profile` triggers (its medications, conditions, serum level), in
        the reference's order."""
        medications, conditions, serum = self.interaction_triggers
        level = profile.serum_25ohd_nmol_l
        if (
            medications.isdisjoint(profile.medications)
            and conditions.isdisjoint(profile.conditions)
            and (level is None or not serum)
        ):
            return []
        found = [
            i
            for i in self.interactions
            if i.triggered_by(profile.medications, profile.conditions, level)
        ]
        if any(i.life_stages for i in found):
            stages = trigger_life_stages(profile)
            found = [i for i in found if not i.life_stages or i.life_stages & stages]
        return found

    @cached_property
    def combination_columns(self) -> tuple[tuple[Interaction, list[int], list[int]], ...]:
        """`together` interactions with their nutrient groups as column indices."""
        keys = self.nutrients.keys
        return tuple(
            (i, [keys.index(n) for n in i.together[0]], [keys.index(n) for n in i.together[1]])
            for i in self.interactions
            if i.together is not None
        )

    def variant(self, key: str, variant: str) -> str:
        """`<key>.<variant>` where the texts give words of their own for it (a life stage's),
        else `key`."""
        return text_variant(self.texts, key, variant)

    def text(self, key: str, locale: str, **values: Any) -> str:
        return self.texts[key][locale].format(**localized(values, locale))

    def product_nutrient(self, vitamin_sources: dict[str, str], key: str, locale: str) -> str:
        """How a text names what a product (its `vitamin_sources`) gives of nutrient `key`: the
        form's own name where authorised_forms.yaml gives one ("folate (as L-methylfolate)",
        not "folic acid": review s8 R7, s29a F7), else the nutrient's name."""
        named = self.authorised_forms.name(vitamin_sources, key, locale)
        return named if named is not None else self.nutrients.name(key, locale)

    def listed(self, items: Iterable[str], locale: str, word: str = "and") -> str:
        """Names joined as the locale writes a list: "A, B en C", "A, B und C" (`list_and`;
        `word` "or": `list_or`, where a negation lists them)."""
        names = list(items)
        if len(names) < 2:
            return "".join(names)
        return self.text(f"list_{word}", locale, head=", ".join(names[:-1]), last=names[-1])


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def claim_text(text: str) -> str:
    """`text` as the disease-claim patterns read it: without the characters a shop page does
    not show (zero-width joiners and spaces, soft hyphens, word joiners, the combining
    grapheme joiner, variation selectors: validation.invisible) and in NFKC form (fullwidth
    and compatibility letters as the plain ones)."""
    if text.isascii():
        return text
    return unicodedata.normalize(
        "NFKC", "".join(c for c in text if c.isascii() or not invisible(c))
    )
