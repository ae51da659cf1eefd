"""rules/placements.yaml: where the shop shows lists and how each is filled (issue 11).

Loaded with the other rule files into the snapshot (its bytes are part of the rules version, so
an edit refreshes the precomputed lists); every problem is a Finding with file and line, and
the snapshot is refused as a whole, like a bad rule file. A missing file means no placements:
the plain list serves as always and a request naming a placement gets a 422.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..errors import DataFileError, Finding
from ..numbers import localized
from ..reference import Reference, _display
from ..validation import Flag, Number, schema_findings
from ..validation import Localized as _Localized
from ..vocabulary import FORMS, LOCALES
from ..yamlfile import LineDict, line_of, load_yaml

FILE_NAME = "placements.yaml"
PLACEMENT_NAME = r"^[a-z][a-z0-9_]{0,39}$"
RULE_ID = r"^[a-z0-9][a-z0-9-]{0,79}$"
# Strategies that need something a stored customer's list does not have (a product on the
# page, a basket): a precomputed placement needs at least one strategy that does not.
NEEDS_REQUEST_CONTEXT = frozenset({"alternatives", "complements"})
# Strategies whose list depends on one customer's purchases: the precompute shares lists by
# profile digest (customers with the same profile get the same bytes), so a chain with one of
# these is never precomputed; it is computed on the request with the customer's purchases.
NEEDS_PURCHASES = frozenset({"buy_again", "refills"})
# Texts the placement strategies write, with the placeholders each is given.
TEXTS: dict[str, tuple[str, ...]] = {
    "alternative_vegan": ("source",),
    "alternative_vegan_plain": (),
    "alternative_vegetarian": (),
    "alternative_source": ("nutrient", "source", "other"),
    "alternative_source_named": ("nutrient", "other"),  # review s29a F7: a form's own name
    "alternative_form": ("form", "other"),
    "alternative_cheaper": ("amount",),
    "alternative_brand": ("brand",),
    "alternative_dose": ("amount", "unit", "nutrient", "other"),
    "alternative_without_allergens": ("allergens",),
    "alternative_without_nutrient": ("nutrient",),
    "alternative_adds": ("amount", "unit", "nutrient"),
    "adds_to_basket": ("nutrients",),
    "adds_beside_product": ("nutrients", "product"),  # session 18: not "your basket" alone
    "adds_beside_product_and_basket": ("nutrients", "product"),
    "notice_basket_covered": ("nutrients",),
    "notice_basket_covered_page": ("nutrients",),  # review 16 F3: with product_sku
    "notice_basket_short": ("amount", "unit", "nutrient", "advised"),  # review 16 F4
    "notice_basket_short_page": ("amount", "unit", "nutrient", "advised"),
    "notice_basket_short_ours": ("amount", "unit", "nutrient", "advised"),  # review 17 P2
    "notice_basket_short_ours_page": ("amount", "unit", "nutrient", "advised"),
    # review s33c 3: the DGE's 20 µg is for food and supplements together, no "advised" dose
    "notice_basket_short_dge_total": ("amount", "unit", "nutrient", "advised"),
    "notice_basket_short_dge_total_page": ("amount", "unit", "nutrient", "advised"),
    "page_product": (),  # session 18: {product} on the product page
    "notice_page_product_not_indicated": ("product", "nutrients"),  # session 18 F4
    "notice_page_product_second_source": ("product", "nutrients"),  # session 19 (children.py)
    "notice_page_product_not_suited": ("product",),
    "notice_page_product_not_suited_alternatives": ("product",),
    "notice_page_product_not_suited_why": ("product", "reasons"),  # review s8 Q7
    "notice_page_product_not_suited_alternatives_why": ("product", "reasons"),
    # session 12: a chain with neither alternatives nor complements (home, account, email)
    "notice_page_product_not_suited_list": ("product",),  # no page: its name (session 18)
    "notice_page_product_not_suited_list_why": ("product", "reasons"),
    "notice_no_alternatives": (),
    "notice_page_product_covers": ("product", "nutrients"),  # review 10 U1
    "notice_no_items_page_covers": ("product", "nutrients"),
    # the page product suits, nothing else is offered for the profile (review 11)
    "notice_no_items_page": (),
    # review 12 F20: cart or checkout, what the plain list would offer all overlaps the basket
    "notice_no_items_basket": (),
    "notice_no_items_basket_only": (),  # session 30: nothing taken, only the basket
    "notice_no_items_basket_page": (),
    "notice_no_items_basket_page_only": (),  # session 30: nothing taken, only the basket
    "notice_no_items_empty_basket": (),  # session 14: a checkout without a basket
    "notice_no_alternatives_profile": (),
    "notice_no_alternatives_not_suited": (),
    "notice_no_alternatives_basket": (),  # review 16 F11
    "notice_no_alternatives_basket_only": (),  # session 30: nothing taken, only the basket
    "notice_short_list_alternatives": (),  # review 17 S1: not "products that meet a need"
    "notice_short_list_page": (),
    "notice_covered_continued": (),
    "notice_warning_continued": (),
    "notice_warning_continued_one": (),
    "notice_refill_held_back": ("product", "date", "products", "nutrient"),
    "notice_refill_held_back_midwife": ("product", "date", "products", "nutrient"),
    **{f"form_{form}": () for form in FORMS},
}


class _Cap(fields.Integer):
    def __init__(self) -> None:
        super().__init__(
            strict=True, allow_none=True, load_default=None, validate=validate.Range(1, 50)
        )


class _DiversitySchema(Schema):
    class Meta:
        unknown = RAISE

    max_per_category = _Cap()
    max_per_brand = _Cap()


class _RulesField(fields.Field):
    """`all`, `none` or a list of rule ids."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if value in ("all", "none"):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            bad = [v for v in value if not validate.Regexp(RULE_ID).regex.match(v)]  # type: ignore[union-attr]
            if bad:
                raise ValidationError(f"not rule ids: {bad}")
            return tuple(value)
        raise ValidationError("give all, none or a list of rule ids")


