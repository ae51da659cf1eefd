"""The advice for a profile, in one place: targets, dose bands and the needs a list may serve.

Lists, regimens, the intake check's suggestion, explain and the preview all evaluate a profile
through `ranking.evaluate`, which asks this module for the advice, so they never disagree.

- **Targets** (rules/reference/targets.yaml): per nutrient the highest advice whose `when` holds,
  with the authority that gives it (`authority`, phrases in `authorities`), raised to what a
  doctor advised (`higher_dose_advised`, contract v1.1).
- **Dose band** (guarantee 10, scoring.yaml `dose_band`): for each banded nutrient the most a
  product may give a day: `factor` x the general advice (or, with no advice for the profile, the
  reference intake of targets.yaml `reference_intakes`). A measured serum 25(OH)D below a level
  of `dose_band.serum` raises it to that level's `up_to`; a doctor's advised dose raises it to
  that amount. A product above the band is not offered, whatever the rules say.
- **Needs** (guarantee 11): an item is offered only for a need the profile has: an advice gap
  it fills, a stated goal one of its authorised claims speaks to (claims.yaml, with the claim's
  product conditions `requires`), a merchandising rule with a reason that selects it, or a
  learned preference (model score at least `lists.learned_min_score`). A product whose role
  nutrient the person already takes enough of (at least the advice or reference intake) is out.
"""

from __future__ import annotations

import logging
import re
import weakref
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .catalog import Catalog
from .errors import DataFileError, Finding
from .expressions import Expression
from .intake import rounded
from .reference import Reference
from .vocabulary import GOALS, LOCALES
from .yamlfile import line_of, load_yaml

if TYPE_CHECKING:
    from .ranking import Evaluation

# Texts this module writes (texts.yaml) and the placeholders each is given.
ADVICE_TEXTS: dict[str, tuple[str, ...]] = {
    "reason_advice": ("amount", "unit", "nutrient", "advice"),
    "reason_advice_above": ("amount", "unit", "nutrient", "advice"),
    "reason_dose_serum": ("amount", "unit", "nutrient", "serum"),
    "reason_dose_doctor": ("amount", "unit", "nutrient", "advised"),
    "reason_learned": (),
    "notice_already_covered": ("amount", "unit", "nutrient"),
    "notice_no_advice": (),
    "notice_short_list": (),
    "notice_no_items_no_need": (),
}
log = logging.getLogger("dosewise.core")
AUTHORITY_PLACEHOLDERS = ("target", "unit", "nutrient")
DOCTOR = "doctor"  # the authority of a `higher_dose_advised` amount
PRODUCT_CONDITIONS = ("pregnancy_suitable", "breastfeeding_suitable")


# ---------------------------------------------------------------- configuration (data)
@dataclass(frozen=True)
class ReferenceIntake:
    nutrient: str
    min_age: int
    max_age: int
    amount: float


@dataclass(frozen=True)
class GoalIndication:
    """Profiles a goal alone may recommend a nutrient to (others need an advice, a rule or a
    doctor): iron to women of menstruating age and in pregnancy, not to men."""

    sexes: tuple[str, ...]
    min_age: int
    max_age: int
    life_stages: tuple[str, ...]

    def allows(self, sex: str, age: int, life_stage: str) -> bool:
        if life_stage in self.life_stages:
            return True
        return sex in self.sexes and self.min_age <= age <= self.max_age


@dataclass(frozen=True, eq=False)
class AdviceConfig:
    """What targets.yaml, scoring.yaml and claims.yaml say beyond what reference.py reads."""

    factor: float
    banded: tuple[str, ...]
    serum_nutrient: str | None
    serum_levels: tuple[tuple[float, float], ...]  # (below, up_to), lowest level first
    max_per_role: int
    roles: dict[str, str]  # category -> role
    learned_min_score: float
    goals_not_for_sex: dict[str, tuple[str, ...]]  # sex -> goals no claim reason serves
    # nutrient -> who a goal's claim may recommend it to (scoring.yaml lists.goal_indication)
    goal_indication: dict[str, GoalIndication]
    authorities: dict[str, dict[str, str]]  # authority -> locale -> phrase
    target_authority: dict[str, str]  # target id -> authority
    reference_intakes: tuple[ReferenceIntake, ...]
    claim_requires: dict[str, dict[str, Any]]  # claim id -> product field -> required value

    def role(self, category: str) -> str:
        return self.roles.get(category, category)


