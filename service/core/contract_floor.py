"""The contract's own numbers, which the reference files may tighten but never loosen.

Data: `rules/reference/contract.yaml` (the limits of guarantee 1, the NL maxima of guarantee 8,
the pregnancy and breastfeeding maxima of guarantee 10, each with its source). Every reference
load checks upper_limits.yaml's default table and product_maxima.yaml against it, so that an edit
raising the adult vitamin D limit to 1,000 µg or the pregnancy cap to 100 µg is refused with its
file and line, and the last good data keeps serving (review 19 F1), as interactions.yaml's
exclusions are checked by `safety.check_guarantee_coverage`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate

from .errors import Finding
from .reference import UpperLimits
from .validation import Number
from .yamlfile import line_of

CODE = "contract_floor"


class _Amounts(fields.Dict):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            keys=fields.String(),
            values=Number(allow_nan=False, validate=validate.Range(min=0)),
            **kwargs,
        )


class _Nested(fields.Dict):
    def __init__(self) -> None:
        super().__init__(keys=fields.String(), values=_Amounts(), required=True)


class _Band(Schema):
    id = fields.String(required=True)
    min_age = fields.Integer(required=True, validate=validate.Range(0, 120))
    max_age = fields.Integer(required=True, validate=validate.Range(0, 120))


class _Limits(Schema):
    jurisdiction = fields.String(required=True)
    source = fields.String(required=True)
    bands = fields.List(fields.Nested(_Band), required=True, validate=validate.Length(min=1))
    values = _Nested()


class _Maxima(Schema):
    source = fields.String(required=True)
    markets = _Nested()


class _Stages(Schema):
    source = fields.String(required=True)
    stages = _Nested()


class ContractFile(Schema):
    source = fields.String(required=True)
    upper_limits = fields.Nested(_Limits, required=True)
    market_maxima = fields.Nested(_Maxima, required=True)
    life_stage_maxima = fields.Nested(_Stages, required=True)


def contract_findings(
    contract: dict, raw: dict[str, Any], documents: dict[str, Any], directory: Path, display: Any
) -> list[Finding]:
    """Where upper_limits.yaml or product_maxima.yaml is looser than contract.yaml."""
    findings: list[Finding] = []

    def refuse(name: str, node: Any, key: Any, message: str) -> None:
        findings.append(Finding(display(directory / name), line_of(node, key), message, code=CODE))

    said = "the contract (contract.yaml) fixes"
    # guarantee 1: the default table is the contract's jurisdiction, no limit missing or higher
    limits = contract["upper_limits"]
    ul_raw, ul_doc = raw["upper_limits.yaml"], documents["upper_limits.yaml"]
    if ul_raw["default_jurisdiction"] != limits["jurisdiction"]:
        refuse(
            "upper_limits.yaml",
            ul_doc,
            "default_jurisdiction",
            f"default_jurisdiction must be {limits['jurisdiction']}: {said} its limits by default",
        )
    # age by age, as UpperLimits reads the table (review 20 F1: a band "adult" from age 0, or
    # a first band "ya" at 1,000 µg, loosened limits that all kept their names)
    name = limits["jurisdiction"]
    loaded = UpperLimits((), name, ul_raw["jurisdictions"])
    contract_table = {
        "bands": limits["bands"],
        "limits": {k: {"values": v, "unverified": []} for k, v in limits["values"].items()},
    }
    fixed = UpperLimits((), name, {name: contract_table})
    node = ul_doc.get("jurisdictions", {}).get(name, {}).get("limits", ul_doc)
    for nutrient in limits["values"]:
        where = node.get(nutrient, node) if hasattr(node, "get") else node
        for age, stage in ((a, s) for s in ("none", "pregnant") for a in range(121)):
            most = fixed._value(name, nutrient, age, stage)[0]
            value = loaded._value(name, nutrient, age, stage)[0]
            got = None if most is None else _looser(value, most, "no limit")
            if got is not None:
                who = f"age {age}" + (" in pregnancy" if stage == "pregnant" else "")
                message = f"{nutrient} at {who}: {got}; {said} at most {most:g}"
                refuse("upper_limits.yaml", where, "values", message)
                break  # one finding per nutrient
    # guarantee 8: the NL maxima, binding, none missing or higher
    pm_raw, pm_doc = raw["product_maxima.yaml"], documents["product_maxima.yaml"]
    for market, maxima in contract["market_maxima"]["markets"].items():
        entry = pm_raw["markets"].get(market)
        entry_node = pm_doc.get("markets", {}).get(market, pm_doc.get("markets", pm_doc))
        if entry is None:
            refuse(
                "product_maxima.yaml",
                pm_doc,
                "markets",
                f"market {market} is missing; {said} its binding maxima",
            )
            continue
        if not entry["binding"]:
            refuse(
                "product_maxima.yaml",
                entry_node,
                "binding",
                f"{market}: binding must be true; {said} its maxima as law",
            )
        for nutrient, most in maxima.items():
            got = _looser((entry["maxima"].get(nutrient) or {}).get("amount"), most, "missing")
            if got is not None:
                message = f"{market} {nutrient}: {got}; {said} at most {most:g}"
                refuse(
                    "product_maxima.yaml", entry_node.get("maxima", entry_node), nutrient, message
                )
    # guarantee 10: the life stages' maxima, none missing or higher
    stages_node = pm_doc.get("life_stages", pm_doc)
    for stage, maxima in contract["life_stage_maxima"]["stages"].items():
        have = pm_raw["life_stages"].get(stage, {})
        for nutrient, most in maxima.items():
            got = _looser((have.get(nutrient) or {}).get("amount"), most, "missing")
            if got is not None:
                node_at = (
                    stages_node.get(stage, stages_node)
                    if hasattr(stages_node, "get")
                    else stages_node
                )
                message = f"life stage {stage} {nutrient}: {got}; {said} at most {most:g}"
                refuse("product_maxima.yaml", node_at, nutrient, message)
    return findings


def _looser(value: Any, most: float, absent: str) -> str | None:
    """How `value` is looser than the contract's `most` ("absent" when there is none, the
    amount when above it), or None when it is as strict or stricter."""
    if value is None:
        return absent
    return f"{float(value):g}" if float(value) > most + 1e-9 else None
