"""Safety in every arm, counted: each arm's answers checked against the data in service.

An arm ranks with its own snapshot (variants.py), which shares the safety layer by
construction. This module checks that claim on what is actually served, independently of the
arm: the request is evaluated again with the data and rules in service (never the arm's rule
set), and every SKU of the arm's answer must be one that the same request could be shown there:
allowed by every safety mask (limits, contraindications, allergens, diet, life stage, market
law), not excluded and, where require rules apply, required by the merchandising rules, within
the dose band, not a duplicate of what is taken, for a need of the profile (guarantees 10 and
11), in the asked category and not among the excluded SKUs. A SKU that fails is a violation.
The one input taken from the arm is its model: a learned preference (a model score of at least
`lists.learned_min_score`) is a need by guarantee 11, and which products reach it is what a
model variant changes.

Where it runs: every arm answer computed on request (`POST /v1/recommendations`, the customer GET
when it computes, and a placement's answer from either: held to what that placement may show,
`unsafe_placement_skus`) and, in the batch refresh, every arm list written (read back from the
store, one evaluation per distinct profile). The counts go to the Prometheus counters
`dosewise_experiment_lists_checked_total` and `dosewise_experiment_safety_violations_total`,
labelled by experiment and variant (the server's `on_check` hook); a violation is also logged
as an error. The tests prove the count stays 0 whatever a variant changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from service.core.placements.context import PlacementContext
from service.core.placements.purchased import counting_proposed
from service.core.placements.serve import scoped
from service.core.ranking import evaluate
from service.core.requests import RecommendationRequest
from service.core.snapshot import Snapshot


def _with_model(base: Snapshot, arm: Snapshot | None) -> Snapshot:
    """The snapshot in service, ranked by the arm's model (the one input taken from it)."""
    if arm is not None and arm.model is not base.model:
        return dataclasses.replace(
            base, model=arm.model, model_version=arm.model_version, learning=arm.learning
        )
    return base


def unsafe_skus(
    base: Snapshot,
    request: RecommendationRequest,
    day: dt.date,
    skus: Sequence[str],
    jurisdiction: str | None = None,
    arm: Snapshot | None = None,
) -> list[str]:
    """The SKUs of `skus` that `base` (ranked by the model of `arm`, when given) would not
    allow for `request` on `day` (see above)."""
    if request.jurisdiction is None and jurisdiction:
        request = dataclasses.replace(request, jurisdiction=jurisdiction)
    base = _with_model(base, arm)
    catalog = base.catalog
    ev = evaluate(base, request.profile, request.lines(), day, request.jurisdiction)
    allowed = ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required & ev.offer.allowed
    if request.category:
        allowed &= catalog.category_mask([request.category])
    if request.exclude_skus:
        allowed &= ~catalog.sku_mask(request.exclude_skus)
    if ev.over_limit_now:
        allowed = np.zeros_like(allowed)
    index = {product.sku: i for i, product in enumerate(catalog.products)}
    return [sku for sku in skus if sku not in index or not allowed[index[sku]]]


