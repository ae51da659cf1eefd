"""What every strategy of a placement's chain works from: one request, evaluated once.

The masks here are the plain list's (service/core/ranking.py): safety guarantees, the
merchandising rules the placement takes, the advice (dose band, duplicates, need), plus the
request's own filters. A strategy only ever narrows `allowed` or `base`; none widens them, so
no strategy can bring back a product the plain list would exclude for safety.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..advice_config import advice_config
from ..amounts import above
from ..instead import Instead, replaced_any, taken_instead
from ..profile import Line
from ..ranking import Evaluation, evaluate
from ..refills import Purchase, RefillConfig, supplies
from ..refills.supplies import list_lines
from ..requests import RecommendationRequest
from ..safety import life_stage_maxima
from ..snapshot import Snapshot
from ..unsuited import is_next_pack, next_pack_day
from .config import Placement

# safety.py exclusions that say nothing about whether the product suits the person
NO_FAILURE_OF_THE_PRODUCT = frozenset({"already_taken", "out_of_stock"})

Copurchase = Mapping[str, Mapping[str, float]]  # sku -> {other sku: co-occurrence 0..1}


@dataclass(frozen=True)
class Pick:
    """One item a strategy chose: catalog index, the raw score it was chosen with, the
    evaluation it was judged in, and reasons (per locale) it adds in front of the advice's."""

    index: int
    raw: float
    ev: Evaluation
    strategy: str
    reasons: Mapping[str, list[dict[str, str]]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    # the evaluation its advice reasons are worked out in, where not `ev` (a refill e-mail's
    # reorder: beside the e-mail's other reorders, purchased.reorders_together)
    reasons_ev: Evaluation | None = None


@dataclass
class PlacementContext:
    snapshot: Snapshot  # with the rule set this placement sees
    request: RecommendationRequest
    placement: Placement
    today: dt.date
    product_sku: str | None = None
    copurchase: Copurchase | None = None
    notices: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # locale -> extra
    # a stored customer's purchase history and the refill settings (buy_again, refills); None
    # for a request that names no stored customer: those strategies then yield nothing
    purchases: tuple[Purchase, ...] | None = None
    refills: RefillConfig | None = None
    # set by the alternatives strategy: alternatives that suit were left out only because what
    # is taken or in the basket already gives enough of, or is warned about (review 16 F11)
    alternatives_beside_intake: bool = False
    # the snapshot with every rule: the refills strategy plans as GET /refills does, so the
    # e-mail names the replacement /refills names (review s35a F1, F4: `rules: none` of the
    # e-mail found no replacement for a teen's D3 + K2, or another one than /refills)
    full_snapshot: Snapshot | None = None

    @cached_property
    def ev(self) -> Evaluation:
        """Profile + current supplements + basket (the product on the page is not counted:
        the alternatives replace it) + with a stored customer's purchases, the supplies that
        still last and the profile does not list (what the customer takes now: the profile
        list next to "buy again" never offers a second vitamin D on top of one still taken)."""
        request = self.request
        return evaluate(
            self.snapshot, request.profile, self.lines, self.today, request.jurisdiction
        )

    @cached_property
    def lines(self) -> list[tuple[str, Line]]:
        """The lines `ev` counts."""
        request = self.request
        lasting = []
        if self.purchases and self.refills is not None:
            lasting = [
                s
                for s in supplies(self.snapshot, request.profile, list(self.purchases))
                if s.runs_out_on > self.today
            ]
        return list_lines(request.profile, request.basket, lasting)

    @cached_property
    def instead(self) -> tuple[Instead, ...]:
        """What the plain list names in place of a product taken that does not suit
        (instead.taken_instead), chosen with the plain list's rules (`full_snapshot`), not the
        placement's scoped set (review s36a F4: `rules: none` of checkout named another product
        than the list): evaluated again only where some product is replaced."""
        from .serve import _applied  # the rules a set applies (serve imports this module)

        ev, request, full = self.ev, self.request, self.full_snapshot
        if (
            full is not None
            and full.rules is not self.snapshot.rules
            and replaced_any(ev)
            and _applied(full.rules) != _applied(self.snapshot.rules)  # rules: none
        ):
            ev = evaluate(full, request.profile, self.lines, self.today, request.jurisdiction)
        return taken_instead(ev, request)

    @cached_property
    def product_index(self) -> int | None:
        if self.product_sku is None:
            return None
        return self.snapshot.catalog.index.get(self.product_sku)

    def add_notice(self, locale: str, notice: dict[str, str]) -> None:
        """A notice of the answer in `locale`, once (strategies add them as they go)."""
        said = self.notices.setdefault(locale, [])
        if notice not in said:
            said.append(notice)

    def page_text(self, key: str, locale: str, **values: Any) -> str:
        """A placements text about the product asked about: "the product on this page" on the
        product page, its name on any other placement (session 18)."""
        index = self.product_index
        name = None if index is None else self.snapshot.catalog.products[index].name[locale]
        page = self.placement.name == "product_page"
        return self.snapshot.placements.page_text(key, locale, page, name, **values)

    def base(self, ev: Evaluation) -> np.ndarray:
        """Safety, the rules this placement takes, and the request's filters: what any item of
        any strategy must pass. Nothing at all when what is taken already crosses a limit."""
        if ev.over_limit_now:
            return np.zeros(len(self.snapshot.catalog), dtype=bool)
        return ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required & self.request_mask()

    def request_mask(self) -> np.ndarray:
        """The request's own filters (category, exclude_skus, the product on the page, the
        basket overlap of cart and checkout), without an evaluation's masks."""
        catalog = self.snapshot.catalog
        mask = np.ones(len(catalog), dtype=bool)
        if self.request.category:
            mask &= catalog.category_mask([self.request.category])
        if self.request.exclude_skus:
            mask &= ~catalog.sku_mask(self.request.exclude_skus)
        if self.product_index is not None:
            mask[self.product_index] = False
        if self.placement.basket_overlap == "exclude":
            mask &= ~self.basket_overlap
        return mask

    @cached_property
    def page_product_unsuited(self) -> bool:
        """The product on the page fails this profile as an item of its list would (a safety
        mask, a shop exclusion, or a dose far from the advice): nothing is offered to go with
        it, and the answer says why."""
        index = self.product_index
        if index is None:
            return False
        ev = self.ev
        # already taken is no failure of the product (review s9 A5: a man taking the 10 µg D3
        # heard that the product on its page "does not suit your profile"), nor out of stock
        # (review s11: "does not suit your profile" of the out-of-stock women's 50+ multivitamin
        # to a woman of 70 it suits; its alternatives stay comparable products)
        if is_next_pack(ev, index):  # review 12 F2
            return self._next_pack_unsuited(index)
        blocked = any(
            bool(mask[index])
            for code, mask in ev.safety.excluded.items()
            if code not in NO_FAILURE_OF_THE_PRODUCT
        )
        fits = not blocked and not ev.rule_excluded[index]
        return not (fits and ev.offer.within_band[index])

    def _next_pack_unsuited(self, index: int) -> bool:
        """The page product, taken or in the basket already: its next pack keeps the day as it
        is (README: the same SKU is the next pack, not a second tablet a day), so the masks that
        add the product to the day (upper limits, a life stage's maximum a day, the dose band)
        judge the day itself: a doctor's 50 µg capsule taken was "100 µg a day together with
        what you take" on its own page."""
        ev = self.ev
        on_top = {"upper_limit", "life_stage_maximum"} | NO_FAILURE_OF_THE_PRODUCT
        if any(bool(m[index]) for c, m in ev.safety.excluded.items() if c not in on_top):
            return True
        totals, over, banded = next_pack_day(ev, index)
        if ev.rule_excluded[index] or over or banded:
            return True
        gives = self.snapshot.catalog.nutrients_per_day[index] > 0
        keys = self.snapshot.reference.nutrients.keys
        return any(
            gives[keys.index(nutrient)] and above(totals[keys.index(nutrient)], maximum)
            for nutrient, maximum in life_stage_maxima(self.snapshot.reference, ev.profile).items()
        )

    @cached_property
    def basket_nutrients(self) -> np.ndarray:
        """Nutrient columns the basket, the supplements the person already takes (F12: a D3 + K2
        taken daily doubles as surely as one in the basket) and the product on the page give."""
        ev = self.ev
        given = np.zeros(len(self.snapshot.reference.nutrients.keys), dtype=bool)
        for line in ev.resolved:
            given |= line.amounts > 0
        if self.product_index is not None:
            given |= self.snapshot.catalog.nutrients_per_day[self.product_index] > 0
        return given

    @cached_property
    def page_overlap(self) -> np.ndarray:
        """Products that give a nutrient the product on the page gives (vitamin K1 and K2 as
        one), when that product suits the person: on its page such a product is an alternative
        to it, never an addition (review 10 U1: a pregnancy multivitamin's page offered a vegan
        multivitamin on top of it, 35 µg vitamin D together, above the 25 µg pregnancy maximum,
        its reason "fills your folic acid gap" that the page product fills). Nothing where the
        page product does not suit: then what is offered is instead of it."""
        index = self.product_index
        if index is None or self.page_product_unsuited:
            return np.zeros(len(self.snapshot.catalog), dtype=bool)
        return self.giving_any(self.snapshot.catalog.nutrients_per_day[index] > 0)

    @cached_property
    def basket_overlap(self) -> np.ndarray:
        """Products that give a nutrient the basket or what is taken gives: never in a cart."""
        return self.giving_any(self.basket_nutrients)

    def giving_any(self, given: np.ndarray) -> np.ndarray:
        """Products that give any nutrient of the column mask `given`, grouped: K1 given is
        vitamin K given (no K2 "which your basket does not give yet", R7)."""
        reference = self.snapshot.reference
        columns = np.flatnonzero(advice_config(reference).grouped(reference.nutrients.keys, given))
        if columns.size == 0:
            return np.zeros(len(self.snapshot.catalog), dtype=bool)
        per_day = self.snapshot.catalog.nutrients_per_day
        return np.asarray((per_day[:, columns] > 0).any(axis=1))

    @property
    def has_basket(self) -> bool:
        return bool(self.request.basket) or self.product_index is not None
