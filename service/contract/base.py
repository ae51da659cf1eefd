"""The contract's building blocks: strict request schemas (unknown fields are an error),
response schemas open to extension, and JSON-exact field types."""

from __future__ import annotations

import unicodedata
from typing import Any

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
)

from ..core.markets import markets

MAX_AMOUNT = 10_000_000.0  # per day, in the key's unit: larger is a typo, not a supplement


class ResponseSchema(Schema):
    """Responses may carry more than the contract lists (it says: extend freely), so the
    OpenAPI document allows additional properties on every response object."""

    class Meta:
        unknown = INCLUDE


class StrictSchema(Schema):
    """Unknown fields are an error: a typo such as `allergy` must not silently drop a filter."""

    class Meta:
        unknown = RAISE


class StrictQuerySchema(StrictSchema):
    """Query parameters (review s4 R12): an unknown name is refused, not ignored (`contry=DE`
    dropped the market), and so is a parameter given twice where one value is expected (the
    second `basket` was dropped). Routes pass `unknown=RAISE` to webargs, whose default for the
    query is to exclude."""

    @pre_load
    def _each_once(self, data: Any, **_: Any) -> Any:
        getlist = getattr(data, "getlist", None)  # webargs' proxy of the query's MultiDict
        if getlist is not None:
            repeated = {k: ["given more than once"] for k in set(data) if len(getlist(k)) > 1}
            if repeated:
                raise ValidationError(repeated)
        return data


class RunQuerySchema(StrictQuerySchema):
    """The progress GETs of the batch jobs: `?run_id=` of a run, else the latest; anything
    else, or run_id twice, is refused (review s39b F6: ignored before)."""

    run_id = fields.String(validate=validate.Length(min=1, max=200))


class TolerantQuerySchema(Schema):
    """Query parameters of the catalog GETs: one of the schema's given twice is refused, as
    StrictQuerySchema refuses it (review 19 F10: `category=vitamin_d&category=omega3` served the
    first, silently). An unknown name is excluded here, but the product GETs load with
    `unknown=RAISE` and refuse it (session 18 review F3: `?categroy=iron` served the whole
    catalog; service/api/products.py)."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _known_once(self, data: Any, **_: Any) -> Any:
        getlist = getattr(data, "getlist", None)
        if getlist is not None:
            repeated = {
                k: ["given more than once"]
                for k in set(data)
                if k in self.fields and len(getlist(k)) > 1
            }
            if repeated:
                raise ValidationError(repeated)
        return data


class StrictInteger(fields.Integer):
    """A JSON integer: refuses strings, booleans, fractions and numbers too large to be one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:
            raise self.make_error("invalid") from None


class QueryInteger(fields.Integer):
    """An integer of a query string: ASCII digits only. Python's int() also reads "+5", " 5"
    and full-width or other scripts' digits ("９"), which no shop sends (review 20a)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        digits = value[1:] if isinstance(value, str) and value.startswith("-") else value
        if isinstance(value, str) and not (digits.isascii() and digits.isdigit()):
            raise self.make_error("invalid")  # "-1" passes on to the range's own message
        return super()._deserialize(value, attr, data, **kwargs)


class StrictNumber(fields.Float):
    """A JSON number: refuses strings ("50") and booleans."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class NutrientMap(fields.Dict):
    """A request's map of nutrient key -> amount (a label line's `nutrients`,
    `higher_dose_advised`). marshmallow's Dict nests an entry's errors under "key" and "value",
    so the contract's `fields` said `...nutrients.vitamin_d_ug.value`, which is no field of the
    request (review 22 F11): an entry's errors are its key's, as the core's "unknown nutrient
    key" is (`...nutrients.vitamin_q`)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as exc:
            if not isinstance(exc.messages, dict):
                raise
            entries = {
                key: [m for part in ("key", "value") for m in parts.get(part, [])]
                for key, parts in exc.messages.items()
            }
            raise ValidationError(entries, valid_data=exc.valid_data) from None


class StrictBoolean(fields.Boolean):
    """A JSON true or false: 0, 1, "true" are refused (1 == True in Python, so a set of truthy
    values would let 1 through)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class FullMatch(validate.Regexp):
    """A pattern the whole value must match: `$` alone lets "NL\n" through. OpenAPI shows the
    pattern as given (where `$` means the end, as in JSON Schema)."""

    def __call__(self, value: str) -> str:  # type: ignore[override]  # str patterns only
        if self.regex.fullmatch(value) is None:  # type: ignore[call-overload]
            raise ValidationError(self._format_error(value))
        return value


# review s33b F6: marshmallow's "String does not match expected pattern." beside the country's
# own message for a fullwidth "ＮＬ"
TWO_LETTERS = "two letters A-Z, such as NL or DE"


class Country(validate.Validator):
    """A real country (rules/reference/markets.yaml `countries`); the error names the markets
    served (its `served`), so a typo such as ZZ is told what the shop knows."""

    def __call__(self, value: str) -> str:
        problem = markets().problem(value)
        if problem is not None:
            raise ValidationError(problem)
        return value


MAX_CUSTOMER_ID = 128


