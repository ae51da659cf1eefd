"""The advice for a profile, in one place: targets, dose bands and the needs a list may serve.

Lists, regimens, the intake check, explain and the preview all ask this module for the advice.

- **Targets** (rules/reference/targets.yaml): per nutrient the highest advice whose `when` holds,
  with the authority that gives it (`authority`, phrases in `authorities`), raised to what a
  doctor advised (`higher_dose_advised`, contract v1.1).
- **Dose band** (guarantee 10, scoring.yaml `dose_band`): for each banded nutrient the most a
  product may give a day: `factor` x the general advice (or, with no advice for the profile, the
  reference intake of targets.yaml `reference_intakes`). A measured serum 25(OH)D below a level
  of `dose_band.serum` raises it to that level's `up_to` where a `measured` target holds (s6 T2:
  adults outside pregnancy and breastfeeding, targets.yaml low-serum-vitamin-d); a doctor's
  advised dose raises it to that amount; where that amount is the advice, the band is at most
  `factor` x it for every nutrient (s9 F3: 3 mg zinc, no 10 mg). Nothing above the band is offered.
- **Needs** (guarantee 11): an item is offered only for a need the profile has: an advice gap
  it fills, a stated goal one of its authorised claims speaks to (claims.yaml, with the claim's
  product conditions `requires`), a merchandising rule with a reason that selects it, or a
  learned preference (model score at least `lists.learned_min_score`, from a model trained on
  the shop's customers): needs.py.
- **Covered** (F12): a product that adds any amount of a nutrient the person takes enough of
  is out (scoring.yaml `lists.covered`): no item adds what `already_covered` denies.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .advice_config import CLAIM_CONDITION, AdviceConfig, advice_config
from .advice_profile import ProfileAdvice
from .advice_profile import profile_advice as profile_advice  # where callers import it
from .amounts import rounded
from .catalog import Catalog
from .children import second_sources
from .failing import Failing as Failing  # where callers import it
from .failing import failing_of
from .fastnp import flatnonzero, isin_int, nan_to_num
from .lazy import cached_property
from .reference import Reference
from .vocabulary import GOALS

if TYPE_CHECKING:
    from .ranking import Evaluation

log = logging.getLogger("dosewise.core")


# ---------------------------------------------------------------- claims a product may carry
@dataclass(frozen=True)
class ClaimTable:
    """Per product, the claims whose amount and product conditions it meets, and per goal;
    `eligible` per claim id: the products whose composition and suitability carry it."""

    claims: list[tuple[str, ...]]
    goals: np.ndarray  # (products, goals) bool
    eligible: dict[str, np.ndarray]
    rule_texts: dict[tuple[str, str], np.ndarray]  # (rule id, en reason) -> products it fits
    # (rule id, en reason) -> the claims its reason quotes (needs.quoted_claims)
    rule_claims: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    # the claim ids in the reference's order, and (products, claims): `claims` as a matrix
    claim_ids: tuple[str, ...] = ()
    carried: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))

    def rule_fits(self, rule: Any, reference: Reference) -> np.ndarray:
        """Products on which a rule's reason is true as far as the authorised claims it quotes
        go: each quoted claim's amount and product conditions hold (claims.yaml)."""
        key = (rule.id, (rule.reason or {}).get("en", ""))
        mask = self.rule_texts.get(key)
        if mask is None:
            from .needs import quoted_claims

            mask = np.ones(len(self.claims), dtype=bool)
            for claim_id in quoted_claims(self, rule, reference):
                mask &= self.eligible[claim_id]
            self.rule_texts[key] = mask
        return mask


_CLAIMS: weakref.WeakKeyDictionary[Catalog, ClaimTable] = weakref.WeakKeyDictionary()


def claim_table(catalog: Catalog, reference: Reference) -> ClaimTable:
    table = _CLAIMS.get(catalog)
    if table is None:
        table = _CLAIMS[catalog] = _claim_table(catalog, reference)
    return table


