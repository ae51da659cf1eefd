"""Loading the reference data: read every file of rules/reference/, check it against its schema
and across files (nutrient keys, targets, amounts, interactions, the texts of every locale)
and index it into a `Reference`."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

from .advice_text_keys import variants
from .children import one_source_findings
from .context import compiled_probes, guard_optional_keys
from .contract_floor import ContractFile, contract_findings
from .errors import DataFileError, Finding
from .expressions import Expression, ExpressionError, check_condition, compile_expression
from .food import FoodIntakeFile, food_intake, unknown_bands
from .food import nutrient_keys_named as food_nutrient_keys
from .ingredients import IngredientsFile, ingredients
from .market import (
    AuthorisedFormsFile,
    ProductMaximaFile,
    authorised_forms,
    life_stage_keys_named,
    market_maxima,
    nutrient_keys_named,
)
from .reference import (
    Caution,
    Claim,
    Interaction,
    Nutrients,
    Reference,
    Target,
    UpperLimits,
    _display,
)
from .reference_schemas import (
    SERVICE_TEXTS,
    _ClaimsFile,
    _InteractionsFile,
    _NutrientsFile,
    _ScoringFile,
    _TargetsFile,
    _TextsFile,
    _UpperLimitsFile,
)
from .target_priority import priority_findings
from .validation import schema_findings
from .yamlfile import LineDict, line_of, load_yaml


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
        "contract.yaml": ContractFile(),  # the contract's own numbers (review 19 F1)
        "ingredients.yaml": IngredientsFile(),  # a source's diet and allergens (s36b F1)
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

    findings.extend(contract_findings(raw["contract.yaml"], raw, documents, directory, _display))
    nutrients = _nutrients(raw["nutrients.yaml"])
    findings.extend(_check_nutrient_keys(raw, documents, directory, nutrients))
    targets, problems = _targets(
        raw["targets.yaml"], documents["targets.yaml"], directory, nutrients
    )
    findings.extend(problems)
    # the tiers a regimen keeps first (review s10 U2): every authority in one, known tier ids
    findings.extend(
        priority_findings(documents["targets.yaml"], _display(directory / "targets.yaml"))
    )
    # a child's one product of a nutrient (session 19)
    scoring_file = _display(directory / "scoring.yaml")
    findings.extend(one_source_findings(documents["scoring.yaml"], nutrients.keys, scoring_file))
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
        cautions=tuple(_caution(item) for item in raw["interactions.yaml"]["cautions"]),
        claims={
            claim_id: Claim(
                id=claim_id,
                nutrients=tuple(c["nutrients"]),
                min_per_day=c["min_per_day"],
                goals=tuple(c["goals"]),
                text=c["text"],
                wording_checked=c["wording_checked"],
                requires=tuple(
                    (str(k), v) for k, v in (c.get("requires") or {}).items() if isinstance(v, bool)
                ),
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
        ingredients=ingredients(raw["ingredients.yaml"]),
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
    for i, item in enumerate(raw["interactions.yaml"]["cautions"]):
        node = documents["interactions.yaml"]["cautions"][i]
        check("interactions.yaml", node, item["nutrients"], item["id"])
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
            problems = check_condition(
                when, probes, file, node.line_of("when"), item["id"], "target"
            )
            findings.extend(guard_optional_keys(problems, when.source, nutrients.keys))
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
        market_text={m: entry["text"] for m, entry in item["markets"].items()},
        timing=item["timing"],
        serum_above=item["trigger"].get("serum_25ohd_above"),
        life_stages=frozenset(item["trigger"].get("life_stage", [])),
        all_medications=bool(item["trigger"].get("all_medications", False)),
    )


def _caution(item: dict) -> Caution:
    return Caution(
        id=item["id"],
        nutrients=tuple(item["nutrients"]),
        unless_medications=frozenset(item["unless_medications"]),
        text=item["text"],
        source=item["source"],
        market_text={m: entry["text"] for m, entry in item["markets"].items()},
    )


def _check_service_texts(
    reference: Reference, document: LineDict, directory: Path
) -> list[Finding]:
    """Every text the core writes is there in every locale, with only the placeholders the
    core fills in."""
    file = _display(directory / "texts.yaml")
    findings = []
    node = document.get("texts")
    # a variant `<base>.<interaction id>` takes its base's placeholders
    for key, placeholders in [*SERVICE_TEXTS.items(), *variants(reference, SERVICE_TEXTS)]:
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
        ("interactions.yaml", None, [(c.id, c) for c in reference.cautions], lambda c: c.text),
        (
            "interactions.yaml",
            None,
            [(f"{c.id} ({m})", t) for c in reference.cautions for m, t in c.market_text.items()],
            lambda t: t,
        ),
        (
            "interactions.yaml",
            None,
            [
                (f"{i.id} ({m})", t)
                for i in reference.interactions
                for m, t in i.market_text.items()
            ],
            lambda t: t,
        ),
        ("texts.yaml", documents["texts.yaml"]["texts"], reference.texts.items(), lambda t: t),
    ]
    for file, node, items, texts_of in checks:
        for key, item in items:
            for locale, text in texts_of(item).items():
                pattern = reference.forbidden_match(text)
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
