"""`dosewise rules lint`: everything the loader refuses (errors), plus what loads but is
probably wrong (warnings): rules that never match, rules another rule shadows, two pins on one
position, campaigns already over, health-claim wording that is not authorised.

Meaning is judged on a seeded sample of realistic profiles over the twelve months of the year,
so "never matches" means "matched none of those", which the message says.

Every finding points at the offending key, value or locale line (line and column), and
unknown keys, markets and fields come with the nearest known one ("did you mean").
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .catalog import Catalog, load_catalog
from .context import SEASONS, compiled_context, expression_context
from .errors import DataFileError, Finding
from .market import INFORMATIONAL_CATALOG_CODES, catalog_findings
from .profile import Profile
from .reference import Reference, _display, load_reference
from .rules import Rule, RuleSet, _RuleFileSchema, _RuleSchema, load_rules, rule_files
from .samples import sample_profiles
from .snapshot import DataPaths

SAMPLE_SIZE = 400
HEALTH_WORDING = "lint/health_wording.yaml"  # under the rules folder
WORD = re.compile(r"[^\W\d_][^\W\d_-]*(?:-[^\W\d_]+)*")
# The shop's markets and what people write instead of their ISO 3166 code (hints only).
MARKET_NAMES = {
    "NL": ("NLD", "HOLLAND", "NETHERLANDS", "NEDERLAND", "NIEDERLANDE"),
    "BE": ("BEL", "BELGIUM", "BELGIE", "BELGIË", "BELGIEN"),
    "DE": ("DEU", "GER", "GERMANY", "DEUTSCHLAND", "DUITSLAND"),
    "AT": ("AUT", "AUSTRIA", "ÖSTERREICH", "OOSTENRIJK"),
    "CH": ("CHE", "SUI", "SWITZERLAND", "SCHWEIZ", "ZWITSERLAND"),
    "LU": ("LUX", "LUXEMBOURG", "LUXEMBURG"),
    "FR": ("FRA", "FRANCE", "FRANKREICH", "FRANKRIJK"),
    "GB": ("GBR", "UK", "ENGLAND", "BRITAIN"),
}


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
        catalog = load_catalog(paths.catalog, reference)
    except DataFileError as exc:
        return LintResult(list(exc.findings))
    if target is not None and target.resolve() == paths.placements_file.resolve():
        return LintResult(_placement_findings(paths, reference, catalog))
    where = target or paths.merchandising_dir
    files = _files(where)
    if not files:
        return LintResult(
            [
                Finding(
                    _display(where),
                    1,
                    "no rule files (*.yaml) here",
                    code="no-rule-files",
                    hint="give a rule file or the folder that holds them (rules/merchandising)",
                )
            ]
        )
    locator = _Locator(files)
    try:
        rules = load_rules(files, reference, catalog)
    except DataFileError as exc:
        return LintResult(_sorted([locator.refine(f) for f in exc.findings]))
    skus = [p.sku for p in catalog.products]
    profiles = [Profile.from_dict(p) for p in sample_profiles(SAMPLE_SIZE, skus)]
    matches = _match_matrix(rules, profiles, reference, day)
    findings: list[Finding] = []
    findings += _never_matching(rules, matches, len(profiles))
    findings += _campaigns_over(rules, day)
    findings += _pin_conflicts(rules, matches)
    findings += _shadowed(rules, matches)
    findings += _claim_wording(rules, reference, catalog, _health_wording(paths), locator)
    findings = _sorted([locator.refine(f) for f in findings])
    if target is None:  # the whole data set: also the catalog products the law keeps off
        findings += catalog_findings(catalog, reference.market_maxima, _display(paths.catalog))
        findings += _placement_findings(paths, reference, catalog, rules)
    return LintResult(findings)


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


@dataclass(frozen=True)
class _HealthWording:
    terms: dict[str, tuple[str, ...]]
    frame: dict[str, frozenset[str]]
    ignore: dict[str, tuple[str, ...]]


def _health_wording(paths: DataPaths) -> _HealthWording:
    path = paths.rules / HEALTH_WORDING
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        data = {}
    return _HealthWording(
        {k: tuple(w.lower() for w in v) for k, v in (data.get("terms") or {}).items()},
        {k: frozenset(w.lower() for w in v) for k, v in (data.get("frame") or {}).items()},
        {k: tuple(v) for k, v in (data.get("ignore") or {}).items()},
    )


def _stems(text: str, wording: _HealthWording, locale: str, nutrient_words: set[str]) -> set[str]:
    """Five-letter stems of the words of an authorised claim that name a body function."""
    frame = wording.frame.get(locale, frozenset())
    return {
        w[:5]
        for w in (x.lower() for x in WORD.findall(text))
        if len(w) >= 5 and w not in frame and w not in nutrient_words
    }


def _claim_wording(
    rules: RuleSet,
    reference: Reference,
    catalog: Catalog,
    wording: _HealthWording,
    locator: _Locator,
) -> list[Finding]:
    """A reason that says anything health-like must say it in authorised wording only
    (Reg. 1924/2006 art. 10): with the authorised texts taken out, no word of a body function
    named in claims.yaml and no health verb or noun of rules/lint/health_wording.yaml may
    remain. The hint offers the authorised text, of the claims on the nutrients the rule's
    products contain, closest to what the reason says."""
    out = []
    keys = reference.nutrients.keys
    claims = list(reference.claims.values())
    for rule in rules.rules:
        present = {
            keys[c] for c in np.flatnonzero(catalog.nutrients_per_day[rule.mask].sum(axis=0) > 0)
        }
        fitting = [c for c in claims if present & set(c.nutrients)]
        for locale, text in (rule.reason or {}).items():
            nutrient_words = {
                w.lower() for k in keys for w in WORD.findall(reference.nutrients.name(k, locale))
            }
            body = {
                s for c in claims for s in _stems(c.text[locale], wording, locale, nutrient_words)
            }
            rest = _normalise(text)
            made = []
            for claim in claims:
                for wording_ in _register_entries(claim.text[locale], locale):
                    if wording_ in rest:
                        made.append(claim)
                        rest = rest.replace(wording_, " ")
            # art. 10(3): a reference to what an authorised claim made here is about ("if
            # your bones matter to you: <bone claim>") may accompany it
            accompanied = {
                s for c in made for s in _stems(c.text[locale], wording, locale, nutrient_words)
            }
            for phrase in wording.ignore.get(locale, ()):
                rest = rest.replace(phrase.lower(), " ")
            words = [w.lower() for w in WORD.findall(rest)]
            terms = wording.terms.get(locale, ())
            flagged = [
                w
                for w in words
                if w not in nutrient_words
                and w[:5] not in accompanied
                and ((len(w) >= 5 and w[:5] in body) or any(w.startswith(t) for t in terms))
            ]
            if not flagged:
                continue
            out.append(
                Finding(
                    rule.file,
                    locator.line_of(rule, ["reason", locale]) or rule.line,
                    f"reason ({locale}) says {', '.join(repr(w) for w in dict.fromkeys(flagged))}"
                    ": health wording outside an authorised claim (Reg. 1924/2006 art. 10: only "
                    "authorised health claims may be made)",
                    locator.column_of(rule, ["reason", locale]),
                    "claim-wording",
                    rule.id,
                    "warning",
                    _claim_hint(text, locale, fitting, claims, wording, nutrient_words),
                )
            )
    return out


def _claim_hint(
    text: str,
    locale: str,
    fitting: list,
    claims: list,
    wording: _HealthWording,
    nutrient_words: set[str],
) -> str:
    if not fitting:
        return "no authorised claim fits the rule's products: remove the health wording"
    said = _stems(text, wording, locale, nutrient_words)

    def closeness(claim) -> tuple[int, float]:
        theirs = _stems(claim.text[locale], wording, locale, nutrient_words)
        ratio = difflib.SequenceMatcher(None, text.lower(), claim.text[locale].lower()).ratio()
        return len(said & theirs), ratio

    best = max(fitting, key=closeness)
    return f"use: {best.text[locale]!r}"


JOINED = {"en": " and ", "de": " und ", "nl": " en "}


def _register_entries(text: str, locale: str) -> list[str]:
    """An authorised text, and its first register entry when claims.yaml joins two with "and"
    ("Calcium is needed for the maintenance of normal bones [and teeth]")."""
    whole = _normalise(text)
    joined = JOINED.get(locale)
    if joined and joined in whole:
        return [whole, whole.split(joined, 1)[0]]
    return [whole]


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().rstrip(".").lower())


def display(path: Path) -> str:
    return _display(path)


# ---------------------------------------------------------------- where a finding points
_QUOTED = re.compile(r"'([^']+)'")


class _Locator:
    """Line and column of keys and values in the linted files (from the YAML nodes), to point
    each finding at what is wrong rather than at its rule or at 1:1."""

    def __init__(self, files: list[Path]) -> None:
        self.files = {_display(p): p for p in files}
        self._roots: dict[str, yaml.Node | None] = {}

    def _root(self, file: str) -> yaml.Node | None:
        if file not in self._roots:
            path = self.files.get(file)
            try:
                text = path.read_text(encoding="utf-8") if path else None
                self._roots[file] = yaml.compose(text) if text else None
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                self._roots[file] = None
        return self._roots[file]

    def _rule_node(self, file: str, rule_id: str | None) -> yaml.Node | None:
        root = self._root(file)
        if root is None or rule_id is None or not isinstance(root, yaml.MappingNode):
            return root
        items = _child(root, "rules")
        if isinstance(items, yaml.SequenceNode):
            for item in items.value:
                node = _child(item, "id")
                if isinstance(node, yaml.ScalarNode) and node.value == rule_id:
                    return item
        return root

    def find(
        self, file: str, rule_id: str | None, path: list[str]
    ) -> tuple[yaml.Node | None, yaml.Node | None, yaml.Node | None]:
        """(parent, key node, value node) of `path` under the rule (or the file)."""
        node = self._rule_node(file, rule_id)
        parent, key = node, None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                pair = next((kv for kv in node.value if kv[0].value == part), None)
                if pair is None:
                    return node, None, None
                parent, key, node = node, pair[0], pair[1]
            elif isinstance(node, yaml.SequenceNode) and part.isdigit():
                index = int(part)
                if index >= len(node.value):
                    return node, None, None
                parent, key, node = node, None, node.value[index]
            else:
                return parent, key, None
        return parent, key, node

    def line_of(self, rule: Rule, path: list[str]) -> int | None:
        _, key, _ = self.find(rule.file, rule.id, path)
        return key.start_mark.line + 1 if key is not None else None

    def column_of(self, rule: Rule, path: list[str]) -> int:
        _, _, value = self.find(rule.file, rule.id, path)
        return _value_column(value) if value is not None else 1

    def refine(self, finding: Finding) -> Finding:
        if finding.column != 1 or finding.file not in self.files:
            return finding
        if finding.code == "schema":
            return self._schema(finding)
        if finding.code == "expression":
            return self._expression(finding)
        if finding.code in ("unknown_sku", "unknown_category"):
            name = _QUOTED.search(finding.message)
            field = "skus" if finding.code == "unknown_sku" else "categories"
            _, _, value = self.find(finding.file, finding.rule_id, [field])
            return _at_scalar(finding, value, name[1] if name else None)
        if finding.code == "forbidden_claim":
            locale = re.search(r"reason \((\w+)\)", finding.message)
            if locale:
                _, key, value = self.find(finding.file, finding.rule_id, ["reason", locale[1]])
                return _moved(finding, key, value)
        return finding

    def _schema(self, finding: Finding) -> Finding:
        dotted, _, message = finding.message.partition(": ")
        path = [p for p in dotted.split(".") if p not in ("file", "_schema")]
        if path and path[-1] == "key":  # marshmallow's error on a dict key: point at the key
            parent, key, value = self.find(finding.file, finding.rule_id, path[:-1])
            if key is not None:
                finding = _moved(finding, key, key)
            locale = path[-2] if len(path) >= 2 else ""
            if "Must be one of" in message:
                return _replace(
                    finding,
                    message=f"{dotted.removesuffix('.key')}: unknown locale {locale!r}; "
                    f"the locales are {message.split(': ', 1)[-1].rstrip('.')}",
                    hint=_did_you_mean(locale, ["nl", "de", "en"]),
                )
            return finding
        parent, key, value = self.find(finding.file, finding.rule_id, path)
        if "Unknown field" in message and key is not None:
            known = _RuleSchema().fields if finding.rule_id or len(path) > 1 else None
            names = list((known or _RuleFileSchema().fields).keys())
            return _replace(
                _moved(finding, key, key),
                message=f"unknown key {path[-1]!r}",
                hint=_did_you_mean(path[-1], names) or f"the keys are {', '.join(names)}",
            )
        if "Missing data" in message:
            return _moved(finding, parent, parent) if parent is not None else finding
        if path and path[0] == "markets" and isinstance(value, yaml.ScalarNode):
            code = _market_for(value.value)
            return _replace(
                _moved(finding, key, value),
                message=f"market {value.value!r} is not a two-letter country code (ISO 3166, "
                "as in profile.country)",
                hint=f"did you mean {code!r}?" if code else "write e.g. NL or DE",
            )
        return _moved(finding, key, value) if (key or value) is not None else finding

    def _expression(self, finding: Finding) -> Finding:
        which = "products" if finding.message.startswith("products") else "when"
        _, _, value = self.find(finding.file, finding.rule_id, [which])
        name = _QUOTED.search(finding.message)
        return _at_scalar(finding, value, name[1] if name else None)


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _value_column(node: yaml.Node) -> int:
    quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
    return node.start_mark.column + 1 + (1 if quoted else 0)


def _moved(finding: Finding, key: yaml.Node | None, value: yaml.Node | None) -> Finding:
    node = value if value is not None else key
    if node is None:
        return finding
    column = (
        _value_column(node) if node is value and node is not key else node.start_mark.column + 1
    )
    return _replace(finding, line=node.start_mark.line + 1, column=column)


def _at_scalar(finding: Finding, value: yaml.Node | None, name: str | None) -> Finding:
    """Point at `name` inside a scalar (a condition) or a flow list, else at the value."""
    if value is None:
        return finding
    if isinstance(value, yaml.SequenceNode):
        for item in value.value:
            if name is not None and item.value == name:
                return _moved(finding, None, item)
        return _moved(finding, None, value)
    if name is None or not isinstance(value, yaml.ScalarNode):
        return _moved(finding, None, value)
    source = value.start_mark.buffer or ""
    start, end = value.start_mark.index, value.end_mark.index
    found = re.search(
        rf"(?<![\w.]){re.escape(name)}(?!\w)|\.{re.escape(name)}(?!\w)", source[start:end]
    )
    if found is None:
        return _moved(finding, None, value)
    index = start + found.start() + (1 if found.group().startswith(".") else 0)
    line = source.count("\n", 0, index)
    column = index - (source.rfind("\n", 0, index) + 1)
    return _replace(finding, line=line + 1, column=column + 1)


def _replace(finding: Finding, **changes) -> Finding:
    from dataclasses import replace

    return replace(finding, **changes)


def _did_you_mean(word: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _market_for(written: str) -> str | None:
    upper = written.strip().upper()
    for code, names in MARKET_NAMES.items():
        if upper == code or upper in names or any(n.startswith(upper) for n in names[1:]):
            return code
    return None
