"""Checks of the advice's configuration that stand on their own: placeholders of a text, and
targets.yaml `child_diet_notices` (advice_config.py reads the rest)."""

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
