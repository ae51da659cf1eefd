"""The law of each market (guarantee 8): maximum amounts per daily dose of one food supplement,
and the forms of vitamins and minerals the EU authorises for food supplements.

Data: `rules/reference/product_maxima.yaml` (binding maxima, e.g. NL law, and advisory ones,
e.g. BfR for DE, which a shop switches on with `apply_in_markets`) and
`rules/reference/authorised_forms.yaml` (Directive 2002/46/EC Annex II, per catalog source code).
This module reads and checks them, and turns them into masks over the catalog.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .amounts import above
from .errors import Finding
from .limit_everyone import above_every_limit, limits_passed
from .numbers import localized
from .numbers import variant as text_variant
from .validation import Flag, Number, Text
from .vocabulary import LOCALES

if TYPE_CHECKING:
    from .catalog import Catalog
    from .reference import Reference


# Catalog findings about products kept off a market on purpose: reported by lint and check,
# but `rules lint --strict` does not fail on them (an unauthorised form still sellable does).
# So is a product whose dose alone is above every upper limit of the ages it is sold for.
INFORMATIONAL_CATALOG_CODES = frozenset(
    {"above-market-maximum", "not-sellable", "above-upper-limit"}
)

# The form of a nutrient a catalog product does not give (no `vitamin_sources` entry): unknown,
# so not authorised (review s31b H4)
MISSING_FORM = ""

UPPER_LIMIT_WORDS = "daily dose alone is above every upper limit of the ages it is sold for"

# The intake check's texts (product_maxima.yaml `texts`) and their placeholders.
LAW_TEXTS = {
    "market_maximum": ("details", "market"),
    "product_maximum": ("details", "market"),
    "not_sellable": ("reason",),
    "life_stage_maximum": ("details",),
}
# her own life stage's words (review s39d F3; `own_stage`: the goal pregnancy is `planning`)
for _stage in ("pregnant", "breastfeeding", "planning"):
    LAW_TEXTS[f"life_stage_maximum.{_stage}"] = LAW_TEXTS["life_stage_maximum"]


def _fail(message: str) -> bool:
    raise ValidationError(message)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _Maximum(_Strict):
    amount = Number(required=True, validate=validate.Range(min=0))
    source = fields.String(required=True, validate=validate.Length(min=1))


class _Market(_Strict):
    binding = Flag(required=True)
    source = fields.String(required=True)
    maxima = fields.Dict(keys=fields.String(), values=fields.Nested(_Maximum), required=True)


class ProductMaximaFile(_Strict):
    source = fields.String(required=True)
    # guarantee 10 (pregnancy cap): maxima per daily dose of one product for a life stage
    life_stages = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["pregnant", "breastfeeding"])),
        values=fields.Dict(keys=fields.String(), values=fields.Nested(_Maximum)),
        load_default=dict,
    )
    # review s31a F4: a doctor's dose above this a day, of a nutrient with no upper limit, is
    # a medicine's (advice_extras.capped_doctor_doses, kind "medicine")
    medicine_above = fields.Dict(
        keys=fields.String(), values=fields.Nested(_Maximum), load_default=dict
    )
    texts = fields.Dict(
        keys=fields.String(validate=validate.OneOf(sorted(LAW_TEXTS))),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(LOCALES)),
            values=Text(),
            validate=validate.Length(equal=len(LOCALES)),
        ),
        required=True,
        validate=lambda d: set(d) == set(LAW_TEXTS) or _fail(f"needs {sorted(LAW_TEXTS)}"),
    )

    @validates_schema
    def _placeholders(self, data: dict, **_: object) -> None:
        for key, texts in data.get("texts", {}).items():
            for locale, text in texts.items():
                try:
                    text.format(**dict.fromkeys(LAW_TEXTS.get(key, ()), "x"))
                except (KeyError, IndexError, ValueError) as exc:
                    raise ValidationError(
                        f"text {key} ({locale}): placeholder {exc} is not one of "
                        f"{list(LAW_TEXTS.get(key, ()))}",
                        "texts",
                    ) from None

    apply_in_markets = fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")), load_default=list
    )
    markets = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")),
        values=fields.Nested(_Market),
        required=True,
    )


class _Form(_Strict):
    authorised = Flag(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1))
    # what an item's reason calls a nutrient given in this form, where the nutrient's own
    # name would be untrue: L-methylfolate is folate, not folic acid (review s8 R7)
    name = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LOCALES)),
        values=Text(),
        validate=validate.Length(equal=len(LOCALES)),
        load_default=None,
    )


class AuthorisedFormsFile(_Strict):
    source = fields.String(required=True)
    forms = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Nested(_Form)),
        required=True,
    )


@dataclass(frozen=True)
class MarketMaxima:
    """Per market: nutrient -> maximum per daily dose, and whether the market's law binds."""

    binding: dict[str, dict[str, float]]  # market -> nutrient -> amount (always applied)
    advisory: dict[str, dict[str, float]]  # market -> nutrient -> amount (when switched on)
    advisory_markets: tuple[str, ...]  # the markets whose advisory maxima a shop switched on
    sources: dict[tuple[str, str], str] = field(default_factory=dict)  # (market, nutrient)
    life_stages: dict[str, dict[str, float]] = field(default_factory=dict)  # pregnant -> ...
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    medicine_above: dict[str, float] = field(default_factory=dict)  # nutrient -> amount a day

    def text(self, key: str, locale: str, **values: str) -> str:
        return self.texts[key][locale].format(**localized(values, locale))

    def variant(self, key: str, variant: str) -> str:
        """`<key>.<variant>` where the texts give it, else `key`."""
        return text_variant(self.texts, key, variant)

    def applied(self, market: str) -> dict[str, float]:
        """The maxima that hold in `market`: binding ones, plus advisory ones switched on."""
        out = dict(self.advisory.get(market, {})) if market in self.advisory_markets else {}
        for nutrient, amount in self.binding.get(market, {}).items():
            out[nutrient] = min(amount, out.get(nutrient, amount))
        return out


