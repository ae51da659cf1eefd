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
from .advice_texts import advice_notices, no_items_notice
from .amounts import above
from .context import compiled_context, context_intake, context_reads, expression_context
from .day_totals import (
    caution_warnings,
    combination_warnings,
    item_interaction_warnings,
    near_upper_limit,
    threshold_notices,
    upper_limit_notices,
    with_taken_band,
)
from .errors import InvalidInput
from .fastnp import flatnonzero, nan_to_num
from .instead import beside_mask, instead_notice, taken_instead, with_no_items_instead
from .intake import LineAmounts, resolve_lines, total
from .lazy import cached_property
from .learned import Learning
from .line_notices import with_unsuited_lines
from .list_together import together_notices
from .needs import warned_out_by
from .profile import Profile
from .rank_order import _rank, role_capped
from .reason_texts import item_reasons
from .requests import RecommendationRequest
from .rule_match import matched_rules
from .rules import Rule
from .safety import SafetyResult, intake_entries, safety_masks
from .scoring import Features, compute_features, sign, squash_one
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
    jurisdiction: str | None = None  # the limits' (the request's), for a day evaluated anew

    @cached_property
    def offer(self) -> Offer:
        """What a list may offer: dose band, duplicates, needs (advice.py)."""
        return Offer(self)

    @cached_property
    def has_limit(self) -> np.ndarray:
        return ~np.isnan(self.limits)

    @cached_property
    def limits_or_inf(self) -> np.ndarray:
        """`limits` with inf for NaN (no limit is never crossed); read-only."""
        out = nan_to_num(self.limits, nan=np.inf)
        out.flags.writeable = False
        return out

    @cached_property
    def targets_or_zero(self) -> np.ndarray:
        """`targets` with 0 for NaN (no advice); read-only."""
        out = nan_to_num(self.targets)
        out.flags.writeable = False
        return out

    @cached_property
    def intake_present(self) -> np.ndarray:
        return self.intake > 0

    @cached_property
    def over_limit_now(self) -> list[int]:
        """Nutrient columns where current supplements + basket already cross the limit."""
        return [int(i) for i in flatnonzero(above(self.intake, self.limits))]

    @cached_property
    def taken_unsuited(self) -> dict[str, np.ndarray]:
        """{reason code: products} that a matched exclude rule with `taken` says do not suit
        the person when taken or in the basket either (review s28 F3)."""
        out: dict[str, np.ndarray] = {}
        for rule in self.matched_rules:
            if rule.taken and rule.action == "exclude":
                out[rule.taken] = out.get(rule.taken, np.zeros_like(rule.mask)) | rule.mask
        return out

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
    # only what the rule and target expressions can read is converted to CEL (context_reads)
    reads = context_reads(snapshot)
    basket_skus: list[str] = []
    basket_categories: list[str] = []
    if "basket" in reads.words:
        basket_skus = sorted(taken)
        basket_categories = sorted({catalog.products[catalog.index[s]].category for s in taken})
    context = compiled_context(
        reads.pruned(
            expression_context(
                profile,
                context_intake(snapshot, intake),
                today,
                basket_skus,
                basket_categories,
            )
        )
    )
    advice = _profile_advice(reference, profile, context, reference.targets)
    targets, target_ids = advice.targets, advice.target_ids
    safety = safety_masks(catalog, reference, profile, intake, limits, taken)
    matched = matched_rules(snapshot.rules, today, profile.country, context)
    rule_weight, rule_excluded, rule_required = rule_masks(matched, len(catalog))
    features, raw = transparent_ranking(
        snapshot, profile, intake, targets, limits, safety.totals_with_item, rule_weight
    )
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
        jurisdiction=jurisdiction,
    )
    if snapshot.model is not None and snapshot.learning is not None:
        _apply_model(ev, snapshot.learning)
    return ev