_CONFIGS: weakref.WeakKeyDictionary[Reference, AdviceConfig] = weakref.WeakKeyDictionary()


def advice_config(reference: Reference) -> AdviceConfig:
    """The checked configuration for this reference (loaded once per snapshot)."""
    config = _CONFIGS.get(reference)
    if config is None:
        config = _CONFIGS[reference] = load_advice_config(reference)
    return config


def _directory(reference: Reference) -> Path:
    if reference.files:
        return reference.files[0].parent
    return Path(__file__).resolve().parents[2] / "rules" / "reference"


def load_advice_config(reference: Reference) -> AdviceConfig:
    """Read and check the advice keys; DataFileError with file and line on any problem."""
    directory = _directory(reference)
    findings: list[Finding] = []
    keys = reference.nutrients.keys

    def doc(name: str) -> tuple[str, Any]:
        path = directory / name
        display = str(path)
        return display, load_yaml(path, display)

    def find(file: str, node: Any, key: Any, message: str, code: str = "advice") -> None:
        findings.append(Finding(file, line_of(node, key), message, code=code))

    # scoring.yaml: dose_band and lists
    scoring_file, scoring = doc("scoring.yaml")
    band = scoring.get("dose_band") if isinstance(scoring, dict) else None
    lists = scoring.get("lists") if isinstance(scoring, dict) else None
    factor: Any = 2.5
    banded: tuple[str, ...] = ()
    serum_nutrient: str | None = None
    levels: tuple[tuple[float, float], ...] = ()
    if not isinstance(band, dict):
        find(scoring_file, scoring, "dose_band", "needs `dose_band:` (factor, nutrients, source)")
    else:
        factor = band.get("factor")
        if isinstance(factor, bool) or not isinstance(factor, int | float) or factor < 1:
            find(scoring_file, band, "factor", "dose_band.factor must be a number >= 1")
            factor = 2.5
        banded = tuple(str(k) for k in band.get("nutrients") or ())
        for key in banded:
            if key not in keys:
                find(scoring_file, band, "nutrients", f"dose_band: unknown nutrient {key!r}")
        if not isinstance(band.get("source"), str):
            find(scoring_file, band, "source", "dose_band needs a `source` note")
        serum = band.get("serum") or {}
        serum_nutrient = serum.get("nutrient")
        if serum and serum_nutrient not in keys:
            find(scoring_file, serum, "nutrient", f"dose_band.serum: unknown {serum_nutrient!r}")
        parsed = []
        for i, level in enumerate(serum.get("levels") or ()):
            ok = isinstance(level, dict) and all(
                isinstance(level.get(k), int | float) and not isinstance(level.get(k), bool)
                for k in ("below", "up_to")
            )
            if not ok:
                find(scoring_file, serum.get("levels"), i, "serum level needs below and up_to")
                continue
            parsed.append((float(level["below"]), float(level["up_to"])))
        levels = tuple(sorted(parsed))
        if serum and not isinstance(serum.get("source"), str):
            find(scoring_file, serum, "source", "dose_band.serum needs a `source` note")
    max_per_role, roles, learned = 2, {}, 0.6
    goals_not_for_sex: dict[str, tuple[str, ...]] = {}
    goal_indication: dict[str, GoalIndication] = {}
    if not isinstance(lists, dict):
        find(scoring_file, scoring, "lists", "needs `lists:` (max_per_role, roles)")
    else:
        max_per_role = lists.get("max_per_role", 2)
        if isinstance(max_per_role, bool) or not isinstance(max_per_role, int) or max_per_role < 1:
            find(scoring_file, lists, "max_per_role", "lists.max_per_role must be an integer >= 1")
            max_per_role = 2
        learned = lists.get("learned_min_score", 0.6)
        if isinstance(learned, bool) or not isinstance(learned, int | float):
            find(scoring_file, lists, "learned_min_score", "must be a number 0..1")
            learned = 0.6
        roles = dict(lists.get("roles") or {})
        for sex, goals in (lists.get("goals_not_for_sex") or {}).items():
            unknown = [g for g in goals or () if g not in GOALS]
            if unknown:
                find(scoring_file, lists, "goals_not_for_sex", f"unknown goal(s) {unknown}")
            goals_not_for_sex[str(sex)] = tuple(str(g) for g in goals or ())
        for nutrient, rule in (lists.get("goal_indication") or {}).items():
            where = lists.get("goal_indication")
            if nutrient not in reference.nutrients.keys or not isinstance(rule, dict):
                find(scoring_file, where, nutrient, f"goal_indication: unknown nutrient {nutrient}")
                continue
            if not isinstance(rule.get("source"), str):
                find(scoring_file, where, nutrient, "goal_indication needs a `source` note")
            try:
                goal_indication[nutrient] = GoalIndication(
                    tuple(str(x) for x in rule.get("sexes") or ()),
                    int(rule.get("min_age", 0)),
                    int(rule.get("max_age", 120)),
                    tuple(str(x) for x in rule.get("life_stages") or ()),
                )
            except (TypeError, ValueError):
                find(scoring_file, where, nutrient, "goal_indication: ages must be integers")
    # targets.yaml: authorities, authority per target, reference intakes
    targets_file, targets = doc("targets.yaml")
    authorities: dict[str, dict[str, str]] = {}
    node = targets.get("authorities") if isinstance(targets, dict) else None
    for name, entry in (node or {}).items():
        phrase = entry.get("phrase") if isinstance(entry, dict) else None
        if not isinstance(phrase, dict) or set(phrase) != set(LOCALES):
            find(targets_file, node, name, f"authority {name}: needs `phrase` in nl, de, en")
            continue
        if not isinstance(entry.get("source"), str):
            find(targets_file, node, name, f"authority {name}: needs a `source` note")
        for locale, text in phrase.items():
            problem = _placeholder_problem(text, AUTHORITY_PLACEHOLDERS)
            if problem:
                find(targets_file, node, name, f"authority {name} ({locale}): {problem}")
            elif pattern := reference.forbidden_match(text, locale):
                find(targets_file, node, name, f"authority {name} ({locale}) matches {pattern!r}")
        authorities[name] = {k: str(v) for k, v in phrase.items()}
    if DOCTOR not in authorities:
        find(targets_file, targets, "authorities", f"authorities need {DOCTOR!r}")
    target_authority = {}
    for i, item in enumerate(targets.get("targets") or ()):
        authority = item.get("authority")
        if authority is None:
            find(targets_file, targets["targets"], i, f"{item.get('id')}: needs an `authority`")
        elif authority not in authorities:
            find(targets_file, item, "authority", f"{item.get('id')}: unknown {authority!r}")
        else:
            target_authority[str(item.get("id"))] = authority
    intakes = []
    for i, item in enumerate(targets.get("reference_intakes") or ()):
        try:
            intake = ReferenceIntake(
                str(item["nutrient"]), int(item["min_age"]), int(item["max_age"]), item["amount"]
            )
            if intake.nutrient not in keys or not isinstance(item.get("source"), str):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            find(
                targets_file,
                targets.get("reference_intakes"),
                i,
                "a reference intake needs nutrient, min_age, max_age, amount and source",
            )
            continue
        intakes.append(intake)
    # claims.yaml: product conditions of a claim; 15 % NRV check
    claims_file, claims = doc("claims.yaml")
    requires: dict[str, dict[str, Any]] = {}
    nrv = claims.get("nrv") or {}
    for claim_id, claim in (claims.get("claims") or {}).items():
        condition = claim.get("requires") or {}
        for field_name, value in condition.items():
            if field_name not in PRODUCT_CONDITIONS or not isinstance(value, bool):
                find(
                    claims_file,
                    claim,
                    "requires",
                    f"{claim_id}: requires takes {', '.join(PRODUCT_CONDITIONS)}: true/false",
                )
        requires[claim_id] = dict(condition)
        nutrients = claim.get("nutrients") or []
        if len(nutrients) == 1 and nutrients[0] in nrv:
            least = 0.15 * float(nrv[nutrients[0]]["value"])
            if float(claim.get("min_per_day", 0)) < least - 1e-9:
                find(
                    claims_file,
                    claim,
                    "min_per_day",
                    f"{claim_id}: min_per_day is below 15 % of the NRV ({least:g})",
                )
    # texts.yaml: the texts this module writes
    texts_file, texts_doc = doc("texts.yaml")
    for text_key, placeholders in ADVICE_TEXTS.items():
        texts = reference.texts.get(text_key)
        if texts is None:
            message = f"text {text_key!r} is missing"
            find(texts_file, texts_doc, "texts", message, "missing_text")
            continue
        for locale, text in texts.items():
            problem = _placeholder_problem(text, placeholders)
            if problem:
                message = f"{text_key} ({locale}): {problem}"
                find(texts_file, texts_doc.get("texts"), text_key, message)
    if findings:
        raise DataFileError(findings)
    return AdviceConfig(
        factor=float(factor),
        banded=banded,
        serum_nutrient=serum_nutrient,
        serum_levels=levels,
        max_per_role=int(max_per_role),
        roles={str(k): str(v) for k, v in roles.items()},
        learned_min_score=float(learned),
        goals_not_for_sex=goals_not_for_sex,
        goal_indication=goal_indication,
        authorities=authorities,
        target_authority=target_authority,
        reference_intakes=tuple(intakes),
        claim_requires=requires,
    )


