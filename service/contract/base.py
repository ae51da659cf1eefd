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
