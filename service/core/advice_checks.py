"""Checks of the advice's configuration that stand on their own: placeholders of a text,
targets.yaml `child_diet_notices` and scoring.yaml `dose_band.children` (advice_config.py
reads the rest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .reference import Reference
from .validation import text_problem
from .vocabulary import DIETS


@dataclass(frozen=True)
class ChildDietNotice:
    """targets.yaml `child_diet_notices`: a diet that needs a nutrient a child may get no
    product for (a vegan child and vitamin B12, R15f)."""

    id: str
    diets: tuple[str, ...]
    min_age: int
    max_age: int
    nutrient: str
    text: str  # texts.yaml key
    text_none: str  # texts.yaml key: no product with the nutrient is safe for the child

    def applies(self, diet: str, age: int) -> bool:
        return diet in self.diets and self.min_age <= age <= self.max_age


def child_diet_notices(
    reference: Reference, file: str, targets: Any, find: Any
) -> tuple[ChildDietNotice, ...]:
    """targets.yaml `child_diet_notices`, checked: diets, ages, nutrient, texts, source."""
    node = targets.get("child_diet_notices") if isinstance(targets, dict) else None
    out = []
    for i, item in enumerate(node or ()):
        try:
            notice = ChildDietNotice(
                str(item["id"]),
                tuple(str(d) for d in item["diets"]),
                int(item["min_age"]),
                int(item["max_age"]),
                str(item["nutrient"]),
                str(item["text"]),
                str(item["text_none"]),
            )
        except (KeyError, TypeError, ValueError):
            needs = "id, diets, min_age, max_age, nutrient, text, text_none and source"
            find(file, node, i, f"a child diet notice needs {needs}")
            continue
        problems = [d for d in notice.diets if d not in DIETS]
        if notice.nutrient not in reference.nutrients.keys:
            problems.append(notice.nutrient)
        for key in (notice.text, notice.text_none):
            texts = reference.texts.get(key)
            if texts is None or any(placeholder_problem(t, ()) for t in texts.values()):
                problems.append(f"text {key} (missing, or with placeholders)")
        if not isinstance(item.get("source"), str):
            problems.append("no `source`")
        if problems:
            find(file, node, i, f"child diet notice {notice.id}: unknown or bad {problems}")
            continue
        out.append(notice)
    return tuple(out)


def placeholder_problem(text: Any, placeholders: tuple[str, ...]) -> str | None:
    if not isinstance(text, str) or not text:
        return "empty"
    if problem := text_problem(text):
        return problem
    try:
        text.format(**{name: "x" for name in placeholders})
    except (KeyError, IndexError, ValueError) as exc:
        return f"placeholder {exc} is not one of {sorted(placeholders)}"
    return None


def child_band(band: dict, factor: float) -> tuple[tuple[float, int, int] | None, str | None]:
    """scoring.yaml `dose_band.children`: (factor, min_age, max_age) of a child's narrower band, or
    None; and what is wrong with it, if anything (review s43a F1: 2.5 x a German child's
    20 µg was the upper limit itself)."""
    children = band.get("children")
    if children is None:
        return None, None
    child = children if isinstance(children, dict) else {}
    value, least, age = child.get("factor"), child.get("min_age"), child.get("max_age")
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 1 <= value <= factor
        or isinstance(least, bool)
        or isinstance(age, bool)
        or not isinstance(least, int)
        or not isinstance(age, int)
        or not least <= age
        or not isinstance(child.get("source"), str)
    ):
        return None, (
            "dose_band.children needs factor (1 to dose_band.factor), min_age <= max_age, source"
        )
    return (float(value), least, age), None


def serum_levels(levels: Any) -> tuple[tuple[tuple[float, float], ...], list[tuple[int, str]]]:
    """scoring.yaml `dose_band.serum.levels`: (below, up_to) per level, lowest first, and the
    (index, problem) of each level that is not two numbers."""
    parsed, problems = [], []
    for i, level in enumerate(levels or ()):
        ok = isinstance(level, dict) and all(
            isinstance(level.get(k), int | float) and not isinstance(level.get(k), bool)
            for k in ("below", "up_to")
        )
        if not ok:
            problems.append((i, "serum level needs below and up_to"))
            continue
        parsed.append((float(level["below"]), float(level["up_to"])))
    return tuple(sorted(parsed)), problems


def band_factor(config: Any, age: int) -> float:
    """The dose band's factor at `age` (AdviceConfig `config`): a child's where scoring.yaml
    `dose_band.children` gives one."""
    child = config.child_band
    if child is not None and child[1] <= age <= child[2]:
        return float(child[0])
    return float(config.factor)


def past_caution(given: Any) -> tuple[tuple[float, int], str | None]:
    """scoring.yaml `dose_fit.past_caution`: (amount added to a product's distance from the
    advice, the youngest age it holds for) for a product with a nutrient of an interactions.yaml
    caution no target asks for (review s44b F5: D3 + 50 µg K2 drops first for 75+); and what is
    wrong with it. None: (0, 0)."""
    if given is None:
        return (0.0, 0), None
    amount = given.get("amount") if isinstance(given, dict) else None
    age = given.get("min_age") if isinstance(given, dict) else None
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int | float)
        or not 0 <= amount <= 10
        or isinstance(age, bool)
        or not isinstance(age, int)
        or not isinstance(given.get("source"), str)
    ):
        return (0.0, 0), "dose_fit.past_caution needs amount (0 to 10), min_age, source"
    return (float(amount), age), None


def claim_served(
    reference: Reference, scoring_file: Any, lists: Any, nrv: Any, find: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Per claim, what taken serves its goals (needs.claims_met): `min_per_day`, or more, the
    share of its one nutrient's NRV (review s26b B3: not 1 µg D); the nutrients it sums."""
    served, share = lists.get("goal_served") if isinstance(lists, dict) else None, 0.0
    if served is not None:
        given = served.get("share_of_nrv") if isinstance(served, dict) else None
        sourced = isinstance(served, dict) and isinstance(served.get("source"), str)
        if isinstance(given, int | float) and not isinstance(given, bool) and 0 <= given <= 1:
            share = float(given) if sourced else 0.0
        if not sourced or share != given:
            find(scoring_file, lists, "goal_served", "goal_served: {share_of_nrv: 0-1, source}")
    keys, least = reference.nutrients.keys, np.zeros(len(reference.claims))
    sums = np.zeros((len(reference.claims), len(keys)))
    for row, claim in enumerate(reference.claims.values()):
        least[row] = claim.min_per_day
        if len(claim.nutrients) == 1 and claim.nutrients[0] in nrv:
            least[row] = max(least[row], share * float(nrv[claim.nutrients[0]]["value"]))
        sums[row, [keys.index(n) for n in claim.nutrients if n in keys]] = 1.0
    return least * (1 - 1e-9), sums