class _PlacementSchema(Schema):
    class Meta:
        unknown = RAISE

    description = fields.String(load_default="")
    strategies = fields.List(
        fields.String(validate=validate.Length(min=1)),
        required=True,
        validate=validate.Length(min=1, max=8),
    )
    length = fields.Integer(strict=True, required=True, validate=validate.Range(1, 50))
    diversity = fields.Nested(_DiversitySchema, load_default=dict)
    rules = _RulesField(load_default="all")
    precomputed = Flag(load_default=False)
    basket_overlap = fields.String(
        load_default="allow", validate=validate.OneOf(("exclude", "allow"))
    )

    @validates_schema
    def _unique(self, data: dict, **_: Any) -> None:
        names = data.get("strategies") or []
        if len(set(names)) != len(names):
            raise ValidationError("a strategy appears twice in the chain", "strategies")


class _NutrientRatioSchema(Schema):
    class Meta:
        unknown = RAISE

    ratio = Number(required=True, validate=validate.Range(min=1))
    source = fields.String(required=True, validate=validate.Length(min=1))


class _AlternativesSchema(Schema):
    class Meta:
        unknown = RAISE

    max_dose_ratio = Number(required=True, validate=validate.Range(min=1))
    # per nutrient key, a window other than max_dose_ratio (checked against nutrients.yaml)
    nutrient_dose_ratios = fields.Dict(
        keys=fields.String(), values=fields.Nested(_NutrientRatioSchema), load_default=dict
    )
    min_price_difference = Number(required=True, validate=validate.Range(min=0))
    source = fields.String(required=True)


class _ComplementsSchema(Schema):
    class Meta:
        unknown = RAISE

    copurchase_weight = Number(required=True, validate=validate.Range(0, 1))
    source = fields.String(required=True)


class _FileSchema(Schema):
    class Meta:
        unknown = RAISE

    source = fields.String(required=True)
    placements = fields.Dict(
        keys=fields.String(validate=validate.Regexp(PLACEMENT_NAME)),
        values=fields.Raw(),
        required=True,
    )
    alternatives = fields.Raw(load_default=None)
    complements = fields.Raw(load_default=None)
    texts = fields.Dict(keys=fields.String(), values=_Localized(), load_default=dict)


@dataclass(frozen=True)
class Placement:
    name: str
    description: str
    strategies: tuple[str, ...]
    length: int
    max_per_category: int | None
    max_per_brand: int | None
    rules: str | tuple[str, ...]  # "all", "none" or rule ids
    precomputed: bool
    basket_overlap: str  # "exclude" or "allow"
    line: int = 1

    @property
    def allowed_rule_ids(self) -> frozenset[str] | None:
        """None: every rule (that does not name other placements)."""
        if self.rules == "all":
            return None
        if self.rules == "none":
            return frozenset()
        return frozenset(self.rules)


