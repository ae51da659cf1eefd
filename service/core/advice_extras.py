"""What the advice offers beyond its targets and bands: concerns and a doctor's dose.

- Review s5 S6: combination products whose other nutrients are a concern for the person. A
  pharmacist hands over a product for a need the person has; a calcium + D3, a cod-liver oil or
  a D3 + omega-3 answers a vitamin D need only when what else it gives is no concern for that
  person. Thresholds are the reference data's own: the interactions' `warn` amounts
  (interactions.yaml) and scoring.yaml `warn_at_upper_limit_fraction` with the food allowance.
- Review s7 P7: a doctor's dose (`higher_dose_advised`) no food supplement we offer may give:
  above the profile's upper limit (folic acid 5000 µg, iron 60 mg: a medicine, from the doctor
  or pharmacy) or above the life stage's maximum a day (product_maxima.yaml `life_stages`). The
  limit is never lifted (contract); items then quote the advice they do serve, never the
  doctor's dose (`capped_doctor_doses`, `advice_without_doctor`), and regimens aim at that
  advice (`served_targets`).
- Review s7 P8: an advice with a gap that no product may serve for a reason of the profile
  itself (no folic acid product suits a pregnant 13-year-old's age): targets.yaml
  `unmet_advice_notices` say which safety masks count and which texts say so (`unmet_advice`).
- Review s9 F3: a doctor's dose that is the advice bands it (advice.py); where no product that
  suits the person comes close to it, lists and regimens say so (`doctor_band_unmet`).
"""

from __future__ import annotations

import dataclasses
import weakref
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .advice import ProfileAdvice, advice_of, claim_table, profile_advice
from .advice_checks import placeholder_problem
from .advice_config import DOCTOR, _directory
from .context import compiled_context, expression_context
from .dose_answers import answers_a_dose, excluded_by_interaction, warned_past_dose
from .errors import DataFileError, Finding
from .fastnp import flatnonzero, isin_int, nan_to_num
from .safety import life_stage_maxima
from .vocabulary import GOALS
from .yamlfile import line_of, load_yaml

if TYPE_CHECKING:
    from .advice import Offer, RoleTable
    from .catalog import Catalog
    from .ranking import Evaluation
    from .reference import Reference

