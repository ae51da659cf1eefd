"""The experiments file (`rules/experiments.yaml`): what each experiment changes, for whom, when.

    source: "who decided these experiments, and where the design is written down"
    experiments:
      - id: learned-blend-vs-hand-picked      # unique; part of the assignment hash
        description: "..."
        placement: all                        # default all; or one placement (below)
        unit: customer                        # customer | session: what is randomised
        start: 2026-12-07                     # first day (UTC), inclusive
        end: 2027-01-04                       # last day (UTC), inclusive
        traffic: 1.0                          # share of units in the experiment (default 1)
        alpha: 0.05                           # of the sequential test (default 0.05)
        design_uplift: 0.05                   # relative effect the test is tuned to find
        baseline:                             # for the power statement before the start
          units_per_day: 3000
          exposures_per_unit: 1.5
          click_rate: 0.05                    # per exposure
          add_to_cart_rate: 0.015
          purchase_rate: 0.006
          average_purchase_value: 18.0        # EUR per purchase
        variants:                             # the first one is the control
          - id: control
            share: 0.5
          - id: hand-picked-blend
            share: 0.5
            blend: {model: 0.7, transparent: 0.3, rules: 1.0}
            model_version: ltr-...            # optional: another installed model version
            rules_off: [rule-id, ...]         # optional: boost, bury or pin rules left out

Placements: `all` (the default) applies the experiment wherever lists are served;
`recommendations` is `POST /v1/recommendations`, `customer_recommendations` the customer GET
(`/v1/customers/{id}/recommendations`, whose precomputed lists are computed per arm), and any
placement that `rules/placements.yaml` names (next to this file) is accepted too. A request is in
the experiment of its placement, or in one whose placement is `all`.

What a variant can change is limited on purpose: the model, its blend, and which boost, bury
or pin rules apply. Safety masks, contraindications, limits, claims and rule excludes and
requires are not variant settings: every arm gets them the same (variants.py, and a test that
runs every guarantee in every arm). Two experiments on the same placement may not overlap in
time (an `all` experiment overlaps every other), so a unit is in at most one experiment per
placement.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.core.errors import DataFileError, Finding
from service.core.yamlfile import line_of, load_yaml
from service.learning.blend import BlendWeights

ALL_PLACEMENTS = "all"
PLACEMENTS = (ALL_PLACEMENTS, "recommendations", "customer_recommendations")
PLACEMENTS_FILE = "placements.yaml"  # the shop's placements (issue 11), when there is one
UNITS = ("customer", "session")
RULE_ACTIONS_A_VARIANT_MAY_DROP = ("boost", "bury", "pin")
BASELINE_KEYS = (
    "units_per_day",
    "exposures_per_unit",
    "click_rate",
    "add_to_cart_rate",
    "purchase_rate",
    "average_purchase_value",
)


@dataclass(frozen=True)
class Variant:
    id: str
    share: float
    blend: BlendWeights | None = None
    model_version: str | None = None
    rules_off: tuple[str, ...] = ()
    description: str = ""

    @property
    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.blend is not None:
            out["blend"] = self.blend.to_dict()
        if self.model_version:
            out["model_version"] = self.model_version
        if self.rules_off:
            out["rules_off"] = list(self.rules_off)
        return out


@dataclass(frozen=True)
class Experiment:
    id: str
    placement: str
    unit: str
    start: dt.date
    end: dt.date
    variants: tuple[Variant, ...]
    traffic: float = 1.0
    alpha: float = 0.05
    design_uplift: float = 0.05
    baseline: Mapping[str, float] = field(default_factory=dict)
    description: str = ""

    @property
    def control(self) -> Variant:
        return self.variants[0]

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class ExperimentSet:
    experiments: tuple[Experiment, ...]
    source: str = ""
    file: str = ""

    def active(self, placement: str, day: dt.date) -> Experiment | None:
        for experiment in self.experiments:
            if experiment.placement in (placement, ALL_PLACEMENTS) and experiment.active_on(day):
                return experiment
        return None

    def get(self, experiment_id: str) -> Experiment:
        for experiment in self.experiments:
            if experiment.id == experiment_id:
                return experiment
        raise KeyError(experiment_id)


EMPTY = ExperimentSet(())


def load_experiments(path: Path, rules: Sequence[Any] | None = None) -> ExperimentSet:
    """Read and check the file; raises DataFileError with every finding (file, line, reason).

    `rules` (the loaded merchandising rules) lets `rules_off` be checked against them.
    A missing file is no experiment at all.
    """
    if not Path(path).exists():
        return EMPTY
    name = str(path)
    document = load_yaml(Path(path), name)
    findings: list[Finding] = []

    def finding(node: Any, key: Any, message: str, code: str = "invalid") -> None:
        findings.append(Finding(name, line_of(node, key), message, code=code))

    if not isinstance(document, dict):
        raise DataFileError([Finding(name, 1, "expected a mapping with source and experiments")])
    unknown = set(document) - {"source", "experiments"}
    for key in sorted(unknown, key=str):
        finding(document, key, f"unknown key {key!r}", "unknown_key")
    if not isinstance(document.get("source"), str) or not document["source"].strip():
        finding(document, "source", "a source note is required (who decided, where written)")
    items = document.get("experiments")
    if not isinstance(items, list):
        finding(document, "experiments", "experiments must be a list")
        raise DataFileError(findings)
    rule_actions = {rule.id: rule.action for rule in rules} if rules is not None else None
    placements = PLACEMENTS + shop_placements(Path(path).parent / PLACEMENTS_FILE)
    experiments: list[Experiment] = []
    for index, item in enumerate(items):
        parsed = _experiment(item, items, index, rule_actions, placements, finding)
        if parsed is not None:
            experiments.append(parsed)
    ids = [e.id for e in experiments]
    for index, experiment in enumerate(experiments):
        if ids.index(experiment.id) != index:
            finding(items, index, f"experiment id {experiment.id!r} is used twice", "duplicate")
        for other in experiments[:index]:
            if (
                ALL_PLACEMENTS in (other.placement, experiment.placement)
                or other.placement == experiment.placement
            ) and (other.start <= experiment.end and experiment.start <= other.end):
                finding(
                    items,
                    index,
                    f"{experiment.id!r} overlaps {other.id!r} on placement "
                    f"{experiment.placement!r}: a unit can be in one experiment per placement",
                    "overlap",
                )
    if findings:
        raise DataFileError(findings)
    return ExperimentSet(tuple(experiments), document["source"], name)


def shop_placements(path: Path) -> tuple[str, ...]:
    """The placement names `rules/placements.yaml` declares (none without the file; that file
    is checked by its own loader, so a broken one only adds no names here)."""
    try:
        document = load_yaml(path, str(path)) if path.exists() else None
    except DataFileError:
        return ()
    names = document.get("placements") if isinstance(document, dict) else None
    return tuple(str(name) for name in names) if isinstance(names, dict) else ()


def _experiment(
    item: Any,
    items: Any,
    index: int,
    rule_actions: dict[str, str] | None,
    placements: tuple[str, ...],
    finding: Any,
) -> Experiment | None:
    if not isinstance(item, dict):
        finding(items, index, "an experiment must be a mapping")
        return None
    allowed = {
        "id",
        "description",
        "placement",
        "unit",
        "start",
        "end",
        "traffic",
        "alpha",
        "design_uplift",
        "baseline",
        "variants",
    }
    problems: list[str] = []

    def bad(key: Any, message: str, node: Any = item, code: str = "invalid") -> None:
        problems.append(message)
        finding(node, key, message, code)

    for key in sorted(set(item) - allowed, key=str):
        bad(key, f"unknown key {key!r}", code="unknown_key")
    experiment_id: Any = item.get("id")
    if not isinstance(experiment_id, str) or not experiment_id.strip():
        bad("id", "id must be a non-empty string")
    placement = item.get("placement", ALL_PLACEMENTS)
    if placement not in placements:
        bad("placement", f"placement must be one of {', '.join(placements)}: {placement!r}")
    unit = item.get("unit", "customer")
    if unit not in UNITS:
        bad("unit", f"unit must be one of {', '.join(UNITS)}: {unit!r}")
    start: Any = item.get("start")
    end: Any = item.get("end")
    days = []
    for key, value in (("start", start), ("end", end)):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            bad(key, f"{key} must be a date (YYYY-MM-DD), without a time: {value!r}")
        else:
            days.append(value)
    # a datetime compared with a date raised here (review s34b F4: a time in `start`)
    if len(days) == 2 and end < start:
        bad("end", f"end {end} is before start {start}")
    numbers = {}
    for key, default, low, high in (
        ("traffic", 1.0, 0.0, 1.0),
        ("alpha", 0.05, 0.0, 0.5),
        ("design_uplift", 0.05, 0.0, 10.0),
    ):
        value = item.get(key, default)
        if not _number(value) or not low < value <= high:
            bad(key, f"{key} must be a number in ({low}, {high}]: {value!r}")
        numbers[key] = value
    baseline = item.get("baseline") or {}
    if not isinstance(baseline, dict):
        bad("baseline", "baseline must be a mapping")
        baseline = {}
    for key in sorted(set(baseline) - set(BASELINE_KEYS), key=str):
        bad(key, f"unknown baseline key {key!r}", baseline, "unknown_key")
    for key in set(baseline) & set(BASELINE_KEYS):
        if not _number(baseline[key]) or baseline[key] < 0:
            bad(key, f"{key} must be a number >= 0", baseline)
    variants = _variants(item.get("variants"), item, rule_actions, bad)
    if problems:
        return None
    return Experiment(
        experiment_id,
        placement,
        unit,
        start,
        end,
        variants,
        float(numbers["traffic"]),
        float(numbers["alpha"]),
        float(numbers["design_uplift"]),
        {k: float(v) for k, v in baseline.items()},
        str(item.get("description", "")),
    )


def _variants(
    items: Any, parent: Any, rule_actions: dict[str, str] | None, bad: Any
) -> tuple[Variant, ...]:
    if not isinstance(items, list) or len(items) < 2:
        bad("variants", "variants must be a list of at least two (the first is the control)")
        return ()
    out: list[Variant] = []
    allowed = {"id", "share", "blend", "model_version", "rules_off", "description"}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            bad(index, "a variant must be a mapping", items)
            continue
        for key in sorted(set(item) - allowed, key=str):
            bad(
                key,
                f"unknown variant key {key!r} (a variant may change only blend, "
                "model_version and rules_off)",
                item,
                "unknown_key",
            )
        variant_id: Any = item.get("id")
        if not isinstance(variant_id, str) or not variant_id.strip():
            bad("id", "variant id must be a non-empty string", item)
            continue
        share: Any = item.get("share")
        if not _number(share) or not 0 < share <= 1:
            bad("share", f"share must be a number in (0, 1]: {share!r}", item)
            continue
        blend = None
        if "blend" in item:
            try:
                blend = BlendWeights.from_dict({**(item["blend"] or {}), "source": "default"})
            except (ValueError, TypeError) as exc:
                bad("blend", f"blend: {exc}", item)
        model_version = item.get("model_version")
        if model_version is not None and (
            not isinstance(model_version, str) or not model_version.strip()
        ):
            bad("model_version", "model_version must be a version name", item)
        rules_off = item.get("rules_off") or []
        if not isinstance(rules_off, list) or not all(isinstance(r, str) for r in rules_off):
            bad("rules_off", "rules_off must be a list of rule ids", item)
            rules_off = []
        for rule_id in rules_off:
            if rule_actions is None:
                continue
            action = rule_actions.get(rule_id)
            if action is None:
                bad("rules_off", f"rules_off names an unknown rule {rule_id!r}", item)
            elif action not in RULE_ACTIONS_A_VARIANT_MAY_DROP:
                bad(
                    "rules_off",
                    f"rule {rule_id!r} is an {action} rule: a variant may leave out only "
                    f"{', '.join(RULE_ACTIONS_A_VARIANT_MAY_DROP)} rules",
                    item,
                )
        out.append(
            Variant(
                variant_id,
                float(share),
                blend,
                model_version,
                tuple(rules_off),
                str(item.get("description", "")),
            )
        )
    ids = [v.id for v in out]
    if len(set(ids)) != len(ids):
        bad("variants", f"variant ids must be unique: {ids}", parent)
    if out and len(out) == len(items) and not math.isclose(sum(v.share for v in out), 1.0):
        bad("variants", f"variant shares must add up to 1, not {sum(v.share for v in out)}", parent)
    return tuple(out)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