@dataclass(frozen=True)
class PlacementConfig:
    placements: dict[str, Placement] = field(default_factory=dict)
    max_dose_ratio: float = 2.5
    # nutrient key -> its own window (alternatives.nutrient_dose_ratios); others max_dose_ratio
    nutrient_dose_ratios: dict[str, float] = field(default_factory=dict)
    min_price_difference: float = 0.25
    copurchase_weight: float = 0.15
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    file: str = FILE_NAME

    @property
    def names(self) -> list[str]:
        return sorted(self.placements)

    @property
    def precomputed(self) -> list[Placement]:
        return [p for _, p in sorted(self.placements.items()) if p.precomputed]

    def get(self, name: str) -> Placement | None:
        return self.placements.get(name)

    def text(self, key: str, locale: str, **values: Any) -> str:
        return self.texts[key][locale].format(**localized(values, locale))

    def page_text(self, key: str, locale: str, page: bool, name: str | None, **values: Any) -> str:
        """A text about the product asked about (`{product}`): "the product on this page" on
        the product page (`page`), else its `name` (the home, account, e-mail or cart lists;
        session 18), the sentence's first letter capitalised."""
        product = self.text("page_product", locale) if page or name is None else name
        text = self.text(key, locale, product=product, **values)
        return text[:1].upper() + text[1:]

    def has_text(self, key: str) -> bool:
        return key in self.texts

    def dose_ratio(self, nutrient: str) -> float:
        """The comparable-dose window of an alternative for this nutrient key."""
        return self.nutrient_dose_ratios.get(nutrient, self.max_dose_ratio)


def placements_path(rules_dir: Path) -> Path:
    return rules_dir / FILE_NAME


def load_placements(
    path: Path,
    reference: Reference,
    rule_ids: Iterable[str],
    strategies: Iterable[str],
) -> PlacementConfig:
    """Load and check the file (DataFileError with every finding); no file: no placements."""
    if not path.exists():
        return PlacementConfig(file=_display(path))
    display = _display(path)
    document = load_yaml(path, display)
    data, findings = schema_findings(_FileSchema(), document, display)
    if data is None:
        raise DataFileError(findings)
    known_rules = set(rule_ids)
    known_strategies = sorted(strategies)
    placements: dict[str, Placement] = {}
    node = document.get("placements") if isinstance(document, LineDict) else None
    for name, raw in data["placements"].items():
        line = line_of(node, name)
        item, problems = schema_findings(_PlacementSchema(), raw, display)
        findings.extend(_named(problems, name))
        if item is None:
            continue
        here = raw if isinstance(raw, LineDict) else None
        for strategy in item["strategies"]:
            if strategy not in known_strategies:
                close = difflib.get_close_matches(strategy, known_strategies, n=1)
                findings.append(
                    Finding(
                        display,
                        line_of(here, "strategies") if here else line,
                        f"placement {name}: unknown strategy {strategy!r}",
                        code="unknown_strategy",
                        hint=f"did you mean {close[0]!r}?"
                        if close
                        else f"one of {', '.join(known_strategies)}",
                    )
                )
        if isinstance(item["rules"], tuple):
            for rule_id in item["rules"]:
                if rule_id not in known_rules:
                    close = difflib.get_close_matches(rule_id, sorted(known_rules), n=1)
                    findings.append(
                        Finding(
                            display,
                            line_of(here, "rules") if here else line,
                            f"placement {name}: unknown rule id {rule_id!r}",
                            code="unknown_rule",
                            hint=f"did you mean {close[0]!r}?" if close else None,
                        )
                    )
        if item["precomputed"] and set(item["strategies"]) <= NEEDS_REQUEST_CONTEXT:
            findings.append(
                Finding(
                    display,
                    line_of(here, "precomputed") if here else line,
                    f"placement {name}: precomputed, but every strategy of its chain needs a "
                    "product or a basket that a stored customer's list does not have",
                    code="precomputed_without_list",
                    hint="add `profile` to the chain, or set precomputed: false",
                )
            )
        needs_purchases = sorted(NEEDS_PURCHASES & set(item["strategies"]))
        if item["precomputed"] and needs_purchases:
            findings.append(
                Finding(
                    display,
                    line_of(here, "precomputed") if here else line,
                    f"placement {name}: precomputed, but {', '.join(needs_purchases)} depends "
                    "on one customer's purchases and precomputed lists are shared by profile",
                    code="precomputed_per_customer",
                    hint="set precomputed: false (it is then computed on the request, with the "
                    "customer's purchases)",
                )
            )
        diversity = item["diversity"] or {}
        placements[name] = Placement(
            name=name,
            description=item["description"],
            strategies=tuple(item["strategies"]),
            length=item["length"],
            max_per_category=diversity.get("max_per_category"),
            max_per_brand=diversity.get("max_per_brand"),
            rules=item["rules"],
            precomputed=item["precomputed"],
            basket_overlap=item["basket_overlap"],
            line=line,
        )
    alternatives, problems = _section(
        _AlternativesSchema(), data, document, "alternatives", display
    )
    findings.extend(problems)
    findings.extend(_check_ratio_keys(alternatives, document, display, reference))
    complements, problems = _section(_ComplementsSchema(), data, document, "complements", display)
    findings.extend(problems)
    findings.extend(_check_texts(data["texts"], document, display, reference))
    if findings:
        raise DataFileError(findings)
    return PlacementConfig(
        placements=placements,
        max_dose_ratio=float(alternatives.get("max_dose_ratio", 2.5)),
        nutrient_dose_ratios={
            str(k): float(v["ratio"])
            for k, v in (alternatives.get("nutrient_dose_ratios") or {}).items()
        },
        min_price_difference=float(alternatives.get("min_price_difference", 0.25)),
        copurchase_weight=float(complements.get("copurchase_weight", 0.15)),
        texts={k: dict(v) for k, v in data["texts"].items()},
        file=display,
    )


