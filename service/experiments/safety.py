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
when it computes) and, in the batch refresh, every arm list written (read back from the store,
one evaluation per distinct profile). The counts go to the Prometheus counters
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

from service.core.ranking import evaluate
from service.core.requests import RecommendationRequest
from service.core.snapshot import Snapshot


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
    if arm is not None and arm.model is not base.model:
        base = dataclasses.replace(
            base, model=arm.model, model_version=arm.model_version, learning=arm.learning
        )
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


def check_answer(
    server: Any,
    recommender: Any,
    data: RecommendationRequest | dict[str, Any],
    answer: dict[str, Any],
    day: dt.date | None = None,
) -> list[str]:
    """Check an answer that names an arm (no-op otherwise) against the recommender's snapshot
    in service; counts through `server.count_check`. Returns the unsafe SKUs."""
    label = answer.get("experiment")
    if not isinstance(label, dict):
        return []
    base = recommender.snapshot
    arm = server.arm_snapshot(base, str(label.get("id")), str(label.get("variant")))
    request = (
        data if isinstance(data, RecommendationRequest) else RecommendationRequest.from_dict(data)
    )
    skus = [item["sku"] for item in answer.get("items", [])]
    bad = unsafe_skus(
        base,
        request,
        day or recommender.clock(),
        skus,
        getattr(recommender, "jurisdiction", None),
        arm,
    )
    server.count_check(str(label.get("id")), str(label.get("variant")), bad)
    return bad