@dataclass(frozen=True)
class AuthorisedForms:
    """Per vitamin-source key of the catalog (e.g. vitamin_k2): source code -> authorised?"""

    forms: dict[str, dict[str, bool]]
    sources: dict[tuple[str, str], str]
    names: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # locale -> name

    def name(self, vitamin_sources: dict[str, str], nutrient: str, locale: str) -> str | None:
        """The name an item's reason gives `nutrient` (a nutrients.yaml key) in the form the
        product has it (`vitamin_sources`), where authorised_forms.yaml gives one."""
        vitamin = nutrient.rsplit("_", 1)[0]
        found = self.names.get((vitamin, vitamin_sources.get(vitamin, "")))
        return found[locale] if found else None

    def unauthorised(
        self, vitamin_sources: dict[str, str], nutrients: Iterable[str] = ()
    ) -> list[tuple[str, str]]:
        """(vitamin, form) pairs of a product that are not authorised, or not listed at all
        (unknown is treated as not authorised: the safe reading). A nutrient of `nutrients`
        (nutrients.yaml keys) whose forms this file lists but whose form the product does not
        give is unknown too: (vitamin, MISSING_FORM) (review s31b H4)."""
        given = dict(vitamin_sources)
        for nutrient in nutrients:
            vitamin = nutrient.rsplit("_", 1)[0]
            if vitamin in self.forms and vitamin not in given:
                given[vitamin] = MISSING_FORM
        return [
            (vitamin, form)
            for vitamin, form in sorted(given.items())
            if not self.forms.get(vitamin, {}).get(form, False)
        ]


def market_maxima(data: dict) -> MarketMaxima:
    binding: dict[str, dict[str, float]] = {}
    advisory: dict[str, dict[str, float]] = {}
    sources: dict[tuple[str, str], str] = {}
    for market, entry in data["markets"].items():
        table = binding if entry["binding"] else advisory
        table[market] = {n: float(m["amount"]) for n, m in entry["maxima"].items()}
        for nutrient, maximum in entry["maxima"].items():
            sources[(market, nutrient)] = maximum["source"]
    life_stages = {
        stage: {n: float(m["amount"]) for n, m in maxima.items()}
        for stage, maxima in data["life_stages"].items()
    }
    for stage, maxima in data["life_stages"].items():
        for nutrient, maximum in maxima.items():
            sources[(stage, nutrient)] = maximum["source"]
    medicine = {n: float(m["amount"]) for n, m in data["medicine_above"].items()}
    for nutrient, maximum in data["medicine_above"].items():
        sources[("medicine", nutrient)] = maximum["source"]
    return MarketMaxima(
        binding,
        advisory,
        tuple(data["apply_in_markets"]),
        sources,
        life_stages,
        data["texts"],
        medicine,
    )


