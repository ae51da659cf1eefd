"""The lines of a request (Lines: current supplements, basket) and each one's place in it.

The same SKU twice in a list without `servings_per_day` is two packs and counts once, at its
first place (schemas.Lines): the core numbers the lines it keeps, so its `basket.2` can be the
request's `basket.3`. What the intake check answers with a line's place (a suggestion's `line`,
a 422's field) is given back in the request's numbering (review 24 F4: "reduce basket.1" named
the second 10 µg pack, not the 75 µg tablet at 2 a day)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from marshmallow import ValidationError, fields, validate

from ..core.errors import InvalidInput

LISTS = (("basket",), ("profile", "current_supplements"))


class PlacedLines(list):  # type: ignore[type-arg]
    """The lines kept, with `places`: each one's index in the request, and `repeats`: per kept
    line, the request's places of the same SKU's further packs (counted once)."""

    def __init__(
        self,
        lines: Iterable[Any],
        places: Iterable[int],
        repeats: dict[int, list[int]] | None = None,
    ) -> None:
        super().__init__(lines)
        self.places = list(places)
        self.repeats = dict(repeats or {})


def basket_repeats(body: dict[str, Any]) -> dict[str, list[str]]:
    """{the core's basket path: the request's paths of the same SKU's further packs}."""
    repeats = getattr(body.get("basket"), "repeats", {})
    return {f"basket.{i}": [f"basket.{r}" for r in more] for i, more in repeats.items()}


def request_places(body: dict[str, Any]) -> dict[str, str]:
    """{the core's path: the request's} for every line whose place differs."""
    out = {}
    for keys in LISTS:
        lines: Any = body
        for key in keys:
            lines = lines.get(key) if isinstance(lines, dict) else None
        prefix = ".".join(keys)
        for i, place in enumerate(getattr(lines, "places", ())):
            if i != place:
                out[f"{prefix}.{i}"] = f"{prefix}.{place}"
    return out


def in_request(path: str, places: dict[str, str]) -> str:
    """`path` (`basket.1`, `basket.1.nutrients.x`) in the request's numbering."""
    for core, given in places.items():
        if path == core or path.startswith(core + "."):
            return given + path[len(core) :]
    return path


def suggestion_in_request(
    suggestion: dict | None, places: dict[str, str], repeats: dict[str, list[str]] | None = None
) -> dict | None:
    """The suggestion with `line` of itself and of each change in the request's numbering; a
    change of a line whose SKU the request repeats (further packs, counted once) also removes
    those repeats, or the product stays in the basket (review 25 F3: a fish allergy's second
    pack of fish oil), and a reduced line beside its repeat is a 422."""
    if not suggestion or not (places or repeats):
        return suggestion
    out = {**suggestion}
    if "line" in out:
        out["line"] = in_request(out["line"], places)
    changes = []
    for c in out.get("changes", []):
        if "line" not in c:
            changes.append(c)
            continue
        changes.append({**c, "line": in_request(c["line"], places)})
        changes += [
            {**c, "code": "remove", "servings_per_day": 0, "line": path}
            for path in (repeats or {}).get(c["line"], [])
        ]
    out["changes"] = changes
    return out


def checked_in_request(check: Callable[[dict], dict], body: dict[str, Any]) -> dict[str, Any]:
    """`check(body)` (Recommender.check_intake) with its lines in the request's numbering:
    the suggestion's and a 422's (POST /v1/intake/check and `dosewise check-intake`)."""
    places = request_places(body)
    try:
        answer = check(body)
    except InvalidInput as exc:
        exc.fields = {in_request(path, places): why for path, why in exc.fields.items()}
        raise
    answer["suggestion"] = suggestion_in_request(
        answer.get("suggestion"), places, basket_repeats(body)
    )
    return answer


class Lines(fields.List):
    """A list of Line (current supplements, basket). Review s4 R15c: the same SKU twice is two
    packs, not two servings a day: lines without `servings_per_day` are counted once; when either
    gives `servings_per_day` the list is refused (422 on the repeated line: give the SKU once)."""

    def __init__(self, max_lines: int, **kwargs: Any) -> None:
        self.max_lines = max_lines
        super().__init__(
            fields.Nested("LineSchema"),  # schemas.py's, by marshmallow's class registry
            load_default=list,
            validate=validate.Length(max=max_lines),
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        lines: list[Any] = super()._deserialize(value, attr, data, **kwargs) or []
        if len(lines) > self.max_lines:  # counted before repeated SKUs are merged
            raise ValidationError(f"Longer than maximum length {self.max_lines}.")
        first: dict[str, int] = {}
        repeats: dict[int, list[int]] = {}
        out, places, errors = [], [], {}
        for i, line in enumerate(lines):
            sku = line.get("sku")
            if sku is None or sku not in first:
                if sku is not None:
                    first[sku] = i
                out.append(line)
                places.append(i)
            elif "servings_per_day" in line or "servings_per_day" in lines[first[sku]]:
                errors[i] = {
                    "sku": [
                        f"{sku} is already line {first[sku]}: give each SKU once, with "
                        "servings_per_day for how many a day"
                    ]
                }
            else:  # a second pack: counted once, changed with the first (review 25 F3)
                repeats.setdefault(places.index(first[sku]), []).append(i)
        if errors:
            raise ValidationError(errors)
        return PlacedLines(out, places, repeats)  # places in the request (review 24 F4)
