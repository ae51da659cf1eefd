"""Merchandising rules (rules/merchandising/*.yaml): load, check with file/line/rule id, compile.

A rule says who (`when`, a CEL condition on the profile) sees what (`products`, `skus`,
`categories`) and what happens (`action`). `products` depends only on the product, so it is
evaluated once per catalog into a boolean mask; a request evaluates only the `when` conditions.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .catalog import Catalog
from .context import compiled_probes, guard_optional_keys
from .errors import DataFileError, Finding
from .expressions import (
    Expression,
    ExpressionError,
    check_condition,
    compile_expression,
    explain_evaluation_error,
)
from .lazy import cached_property
from .reference import Reference, _display
from .text_amounts import unstated
from .validation import Day, Flag, Localized, Number, Text, WholeNumber, schema_findings
from .vocabulary import LOCALES, RULE_ACTIONS
from .yamlfile import LineDict, load_yaml

RULE_ID = r"^[a-z0-9][a-z0-9-]{0,79}$"
PLACEMENT_NAME = r"^[a-z][a-z0-9_]{0,39}$"
SCHEMA_COMMENT = "# yaml-language-server: $schema="


class _RuleSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(
        required=True,
        validate=validate.Regexp(
            RULE_ID,
            error="must be lowercase letters, digits and hyphens (at most 80, not starting with -)",
        ),
    )
    description = Text(required=True)
    when = fields.String(load_default="true")
    products = fields.String(load_default=None)
    skus = fields.List(fields.String(), load_default=list)
    categories = fields.List(fields.String(), load_default=list)
    action = fields.String(required=True, validate=validate.OneOf(RULE_ACTIONS))
    weight = Number(load_default=None, validate=validate.Range(0, 1, min_inclusive=False))
    position = WholeNumber(load_default=None, validate=validate.Range(1, 50))
    reason = Localized(load_default=None)
    priority = WholeNumber(load_default=0)
    valid_from = Day(load_default=None)
    valid_until = Day(load_default=None)
    markets = fields.List(
        fields.String(
            validate=validate.Regexp(r"^[A-Z]{2}$", error="must be a market code such as NL or DE")
        ),
        load_default=list,
    )
    # only in these placements (rules/placements.yaml); never in the plain list
    placements = fields.List(
        fields.String(
            validate=validate.Regexp(
                PLACEMENT_NAME, error="must be a placement name: lowercase letters, digits and _"
            )
        ),
        load_default=list,
    )
    enabled = Flag(load_default=True)
    # false: the reason says which product suits among those offered for a need (a vegan
    # D3 source), and the rule brings no product on its own (review s8 Q6)
    need = Flag(load_default=True)
    # exclude only: a product taken (or in the basket) that the rule excludes does not suit the
    # person either: `product_not_suited` with the words regimen_texts.yaml `unsuited_<taken>`,
    # credited with nothing, and what suits in its place is named (review s28 F3)
    taken = fields.String(
        load_default=None,
        validate=validate.Regexp(
            r"^[a-z][a-z0-9_]{0,39}$", error="must be lowercase letters, digits and _ (at most 40)"
        ),
    )
    # exclude only: why the product it keeps out does not suit, in the words regimen_texts.yaml
    # `unsuited_<why>`, said where that product is asked about (page_product_not_suited);
    # without it a rule's `taken` words say it (review s29a F9)
    why = fields.String(load_default=None, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$"))

    @validates_schema
    def _action_fields(self, data: dict, **_: Any) -> None:
        action = data.get("action")
        if action in ("boost", "bury") and data.get("weight") is None:
            raise ValidationError(f"{action} needs a weight (0 < weight <= 1)", "weight")
        if action == "pin" and data.get("position") is None:
            raise ValidationError("pin needs a position (1-based)", "position")
        if action in ("boost", "pin", "require") and not data.get("reason"):
            raise ValidationError(f"{action} needs a reason text in {', '.join(LOCALES)}", "reason")
        reason = data.get("reason") or {}
        missing = [loc for loc in LOCALES if reason and loc not in reason]
        if missing:
            raise ValidationError(f"reason is missing locale(s): {', '.join(missing)}", "reason")
        for words in ("taken", "why"):
            if data.get(words) and action != "exclude":
                raise ValidationError(f"{words} is for an exclude rule only", words)
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            raise ValidationError("valid_until is before valid_from", "valid_until")


class _RuleFileSchema(Schema):
    class Meta:
        unknown = RAISE

    source = fields.String(required=True)
    rules = fields.List(fields.Raw(), required=True)


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    when: Expression
    action: str
    mask: np.ndarray
    weight: float
    position: int | None
    reason: dict[str, str] | None
    priority: int
    valid_from: dt.date | None
    valid_until: dt.date | None
    markets: tuple[str, ...]
    enabled: bool
    file: str
    line: int
    placements: tuple[str, ...] = ()
    need: bool = True  # its reason is a need (Offer.rule_need); false: a preference only
    taken: str | None = None  # exclude: a product taken that it excludes does not suit either
    why: str | None = None  # exclude: unsuited_<why> says why (else `taken`'s words)

    @property
    def why_words(self) -> str | None:
        """The unsuited_<words> that say why a product this exclude rule keeps out does not
        suit (review s29a F9): its `why`, else its `taken`."""
        return self.why or self.taken

    @cached_property
    def products(self) -> np.ndarray:
        """The indices of `mask`, once per loaded rule (read-only)."""
        out = np.flatnonzero(self.mask)
        out.flags.writeable = False
        return out

    def active_on(self, today: dt.date, market: str) -> bool:
        return self.inactive_because(today, market) is None

    def inactive_because(self, today: dt.date, market: str) -> str | None:
        """Which of `enabled`, the dates or `markets` keeps the rule off on `today` in
        `market` (explain says it: review s32b F10); None when it is active."""
        if not self.enabled:
            return "inactive: disabled (enabled: false)"
        if self.valid_from and today < self.valid_from:
            return f"inactive: starts on {self.valid_from.isoformat()} (valid_from)"
        if self.valid_until and today > self.valid_until:
            return f"inactive: ended on {self.valid_until.isoformat()} (valid_until)"
        if self.markets and market not in self.markets:
            return f"inactive: only for markets {', '.join(self.markets)}, not {market} (markets)"
        return None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    version: str
    files: tuple[Path, ...]
    # the placement this set serves (None: the plain list) and the rule ids it takes (None: all)
    placement: str | None = None
    allowed_ids: frozenset[str] | None = None

    def active(self, today: dt.date, market: str) -> list[Rule]:
        return [r for r in self.rules if r.active_on(today, market) and self.applies(r)]

    def applies(self, rule: Rule) -> bool:
        """A rule that names placements applies only there (never to the plain list); a
        placement that lists rule ids (or `none`) takes only those boosts, buries, pins and
        requires: the shop's exclusions hold in every placement whatever its `rules` say (a
        pregnancy multivitamin kept for pregnancy is not offered at checkout either)."""
        if rule.placements and self.placement not in rule.placements:
            return False
        if rule.action == "exclude":
            return True
        return self.allowed_ids is None or rule.id in self.allowed_ids

    def for_placement(self, placement: str, allowed_ids: frozenset[str] | None) -> RuleSet:
        """The same rules as one placement sees them (rules/placements.yaml `rules`)."""
        return RuleSet(self.rules, self.version, self.files, placement, allowed_ids)


def rule_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def no_rule_files(where: Path) -> Finding:
    """An emptied or missing rule folder is refused (its risk-group advice and exclude rules
    would be gone); a file with `rules: []` says "none" on purpose."""
    hint, message = "give a rule file or the folder that holds them", "no rule files (*.yaml) here"
    return Finding(_display(where), 1, message, code="no-rule-files", hint=hint)


def load_rules(directory: Path | list[Path], reference: Reference, catalog: Catalog) -> RuleSet:
    """Load every rule file in `directory` (or the given files); refuse the whole set with all
    findings if any."""
    findings: list[Finding] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    files = rule_files(directory) if isinstance(directory, Path) else sorted(directory)
    if not files and isinstance(directory, Path):  # review s33b F1: went live as 0 rules
        findings.append(no_rule_files(directory))
    probes = compiled_probes(reference.nutrients.keys, catalog.category_names)
    schema = _RuleSchema()  # one instance: building a schema costs more than loading a rule
    for path in files:
        display = _display(path)
        try:
            document = load_yaml(path, display)
        except DataFileError as exc:
            findings.extend(exc.findings)
            continue
        data, problems = schema_findings(_RuleFileSchema(), document, display)
        findings.extend(problems)
        if data is None:
            continue
        for i, item in enumerate(data["rules"]):
            node = document["rules"][i]
            line = document["rules"].line_of(i)
            if not isinstance(item, dict):
                findings.append(
                    Finding(
                        display,
                        line,
                        "a rule must be a mapping of keys (id, description, when, action, ...)",
                        code="schema",
                    )
                )
                continue
            rule_id = item.get("id")
            loaded, problems = schema_findings(schema, item, display, rule_id)
            findings.extend(problems)
            if loaded is None:
                continue
            if loaded["id"] in seen:
                findings.append(
                    Finding(
                        display,
                        line,
                        f"duplicate rule id (first in {seen[loaded['id']]})",
                        code="duplicate_id",
                        rule_id=loaded["id"],
                    )
                )
            seen.setdefault(loaded["id"], f"{display}:{line}")
            rule, problems = _build_rule(loaded, node, line, display, reference, catalog, probes)
            findings.extend(problems)
            if rule is not None:
                rules.append(rule)
    if findings:
        raise DataFileError(located(findings, files))
    rules.sort(key=lambda r: -r.priority)
    return RuleSet(tuple(rules), _version(files), tuple(files))


def located(findings: list[Finding], files: list[Path]) -> list[Finding]:
    """Each finding at the line and column of the key, value or name that is wrong, with the
    "did you mean" hint (lint_locate.py), so that `rules check`, /readyz and the 422 of a
    refused reload say what `rules lint` says (review s31b H7: column 1, no hints)."""
    from .lint_locate import Locator  # it reads this module's schemas

    locator = Locator(files)
    return [locator.refine(f) for f in findings]


def _version(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _build_rule(
    data: dict,
    node: LineDict,
    line: int,
    file: str,
    reference: Reference,
    catalog: Catalog,
    probes: list[tuple[dict, Any]],
) -> tuple[Rule | None, list[Finding]]:
    rule_id = data["id"]
    findings: list[Finding] = []

    def at(key: str) -> int:
        return node.line_of(key) if isinstance(node, LineDict) else line

    when, problems = compile_expression(
        data["when"],
        file,
        at("when"),
        node.column_of_value("when"),
        rule_id,
        locate=lambda ln, col: node.locate_in_value("when", ln, col),
    )
    findings.extend(problems)
    if when is not None:
        problems = check_condition(when, probes, file, at("when"), rule_id, "profile")
        findings.extend(guard_optional_keys(problems, when.source, reference.nutrients.keys))
    mask = np.ones(len(catalog), dtype=bool)
    if data["products"] is not None:
        products, problems = compile_expression(
            data["products"],
            file,
            at("products"),
            node.column_of_value("products"),
            rule_id,
            locate=lambda ln, col: node.locate_in_value("products", ln, col),
        )
        findings.extend(problems)
        if products is not None:
            product_mask, problems = _product_mask(products, catalog, file, at("products"), rule_id)
            findings.extend(problems)
            mask &= product_mask
    unknown_skus = [s for s in data["skus"] if s not in catalog.index]
    for sku in unknown_skus:
        close = difflib.get_close_matches(sku, list(catalog.index), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        findings.append(
            Finding(
                file, at("skus"), f"unknown SKU {sku!r}{hint}", code="unknown_sku", rule_id=rule_id
            )
        )
    for category in data["categories"]:
        if category not in catalog.categories:
            close = difflib.get_close_matches(category, catalog.category_names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            findings.append(
                Finding(
                    file,
                    at("categories"),
                    f"unknown category {category!r}{hint}",
                    code="unknown_category",
                    rule_id=rule_id,
                )
            )
    for words in ("taken", "why"):
        if data[words]:
            findings.extend(_words(words, data[words], reference, file, at(words), rule_id))
    if data["skus"]:
        mask &= catalog.sku_mask(data["skus"])
    if data["categories"]:
        mask &= catalog.category_mask(data["categories"])
    reason = node.get("reason") if isinstance(node, LineDict) else None
    for locale, text in (data["reason"] or {}).items():
        where = reason.line_of(locale) if isinstance(reason, LineDict) else at("reason")
        pattern = reference.forbidden_match(text)
        if pattern:
            findings.append(
                Finding(
                    file,
                    where,
                    f"reason ({locale}) makes a disease "
                    f"claim (matches {pattern!r}); use authorised wording",
                    code="forbidden_claim",
                    rule_id=rule_id,
                )
            )
        said = unstated(text, reference)  # review s43c 1: "take 50 mg of zinc a day"
        if said:
            message = (
                f"reason ({locale}) sets a dose ({', '.join(said)}): what a product gives is "
                "the catalog's, what is advised the reference data's; quote only an amount "
                "rules/reference states (targets.yaml, claims.yaml), never how many to take"
            )
            findings.append(Finding(file, where, message, code="dose_in_text", rule_id=rule_id))
    if findings or when is None:
        return None, findings
    mask.setflags(write=False)
    return Rule(
        id=rule_id,
        description=data["description"],
        when=when,
        action=data["action"],
        mask=mask,
        weight=data["weight"] or 0.0,
        position=data["position"],
        reason=data["reason"],
        priority=data["priority"],
        valid_from=data["valid_from"],
        valid_until=data["valid_until"],
        markets=tuple(data["markets"]),
        enabled=data["enabled"],
        file=file,
        line=line,
        placements=tuple(data["placements"]),
        need=data["need"],
        taken=data["taken"],
        why=data["why"],
    ), []


def _words(
    field: str, words: str, reference: Reference, file: str, line: int, rule_id: str
) -> list[Finding]:
    """`taken` or `why` names reason words that exist (regimen_texts.yaml `unsuited_<words>`)."""
    from .regimen_texts import regimen_texts  # it reads rules' reference, not rules

    try:
        texts = regimen_texts(reference)
    except DataFileError:
        return []  # that file's own findings refuse the snapshot
    if f"unsuited_{words}" in texts:
        return []
    message = f"{field}: no text unsuited_{words} in rules/reference/regimen_texts.yaml"
    return [Finding(file, line, message, code="unknown_text", rule_id=rule_id)]


def _product_mask(
    expression: Expression, catalog: Catalog, file: str, line: int, rule_id: str
) -> tuple[np.ndarray, list[Finding]]:
    """Evaluate over every product. A field some products lack (a vitamin source, max_age)
    counts as no match; a field no product has is an error."""
    mask = np.zeros(len(catalog), dtype=bool)
    known = catalog.expression_field_names
    for i, context in enumerate(catalog.expression_contexts):
        try:
            value = expression.evaluate(context)
        except ExpressionError as exc:
            missing = re.match(r"unknown field '([^']+)'", str(exc))
            if missing and missing[1] in known:
                continue
            message = explain_evaluation_error(exc, {"product": _all_fields(catalog)})
            return mask, [
                Finding(
                    file, line, f"products condition: {message}", code="expression", rule_id=rule_id
                )
            ]
        if not isinstance(value, bool):
            return mask, [
                Finding(
                    file,
                    line,
                    f"products condition must give true or false, gave {type(value).__name__}",
                    code="expression",
                    rule_id=rule_id,
                )
            ]
        mask[i] = value
    return mask, []


def _all_fields(catalog: Catalog) -> dict:
    return {name: None for name in catalog.expression_field_names}


def schema_reference_line(path: Path) -> str | None:
    """The `$schema` a rule file names in its first line, if any."""
    first = path.read_text(encoding="utf-8").splitlines()[:1]
    if first and first[0].startswith(SCHEMA_COMMENT):
        return first[0][len(SCHEMA_COMMENT) :].strip()
    return None