def _placeholder_problem(text: Any, placeholders: tuple[str, ...]) -> str | None:
    if not isinstance(text, str) or not text:
        return "empty"
    try:
        text.format(**{name: "x" for name in placeholders})
    except (KeyError, IndexError, ValueError) as exc:
        return f"placeholder {exc} is not one of {sorted(placeholders)}"
    return None


# ---------------------------------------------------------------- claims a product may carry
@dataclass(frozen=True)
class ClaimTable:
    """Per product, the claims whose amount and product conditions it meets, and per goal;
    `eligible` per claim id: the products whose composition and suitability carry it."""

    claims: list[tuple[str, ...]]
    goals: np.ndarray  # (products, goals) bool
    eligible: dict[str, np.ndarray]
    rule_texts: dict[tuple[str, str], np.ndarray]  # (rule id, en reason) -> products it fits

    def rule_fits(self, rule: Any, reference: Reference) -> np.ndarray:
        """Products on which a rule's reason is true as far as the authorised claims it quotes
        go: each quoted claim's amount and product conditions hold (claims.yaml)."""
        key = (rule.id, (rule.reason or {}).get("en", ""))
        mask = self.rule_texts.get(key)
        if mask is None:
            mask = np.ones(len(self.claims), dtype=bool)
            text = key[1].lower()
            for claim_id, claim in reference.claims.items():
                if claim.text["en"].lower().rstrip(".") in text:
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
    claims = []
    for i, product in enumerate(catalog.products):
        carried = tuple(c for c in product.claims if c in eligible and eligible[c][i])
        claims.append(carried)
        for claim_id in carried:
            for goal in reference.claims[claim_id].goals:
                goals[i, goal_index[goal]] = True
    return ClaimTable(claims, goals, eligible, {})


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
@dataclass(frozen=True)
class ProfileAdvice:
    """Targets and dose bands over the nutrient keys (NaN: none; inf: no band)."""

    targets: np.ndarray
    target_ids: dict[str, str]
    authority: dict[int, str]  # column -> authority of the target
    general: np.ndarray  # the advice without serum or doctor, else the reference intake
    band_upper: np.ndarray  # most a product may give a day (inf: not banded)
    ordinary_upper: np.ndarray  # the band without a serum level or a doctor's advice
    justified_by: dict[int, str]  # column -> "serum" | "doctor" where the band was raised
    doctor: dict[int, float]  # column -> amount a doctor advised
    serum: float | None


