"""A product taken that no longer fits, replaced together with a product of the reorder that no
longer fits either (lasting.joined_skus, review s36c F1): stopped when the first proposal judged
without it starts, and said so; taken on where the reorder leaves that product out or proposes
nothing that gives what it gives, and never joined where a medicine keeps it.

s41b F4 (unsafe): a pregnant woman's 50 µg D3 (not suitable in pregnancy) was replaced by a
20 µg D3 judged without the children's gummies she takes (10 µg), and nothing told her to stop
them: 30 µg a day, against at most 25; with a vitamin K antagonist her D3 + K2 drops (20 µg),
which the answer says to take or stop only as agreed with her anticoagulation clinic, were
dropped the same way, and a 25 µg D3 was reordered beside them (45 µg). s41c: a stop said only
on a pregnancy multivitamin from 12-20 while a 10 µg D3 judged without the 50 µg D3 started
today (65 µg); a folic acid tablet told her to stop her 20 µg D3, which nothing replaced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..ranking import Evaluation

Lasting = list[tuple[str, float]]


def stoppable(ev: Evaluation, skus: set[str]) -> frozenset[str]:
    """Of `skus` (products taken), those the reorder may tell to stop: not one a medicine or
    condition keeps out (its notice says to stop it only as agreed with the doctor: the INR)."""
    catalog = ev.snapshot.catalog
    conflicts = [m for code, m in ev.safety.excluded.items() if code.startswith("interaction:")]
    return frozenset(sku for sku in skus if not any(mask[catalog.index[sku]] for mask in conflicts))


@dataclass
class Joined:
    """The plan's joined products: `pending`, those taken out of what is taken for the supply
    decided now (supply SKU, SKUs, their lasting lines, the SKUs counted only for that);
    `order`, the supplies proposed (reordered or replaced) in the order decided; `since`, each
    joined product stopped -> the place in `order` of the supply it was joined to (what was
    decided from there on was judged without it); `stops`, the SKUs stopped so."""

    catalog: Any
    pending: tuple[str, frozenset[str], Lasting, frozenset[str]] | None = None
    order: list[str] = field(default_factory=list)
    since: dict[str, int] = field(default_factory=dict)
    stops: set[str] = field(default_factory=set)

    def join(
        self, sku: str, skus: frozenset[str], lasting: Lasting, counted: set[str]
    ) -> tuple[Lasting, set[str]]:
        """Take `skus` out of what is taken while the supply `sku` is decided."""
        kept_on = [x for x in lasting if x[0] in skus]
        self.pending = (sku, skus, kept_on, skus - counted)
        return [x for x in lasting if x[0] not in skus], counted | skus

    def settle(
        self,
        proposals: Callable[[str], list[int]],
        lasting: Lasting,
        counted: set[str],
        stopped: dict[str, str],
    ) -> tuple[Lasting, set[str]]:
        """After the pending supply is decided: each joined product that a product proposed
        for it (`proposals`: supply SKU -> product indices, none where it is left out) gives a
        nutrient of stops as that starts, unless the plan stops it already; the others are
        taken on as before."""
        if self.pending is None:
            return lasting, counted
        sku, skus, lines, added = self.pending
        self.pending = None
        given = self._gives(proposals(sku))
        going = {j for j in skus if given is not None and self._shares(given, j)}
        for j in sorted(going - stopped.keys()):
            stopped[j] = sku
            self.stops.add(j)
            self.since[j] = self.order.index(sku)
        back = skus - going
        return lasting + [x for x in lines if x[0] in back], counted - (added & back)

    def first(
        self,
        proposals: Callable[[str], list[int]],
        stopped: dict[str, str],
        also: dict[str, set[str]],
        starts: dict[str, dt.date],
    ) -> None:
        """Each joined product stops as the first proposal judged without it that gives a
        nutrient of it starts, and each of those says so (`also`)."""
        for j, place in self.since.items():
            by = [
                s
                for s in self.order[place:]
                if (given := self._gives(proposals(s))) is not None and self._shares(given, j)
            ]
            if j not in stopped or not by:
                continue
            first = min(by, key=lambda s: (starts[s], s))
            stopped[j] = first
            also.setdefault(j, set()).update(set(by) - {first})

    def unstop(
        self,
        proposals: Callable[[str], list[int]],
        stopped: dict[str, str],
        also: dict[str, set[str]],
    ) -> None:
        """A joined product no item still proposed gives a nutrient of (one held back after:
        hold_back) is not stopped: the answer does not say to stop it for a product it no
        longer proposes (s41d F2: her kids' drops, her only vitamin D, "when you start" a sport
        multivitamin the reorder replaced by iodine alone)."""
        for j in [j for j in self.stops if j in stopped]:
            by = [stopped[j], *sorted(also.get(j, ()))]
            going = [
                s
                for s in by
                if (given := self._gives(proposals(s))) is not None and self._shares(given, j)
            ]
            if not going:
                del stopped[j]
                also.pop(j, None)
                self.stops.discard(j)
            else:
                stopped[j], also[j] = going[0], set(going[1:])

    def _gives(self, indices: list[int]) -> Any:
        per_day = self.catalog.nutrients_per_day
        return (per_day[indices] > 0).any(axis=0) if indices else None

    def _shares(self, given: Any, sku: str) -> bool:
        return bool((given & (self.catalog.nutrients_per_day[self.catalog.index[sku]] > 0)).any())
