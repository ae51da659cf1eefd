"""YAML loading that remembers where every mapping, key and list item stands in the file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import DataFileError, Finding


class LineDict(dict):
    """A dict from YAML that knows its own line and the line of each key (1-based)."""

    line: int = 1
    key_lines: dict[Any, int]
    value_marks: dict[Any, tuple[int, int, str | None]]  # 0-based line, column, style
    source_lines: list[str]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def column_of_value(self, key: Any) -> int:
        line, column, style = self.value_marks.get(key, (0, 0, None))
        return column + 1 + (1 if style in ("'", '"') else 0)

    def locate_in_value(self, key: Any, text_line: int, text_column: int) -> tuple[int, int]:
        """File line and column (1-based) of a position (1-based) inside the text of a scalar
        value, for literal (|), folded (>), plain and quoted scalars over one or more lines."""
        if key not in self.value_marks:
            return self.line_of(key), text_column
        line, column, style = self.value_marks[key]
        lines = getattr(self, "source_lines", [])
        if style == "|":
            index = line + text_line  # content starts on the line after the indicator
            first = lines[line + 1] if line + 1 < len(lines) else ""
            indent = len(first) - len(first.lstrip())  # the block's indentation, kept by none
            return index + 1, indent + text_column
        start = line + 1 if style == ">" else line
        first = column + (1 if style in ("'", '"') else 0) if style != ">" else None
        offset = text_column  # 1-based offset in the folded one-line text
        for index in range(start, len(lines)):
            raw = lines[index]
            begin = first if (first is not None and index == line) else len(raw) - len(raw.lstrip())
            segment = len(raw) - begin
            if offset <= segment + 1:
                return index + 1, begin + offset
            offset -= segment + 1  # the line break folds into one space
        return line + 1, column + text_column


class LineList(list):
    """A list from YAML that knows its own line and the line of each item (1-based)."""

    line: int = 1
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


# libyaml's parser when present (several times faster on large catalogs); marks are the same.
class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Booleans as YAML 1.2 reads them: only true and false. YAML 1.1 also reads yes, no, on,
    off, y and n as booleans, so Norway's `NO` in markets.yaml (and `markets: [NO]` in a rule)
    was false (session 18 review F6)."""


_BOOL = "tag:yaml.org,2002:bool"
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    result.value_marks = {}
    result.source_lines = getattr(loader, "source_lines", [])
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
        result.value_marks[key] = (
            value_node.start_mark.line,
            value_node.start_mark.column,
            getattr(value_node, "style", None),
        )
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """A date such as 2026-02-30 is a finding at its line, not a crash."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"not a valid date: {node.value!r} ({exc})", node.start_mark
        ) from None


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, display_name: str | None = None) -> Any:
    """Parse one YAML file; a syntax error becomes a DataFileError with its line."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError([Finding(name, 1, "file not found", code="missing_file")]) from None
    except UnicodeDecodeError as exc:  # at the bad byte's line and column (review s35b F5)
        before = exc.object[: exc.start]  # the column in characters, not bytes (s35c 7)
        row = before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")
        line, column = before.count(b"\n") + 1, len(row) + 1
        found = Finding(name, line, f"not UTF-8: {exc}", column=column, code="encoding")
        raise DataFileError([found]) from None
    loader = _LineLoader(text)
    loader.source_lines = text.splitlines()
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise DataFileError([syntax_finding(name, exc)]) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise DataFileError([Finding(name, 1, str(exc), code="yaml_syntax")]) from None
    finally:
        loader.dispose()


# A context that opens something the problem found unclosed (a quote, a [ or {): the place to
# fix is where it opens, not the end of the file the parser reached (review s31b H8).
_OPENED = {
    "while scanning a quoted scalar": "the quote",
    "while parsing a flow sequence": "the [",
    "while parsing a flow mapping": "the {",
}


def syntax_finding(file: str, exc: yaml.MarkedYAMLError) -> Finding:
    """A YAML syntax error at its place, naming both of PyYAML's places when it gives two:
    where the construct it was reading began (context mark) and where it failed (problem
    mark). The finding stands at the context's place when the construct was never closed (an
    unclosed quote: the problem is the end of the file); else at the problem's, since the
    context of a block error is only where the enclosing list or mapping began."""
    context, problem = exc.context_mark, exc.problem_mark
    two = context is not None and problem is not None and context.line != problem.line
    opened = _OPENED.get(exc.context or "") if two else None
    mark = (context if opened else problem) or context
    parts = [
        f"{text} (line {at.line + 1})" if two and at is not None else text
        for text, at in ((exc.context, context), (exc.problem, problem))
        if text
    ]
    return Finding(
        file,
        mark.line + 1 if mark else 1,
        " ".join(parts) or str(exc),
        mark.column + 1 if mark else 1,
        code="yaml_syntax",
        hint=f"close {opened} that opens at line {mark.line + 1}" if opened and mark else None,
    )


def line_of(node: Any, key: Any = None) -> int:
    """Best line for `key` inside `node` (or of `node` itself); 1 when unknown."""
    if isinstance(node, LineDict):
        return node.line_of(key) if key is not None else node.line
    if isinstance(node, LineList):
        return node.line_of(key) if isinstance(key, int) else node.line
    return 1
