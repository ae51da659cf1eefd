"""Why a product is or is not recommended for a profile: each safety exclusion with its
numbers, each rule with its effect, the score and the position. Used by `dosewise explain`,
the preview page and merchandisers' rule tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from .advice import advice_of
from .advice_config import advice_config
from .amounts import rounded
from .children import second_sources
from .errors import NotFound
from .instead import instead_reasons
from .needs import no_need_detail
from .ranking import Evaluation, check_request, evaluate, explanation, rank_and_render
from .requests import RecommendationRequest
from .safety import SAFETY_REASON_CODES, safety_reason
from .snapshot import Snapshot


def dose_band_view(ev: Evaluation) -> dict[str, dict[str, Any]]:
    """Per nutrient with an advice or a band: the advice, the band and what justifies it
    (explain, preview and regimens show the same numbers)."""
    keys = ev.snapshot.reference.nutrients.keys
    out = {}
    for column, key in enumerate(keys):
        target = advice_of(ev).targets[column]
        upper = advice_of(ev).band_upper[column]
        if np.isnan(target) and not np.isfinite(upper):
            continue
        out[key] = {
            "advice": None if np.isnan(target) else rounded(target),
            "source": advice_of(ev).target_ids.get(key),
            "authority": advice_of(ev).authority.get(column),
            "band_upper": rounded(upper) if np.isfinite(upper) else None,
            "justified_by": advice_of(ev).justified_by.get(column),
        }
    return out


def exclusion_texts(ev: Evaluation, index: int) -> list[dict[str, Any]]:
    """Why the advice keeps a product out of a list: above the dose band, a duplicate of what
    is covered, or no need (explain and the preview)."""
    keys = ev.snapshot.reference.nutrients.keys
    offer = ev.offer
    reasons: list[dict[str, Any]] = []
    for column in np.flatnonzero(offer.above_band[index]).tolist():
        amount = rounded(ev.snapshot.catalog.nutrients_per_day[index, column])
        total = rounded(ev.snapshot.catalog.nutrients_per_day[index, column] + ev.intake[column])
        upper = rounded(advice_of(ev).band_upper[column])
        text = f"{keys[column]} {amount} a day is above the dose band of {upper} "
        if total != amount:
            text = f"{keys[column]} {amount} a day ({total} with what is taken) is above the "
            text += f"dose band of {upper} "
        reasons.append(
            {
                "code": "dose_band",
                "nutrient": keys[column],
                "amount": amount,
                "total": total,
                "band_upper": upper,
                "text": text + "for this profile's advice",
            }
        )
    if offer.duplicate[index]:
        doubled = [keys[c] for c in offer.duplicated(index)]
        code, text = "already_covered", "the person already takes enough of this"
        if doubled:
            text = f"adds {', '.join(doubled)}, already covered by what the person takes"
        elif second_sources(ev)[index]:  # session 19: scoring.yaml lists.one_source
            code, text = "one_source", "a second product of a nutrient the child already takes"
        reasons.append({"code": code, "nutrients": doubled, "text": text})
    if not offer.need[index]:
        text = "meets no need of this profile (an advice gap within the dose band, a stated "
        text += "goal, a matching rule or a learned preference)" + no_need_detail(offer, index)
        reasons.append({"code": "no_need", "text": text})
    return reasons


def exclusion_reasons(ev: Evaluation, index: int) -> list[dict[str, Any]]:
    """Every safety check (and stock, already taken) that excludes product `index`."""
    catalog, reference, profile = ev.snapshot.catalog, ev.snapshot.reference, ev.profile
    product = catalog.products[index]
    keys = reference.nutrients.keys
    reasons: list[dict[str, Any]] = []
    for code, mask in ev.safety.excluded.items():
        if not mask[index]:
            continue
        if code == "upper_limit":
            for column in np.flatnonzero(ev.safety.over_limit[index]).tolist():
                key = keys[column]
                total = rounded(ev.safety.totals_with_item[index, column])
                limit = rounded(ev.limits[column])
                food = rounded(ev.safety.food[column])
                # each part named (review s35b N: "would reach 100 + 7 from food of 100" read
                # as a puzzle): 25 taken + 75 from this product + 7 from food = 107 µg
                unit, taken = reference.nutrients.units[key], rounded(ev.intake[column])
                own = rounded(catalog.nutrients_per_day[index, column])
                parts = [f"{taken} taken or in the basket"] * bool(taken) + [
                    f"{own} from this product"
                ]
                parts += [f"{food} from food"] * bool(food)
                day = rounded(ev.safety.totals_with_item[index, column] + ev.safety.food[column])
                text = f"{key}: {' + '.join(parts)} = {day} {unit} a day, above the upper limit"
                reasons.append(
                    {
                        "code": code,
                        "nutrient": key,
                        "amount": total,
                        "upper_limit": limit,
                        "food": food,
                        "text": f"{text} of {limit} {unit}",
                    }
                )
        elif code.startswith("interaction:"):
            interaction = next(i for i in ev.safety.triggered if f"interaction:{i.id}" == code)
            found = [
                n
                for n, t in interaction.exclude.items()
                if catalog.nutrients_per_day[index, keys.index(n)] > t
            ]
            trigger = interaction.trigger_words(profile)
            reasons.append(
                {
                    "code": code,
                    "text": f"contains {', '.join(found)}; excluded with {', '.join(trigger)}",
                }
            )
        elif code == "diet":
            reasons.append({"code": code, "text": f"not suitable for a {profile.diet} diet"})
        elif code == "allergy":
            hit = sorted(set(product.allergens) & set(profile.allergies))
            reasons.append({"code": code, "text": f"contains allergen {', '.join(hit)}"})
        elif code == "age":
            span = f"{product.min_age}-{product.max_age if product.max_age is not None else ''}"
            reasons.append({"code": code, "text": f"for ages {span}; profile is {profile.age}"})
        elif code == "life_stage":
            reasons.append({"code": code, "text": f"not suitable when {profile.life_stage}"})
        elif code in SAFETY_REASON_CODES:
            text = safety_reason(catalog, ev.snapshot.reference, profile, code, index)
            reasons.append({"code": code, "text": text})
        elif code == "out_of_stock":
            reasons.append({"code": code, "text": "out of stock"})
        elif code == "already_taken":
            reasons.append({"code": code, "text": "already taken or in the basket"})
    return reasons


def rule_effects(ev: Evaluation, index: int) -> list[dict[str, Any]]:
    """Rules that select this product: applied (condition holds) or not, and why not."""
    effects = []
    matched = {r.id for r in ev.matched_rules}
    for rule in ev.snapshot.rules.rules:
        if not rule.mask[index]:
            continue
        if rule.id in matched:
            status = "applied"
        elif not ev.snapshot.rules.applies(rule):
            status = "not for this placement (rules/placements.yaml, the rule's placements)"
        elif off := rule.inactive_because(ev.today, ev.profile.country):
            status = off
        else:
            status = "condition does not hold for this profile"
        effect = {
            "boost": f"+{rule.weight}",
            "bury": f"-{rule.weight}",
            "exclude": "excluded",
            "pin": f"pinned at {rule.position}",
            "require": "required",
        }[rule.action]
        effects.append(
            {
                "rule": rule.id,
                "action": rule.action,
                "effect": effect,
                "status": status,
                "file": rule.file,
                "line": rule.line,
            }
        )
    for rule in ev.matched_rules:
        if rule.action == "require" and not rule.mask[index]:
            effects.append(
                {
                    "rule": rule.id,
                    "action": "require",
                    "effect": "excluded",
                    "status": "applied: this product is not among the required ones",
                    "file": rule.file,
                    "line": rule.line,
                }
            )
    return effects


def explain_product(
    snapshot: Snapshot, request: RecommendationRequest, sku: str, today: dt.date
) -> dict[str, Any]:
    catalog = snapshot.catalog
    index = catalog.index.get(sku)
    if index is None:
        raise NotFound(f"no product with SKU {sku!r}")
    ev = evaluate(snapshot, request.profile, request.lines(), today, request.jurisdiction)
    listing = rank_and_render(ev, _with_limit(request, 50), (request.locale,))[request.locale]
    position = next((n for n, item in enumerate(listing["items"], 1) if item["sku"] == sku), None)
    exclusions = exclusion_reasons(ev, index)
    instead = instead_reasons(ev, request, index)
    advice_exclusions = _advice_exclusions(ev, index, instead)
    rules = rule_effects(ev, index)
    if position is not None:
        verdict = f"recommended at position {position}"
        if position > request.limit:
            verdict += f" (below the requested limit of {request.limit})"
    elif instead:
        verdict = "not an item: " + "; ".join(e["text"] for e in instead)
    elif exclusions:
        verdict = "not recommended: " + "; ".join(e["text"] for e in exclusions)
    elif ev.over_limit_now:
        verdict = "not recommended: current intake is already above an upper limit"
    elif any(r["status"].startswith("applied") and r["effect"] == "excluded" for r in rules):
        verdict = "not recommended: excluded by a merchandising rule"
    elif advice_exclusions:
        verdict = "not recommended: " + "; ".join(e["text"] for e in advice_exclusions)
    else:
        left = instead_reasons(ev, request, index, left_out=True)
        left = left or [left_out_reason(ev, index, listing["items"], 50)]
        verdict = "not recommended: " + left[0]["text"]
    return {
        "sku": sku,
        "name": catalog.products[index].name[request.locale],
        "verdict": verdict,
        "position": position,
        "safety_exclusions": exclusions,
        "advice_exclusions": advice_exclusions,
        "instead": instead,
        "advice": dose_band_view(ev),
        "rules": rules,
        "score": explanation(ev, index),
        "versions": snapshot.versions,
    }


def preview(snapshot: Snapshot, request: RecommendationRequest, today: dt.date) -> dict[str, Any]:
    """The recommendation body plus every product left out and why (the preview page)."""
    check_request(snapshot, request)
    ev = evaluate(snapshot, request.profile, request.lines(), today, request.jurisdiction)
    body = rank_and_render(ev, request, (request.locale,))[request.locale]
    excluded = []
    listed = {item["sku"] for item in body["items"]}
    for index, product in enumerate(snapshot.catalog.products):
        instead = instead_reasons(ev, request, index)  # first: it is named in a notice
        reasons = instead + exclusion_reasons(ev, index)
        if ev.rule_excluded[index] or not ev.rule_required[index]:
            reasons.append({"code": "rule", "text": "excluded by a merchandising rule"})
        reasons += _advice_exclusions(ev, index, instead)
        if not reasons and product.sku not in listed:
            reasons = instead_reasons(ev, request, index, left_out=True)
            reasons = reasons or [left_out_reason(ev, index, body["items"], request.limit)]
        if reasons:
            excluded.append(
                {"sku": product.sku, "name": product.name[request.locale], "reasons": reasons}
            )
    return {
        **body,
        "excluded": excluded,
        "matched_rules": [r.id for r in ev.matched_rules],
        "advice": dose_band_view(ev),
    }


def _advice_exclusions(
    ev: Evaluation, index: int, instead: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`exclusion_texts` less "meets no need" for the product named in place of one taken that
    does not suit: it serves that product's need on the day without it (review s26b B5)."""
    texts = exclusion_texts(ev, index)
    if any(e["code"] == "instead" for e in instead):
        return [e for e in texts if e["code"] != "no_need"]
    return texts


