"""Numbers in texts, said once: Dutch and German readers write a decimal comma ("2,5 µg",
"0,40 EUR"), English readers a decimal point. Every text function passes its values through
`localized` where they enter the text, so a new text gets this for free; code that builds a
number into a string itself (a price with two decimals) calls `format_number`.

Only human text changes: amounts and prices in the JSON fields stay numbers. No thousands
separator (no text needs one); whole numbers print as they are ("25", not "25,0")."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

DECIMAL_COMMA = frozenset({"nl", "de"})  # every other locale (en) keeps the decimal point


def format_number(value: Real | float, locale: str, decimals: int | None = None) -> str:
    """`value` as a reader of `locale` writes it: with `decimals` fixed digits, else as Python
    prints it (callers round first, amounts.rounded); a decimal comma for nl and de."""
    text = format(value, f".{decimals}f" if decimals is not None else "")
    return text.replace(".", ",") if locale in DECIMAL_COMMA else text


def variant(texts: Mapping[str, Any], key: str, name: str) -> str:
    """`<key>.<name>` where `texts` give words of their own for it (a life stage's, a baby's),
    else `key`: the one rule of every text store (texts.yaml, product_maxima.yaml and
    food_intake.yaml texts)."""
    own = f"{key}.{name}"
    return own if own in texts else key


def localized(values: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """The placeholders of a text with every non-whole number written for `locale`; strings
    (names, SKUs, dates, already formatted prices) and whole numbers stay as they are, and in
    a decimal-point locale nothing changes at all."""
    if locale not in DECIMAL_COMMA:
        return dict(values)
    return {k: format_number(v, locale) if _decimal(v) else v for k, v in values.items()}


def _decimal(value: Any) -> bool:
    """`isinstance(value, Real) and not isinstance(value, Integral)`, the usual exact types
    answered without the ABCs' checks (a text's dozens of values, issue 16)."""
    kind = type(value)
    if kind is float:
        return True
    if kind is int or kind is str or kind is bool:
        return False
    return isinstance(value, Real) and not isinstance(value, Integral)
