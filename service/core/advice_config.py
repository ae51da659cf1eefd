"""The advice's configuration (data): reference intakes, goal indications, authorities, roles
and the advice texts, read from rules/reference and checked when a snapshot loads (advice.py
uses it)."""

from __future__ import annotations

import difflib
import logging
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .advice_checks import (
    ChildDietNotice,
    child_band,
    claim_served,
    past_caution,
    placeholder_problem,
    serum_levels,
)
from .advice_checks import child_diet_notices as _child_diet_notices
from .advice_text_keys import ADVICE_TEXTS, variants
from .errors import DataFileError, Finding
from .markets import load_markets
from .reference import Reference
from .vocabulary import GOALS, LOCALES
from .yamlfile import line_of, load_yaml

# Texts this module writes (texts.yaml) and the placeholders each is given.
log = logging.getLogger("dosewise.core")

AUTHORITY_PLACEHOLDERS = ("target", "unit", "nutrient")
DOCTOR = "doctor"  # the authority of a `higher_dose_advised` amount
CLAIM_CONDITION = "claim_condition"  # the authority of a claim's condition of use: no advice
PRODUCT_CONDITIONS = ("pregnancy_suitable", "breastfeeding_suitable")


# ---------------------------------------------------------------- configuration (data)
@dataclass(frozen=True)
class ReferenceIntake:
    nutrient: str
    min_age: int
    max_age: int
    amount: float


# the keys scoring.yaml's `dose_fit` may hold (regimen_fit.py reads the regimen_ ones)
_DOSE_FIT_KEYS = frozenset(
    {
        "nutrients",
        "order_tolerance",
        "past_warning",
        "past_caution",
        "regimen_nutrients",
        "regimen_source",
        "source",
    }
)


