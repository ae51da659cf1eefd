"""What the intake check says beyond what the supplements add (review 11 R11-4, R11-5).

- The food allowance alone above a limit for total intake (14 declared dairy portions give
  2,950 mg calcium, above 2,500 mg): the total's `status` is `above_upper_limit` (amount + food
  above the limit, as the status has counted food since R13) and a warning
  `above_upper_limit:<nutrient>` says so in the lists' words (day_totals.food_alone_text), with
  `skus: []` where nothing combined gives the nutrient. No violation: violations name what the
  supplements add, and they add nothing.
- A suggestion that removes a basket line names only the limits the change brings the day
  within; where food alone stays above one, it says the supplements' share goes to 0 and what
  food alone gives (`SuggestionLimits`).
- A suggestion that removes or reduces a line giving a nutrient a doctor advised a dose of
  carries the doctor's notices of the basket after the change (advice_texts.doctor_dose_notices,
  the lists' own), so a bare "remove it" never stands where a prescribed dose is at stake.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from .advice_texts import doctor_dose_notices
from .day_totals import caution_notices, food_alone_columns, food_alone_notices, food_alone_text
from .profile import Line, Profile, labelled_lines
from .ranking import evaluate
from .vocabulary import DEFAULT_LOCALE

if TYPE_CHECKING:
    from .ranking import Evaluation
    from .regimen_texts import TextWriter


def food_alone_warnings(ev: Evaluation, locale: str) -> list[dict[str, Any]]:
    """`above_upper_limit:<nutrient>` where the food allowance alone is above a limit for total
    intake and what is combined gives none of it (where it gives some, the total is above its
    room and `above_room:<nutrient>` names the lines): the lists' notices, naming no line."""
    return [{**notice, "skus": []} for notice in food_alone_notices(ev, locale)]


def check_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """What holds for the profile whatever is combined, as the lists say it: each triggered
    notice-only interaction (interactions.yaml `notice: true`; review 8b R4), a basket line's
    `caution:<id>` (day_totals.caution_notices), then the doctor's
    dose notices of what is combined (`doctor_dose_capped`, `doctor_dose_short`,
    `advice_unmet`: advice_texts.doctor_dose_notices; review 11 R11-5)."""
    interactions = [
        {"code": f"interaction:{i.id}", "text": i.text[locale]}
        for i in ev.safety.triggered
        if i.notice
    ]
    # a basket line's caution, as the list's notice (review s44a F1: a D3 + K2 in the basket)
    interactions += caution_notices(ev, locale)
    if not ev.profile.higher_dose_advised:  # the doctor's notices need a doctor's dose
        return interactions
    return interactions + doctor_dose_notices(ev, locale)


@dataclasses.dataclass(frozen=True)
class SuggestionLimits:
    """The limits a basket change that takes away the supplements' share of `over` brings the
    day within (`within`, columns), and those food alone stays above (`food_alone`)."""

    ev: Evaluation
    within: list[int]
    food_alone: list[int]

    @classmethod
    def of(cls, ev: Evaluation, over: np.ndarray) -> SuggestionLimits:
        alone = set(food_alone_columns(ev).tolist())
        columns = [int(c) for c in over.tolist()]
        return cls(ev, [c for c in columns if c not in alone], [c for c in columns if c in alone])

    def text(self, write: TextWriter, key: str, **values: Any) -> str:
        """`key` (suggestion_remove or suggestion_reduce) naming the limits the change keeps;
        where food alone stays above a limit: that supplements then add none of it, and the
        food-alone text (a reduction keeps some, so it is never one of these: `reduces`)."""
        keys = self.ev.snapshot.reference.nutrients.keys
        reference, locale = write.reference, write.locale
        alone = write.listed(write.name(keys[c]) for c in self.food_alone)
        if not self.within:
            parts = [
                reference.text("suggestion_remove_food_alone", locale, nutrients=alone, **values)
            ]
        else:
            limits = write.limits([keys[c] for c in self.within], self.ev.limits[self.within])
            parts = [write(key, limits=limits, **values)]
            if self.food_alone:
                parts.append(reference.text("suggestion_then_food_alone", locale, nutrients=alone))
        parts += [food_alone_text(self.ev, c, locale) for c in self.food_alone]
        return " ".join(str(p) for p in parts)

    @property
    def reduces(self) -> bool:
        """Whether fewer servings can be the fix: not where food alone is above the limit."""
        return not self.food_alone