def _named(findings: list[Finding], name: str) -> list[Finding]:
    return [
        Finding(f.file, f.line, f"placement {name}: {f.message}", f.column, f.code)
        for f in findings
    ]


def _section(
    schema: Schema, data: dict, document: Any, key: str, file: str
) -> tuple[dict, list[Finding]]:
    raw = data.get(key)
    if raw is None:
        return {}, [Finding(file, 1, f"needs `{key}:` (see the shipped file)", code="schema")]
    loaded, problems = schema_findings(schema, raw, file)
    located = [Finding(p.file, p.line, f"{key}.{p.message}", p.column, p.code) for p in problems]
    return loaded or {}, located


def _check_ratio_keys(
    alternatives: dict, document: Any, file: str, reference: Reference
) -> list[Finding]:
    """A nutrient_dose_ratios key that is no nutrient key would silently do nothing."""
    keys = reference.nutrients.keys
    node = document.get("alternatives") if isinstance(document, LineDict) else None
    findings = []
    for key in alternatives.get("nutrient_dose_ratios") or {}:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            findings.append(
                Finding(
                    file,
                    line_of(node, "nutrient_dose_ratios"),
                    f"alternatives.nutrient_dose_ratios: unknown nutrient {key!r}",
                    code="schema",
                    hint=f"did you mean {close[0]!r}?" if close else "a key of nutrients.yaml",
                )
            )
    return findings


def _check_texts(
    texts: dict[str, dict[str, str]], document: Any, file: str, reference: Reference
) -> list[Finding]:
    findings = []
    node = document.get("texts") if isinstance(document, LineDict) else None
    for key, placeholders in TEXTS.items():
        entry = texts.get(key)
        if entry is None:
            findings.append(
                Finding(file, line_of(document, "texts"), f"text {key!r} is missing", code="text")
            )
            continue
        missing = [loc for loc in LOCALES if loc not in entry]
        if missing:
            findings.append(
                Finding(file, line_of(node, key), f"{key}: no text in {missing}", code="text")
            )
        for locale, text in entry.items():
            try:
                text.format(**{name: "x" for name in placeholders})
            except (KeyError, IndexError, ValueError) as exc:
                findings.append(
                    Finding(
                        file,
                        line_of(node, key),
                        f"{key} ({locale}): placeholder {exc} is not one of {list(placeholders)}",
                        code="text",
                    )
                )
    for key, entry in texts.items():
        if not (key in TEXTS or key.startswith("source_")):
            findings.append(
                Finding(
                    file,
                    line_of(node, key),
                    f"unknown text {key!r}",
                    code="text",
                    hint="texts are " + ", ".join(sorted(TEXTS)) + " and source_<source>",
                )
            )
        for locale, text in entry.items():
            pattern = reference.forbidden_match(text)
            if pattern:
                findings.append(
                    Finding(
                        file,
                        line_of(node, key),
                        f"{key} ({locale}) makes a disease claim (matches {pattern!r})",
                        code="forbidden_claim",
                    )
                )
    return findings


def check_rule_placements(rules: Iterable[Any], config: PlacementConfig) -> list[Finding]:
    """A rule naming a placement the file does not define (a typo would switch it off)."""
    findings = []
    for rule in rules:
        for name in getattr(rule, "placements", ()):
            if name not in config.placements:
                close = difflib.get_close_matches(name, config.names, n=1)
                findings.append(
                    Finding(
                        rule.file,
                        rule.line,
                        f"unknown placement {name!r}",
                        code="unknown_placement",
                        rule_id=rule.id,
                        hint=f"did you mean {close[0]!r}?"
                        if close
                        else f"placements: {', '.join(config.names)}",
                    )
                )
    return findings
