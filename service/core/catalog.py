"""The product catalog: load, check against reference data, index as arrays for fast masks."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from marshmallow import RAISE, Schema, fields, validate

from .amounts import rounded
from .context import compiled_context
from .errors import DataFileError, Finding
from .reference import Reference, _display
from .validation import Flag, Number, WholeNumber, schema_findings
from .validation import Localized as _Localized
from .vocabulary import ALLERGENS, FORMS, GOALS, LOCALES
from .yamlfile import LineDict, line_of, load_yaml

SKU_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")
DAYS_PER_MONTH = 30


class _ProductSchema(Schema):
    class Meta:
        unknown = RAISE

    sku = fields.String(
        required=True,
        validate=validate.Regexp(
            SKU_PATTERN, error="must be capital letters, digits and hyphens (at most 40)"
        ),
    )
    name = _Localized(required=True)
    brand = fields.String(required=True)
    category = fields.String(required=True)
    form = fields.String(required=True, validate=validate.OneOf(FORMS))
    price = Number(required=True, validate=validate.Range(min=0, min_inclusive=False))
    pack_size = WholeNumber(required=True, validate=validate.Range(min=1))
    servings_per_day = WholeNumber(required=True, validate=validate.Range(min=1, max=20))
    nutrients_per_serving = fields.Dict(
        keys=fields.String(),
        values=Number(validate=validate.Range(min=0, min_inclusive=False)),
        required=True,
    )
    vitamin_sources = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    vegan = Flag(required=True)
    vegetarian = Flag(required=True)
    allergens = fields.List(fields.String(validate=validate.OneOf(ALLERGENS)), required=True)
    min_age = WholeNumber(required=True, validate=validate.Range(0, 120))
    max_age = WholeNumber(allow_none=True, load_default=None, validate=validate.Range(0, 120))
    pregnancy_suitable = Flag(required=True)
    breastfeeding_suitable = Flag(required=True)
    in_stock = Flag(load_default=True)
    tags = fields.List(fields.String(), load_default=list)
    claims = fields.List(fields.String(), load_default=list)
    # guarantee 8: a product the shop may not sell (e.g. an unauthorised form), with why
    sellable = Flag(load_default=True)
    not_sellable_reason = fields.String(load_default=None, validate=validate.Length(min=1))
    not_sellable_source = fields.String(load_default=None, validate=validate.Length(min=1))


class _CatalogSchema(Schema):
    class Meta:
        unknown = RAISE

    source = fields.String(required=True)
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    categories = fields.Dict(keys=fields.String(), values=_Localized(), required=True)
    products = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))


@dataclass(frozen=True)
class Product:
    sku: str
    name: dict[str, str]
    brand: str
    category: str
    form: str
    price: float
    currency: str
    pack_size: int
    servings_per_day: int
    nutrients_per_serving: dict[str, float]
    vitamin_sources: dict[str, str]
    vegan: bool
    vegetarian: bool
    allergens: tuple[str, ...]
    min_age: int
    max_age: int | None
    pregnancy_suitable: bool
    breastfeeding_suitable: bool
    in_stock: bool
    tags: tuple[str, ...]
    claims: tuple[str, ...]
    sellable: bool = True
    not_sellable_reason: str | None = None
    not_sellable_source: str | None = None

    @property
    def nutrients_per_day(self) -> dict[str, float]:
        return {k: v * self.servings_per_day for k, v in self.nutrients_per_serving.items()}

    @property
    def cost_per_month(self) -> float:
        """The exact cost of DAYS_PER_MONTH days at the label dose: the one definition;
        compare and subtract these, round only what is shown."""
        return self.price / self.pack_size * self.servings_per_day * DAYS_PER_MONTH

    @property
    def price_per_month(self) -> float:
        return round(self.cost_per_month, 2)

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        """The contract's product shape, plus the catalog's extra fields."""
        return {
            "sku": self.sku,
            "name": self.name[locale] if locale else self.name["en"],
            "names": dict(self.name),
            "brand": self.brand,
            "category": self.category,
            "form": self.form,
            "price": self.price,
            "currency": self.currency,
            "pack_size": self.pack_size,
            "price_per_month": self.price_per_month,
            "servings_per_day": self.servings_per_day,
            "nutrients_per_serving": dict(self.nutrients_per_serving),
            "nutrients_per_day": self.nutrients_per_day,
            "vitamin_sources": dict(self.vitamin_sources),
            "vegan": self.vegan,
            "vegetarian": self.vegetarian,
            "allergens": list(self.allergens),
            "min_age": self.min_age,
            "max_age": self.max_age,
            "pregnancy_suitable": self.pregnancy_suitable,
            "breastfeeding_suitable": self.breastfeeding_suitable,
            "in_stock": self.in_stock,
            "tags": list(self.tags),
            "claims": list(self.claims),
            "sellable": self.sellable,
            **({"not_sellable_reason": self.not_sellable_reason} if not self.sellable else {}),
        }

    def expression_view(self) -> dict[str, Any]:
        """The `product` variable of rule expressions."""
        return {
            "sku": self.sku,
            "name": self.name["en"],
            "brand": self.brand,
            "category": self.category,
            "form": self.form,
            "tags": list(self.tags),
            "vegan": self.vegan,
            "vegetarian": self.vegetarian,
            "price": float(self.price),
            "price_per_month": float(self.price_per_month),
            "allergens": list(self.allergens),
            "sources": dict(self.vitamin_sources),
            "in_stock": self.in_stock,
            "min_age": self.min_age,
        }


class Catalog:
    """Products plus column arrays over them, so that every check is one vectorised operation."""

    def __init__(
        self,
        products: list[Product],
        categories: dict[str, dict[str, str]],
        reference: Reference,
        version: str,
        source: Path | None = None,
        lines: dict[str, int] | None = None,
    ) -> None:
        self.products = products
        self.lines = lines or {}  # SKU -> line in the catalog file (catalog checks)
        self.categories = categories
        self.version = version
        self.source = source
        self.index = {p.sku: i for i, p in enumerate(products)}
        keys = reference.nutrients.keys
        self.nutrient_keys = keys
        n = len(products)
        per_day = np.zeros((n, len(keys)))
        for i, product in enumerate(products):
            for key, amount in product.nutrients_per_day.items():
                per_day[i, keys.index(key)] = amount
        self.nutrients_per_day = per_day
        self.vegan = np.array([p.vegan for p in products], dtype=bool)
        self.vegetarian = np.array([p.vegetarian for p in products], dtype=bool)
        self.in_stock = np.array([p.in_stock for p in products], dtype=bool)
        self.pregnancy_suitable = np.array([p.pregnancy_suitable for p in products], dtype=bool)
        self.breastfeeding_suitable = np.array(
            [p.breastfeeding_suitable for p in products], dtype=bool
        )
        self.min_age = np.array([p.min_age for p in products], dtype=np.int64)
        self.max_age = np.array(
            [p.max_age if p.max_age is not None else 10_000 for p in products], dtype=np.int64
        )
        self.allergen_bits = np.array(
            [allergen_bits(p.allergens) for p in products], dtype=np.int64
        )
        self.category_names = sorted(categories)
        self.category_code = np.array(
            [self.category_names.index(p.category) for p in products], dtype=np.int64
        )
        # guarantee 8: forms the EU does not authorise (or not given: unknown, review s31b
        # H4), and products marked not sellable
        self.unauthorised_forms = {
            p.sku: forms
            for p in products
            if (
                forms := reference.authorised_forms.unauthorised(
                    p.vitamin_sources, p.nutrients_per_serving
                )
            )
        }
        self.not_sellable = np.array(
            [not p.sellable or p.sku in self.unauthorised_forms for p in products], dtype=bool
        )
        self.price_per_month = np.array([p.price_per_month for p in products])
        low, high = self.price_per_month.min(), self.price_per_month.max()
        span = high - low if high > low else 1.0
        self.price_prior = 1.0 - (self.price_per_month - low) / span
        goal_index = {g: i for i, g in enumerate(GOALS)}
        self.claim_goals = np.zeros((n, len(GOALS)), dtype=bool)
        for i, product in enumerate(products):
            for claim_id in product.claims:
                for goal in reference.claims[claim_id].goals:
                    self.claim_goals[i, goal_index[goal]] = True

    def __len__(self) -> int:
        return len(self.products)

    @cached_property
    def sku_order(self) -> np.ndarray:
        """Each product's place when the products are sorted by SKU (ties of a score)."""
        order = np.empty(len(self.products), dtype=np.int64)
        order[sorted(range(len(self.products)), key=lambda i: self.products[i].sku)] = np.arange(
            len(self.products)
        )
        return order

    @cached_property
    def rounded_per_day(self) -> list[dict[str, float | int]]:
        """Per product its nutrients a day as list items show them (amounts.rounded)."""
        return [{k: rounded(v) for k, v in p.nutrients_per_day.items()} for p in self.products]

    @cached_property
    def expression_views(self) -> list[dict[str, Any]]:
        views = []
        for product, row in zip(self.products, self.nutrients_per_day, strict=True):
            view = product.expression_view()
            view["nutrients"] = {k: float(v) for k, v in zip(self.nutrient_keys, row, strict=True)}
            if product.max_age is not None:
                view["max_age"] = product.max_age
            views.append(view)
        return views

    @cached_property
    def expression_contexts(self) -> list[Any]:
        """One compiled CEL context per product, built once per catalog and shared by rules."""
        return [compiled_context({"product": view}) for view in self.expression_views]

    @cached_property
    def expression_field_names(self) -> frozenset[str]:
        """Every key any product view has, nested keys included (for 'did you mean')."""
        names: set[str] = set()
        for view in self.expression_views:
            for key, value in view.items():
                names.add(key)
                if isinstance(value, dict):
                    names.update(value)
        return frozenset(names)

    def category_mask(self, categories: list[str] | tuple[str, ...]) -> np.ndarray:
        codes = [self.category_names.index(c) for c in categories if c in self.categories]
        return np.isin(self.category_code, codes)

    def sku_mask(self, skus: list[str] | tuple[str, ...] | set[str]) -> np.ndarray:
        mask = np.zeros(len(self.products), dtype=bool)
        for sku in skus:
            i = self.index.get(sku)
            if i is not None:
                mask[i] = True
        return mask


