"""Validate YAML data with a marshmallow schema and report each error at its line."""

from __future__ import annotations

import numbers
from typing import Any

from marshmallow import Schema, ValidationError, fields

from .errors import Finding
from .yamlfile import LineDict, LineList, line_of


def _walk(
    errors: Any, node: Any, path: list, out: list[tuple[list, int, str]], at: int = 1
) -> None:
    """`at`: the line of `node` as its parent knows it; a scalar has no line of its own (a
    dict value's `.value`/`.key` error: review 19 F7, 'nutrients_per_serving.vitamin_d_ug.value'
    was reported at line 1 of a 2,600-line catalog)."""
    here = line_of(node) if isinstance(node, LineDict | LineList) else at
    if isinstance(errors, dict):
        for key, sub in errors.items():
            child = None
            line = here
            if isinstance(node, LineDict) and key in node:
                child, line = node[key], node.line_of(key)
            elif isinstance(node, LineList) and isinstance(key, int) and key < len(node):
                child, line = node[key], node.line_of(key)
            if isinstance(sub, list | tuple) and all(isinstance(m, str) for m in sub):
                for message in sub:
                    out.append(([*path, key], line, message))
            else:
                _walk(sub, child if child is not None else node, [*path, key], out, line)
    elif isinstance(errors, list | tuple):
        for message in errors:
            out.append((path, here, str(message)))


def schema_findings(
    schema: Schema, data: Any, file: str, rule_id: str | None = None
) -> tuple[Any, list[Finding]]:
    """Load `data` with `schema`; return (result or None, findings with file and line)."""
    try:
        return schema.load(data), []
    except ValidationError as exc:
        located: list[tuple[list, int, str]] = []
        _walk(exc.messages, data, [], located)
        findings = [
            Finding(
                file,
                line,
                f"{'.'.join(str(p) for p in path if p != '_schema') or 'file'}: {message}",
                code="schema",
                rule_id=rule_id,
            )
            for path, line, message in located
        ]
        return None, findings


class WholeNumber(fields.Integer):
    """An integer of a data file: 1.5 (and 2.0, "2", true) is refused, never truncated
    (review s32b F3; marshmallow's Integer without strict=True made 1.5 a 1)."""

    default_error_messages = {"invalid": "must be a whole number, got {input!r}"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)
