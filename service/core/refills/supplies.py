"""Purchases and supplies: what a customer bought, and the day each product runs out."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from ..profile import Line, Profile, labelled_lines, with_next_packs
from ..snapshot import Snapshot

if TYPE_CHECKING:
    from .settings import RefillConfig

LAST_DAY = dt.date.max.toordinal()


# ---------------------------------------------------------------- purchases and supplies
class Purchase(NamedTuple):
    """One purchase: the day, the product, the packs and the event it came from (its time):
    two purchases of one product on one day are two purchases; the same event sent again is
    the same purchase. Ordered by day."""

    day: dt.date
    sku: str
    quantity: int = 1
    event: str = ""  # the event's time (ISO 8601, UTC where it has an offset); "" unknown

    def encode(self) -> str:
        """The stored form: `sku|time|quantity` (`sku|YYYY-MM-DD|quantity` without a time)."""
        return f"{self.sku}|{self.event or self.day.isoformat()}|{self.quantity}"

    @classmethod
    def from_event(
        cls, sku: str, moment: dt.datetime, quantity: int = 1, zone: dt.tzinfo | None = None
    ) -> Purchase:
        """The purchase of an event at `moment` (the same instant however its offset is
        written is the same event), on its day in `zone` (the customer's market)."""
        if moment.tzinfo is not None:
            moment = _utc(moment) or moment  # one with no UTC time stands as sent
        return cls(local_day(moment, zone), sku, max(int(quantity), 1), moment.isoformat())

    @classmethod
    def decode(cls, raw: bytes | str, zone: dt.tzinfo | None = None) -> Purchase | None:
        """A stored purchase, on its day in `zone` (the customer's market; None: the UTC
        date), or None when it does not decode (skipped, never an error)."""
        try:
            text = raw.decode() if isinstance(raw, bytes) else raw
            sku, when, quantity = text.split("|")
            if len(when) == 10:  # a day without a time (stored before events kept theirs)
                return cls(dt.date.fromisoformat(when), sku, max(int(quantity), 1))
            moment = dt.datetime.fromisoformat(when)
            return cls(
                local_day(moment, zone), sku, max(int(quantity), 1), _instant(moment, when, zone)
            )
        except (ValueError, TypeError):  # UnicodeDecodeError is a ValueError
            return None


def _instant(moment: dt.datetime, when: str, zone: dt.tzinfo | None) -> str:
    """The event's time as `from_event` writes one with an offset (UTC): a time sent without
    one is the market's own time, so "10:00" and "10:00+01:00" in NL are one event (review
    s33b F4: they were two purchases, two packs, the run-out date four months late)."""
    if moment.tzinfo is not None or zone is None:
        return when
    utc = _utc(moment.replace(tzinfo=zone))
    return when if utc is None else utc.isoformat()


def _utc(moment: dt.datetime) -> dt.datetime | None:
    """`moment` (with an offset) in UTC; None where it has no UTC time (0001-01-01T00:00+14:00)."""
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        return None


def local_day(moment: dt.datetime, zone: dt.tzinfo | None) -> dt.date:
    """The date of `moment` in `zone` (None: UTC). A time without an offset is taken as the
    market's own time; one that no zone can name (year 1 or 9999 at the edge) keeps its date."""
    if moment.tzinfo is None:
        return moment.date()
    try:
        return moment.astimezone(zone or dt.UTC).date()
    except OverflowError:
        return moment.date()


def decode_purchases(raws: list[bytes], zone: dt.tzinfo | None = None) -> list[Purchase]:
    """The stored purchases that decode, each on its day in `zone` (the customer's market:
    RefillConfig.zone(profile.country)); an event stored twice, with and without its offset,
    once."""
    out, seen = [], set()
    for raw in raws:
        purchase = Purchase.decode(raw, zone)
        if purchase is None or (purchase.event and purchase in seen):
            continue
        seen.add(purchase)
        out.append(purchase)
    return out


@dataclass(frozen=True)
class Supply:
    """One product a customer bought: how much, and when it runs out."""

    sku: str
    index: int  # in the catalog
    first_purchase: dt.date
    last_purchase: dt.date
    packs: int
    purchases: int
    servings_per_day: float
    runs_out_on: dt.date


def run_out_date(purchases: list[Purchase], pack_size: int, servings_per_day: float) -> dt.date:
    """The day the supply of one product runs out. A pack of 120 servings at one a day bought
    on 1 March lasts 120 days: it runs out on 29 June. A purchase made while the previous
    supply lasts starts when that runs out; one made after starts on its own day."""
    if not purchases:
        raise ValueError("no purchases")
    end = 0  # as a day number (date.toordinal); the last day a date can name caps it
    for purchase in sorted(purchases):
        start = max(end, purchase.day.toordinal())
        days = purchase.quantity * pack_size / servings_per_day  # inf for a tiny daily amount
        end = start + math.floor(min(days, LAST_DAY) + 1e-9)
    return dt.date.fromordinal(min(end, LAST_DAY))


def own_servings(current_supplements) -> dict[str, float]:
    """The servings a day the customer gave per product (profile `current_supplements`, as
    Line objects or as the stored dicts)."""
    out = {}
    for line in current_supplements or ():
        sku, per_day = (
            (line.get("sku"), line.get("servings_per_day"))
            if isinstance(line, dict)
            else (line.sku, line.servings_per_day)
        )
        if sku and per_day:
            out[sku] = float(per_day)
    return out


def supplies(snapshot: Snapshot, profile: Profile, purchases: list[Purchase]) -> list[Supply]:
    """Per product bought (and still in the catalog) its supply, soonest run-out first. The
    servings a day are the customer's own where the profile's current supplements name the
    product, else the label's. The same purchase event sent again (same product, time and
    quantity) counts once; purchases stored without their time count once per day."""
    return supplies_of(snapshot, own_servings(profile.current_supplements), purchases)


def supplies_of(
    snapshot: Snapshot, own: dict[str, float], purchases: list[Purchase]
) -> list[Supply]:
    """`supplies` with the customer's own servings a day given (`own_servings`)."""
    catalog = snapshot.catalog
    by_sku: dict[str, set[Purchase]] = {}
    for purchase in purchases:
        if purchase.sku in catalog.index:
            by_sku.setdefault(purchase.sku, set()).add(purchase)
    out = []
    for sku, bought in by_sku.items():
        index = catalog.index[sku]
        product = catalog.products[index]
        per_day = own.get(sku) or float(product.servings_per_day)
        ordered = sorted(bought)
        out.append(
            Supply(
                sku,
                index,
                ordered[0].day,
                ordered[-1].day,
                sum(p.quantity for p in ordered),
                len(ordered),
                per_day,
                run_out_date(ordered, product.pack_size, per_day),
            )
        )
    return sorted(out, key=lambda s: (s.runs_out_on, s.sku))


def still_taken(
    group: list[Supply],
    supply: Supply,
    today: dt.date,
    proposed: dict[str, tuple[str, float]],
) -> list[list[tuple[str, float]]]:
    """Review 9b finding 1: the reorder's other products on each day the proposal for `supply`
    is taken while they change, from the day it starts (today if it ran out): one not run out
    yet is still taken; one run out is what the reorder proposes for it (nothing while
    undecided: its own check counts this one). Only days that differ from `proposed`."""
    start = max(today, supply.runs_out_on)
    others = [s for s in group if s.sku != supply.sku]
    days = sorted({start, *(s.runs_out_on for s in others if s.runs_out_on > start)})
    out: list[list[tuple[str, float]]] = []
    for day in days:
        running = [s for s in others if s.runs_out_on > day]
        if all(proposed.get(s.sku) == (s.sku, s.servings_per_day) for s in running):
            continue  # the same as the reorder whole
        extra = [(s.sku, s.servings_per_day) for s in running]
        extra += [proposed[s.sku] for s in others if s.runs_out_on <= day and s.sku in proposed]
        if extra not in out:
            out.append(extra)
    return out


def list_lines(
    profile: Profile, basket: Sequence[Line], lasting: Iterable[Supply]
) -> list[tuple[str, Line]]:
    """The lines a stored customer's list counts: the current supplements, the supplies still
    lasting (`lasting`) the profile does not list, the basket (the basket line of a supply
    still lasting is its next pack, review s6 T4). The placements' evaluation and the list's
    replacements in /refills' buy again (lasting.list_instead) read the same."""
    listed = {line.sku for line in profile.current_supplements if line.sku}
    taken = [
        (f"supply.{s.sku}", Line(sku=s.sku, servings_per_day=s.servings_per_day))
        for s in lasting
        if s.sku not in listed
    ]
    return labelled_lines(profile, basket, taken)


def basket_besides(basket: list[Line], skus: set[str]) -> list[Line]:
    """The basket without its lines of `skus`: the product being checked (the customer put
    the refill in the cart from the reminder) and those the reorder holds as they are; every
    other line (one of a product the reorder replaces included) is taken on top."""
    return [line for line in basket if not (line.sku and line.sku in skus)]


def taken_lines(
    profile: Profile, leave_out: set[str], extra: list[tuple[str, float]], basket: list[Line]
) -> list[tuple[str, Line]]:
    lines = [
        (f"profile.current_supplements.{i}", line)
        for i, line in enumerate(profile.current_supplements)
        if not (line.sku and line.sku in leave_out)
    ]
    lines += [(f"supply.{sku}", Line(sku=sku, servings_per_day=spd)) for sku, spd in extra]
    # a basket line of a product taken is its next pack, not more (review s6 T4)
    return with_next_packs(lines, [(f"basket.{i}", line) for i, line in enumerate(basket)])


def listed_and_due(
    config: RefillConfig, everything: list[Supply], today: dt.date
) -> tuple[list[Supply], list[Supply]]:
    """The supplies still listed (not forgotten) and those due (running out within
    `remind_days_before`, or run out since at most `forget_after_days`)."""
    forget = today - dt.timedelta(days=config.forget_after_days)
    remind = today + dt.timedelta(days=config.remind_days_before)
    listed = [s for s in everything if s.runs_out_on >= forget]
    return listed, [s for s in listed if s.runs_out_on <= remind]


def reorder_group(
    config: RefillConfig, listed: list[Supply], due: list[Supply], today: dt.date
) -> list[Supply]:
    """The reorder: every product due, and those running out within `combine_within_days` of
    the first due one."""
    if not due:
        return []
    until = due[0].runs_out_on + dt.timedelta(days=config.combine_within_days)
    remind = today + dt.timedelta(days=config.remind_days_before)
    return [s for s in listed if s.runs_out_on <= max(until, remind)]
