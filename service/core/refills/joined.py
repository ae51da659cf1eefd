"""A product taken that no longer fits, replaced together with a product of the reorder that no
longer fits either (lasting.joined_skus, review s36c F1): stopped when that one's proposal
starts, and said so; where the reorder leaves that one out, it is taken on as before.

s41b F4 (unsafe): a pregnant woman's 50 µg D3 (not suitable in pregnancy) was replaced by a
20 µg D3 judged without the children's gummies she takes (10 µg), and nothing told her to stop
them: 30 µg a day, against at most 25; with a vitamin K antagonist her D3 + K2 drops (20 µg),
which the answer says to take or stop only as agreed with her anticoagulation clinic, were
dropped the same way, and a 25 µg D3 was reordered beside them (45 µg)."""

from __future__ import annotations

from typing import NamedTuple

from ..ranking import Evaluation

Lasting = list[tuple[str, float]]


class Joined(NamedTuple):
    """The supply `sku` whose replacement is judged without `skus` (their `lines` lasting, and
    the SKUs counted only for that, `added`)."""

    sku: str
    skus: frozenset[str]
    lines: Lasting
    added: frozenset[str]


def stoppable(ev: Evaluation, skus: set[str]) -> frozenset[str]:
    """Of `skus` (products taken), those the reorder may tell to stop: not one a medicine or
    condition keeps out (its notice says to stop it only as agreed with the doctor: the INR)."""
    catalog = ev.snapshot.catalog
    conflicts = [m for code, m in ev.safety.excluded.items() if code.startswith("interaction:")]
    return frozenset(sku for sku in skus if not any(mask[catalog.index[sku]] for mask in conflicts))


def rejoin(
    joined: Joined | None,
    stopping: bool,
    lasting: Lasting,
    counted: set[str],
    stopped: dict[str, str],
    stops: set[str],
) -> tuple[Lasting, set[str]]:
    """After the supply of `joined` is decided: where it is left out (`stopping`), what was
    joined to it is taken on (back in `lasting` and `counted` as before); else it stops when
    that supply's proposal starts (`stopped`, and `stops`, the joined ones), unless the plan
    stops it already."""
    if joined is None:
        return lasting, counted
    if stopping:
        return lasting + joined.lines, counted - joined.added
    for sku in sorted(joined.skus):
        if sku not in stopped:
            stopped[sku] = joined.sku
            stops.add(sku)
    return lasting, counted