def authorised_forms(data: dict) -> AuthorisedForms:
    return AuthorisedForms(
        forms={
            v: {f: e["authorised"] for f, e in forms.items()} for v, forms in data["forms"].items()
        },
        sources={
            (v, f): e["source"] for v, forms in data["forms"].items() for f, e in forms.items()
        },
        names={
            (v, f): e["name"]
            for v, forms in data["forms"].items()
            for f, e in forms.items()
            if e.get("name")
        },
    )


def nutrient_keys_named(data: dict) -> dict[str, list[str]]:
    """Nutrient keys per market, for the reference loader's vocabulary check."""
    return {market: list(entry["maxima"]) for market, entry in data["markets"].items()}


def life_stage_keys_named(data: dict) -> dict[str, list[str]]:
    return {stage: list(maxima) for stage, maxima in data["life_stages"].items()}


# ---------------------------------------------------------------- masks over the catalog
def above_maxima(catalog: Catalog, maxima: dict[str, float]) -> np.ndarray:
    """Products whose labelled daily dose gives more than a maximum of `maxima`. Once per
    catalog and maxima (every profile of a market asks again), read-only: shared."""
    known = _ABOVE.setdefault(catalog, {})
    key = tuple(maxima.items())
    mask = known.get(key)
    if mask is None:
        mask = np.zeros(len(catalog), dtype=bool)
        for nutrient, maximum in maxima.items():
            column = catalog.nutrient_keys.index(nutrient)
            mask |= above(catalog.nutrients_per_day[:, column], maximum)
        mask.flags.writeable = False
        known[key] = mask
    return mask


_ABOVE: weakref.WeakKeyDictionary[Catalog, dict[tuple, np.ndarray]] = weakref.WeakKeyDictionary()


def market_masks(catalog: Catalog, law: MarketMaxima, market: str) -> dict[str, np.ndarray]:
    """Guarantee 8 per profile market: `market_maximum` (binding law) and `product_maximum`
    (advisory maxima the shop switched on for the market)."""
    out = {}
    binding = law.binding.get(market)
    if binding:
        out["market_maximum"] = above_maxima(catalog, binding)
    if market in law.advisory_markets and law.advisory.get(market):
        out["product_maximum"] = above_maxima(catalog, law.advisory[market])
    return out


def over_maxima(product_per_day: dict[str, float], maxima: dict[str, float]) -> list[str]:
    """The nutrients of one product's daily dose above `maxima`."""
    return sorted(n for n, maximum in maxima.items() if above(product_per_day.get(n, 0.0), maximum))


