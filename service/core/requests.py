"""Requests the core answers, built from already-validated dicts (web, CLI and workers alike)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .profile import Line, Profile, labelled_lines
from .vocabulary import DEFAULT_LOCALE


@dataclass(frozen=True)
class RecommendationRequest:
    profile: Profile
    basket: tuple[Line, ...] = ()
    limit: int = 5
    locale: str = DEFAULT_LOCALE
    exclude_skus: tuple[str, ...] = ()
    category: str | None = None
    explain: bool = False
    jurisdiction: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecommendationRequest:
        return cls(
            profile=Profile.from_dict(data["profile"]),
            basket=tuple(Line.from_dict(x) for x in data.get("basket") or ()),
            limit=int(data.get("limit", 5)),
            locale=data.get("locale", DEFAULT_LOCALE),
            exclude_skus=tuple(data.get("exclude_skus") or ()),
            category=data.get("category"),
            explain=bool(data.get("explain", False)),
            jurisdiction=data.get("jurisdiction"),
        )

    def lines(self) -> list[tuple[str, Line]]:
        """Current supplements and basket, each with its place in the request."""
        return labelled_lines(self.profile, self.basket)
