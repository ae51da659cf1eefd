"""YAML loading that remembers where every mapping, key and list item stands in the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import DataFileError, Finding


class LineDict(dict):
    """A dict from YAML that knows its own line and the line of each key (1-based)."""

    line: int = 1
    key_lines: dict[Any, int]
    value_columns: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def column_of_value(self, key: Any) -> int:
        return self.value_columns.get(key, 1)


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
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    result.value_columns = {}
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
        # Column of the first character of the expression text, past an opening quote.
        quoted = 1 if getattr(value_node, "style", None) in ("'", '"') else 0
        result.value_columns[key] = value_node.start_mark.column + 1 + quoted
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, display_name: str | None = None) -> Any:
    """Parse one YAML file; a syntax error becomes a DataFileError with its line."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError([Finding(name, 1, "file not found", code="missing_file")]) from None
    except UnicodeDecodeError as exc:
        raise DataFileError([Finding(name, 1, f"not UTF-8: {exc}", code="encoding")]) from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        reason = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
        raise DataFileError([Finding(name, line, reason, column, code="yaml_syntax")]) from None
    except yaml.YAMLError as exc:
        raise DataFileError([Finding(name, 1, str(exc), code="yaml_syntax")]) from None


def line_of(node: Any, key: Any = None) -> int:
    """Best line for `key` inside `node` (or of `node` itself); 1 when unknown."""
    if isinstance(node, LineDict):
        return node.line_of(key) if key is not None else node.line
    if isinstance(node, LineList):
        return node.line_of(key) if isinstance(key, int) else node.line
    return 1
