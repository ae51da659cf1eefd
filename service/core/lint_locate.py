"""`dosewise rules lint`: where a finding points (line and column of the key, value or locale
line in the YAML) and the nearest known word ("did you mean")."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import yaml

from .errors import Finding
from .reference import _display
from .rules import Rule, _RuleFileSchema, _RuleSchema
from .vocabulary import LOCALES

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


# ---------------------------------------------------------------- where a finding points
_QUOTED = re.compile(r"'([^']+)'")


class Locator:
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
                    hint=_did_you_mean(locale, list(LOCALES)),
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
        if key is not None and (
            isinstance(value, yaml.MappingNode)
            or (isinstance(value, yaml.SequenceNode) and not value.flow_style)
        ):  # a whole block (a reason missing a locale): its key, not its first line
            return _moved(finding, key, key)
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