def _claim_table(catalog: Catalog, reference: Reference) -> ClaimTable:
    """Vectorised over the catalog (a generated catalog has 10,000 products)."""
    keys = reference.nutrients.keys
    config = advice_config(reference)
    flags = {
        "pregnancy_suitable": catalog.pregnancy_suitable,
        "breastfeeding_suitable": catalog.breastfeeding_suitable,
    }
    eligible = {}
    for claim_id, claim in reference.claims.items():
        columns = [keys.index(n) for n in claim.nutrients]
        mask = catalog.nutrients_per_day[:, columns].sum(axis=1) >= claim.min_per_day
        for name, value in config.claim_requires.get(claim_id, {}).items():
            mask &= flags[name] == value
        eligible[claim_id] = np.asarray(mask)
    goal_index = {g: i for i, g in enumerate(GOALS)}
    goals = np.zeros((len(catalog), len(GOALS)), dtype=bool)
    ids = tuple(eligible)
    matrix = np.zeros((len(catalog), len(ids)), dtype=bool)
    claims = []
    for i, product in enumerate(catalog.products):
        carried = tuple(c for c in product.claims if c in eligible and eligible[c][i])
        claims.append(carried)
        for claim_id in carried:
            matrix[i, ids.index(claim_id)] = True
            for goal in reference.claims[claim_id].goals:
                goals[i, goal_index[goal]] = True
    return ClaimTable(claims, goals, eligible, {}, claim_ids=ids, carried=matrix)


# ---------------------------------------------------------------- roles of products in a list
@dataclass(frozen=True)
class RoleTable:
    """Role codes: per product its category's role, per nutrient column its role."""

    names: tuple[str, ...]
    category_role: np.ndarray  # (products,)
    nutrient_role: np.ndarray  # (nutrients,)


_ROLES: weakref.WeakKeyDictionary[Catalog, RoleTable] = weakref.WeakKeyDictionary()


def nutrient_role(key: str) -> str:
    """vitamin_d_ug -> vitamin_d, calcium_mg -> calcium: the role a nutrient gives a product."""
    return key.rsplit("_", 1)[0]


def role_table(catalog: Catalog, reference: Reference) -> RoleTable:
    table = _ROLES.get(catalog)
    if table is None:
        config = advice_config(reference)
        by_category = [config.role(p.category) for p in catalog.products]
        by_nutrient = [nutrient_role(k) for k in reference.nutrients.keys]
        names = tuple(sorted(set(by_category) | set(by_nutrient)))
        code = {name: i for i, name in enumerate(names)}
        table = _ROLES[catalog] = RoleTable(
            names,
            np.array([code[r] for r in by_category], dtype=np.int64),
            np.array([code[r] for r in by_nutrient], dtype=np.int64),
        )
    return table


# ---------------------------------------------------------------- the advice for one profile
def advice_of(ev: Evaluation) -> ProfileAdvice:
    """The advice `ranking.evaluate` computed for this evaluation."""
    if ev.advice is None:
        raise ValueError("an Evaluation without advice: build it with ranking.evaluate")
    return ev.advice