def profile_advice(
    reference: Reference, profile: Any, context: Any, targets_in: tuple
) -> ProfileAdvice:
    """The one advice for a profile (see the module docstring). `context` is the compiled
    expression context of the profile; `targets_in` the Target objects of the reference."""
    config = advice_config(reference)
    keys = reference.nutrients.keys
    size = len(keys)
    targets = np.full(size, np.nan)
    general = np.full(size, np.nan)
    chosen: dict[str, str] = {}
    authority: dict[int, str] = {}
    for target in targets_in:
        if not target.when.holds(context):
            continue
        if isinstance(target.amount, Expression):
            try:
                amount = float(target.amount.evaluate(context))
            except Exception as exc:  # noqa: BLE001 - a bad amount never fails a request
                # but never silently: the profile loses an advice (no profile value is logged)
                log.warning(
                    "target %s: amount not evaluated (%s), target left out",
                    target.id,
                    type(exc).__name__,
                )
                continue
        else:
            amount = float(target.amount)
        column = keys.index(target.nutrient)
        source = config.target_authority.get(target.id, "dosewise")
        if source != "measured" and (np.isnan(general[column]) or amount > general[column]):
            general[column] = amount
        if np.isnan(targets[column]) or amount > targets[column]:
            targets[column] = amount
            chosen[target.nutrient] = target.id
            authority[column] = source
    for intake in config.reference_intakes:
        column = keys.index(intake.nutrient)
        if np.isnan(general[column]) and intake.min_age <= profile.age <= intake.max_age:
            general[column] = intake.amount
    doctor: dict[int, float] = {}
    advised = getattr(profile, "higher_dose_advised", None) or {}
    for key, amount in dict(advised).items():
        if key in keys and isinstance(amount, int | float) and amount > 0:
            column = keys.index(key)
            doctor[column] = float(amount)
            if np.isnan(targets[column]) or amount > targets[column]:
                targets[column] = float(amount)
                chosen[key] = f"higher_dose_advised:{key}"
                authority[column] = DOCTOR
    ordinary = np.full(size, np.inf)
    for key in config.banded:
        column = keys.index(key)
        if not np.isnan(general[column]):
            ordinary[column] = config.factor * general[column]
    upper = ordinary.copy()
    justified: dict[int, str] = {}
    serum = profile.serum_25ohd_nmol_l
    if serum is not None and config.serum_nutrient is not None:
        column = keys.index(config.serum_nutrient)
        for below, up_to in config.serum_levels:
            if serum < below:
                if np.isfinite(upper[column]) and up_to > upper[column]:
                    upper[column] = up_to
                    justified[column] = "serum"
                break
    for column, amount in doctor.items():
        if np.isfinite(upper[column]) and amount > upper[column]:
            upper[column] = amount
            justified[column] = DOCTOR
    return ProfileAdvice(
        targets, chosen, authority, general, upper, ordinary, justified, doctor, serum
    )


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
    def covered(self) -> list[int]:
        """Nutrient columns the person already takes enough of (advice or reference intake)."""
        advice, intake = advice_of(self.ev), self.ev.intake
        enough = np.fmax(advice.targets, advice.general)
        has = ~np.isnan(enough) & (enough > 0) & (intake > 0)
        return [int(c) for c in np.flatnonzero(has & (intake >= enough * (1 - 1e-9)))]

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
        """Products whose category role is a nutrient the person already takes enough of (a
        D3 for someone who takes enough D3): they would only add to what is covered."""
        table = self.role_table
        covered = [int(table.nutrient_role[c]) for c in self.covered]
        return np.isin(table.category_role, covered)

    @cached_property
    def gap_need(self) -> np.ndarray:
        """(products, nutrients): fills an advice gap, within the band of that nutrient."""
        return (self.ev.features.fill > 0) & ~self.above_band

    @cached_property
    def rule_need(self) -> np.ndarray:
        """A matched rule with a reason selects it, and the reason is true for it."""
        need = np.zeros(len(self.ev.snapshot.catalog), dtype=bool)
        table = claim_table(self.ev.snapshot.catalog, self.ev.snapshot.reference)
        for rule in self.ev.matched_rules:
            if rule.reason and rule.action in ("boost", "pin", "require"):
                need |= rule.mask & table.rule_fits(rule, self.ev.snapshot.reference)
        return need

    @cached_property
    def goals(self) -> tuple[str, ...]:
        """The profile's goals a claim may serve (not `pregnancy` for a man: the folate claim
        speaks of maternal tissue; scoring.yaml `lists.goals_not_for_sex`)."""
        ignored = self.config.goals_not_for_sex.get(self.ev.profile.sex, ())
        return tuple(g for g in self.ev.profile.goals if g not in ignored)

    @cached_property
    def goal_need(self) -> np.ndarray:
        goals = self.goals
        table = claim_table(self.ev.snapshot.catalog, self.ev.snapshot.reference)
        if not goals:
            return np.zeros(len(table.claims), dtype=bool)
        need = np.asarray(table.goals[:, [GOALS.index(g) for g in goals]].any(axis=1))
        return need & ~self.goal_not_indicated

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
        score = self.ev.model_score
        if score is None:
            return np.zeros(len(self.ev.snapshot.catalog), dtype=bool)
        return np.asarray(score >= self.config.learned_min_score)

    @cached_property
    def need(self) -> np.ndarray:
        return self.gap_need.any(axis=1) | self.rule_need | self.goal_need | self.learned_need

    @cached_property
    def allowed(self) -> np.ndarray:
        """What a list may offer: within the band, no duplicate, for a need."""
        return self.within_band & ~self.duplicate & self.need