def allergen_bits(allergens: Any) -> int:
    bits = 0
    for allergen in allergens:
        bits |= 1 << ALLERGENS.index(allergen)
    return bits


def file_version(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def load_catalog(path: Path, reference: Reference) -> Catalog:
    """Load the catalog file and check each product; refuse the file with every finding."""
    display = _display(path)
    document = load_yaml(path, display)
    return catalog_from_document(document, reference, display, file_version([path]), path)


def catalog_from_document(
    document: Any, reference: Reference, display: str, version: str, path: Path | None = None
) -> Catalog:
    """Check and index a parsed catalog document (from a file, or built in memory)."""
    data, findings = schema_findings(_CatalogSchema(), document, display)
    if findings:
        raise DataFileError(findings)
    products: list[Product] = []
    lines: dict[str, int] = {}
    seen: dict[str, int] = {}
    schema = _ProductSchema()
    for i, item in enumerate(data["products"]):
        node = document["products"][i]
        line = line_of(document["products"], i)
        loaded, problems = schema_findings(schema, item, display)
        findings.extend(problems)
        if loaded is None:
            continue
        product = Product(currency=data["currency"], **_freeze(loaded))
        problems = _check_product(product, node, line, display, data["categories"], reference)
        if product.sku in seen:
            problems.append(
                Finding(
                    display,
                    line,
                    f"duplicate SKU {product.sku!r} (first at line {seen[product.sku]})",
                    code="duplicate_sku",
                )
            )
        seen.setdefault(product.sku, line)
        lines.setdefault(product.sku, line)
        findings.extend(problems)
        products.append(product)
    if findings:
        raise DataFileError(findings)
    return Catalog(products, data["categories"], reference, version, path, lines)


def _freeze(loaded: dict) -> dict:
    out = dict(loaded)
    for key in ("allergens", "tags", "claims"):
        out[key] = tuple(out[key])
    return out


def _check_product(
    product: Product,
    node: LineDict,
    line: int,
    file: str,
    categories: dict,
    reference: Reference,
) -> list[Finding]:
    """Meaning checks a schema cannot express: vocabulary, diet logic, claim conditions."""
    problems = []

    def add(key: str, message: str, code: str = "invalid_product") -> None:
        at = node.line_of(key) if isinstance(node, LineDict) else line
        problems.append(Finding(file, at, f"{product.sku}: {message}", code=code))

    if product.category not in categories:
        add("category", f"unknown category {product.category!r}", "unknown_category")
    for key in product.nutrients_per_serving:
        if key not in reference.nutrients.keys:
            add("nutrients_per_serving", f"unknown nutrient key {key!r}", "unknown_nutrient")
    if product.vegan and not product.vegetarian:
        add("vegan", "a vegan product must also be vegetarian", "diet")
    if product.vegan and set(product.allergens) & {"fish", "shellfish", "milk", "egg"}:
        add("allergens", "a vegan product cannot carry an animal allergen", "diet")
    for key, message in reference.ingredients.problems(product):  # review s36b F1
        add(key, message, "diet" if key != "allergens" else "allergens")
    if product.max_age is not None and product.max_age < product.min_age:
        add("max_age", "max_age is below min_age", "age")
    if not product.sellable and not (product.not_sellable_reason and product.not_sellable_source):
        add("sellable", "sellable: false needs not_sellable_reason and not_sellable_source")
    if product.sellable and (product.not_sellable_reason or product.not_sellable_source):
        add("not_sellable_reason", "not_sellable_reason/source belong to sellable: false")
    if set(product.name) != set(LOCALES):
        add("name", f"needs a name in each of {', '.join(LOCALES)}", "locale")
    per_day = product.nutrients_per_day
    for claim_id in product.claims:
        claim = reference.claims.get(claim_id)
        if claim is None:
            add("claims", f"unknown claim {claim_id!r}", "unknown_claim")
            continue
        amount = sum(per_day.get(n, 0.0) for n in claim.nutrients)
        if amount < claim.min_per_day:
            add(
                "claims",
                f"claim {claim_id!r} needs at least {claim.min_per_day:g} of "
                f"{'+'.join(claim.nutrients)} a day; the product gives {amount:g}",
                "claim_condition",
            )
        for flag, value in claim.requires:  # review 18 F5: folate_pregnancy on a men's product
            if getattr(product, flag) != value:
                add(
                    "claims",
                    f"claim {claim_id!r} requires {flag}: {str(value).lower()}; "
                    f"the product has {str(getattr(product, flag)).lower()}",
                    "claim_condition",
                )
    return problems