def customer_id_problem(customer_id: str) -> str | None:
    """Why a customer id is refused (None: fine). The one rule for every endpoint and event:
    1 to 128 characters, no leading or trailing whitespace, no control, format (bidi, zero-width),
    unassigned or separator characters (the ASCII space inside an id is fine), so that one
    customer never becomes two ids ("c-1" and "c-1 "); no "/" and not "." or ".." (review
    s31b H3: such an id was taken in events and in POST /v1/recommendations while no path
    `/v1/customers/{id}` reaches it, so its data could not be erased)."""
    if not customer_id or len(customer_id) > MAX_CUSTOMER_ID:
        return f"1 to {MAX_CUSTOMER_ID} characters"
    if customer_id != customer_id.strip():
        return "no leading or trailing whitespace"
    if not customer_id.isprintable():  # Unicode's "other" and separators but the space
        return "no control, format (bidi, zero-width) or separator characters"
    if "/" in customer_id or customer_id in (".", ".."):
        return "no '/' and not '.' or '..': the id must fit in the path /v1/customers/{id}"
    if not customer_id.isascii() and not unicodedata.is_normalized("NFC", customer_id):
        # review s34b F6: "café" typed on two systems (é, or e and U+0301) was two customers
        return "in Unicode NFC form (é as one character, not e + U+0301): one customer, one id"
    return None


# what a text shown to customers may not hold: control characters but the tab, line and
# paragraph separators, private use and surrogates, and the bidi controls (review 16 F9); the
# other format characters stay (ZWJ and ZWNJ of emoji sequences and Persian or Indic script,
# the soft hyphen, tag flags, variation selectors: review 17), as do unassigned code points
# (newer emoji than the interpreter's Unicode database)
_NOT_SHOWN = frozenset({"Cc", "Zl", "Zp", "Co", "Cs"})
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


class ShownText(validate.Validator):
    """A text the answers echo to the customer (a label of a product not in the catalog): no
    control characters but the tab, no line separators, no bidi controls (review 16 F9: a label
    with a right-to-left override and a newline was pasted into the intake check's suggestion,
    where the override reverses the rest of the line as shown). Spaces of any kind, signs,
    emoji and every script stay fine."""

    def __call__(self, value: str) -> str:
        for ch in value:
            if ch in _BIDI_CONTROLS or (ch != "\t" and unicodedata.category(ch) in _NOT_SHOWN):
                raise ValidationError(
                    "no control characters, line separators or bidi controls (U+202E and the "
                    "like): a label is shown back in texts"
                )
        return value


class CustomerId(validate.Validator):
    """`customer_id` of an event: the rule of customer_id_problem."""

    def __call__(self, value: str) -> str:
        problem = customer_id_problem(value)
        if problem is not None:
            raise ValidationError(problem)
        return value


def _enum_list(values: tuple[str, ...]) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(values)),
        load_default=list,
        validate=validate.Length(max=len(values)),
    )


NOT_UNICODE = "not valid Unicode: a lone UTF-16 surrogate (\\ud800-\\udfff) is no character"


# first bytes of a body that is not plain UTF-8 JSON text: a BOM (EF, FE, FF) or the zero
# byte of UTF-16/32 big-endian (a little-endian one starts with `{`: its zero second byte tells)
_NOT_ASCII_START = (b"\xef", b"\xfe", b"\xff", b"\x00")


def not_plain_utf8(data: bytes) -> bool:
    """A body with a byte order mark, or UTF-16 or UTF-32 (review s5 S11): the Flask hook
    (api/app.py) strips a UTF-8 BOM and refuses the others; the fast path leaves both to it."""
    return data[:1] in _NOT_ASCII_START or data[1:2] == b"\x00"


def content_coding(header: str) -> str | None:
    """The codings of a request's `Content-Encoding` other than `identity`, or None when the
    body is sent as it is. Session 18 review F4: a gzip body was read as JSON text ("'utf-8'
    codec can't decode byte 0x8b", 400) and `br` on plain JSON was answered as if absent;
    the Flask hook (api/app.py) refuses any coding with 415, the fast path leaves it to it."""
    codings = [c.strip() for c in header.split(",") if c.strip()]
    kept = [c for c in codings if c.lower() != "identity"]
    return ", ".join(kept) if kept else None


def lone_surrogates(body: Any, prefix: str = "") -> dict[str, list[str]]:
    """Where a request body holds a string (a value or a key) that is not a sequence of Unicode
    scalar values: JSON may escape a lone surrogate (`"\\ud800"`), Python's JSON reader accepts
    it, and echoing or storing it failed with a 500 (review s4 R1: the intake check's label, an
    event's customer id in Redis). The contract's `fields` of each, to refuse with 422; every
    JSON body is checked once, before any schema, so no string field can miss it."""
    out: dict[str, list[str]] = {}
    if isinstance(body, str):
        if not body.isascii():
            try:
                body.encode("utf-8")
            except UnicodeEncodeError:
                out[prefix or "_body"] = [NOT_UNICODE]
    elif isinstance(body, dict):
        for key, value in body.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if lone_surrogates(key):
                name = f"{prefix}.{key.encode('utf-8', 'backslashreplace').decode()}".lstrip(".")
                out[name] = [f"the key is {NOT_UNICODE}"]
            else:
                out.update(lone_surrogates(value, name))
    elif isinstance(body, list):
        for i, value in enumerate(body):
            out.update(lone_surrogates(value, f"{prefix}.{i}" if prefix else str(i)))
    return out


def utf8_charset(charset: str | None) -> bool:
    """A Content-Type's `charset` that JSON may have: none, or UTF-8 (RFC 8259 8.1; review s27
    F5: a body declared latin-1 was read as UTF-8)."""
    return charset is None or charset.strip().lower() in ("utf-8", "utf8")
