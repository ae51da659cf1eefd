"""From a profile to a ranked, safe, explained list: the recommendation pipeline.

Order of work: totals and limits; safety masks; rule conditions; features and score; pins;
top-k; texts for the few items shown. Safety masks are applied after rules, so no rule can
bring back an excluded product.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .advice import Offer, ProfileAdvice
from .advice import profile_advice as _profile_advice
from .advice_config import advice_config
from .advice_texts import advice_notices, item_reasons
from .amounts import above
from .context import compiled_context, expression_context
from .errors import InvalidInput
from .intake import LineAmounts, resolve_lines, total
from .lazy import cached_property
from .learned import Learning
from .profile import Profile
from .requests import RecommendationRequest
from .rules import Rule
from .safety import SafetyResult, intake_entries, safety_masks
from .scoring import Features, compute_features, squash_one
from .snapshot import Snapshot


@dataclass
class Evaluation:
    """Everything computed for one profile; the recommender, explain and preview read it."""

    snapshot: Snapshot
    profile: Profile
    today: dt.date
    resolved: list[LineAmounts]
    intake: np.ndarray
    limits: np.ndarray
    targets: np.ndarray
    target_ids: dict[str, str]
    safety: SafetyResult
    matched_rules: list[Rule]
    rule_excluded: np.ndarray
    rule_required: np.ndarray
    rule_weight: np.ndarray
    features: Features
    raw: np.ndarray
    model_features: np.ndarray | None = None  # learning.features(ev) when a model ranks
    model_score: np.ndarray | None = None
    advice: ProfileAdvice | None = None  # targets and dose bands (advice.py), set by evaluate

    @cached_property
    def offer(self) -> Offer:
        """What a list may offer: dose band, duplicates, needs (advice.py)."""
        return Offer(self)

    @cached_property
    def has_limit(self) -> np.ndarray:
        return ~np.isnan(self.limits)

    @cached_property
    def intake_present(self) -> np.ndarray:
        return self.intake > 0

    @cached_property
    def over_limit_now(self) -> list[int]:
        """Nutrient columns where current supplements + basket already cross the limit."""
        return [int(i) for i in np.flatnonzero(above(self.intake, self.limits))]

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """What ranking and rendering computed for this evaluation, reused by the plain list
        and every placement of one request or refresh (_rank, _item, intake_view). Not a
        dataclass field: `dataclasses.replace` starts a new one. A shallow copy (complements'
        ranked copy with another `raw`) shares it, so entries that depend on `raw` hold it."""
        return {}


def evaluate(
    snapshot: Snapshot,
    profile: Profile,
    lines: list,
    today: dt.date,
    jurisdiction: str | None = None,
) -> Evaluation:
    reference, catalog = snapshot.reference, snapshot.catalog
    keys = reference.nutrients.keys
    resolved = resolve_lines(lines, catalog, reference.nutrients)
    intake = total(resolved, len(keys))
    limits = reference.upper_limits.for_profile(profile.age, profile.life_stage, jurisdiction)
    taken = {r.sku for r in resolved if r.sku}
    basket_skus = sorted(taken)
    basket_categories = sorted({catalog.products[catalog.index[s]].category for s in taken})
    context = compiled_context(
        expression_context(
            profile,
            dict(zip(keys, map(float, intake), strict=True)),
            today,
            basket_skus,
            basket_categories,
        )
    )
    advice = _profile_advice(reference, profile, context, reference.targets)
    targets, target_ids = advice.targets, advice.target_ids
    safety = safety_masks(catalog, reference, profile, intake, limits, taken)
    matched = [r for r in snapshot.rules.active(today, profile.country) if r.when.holds(context)]
    size = len(catalog)
    rule_weight = np.zeros(size)
    rule_excluded = np.zeros(size, dtype=bool)
    rule_required = np.ones(size, dtype=bool)
    for rule in matched:
        if rule.action == "boost":
            rule_weight[rule.mask] += rule.weight
        elif rule.action == "bury":
            rule_weight[rule.mask] -= rule.weight
        elif rule.action == "exclude":
            rule_excluded |= rule.mask
        elif rule.action == "require":
            rule_required &= rule.mask
    features = compute_features(catalog, profile, intake, targets, limits, safety.totals_with_item)
    raw = features.transparent_score(reference.weights) + rule_weight
    ev = Evaluation(
        snapshot,
        profile,
        today,
        resolved,
        intake,
        limits,
        targets,
        target_ids,
        safety,
        matched,
        rule_excluded,
        rule_required,
        rule_weight,
        features,
        raw,
        advice=advice,
    )
    if snapshot.model is not None and snapshot.learning is not None:
        _apply_model(ev, snapshot.learning)
    return ev


def _apply_model(ev: Evaluation, learning: Learning) -> None:
    """Rank by the learned model blended with the transparent score and rule weights
    (service/learning/serving.py). Safety masks, excludes, requires and pins are untouched:
    they act on candidates, and the model only orders what they leave."""
    ev.model_features = learning.features(ev)
    ev.raw, ev.model_score = learning.blended(ev.snapshot.model, ev.model_features)


# receives the evaluation and the catalog indices shown (the training log's record)
ImpressionSink = Callable[["Evaluation", list[int]], None]


def recommend(
    snapshot: Snapshot,
    request: RecommendationRequest,
    today: dt.date,
    impressions: ImpressionSink | None = None,
) -> dict:
    """The contract's recommendation body for one request. `impressions`, when given, receives
    the evaluation and the catalog indices shown, for the training log."""
    return recommend_in_locales(snapshot, request, today, (request.locale,), impressions)[
        request.locale
    ]


def recommend_in_locales(
    snapshot: Snapshot,
    request: RecommendationRequest,
    today: dt.date,
    locales: tuple[str, ...],
    impressions: ImpressionSink | None = None,
) -> dict[str, dict]:
    """One evaluation and ranking, rendered in several locales (the precompute path)."""
    check_request(snapshot, request)
    ev = evaluate(snapshot, request.profile, request.lines(), today, request.jurisdiction)
    return rank_and_render(ev, request, locales, impressions)


def rank_and_render(
    ev: Evaluation,
    request: RecommendationRequest,
    locales: tuple[str, ...],
    impressions: ImpressionSink | None = None,
) -> dict[str, dict]:
    """Rank an evaluation for a request (limit, category, excluded SKUs) and render the
    contract's body per locale. Explain and preview reuse the evaluation they already have."""
    snapshot = ev.snapshot
    catalog, reference = snapshot.catalog, snapshot.reference
    # the advice (guarantees 10 and 11) after the rules: no rule brings back a product above
    # the dose band, a duplicate of what is covered, or one the profile has no need for
    candidates = ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required & ev.offer.allowed
    if request.category:
        candidates &= catalog.category_mask([request.category])
    if request.exclude_skus:
        candidates &= ~catalog.sku_mask(request.exclude_skus)
    # a category page is choices within one role: the per-role cap applies to mixed lists only
    role_cap = request.category is None
    ranked, raws = ([], []) if ev.over_limit_now else _rank(ev, candidates, request.limit, role_cap)
    if impressions is not None and ranked:
        impressions(ev, ranked)
    intake = intake_view(ev)
    bodies = {}
    for locale in locales:
        notices = profile_notices(ev, locale) + advice_notices(ev, locale)
        items = [
            _item(ev, index, raw, locale, request.explain)
            for index, raw in zip(ranked, raws, strict=True)
        ]
        # guarantee 11: an item without a true reason is never shown (defence in depth: every
        # candidate has a need, and each need gives a reason)
        items = [item for item in items if item["reasons"]]
        if not items:
            # nothing safe, or nothing safe the profile has a need for: say which
            key = "notice_no_items_no_need" if _safe_without_need(ev) else "notice_no_items"
            notices.append({"code": "no_items", "text": reference.text(key, locale)})
        elif len(items) < request.limit:
            notices.append(
                {"code": "short_list", "text": reference.text("notice_short_list", locale)}
            )
        bodies[locale] = {
            "items": items,
            "intake": intake,
            "notices": notices,
            "versions": snapshot.versions,
        }
        if snapshot.experiment is not None:  # an A/B test's arm names itself (issue 12)
            experiment_id, variant_id = snapshot.experiment
            bodies[locale]["experiment"] = {"id": experiment_id, "variant": variant_id}
    return bodies


