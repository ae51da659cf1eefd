"""A static bound on what evaluating a CEL condition costs, checked when it is compiled.

CEL has no unbounded loops, but bounded is not cheap: three nested `.all()` over literal lists
of 300, 300 and 100 elements take 9 million steps, seconds per evaluation (review s32b F1). The
estimate walks the expression once, never evaluates it, and counts:

* one step per literal, name, operator and call;
* a comprehension macro (`all`, `exists`, `exists_one`, `map`, `filter`) as the size of the
  range it iterates times (1 + the cost of its body), so nesting multiplies;
* `+` on lists or text as the sizes of both sides, `in` and the text functions (`contains`,
  `matches`: RE2, linear; `startsWith`, `endsWith`) as the size of what they scan;
* sizes: a list or map literal has its element count, text its length; a value grows through
  `+` and `.map()` (so `.map(a, a + a)` chained doubles at every step and is refused); a field
  of the context has the contract's maximum (`FIELD_SIZES`), any other value `DEFAULT_SIZE`.

A condition whose estimate is above `COST_LIMIT` is refused (finding code `expression_cost`).
Measured 0.05 to 0.08 µs a step (nested `.all()`, `exists` with `startsWith`): at the limit one
evaluation takes under 1 ms, and `rules lint`, which samples a condition 4,800 times, a few
seconds. The shipped conditions reach at most about
1,200 (a `products` condition: `'pregnancy' in product.tags`, the tags counted as 1,000), a
`when` one at most about 100.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from .vocabulary import ALLERGENS, CONDITIONS, GOALS, INPUT_UNITS, MEDICATIONS, NUTRIENT_KEYS

COST_LIMIT = 10_000
DEFAULT_SIZE = 1_000  # the longest list the contract accepts anywhere (events per request)
_TEXT = 64  # the contract's longest enum value or SKU

MACROS = {"all", "exists", "exists_one", "map", "filter"}
_SCANS = {"contains", "startsWith", "endsWith", "matches"}
_PREFIXES = {"startsWith", "endsWith"}  # compare only as much as the argument is long


@dataclass(frozen=True)
class Shape:
    """An upper bound on a value's length (elements, entries or characters) and, for a list or
    map, on its elements' shape (None: not known, `UNKNOWN`)."""

    size: int
    item: Shape | None = None

    @property
    def element(self) -> Shape:
        return self.item if self.item is not None else UNKNOWN


UNKNOWN = Shape(DEFAULT_SIZE)
SCALAR = Shape(1)
_WORDS = Shape(_TEXT)

# the contract's maxima for the fields of the context rule conditions see (context.py)
FIELD_SIZES: dict[str, Shape] = {
    "profile.allergies": Shape(len(ALLERGENS), _WORDS),
    "profile.medications": Shape(len(MEDICATIONS), _WORDS),
    "profile.conditions": Shape(len(CONDITIONS), _WORDS),
    "profile.goals": Shape(len(GOALS), _WORDS),
    "profile.higher_dose_advised": Shape(len(NUTRIENT_KEYS) + len(INPUT_UNITS), _WORDS),
    "intake": Shape(len(NUTRIENT_KEYS), _WORDS),
    "basket.skus": Shape(100, _WORDS),  # a basket has at most 100 lines
    "basket.categories": Shape(100, _WORDS),
    "product.nutrients": Shape(len(NUTRIENT_KEYS), _WORDS),
    "market": _WORDS,
    "season": _WORDS,
}
for _name in ("sex", "life_stage", "diet", "sun_exposure", "country"):
    FIELD_SIZES[f"profile.{_name}"] = _WORDS
for _name in ("sku", "name", "brand", "category", "form"):
    FIELD_SIZES[f"product.{_name}"] = Shape(200)  # a product name has at most 200 characters
for _name in ("profile.age", "profile.skin_type", "profile.serum_25ohd_nmol_l", "month"):
    FIELD_SIZES[_name] = SCALAR
