"""`dosewise rules lint`: everything the loader refuses (errors), plus what loads but is
probably wrong (warnings): rules that never match, rules another rule shadows, two pins on one
position, campaigns already over, health-claim wording that is not authorised.

Meaning is judged on a seeded sample of realistic profiles over the twelve months of the year,
so "never matches" means "matched none of those", which the message says.

Every finding points at the offending key, value or locale line (line and column), and
unknown keys, markets and fields come with the nearest known one ("did you mean").

Health-claim wording is judged in lint_wording.py; lint_locate.py points each finding at its
key, value or locale line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .catalog import Catalog, load_catalog
from .context import SEASONS, compiled_context, expression_context
from .errors import DataFileError, Finding
from .lint_locate import Locator
from .lint_wording import claim_wording, health_wording
from .market import INFORMATIONAL_CATALOG_CODES, catalog_findings
from .markets import load_markets
from .profile import Profile
from .reference import Reference, _display
from .reference_load import load_reference
from .required_rules import required_example_findings, required_rule_findings
from .rules import Rule, RuleSet, load_rules, no_rule_files, rule_files
from .samples import sample_profiles
from .snapshot import DataPaths, Snapshot

SAMPLE_SIZE = 400


@dataclass(frozen=True)
class LintResult:
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def strict_failures(self) -> list[Finding]:
        """What fails `--strict`: errors and warnings, except the catalog products the law
        keeps off a market on purpose (reported, but not a fault of the rule files)."""
        return [
            f
            for f in self.findings
            if f.severity == "error" or f.code not in INFORMATIONAL_CATALOG_CODES
        ]


def lint(paths: DataPaths, target: Path | None = None, today: dt.date | None = None) -> LintResult:
    """Lint the rule files in `target` (a folder or one file; default: the merchandising
    folder) against the catalog and reference data of `paths`."""
    day = today or dt.date.today()
    try:
        reference = load_reference(paths.reference_dir)
        load_markets(paths.reference_dir)  # review 21 H1: a broken one said "0 error(s)"
        catalog = load_catalog(paths.catalog, reference)
    except DataFileError as exc:
        return LintResult(list(exc.findings))
    if target is not None and target.resolve() == paths.placements_file.resolve():
        return LintResult(_placement_findings(paths, reference, catalog))
    if target is not None and target.resolve() == refill_settings_path(paths).resolve():
        return LintResult(refill_findings(paths, reference))
    where = target or paths.merchandising_dir
    files = _files(where)
    if not files:
        return LintResult([no_rule_files(where)])
    # a file or folder inside the merchandising folder is linted together with the folder's
    # other files, as the service loads them (review 19 F2: a rule id another file uses, or a
    # placement placements.yaml lacks, said "0 error(s)" and was then refused): theirs first,
    # so that a duplicate is reported in the file linted; only its own findings are shown
    inside, others = _other_rule_files(paths, target, files)
    mine = {f.resolve() for f in files}
    locator = Locator(others + files)
    try:
        rules = load_rules(others + files, reference, catalog)
    except DataFileError as exc:
        own = [f for f in exc.findings if Path(f.file).resolve() in mine]
        if inside and others and not own:  # another file is broken: lint the file alone
            return lint_alone(paths, reference, catalog, files, day)
        # load_rules has placed them as `rules check` and a reload do (lint_locate.py)
        return LintResult(_sorted(list(own if inside else exc.findings)))
    if inside:
        placed = [
            f
            for f in _placement_findings(paths, reference, catalog, rules)
            if Path(f.file).resolve() in mine
        ]
        findings = _analyse(paths, reference, catalog, rules, locator, day) + placed
        findings = [f for f in findings if Path(f.file).resolve() in mine]
        required = _required(paths, target, rules, Snapshot(reference, catalog, rules, "", ""))
        return LintResult(_sorted(findings + required))
    findings = _analyse(paths, reference, catalog, rules, locator, day)
    findings += _required(paths, target, rules, Snapshot(reference, catalog, rules, "", ""))
    if target is None:  # the whole data set: also the catalog products the law keeps off
        findings += catalog_findings(catalog, reference, _display(paths.catalog))
        findings += _placement_findings(paths, reference, catalog, rules)
        findings += refill_findings(paths, reference)
    return LintResult(findings)


def _required(
    paths: DataPaths, target: Path | None, rules: RuleSet, snapshot: Snapshot
) -> list[Finding]:
    """For the whole merchandising folder: the rules a pharmacist's review requires, each
    still keeping its example's product out (review s43c 4: a required rule narrowed to
    `profile.age < 2` was 0 errors in lint and refused by `rules check` and the reload), and
    the files the service would skip there (review s39b F1); for one file of it, those of its
    own rules (a required rule it switches off, review s39c F6, or narrows)."""
    folder = paths.merchandising_dir
    found = required_rule_findings(rules, paths.reference_dir, folder)
    if not found:  # the examples need every required rule (their own findings say which)
        found = required_example_findings(snapshot, paths.reference_dir)
    if target is None or target.resolve() == folder.resolve():
        return found
    mine = {f.resolve() for f in _files(target)}
    return [f for f in found if Path(f.file).resolve() in mine]


def _other_rule_files(
    paths: DataPaths, target: Path | None, files: list[Path]
) -> tuple[bool, list[Path]]:
    """Whether `target` is (inside) the merchandising folder, and that folder's rule files
    beside `files`."""
    if target is None:
        return False, []
    folder = paths.merchandising_dir.resolve()
    if not all(folder in f.resolve().parents for f in files):
        return False, []
    mine = {f.resolve() for f in files}
    return True, [f for f in _files(paths.merchandising_dir) if f.resolve() not in mine]


def lint_alone(
    paths: DataPaths,
    reference: Reference,
    catalog: Catalog,
    files: list[Path],
    day: dt.date,
) -> LintResult:
    """`files` on their own (another rule file of the folder is refused; its lint says why)."""
    try:
        rules = load_rules(files, reference, catalog)
    except DataFileError as exc:
        return LintResult(_sorted(list(exc.findings)))
    return LintResult(_analyse(paths, reference, catalog, rules, Locator(files), day))


def _analyse(
    paths: DataPaths,
    reference: Reference,
    catalog: Catalog,
    rules: RuleSet,
    locator: Locator,
    day: dt.date,
) -> list[Finding]:
    """The warnings of loaded rules: never matching, campaigns over, pins, shadows, wording."""
    skus = [p.sku for p in catalog.products]
    profiles = [Profile.from_dict(p) for p in sample_profiles(SAMPLE_SIZE, skus)]
    matches = _match_matrix(rules, profiles, reference, day)
    findings: list[Finding] = []
    findings += _never_matching(rules, matches, len(profiles))
    findings += _campaigns_over(rules, day)
    findings += _pin_conflicts(rules, matches)
    findings += _shadowed(rules, matches)
    try:
        findings += claim_wording(rules, reference, catalog, health_wording(paths), locator)
    except DataFileError as exc:  # review 21 L6: a broken wording file was read as empty
        findings += exc.findings
    return _sorted([locator.refine(f) for f in findings])


def refill_settings_path(paths: DataPaths) -> Path:
    from .refills import CONFIG_FILE

    return paths.rules / CONFIG_FILE


def refill_findings(paths: DataPaths, reference: Reference) -> list[Finding]:
    """rules/refills.yaml (issue 11): what its loader refuses (schema, texts in every locale
    with their placeholders, disease claims), each with file and line; a missing file is one
    finding (the refills and buy-again answers would be 503)."""
    from .refills import load_refill_config

    path = refill_settings_path(paths)
    if not path.is_file():
        return [
            Finding(
                _display(path),
                1,
                "missing: the refill settings (refills, buy again, the daily refill job)",
                code="missing_file",
                hint="copy the shipped rules/refills.yaml",
            )
        ]
    try:
        load_refill_config(path, reference)
    except DataFileError as exc:
        return _sorted(list(exc.findings))
    return []


def _placement_findings(
    paths: DataPaths, reference: Reference, catalog: Catalog, rules: RuleSet | None = None
) -> list[Finding]:
    """rules/placements.yaml (issue 11): what the loader refuses, plus a rule that names only
    placements that do not take it (it never applies anywhere)."""
    from .placements.config import check_rule_placements, load_placements
    from .placements.strategies import STRATEGIES

    if rules is None:
        try:
            rules = load_rules(paths.merchandising_dir, reference, catalog)
        except DataFileError:
            rules = RuleSet((), "", ())  # the rule files' own lint reports those
    try:
        config = load_placements(
            paths.placements_file, reference, [r.id for r in rules.rules], STRATEGIES
        )
    except DataFileError as exc:
        return list(exc.findings)
    findings = check_rule_placements(rules.rules, config)
    for rule in rules.rules:
        named = [config.placements[p] for p in rule.placements if p in config.placements]
        if named and not any(
            p.allowed_rule_ids is None or rule.id in p.allowed_rule_ids for p in named
        ):
            findings.append(
                _warning(
                    rule,
                    "rule-never-applies",
                    "names only placements that do not take it (their `rules:` in "
                    f"{_display(paths.placements_file)})",
                    "add the rule id to a placement's rules, or name another placement",
                )
            )
    return _sorted(findings)


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.file, f.line, f.column, f.code))


def _files(target: Path) -> list[Path]:
    return rule_files(target) if target.is_dir() else [target]


def _match_matrix(
    rules: RuleSet, profiles: list[Profile], reference: Reference, today: dt.date
) -> np.ndarray:
    """(rules, months x profiles): does rule r's condition hold (ignoring dates and markets).
    One compiled context per profile; only `month` and `season` change between months, and
    only conditions that read them are evaluated more than once."""
    intake = {k: 0.0 for k in reference.nutrients.keys}
    months = [dt.date(today.year, m, 15) for m in range(1, 13)]
    if not rules.rules:
        return np.zeros((0, len(months) * len(profiles)), dtype=bool)
    contexts = [
        compiled_context(expression_context(p, intake, months[0], [], [])) for p in profiles
    ]
    matrix = np.zeros((len(rules.rules), len(months), len(profiles)), dtype=bool)
    seasonal = [
        r
        for r, rule in enumerate(rules.rules)
        if {"month", "season"} & set(rule.when.program.variables())
    ]
    for r, rule in enumerate(rules.rules):
        if r not in seasonal:
            matrix[r, :] = [rule.when.holds(c) for c in contexts]
    for m, day in enumerate(months):
        for context in contexts:
            context.add_variable("month", day.month)
            context.add_variable("season", SEASONS[day.month])
        for r in seasonal:
            matrix[r, m] = [rules.rules[r].when.holds(c) for c in contexts]
    return matrix.reshape(len(rules.rules), -1)


def _warning(rule: Rule, code: str, message: str, hint: str | None = None) -> Finding:
    return Finding(rule.file, rule.line, message, 1, code, rule.id, "warning", hint)


def _never_matching(rules: RuleSet, matches: np.ndarray, sample: int) -> list[Finding]:
    out = []
    for r, rule in enumerate(rules.rules):
        if not rule.mask.any():
            out.append(
                _warning(
                    rule,
                    "matches-no-product",
                    "no catalog product matches its products/skus/categories",
                    "check the SKUs, categories and the products condition",
                )
            )
        elif not matches[r].any():
            out.append(
                _warning(
                    rule,
                    "matches-no-profile",
                    f"its condition held for none of {sample} sample profiles in any month",
                    "check the condition; `dosewise recommend --explain` shows what a profile sees",
                )
            )
    return out


def _campaigns_over(rules: RuleSet, today: dt.date) -> list[Finding]:
    return [
        _warning(
            rule,
            "campaign-over",
            f"valid_until {rule.valid_until} is in the past",
            "remove the rule or move its dates",
        )
        for rule in rules.rules
        if rule.enabled and rule.valid_until is not None and rule.valid_until < today
    ]


def _windows_overlap(a: Rule, b: Rule) -> bool:
    start = max(a.valid_from or dt.date.min, b.valid_from or dt.date.min)
    end = min(a.valid_until or dt.date.max, b.valid_until or dt.date.max)
    markets = not a.markets or not b.markets or bool(set(a.markets) & set(b.markets))
    return start <= end and markets


def _pin_conflicts(rules: RuleSet, matches: np.ndarray) -> list[Finding]:
    out = []
    pins = [
        (r, rule) for r, rule in enumerate(rules.rules) if rule.action == "pin" and rule.enabled
    ]
    for i, (ra, a) in enumerate(pins):
        for rb, b in pins[i + 1 :]:
            if (
                a.position == b.position
                and _windows_overlap(a, b)
                and (matches[ra] & matches[rb]).any()
            ):
                out.append(
                    _warning(
                        b,
                        "pin-conflict",
                        f"pins position {b.position} like rule "
                        f"{a.id!r} ({a.file}:{a.line}) for the same profiles; the "
                        "one with the higher priority wins, the other moves down",
                        "give one of them another position",
                    )
                )
    return out


def _shadowed(rules: RuleSet, matches: np.ndarray) -> list[Finding]:
    """A rule whose products an exclude rule always removes whenever it applies."""
    out = []
    excludes = [
        (r, rule) for r, rule in enumerate(rules.rules) if rule.action == "exclude" and rule.enabled
    ]
    for rb, b in enumerate(rules.rules):
        if b.action == "exclude" or not b.enabled or not matches[rb].any():
            continue
        for ra, a in excludes:
            covers_products = not (b.mask & ~a.mask).any()
            covers_profiles = not (matches[rb] & ~matches[ra]).any()
            if covers_products and covers_profiles and _windows_overlap(a, b):
                out.append(
                    _warning(
                        b,
                        "shadowed",
                        f"every product it selects is excluded by "
                        f"rule {a.id!r} ({a.file}:{a.line}) whenever it applies",
                        "narrow the exclude rule or remove this one",
                    )
                )
                break
    return out