def _safe_without_need(ev: Evaluation) -> bool:
    """Products were safe and within the band, but the profile has no need they serve."""
    if ev.over_limit_now:
        return False
    offer = ev.offer
    safe = ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required & offer.within_band
    return bool((safe & ~offer.duplicate).any())


def check_request(snapshot: Snapshot, request: RecommendationRequest) -> None:
    errors: dict[str, list[str]] = {}
    catalog = snapshot.catalog
    for i, sku in enumerate(request.exclude_skus):
        if sku not in catalog.index:
            errors[f"exclude_skus.{i}"] = [f"unknown SKU {sku!r}"]
    if request.category is not None and request.category not in catalog.categories:
        errors["category"] = [f"unknown category {request.category!r}"]
    if request.jurisdiction and request.jurisdiction not in (
        snapshot.reference.upper_limits.jurisdictions
    ):
        errors["jurisdiction"] = [f"unknown jurisdiction {request.jurisdiction!r}"]
    if errors:
        raise InvalidInput("the request names things the catalog does not know", errors)


def _rank(
    ev: Evaluation, candidates: np.ndarray, limit: int, role_cap: bool = True
) -> tuple[list[int], list[float]]:
    """Best first, with category diversity; pins take their positions by rule priority.

    Returns the product indices and the raw score each had when it was picked. Computed once
    per evaluation, raw scores, candidates, limit and role cap (a refresh ranks the same
    candidates for two placements)."""
    key = ("rank", candidates.tobytes(), limit, role_cap)
    known = ev.memo.get(key)
    if known is None or known[0] is not ev.raw:
        known = ev.memo[key] = (ev.raw, *_rank_now(ev, candidates, limit, role_cap))
    return list(known[1]), list(known[2])


