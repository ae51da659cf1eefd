"""The contract's building blocks: strict request schemas (unknown fields are an error),
response schemas open to extension, and JSON-exact field types."""

from __future__ import annotations

from typing import Any

from marshmallow import (
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


class StrictNumber(fields.Float):
    """A JSON number: refuses strings ("50") and booleans."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


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


class Country(validate.Validator):
    """A real country (rules/reference/markets.yaml `countries`); the error names the markets
    served (its `served`), so a typo such as ZZ is told what the shop knows."""

    def __call__(self, value: str) -> str:
        problem = markets().problem(value)
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
