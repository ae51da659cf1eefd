"""What the reorder stops, and which of its items say so (split from plan.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


class Stopped(dict[str, str]):
    """The lasting supplies the reorder stops: SKU -> the SKU of the product of the reorder
    whose start stops it, the first to start (lasting.stop_for_reorder, session 18); `also`:
    SKU -> the other products of the reorder whose items say so too (unfit_beside); `unsuited`:
    those stopped as not suited to the life stage as a whole (lasting.stop_unsuited, review
    s39d F1), `joined`: as replaced together with the product (joined.rejoin, s41b F4), whose
    reasons say so."""

    def __init__(
        self,
        pairs: Mapping[str, str] | None = None,
        unsuited: Iterable[str] = (),
        joined: Iterable[str] = (),
        also: Mapping[str, Iterable[str]] | None = None,
    ):
        super().__init__(pairs or {})
        self.unsuited = frozenset(sku for sku in unsuited if sku in self)
        self.joined = frozenset(sku for sku in joined if sku in self)
        self.also = {sku: frozenset(by) for sku, by in (also or {}).items() if sku in self}

    def starting(self, proposals: Callable[[str], list[int]]) -> dict[str, list[int]]:
        """Each supply stopped -> the products proposed (`proposals` of a supply's SKU) for
        the supplies whose items say to stop it."""
        return {
            sku: [i for by in sorted({first, *self.also.get(sku, ())}) for i in proposals(by)]
            for sku, first in self.items()
        }


def said_by(stopped: Mapping[str, str], sku: str) -> list[str]:
    """The SKUs the reorder item of supply `sku` says to stop (`Stopped.also` too)."""
    also: dict[str, frozenset[str]] = getattr(stopped, "also", {})
    return sorted(k for k, by in stopped.items() if by == sku or sku in also.get(k, ()))
