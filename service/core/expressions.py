"""CEL expressions for rule conditions: compiled once, checked at load, evaluated many times.

Never Python eval: CEL (via the `common-expression-language` package) has no side effects,
no loops without bounds and no access to anything but the context it is given.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import cel

from .errors import Finding
from .expression_cost import COST_LIMIT, CostUnknown, estimate_cost

T = TypeVar("T")

_POSITION = re.compile(r"<input>:(\d+):(\d+):\s*(.*?)(?:\n|$)")


class ExpressionError(Exception):
    """An expression failed while being evaluated (unknown field, wrong types)."""


@dataclass(frozen=True)
class Expression:
    source: str
    program: Any

    def evaluate(self, context: Any) -> Any:
        """The value; any error of the evaluation is an ExpressionError (the CEL package also
        raises IndexError, ZeroDivisionError, OverflowError: session 18 review F1)."""
        try:
            return self.program.execute(context)
        except KeyError as exc:
            raise ExpressionError(f"unknown field {exc.args[0]!r}") from None
        except Exception as exc:  # noqa: BLE001 - whatever CEL raises is the rule's error
            raise ExpressionError(str(exc).split("\n")[0] or type(exc).__name__) from None

    def holds(self, context: Any) -> bool:
        """True when the condition gives true; a missing optional field, or any error of the
        evaluation for this context (`basket.skus[0]` with an empty basket, `100 / profile.age`
        at age 0), counts as false: a rule never turns a request into a 5xx (session 18
        review F1)."""
        try:
            return self.program.execute(context) is True
        except Exception:  # noqa: BLE001 - see above
            return False


def holding(
    items: Sequence[T],
    expressions: Sequence[Expression],
    context: Any,
    failed: list[tuple[T, str]] | None = None,
) -> list[T]:
    """The items whose expression (the same position in `expressions`) holds for `context`:
    `[x for x, e in zip(items, expressions) if e.holds(context)]`, each evaluated as
    `Expression.holds` does, without a Python call per expression (a profile evaluates about
    65 rule and target conditions: the calls were a share of the evaluation, issue 16).
    `failed`, when given, receives each item whose expression raised, with the error (the
    caller decides what an error means for it: rule_match.matched_rules)."""
    out = []
    for item, expression in zip(items, expressions, strict=True):
        try:
            if expression.program.execute(context) is True:
                out.append(item)
        except Exception as exc:  # noqa: BLE001 - as Expression.holds: an error is false
            if failed is not None:
                failed.append((item, str(exc).split("\n")[0] or type(exc).__name__))
    return out


def compile_expression(
    source: Any,
    file: str,
    line: int,
    column: int = 1,
    rule_id: str | None = None,
    locate: Callable[[int, int], tuple[int, int]] | None = None,
) -> tuple[Expression | None, list[Finding]]:
    """Compile CEL text; a syntax error is reported at its place in the file. `locate` maps a
    (line, column) inside the expression text to the file (see LineDict.locate_in_value)."""
    if not isinstance(source, str) or not source.strip():
        return None, [
            Finding(
                file,
                line,
                "expression must be non-empty text",
                column,
                code="expression",
                rule_id=rule_id,
            )
        ]
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError, TypeError) as exc:
        text = str(exc)
        match = _POSITION.search(text)
        if match:
            expr_line, expr_col, reason = int(match[1]), int(match[2]), match[3]
            if locate is not None:
                at_line, at_col = locate(expr_line, expr_col)
            else:
                at_line = line + expr_line - 1
                at_col = column + expr_col - 1 if expr_line == 1 else expr_col
            message = f"syntax error: {reason}"
        else:
            at_line, at_col, message = line, column, f"syntax error: {text.splitlines()[0]}"
        return None, [Finding(file, at_line, message, at_col, code="expression", rule_id=rule_id)]
    problem = cost_problem(source)
    if problem is not None:
        return None, [
            Finding(
                file,
                line,
                problem,
                column,
                code="expression_cost",
                rule_id=rule_id,
                hint="nest fewer macros (all, exists, map, filter) or iterate shorter lists",
            )
        ]
    return Expression(source, program), []


def cost_problem(source: str) -> str | None:
    """Why a condition is too costly to evaluate on every request, or None (review s32b F1:
    three nested `.all()` over literal lists took seconds; see expression_cost.py). Checked
    before any evaluation, so `rules check`, `rules lint` and every reload refuse it at once."""
    try:
        cost = estimate_cost(source)
    except CostUnknown as exc:
        return f"cannot estimate the cost of this condition ({exc}); write it more simply"
    if cost > COST_LIMIT:
        return (
            f"too costly to evaluate: about {cost:,} steps, above the limit of {COST_LIMIT:,} "
            "(a macro costs the length of the list it goes over times its body, so nesting "
            "multiplies)"
        )
    return None


def check_condition(
    expression: Expression,
    probes: list[tuple[dict, Any]],
    file: str,
    line: int,
    rule_id: str,
    what: str,
) -> list[Finding]:
    """Evaluate on sample contexts (each as a dict and compiled): unknown fields and
    non-boolean results are errors.

    The first probe sets every optional field, so an unknown field there is a typo; on the
    others a missing optional field only means the condition does not match.
    """
    for index, (context, compiled) in enumerate(probes):
        try:
            value = expression.evaluate(compiled)
        except ExpressionError as exc:
            if index > 0 and "unknown field" in str(exc):
                if unguarded := _unguarded(str(exc)):
                    return [
                        Finding(
                            file,
                            line,
                            f"{what} condition: {unguarded}",
                            code="expression",
                            rule_id=rule_id,
                        )
                    ]
                continue
            return [
                Finding(
                    file,
                    line,
                    f"{what} condition: "
                    + explain_evaluation_error(exc, context, expression.source),
                    code="expression",
                    rule_id=rule_id,
                )
            ]
        if not isinstance(value, bool):
            return [
                Finding(
                    file,
                    line,
                    f"{what} condition must give true or false, gave {type(value).__name__}",
                    code="expression",
                    rule_id=rule_id,
                )
            ]
    return []


def explain_evaluation_error(
    error: ExpressionError, known: dict[str, Any], source: str = ""
) -> str:
    """Turn an evaluation error into a message with a 'did you mean' where one helps; the
    fields listed are those of the object the condition reads it on (`profile.shoe_size`: the
    profile's), where `source` shows which (review s32b F10: a flat mix of every level)."""
    message = str(error)
    match = re.match(r"unknown field '([^']+)'", message)
    if match:
        names = sorted(_all_keys(known))
        parent = _parent(known, source, match[1])
        fields = parent[1] if parent else []
        close = difflib.get_close_matches(match[1], fields or names, n=1)
        close = close or difflib.get_close_matches(match[1], names, n=1)
        if close:
            return f"{message}; did you mean {close[0]!r}?"
        if parent is not None:
            return f"{message}; {parent[0]} has: {', '.join(fields)}"
        return f"{message}; known fields: {', '.join(names[:40])}"
    return message


def _parent(known: dict[str, Any], source: str, field: str) -> tuple[str, list[str]] | None:
    """(path, its field names) of the object `source` reads `field` on, where `known` has it."""
    for found in re.finditer(rf"([A-Za-z_][\w.]*)\.{re.escape(field)}\b", source):
        value: Any = known
        for part in found[1].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, dict) and value:
            return found[1], sorted(str(k) for k in value)
    return None


def _all_keys(value: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            keys.add(str(key))
            keys |= _all_keys(sub)
    return keys


# The scalar fields of `profile` present only when the request gives them (Profile.
# expression_view); higher_dose_advised is context.guard_optional_keys's
OPTIONAL_FIELDS = ("skin_type", "serum_25ohd_nmol_l")
_UNKNOWN = re.compile(r"unknown field '([^']+)'")


def _unguarded(message: str) -> str | None:
    """The finding for a condition that fails on a profile without an optional field (review
    s33b F3: `!(profile.serum_25ohd_nmol_l > 125.0)` passed lint and then never held for the
    many customers who give no serum level), else None (a missing field of another kind only
    means the condition does not match)."""
    name = _UNKNOWN.search(message)
    if name is None or name[1] not in OPTIONAL_FIELDS:
        return None
    path = f"profile.{name[1]}"
    return (
        f"{path} is only present when the request gives it, and the condition fails without "
        f"it; guard it: has({path}) && ..."
    )