# ---------------------------------------------------------------- catalog checks (lint, check)
def catalog_findings(catalog: Catalog, reference: Reference, file: str) -> list[Finding]:
    """Warnings that name each catalog product a market's binding law keeps off that market,
    each product not sellable anywhere (unauthorised form, or marked so in the catalog), and
    each whose daily dose alone is above every upper limit of the ages it is sold for."""
    law = reference.market_maxima
    over_every_limit = above_every_limit(catalog, reference)
    findings = []
    for index, product in enumerate(catalog.products):
        line = catalog.lines.get(product.sku, 1)
        per_day = product.nutrients_per_day
        for market in sorted(law.binding):
            over = over_maxima(per_day, law.binding[market])
            for nutrient in over:
                findings.append(
                    Finding(
                        file,
                        line,
                        f"{product.sku}: {nutrient} {per_day[nutrient]:g} per daily dose is above "
                        f"the binding maximum of {law.binding[market][nutrient]:g} in {market} "
                        f"({law.sources.get((market, nutrient), '')}); never offered in "
                        f"{market}",
                        code="above-market-maximum",
                        severity="warning",
                        hint=f"keep it for other markets, or lower the dose for {market}",
                    )
                )
        for vitamin, form in (
            catalog.unauthorised_forms.get(product.sku, ()) if product.sellable else ()
        ):
            missing = form == MISSING_FORM
            findings.append(
                Finding(
                    file,
                    line,
                    f"{product.sku}: "
                    + (
                        f"no form of {vitamin} (vitamin_sources): an unknown form is not "
                        if missing
                        else f"{vitamin} as {form!r} is not "
                    )
                    + "an authorised form for food supplements "
                    "(rules/reference/authorised_forms.yaml); never offered",
                    code="unauthorised-form",
                    severity="warning",
                    hint=(
                        f"give its form (`vitamin_sources: {{{vitamin}: ...}}`, a form of "
                        "authorised_forms.yaml), or mark it `sellable: false`"
                        if missing
                        else "mark it `sellable: false` with `not_sellable_reason` and "
                        "`not_sellable_source`, or remove it"
                    ),
                )
            )
        for stage, flag in (
            ("pregnant", product.pregnancy_suitable),
            ("breastfeeding", product.breastfeeding_suitable),
        ):
            over = over_maxima(per_day, law.life_stages.get(stage, {}))
            if flag and over:
                findings.append(
                    Finding(
                        file,
                        line,
                        f"{product.sku}: marked suitable when {stage} but gives "
                        + ", ".join(
                            f"{n} {per_day[n]:g} (at most {law.life_stages[stage][n]:g})"
                            for n in over
                        )
                        + "; never offered then",
                        code="life-stage-flag",
                        severity="warning",
                        hint=f"set {'pregnancy' if stage == 'pregnant' else stage}_suitable: false",
                    )
                )
        if not product.sellable:
            findings.append(
                Finding(
                    file,
                    line,
                    f"{product.sku}: not sellable ({product.not_sellable_reason}); never offered",
                    code="not-sellable",
                    severity="warning",
                )
            )
        elif over_every_limit[index]:  # review s31b H5: 500 µg vitamin D a day
            findings.append(
                Finding(
                    file,
                    line,
                    f"{product.sku}: {UPPER_LIMIT_WORDS}: "
                    f"{limits_passed(catalog, reference, index)} "
                    "(rules/reference/upper_limits.yaml); never offered",
                    code="above-upper-limit",
                    severity="warning",
                    hint="lower the dose (check the label), or narrow min_age/max_age to ages "
                    "whose limit it stays within",
                )
            )
    return findings


def describe(catalog: Catalog, law: MarketMaxima, market: str, index: int, code: str) -> str:
    """Why a product is kept off a market, for explain, preview and the product page."""
    product = catalog.products[index]
    if code == "not_sellable":
        if not product.sellable and product.not_sellable_reason:
            return product.not_sellable_reason  # the catalog's note names the form in words
        forms = catalog.unauthorised_forms.get(product.sku, ())
        parts = [
            f"no form of {v} given (an unknown form is not authorised)"
            if f == MISSING_FORM
            else f"{v} as {f} is not an authorised form"
            for v, f in forms
        ]
        if not product.sellable:
            parts.append("marked not sellable")
        return "; ".join(parts)
    maxima = law.binding.get(market, {}) if code == "market_maximum" else law.applied(market)
    over = over_maxima(product.nutrients_per_day, maxima)
    kind = "binding" if code == "market_maximum" else "advisory"
    return ", ".join(
        f"{n} {product.nutrients_per_day[n]:g} per daily dose is above the {kind} maximum of "
        f"{maxima[n]:g} in {market}"
        for n in over
    )


def market_status(
    catalog: Catalog, reference: Reference, markets: tuple[str, ...], index: int
) -> dict[str, dict[str, object]]:
    """Per market: may product `index` be sold (offered) there, and if not, why (R15j, the
    product GET): not sellable anywhere (an unauthorised form, or marked so in the catalog),
    above the market's binding maximum, or above an advisory maximum the shop switched on
    for the market. The same masks and texts the recommender and explain use. And
    `upper_limit` (review s31b H5): its daily dose alone is above an upper limit itself at
    every age it is sold for, so no list offers it to anyone (the check of the alternatives
    GET, without food: a profile may declare less food than the market's allowance)."""
    law = reference.market_maxima
    out: dict[str, dict[str, object]] = {}
    for market in markets:
        codes = ["not_sellable"] if catalog.not_sellable[index] else []
        codes += [c for c, mask in market_masks(catalog, law, market).items() if mask[index]]
        reasons = [{"code": c, "text": describe(catalog, law, market, index, c)} for c in codes]
        if above_every_limit(catalog, reference)[index]:
            text = f"{UPPER_LIMIT_WORDS}: {limits_passed(catalog, reference, index)}"
            reasons.append({"code": "upper_limit", "text": text})
        out[market] = {"sellable": not reasons, "reasons": reasons}
    return out