# ---------------------------------------------------------------- texts
def item_reasons(ev: Evaluation, index: int, locale: str) -> list[dict[str, str]]:
    """Every reason that is true for this product and this profile, each text once."""
    reference = ev.snapshot.reference
    offer = ev.offer
    reasons: list[dict[str, str]] = []
    for column in np.flatnonzero(offer.gap_need[index]).tolist():
        reasons.append(_advice_reason(ev, index, column, locale))
    for column in np.flatnonzero(
        (ev.snapshot.catalog.nutrients_per_day[index] > advice_of(ev).ordinary_upper * (1 + 1e-9))
        & ~offer.above_band[index]
    ).tolist():
        reasons.append(_justified_reason(ev, index, column, locale))
    table = claim_table(ev.snapshot.catalog, reference)
    for rule in ev.matched_rules:
        if rule.mask[index] and rule.reason and rule.action in ("boost", "pin", "require"):
            if table.rule_fits(rule, reference)[index]:
                reasons.append({"code": f"rule:{rule.id}", "text": rule.reason[locale]})
    goals = set(offer.goals)
    not_indicated = set(offer.not_indicated)
    for claim_id in table.claims[index]:
        claim = reference.claims[claim_id]
        if goals.intersection(claim.goals) and not not_indicated.intersection(claim.nutrients):
            reasons.append({"code": f"claim:{claim_id}", "text": claim.text[locale]})
    if offer.learned_need[index]:
        reasons.append({"code": "learned", "text": reference.text("reason_learned", locale)})
    seen: set[str] = set()
    unique = []
    quoted = _banded_amounts(ev, index, locale)
    for reason in reasons:
        # Defence in depth: a text that makes a disease claim is never shown.
        if reason["text"] in seen or reference.forbidden_match(reason["text"]) is not None:
            continue
        if _quotes_far_below(reason["text"], quoted, ev.offer.config.factor):
            continue
        seen.add(reason["text"])
        unique.append(reason)
    return _without_repeated_sentences(unique)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _sentences(text: str) -> frozenset[str]:
    return frozenset(
        " ".join(part.lower().split()) for part in _SENTENCE_END.split(text) if part.strip()
    )


