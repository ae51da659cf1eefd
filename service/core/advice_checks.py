"""Checks of the advice's configuration that stand on their own: placeholders of a text,
targets.yaml `child_diet_notices` and scoring.yaml `dose_band.children` (advice_config.py
reads the rest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def child_band(band: dict, factor: float) -> tuple[tuple[float, int] | None, str | None]:
    """scoring.yaml `dose_band.children`: (factor, max_age) of a child's narrower band, or
    None; and what is wrong with it, if anything (review s43a F1: 2.5 x a German child's
    20 µg was the upper limit itself)."""
    children = band.get("children")
    if children is None:
        return None, None
    child = children if isinstance(children, dict) else {}
    value, age = child.get("factor"), child.get("max_age")
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 1 <= value <= factor
        or isinstance(age, bool)
        or not isinstance(age, int)
        or not isinstance(child.get("source"), str)
    ):
        return None, "dose_band.children needs factor (1 to dose_band.factor), max_age, source"
    return (float(value), age), None


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
    return float(child[0] if child is not None and age <= child[1] else config.factor)