def transparent_ranking(
    snapshot: Snapshot,
    profile: Profile,
    intake: np.ndarray,
    targets: np.ndarray,
    limits: np.ndarray,
    totals_with_item: np.ndarray,
    rule_weight: np.ndarray,
) -> tuple[Features, np.ndarray]:
    """The features and the transparent score plus rule weights of every product: what
    `evaluate` ranks by, and what the refill check (refills/check.py) works out on demand."""
    fit = advice_config(snapshot.reference).fit_columns  # R8: the dose that fits best leads
    features = compute_features(
        snapshot.catalog, profile, intake, targets, limits, totals_with_item, fit
    )
    return features, features.transparent_score(snapshot.reference.weights) + rule_weight


def rule_masks(matched: list[Rule], size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weight, excluded, required) over the catalog from the matched rules' actions (pins
    act later, on the ranked list)."""
    weight = np.zeros(size)
    excluded = np.zeros(size, dtype=bool)
    required = np.ones(size, dtype=bool)
    for rule in matched:
        if rule.action == "boost":
            weight[rule.products] += rule.weight
        elif rule.action == "bury":
            weight[rule.products] -= rule.weight
        elif rule.action == "exclude":
            excluded |= rule.mask
        elif rule.action == "require":
            required &= rule.mask
    return weight, excluded, required


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


def list_candidates(ev: Evaluation) -> np.ndarray:
    """What a list may show: every safety mask, rule excludes and requires, then the advice
    (guarantees 10 and 11) after the rules: no rule brings back a product above the dose band,
    a duplicate of what is covered, or one the profile has no need for. The simulated shop
    (service/learning/simulator.py) shows the same."""
    return ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required & ev.offer.allowed


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
    candidates = list_candidates(ev)
    if request.category:
        candidates &= catalog.category_mask([request.category])
    if request.exclude_skus:
        candidates &= ~catalog.sku_mask(request.exclude_skus)
    # a category page is choices within one role: the per-role cap applies to mixed lists only
    role_cap = request.category is None
    instead = taken_instead(ev, request)  # in place of a product taken that does not fit (23p)
    if instead:  # no item gives a nutrient of what is named in its place (s26b; s35d F1)
        candidates &= beside_mask(ev, instead)
    ranked, raws = ([], []) if ev.over_limit_now else _rank(ev, candidates, request.limit, role_cap)
    if impressions is not None and ranked:
        impressions(ev, ranked)
    intake = intake_view(ev)
    bodies = {}
    for locale in locales:
        notices = list_notices(ev, locale)
        items = [
            _item(ev, index, raw, locale, request.explain)
            for index, raw in zip(ranked, raws, strict=True)
        ]
        # guarantee 11: an item without a true reason is never shown (defence in depth: every
        # candidate has a need, and each need gives a reason)
        shown = [index for index, item in zip(ranked, items, strict=True) if item["reasons"]]
        items = [item for item in items if item["reasons"]]
        notices = instead_notice(ev, instead, notices, locale)
        if not items:  # nothing safe, nothing for a need, a condition: say which (s7 P10)
            notices.append(no_items_notice(ev, locale))
        elif len(items) < request.limit:  # at most `most` of a kind, or only for a need
            most = role_capped(ev, candidates, shown) if role_cap else None
            key = "notice_short_list" if most is None else "notice_short_list_role"
            notices.append({"code": "short_list", "text": reference.text(key, locale, most=most)})
        notices = with_no_items_instead(instead, notices, locale)
        notices += together_notices(ev, shown, locale)  # not one routine (review 21 M2)
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


def intake_view(ev: Evaluation) -> dict[str, dict[str, Any]]:
    """Per nutrient: `current` and `upper_limit` (contract), `food` (the allowance for a high
    usual intake from food) and `room` (what more supplements may add; guarantee 9). Computed
    once per evaluation; the answers that show it share it (never changed once built)."""
    view = ev.memo.get("intake")
    if view is None:
        keys = ev.snapshot.reference.nutrients.keys
        # what intake_entries reads, byte for byte: profiles without supplements share it
        key = (keys, *(a.tobytes() for a in (ev.intake, ev.limits, ev.safety.room, ev.safety.food)))
        view = _INTAKE_VIEWS.get(key)
        if view is None:
            if len(_INTAKE_VIEWS) >= 4096:
                _INTAKE_VIEWS.clear()
            view = _INTAKE_VIEWS[key] = intake_entries(keys, ev.intake, ev.limits, ev.safety)
        ev.memo["intake"] = view
    return view


# the intake view by exactly what it is computed from (never changed once built)
_INTAKE_VIEWS: dict[tuple, dict[str, dict[str, Any]]] = {}


def list_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`profile_notices` + `advice_notices`, computed once per evaluation and locale (the plain
    list and each placement of a refresh show them); a new list each call, the notices in it
    never changed. Neither reads `raw`, so a ranked copy may share them."""
    known = ev.memo.get(("notices", locale))
    if known is None:
        notices = profile_notices(ev, locale) + advice_notices(ev, locale)
        # and what is taken without the basket, where the basket alone crosses a limit (s36c)
        notices = with_taken_band(ev, notices, locale)
        known = ev.memo[("notices", locale)] = with_unsuited_lines(ev, locale, notices)
    return list(known)


