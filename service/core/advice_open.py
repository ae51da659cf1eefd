"""What a list leaves open for now, and why.

Advice left open while what is taken is above an upper limit (left open in session 20): a
pregnant woman over her magnesium limit got an empty list, as every list over a limit does
(guarantee 1 counts what is taken for every item, whatever it gives), and no word of the
folic acid advised for her. `advice_open:<nutrient>` names each advice of a health council,
a measured level or a doctor, or a target of a tier before them (folic acid in pregnancy; not
an aim of ours), that what is taken does not meet, to take up once what is taken is adjusted
(texts.yaml `notice_advice_over_limit`). Not `advice_unmet`, which says that no product may
serve an advice for the profile's own reason (review 22 F2 of session 16: no advice is called
unsafe beside a limit what is taken crosses).

Goals below their age (scoring.yaml `lists.goals_min_age`, review 22 F6): a girl of 13 with
the goal energy was offered vitamin B12 and magnesium for tiredness; now nothing, and
`goals_age` says that a goal alone is no reason for a child to take a supplement, and to ask
the doctor (not only "tell us more")."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .advice import advice_of
from .advice_config import advice_config
from .advice_extras import capped_doctor_doses
from .children import sourced_columns, two_sources
from .day_totals import over_room
from .dose_answers import answers_a_dose, excluded_by_interaction
from .fastnp import flatnonzero, nan_to_num
from .line_notices import unsuited_taken, warned_lines
from .target_priority import priorities

if TYPE_CHECKING:
    from .ranking import Evaluation


def open_advice_notices(
    ev: Evaluation,
    locale: str,
    phrase: Callable[[Evaluation, int, str], str],
    said: frozenset[str] | set[str] = frozenset(),
) -> list[dict[str, str]]:
    """The notices, where what is taken is above an upper limit (else none); `phrase` is
    advice_texts.advice_phrase (the authority's words for the advice); `said`: the nutrients
    another notice of the answer names already (its code's `<kind>:<nutrient>`: a doctor's
    dose we cannot supply, an advice unmet, enough taken, a warning; re-review 22 U4, M1)."""
    if not ev.over_limit_now:
        return []
    reference = ev.snapshot.reference
    targets = nan_to_num(advice_of(ev).targets)
    keys = reference.nutrients.keys
    tiers = priorities(reference)
    open_columns, kept_out = [], _kept_out(ev)
    for column in np.flatnonzero((targets > 0) & (ev.intake < targets * (1 - 1e-9))).tolist():
        rank = tiers.rank(ev.target_ids.get(keys[column]))  # an advice's tier, folic acid's first
        if column not in kept_out and keys[column] not in said and _servable(ev, column):
            if not (rank < len(tiers.ours) and tiers.ours[rank]):
                open_columns.append((rank, column))
    out = []
    for _, column in sorted(open_columns):  # the first tier first
        key = keys[column]
        name = reference.nutrients.name(key, locale)
        text = reference.text(
            _text_key(ev), locale, nutrient=name, advice=phrase(ev, column, locale)
        )
        out.append({"code": f"advice_open:{key}", "text": text})
    return out


def advised_columns(ev: Evaluation) -> np.ndarray:
    """Per nutrient column: an advice of the profile of a tier that is not our own aim
    (targets.yaml `priorities`: a health council's, a doctor's, folic acid in pregnancy; not
    calcium for vegans or a goal's magnesium)."""
    keys = ev.snapshot.reference.nutrients.keys
    tiers = priorities(ev.snapshot.reference)
    out = nan_to_num(advice_of(ev).targets) > 0
    for column in np.flatnonzero(out).tolist():
        rank = tiers.rank(ev.target_ids.get(keys[column]))
        out[column] = not (rank < len(tiers.ours) and tiers.ours[rank])
    return out


def _text_key(ev: Evaluation) -> str:
    return "notice_advice_over_limit" + ("_life_stage" if ev.profile.life_stage != "none" else "")


def _kept_out(ev: Evaluation) -> set[int]:
    """Nutrient columns no list would offer once what is taken is adjusted either, or that
    fail a guarantee now: above a limit (with food), excluded by a medicine, condition or
    measured level (re-review 22 U1: vitamin D with hypercalcaemia), covered by what is
    taken or failing (`Offer.covered`), a doctor's dose we cannot supply, a child's diet
    notice's nutrient (its own notice says it)."""
    profile = ev.profile
    out = set(ev.over_limit_now) | set(over_room(ev).tolist()) | excluded_by_interaction(ev)
    out |= set(ev.offer.covered) | set(ev.offer.failing) | set(capped_doctor_doses(ev))
    keys = ev.snapshot.reference.nutrients.keys
    for notice in advice_config(ev.snapshot.reference).child_diet_notices:
        if notice.applies(profile.diet, profile.age):
            out.add(keys.index(notice.nutrient))
    out |= set(sourced_columns(ev))  # a child's one product of it goes on (re-review 22b M1)
    return out


def _servable(ev: Evaluation, column: int) -> bool:
    """Some product that gives the nutrient suits the person (age, diet, life stage, the
    other limits: `answers_a_dose`) and fits the room its own limit leaves beside food and
    what is taken (re-review 22b M2: no B12 product for a child of 8, no room for a baby's
    second vitamin D). Where none does, no list would offer it once what is taken is
    adjusted either: no `advice_open`."""
    amounts = ev.snapshot.catalog.nutrients_per_day[:, column]
    room = float(ev.safety.room_or_inf[column] - ev.intake[column])
    fits = (amounts > 0) & (amounts <= room * (1 + 1e-9)) & answers_a_dose(ev, column)
    return bool(fits.any())


def waiting_notices(
    ev: Evaluation,
    locale: str,
    phrase: Callable[[Evaluation, int, str], str],
    said: frozenset[str] | set[str] = frozenset(),
) -> list[dict[str, str]]:
    """`goals_age`, then `open_advice_notices`."""
    return goals_age_notices(ev, locale) + open_advice_notices(ev, locale, phrase, said)


def goals_age_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`goals_age` where a goal of the profile is below its age (no claim serves it), naming
    those goals (re-review 22 M2: not "energy, sport or your heart" to a girl of 16 whose
    energy goal still brings its products; texts.yaml `goal_name_<goal>`)."""
    ages = advice_config(ev.snapshot.reference).goals_min_age or {}
    profile, reference = ev.profile, ev.snapshot.reference
    young = [goal for goal in profile.goals if goal in ages and profile.age < ages[goal]]
    if not young:
        return []
    goals = reference.listed([reference.text(f"goal_name_{g}", locale) for g in young], locale)
    return [{"code": "goals_age", "text": reference.text("notice_goals_age", locale, goals=goals)}]


def served_by_what_is_taken(ev: Evaluation, beside_no_need: bool = False) -> bool:
    """What is taken or in the basket gives enough of every advice of the profile, nothing the
    answer warns about and no limit crossed, and every safe product within the band adds a
    covered nutrient (review s28 F5: a toddler with 10 µg drops was told nothing safely fits),
    or, with `beside_no_need` (safe products meet no need), the profile has an advice (s28c
    F3: "tell us more (sun)" to a man of 40 with little sun whose 10 µg D3 covers it)."""
    offer = ev.offer
    if ev.over_limit_now or over_room(ev).size or not offer.enough_taken:
        return False
    # nothing the answer warns about (review s28c F1: "beside what your basket gives" beside
    # product_not_suited of a toddler's only vitamin D, a D3 + K2 spray with a VKA)
    if warned_lines(ev) or offer.failing or two_sources(ev) or capped_doctor_doses(ev):
        return False
    advised = set(flatnonzero(advice_of(ev).targets > 0))
    if not advised <= set(offer.enough_taken) or (beside_no_need and not advised):
        return False
    if beside_no_need:
        return True
    # and none at all: every product that gives it goes past a child's narrower band beside
    # a toddler's 10 µg drops (review s43a F1), that is no "nothing safely fits" either
    safe = ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required & offer.within_band
    return bool(offer.covered_duplicate[safe].all())


def served_beside_a_warning(ev: Evaluation) -> str | None:
    """Review s30a F2: what is taken gives every advice of the profile in full, but a product of
    it is one the answer warns about (`warned_lines`), so it is credited with nothing and the
    list is empty: not "tell us more". "medicine" where a medicine's or condition's warning
    is on a line (digoxin's on any vitamin D: the doctor should know), "covered" where only
    products that do not suit are warned about (an allergen, the age: their own notices say
    so; review s30b F5), counted without those; None otherwise."""
    warned = warned_lines(ev)
    if ev.over_limit_now or over_room(ev).size or ev.offer.failing or not warned:
        return None
    if any(line.path.startswith("basket.") for line in ev.resolved):
        return None  # "what you take": not of a basket
    unsuited = {*unsuited_taken(ev), *ev.offer.unsuitable_lines}
    kept = [line for k, line in enumerate(ev.resolved) if k not in unsuited]
    targets = advice_of(ev).targets
    advised = flatnonzero(targets > 0).tolist()
    met = all(
        sum(float(line.amounts[c]) for line in kept) >= float(targets[c]) * (1 - 1e-9)
        for c in advised
    )
    if not advised or not met:
        return None
    return "medicine" if warned - unsuited else "covered"