def _without_repeated_sentences(reasons: list[dict[str, str]]) -> list[dict[str, str]]:
    """Drop a reason whose every sentence another reason on the item already says (a rule's
    text quotes the claim that the claim reason repeats: "Magnesium contributes to normal
    muscle function." twice). Longer reasons are kept first; the order shown stays as given."""
    sentences = [_sentences(r["text"]) for r in reasons]
    said: set[str] = set()
    keep: set[int] = set()
    for i in sorted(range(len(reasons)), key=lambda i: (-len(sentences[i]), i)):
        if not sentences[i] <= said:
            keep.add(i)
            said |= sentences[i]
    # then a kept reason that the other kept ones say whole (shortest, latest first)
    for i in sorted(keep, key=lambda i: (len(sentences[i]), -i)):
        others = set().union(*(sentences[j] for j in keep if j != i))
        if sentences[i] <= others:
            keep.discard(i)
    return [r for i, r in enumerate(reasons) if i in keep]


_AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(µg|mg)\b")


def _banded_amounts(ev: Evaluation, index: int, locale: str) -> list[tuple[str, str, float]]:
    """(name in locale, unit, amount a day) of each banded nutrient the product carries."""
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    row = ev.snapshot.catalog.nutrients_per_day[index]
    out = []
    for key in ev.offer.config.banded:
        amount = float(row[keys.index(key)])
        if amount > 0:
            name = reference.nutrients.name(key, locale)
            out.append((name.lower(), reference.nutrients.units[key], amount))
    return out


