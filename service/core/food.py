"""The whole diet (guarantee 9): a high usual intake from food counts against every upper limit
that is for total intake, so the room for supplements is the limit minus that allowance.

Data: `rules/reference/food_intake.yaml` (per market and age band, P95 of the national food
consumption surveys; which limits count food; declared-intake fields such as
`dairy_portions_per_day`). This is the one place that says how much room a profile has.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .numbers import localized
from .numbers import variant as text_variant
from .validation import Flag, Number, Text
from .vocabulary import LOCALES

# The intake check's texts (food_intake.yaml `texts`) and their placeholders.
FOOD_TEXTS = {"above_room": ("nutrient", "amount", "food", "upper_limit", "room", "unit")}
# a baby's (age 0) own words, the allowance being infant formula's (review s39a F1)
FOOD_TEXTS["above_room.infant"] = FOOD_TEXTS["above_room"]
# A band may give one value, or one per sex; `other` and `unspecified` take the higher.
SEXES_WITH_VALUES = ("male", "female")
# Profile fields that may replace an allowance (food_intake.yaml `declared`).
DECLARED_FIELDS = ("dairy_portions_per_day",)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _Scope(_Strict):
    counts_food = Flag(required=True)
    source = fields.String(required=True)


class _Market(_Strict):
    source = fields.String(required=True)
    values = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Raw()),
        required=True,
    )

    @validates_schema
    def _amounts(self, data: dict, **_: object) -> None:
        for nutrient, row in data.get("values", {}).items():
            if not isinstance(row.get("source"), str) or not row["source"]:
                raise ValidationError(f"{nutrient}: needs a source", "values")
            for band, amount in row.items():
                if band == "source":
                    continue
                per_sex = amount if isinstance(amount, dict) else {"any": amount}
                if isinstance(amount, dict) and set(amount) != set(SEXES_WITH_VALUES):
                    raise ValidationError(
                        f"{nutrient}.{band}: give one number or exactly "
                        f"{', '.join(SEXES_WITH_VALUES)}",
                        "values",
                    )
                for value in per_sex.values():
                    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                        raise ValidationError(f"{nutrient}.{band}: must be a number >= 0", "values")


class _Declared(_Strict):
    nutrient = fields.String(required=True)
    per_unit = Number(required=True, validate=validate.Range(min=0))
    base = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")),
        values=Number(validate=validate.Range(min=0)),
        required=True,
    )
    source = fields.String(required=True)


class FoodIntakeFile(_Strict):
    source = fields.String(required=True)
    scope = fields.Dict(keys=fields.String(), values=fields.Nested(_Scope), required=True)
    markets = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")),
        values=fields.Nested(_Market),
        required=True,
    )
    declared = fields.Dict(
        keys=fields.String(validate=validate.OneOf(DECLARED_FIELDS)),
        values=fields.Nested(_Declared),
        load_default=dict,
    )
    texts = fields.Dict(
        keys=fields.String(validate=validate.OneOf(sorted(FOOD_TEXTS))),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(LOCALES)),
            values=Text(),
            validate=validate.Length(equal=len(LOCALES)),
        ),
        required=True,
    )

    @validates_schema
    def _texts(self, data: dict, **_: object) -> None:
        if set(data.get("texts", {})) != set(FOOD_TEXTS):
            raise ValidationError(f"needs exactly {sorted(FOOD_TEXTS)}", "texts")
        for key, texts in data["texts"].items():
            for locale, text in texts.items():
                try:
                    text.format(**dict.fromkeys(FOOD_TEXTS[key], "x"))
                except (KeyError, IndexError, ValueError) as exc:
                    raise ValidationError(
                        f"text {key} ({locale}): placeholder {exc} is not one of "
                        f"{list(FOOD_TEXTS[key])}",
                        "texts",
                    ) from None


@dataclass(frozen=True, eq=False)  # hashed by identity, so its lookups can be cached
class FoodIntake:
    nutrient_keys: tuple[str, ...]
    bands: tuple[tuple[str, int, int], ...]  # (id, min_age, max_age), as in upper_limits.yaml
    counts_food: frozenset[str]  # nutrients whose limit is for total intake
    # market -> nutrient -> band -> sex ("male", "female"; "any" when one value) -> amount
    tables: dict[str, dict[str, dict[str, dict[str, float]]]]
    declared: dict[str, dict]  # profile field -> {nutrient, per_unit, base}
    texts: dict[str, dict[str, str]]

    def band_of(self, age: int) -> str | None:
        return next((b for b, low, high in self.bands if low <= age <= high), None)

    def allowance(
        self,
        band: str | None,
        market: str,
        sex: str = "unspecified",
        declared: tuple[tuple[str, float], ...] = (),
    ) -> np.ndarray:
        """Food allowance per nutrient (0 where the limit does not count food or no value is
        set), read-only. `declared`: (profile field, amount) pairs that replace an allowance."""
        return self._cached(band, market, sex, declared)

    @lru_cache(maxsize=4096)  # noqa: B019 - immutable, lives as long as its snapshot
    def _cached(
        self, band: str | None, market: str, sex: str, declared: tuple[tuple[str, float], ...]
    ) -> np.ndarray:
        out = np.zeros(len(self.nutrient_keys))
        tables = [self.tables[market]] if market in self.tables else list(self.tables.values())
        for column, key in enumerate(self.nutrient_keys):
            if key not in self.counts_food or band is None:
                continue
            values = [
                amount
                for t in tables
                if key in t and band in t[key]
                for s, amount in t[key][band].items()
                if s in ("any", sex) or sex not in SEXES_WITH_VALUES
            ]
            out[column] = max(values, default=0.0)
        for name, amount in declared:
            rule = self.declared.get(name)
            if rule is None or amount is None or rule["nutrient"] not in self.counts_food:
                continue
            bases = rule["base"]
            base = bases[market] if market in bases else max(bases.values(), default=0.0)
            out[self.nutrient_keys.index(rule["nutrient"])] = base + rule["per_unit"] * amount
        out.setflags(write=False)
        return out

    def variant(self, key: str, name: str) -> str:
        """`<key>.<name>` where the texts give it (`.infant`), else `key`."""
        return text_variant(self.texts, key, name)

    def text(self, key: str, locale: str, **values: object) -> str:
        """A whole sentence, so its first letter is a capital even where a nutrient's name
        opens it ("Calcium: 800 mg ...", not "calcium: 800 mg ..." in nl and en)."""
        text = self.texts[key][locale].format(**localized(values, locale))
        return text[:1].upper() + text[1:]


def food_intake(data: dict, nutrient_keys: tuple[str, ...], bands: list[dict]) -> FoodIntake:
    """`bands`: the age bands of the default upper-limit table (the same band ids)."""
    return FoodIntake(
        nutrient_keys=nutrient_keys,
        bands=tuple((b["id"], b["min_age"], b["max_age"]) for b in bands),
        counts_food=frozenset(k for k, v in data["scope"].items() if v["counts_food"]),
        tables={
            market: {
                n: {
                    b: {s: float(x) for s, x in a.items()}
                    if isinstance(a, dict)
                    else {"any": float(a)}
                    for b, a in row.items()
                    if b != "source"
                }
                for n, row in entry["values"].items()
            }
            for market, entry in data["markets"].items()
        },
        declared=dict(data["declared"]),
        texts=data["texts"],
    )


def nutrient_keys_named(data: dict) -> dict[str, list[str]]:
    """Nutrient keys named in the file, per section, for the reference vocabulary check."""
    out = {"scope": list(data["scope"])}
    for market, entry in data["markets"].items():
        out[f"markets.{market}"] = list(entry["values"])
    out["declared"] = [d["nutrient"] for d in data["declared"].values()]
    return out


def unknown_bands(data: dict, bands: list[dict]) -> list[str]:
    known = {b["id"] for b in bands}
    return sorted(
        f"{market}.{nutrient}.{band}"
        for market, entry in data["markets"].items()
        for nutrient, row in entry["values"].items()
        for band in row
        if band != "source" and band not in known
    )


def room(limits: np.ndarray, allowance: np.ndarray) -> np.ndarray:
    """What is left for supplements: limit - food allowance, at least 0; NaN where no limit."""
    return np.where(np.isnan(limits), np.nan, np.maximum(limits - allowance, 0.0))


def declared_intake(profile: object) -> tuple[tuple[str, float], ...]:
    """The declared-intake fields a profile gives, as a hashable key."""
    return tuple(
        (name, float(value))
        for name in DECLARED_FIELDS
        if (value := getattr(profile, name, None)) is not None
    )