def with_doctor_dose(
    before: Evaluation, request: dict[str, Any], suggestion: dict | None
) -> dict | None:
    """The suggestion plus the lists' doctor notices (`doctor_dose_capped`, `_short`,
    `advice_unmet`) of the basket after its change, for each nutrient a removed or reduced line
    gives and a doctor advised a dose of, where the basket as it is does not already say them
    (the check's `notices` carry those): its text gets them, and `notices` lists them.
    `before`: the evaluation of the request's lines, the basket as it is."""
    if not suggestion or suggestion["code"] == "add":
        return suggestion
    snapshot, profile, today = before.snapshot, before.profile, before.today
    advised = {key for key, _ in profile.higher_dose_advised}
    if not advised:
        return suggestion
    jurisdiction = request.get("jurisdiction")
    keys = snapshot.reference.nutrients.keys
    changed = {c["line"]: c for c in suggestion["changes"] if "line" in c}
    rows = [r.amounts for r in before.resolved if r.path in changed]
    # a next pack's change has no line of its own (merged into the taken line): its product's
    # nutrients (review 24 F2: "take 1 instead of 2" beside a doctor's 90 µg said nothing)
    paths, catalog = {r.path for r in before.resolved}, snapshot.catalog
    rows += [
        catalog.nutrients_per_day[catalog.index[c["sku"]]]
        for path, c in changed.items()
        if path not in paths and c.get("sku") in catalog.index
    ]
    touched = {keys[c] for row in rows for c in np.flatnonzero(row > 0).tolist()} & advised
    if not touched:
        return suggestion
    after = _after(profile, request, suggestion["changes"])
    locale = request.get("locale") or DEFAULT_LOCALE
    said = doctor_dose_notices(before, locale)
    then = evaluate(snapshot, profile, after, today, jurisdiction)
    notices = [
        n
        for n in doctor_dose_notices(then, locale)
        if n["code"].split(":")[-1] in touched and n not in said
    ]
    notices += _taken_instead(before, then, changed, touched, locale)
    if not notices:
        return suggestion
    text = " ".join([suggestion["text"], *(n["text"] for n in notices)])
    return {**suggestion, "text": text, "notices": notices}


def _after(
    profile: Profile, request: dict[str, Any], changes: list[dict]
) -> list[tuple[str, Line]]:
    """The lines once the suggestion's changes are made to the request's basket (removed,
    reduced, added), merged with what is taken as the check merges them (a next pack's change
    included: review 24 F2)."""
    by_line = {c["line"]: c for c in changes if "line" in c}
    basket = []
    for i, data in enumerate(request.get("basket") or ()):
        line, change = Line.from_dict(data), by_line.get(f"basket.{i}")
        if change is None:
            basket.append(line)
        elif change["code"] == "reduce":
            basket.append(dataclasses.replace(line, servings_per_day=change["servings_per_day"]))
    basket += [
        Line(sku=c["sku"], servings_per_day=c["servings_per_day"])
        for c in changes
        if c["code"] == "add"
    ]
    return labelled_lines(profile, basket)


def _taken_instead(
    before: Evaluation, then: Evaluation, changed: dict, touched: set[str], locale: str
) -> list[dict[str, str]]:
    """`doctor_dose_taken:<nutrient>` where the change leaves a doctor's dose unmet that the
    removed basket line alone met, while what is taken gives the nutrient too (review 12 F16: a
    doctor's 75 µg tablet in the basket beside 25 µg drops taken, above the limit together: the
    only basket change removes the tablet, and said nothing of the dose)."""
    reference = before.snapshot.reference
    keys = reference.nutrients.keys
    doctor = dict(before.profile.higher_dose_advised)
    taken = [r for r in before.resolved if not r.path.startswith("basket.")]
    removed = [r for r in before.resolved if r.path in changed]
    notices = []
    for key in sorted(touched):
        column = keys.index(key)
        advised = float(doctor[key])
        if float(then.intake[column]) >= advised * (1 - 1e-9) or not any(
            r.amounts[column] > 0 for r in taken
        ):
            continue
        if not any(float(r.amounts[column]) >= advised * (1 - 1e-9) for r in removed):
            continue
        values = reference.nutrients.text_values(
            key, locale, advised=advised, taken=sum(float(r.amounts[column]) for r in taken)
        )
        text = reference.text("notice_doctor_dose_taken", locale, **values)
        notices.append({"code": f"doctor_dose_taken:{key}", "text": text})
    return notices