def _rank_now(
    ev: Evaluation, candidates: np.ndarray, limit: int, role_cap: bool
) -> tuple[list[int], list[float]]:
    indices = np.flatnonzero(candidates)
    if indices.size == 0:
        return [], []
    catalog = ev.snapshot.catalog
    pinned: dict[int, int] = {}
    for rule in ev.matched_rules:  # already sorted by priority, highest first
        if rule.action != "pin" or rule.position is None:
            continue
        choices = [
            i for i in np.flatnonzero(candidates & rule.mask).tolist() if i not in pinned.values()
        ]
        if not choices:
            continue
        best = max(choices, key=lambda i: (ev.raw[i], catalog.products[i].sku))
        position = rule.position - 1
        while position in pinned:
            position += 1
        pinned[position] = best
    shortlist = _shortlist(ev.raw, indices, limit + 16, catalog.sku_order)
    pool = np.array([i for i in shortlist if i not in pinned.values()], dtype=np.int64)
    penalty = ev.snapshot.reference.weights.get("same_category", 0.0)
    counts = np.zeros(len(catalog.category_names))
    # at most `lists.max_per_role` products of one nutrient role (scoring.yaml)
    roles = ev.offer.roles
    max_per_role = advice_config(ev.snapshot.reference).max_per_role if role_cap else limit + 1
    role_counts = np.zeros(len(ev.offer.role_table.names), dtype=np.int64)
    for index in pinned.values():
        counts[catalog.category_code[index]] += 1
        role_counts[roles[index]] += 1
    pool_roles = roles[pool]
    pool_raw, pool_codes = ev.raw[pool], catalog.category_code[pool]
    available: np.ndarray = role_counts[pool_roles] < max_per_role
    ranked: list[int] = []
    raws: list[float] = []
    for position in range(limit):
        if position in pinned:
            ranked.append(pinned[position])
            raws.append(float(ev.raw[pinned[position]]))
            continue
        if not available.any():
            continue
        adjusted = pool_raw - penalty * counts[pool_codes]
        adjusted[~available] = -np.inf
        best = int(np.argmax(adjusted))  # first maximum: the shortlist is sorted by SKU on ties
        available[best] = False
        index = int(pool[best])
        counts[catalog.category_code[index]] += 1
        ranked.append(index)
        raws.append(float(adjusted[best]))
        role_counts[roles[index]] += 1
        if role_counts[roles[index]] >= max_per_role:
            available &= pool_roles != roles[index]
    return ranked, raws


def _shortlist(raw: np.ndarray, indices: np.ndarray, k: int, sku_order: np.ndarray) -> list[int]:
    """The best k*4 by raw score (argpartition on large catalogs), sorted by score then SKU
    (`sku_order`: each product's place in SKU order, Catalog.sku_order)."""
    k = min(indices.size, max(4 * k, 64))
    if k < indices.size:
        part = np.argpartition(-raw[indices], k - 1)[:k]
        indices = indices[part]
    # the last key sorts first: highest raw, then the lower SKU on equal scores
    return indices[np.lexsort((sku_order[indices], -raw[indices]))].tolist()


def intake_view(ev: Evaluation) -> dict[str, dict[str, Any]]:
    """Per nutrient: `current` and `upper_limit` (contract), `food` (the allowance for a high
    usual intake from food) and `room` (what more supplements may add; guarantee 9). Computed
    once per evaluation; the answers that show it share it (never changed once built)."""
    view = ev.memo.get("intake")
    if view is None:
        keys = ev.snapshot.reference.nutrients.keys
        view = ev.memo["intake"] = intake_entries(keys, ev.intake, ev.limits, ev.safety)
    return view


