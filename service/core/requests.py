"""Requests the core answers. The contract's schema (service/contract/schemas.py) loads a body
into a `RecommendationRequest` (post_load); its defaults are written here once and the schema
reads them. `from_dict` builds one from an already-validated dict (workers, tests)."""

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
    customer_id: str | None = None  # logs the list shown for this customer (training data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecommendationRequest:
        return cls(
            profile=Profile.from_dict(data["profile"]),
            basket=tuple(Line.from_dict(x) for x in data.get("basket") or ()),
            limit=int(data.get("limit", cls.limit)),
            locale=data.get("locale", cls.locale),
            exclude_skus=tuple(data.get("exclude_skus") or ()),
            category=data.get("category", cls.category),
            explain=bool(data.get("explain", cls.explain)),
            jurisdiction=data.get("jurisdiction", cls.jurisdiction),
            customer_id=data.get("customer_id", cls.customer_id),
        )

    def lines(self) -> list[tuple[str, Line]]:
        """Current supplements and basket, each with its place in the request."""
        return labelled_lines(self.profile, self.basket)