for _name in ("price", "price_per_month", "min_age", "max_age", "vegan", "vegetarian", "in_stock"):
    FIELD_SIZES[f"product.{_name}"] = SCALAR


class CostUnknown(Exception):
    """The expression uses syntax the estimate does not know (it compiled, so CEL does)."""


_TOKEN = re.compile(
    r"""(?P<space>\s+|//[^\n]*)
    |(?P<string>(?:[bB][rR]?|[rR][bB]?)?(?:'''|\"\"\"|'|\"))
    |(?P<number>0[xX][0-9a-fA-F]+[uU]?|\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?|\d+[uU]?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%!<>?:.,()\[\]{}])""",
    re.VERBOSE,
)


def _tokens(source: str) -> list[tuple[str, str, int]]:
    """(kind, text, length): a string's length is its characters (an upper bound)."""
    out: list[tuple[str, str, int]] = []
    at = 0
    while at < len(source):
        match = _TOKEN.match(source, at)
        if match is None:
            raise CostUnknown(f"unexpected character at column {at + 1}")
        kind = match.lastgroup or ""
        if kind == "string":
            prefix = match.group().rstrip("'\"")
            quote = match.group()[len(prefix) :]
            end = at + len(match.group())
            raw = "r" in prefix.lower()
            while not source.startswith(quote, end):
                if end >= len(source):
                    raise CostUnknown("unterminated text")
                end += 2 if source[end] == "\\" and not raw else 1
            end += len(quote)
            out.append(("string", source[at:end], end - at))
            at = end
            continue
        if kind != "space":
            out.append((kind, match.group(), 1))
        at = match.end()
    return out


_BINARY = [
    ("||",),
    ("&&",),
    ("==", "!=", "<", "<=", ">", ">=", "in"),
    ("+", "-"),
    ("*", "/", "%"),
]