def _quotes_far_below(text: str, quoted: list[tuple[str, str, float]], factor: float) -> bool:
    """A text that names a nutrient with amounts ("advises 20 µg of vitamin D") while the
    product gives more than `factor` x the largest of them: never shown (guarantee 10), even
    where a serum level or a doctor justifies the dose (that reason says so instead)."""
    lowered = text.lower()
    for name, unit, amount in quoted:
        if name not in lowered:
            continue
        numbers = [float(n.replace(",", ".")) for n, u in _AMOUNT.findall(text) if u == unit]
        if numbers and amount > factor * max(numbers) * (1 + 1e-9):
            return True
    return False


def _values(ev: Evaluation, index: int, column: int, locale: str) -> dict[str, Any]:
    reference = ev.snapshot.reference
    key = reference.nutrients.keys[column]
    return {
        "amount": rounded(ev.snapshot.catalog.nutrients_per_day[index, column]),
        "unit": reference.nutrients.units[key],
        "nutrient": reference.nutrients.name(key, locale),
    }


def advice_phrase(ev: Evaluation, column: int, locale: str) -> str:
    reference = ev.snapshot.reference
    config = advice_config(reference)
    key = reference.nutrients.keys[column]
    authority = advice_of(ev).authority.get(column, "dosewise")
    phrase = config.authorities.get(authority) or config.authorities[DOCTOR]
    return phrase[locale].format(
        target=rounded(advice_of(ev).targets[column]),
        unit=reference.nutrients.units[key],
        nutrient=reference.nutrients.name(key, locale),
    )


def _advice_reason(ev: Evaluation, index: int, column: int, locale: str) -> dict[str, str]:
    reference = ev.snapshot.reference
    key = reference.nutrients.keys[column]
    values = _values(ev, index, column, locale)
    amount = float(ev.snapshot.catalog.nutrients_per_day[index, column])
    above = amount > float(advice_of(ev).targets[column]) * (1 + 1e-9)
    text = reference.text(
        "reason_advice_above" if above else "reason_advice",
        locale,
        **values,
        advice=advice_phrase(ev, column, locale),
    )
    return {"code": f"fills_gap:{key}", "text": text}


