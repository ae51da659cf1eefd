"""The merchandising rules a rule set must hold (rules/reference/required_rules.yaml), and the
files in the merchandising folder that would be ignored (review s39b F1, unsafe: renaming
risk_groups.yaml to .yml, deleting it or putting a folder in its place passed `rules check`,
`rules lint` and the hot reload, and 43 of 46 rules, the children's and pregnancy exclusions
among them, were gone)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DataFileError, Finding, InvalidInput
from .reference import _display
from .rules import Rule, RuleSet
from .yamlfile import LineList, load_yaml

if TYPE_CHECKING:
    from .snapshot import Snapshot

FILE = "required_rules.yaml"
SUFFIX = ".yaml"


def required_rules_path(reference_dir: Path) -> Path:
    return reference_dir / FILE


def _entries(reference_dir: Path) -> tuple[list[tuple[dict, int]], list[Finding]]:
    """The required file's entries with their lines, or what is wrong with the file."""
    path = required_rules_path(reference_dir)
    display = _display(path)
    if not path.is_file():
        hint = "restore it from the repository (git checkout rules/reference/required_rules.yaml)"
        message = "missing: it names the merchandising rules every rule set must hold"
        return [], [Finding(display, 1, message, code="missing_file", hint=hint)]
    try:
        document = load_yaml(path, display)
    except DataFileError as exc:
        return [], list(exc.findings)
    entries = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("id"), str)
        and isinstance(e.get("examples", []), list)
        and examples_of(e)
        and all(_example_ok(x) for x in examples_of(e))
        for e in entries
    ):
        message = (
            "rules: a list of {id, source, example: {profile, sku}} (and optionally more "
            "`examples`), one per required rule"
        )
        return [], [Finding(display, 1, message, code="schema")]
    return [
        (entry, entries.line_of(i) if isinstance(entries, LineList) else 1)
        for i, entry in enumerate(entries)
    ], []


def examples_of(entry: dict) -> list:
    """An entry's examples: its `example` and each of its `examples` (review s39d F5: one
    example cannot catch every narrowing; `target-group-men` limited to adult women kept its
    example out, and girls of 12-17 would have seen men's products)."""
    found = [entry["example"]] if "example" in entry else []
    more = entry.get("examples", [])
    return found + (more if isinstance(more, list) else [more])


def _taken(entry: dict) -> str | None:
    """The `taken` words an entry's examples give the rule (the first that gives any)."""
    return next((x["taken"] for x in examples_of(entry) if x.get("taken") is not None), None)


def _example_ok(example: object) -> bool:
    return (
        isinstance(example, dict)
        and isinstance(example.get("profile"), dict)
        and isinstance(example.get("sku"), str)
    )


def required_rule_findings(rules: RuleSet, reference_dir: Path, folder: Path) -> list[Finding]:
    """Each rule the required file names that `rules` lacks, or holds otherwise than as an
    exclude rule always on (or without the `taken` words the file gives it); the file itself
    when it is missing or broken; and each entry of `folder` that the loader would skip
    although it looks like a rule file."""
    display = _display(required_rules_path(reference_dir))
    entries, findings = _entries(reference_dir)
    findings = ignored_entries(folder) + findings
    held = {rule.id: rule for rule in rules.rules}
    for entry, line in entries:
        rule = held.get(entry["id"])
        why = f" ({entry['source']})" if entry.get("source") else ""
        if rule is None:
            files = ", ".join(sorted({Path(p).name for p in rules.files})) or "none"
            message = (
                f"required rule {entry['id']} is in no rule file of {_display(folder)} "
                f"(rule files read: {files}){why}"
            )
            hint = "restore the rule or its file (a rule file ends in .yaml)"
            findings.append(
                Finding(
                    display, line, message, code="required_rule", rule_id=entry["id"], hint=hint
                )
            )
            continue
        off = _switched_off(rule, _taken(entry))
        if off:
            message = f"required rule {entry['id']} must stay an exclude rule always on: {off}{why}"
            findings.append(
                Finding(rule.file, rule.line, message, code="required_rule", rule_id=rule.id)
            )
    return findings


def required_example_findings(snapshot: Snapshot, reference_dir: Path) -> list[Finding]:
    """Each required rule that no longer keeps its example's product out for its example's
    profile (review s39c F1: `when: "false"` or `products: "false"` kept the rule, always on,
    and switched it off): the rule set as a whole must still exclude what the pharmacist's
    review excluded. Checked on a loaded snapshot (rule conditions and products evaluated)."""
    from .ranking import evaluate  # it imports the rules
    from .requests import RecommendationRequest

    entries, _ = _entries(reference_dir)  # the file's own problems: required_rule_findings
    held = {rule.id: rule for rule in snapshot.rules.rules}
    findings = []
    for entry, _line in entries:
        rule = held.get(entry["id"])
        if rule is None:  # said by required_rule_findings
            continue
        for example in examples_of(entry):
            index = snapshot.catalog.index.get(example["sku"])
            if index is None:
                # a product no longer in the catalog (discontinued) leaves nothing to check
                # the example with
                continue
            try:
                request = RecommendationRequest.from_dict({"profile": example["profile"]})
            except InvalidInput:
                request = None
            day = dt.date(2026, 12, 1)  # no required rule has dates (`_switched_off`)
            ev = evaluate(snapshot, request.profile, request.lines(), day) if request else None
            matched = ev is not None and any(r.id == rule.id for r in ev.matched_rules)
            if matched and rule.mask[index]:
                continue
            message = (
                f"required rule {rule.id} no longer keeps {example['sku']} out for "
                f"{example['profile']} (rules/reference/{FILE}): its `when` or `products` "
                "changed so that it excludes what a pharmacist's review asked it to keep out"
            )
            findings.append(
                Finding(rule.file, rule.line, message, code="required_rule", rule_id=rule.id)
            )
            break  # one example said is enough to find the rule
    return findings


def _switched_off(rule: Rule, taken: str | None) -> str | None:
    if rule.action != "exclude":
        return f"its action is {rule.action}"
    if not rule.enabled:
        return "it is disabled (enabled: false)"
    if rule.valid_from is not None or rule.valid_until is not None:
        return "it has dates (valid_from / valid_until)"
    if rule.markets:
        return f"it is limited to markets {', '.join(rule.markets)}"
    if rule.placements:
        return f"it is limited to placements {', '.join(rule.placements)}"
    if taken is not None and rule.taken != taken:
        return (
            f"its `taken` must stay {taken} (a product taken that it excludes does not suit either)"
        )
    return None


def ignored_entries(folder: Path) -> list[Finding]:
    """A rule file the loader would skip: `.yml`, another case of `.yaml`, or a folder."""
    out: list[Finding] = []
    if not folder.is_dir():
        return out
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if name.startswith("."):
            continue
        lower = name.lower()
        if entry.is_dir():
            message = (
                "a folder in the rule folder: its files are not read (rules are *.yaml files here)"
            )
        elif lower.endswith((".yml", ".yaml")) and not name.endswith(SUFFIX):
            message = f"not read: rule files end in {SUFFIX} (this one would be ignored)"
        else:
            continue
        hint = f"rename it to end in {SUFFIX}, or move it out of the rule folder"
        out.append(Finding(_display(entry), 1, message, code="ignored_file", hint=hint))
    return out