class _Estimate:
    """Recursive descent over CEL's grammar, giving (cost, shape) instead of a value."""

    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.at = 0
        self.scopes: list[dict[str, Shape]] = [{}]

    def peek(self, offset: int = 0) -> str:
        at = self.at + offset
        return self.tokens[at][1] if at < len(self.tokens) else ""

    def take(self, text: str | None = None) -> tuple[str, str, int]:
        if self.at >= len(self.tokens) or (text is not None and self.peek() != text):
            raise CostUnknown(f"expected {text or 'more'} at token {self.at + 1}")
        self.at += 1
        return self.tokens[self.at - 1]

    def run(self) -> int:
        cost, _ = self.expr()
        if self.at != len(self.tokens):
            raise CostUnknown(f"unexpected {self.peek()!r}")
        return cost

    def expr(self) -> tuple[int, Shape]:
        cost, shape = self.binary(0)
        if self.peek() == "?":
            self.take("?")
            yes_cost, yes = self.expr()
            self.take(":")
            no_cost, no = self.expr()
            return cost + yes_cost + no_cost + 1, _join(yes, no)
        return cost, shape

    def binary(self, level: int) -> tuple[int, Shape]:
        if level == len(_BINARY):
            return self.unary()
        cost, shape = self.binary(level + 1)
        while self.peek() in _BINARY[level] and self.tokens[self.at][0] != "string":
            operator = self.take()[1]
            right_cost, right = self.binary(level + 1)
            cost += right_cost + 1
            if operator == "+":
                cost += shape.size + right.size
                shape = Shape(shape.size + right.size, _join(shape.element, right.element))
            elif operator == "in":
                cost += right.size
                shape = SCALAR
            else:
                shape = SCALAR
        return cost, shape

    def unary(self) -> tuple[int, Shape]:
        signs = 0
        while self.peek() in ("!", "-"):
            self.take()
            signs += 1
        cost, shape = self.member()
        return cost + signs, shape

    def member(self) -> tuple[int, Shape]:
        cost, shape, path = self.primary()
        while self.peek() in (".", "["):
            if self.take()[1] == "[":
                index_cost, _ = self.expr()
                self.take("]")
                cost, shape, path = cost + index_cost + 1, shape.element, None
                continue
            name = self.take()[1]
            if self.peek() != "(":
                path = f"{path}.{name}" if path else None
                # a key of a map the table knows (intake.vitamin_d_ug) has the map's element
                shape = FIELD_SIZES.get(path or "", shape.element if shape.item else UNKNOWN)
                cost += 1
                continue
            if name in MACROS:
                cost, shape = self.macro(name, cost, shape)
            else:
                args_cost, args = self.arguments()
                cost += args_cost + 1
                if name in _SCANS:
                    cost += sum(a.size for a in args) + (0 if name in _PREFIXES else shape.size)
                shape = SCALAR if name in _SCANS or name == "size" else UNKNOWN
            path = None
        return cost, shape

    def macro(self, name: str, cost: int, range_: Shape) -> tuple[int, Shape]:
        self.take("(")
        variable = self.take()[1]
        self.scopes.append({variable: range_.element})
        body_cost, body = 0, SCALAR
        while self.peek() == ",":
            self.take(",")
            part_cost, body = self.expr()
            body_cost += part_cost
        self.scopes.pop()
        self.take(")")
        cost += range_.size * (1 + body_cost) + 1
        if name == "map":
            return cost, Shape(range_.size, body)
        if name == "filter":
            return cost, range_
        return cost, SCALAR

    def arguments(self) -> tuple[int, list[Shape]]:
        self.take("(")
        cost, shapes = 0, list[Shape]()
        while self.peek() != ")":
            part_cost, shape = self.expr()
            cost += part_cost
            shapes.append(shape)
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        return cost, shapes

    def items(self, close: str) -> tuple[int, int, Shape]:
        """A list or map literal: (cost, entries, the largest value's shape)."""
        cost, count, largest = 1, 0, SCALAR
        while self.peek() != close:
            part_cost, shape = self.expr()
            if self.peek() == ":":
                self.take(":")
                part_cost, shape = self.expr()
            cost, count, largest = cost + part_cost, count + 1, _join(largest, shape)
            if self.peek() == ",":
                self.take(",")
        self.take(close)
        return cost, count, largest

    def primary(self) -> tuple[int, Shape, str | None]:
        kind, text, length = self.take()
        if kind == "string":
            return 1, Shape(length), None
        if kind == "number":
            return 1, SCALAR, None
        if text == "(":
            cost, shape = self.expr()
            self.take(")")
            return cost, shape, None
        if text in ("[", "{"):
            cost, count, largest = self.items("]" if text == "[" else "}")
            return cost, Shape(max(count, 1), largest), None
        if kind == "name":
            if self.peek() == "(":  # a function: has(), size(), int(), ...
                args_cost, args = self.arguments()
                return args_cost + 1, SCALAR if text in ("has", "size") else UNKNOWN, None
            for scope in reversed(self.scopes):
                if text in scope:
                    return 1, scope[text], None
            return 1, FIELD_SIZES.get(text, UNKNOWN), text
        raise CostUnknown(f"unexpected {text!r}")


def _join(one: Shape, other: Shape) -> Shape:
    """The larger of two shapes (either branch of a ternary, any element of a list)."""
    if one.item is None and other.item is None:
        return Shape(max(one.size, other.size))
    return Shape(max(one.size, other.size), _join(one.element, other.element))


def estimate_cost(source: str) -> int:
    """The estimated number of evaluation steps (see the module docstring); raises
    CostUnknown for syntax the estimate does not know."""
    try:
        return _Estimate(source).run()
    except RecursionError:
        pass
    # CEL itself refuses nesting past about 100 levels, each about 10 frames here: called deep
    # in a request or a test the default limit may be short, so try once more with room
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + 4_000)
    try:
        return _Estimate(source).run()
    except RecursionError:
        raise CostUnknown("nested too deeply to estimate") from None
    finally:
        sys.setrecursionlimit(limit)