@dataclass(frozen=True)
class GoalIndication:
    """Profiles a goal alone may recommend a nutrient to (others need an advice, a rule or a
    doctor): iron to women of menstruating age and in pregnancy, not to men."""

    sexes: tuple[str, ...]
    min_age: int
    max_age: int
    life_stages: tuple[str, ...]
    goal_not_life_stages: tuple[str, ...] = ()  # no goal's claim of it then (needs.goal_barred)
    goal_min_age: int = 0  # nor below this age (magnesium for a child's goal bones: s35a F6)

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
    # nutrients without any reference value: covered once taken (scoring.yaml lists.covered)
    covered_when_taken: tuple[str, ...] = ()
    covered_within: float = 0.0  # a share below the amount that is enough (lists.covered)
    covered_exact: tuple[str, ...] = ()  # nutrients without that share (covered.within_except)
    # per claim of the reference (in its order): the daily amount from what is taken that
    # serves the claim's goals (its min_per_day, or lists.goal_served.share_of_nrv of its one
    # nutrient's NRV if more), and (claims, nutrients) 0/1: the nutrients it sums
    claim_served: np.ndarray = field(default_factory=lambda: np.zeros(0))
    claim_nutrients: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    child_band: tuple[float, int, int] | None = None  # dose_band.children

    # a product overshooting every gap it fills and giving this many nutrients it fills no gap
    # of (a multivitamin) is no answer to those gaps (lists.overshot_gap, needs.overshot_gap)
    overshot_min_unneeded: int | None = None
    # nutrient keys that are one nutrient for "no more" (K1 and K2: vitamin K; lists.groups)
    groups: tuple[tuple[str, ...], ...] = ()
    # a measured serum level below this: notice serum_deficient (dose_band.serum.refer_below)
    serum_refer_below: float | None = None
    # goal -> the oldest age a claim serves it for (scoring.yaml lists.goals_max_age)
    goals_max_age: dict[str, int] | None = None
    goals_min_age: dict[str, int] | None = None  # ... and the youngest (lists.goals_min_age)
    # nutrient columns whose dose past the advice lowers the score (scoring.yaml dose_fit, R8)
    fit_columns: Any = None
    # a list puts the dose closest to the advice first among products of one `dose_fit` role
    # when it is closer by more than this share of the advice (dose_fit.order_tolerance; None:
    # the score alone orders them); holds whatever ranks, a learned model too (review s7)
    fit_order_tolerance: float | None = None
    # added to that closeness (a share of the advice) for a product that takes the day's total
    # past a triggered medicine's warning threshold (dose_fit.past_warning; 0: not at all)
    fit_past_warning: float = 0.0
    # ... and for a product with an unadvised nutrient of a caution, from an age (past_caution)
    fit_past_caution: tuple[float, int] = (0.0, 0)
    child_diet_notices: tuple[ChildDietNotice, ...] = ()
    # banded nutrients a multivitamin carries in passing in a regimen: not one of the "one
    # source" products (scoring.yaml dose_band.in_passing; review s5 S2)
    in_passing: tuple[str, ...] = ()

    def grouped(self, keys: tuple[str, ...], given: Any) -> Any:
        """A boolean mask over nutrient columns widened to whole groups: vitamin K1 given
        means vitamin K given, so K2 is given too (R7)."""
        out = given.copy()
        for group in self.groups:
            columns = [keys.index(k) for k in group]
            if out[columns].any():
                out[columns] = True
        return out

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
    in_passing: tuple[str, ...] = ()
    serum_nutrient: str | None = None
    serum_refer_below: float | None = None
    levels: tuple[tuple[float, float], ...] = ()
    children: tuple[float, int, int] | None = None
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
        in_passing = tuple(str(k) for k in band.get("in_passing") or ())
        for key in in_passing:
            if key not in banded:
                find(scoring_file, band, "in_passing", f"dose_band.in_passing: {key!r} not banded")
        if not isinstance(band.get("source"), str):
            find(scoring_file, band, "source", "dose_band needs a `source` note")
        serum = band.get("serum") or {}
        serum_nutrient = serum.get("nutrient")
        if serum and serum_nutrient not in keys:
            find(scoring_file, serum, "nutrient", f"dose_band.serum: unknown {serum_nutrient!r}")
        levels, problems = serum_levels(serum.get("levels"))
        for i, message in problems:
            find(scoring_file, serum.get("levels"), i, message)
        refer = serum.get("refer_below")
        if refer is not None and (isinstance(refer, bool) or not isinstance(refer, int | float)):
            find(scoring_file, serum, "refer_below", "dose_band.serum.refer_below: a number")
            refer = None
        serum_refer_below = None if refer is None else float(refer)
        if serum and not isinstance(serum.get("source"), str):
            find(scoring_file, serum, "source", "dose_band.serum needs a `source` note")
        children, problem = child_band(band, float(factor))
        if problem:
            find(scoring_file, band, "children", problem)
    fit_columns = np.zeros(len(keys), dtype=bool)
    fit_order_tolerance = None
    fit_past_warning, fit_past_caution = 0.0, (0.0, 0)
    fit = scoring.get("dose_fit") if isinstance(scoring, dict) else None
    if fit is not None:
        fit_nutrients = fit.get("nutrients") if isinstance(fit, dict) else None
        if not isinstance(fit_nutrients, list) or not isinstance(fit.get("source"), str):
            find(scoring_file, scoring, "dose_fit", "dose_fit needs `nutrients` and a `source`")
        else:
            for key in fit_nutrients:
                if key in keys:
                    fit_columns[keys.index(key)] = True
                else:
                    find(scoring_file, fit, "nutrients", f"dose_fit: unknown nutrient {key!r}")
        tolerance = fit.get("order_tolerance") if isinstance(fit, dict) else None
        if tolerance is not None and (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, int | float)
            or not 0 <= tolerance < 1
        ):
            find(scoring_file, fit, "order_tolerance", "dose_fit.order_tolerance: from 0 to 1")
            tolerance = None
        fit_order_tolerance = None if tolerance is None else float(tolerance)
        for unknown in set(fit) - _DOSE_FIT_KEYS if isinstance(fit, dict) else ():
            # a misspelt key would silently switch its part off (review 21 F6: past_warnings)
            close = difflib.get_close_matches(str(unknown), sorted(_DOSE_FIT_KEYS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            find(scoring_file, fit, unknown, f"dose_fit: unknown key {unknown!r}{hint}")
        past = fit.get("past_warning", 0.0) if isinstance(fit, dict) else 0.0
        if isinstance(past, bool) or not isinstance(past, int | float) or not 0 <= past <= 10:
            find(scoring_file, fit, "past_warning", "dose_fit.past_warning: from 0 to 10")
            past = 0.0
        fit_past_warning = float(past)
        fit_past_caution, problem = past_caution(fit.get("past_caution"))
        if problem:
            find(scoring_file, fit, "past_caution", problem)
    fit_columns.flags.writeable = False
    max_per_role, roles, learned = 2, {}, 0.6
    goals_not_for_sex: dict[str, tuple[str, ...]] = {}
    goal_indication: dict[str, GoalIndication] = {}
    covered_when_taken: list[str] = []
    covered_within = 0.0
    covered_exact: tuple[str, ...] = ()
    overshot_min_unneeded: int | None = None
    groups: list[tuple[str, ...]] = []
    goal_ages: dict[str, dict[str, int]] = {"goals_max_age": {}, "goals_min_age": {}}
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
        for bound in ("goals_max_age", "goals_min_age"):  # the youngest: review 21 P3
            for goal, entry in (lists.get(bound) or {}).items():
                entry = entry if isinstance(entry, dict) else {}
                age, source = entry.get("age"), entry.get("source")
                if goal not in GOALS or type(age) is not int or type(source) is not str:
                    find(scoring_file, lists, bound, f"{goal}: needs a goal, `age`, `source`")
                    continue
                goal_ages[bound][str(goal)] = age
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
                    tuple(str(x) for x in rule.get("goal_not_life_stages") or ()),
                    int(rule.get("goal_min_age", 0)),
                )
            except (TypeError, ValueError):
                find(scoring_file, where, nutrient, "goal_indication: ages must be integers")
        covered = lists.get("covered")
        if not isinstance(covered, dict) or not isinstance(covered.get("source"), str):
            find(scoring_file, lists, "covered", "needs `covered: {when_taken, source}`")
        else:
            for nutrient, source in (covered.get("when_taken") or {}).items():
                if nutrient not in keys or not isinstance(source, str):
                    message = f"covered.when_taken: {nutrient!r} needs a nutrient key and a source"
                    find(scoring_file, covered, "when_taken", message)
                    continue
                covered_when_taken.append(str(nutrient))
            within = covered.get("within", 0.0)
            number = isinstance(within, int | float) and not isinstance(within, bool)
            if not number or not 0 <= within < 0.5:
                find(scoring_file, covered, "within", "covered.within: a share from 0 to 0.5")
                within = 0.0
            covered_within = float(within)
            exact = covered.get("within_except") or []
            if not isinstance(exact, list) or any(k not in keys for k in exact):
                find(scoring_file, covered, "within_except", "covered.within_except: nutrient keys")
                exact = []
            covered_exact = tuple(str(k) for k in exact)
        overshot = lists.get("overshot_gap")
        if overshot is not None:
            least = overshot.get("min_unneeded") if isinstance(overshot, dict) else None
            whole = isinstance(least, int) and not isinstance(least, bool) and least >= 1
            if not whole or not isinstance(overshot.get("source"), str):
                message = "lists.overshot_gap needs `min_unneeded` (a whole number >= 1), `source`"
                find(scoring_file, lists, "overshot_gap", message)
            else:
                overshot_min_unneeded = least
        for name, group in (lists.get("groups") or {}).items():
            members = group.get("nutrients") if isinstance(group, dict) else None
            if (
                not isinstance(members, list)
                or len(members) < 2
                or any(m not in keys for m in members)
                or not isinstance(group.get("source"), str)
            ):
                message = f"groups.{name}: needs `nutrients` (two or more keys) and a `source`"
                find(scoring_file, lists.get("groups"), name, message)
                continue
            groups.append(tuple(str(m) for m in members))
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
            problem = placeholder_problem(text, AUTHORITY_PLACEHOLDERS)
            if problem:
                find(targets_file, node, name, f"authority {name} ({locale}): {problem}")
            elif pattern := reference.forbidden_match(text):
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
    child_notices = _child_diet_notices(reference, targets_file, targets, find)
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
    served, claim_nutrients = claim_served(reference, scoring_file, lists, nrv, find)
    # texts.yaml: the texts this module writes
    texts_file, texts_doc = doc("texts.yaml")
    for text_key, placeholders in [*ADVICE_TEXTS.items(), *variants(reference, ADVICE_TEXTS)]:
        texts = reference.texts.get(text_key)
        if texts is None:
            message = f"text {text_key!r} is missing"
            find(texts_file, texts_doc, "texts", message, "missing_text")
            continue
        for locale, text in texts.items():
            problem = placeholder_problem(text, placeholders)
            if problem:
                message = f"{text_key} ({locale}): {problem}"
                find(texts_file, texts_doc.get("texts"), text_key, message)
    if findings:
        raise DataFileError(findings)
    return AdviceConfig(
        factor=float(factor),
        banded=banded,
        in_passing=in_passing,
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
        covered_when_taken=tuple(covered_when_taken),
        covered_within=covered_within,
        covered_exact=covered_exact,
        child_band=children,
        claim_served=served,
        claim_nutrients=claim_nutrients,
        overshot_min_unneeded=overshot_min_unneeded,
        groups=tuple(groups),
        goals_max_age=goal_ages["goals_max_age"],
        goals_min_age=goal_ages["goals_min_age"],
        serum_refer_below=serum_refer_below,
        fit_columns=fit_columns,
        fit_order_tolerance=fit_order_tolerance,
        fit_past_warning=fit_past_warning,
        fit_past_caution=fit_past_caution,
        child_diet_notices=child_notices,
    )


def check_advice(reference: Reference) -> list[Finding]:
    """Load-time check for load_snapshot: the advice keys parse (findings, not an exception)."""
    from .advice_extras import check_unmet_advice  # it reads this module's config

    try:
        _CONFIGS[reference] = load_advice_config(reference)
        load_markets(_directory(reference))  # a broken markets.yaml fails the load
    except DataFileError as exc:
        return exc.findings
    return check_unmet_advice(reference)  # targets.yaml unmet_advice_notices (review s7 P8)