def _with_limit(request: RecommendationRequest, limit: int) -> RecommendationRequest:
    from dataclasses import replace

    return replace(request, limit=limit, explain=False)


def left_out_reason(
    ev: Evaluation, index: int, items: list[dict[str, Any]], limit: int
) -> dict[str, Any]:
    """Why a product that nothing excludes is not on a list of `items` (at most `limit`): the
    list holds at most `lists.max_per_role` products of one role (scoring.yaml) and those of its
    role come first; or the list is full; or it ranks below every product the list shows
    (session 12: explain said "ranked below the first 50" of a list of 2, and the preview left
    such products out of `excluded` without a word)."""
    catalog, offer = ev.snapshot.catalog, ev.offer
    role = int(offer.roles[index])
    same = [i["sku"] for i in items if int(offer.roles[catalog.index[i["sku"]]]) == role]
    most = advice_config(ev.snapshot.reference).max_per_role
    if len(same) >= most:
        text = (
            f"the list shows at most {most} products for {offer.role_name(role)} "
            f"(scoring.yaml lists.max_per_role), and {', '.join(same)} come first (by score, "
            "or as the dose that fits: scoring.yaml dose_fit)"
        )
        return {"code": "role_cap", "role": offer.role_name(role), "text": text}
    if len(items) >= limit:
        return {"code": "ranked_out", "text": f"ranked below the {limit} products the list shows"}
    text = "ranked below the products the list shows, which fill the profile's needs first"
    return {"code": "ranked_out", "text": text}
