"""Each line's place in the request, where the core numbers lines otherwise.

The same SKU twice in a list without `servings_per_day` is two packs and counts once, at its
first place (schemas.Lines): the core numbers the lines it keeps, so its `basket.2` can be the
request's `basket.3`. What the intake check answers with a line's place (a suggestion's `line`,
a 422's field) is given back in the request's numbering (review 24 F4: "reduce basket.1" named
the second 10 µg pack, not the 75 µg tablet at 2 a day)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..core.errors import InvalidInput

LISTS = (("basket",), ("profile", "current_supplements"))


class PlacedLines(list):  # type: ignore[type-arg]
    """The lines kept, with `places`: each one's index in the request."""

    def __init__(self, lines: Iterable[Any], places: Iterable[int]) -> None:
        super().__init__(lines)
        self.places = list(places)


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


def suggestion_in_request(suggestion: dict | None, places: dict[str, str]) -> dict | None:
    """The suggestion with `line` of itself and of each change in the request's numbering."""
    if not suggestion or not places:
        return suggestion
    out = {**suggestion}
    if "line" in out:
        out["line"] = in_request(out["line"], places)
    out["changes"] = [
        {**c, "line": in_request(c["line"], places)} if "line" in c else c
        for c in out.get("changes", [])
    ]
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
    answer["suggestion"] = suggestion_in_request(answer.get("suggestion"), places)
    return answer
