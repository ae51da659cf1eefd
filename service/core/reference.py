"""Reference data (rules/reference/): nutrients, upper limits, targets, interactions, claims.

Every dose, limit, interaction and claim text is data with a `source` note; this module only reads,
checks and indexes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from .context import compiled_probes
from .errors import DataFileError, Finding
from .expressions import Expression, ExpressionError, check_condition, compile_expression
from .food import FoodIntake, FoodIntakeFile, food_intake, unknown_bands
from .food import nutrient_keys_named as food_nutrient_keys
from .market import (
    AuthorisedForms,
    AuthorisedFormsFile,
    MarketMaxima,
    ProductMaximaFile,
    authorised_forms,
    life_stage_keys_named,
    market_maxima,
    nutrient_keys_named,
)
from .validation import schema_findings
from .vocabulary import ALLERGENS, CONDITIONS, DIETS, GOALS, LOCALES, MEDICATIONS
from .yamlfile import LineDict, line_of, load_yaml

# The texts the core writes itself (texts.yaml) and the placeholders each one is given.
SERVICE_TEXTS: dict[str, tuple[str, ...]] = {
    "reason_fills_gap": ("nutrient", "target", "unit"),
    "warning_near_upper_limit": ("nutrient", "amount", "upper_limit", "unit"),
    "notice_above_upper_limit": ("nutrient", "amount", "upper_limit", "unit"),
    "notice_no_items": (),
    "notice_upper_limits_unverified": (),
    "warning_diet": ("diet",),
    "warning_allergy": ("allergens",),
    "warning_age": ("age",),
    "warning_life_stage": (),
    "warning_above_upper_limit": ("nutrient", "amount", "upper_limit", "unit"),
    # the words filled into warning_allergy and warning_diet (never a profile code as it is)
    **{f"allergen_{code}": () for code in ALLERGENS},
    **{f"diet_{code}": () for code in DIETS},
}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _localized() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(LOCALES)),
        values=fields.String(validate=validate.Length(min=1)),
        required=True,
        validate=lambda d: set(d) == set(LOCALES) or _fail(f"needs exactly {', '.join(LOCALES)}"),
    )


def _fail(message: str) -> bool:
    from marshmallow import ValidationError

    raise ValidationError(message)


# ---------------------------------------------------------------- schemas of the files
class _NutrientEntry(_Strict):
    unit = fields.String(required=True)
    name = _localized()


class _Conversion(_Strict):
    to = fields.String(required=True)
    factor = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    source = fields.String(required=True)


class _NutrientsFile(_Strict):
    source = fields.String(required=True)
    nutrients = fields.Dict(
        keys=fields.String(), values=fields.Nested(_NutrientEntry), required=True
    )
    conversions = fields.Dict(keys=fields.String(), values=fields.Nested(_Conversion))


class _Band(_Strict):
    id = fields.String(required=True)
    min_age = fields.Integer(required=True, validate=validate.Range(0, 120))
    max_age = fields.Integer(required=True, validate=validate.Range(0, 120))


class _Limit(_Strict):
    values = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    unverified = fields.List(fields.String(), load_default=list)
    source = fields.String(required=True)


class _Jurisdiction(_Strict):
    source = fields.String(required=True)
    bands = fields.List(fields.Nested(_Band), required=True)
    limits = fields.Dict(keys=fields.String(), values=fields.Nested(_Limit), required=True)


class _UpperLimitsFile(_Strict):
    source = fields.String(required=True)
    default_jurisdiction = fields.String(required=True)
    jurisdictions = fields.Dict(
        keys=fields.String(), values=fields.Nested(_Jurisdiction), required=True
    )


class _Target(_Strict):
    id = fields.String(required=True)
    when = fields.String(required=True)
    nutrient = fields.String(required=True)
    amount = fields.Raw(required=True)
    authority = fields.String(load_default=None)  # read and checked by advice.py
    source = fields.String(required=True)


class _TargetsFile(_Strict):
    source = fields.String(required=True)
    targets = fields.List(fields.Nested(_Target), required=True)
    # read and checked by advice.py (service/core/advice.py)
    authorities = fields.Raw(load_default=None)
    reference_intakes = fields.Raw(load_default=None)


class _Trigger(_Strict):
    medications = fields.List(fields.String(validate=validate.OneOf(MEDICATIONS)))
    conditions = fields.List(fields.String(validate=validate.OneOf(CONDITIONS)))
    together = fields.List(fields.List(fields.String()), validate=validate.Length(equal=2))


class _Interaction(_Strict):
    id = fields.String(required=True)
    trigger = fields.Nested(_Trigger, required=True)
    # `exclude` is a Schema attribute, so the field has another Python name
    excludes = fields.Dict(
        keys=fields.String(), values=fields.Float(), load_default=dict, data_key="exclude"
    )
    warn = fields.Dict(keys=fields.String(), values=fields.Float(), load_default=dict)
    notice = fields.Boolean(load_default=False)
    text = _localized()
    source = fields.String(required=True)


class _InteractionsFile(_Strict):
    source = fields.String(required=True)
    interactions = fields.List(fields.Nested(_Interaction), required=True)


class _Nrv(_Strict):
    value = fields.Float(required=True)
    source = fields.String(required=True)


class _Claim(_Strict):
    nutrients = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    min_per_day = fields.Float(required=True)
    goals = fields.List(fields.String(validate=validate.OneOf(GOALS)), load_default=list)
    text = _localized()
    wording_checked = fields.Dict(keys=fields.String(), values=fields.Boolean(), load_default=dict)
    requires = fields.Raw(load_default=None)  # product conditions, read and checked by advice.py
    source = fields.String(required=True)


class _ClaimsFile(_Strict):
    source = fields.String(required=True)
    nrv = fields.Dict(keys=fields.String(), values=fields.Nested(_Nrv), load_default=dict)
    claims = fields.Dict(keys=fields.String(), values=fields.Nested(_Claim), required=True)
    forbidden = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LOCALES)),
        values=fields.List(fields.String()),
        required=True,
    )


class _TextsFile(_Strict):
    source = fields.String(required=True)
    texts = fields.Dict(keys=fields.String(), values=_localized(), required=True)


class _ScoringFile(Schema):
    class Meta:
        unknown = EXCLUDE

    source = fields.String(required=True)
    weights = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    squash = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    warn_at_upper_limit_fraction = fields.Float(load_default=0.8)


# ---------------------------------------------------------------- indexed reference objects
@dataclass(frozen=True)
class Nutrients:
    keys: tuple[str, ...]
    units: dict[str, str]
    names: dict[str, dict[str, str]]
    conversions: dict[str, tuple[str, float]]

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def name(self, key: str, locale: str) -> str:
        return self.names[key][locale]


@dataclass(frozen=True, eq=False)  # hashed by identity, so its lookups can be cached
class UpperLimits:
    """Upper limits per jurisdiction, age band and life stage, as vectors over nutrient keys."""

    nutrient_keys: tuple[str, ...]
    default_jurisdiction: str
    jurisdictions: dict[str, dict[str, Any]]

    def for_profile(self, age: int, life_stage: str, jurisdiction: str | None = None) -> np.ndarray:
        """Vector of limits (NaN where none is set), read-only, cached per age and life stage."""
        return self._cached(age, life_stage, jurisdiction or self.default_jurisdiction)[0]

    def unverified(self, age: int, life_stage: str, jurisdiction: str | None = None) -> list[str]:
        """Nutrient keys whose limit for this profile is marked unverified in the data."""
        return self._cached(age, life_stage, jurisdiction or self.default_jurisdiction)[1]

    @lru_cache(maxsize=1024)  # noqa: B019 - the object is immutable and lives as long as a snapshot
    def _cached(self, age: int, life_stage: str, jurisdiction: str) -> tuple[np.ndarray, list[str]]:
        limits = np.full(len(self.nutrient_keys), np.nan)
        unverified: list[str] = []
        for i, key in enumerate(self.nutrient_keys):
            value, shaky = self._value(jurisdiction, key, age, life_stage)
            if value is None and jurisdiction != self.default_jurisdiction:
                value, shaky = self._value(self.default_jurisdiction, key, age, life_stage)
            if value is not None:
                limits[i] = value
                if shaky:
                    unverified.append(key)
        limits.setflags(write=False)
        return limits, unverified

    def _value(
        self, jurisdiction: str, key: str, age: int, life_stage: str
    ) -> tuple[float | None, bool]:
        table = self.jurisdictions.get(jurisdiction)
        if table is None:
            return None, False
        band = next((b["id"] for b in table["bands"] if b["min_age"] <= age <= b["max_age"]), None)
        if band is None:
            return None, False
        limit = table["limits"].get(key)
        if limit is None:
            return None, False
        candidates = [(limit["values"].get(band), band in limit["unverified"])]
        if life_stage in ("pregnant", "breastfeeding"):
            candidates.append(
                (limit["values"].get("pregnancy"), "pregnancy" in limit["unverified"])
            )
        known = [(v, shaky) for v, shaky in candidates if v is not None]
        if not known:
            return None, False
        return min(known, key=lambda pair: pair[0])


@dataclass(frozen=True)
class Target:
    id: str
    when: Expression
    nutrient: str
    amount: float | Expression
    source: str


@dataclass(frozen=True)
class Interaction:
    id: str
    medications: frozenset[str]
    conditions: frozenset[str]
    together: tuple[tuple[str, ...], tuple[str, ...]] | None
    exclude: dict[str, float]
    warn: dict[str, float]
    notice: bool
    text: dict[str, str]
    source: str

    def triggered_by(self, medications: tuple[str, ...], conditions: tuple[str, ...]) -> bool:
        return bool(self.medications.intersection(medications)) or bool(
            self.conditions.intersection(conditions)
        )


@dataclass(frozen=True)
class Claim:
    id: str
    nutrients: tuple[str, ...]
    min_per_day: float
    goals: tuple[str, ...]
    text: dict[str, str]
    wording_checked: dict[str, bool]


@dataclass(frozen=True, eq=False)  # hashed by identity, so its lookups can be cached
class Reference:
    nutrients: Nutrients
    upper_limits: UpperLimits
    targets: tuple[Target, ...]
    interactions: tuple[Interaction, ...]
    claims: dict[str, Claim]
    forbidden: dict[str, tuple[re.Pattern, ...]]
    texts: dict[str, dict[str, str]]
    weights: dict[str, float]
    squash: dict[str, float]
    warn_at_upper_limit_fraction: float
    market_maxima: MarketMaxima  # guarantee 8 (market.py)
    authorised_forms: AuthorisedForms
    food: FoodIntake  # guarantee 9 (food.py)
    files: tuple[Path, ...] = field(default=())

    def forbidden_match(self, text: str, locale: str | None = None) -> str | None:
        """The forbidden disease-claim pattern `text` matches (any locale if None), or None."""
        return self._forbidden_match(text, locale)

    @lru_cache(maxsize=8192)  # noqa: B019 - immutable, hashed by identity; texts repeat a lot
    def _forbidden_match(self, text: str, locale: str | None) -> str | None:
        locales = [locale] if locale else list(self.forbidden)
        for loc in locales:
            for pattern in self.forbidden.get(loc, ()):
                if pattern.search(text):
                    return pattern.pattern
        return None

    @cached_property
    def combination_columns(self) -> tuple[tuple[Interaction, list[int], list[int]], ...]:
        """`together` interactions with their nutrient groups as column indices."""
        keys = self.nutrients.keys
        return tuple(
            (i, [keys.index(n) for n in i.together[0]], [keys.index(n) for n in i.together[1]])
            for i in self.interactions
            if i.together is not None
        )

    def text(self, key: str, locale: str, **values: Any) -> str:
        return self.texts[key][locale].format(**values)


# ---------------------------------------------------------------- loading
def load_reference(directory: Path) -> Reference:
    """Load and check every reference file; raise DataFileError listing all findings."""
    findings: list[Finding] = []
    raw: dict[str, Any] = {}
    schemas = {
        "nutrients.yaml": _NutrientsFile(),
        "upper_limits.yaml": _UpperLimitsFile(),
        "targets.yaml": _TargetsFile(),
        "interactions.yaml": _InteractionsFile(),
        "claims.yaml": _ClaimsFile(),
        "texts.yaml": _TextsFile(),
        "scoring.yaml": _ScoringFile(),
        "product_maxima.yaml": ProductMaximaFile(),
        "authorised_forms.yaml": AuthorisedFormsFile(),
        "food_intake.yaml": FoodIntakeFile(),
    }
    documents: dict[str, Any] = {}
    for name, schema in schemas.items():
        path = directory / name
        display = _display(path)
        try:
            documents[name] = load_yaml(path, display)
        except DataFileError as exc:
            findings.extend(exc.findings)
            continue
        loaded, problems = schema_findings(schema, documents[name], display)
        findings.extend(problems)
        raw[name] = loaded
    if findings:
        raise DataFileError(findings)

    nutrients = _nutrients(raw["nutrients.yaml"])
    findings.extend(_check_nutrient_keys(raw, documents, directory, nutrients))
    targets, problems = _targets(
        raw["targets.yaml"], documents["targets.yaml"], directory, nutrients
    )
    findings.extend(problems)
    if findings:
        raise DataFileError(findings)

    claims_raw = raw["claims.yaml"]
    forbidden, problems = _forbidden_patterns(claims_raw, documents["claims.yaml"], directory)
    findings.extend(problems)
    if findings:
        raise DataFileError(findings)
    reference = Reference(
        nutrients=nutrients,
        upper_limits=UpperLimits(
            nutrient_keys=nutrients.keys,
            default_jurisdiction=raw["upper_limits.yaml"]["default_jurisdiction"],
            jurisdictions=raw["upper_limits.yaml"]["jurisdictions"],
        ),
        targets=targets,
        interactions=tuple(_interaction(item) for item in raw["interactions.yaml"]["interactions"]),
        claims={
            claim_id: Claim(
                id=claim_id,
                nutrients=tuple(c["nutrients"]),
                min_per_day=c["min_per_day"],
                goals=tuple(c["goals"]),
                text=c["text"],
                wording_checked=c["wording_checked"],
            )
            for claim_id, c in claims_raw["claims"].items()
        },
        forbidden=forbidden,
        texts=raw["texts.yaml"]["texts"],
        weights=raw["scoring.yaml"]["weights"],
        squash=raw["scoring.yaml"]["squash"],
        warn_at_upper_limit_fraction=raw["scoring.yaml"]["warn_at_upper_limit_fraction"],
        market_maxima=market_maxima(raw["product_maxima.yaml"]),
        authorised_forms=authorised_forms(raw["authorised_forms.yaml"]),
        food=food_intake(
            raw["food_intake.yaml"],
            nutrients.keys,
            raw["upper_limits.yaml"]["jurisdictions"][
                raw["upper_limits.yaml"]["default_jurisdiction"]
            ]["bands"],
        ),
        files=tuple(directory / name for name in schemas),
    )
    findings.extend(_check_texts(reference, documents, directory))
    findings.extend(_check_service_texts(reference, documents["texts.yaml"], directory))
    if findings:
        raise DataFileError(findings)
    return reference


def _forbidden_patterns(
    claims: dict, document: LineDict, directory: Path
) -> tuple[dict[str, tuple[re.Pattern, ...]], list[Finding]]:
    forbidden: dict[str, tuple[re.Pattern, ...]] = {}
    findings = []
    node = document.get("forbidden")
    for locale, patterns in claims["forbidden"].items():
        compiled = []
        for index, pattern in enumerate(patterns):
            try:
                compiled.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                line = node[locale].line_of(index) if isinstance(node, LineDict) else 1
                findings.append(
                    Finding(
                        _display(directory / "claims.yaml"),
                        line,
                        f"forbidden pattern {pattern!r} ({locale}) is not a "
                        f"regular expression: {exc}",
                        code="invalid_pattern",
                    )
                )
        forbidden[locale] = tuple(compiled)
    return forbidden, findings


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _nutrients(data: dict) -> Nutrients:
    keys = tuple(data["nutrients"])
    return Nutrients(
        keys=keys,
        units={k: v["unit"] for k, v in data["nutrients"].items()},
        names={k: v["name"] for k, v in data["nutrients"].items()},
        conversions={k: (v["to"], v["factor"]) for k, v in data.get("conversions", {}).items()},
    )


def _check_nutrient_keys(
    raw: dict, documents: dict, directory: Path, nutrients: Nutrients
) -> list[Finding]:
    """Every nutrient key named anywhere in reference data must be in the vocabulary."""
    findings = []
    known = set(nutrients.keys)

    def check(file: str, node: LineDict | None, keys: Any, where: str) -> None:
        for key in keys:
            if key not in known:
                line = node.line_of(key) if isinstance(node, LineDict) else 1
                findings.append(
                    Finding(
                        _display(directory / file),
                        line,
                        f"{where}: unknown nutrient key {key!r}",
                        code="unknown_nutrient",
                    )
                )

    for conversion in raw["nutrients.yaml"].get("conversions", {}).values():
        check("nutrients.yaml", None, [conversion["to"]], "conversion target")
    for j_name, table in raw["upper_limits.yaml"]["jurisdictions"].items():
        node = documents["upper_limits.yaml"]["jurisdictions"][j_name]["limits"]
        check("upper_limits.yaml", node, table["limits"], f"jurisdiction {j_name}")
    if (
        raw["upper_limits.yaml"]["default_jurisdiction"]
        not in raw["upper_limits.yaml"]["jurisdictions"]
    ):
        findings.append(
            Finding(
                _display(directory / "upper_limits.yaml"),
                documents["upper_limits.yaml"].line_of("default_jurisdiction"),
                "default_jurisdiction is not one of the jurisdictions",
            )
        )
    for i, item in enumerate(raw["interactions.yaml"]["interactions"]):
        node = documents["interactions.yaml"]["interactions"][i]
        check("interactions.yaml", node.get("exclude"), item["excludes"], item["id"])
        check("interactions.yaml", node.get("warn"), item["warn"], item["id"])
        for group in item["trigger"].get("together", []):
            check("interactions.yaml", node, group, item["id"])
    for claim_id, claim in raw["claims.yaml"]["claims"].items():
        check(
            "claims.yaml",
            documents["claims.yaml"]["claims"][claim_id],
            claim["nutrients"],
            claim_id,
        )
    for market, maxima in nutrient_keys_named(raw["product_maxima.yaml"]).items():
        check(
            "product_maxima.yaml",
            documents["product_maxima.yaml"]["markets"][market]["maxima"],
            maxima,
            market,
        )
    for section, keys in food_nutrient_keys(raw["food_intake.yaml"]).items():
        check("food_intake.yaml", None, keys, section)
    ul = raw["upper_limits.yaml"]
    default = ul["jurisdictions"].get(ul["default_jurisdiction"])
    for name in unknown_bands(raw["food_intake.yaml"], default["bands"] if default else []):
        findings.append(
            Finding(
                _display(directory / "food_intake.yaml"),
                documents["food_intake.yaml"].line_of("markets"),
                f"{name}: unknown age band (the bands of upper_limits.yaml)",
                code="unknown_band",
            )
        )
    for stage, maxima in life_stage_keys_named(raw["product_maxima.yaml"]).items():
        check(
            "product_maxima.yaml",
            documents["product_maxima.yaml"]["life_stages"][stage],
            maxima,
            stage,
        )
    return findings


def _targets(
    data: dict, document: LineDict, directory: Path, nutrients: Nutrients
) -> tuple[tuple[Target, ...], list]:
    """Compile and check each target: its nutrient exists, its condition gives true/false on
    sample profiles and names no unknown field, its amount gives a number."""
    file = _display(directory / "targets.yaml")
    probes = compiled_probes(nutrients.keys, [])
    targets, findings = [], []
    for i, item in enumerate(data["targets"]):
        node = document["targets"][i]
        if item["nutrient"] not in nutrients.keys:
            findings.append(
                Finding(
                    file,
                    node.line_of("nutrient"),
                    f"{item['id']}: unknown nutrient key {item['nutrient']!r}",
                    code="unknown_nutrient",
                    rule_id=item["id"],
                )
            )
        when, problems = compile_expression(
            item["when"],
            file,
            node.line_of("when"),
            node.column_of_value("when"),
            item["id"],
            locate=partial(node.locate_in_value, "when"),
        )
        findings.extend(problems)
        if when is not None:
            findings.extend(
                check_condition(when, probes, file, node.line_of("when"), item["id"], "target")
            )
        amount: float | Expression | None
        if isinstance(item["amount"], int | float) and not isinstance(item["amount"], bool):
            amount = float(item["amount"])
        else:
            amount, problems = compile_expression(
                item["amount"],
                file,
                node.line_of("amount"),
                node.column_of_value("amount"),
                item["id"],
            )
            findings.extend(problems)
            if amount is not None:
                findings.extend(
                    _check_amount(amount, probes, file, node.line_of("amount"), item["id"])
                )
        if when is not None and amount is not None:
            targets.append(Target(item["id"], when, item["nutrient"], amount, item["source"]))
    return tuple(targets), findings


def _check_amount(
    amount: Expression, probes: list[tuple[dict, Any]], file: str, line: int, target_id: str
) -> list[Finding]:
    for _, context in probes[:1]:
        try:
            value = amount.evaluate(context)
        except ExpressionError as exc:
            return [Finding(file, line, f"amount: {exc}", code="expression", rule_id=target_id)]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [
                Finding(
                    file,
                    line,
                    f"amount must give a number, gave {type(value).__name__}",
                    code="expression",
                    rule_id=target_id,
                )
            ]
    return []


def _interaction(item: dict) -> Interaction:
    together = item["trigger"].get("together")
    return Interaction(
        id=item["id"],
        medications=frozenset(item["trigger"].get("medications", [])),
        conditions=frozenset(item["trigger"].get("conditions", [])),
        together=(tuple(together[0]), tuple(together[1])) if together else None,
        exclude=item["excludes"],
        warn=item["warn"],
        notice=item["notice"],
        text=item["text"],
        source=item["source"],
    )


def _check_service_texts(
    reference: Reference, document: LineDict, directory: Path
) -> list[Finding]:
    """Every text the core writes is there in every locale, with only the placeholders the
    core fills in."""
    file = _display(directory / "texts.yaml")
    findings = []
    node = document.get("texts")
    for key, placeholders in SERVICE_TEXTS.items():
        texts = reference.texts.get(key)
        if texts is None:
            findings.append(
                Finding(
                    file,
                    line_of(document, "texts"),
                    f"text {key!r} is missing; the service needs it",
                    code="missing_text",
                )
            )
            continue
        for locale, text in texts.items():
            try:
                text.format(**{name: "x" for name in placeholders})
            except (KeyError, IndexError, ValueError) as exc:
                line = node.line_of(key) if isinstance(node, LineDict) else 1
                findings.append(
                    Finding(
                        file,
                        line,
                        f"text {key!r} ({locale}): placeholder "
                        f"{exc} is not one of {sorted(placeholders)}",
                        code="text_placeholder",
                    )
                )
    return findings


def _check_texts(reference: Reference, documents: dict, directory: Path) -> list[Finding]:
    """Authorised claims must pass the forbidden patterns; so must every text the service writes."""
    findings = []
    checks = [
        (
            "claims.yaml",
            documents["claims.yaml"]["claims"],
            reference.claims.items(),
            lambda c: c.text,
        ),
        ("interactions.yaml", None, [(i.id, i) for i in reference.interactions], lambda i: i.text),
        ("texts.yaml", documents["texts.yaml"]["texts"], reference.texts.items(), lambda t: t),
    ]
    for file, node, items, texts_of in checks:
        for key, item in items:
            for locale, text in texts_of(item).items():
                pattern = reference.forbidden_match(text, locale)
                if pattern:
                    line = node.line_of(key) if isinstance(node, LineDict) else 1
                    findings.append(
                        Finding(
                            _display(directory / file),
                            line,
                            f"{key} ({locale}) text matches forbidden disease-claim pattern "
                            f"{pattern!r}",
                            code="forbidden_claim",
                        )
                    )
    return findings
