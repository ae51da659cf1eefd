"""A customer profile and the product lines they take, as the core sees them (already validated)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Line:
    """One product a person takes or has in the basket: a catalog SKU or a free product."""

    sku: str | None = None
    servings_per_day: float | None = None
    label: str | None = None
    nutrients: dict[str, float] = field(default_factory=dict)
    # servings_per_day counts no lower than the product's labelled serving: the next pack of a
    # product taken at its label, merged into that line (with_next_packs)
    at_least_labelled: bool = False

    def servings(self, labelled: float) -> float:
        """Servings a day of a catalog product whose label says `labelled` a day."""
        given = labelled if self.servings_per_day is None else self.servings_per_day
        return max(given, labelled) if self.at_least_labelled else given

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Line:
        return cls(
            sku=data.get("sku"),
            servings_per_day=data.get("servings_per_day"),
            label=data.get("label"),
            nutrients=dict(data.get("nutrients") or {}),
        )


@dataclass(frozen=True)
class Profile:
    age: int
    sex: str = "unspecified"
    life_stage: str = "none"
    diet: str = "omnivore"
    allergies: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    sun_exposure: str = "moderate"
    skin_type: int | None = None
    country: str = "NL"
    serum_25ohd_nmol_l: float | None = None
    goals: tuple[str, ...] = ()
    current_supplements: tuple[Line, ...] = ()
    # v1.1: nutrient key (or input unit such as vitamin_d_iu) -> daily amount a doctor advised
    higher_dose_advised: tuple[tuple[str, float], ...] = ()
    # declared diet facts that replace the food allowance (rules/reference/food_intake.yaml)
    dairy_portions_per_day: float | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        return cls(
            age=int(data["age"]),
            sex=data.get("sex", "unspecified"),
            life_stage=data.get("life_stage", "none"),
            diet=data.get("diet", "omnivore"),
            allergies=tuple(data.get("allergies") or ()),
            medications=tuple(data.get("medications") or ()),
            conditions=tuple(data.get("conditions") or ()),
            sun_exposure=data.get("sun_exposure", "moderate"),
            skin_type=data.get("skin_type"),
            country=(data.get("country") or "NL").upper(),
            serum_25ohd_nmol_l=data.get("serum_25ohd_nmol_l"),
            goals=tuple(data.get("goals") or ()),
            current_supplements=tuple(
                Line.from_dict(line) for line in data.get("current_supplements") or ()
            ),
            higher_dose_advised=tuple(
                sorted(
                    (str(k), float(v)) for k, v in (data.get("higher_dose_advised") or {}).items()
                )
            ),
            dairy_portions_per_day=data.get("dairy_portions_per_day"),
        )

    def expression_view(self) -> dict[str, Any]:
        """The `profile` variable of rule expressions; optional fields only when given."""
        view: dict[str, Any] = {
            "age": self.age,
            "sex": self.sex,
            "life_stage": self.life_stage,
            "diet": self.diet,
            "allergies": list(self.allergies),
            "medications": list(self.medications),
            "conditions": list(self.conditions),
            "sun_exposure": self.sun_exposure,
            "country": self.country,
            "goals": list(self.goals),
        }
        if self.skin_type is not None:
            view["skin_type"] = int(self.skin_type)
        if self.serum_25ohd_nmol_l is not None:
            view["serum_25ohd_nmol_l"] = float(self.serum_25ohd_nmol_l)
        if self.higher_dose_advised:  # a doctor's daily amounts, keys as given (v1.1)
            view["higher_dose_advised"] = {k: float(v) for k, v in self.higher_dose_advised}
        return view


def labelled_lines(
    profile: Profile, basket: Sequence[Line] = (), taken: Sequence[tuple[str, Line]] = ()
) -> list[tuple[str, Line]]:
    """Current supplements, then `taken` (more lines the person takes: a stored customer's
    supplies still lasting), then the basket, each with its place in the request body (the
    field a 422 names). A basket line of a product already taken is its next pack
    (`with_next_packs`), not a line of its own."""
    lines = [
        (f"profile.current_supplements.{i}", line)
        for i, line in enumerate(profile.current_supplements)
    ]
    lines += taken
    return with_next_packs(lines, [(f"basket.{i}", line) for i, line in enumerate(basket)])


def with_next_packs(
    taken: Sequence[tuple[str, Line]], basket: Sequence[tuple[str, Line]]
) -> list[tuple[str, Line]]:
    """`taken` and then the basket lines, where a basket line of a SKU a taken line names is
    merged into that line (review s6 T4): the next pack of the product a person takes is the
    same daily dose, not a second tablet a day. Same SKU only: another product with the same
    nutrient is a line of its own and adds. The taken line keeps its place (what the person
    takes is not changed by emptying the basket). `servings_per_day` given on either line
    counts (the person said so), on both the larger; a taken line without it is taken at the
    label, so the basket's servings count only above the label (`Line.at_least_labelled`: 0.01
    a day of the next pack of a 50 µg tablet taken once a day is still 50 µg, review 20a F1)."""
    out = list(taken)
    first = {line.sku: i for i, (_, line) in reversed(list(enumerate(out))) if line.sku}
    for path, line in basket:
        i = first.get(line.sku) if line.sku else None
        if i is None:
            out.append((path, line))
            continue
        kept_path, kept = out[i]
        if line.servings_per_day is None:
            continue
        if kept.servings_per_day is None or kept.at_least_labelled:
            servings = max(kept.servings_per_day or 0.0, line.servings_per_day)
            merged = replace(kept, servings_per_day=servings, at_least_labelled=True)
        elif line.servings_per_day > kept.servings_per_day:
            merged = replace(kept, servings_per_day=line.servings_per_day)
        else:
            continue
        out[i] = (kept_path, merged)
    return out