_GOAL_NUTRIENTS: weakref.WeakKeyDictionary[Catalog, tuple[object, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)
# per (products, goals, nutrients) table: goals -> (products, nutrients) any of them
_SERVED_BY_GOALS: weakref.WeakKeyDictionary[
    Catalog, tuple[np.ndarray, dict[frozenset[str], np.ndarray]]
] = weakref.WeakKeyDictionary()
# per catalog and its role table: the products whose category role is a nutrient's
_SINGLE: weakref.WeakKeyDictionary[Catalog, tuple[RoleTable, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def goal_served(offer: Offer) -> np.ndarray:
    """(products, nutrients): a claim of the product for one of the profile's goals names
    the nutrient (the calcium of a calcium + magnesium for `bones`)."""
    catalog = offer.ev.snapshot.catalog
    served_by_goal = _goal_nutrients(catalog, offer.ev.snapshot.reference)
    goals = frozenset(g for g in offer.goals if g in GOALS)
    if not goals:
        return np.zeros(catalog.nutrients_per_day.shape, dtype=bool)
    # per goals, kept with the table (a handful of combinations): the same any() over them
    known = _SERVED_BY_GOALS.get(catalog)
    if known is None or known[0] is not served_by_goal:
        known = _SERVED_BY_GOALS[catalog] = (served_by_goal, {})
    by_goals = known[1]
    served = by_goals.get(goals)
    if served is None:
        if len(by_goals) > 512:
            by_goals.clear()
        columns = [GOALS.index(g) for g in goals]
        served = by_goals[goals] = np.asarray(served_by_goal[:, columns, :].any(axis=1))
        served.flags.writeable = False
    return served & offer.goal_need[:, None]


def _goal_nutrients(catalog: Catalog, reference: Reference) -> np.ndarray:
    """(products, goals, nutrients), once per catalog and claim table: a claim the product
    carries (`claim_table`) is for the goal and names the nutrient."""
    table = claim_table(catalog, reference)
    known = _GOAL_NUTRIENTS.get(catalog)
    if known is not None and known[0] is table:
        return known[1]
    keys = reference.nutrients.keys
    served = np.zeros((len(table.claims), len(GOALS), len(keys)), dtype=bool)
    for index, claims in enumerate(table.claims):
        for claim_id in claims:
            claim = reference.claims[claim_id]
            columns = [keys.index(n) for n in claim.nutrients if n in keys]
            for goal in claim.goals:
                if goal in GOALS:
                    served[index, GOALS.index(goal), columns] = True
    served.flags.writeable = False
    _GOAL_NUTRIENTS[catalog] = (table, served)
    return served


def extra_concern(offer: Offer) -> np.ndarray:
    """Products that also give a nutrient the person has no gap or goal for, besides the
    nutrient of their role (`roles`), and that is itself a concern for the person: an
    interaction of the profile warns of it at the day's total with the product (omega-3 with a
    vitamin K antagonist), or with the food allowance the total reaches scoring.yaml
    `warn_at_upper_limit_fraction` of the upper limit (800 mg calcium on top of 1700 mg from
    food). Such a product is handed over for no need: a plain product for the need is (a
    pharmacist does not answer "you need vitamin D" with fish oil for a patient on
    acenocoumarol). Only products whose category role is a nutrient's (scoring.yaml
    `lists.roles`: a calcium + D3, cod-liver oil): a multivitamin is meant to give many
    nutrients at once. Besides, any product adding to a doctor's dose above the upper limit
    that no advice we can serve asks for (review s7 P7, `medicinal_only`)."""
    known = vars(offer).get("_extra_concern")  # the Offer's own, not the one it wraps
    if known is None:
        concerned, rows, medicinal = _concern_parts(offer)
        known = medicinal.copy()
        if rows.size:  # only products of a nutrient's role with a concern can be one
            # its own role's nutrient (the gap it fills, else its category's) is no extra
            own = offer.role_table.nutrient_role[None, :] == offer.roles[rows][:, None]
            known[rows] |= (concerned[rows] & ~own).any(axis=1)
        known.flags.writeable = False
        vars(offer)["_extra_concern"] = known
    return known


def _concern_parts(offer: Offer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What `extra_concern` reads besides the roles, once per evaluation (needs.need asks it
    with and without the category roles, a placement again): (products, nutrients) given
    beyond a gap or goal and a concern, the products with a nutrient's role and such a
    concern (indices), `medicinal_only`."""
    ev = offer.ev
    known = ev.memo.get("extra_concern_parts")  # reads no raw score: a ranked copy shares it
    if known is not None:
        return known
    table = offer.role_table
    keys = ev.snapshot.reference.nutrients.keys
    per_day = ev.snapshot.catalog.nutrients_per_day
    gives = (per_day > 0) & ~offer.gap_need & ~goal_served(offer)
    totals = ev.safety.totals_with_item
    concern = np.zeros(per_day.shape, dtype=bool)
    for interaction in ev.safety.triggered:
        for key, threshold in interaction.warn.items():
            column = keys.index(key)
            concern[:, column] |= totals[:, column] > threshold
    fraction = ev.snapshot.reference.warn_at_upper_limit_fraction
    with_food = totals + ev.safety.food_or_zero
    limits = np.where(ev.has_limit, ev.limits, np.inf)
    concern |= with_food >= fraction * limits
    known = _SINGLE.get(ev.snapshot.catalog)
    if known is not None and known[0] is table:
        single = known[1]
    else:
        single = isin_int(table.category_role, table.nutrient_role)
        _SINGLE[ev.snapshot.catalog] = (table, single)
    concerned = gives & concern
    rows = flatnonzero(concerned.any(axis=1) & single)
    parts = ev.memo["extra_concern_parts"] = (concerned, rows, medicinal_only(ev))
    return parts


# ---------------------------------------------------------------- review s7 P7: a doctor's dose
class CappedDose(NamedTuple):
    """A doctor's advised dose no product we offer may give: `kind` "upper_limit" (above the
    profile's upper limit: a medicine), "medicine" (of a nutrient without an upper limit, above
    product_maxima.yaml `medicine_above`: 45 mg of vitamin K2 is a prescription medicine, review
    s31a F4) or "life_stage" (above the life stage's maximum a day), and that limit."""

    advised: float
    kind: str
    limit: float


# a doctor's dose of these kinds comes from the doctor or pharmacy, not from us
MEDICINE_KINDS = frozenset({"upper_limit", "medicine"})


def capped_doctor_doses(ev: Evaluation) -> dict[int, CappedDose]:
    """Per nutrient column, a doctor's dose above the profile's upper limit (first: the
    stronger reason) or above product_maxima.yaml `life_stages` for the life stage."""
    doctor = advice_of(ev).doctor
    if not doctor:
        return {}
    keys = ev.snapshot.reference.nutrients.keys
    stage = life_stage_maxima(ev.snapshot.reference, ev.profile)
    medicines = ev.snapshot.reference.market_maxima.medicine_above
    out = {}
    for column, amount in sorted(doctor.items()):
        limit = float(ev.limits[column])
        maximum = stage.get(keys[column])
        medicine = medicines.get(keys[column]) if np.isnan(limit) else None
        if not np.isnan(limit) and amount > limit * (1 + 1e-9):
            out[column] = CappedDose(amount, "upper_limit", limit)
        elif medicine is not None and amount > medicine * (1 + 1e-9):
            out[column] = CappedDose(amount, "medicine", medicine)
        elif maximum is not None and amount > maximum * (1 + 1e-9):
            out[column] = CappedDose(amount, "life_stage", float(maximum))
    return out


def advice_without_doctor(ev: Evaluation) -> ProfileAdvice:
    """The profile's advice as if no doctor had advised a dose (targets.yaml alone): what an
    item under a capped doctor's dose may quote. The same context `ranking.evaluate` builds."""
    known = ev.memo.get("advice_without_doctor")
    if known is None:
        snapshot, profile = ev.snapshot, ev.profile
        keys = snapshot.reference.nutrients.keys
        taken = sorted({line.sku for line in ev.resolved if line.sku})
        catalog = snapshot.catalog
        categories = sorted({catalog.products[catalog.index[s]].category for s in taken})
        context = compiled_context(
            expression_context(
                profile,
                dict(zip(keys, map(float, ev.intake), strict=True)),
                ev.today,
                taken,
                categories,
            )
        )
        plain = dataclasses.replace(profile, higher_dose_advised=())
        known = ev.memo["advice_without_doctor"] = profile_advice(
            snapshot.reference, plain, context, snapshot.reference.targets
        )
    return known


def unserved_gap(ev: Evaluation, column: int) -> float | None:
    """For a capped doctor's dose: the advice without the doctor that still has a gap (its
    target), else None: the products of that nutrient serve no advice we can serve."""
    target = float(advice_without_doctor(ev).targets[column])
    within = ev.offer.enough_share[column]  # as enough_taken
    if np.isnan(target) or target <= 0 or ev.intake[column] >= target * (1 - within):
        return None
    return target


def served_targets(ev: Evaluation) -> tuple[np.ndarray, dict[str, str]]:
    """`ev.targets` and `ev.target_ids` with each capped doctor's dose (`capped_doctor_doses`)
    replaced by the advice without the doctor (NaN and no id where there is none): what a
    regimen aims at, the advice a list's items quote (review s7 P7). A doctor's dose within
    the limits stays the target."""
    capped = capped_doctor_doses(ev)
    if not capped:
        return ev.targets, ev.target_ids
    known = ev.memo.get("served_targets")
    if known is None:
        plain = advice_without_doctor(ev)
        keys = ev.snapshot.reference.nutrients.keys
        targets, ids = ev.targets.copy(), dict(ev.target_ids)
        for column in capped:
            targets[column] = plain.targets[column]
            ids.pop(keys[column], None)
            if keys[column] in plain.target_ids:
                ids[keys[column]] = plain.target_ids[keys[column]]
        known = ev.memo["served_targets"] = (targets, ids)
    return known


def medicinal_only(ev: Evaluation) -> np.ndarray:
    """Products that give a nutrient whose doctor's dose is above the upper limit (to come from
    the doctor or pharmacy) while no advice we can serve has a gap in it: on top of that dose
    they only add to a total already above the limit (a 14 mg iron tablet beside 60 mg). Lists
    (`extra_concern`) and regimens (regimen_problem.candidate_mask) offer none of them."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    out = np.zeros(len(per_day), dtype=bool)
    for column, capped in capped_doctor_doses(ev).items():
        if capped.kind in MEDICINE_KINDS and unserved_gap(ev, column) is None:
            out |= per_day[:, column] > 0
    return out


# ---------------------------------------------------------------- review s7 P8: advice unmet
# the safety masks (safety.py) that are the profile's own: what a notice may name as the reason;
# `upper_limit`: what the person takes, with food, leaves no room (review 18 F2: an infant's
# drops beside 8 µg taken and formula)
PROFILE_MASKS = ("age", "diet", "allergy", "life_stage", "upper_limit")
UNMET_PLACEHOLDERS = ("nutrient", "advice")


class UnmetAdvice(NamedTuple):
    """targets.yaml `unmet_advice_notices`: `masks` keep every product that would fill an
    advice's gap out, and nothing else does; `text` (texts.yaml) says so and whom to ask,
    `text_life_stage` in pregnancy and breastfeeding (the midwife)."""

    id: str
    masks: tuple[str, ...]
    text: str
    text_life_stage: str
    # products these masks keep out do not count against the notice: `room` is true beside a
    # product with less vitamin D that is only for adults (besides: [age])
    besides: tuple[str, ...] = ()


_UNMET: weakref.WeakKeyDictionary[Reference, tuple[UnmetAdvice, ...]] = weakref.WeakKeyDictionary()


def unmet_advice_notices(reference: Reference) -> tuple[UnmetAdvice, ...]:
    """The checked entries of targets.yaml (once per reference; `check_unmet_advice` at load)."""
    known = _UNMET.get(reference)
    if known is None:
        known = _UNMET[reference] = _load_unmet(reference)
    return known


def _load_unmet(reference: Reference) -> tuple[UnmetAdvice, ...]:
    path = _directory(reference) / "targets.yaml"
    doc = load_yaml(path, str(path))
    node = doc.get("unmet_advice_notices") if isinstance(doc, dict) else None
    out, findings = [], []
    for i, item in enumerate(node or ()):
        problems = []
        try:
            entry = UnmetAdvice(
                str(item["id"]),
                tuple(str(m) for m in item["masks"]),
                str(item["text"]),
                str(item["text_life_stage"]),
                tuple(str(m) for m in item.get("besides", ())),
            )
        except (KeyError, TypeError, ValueError):
            problems.append("needs id, masks, text, text_life_stage and source")
        else:
            problems += [
                f"mask {m!r} (one of {PROFILE_MASKS})"
                for m in entry.masks + entry.besides
                if m not in PROFILE_MASKS
            ]
            for key in (entry.text, entry.text_life_stage):
                texts = reference.texts.get(key)
                if texts is None or any(
                    placeholder_problem(t, UNMET_PLACEHOLDERS) for t in texts.values()
                ):
                    problems.append(
                        f"text {key} (missing, or placeholders not {UNMET_PLACEHOLDERS})"
                    )
            if not isinstance(item.get("source"), str):
                problems.append("no `source`")
        if problems:
            message = f"unmet advice notice {i}: {'; '.join(problems)}"
            findings.append(Finding(str(path), line_of(node, i), message, code="advice"))
            continue
        out.append(entry)
    if findings:
        raise DataFileError(findings)
    return tuple(out)


def check_unmet_advice(reference: Reference) -> list[Finding]:
    """Load-time check (advice_config.check_advice): the entries parse and their texts exist."""
    _UNMET.pop(reference, None)
    try:
        unmet_advice_notices(reference)
    except DataFileError as exc:
        return exc.findings
    return []


def unmet_advice(ev: Evaluation) -> list[tuple[int, UnmetAdvice]]:
    """(nutrient column, entry) per advice of the profile with a gap (not covered, not a
    capped doctor's dose) that no list candidate fills, where every product that would fill it
    is kept out by the entry's masks and by nothing else: the profile itself is why."""
    entries = unmet_advice_notices(ev.snapshot.reference)
    if not entries:
        return []
    offer, safety = ev.offer, ev.safety
    targets = nan_to_num(advice_of(ev).targets)
    gaps = (targets > 0) & (ev.intake < targets * (1 - 1e-9))
    gaps[offer.covered] = False
    gaps[list(capped_doctor_doses(ev))] = False
    gaps[list(doctor_band_unmet(ev))] = False  # said there (review s9 F3), not "your age"
    keys = ev.snapshot.reference.nutrients.keys
    profile = ev.profile
    for notice in offer.config.child_diet_notices:  # said there already (text_none)
        if notice.applies(profile.diet, profile.age):
            gaps[keys.index(notice.nutrient)] = False
    if not gaps.any():
        return []
    candidates = safety.allowed() & ~ev.rule_excluded & ev.rule_required & offer.allowed
    size = len(candidates)
    over = bool(ev.over_limit_now)
    doctor = advice_of(ev).doctor
    out = []
    for column in flatnonzero(gaps).tolist():
        fills = offer.gap_need[:, column]
        if (fills & candidates).any():
            continue
        for entry in entries:
            if column in doctor and "upper_limit" in entry.masks:
                continue  # the doctor's-dose notices say what the room allows (doctor_reach)
            if over and "upper_limit" in entry.masks:
                # what is taken already crosses a limit: nothing is suggested until that is
                # sorted out (guarantee 1; its notice says so), which is no "every product
                # with folic acid would go above the safe upper limit" (review 22 F2); the
                # age entry's referral stays (review 23 F4)
                continue
            hit, other = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
            aside = np.zeros(size, dtype=bool)
            for name, mask in safety.excluded.items():
                if over and name == "upper_limit":
                    continue  # every product while over a limit: no reason of its own
                if name in entry.masks:
                    hit |= mask
                else:
                    other |= mask
                if name in entry.besides:
                    aside |= mask
            # every product that would fill it, not one (review 11 R11-8: a kids' zinc kept
            # out by age beside adult ones kept out by the room is no "suits your age")
            if (fills & hit & ~other).any() and not (fills & ~hit & ~aside).any():
                out.append((column, entry))
                break
    return out


# ---------------------------------------------------------------- review s7 P10: why no items
def advice_blocked_by_interaction(ev: Evaluation) -> bool:
    """An advice of the profile with a gap (not covered) whose every filling product a
    triggered interaction keeps out (kidney disease and the 20 µg vitamin D advice at 70+): an
    empty list then is for the condition or medication, not for a need we were not told of."""
    masks = [m for name, m in ev.safety.excluded.items() if name.startswith("interaction:")]
    if not masks:
        return False
    blocked = np.logical_or.reduce(masks)
    targets = nan_to_num(advice_of(ev).targets)
    gaps = (targets > 0) & (ev.intake < targets * (1 - 1e-9))
    gaps[ev.offer.covered] = False
    for column in flatnonzero(gaps).tolist():
        fills = ev.offer.gap_need[:, column]
        if fills.any() and not (fills & ~blocked).any():
            return True
    return False


# ---------------------------------------------------------------- review s9 F3: the doctor's band
def doctor_band_unmet(ev: Evaluation) -> dict[int, float]:
    """Per nutrient column whose advice is the doctor's dose (within the limits), with a gap
    left and no list candidate filling it, while a product that gives it is above the band
    around that dose (iodine 20 µg: band 50 µg, the tablets give 150): that band's upper."""
    known = ev.memo.get("doctor_band_unmet")
    if known is not None:
        return known
    advice, offer, out = advice_of(ev), ev.offer, {}
    capped, covered = capped_doctor_doses(ev), set(offer.covered)
    excluded = excluded_by_interaction(ev)
    candidates = ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required & offer.allowed
    for column, amount in sorted(advice.doctor.items()):
        if advice.authority.get(column) != DOCTOR or column in capped or column in covered:
            continue
        if ev.intake[column] >= amount * (1 - 1e-9):
            continue
        if (offer.gap_need[:, column] & candidates).any():
            continue
        # the band is the reason only where every product that suits the person (no
        # interaction, who they are, the law, the stock, a rule) is above it: not where a
        # condition keeps them all out (review 12 F11: kidney disease) or where what is taken
        # and the room left do (F5: doctor_reach says so)
        if column in excluded:  # a medicine or condition keeps it out: doctor_dose_excluded
            continue
        if warned_past_dose(ev, column):  # ... or its warning past the dose: doctor_reach
            continue
        amounts = ev.snapshot.catalog.nutrients_per_day[:, column]
        # never quote more than the upper limit leaves beside food (review 12 F17: "at most
        # 450 mg" of magnesium, whose limit is 250 mg)
        upper = float(min(advice.band_upper[column], ev.safety.room_or_inf[column]))
        # a band to quote, and room below it ("at most 0 mg" of zinc for a child whose food
        # alone reaches the limit, review 15; no band at all: B12 or K2 for a child, an inf)
        if not np.isfinite(upper) or upper <= 0 or not (amounts > 0).any():
            continue
        suits = (amounts > 0) & answers_a_dose(ev, column)
        if not suits.any():  # nothing that gives it suits the person (a child's folic acid)
            out[column] = upper
        elif (
            upper >= advice.band_upper[column]
            and (amounts[suits] > advice.band_upper[column] * (1 + 1e-9)).all()
        ):  # each that suits above the band; a room below it is doctor_reach's to name,
            out[column] = upper  # and so is what is taken beside it (F5)
    ev.memo["doctor_band_unmet"] = out
    return out


def doctor_band_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`advice_unmet:<nutrient>` for `doctor_band_unmet`: the doctor's dose, that no product
    that suits the person comes close to it (the band's upper), and whom to ask."""
    reference = ev.snapshot.reference
    keys, notices = reference.nutrients.keys, []
    for column, upper in doctor_band_unmet(ev).items():
        values = reference.nutrients.text_values(
            keys[column], locale, advised=advice_of(ev).doctor[column], maximum=upper
        )
        text = reference.text("notice_doctor_dose_band", locale, **values)
        notices.append({"code": f"advice_unmet:{keys[column]}", "text": text})
    return notices