def unsafe_placement_skus(
    base: Snapshot,
    request: RecommendationRequest,
    day: dt.date,
    items: Sequence[dict[str, Any]],
    jurisdiction: str | None = None,
    arm: Snapshot | None = None,
    purchases: Any = None,
) -> list[str]:
    """The SKUs of a placement answer's `items` that `base` would not allow there: the request
    evaluated again with the data in service and the rules the placement takes (never the
    arm's), and each item held to what every strategy of a chain must keep (placements/
    context.py `base`: the safety masks, the shop's excludes and requires, the request's
    filters and the basket overlap of cart and checkout; within the dose band and no
    duplicate of what is covered), plus a need for the plain list's and the complements'
    items. An item from the customer's purchases (`buy_again`, `refills`: the product again, or
    its replacement) is held to every safety mask in the evaluation without what the customer
    bought or put in the basket of those products, a check that can only be looser than the
    reorder's own (which counts them), never a false alarm. `purchases`: the stored customer's
    (purchases, refill settings), as the placement was computed with."""
    if request.jurisdiction is None and jurisdiction:
        request = dataclasses.replace(request, jurisdiction=jurisdiction)
    placement = base.placements.get(request.placement or "")
    catalog = base.catalog
    if placement is None:
        return [str(item.get("sku")) for item in items]
    bought, settings = purchases if purchases is not None else (None, None)
    ctx = PlacementContext(
        scoped(_with_model(base, arm), placement),
        request,
        placement,
        day,
        request.product_sku,
        purchases=tuple(bought) if bought is not None else None,
        refills=settings,
    )
    from_purchases = [i for i in items if i.get("strategy") in PURCHASED]
    own = {s for i in from_purchases for s in (i.get("sku"), i.get("for_sku")) if s}
    bought_mask = _bought_mask(ctx, request, own) if from_purchases else None
    bad = []
    masks = None
    for n, item in enumerate(items):
        sku, strategy = str(item.get("sku")), item.get("strategy")
        index = catalog.index.get(sku)
        if masks is None:
            ev = ctx.ev
            kept = ctx.base(ev) & ev.offer.within_band & ~ev.offer.duplicate
            masks = (kept, kept & ev.offer.allowed)
        if strategy in PURCHASED and bought_mask is not None:
            allowed = bought_mask
        else:
            allowed = masks[1] if strategy in NEEDED else masks[0]
        if index is None or not allowed[index]:
            bad.append(sku)
        following = items[n + 1].get("strategy") if n + 1 < len(items) else None
        if strategy in PURCHASED and following != strategy:
            # the chain counts what buy_again or refills proposed as taken after them (serve._chain)
            group = [i for i in items[: n + 1] if i.get("strategy") == strategy]
            proposed = [
                (catalog.index[i["sku"]], str(i.get("for_sku") or i["sku"]))
                for i in group
                if i.get("sku") in catalog.index
            ]
            ctx, masks = counting_proposed(ctx, proposed), None
    return bad


# the strategies whose items are for a need of the profile (strategies.py, complements.py)
NEEDED = frozenset({"profile", "complements"})
PURCHASED = frozenset({"buy_again", "refills"})


def _bought_mask(ctx: Any, request: RecommendationRequest, own: set[str]) -> np.ndarray:
    """Every safety mask but `already_taken`, and the request's filters, for the profile and
    basket without the lines of the products in `own` (see unsafe_placement_skus)."""
    profile = dataclasses.replace(
        request.profile,
        current_supplements=tuple(
            line for line in request.profile.current_supplements if line.sku not in own
        ),
    )
    bare = dataclasses.replace(
        request,
        profile=profile,
        basket=tuple(line for line in request.basket if line.sku not in own),
    )
    ev = evaluate(ctx.snapshot, bare.profile, bare.lines(), ctx.today, bare.jurisdiction)
    if ev.over_limit_now:
        return np.zeros(len(ctx.snapshot.catalog), dtype=bool)
    blocked = np.zeros(len(ctx.snapshot.catalog), dtype=bool)
    for code, mask in ev.safety.excluded.items():
        if code != "already_taken":
            blocked |= mask
    return np.asarray(~blocked & ctx.request_mask())


def check_answer(
    server: Any,
    recommender: Any,
    data: RecommendationRequest | dict[str, Any],
    answer: dict[str, Any],
    day: dt.date | None = None,
    purchases: Any = None,
) -> list[str]:
    """Check an answer that names an arm (no-op otherwise) against the recommender's snapshot
    in service; counts through `server.count_check`. Returns the unsafe SKUs. A request with a
    `placement` is checked as that placement's answer (`unsafe_placement_skus`, with the
    stored customer's `purchases` it was computed with)."""
    label = answer.get("experiment")
    if not isinstance(label, dict):
        return []
    base = recommender.snapshot
    arm = server.arm_snapshot(base, str(label.get("id")), str(label.get("variant")))
    request = (
        data if isinstance(data, RecommendationRequest) else RecommendationRequest.from_dict(data)
    )
    day = day or recommender.clock()
    jurisdiction = getattr(recommender, "jurisdiction", None)
    items = answer.get("items", [])
    if request.placement is not None:
        bad = unsafe_placement_skus(base, request, day, items, jurisdiction, arm, purchases)
    else:
        bad = unsafe_skus(base, request, day, [i["sku"] for i in items], jurisdiction, arm)
    server.count_check(str(label.get("id")), str(label.get("variant")), bad)
    return bad
