"""What a product's vitamin sources and tags mean for the diet flags and allergens it must
carry (rules/reference/ingredients.yaml): a fish-oil vitamin D marked vegan, or a natto MK-7
without soy among its allergens, is refused with the catalog's file and line (review s36b F1:
guarantees 3 and 4 rest on the flags, and one wrong flag gave a fish-allergic vegan a fish-oil
softgel with no finding)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, fields, validate

from .validation import Flag
from .vocabulary import ALLERGENS

if TYPE_CHECKING:
    from .catalog import Product


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _Facts(_Strict):
    vegan = Flag(load_default=None)
    vegetarian = Flag(load_default=None)
    allergens = fields.List(fields.String(validate=validate.OneOf(ALLERGENS)), load_default=list)
    source = fields.String(required=True, validate=validate.Length(min=1))


class IngredientsFile(_Strict):
    source = fields.String(required=True)
    sources = fields.Dict(keys=fields.String(), values=fields.Nested(_Facts), required=True)
    tags = fields.Dict(keys=fields.String(), values=fields.Nested(_Facts), required=True)


@dataclass(frozen=True)
class Facts:
    """What one source or tag implies: a diet flag it rules out (False), allergens it carries."""

    vegan: bool | None = None
    vegetarian: bool | None = None
    allergens: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ingredients:
    sources: dict[str, Facts] = field(default_factory=dict)  # a vitamin_sources value
    tags: dict[str, Facts] = field(default_factory=dict)

    def problems(self, product: Product) -> list[tuple[str, str]]:
        """(catalog key, message) of each flag of `product` its sources or tags contradict."""
        found: list[tuple[str, str]] = []
        implied = [
            (f"vitamin_sources: {vitamin}: {code}", self.sources[code])
            for vitamin, code in sorted(product.vitamin_sources.items())
            if code in self.sources
        ] + [(f"tag {tag}", self.tags[tag]) for tag in product.tags if tag in self.tags]
        for why, facts in implied:
            for flag in ("vegan", "vegetarian"):
                if getattr(facts, flag) is False and getattr(product, flag):
                    found.append((flag, f"{why} is not {flag}; the product says {flag}: true"))
            missing = [a for a in facts.allergens if a not in product.allergens]
            if missing:
                found.append(
                    ("allergens", f"{why} carries {', '.join(missing)}; add it to allergens")
                )
        return found


def ingredients(data: dict[str, Any]) -> Ingredients:
    def facts(entry: dict[str, Any]) -> Facts:
        return Facts(entry["vegan"], entry["vegetarian"], tuple(entry["allergens"]))

    return Ingredients(
        sources={code: facts(e) for code, e in data["sources"].items()},
        tags={tag: facts(e) for tag, e in data["tags"].items()},
    )