def profile_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """What holds for the profile whatever is recommended: interaction notices, limits the
    current supplements and basket already cross, unverified limits (also used by regimens)."""
    reference = ev.snapshot.reference
    notices = [
        {"code": f"interaction:{i.id}", "text": i.text[locale]}
        for i in ev.safety.triggered
        if i.notice
    ]
    notices += threshold_notices(ev, locale)  # the day's total of what is taken (s5 S1)
    # an aim of ours that the interaction's warning keeps out says why (review 16 F7)
    said = {n["code"] for n in notices}
    warned = warned_out_by(ev.offer)  # and a goal's or rule's product kept out (s20)
    warned |= ev.advice.aims_warned_by if ev.advice else frozenset()
    notices += [
        {"code": f"interaction:{i.id}", "text": i.text[locale]}
        for i in ev.safety.triggered
        if i.id in warned and f"interaction:{i.id}" not in said
    ]
    notices += upper_limit_notices(ev, locale)  # food counted where it counts (review s5 S4)
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


def item_warnings(ev: Evaluation, index: int, locale: str) -> list[dict[str, Any]]:
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    keys = reference.nutrients.keys
    row = catalog.nutrients_per_day[index]
    # a daily threshold is for the day: taken + basket + this item (review s5 S1)
    warnings = item_interaction_warnings(ev, index, locale) + caution_warnings(ev, index, locale)
    warnings += combination_warnings(ev, index, locale)
    near = ev.memo.get("near_upper_limit")
    if near is None:
        near = ev.memo["near_upper_limit"] = _near_upper_limit_any(ev)
    if near[index]:  # else near_upper_limit finds no column: skip it
        totals = ev.safety.totals_with_item[index]
        for column, text in near_upper_limit(ev, totals, row > 0, locale):
            warnings.append({"code": f"near_upper_limit:{keys[column]}", "text": text})
    return warnings


def _near_upper_limit_any(ev: Evaluation) -> list[bool]:
    """Per product: does `day_totals.near_upper_limit` find a column for it? The same
    comparison for every product at once (what it computes for one row, elementwise)."""
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    with_food = ev.safety.totals_with_item + ev.safety.food_or_zero
    near = (
        (catalog.nutrients_per_day > 0)
        & ev.has_limit
        & (with_food >= reference.warn_at_upper_limit_fraction * ev.limits)
    )
    return near.any(axis=1).tolist()


def explanation(ev: Evaluation, index: int) -> dict[str, Any]:
    """Features and their contributions to the raw score, plus rule weights (explain=true)."""
    weights = ev.snapshot.reference.weights
    features = {name: round(float(v[index]), 4) for name, v in ev.features.values.items()}
    contributions = {
        name: round(sign(name) * weights.get(name, 0.0) * value, 4)
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