# ---------------------------------------------------------------- what a list may offer
@dataclass
class Offer:
    """Per product: within the dose band, duplicate of what is covered, and its needs."""

    ev: Evaluation

    @cached_property
    def config(self) -> AdviceConfig:
        return advice_config(self.ev.snapshot.reference)

    @cached_property
    def above_band(self) -> np.ndarray:
        """(products, nutrients): the daily dose, or with what the person already takes the
        daily total, is above the band for the profile (a second 25 µg vitamin D for someone
        who takes 25 µg and is advised 10 µg does not fit either)."""
        per_day = self.ev.snapshot.catalog.nutrients_per_day
        upper = advice_of(self.ev).band_upper * (1 + 1e-9)
        return (per_day > upper) | ((per_day > 0) & (per_day + self.ev.intake > upper))

    @cached_property
    def within_band(self) -> np.ndarray:
        return np.asarray(~self.above_band.any(axis=1))

    @cached_property
    def enough(self) -> np.ndarray:
        """Per nutrient the amount a day that is enough: the advice or reference intake (NaN:
        none for this profile). A doctor's dose we may not supply (above the upper limit) is
        not it: the advice we serve instead is (19.99 of the served 20 µg is enough)."""
        advice = advice_of(self.ev)
        enough = np.fmax(_extras.served_targets(self.ev)[0], advice.general)
        return np.where(enough > 0, enough, np.nan)

    @cached_property
    def failing(self) -> dict[int, Failing]:
        """Nutrient columns where what is taken or in the basket fails a guarantee for the person
        (R3, R10): a line an interaction or contraindication excludes (K2 with a vitamin K
        antagonist), a total above the life stage's maximum (product_maxima.yaml `life_stages`,
        labels counted too), a total above the dose band, or, for a nutrient that is covered, a
        catalog product the catalog marks unsuitable in the life stage. Such a nutrient is never
        called "enough": its notice is a warning (advice_texts.advice_notices)."""
        return failing_of(self.ev, self.unsuitable_lines, self.enough_taken)

    @cached_property
    def unsuitable_lines(self) -> list[int]:
        """Resolved lines of a catalog product unsuitable in the profile's life stage."""
        ev = self.ev
        mask = ev.safety.excluded.get("life_stage")
        if mask is None:
            return []
        index = ev.snapshot.catalog.index
        return [
            i
            for i, line in enumerate(ev.resolved)
            if line.sku is not None and mask[index[line.sku]]
        ]

    @cached_property
    def enough_share(self) -> np.ndarray:
        """Per nutrient column the share below its amount that is still enough: scoring.yaml
        `lists.covered.within` (19.9 of an advised 20 µg vitamin D), none for a nutrient of
        `within_except` (400 µg folic acid around conception is a dose, not a population value)
        nor for a doctor's dose we serve (70 of a doctor's 75 µg is not it; review 14)."""
        keys = self.ev.snapshot.reference.nutrients.keys
        share = np.full(len(keys), max(self.config.covered_within, 1e-9))
        for key in self.config.covered_exact:
            share[keys.index(key)] = 1e-9
        advice = advice_of(self.ev)
        if advice.doctor:
            capped = _extras.capped_doctor_doses(self.ev)
            for column in advice.doctor:  # the doctor's dose, even where it is the advice too
                if column not in capped:
                    share[column] = 1e-9
        share.flags.writeable = False
        return share

    @cached_property
    def enough_taken(self) -> list[int]:
        """Nutrient columns the person already takes enough of: at least the advice or reference
        intake, less the share `lists.covered.within` (19.9 of 20 µg is no gap a 10 µg tablet
        should fill); a nutrient without any reference value (vitamin K2, scoring.yaml
        `lists.covered.when_taken`) as soon as any is taken, where the profile has no amount."""
        if not self.ev.intake_present.any():  # nothing taken: nothing taken enough of
            return []
        intake, enough = self.ev.intake, self.enough
        has_amount = ~np.isnan(enough)
        reached = has_amount & (intake >= nan_to_num(enough) * (1 - self.enough_share))
        keys = self.ev.snapshot.reference.nutrients.keys
        for key in self.config.covered_when_taken:
            column = keys.index(key)
            # an amount that reads as 0 (a label's 1e-300 µg K2) is nothing taken (session 13)
            reached[column] |= not has_amount[column] and rounded(intake[column]) > 0
        return [int(c) for c in flatnonzero((intake > 0) & reached)]

    @cached_property
    def covered(self) -> list[int]:
        """Nutrient columns no list adds to: what the person takes enough of (`enough_taken`)
        and what already fails a guarantee for the person (`failing`)."""
        present = self.ev.intake_present
        if not present.any():  # nothing taken: neither enough nor failing
            return []
        return sorted(set(self.enough_taken) | {c for c in self.failing if present[c]})

    @cached_property
    def covered_group(self) -> list[int]:
        """The covered columns widened to their groups (scoring.yaml `lists.groups`): K2 taken
        covers vitamin K, so a product with K1 is a duplicate as well (R7)."""
        if not self.covered:  # nothing to widen (the usual profile)
            return []
        keys = self.ev.snapshot.reference.nutrients.keys
        mask = np.zeros(len(keys), dtype=bool)
        mask[self.covered] = True
        return [int(c) for c in flatnonzero(self.config.grouped(keys, mask))]

    @cached_property
    def role_table(self) -> RoleTable:
        return role_table(self.ev.snapshot.catalog, self.ev.snapshot.reference)

    @cached_property
    def roles(self) -> np.ndarray:
        """The role code of each product in a list: the nutrient of the largest advice gap it
        fills, else the role of its category (scoring.yaml `lists.roles`)."""
        table = self.role_table
        fill = np.where(self.gap_need, self.ev.features.fill, 0.0)
        primary = fill.argmax(axis=1)
        has = fill.max(axis=1) > 0
        return np.where(has, table.nutrient_role[primary], table.category_role)

    def role_name(self, code: int) -> str:
        return self.role_table.names[int(code)]

    @cached_property
    def duplicate(self) -> np.ndarray:
        """`covered_duplicate`, and a child's second product of a nutrient it takes
        (children.py, session 19)."""
        return self.covered_duplicate | second_sources(self.ev)

    @cached_property
    def covered_duplicate(self) -> np.ndarray:
        """Products that add any amount of a nutrient the person already takes enough of (the
        notice says "we suggest no more vitamin D": a D3, a calcium + D3, cod-liver oil or a
        multivitamin with vitamin D alike), or whose category role is such a nutrient."""
        covered = self.covered_group
        if not covered:
            return np.zeros(len(self.ev.snapshot.catalog), dtype=bool)
        table = self.role_table
        adds = (self.ev.snapshot.catalog.nutrients_per_day[:, covered] > 0).any(axis=1)
        roles = [int(table.nutrient_role[c]) for c in covered]
        return np.asarray(adds | isin_int(table.category_role, roles))

    def duplicated(self, index: int) -> list[int]:
        """The covered nutrient columns product `index` adds."""
        row = self.ev.snapshot.catalog.nutrients_per_day[index]
        return [c for c in self.covered_group if row[c] > 0]

    @cached_property
    def gap_need(self) -> np.ndarray:
        """(products, nutrients): fills an advice gap, within the band of that nutrient; for a
        claim's condition of use (the heart goal's 250 mg EPA+DHA), only a product that meets
        it by itself: the condition is the claim's, and a claim is for a product that gives
        that much (review s29a F4: a krill oil of 130 mg was offered for the goal heart,
        quoting "the beneficial effect is obtained with a daily intake of 250 mg")."""
        need = (self.ev.features.fill > 0) & ~self.above_band
        advice = self.ev.advice
        claims = advice.columns_of(CLAIM_CONDITION) if advice else []
        if claims and advice is not None:
            per_day = self.ev.snapshot.catalog.nutrients_per_day[:, claims]
            need[:, claims] &= per_day >= advice.targets[claims] * (1 - 1e-9)
        return need

    @cached_property
    def rule_need(self) -> np.ndarray:
        """A matched rule with a reason selects it, and the reason is true for it; not a rule
        marked `need: false` (a preference among products offered for a need, review s8 Q6)."""
        need = self.rule_reasons
        # nor one carrying a nutrient the profile is not indicated for, unless it fills an advice
        # gap of that nutrient (a doctor's iron), as `gap_fits`: a goal's or a diet's rule with
        # multivitamins among its categories offered a women's multivitamin with 14 mg iron to a
        # woman of 67 (goal immunity) and a vegan one with 10 mg to a vegan of 63 (review 20b F2);
        # nor one past a medicine's or condition's warning, as a goal (`past_warning`): an
        # advice that calls for it is a gap, and stays, with the warning (`kept_out`)
        return need & ~self.kept_out if need.any() else need

    @cached_property
    def rule_reasons(self) -> np.ndarray:
        """What `rule_need` starts from: a matched rule's reason speaks to the product."""
        need = np.zeros(len(self.ev.snapshot.catalog), dtype=bool)
        reference = self.ev.snapshot.reference
        table = claim_table(self.ev.snapshot.catalog, reference)
        quoted_claims = _needs.quoted_claims
        met = _needs.claims_met(self.ev)  # review s26 P3: taken meets the claim
        for rule in self.ev.matched_rules:
            if rule.need and rule.reason and rule.action in ("boost", "pin", "require"):
                quoted = quoted_claims(table, rule, reference) if met else frozenset()
                if quoted and quoted <= met:
                    self.ev.memo["goal_served"] = True  # no_items says so (review s26b B3)
                    continue
                need |= rule.mask & table.rule_fits(rule, reference)
        return need

    @cached_property
    def goals(self) -> tuple[str, ...]:
        """The profile's goals a claim may serve (not `pregnancy` for a man: the folate claim
        speaks of maternal tissue; scoring.yaml `lists.goals_not_for_sex`), nor past an age
        (`lists.goals_max_age`: not `pregnancy` at 60, R15e), nor below one (`goals_min_age`:
        not `heart` at 12, review 21 P3)."""
        profile, config = self.ev.profile, self.config
        ignored = set(config.goals_not_for_sex.get(profile.sex, ()))
        ignored |= {g for g, age in (config.goals_max_age or {}).items() if profile.age > age}
        ignored |= {g for g, age in (config.goals_min_age or {}).items() if profile.age < age}
        return tuple(g for g in profile.goals if g not in ignored)

    @cached_property
    def goal_claims(self) -> np.ndarray:
        """Products an authorised claim of which speaks to a goal of the profile."""
        goals = self.goals
        table = claim_table(self.ev.snapshot.catalog, self.ev.snapshot.reference)
        if not goals:
            return np.zeros(len(table.claims), dtype=bool)
        found = np.asarray(table.goals[:, [GOALS.index(g) for g in goals]].any(axis=1))
        return _needs.goals_served_by_taken(self.ev, goals, table, found)  # review s26 P1, P3

    @cached_property
    def goal_need(self) -> np.ndarray:
        barred = self.goal_not_indicated | _needs.goal_barred(self)  # iron in pregnancy: s35a F5
        return self.goal_claims & ~barred & ~self.past_warning

    @cached_property
    def past_warning(self) -> np.ndarray:
        """Products past a warning threshold of the person's medicines or conditions that no
        advice of that nutrient calls for (needs.past_warning)."""
        return _needs.past_warning(self)

    @cached_property
    def not_indicated(self) -> tuple[str, ...]:
        """Nutrients a goal may not recommend to this profile (scoring.yaml goal_indication)."""
        profile = self.ev.profile
        return tuple(
            nutrient
            for nutrient, rule in self.config.goal_indication.items()
            if not rule.allows(profile.sex, profile.age, profile.life_stage)
        )

    @cached_property
    def goal_not_indicated(self) -> np.ndarray:
        """Products carrying such a nutrient: a goal alone is no reason to offer them (iron
        for a man who wants more energy; a multivitamin with iron alike)."""
        keys = self.ev.snapshot.reference.nutrients.keys
        columns = [keys.index(n) for n in self.not_indicated]
        if not columns:
            return np.zeros(len(self.ev.snapshot.catalog), dtype=bool)
        return np.asarray(self.ev.snapshot.catalog.nutrients_per_day[:, columns].max(axis=1) > 0)

    @cached_property
    def learned_need(self) -> np.ndarray:
        """A model score of at least `lists.learned_min_score` (needs.learned_need)."""
        return _needs.learned_need(self)

    @cached_property
    def need(self) -> np.ndarray:
        """For a need, and no concern it also gives without a need (needs.need, review s5 S6)."""
        return _needs.need(self)

    @cached_property
    def gap_fits(self) -> np.ndarray:
        """`gap_need`, less products carrying a nutrient not indicated for the profile unless
        they fill a gap of that nutrient itself (a doctor's iron): a women's multivitamin with
        14 mg iron is no answer to a woman of 67's vitamin D advice (R8 follow-up; scoring.yaml
        goal_indication); nor products past a warning for a gap of another nutrient
        (`past_warning`)."""
        if not self.kept_out.any():  # most profiles: no copy
            return self.gap_need
        return self.gap_need & ~self.kept_out[:, None]

    @cached_property
    def kept_out(self) -> np.ndarray:
        """What only an advice of that very nutrient may bring, not a rule's reason, an advice
        gap of another nutrient or a doctor's dose of one (needs.kept_out): past a warning
        threshold (`past_warning`), or with a nutrient not indicated for the profile."""
        return _needs.kept_out(self)

    @cached_property
    def allowed(self) -> np.ndarray:
        """What a list may offer: within the band, no duplicate, for a need."""
        return self.within_band & ~self.duplicate & self.need


# Imported last, as modules: they import this one (at the top the import would be circular),
# and a function-level import costs an import lookup on every call (issue 16)
from . import advice_extras as _extras  # noqa: E402
from . import needs as _needs  # noqa: E402
