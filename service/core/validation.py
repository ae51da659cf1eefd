"""Validate YAML data with a marshmallow schema and report each error at its line."""

from __future__ import annotations

import datetime as dt
import numbers
import re
import unicodedata
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from .errors import Finding
from .vocabulary import LOCALES
from .yamlfile import LineDict, LineList, line_of

# what a shown text of a data file may not hold (review s32b F4), as contract.base.ShownText for
# a label of a request: control characters (C0 but the tab and the newline, DEL, C1), line and
# paragraph separators, private use, surrogates, and the bidi controls (an override U+202E or
# an isolate U+2066 reverses or reorders what follows it on the page). The newline stays: a
# YAML block scalar (`|`, `>`) gives one, and it shows as a space or a line break.
# Cf: format characters (zero-width space and joiner, soft hyphen, word joiner, BOM) are not
# shown, and hid a disease claim from its patterns: "pre\u200dvents osteo\u200dporosis"
# (review s33b F2)
_NOT_SHOWN = frozenset({"Cc", "Zl", "Zp", "Co", "Cs", "Cf"})
# ... and the other code points Unicode calls default-ignorable (not shown, whatever their
# category): the combining grapheme joiner U+034F and the variation selectors hid it as well
# (review s33c 1). DerivedCoreProperties.txt, Default_Ignorable_Code_Point, outside Cf
_IGNORABLE = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0000, 0xE0FFF),
)


def invisible(char: str) -> bool:
    """A character that is not shown: a format character (Cf) or another default-ignorable
    code point."""
    if unicodedata.category(char) == "Cf":
        return True
    point = ord(char)
    return any(low <= point <= high for low, high in _IGNORABLE)


_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def text_problem(text: str) -> str | None:
    """Why a text of a data file cannot be shown, else None: blank or only whitespace (it
    counts as missing: a blank `en` reason left English customers without the rule's items),
    or a character of _NOT_SHOWN or _BIDI_CONTROLS, named by its code point."""
    if not text.strip():
        return "blank text"
    for char in text:
        if " " <= char <= "~" or char in "\t\n":  # printable ASCII: most of every text
            continue
        if char in _BIDI_CONTROLS:
            return f"bidi control character U+{ord(char):04X} in text"
        if invisible(char):
            return f"format character U+{ord(char):04X} in text"
        if unicodedata.category(char) in _NOT_SHOWN:
            return f"control character U+{ord(char):04X} in text"
    return None


def _refuse_bad_text(text: str) -> bool:
    problem = text_problem(text)
    if problem:
        raise ValidationError(problem)
    return True


class Text(fields.String):
    """A text of a data file that is shown: not blank, no control or bidi characters."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=_refuse_bad_text, **kwargs)


class Localized(fields.Dict):
    """A text per locale ({nl, de, en}), each a `Text`; the one helper of every data file
    (catalog, rules, reference, placements, refills), so each refuses the same texts."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            keys=fields.String(validate=validate.OneOf(LOCALES)), values=Text(), **kwargs
        )


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


class Number(fields.Float):
    """A number of a data file: a quoted "0.2" (or "0,2", true) is refused, never read as one
    (review s34b F8: marshmallow's Float took `weight: "0.2"` without a finding)."""

    default_error_messages = {"invalid": "must be a number, got {input!r}"}

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)  # type: ignore[no-any-return]


class Flag(fields.Boolean):
    """true or false in a data file: "no", "yes", 0 or 1 are refused (review s34b F8: marshmallow's
    Boolean read `enabled: "no"` as false and `"false "` as an error of another kind)."""

    default_error_messages = {"invalid": "must be true or false, got {input!r}"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)  # not "2026-W49-1" (review s34c 8)


class Day(fields.Date):
    """A date of a data file (YYYY-MM-DD): a date with a time is refused (review s34b F3: YAML
    reads an unquoted `2026-12-01 09:00:00` as a datetime, which marshmallow's Date passed on,
    and comparing it with the day raised on every request)."""

    default_error_messages = {
        "invalid": "must be a date without a time (YYYY-MM-DD), got {input!r}",
        "format": "must be a date without a time (YYYY-MM-DD), got {input!r}",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, dt.datetime) or (isinstance(value, str) and not _DAY.match(value)):
            raise self.make_error("invalid", input=str(value))
        if isinstance(value, dt.date):
            return value
        return super()._deserialize(value, attr, data, **kwargs)


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
            if key == "value" and not (isinstance(node, LineDict) and key in node):
                # marshmallow's error of a Dict's value: the path is the entry's key alone
                # ("reason.en", not "reason.en.value"; review s32b F4)
                _walk(sub, node, path, out, line)
                continue
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