def profile_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """What holds for the profile whatever is recommended: interaction notices, limits the
    current supplements and basket already cross, unverified limits (also used by regimens)."""
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    notices = [
        {"code": f"interaction:{i.id}", "text": i.text[locale]}
        for i in ev.safety.triggered
        if i.notice
    ]
    for column in ev.over_limit_now:
        key = keys[column]
        notices.append(
            {
                "code": f"above_upper_limit:{key}",
                "text": reference.text(
                    "notice_above_upper_limit",
                    locale,
                    **reference.nutrients.text_values(
                        key, locale, amount=ev.intake[column], upper_limit=ev.limits[column]
                    ),
                ),
            }
        )
    unverified = reference.upper_limits.unverified(ev.profile.age, ev.profile.life_stage)
    if unverified:
        notices.append(
            {
                "code": "upper_limits_unverified",
                "text": reference.text("notice_upper_limits_unverified", locale),
            }
        )
    return notices


def _item(ev: Evaluation, index: int, raw: float, locale: str, explain: bool) -> dict:
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    product = catalog.products[index]
    score = squash_one(raw, reference)
    item: dict[str, Any] = {
        "sku": product.sku,
        "name": product.name[locale],
        "score": round(score, 4),
        "servings_per_day": product.servings_per_day,
        "nutrients_per_day": dict(catalog.rounded_per_day[index]),
        "category": product.category,
        "form": product.form,
        "price": product.price,
        "currency": product.currency,
        "price_per_month": product.price_per_month,
    }
    # reasons and warnings depend on the evaluation, product and locale only (not on the raw
    # score a placement picked it with): the same item in the plain list and a placement
    texts = ev.memo.get(("texts", index, locale))
    if texts is None:
        texts = ev.memo[("texts", index, locale)] = (
            _reasons(ev, index, locale),
            item_warnings(ev, index, locale),
        )
    item["reasons"], item["warnings"] = list(texts[0]), list(texts[1])
    if explain:
        item["explain"] = explanation(ev, index)
        item["explain"]["diversity"] = round(raw - float(ev.raw[index]), 4)
    return item


def _reasons(ev: Evaluation, index: int, locale: str) -> list[dict[str, str]]:
    """Reasons true for this item (advice.item_reasons: advice gaps with their authority, a
    justified higher dose, matching rules, claims for the profile's goals, learned preference)."""
    return item_reasons(ev, index, locale)


def item_warnings(ev: Evaluation, index: int, locale: str) -> list[dict[str, str]]:
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    keys = reference.nutrients.keys
    row = catalog.nutrients_per_day[index]
    warnings = []
    for interaction in ev.safety.triggered:
        if any(row[keys.index(n)] > threshold for n, threshold in interaction.warn.items()):
            warnings.append(
                {"code": f"interaction:{interaction.id}", "text": interaction.text[locale]}
            )
    has = row > 0
    for interaction, columns_a, columns_b in reference.combination_columns:
        item_a, item_b = has[columns_a].any(), has[columns_b].any()
        intake_a, intake_b = ev.intake_present[columns_a].any(), ev.intake_present[columns_b].any()
        if (item_a and intake_b) or (item_b and intake_a):
            warnings.append(
                {"code": f"interaction:{interaction.id}", "text": interaction.text[locale]}
            )
    totals = ev.safety.totals_with_item[index]
    near = has & ev.has_limit & (totals >= reference.warn_at_upper_limit_fraction * ev.limits)
    for column in np.flatnonzero(near).tolist():
        key = keys[column]
        warnings.append(
            {
                "code": f"near_upper_limit:{key}",
                "text": reference.text(
                    "warning_near_upper_limit",
                    locale,
                    **reference.nutrients.text_values(
                        key, locale, amount=totals[column], upper_limit=ev.limits[column]
                    ),
                ),
            }
        )
    return warnings


def explanation(ev: Evaluation, index: int) -> dict[str, Any]:
    """Features and their contributions to the raw score, plus rule weights (explain=true)."""
    weights = ev.snapshot.reference.weights
    features = {name: round(float(v[index]), 4) for name, v in ev.features.values.items()}
    contributions = {
        name: round((-1.0 if name == "headroom" else 1.0) * weights.get(name, 0.0) * value, 4)
        for name, value in features.items()
    }
    rules = {
        r.id: (r.weight if r.action == "boost" else -r.weight)
        for r in ev.matched_rules
        if r.mask[index] and r.action in ("boost", "bury")
    }
    out = {
        "model": ev.snapshot.versions["model"],
        "features": features,
        "contributions": contributions,
        "rule_weights": rules,
        "raw_score": round(float(ev.raw[index]), 4),
    }
    if ev.model_features is not None and ev.snapshot.learning is not None:
        out["learned"] = ev.snapshot.learning.explain(ev.snapshot.model, ev.model_features[index])
    return out