def _justified_reason(ev: Evaluation, index: int, column: int, locale: str) -> dict[str, str]:
    reference = ev.snapshot.reference
    key = reference.nutrients.keys[column]
    values = _values(ev, index, column, locale)
    advice = advice_of(ev)
    if advice.justified_by.get(column) == DOCTOR or column in advice.doctor:
        advised = rounded(advice.doctor.get(column, float(advice.targets[column])))
        text = reference.text("reason_dose_doctor", locale, **values, advised=advised)
        return {"code": f"dose_doctor:{key}", "text": text}
    serum = rounded(advice.serum) if advice.serum is not None else 0
    text = reference.text("reason_dose_serum", locale, **values, serum=serum)
    return {"code": f"dose_serum:{key}", "text": text}


def advice_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """Already covered nutrients; no advice at all for this profile."""
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    notices = []
    for column in ev.offer.covered:
        key = keys[column]
        notices.append(
            {
                "code": f"already_covered:{key}",
                "text": reference.text(
                    "notice_already_covered",
                    locale,
                    amount=rounded(ev.intake[column]),
                    unit=reference.nutrients.units[key],
                    nutrient=reference.nutrients.name(key, locale),
                ),
            }
        )
    if not (np.nan_to_num(advice_of(ev).targets) > 0).any():
        notices.append({"code": "no_advice", "text": reference.text("notice_no_advice", locale)})
    return notices


def dose_band_view(ev: Evaluation) -> dict[str, dict[str, Any]]:
    """Per nutrient with an advice or a band: the advice, the band and what justifies it
    (explain, preview and regimens show the same numbers)."""
    keys = ev.snapshot.reference.nutrients.keys
    out = {}
    for column, key in enumerate(keys):
        target = advice_of(ev).targets[column]
        upper = advice_of(ev).band_upper[column]
        if np.isnan(target) and not np.isfinite(upper):
            continue
        out[key] = {
            "advice": None if np.isnan(target) else rounded(target),
            "source": advice_of(ev).target_ids.get(key),
            "authority": advice_of(ev).authority.get(column),
            "band_upper": rounded(upper) if np.isfinite(upper) else None,
            "justified_by": advice_of(ev).justified_by.get(column),
        }
    return out


def exclusion_texts(ev: Evaluation, index: int) -> list[dict[str, Any]]:
    """Why the advice keeps a product out of a list: above the dose band, a duplicate of what
    is covered, or no need (explain and the preview)."""
    keys = ev.snapshot.reference.nutrients.keys
    offer = ev.offer
    reasons: list[dict[str, Any]] = []
    for column in np.flatnonzero(offer.above_band[index]).tolist():
        amount = rounded(ev.snapshot.catalog.nutrients_per_day[index, column])
        total = rounded(ev.snapshot.catalog.nutrients_per_day[index, column] + ev.intake[column])
        upper = rounded(advice_of(ev).band_upper[column])
        text = f"{keys[column]} {amount} a day is above the dose band of {upper} "
        if total != amount:
            text = f"{keys[column]} {amount} a day ({total} with what is taken) is above the "
            text += f"dose band of {upper} "
        reasons.append(
            {
                "code": "dose_band",
                "nutrient": keys[column],
                "amount": amount,
                "total": total,
                "band_upper": upper,
                "text": text + "for this profile's advice",
            }
        )
    if offer.duplicate[index]:
        reasons.append(
            {"code": "already_covered", "text": "the person already takes enough of this"}
        )
    if not offer.need[index]:
        reasons.append(
            {
                "code": "no_need",
                "text": "meets no need of this profile (an advice gap within the dose band, "
                "a stated goal, a matching rule or a learned preference)",
            }
        )
    return reasons


def check_advice(reference: Reference) -> list[Finding]:
    """Load-time check for load_snapshot: the advice keys parse (findings, not an exception)."""
    try:
        _CONFIGS[reference] = load_advice_config(reference)
    except DataFileError as exc:
        return exc.findings
    return []


__all__ = [
    "ADVICE_TEXTS",
    "AdviceConfig",
    "Offer",
    "ProfileAdvice",
    "advice_config",
    "advice_notices",
    "check_advice",
    "claim_table",
    "dose_band_view",
    "exclusion_texts",
    "item_reasons",
    "profile_advice",
]
