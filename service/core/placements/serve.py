"""A placement's list: run its strategy chain, keep its diversity and length, render the body.

The body is the plain list's (`items`, `intake`, `notices`, `versions`) plus `placement`; each
item also says which strategy chose it (`strategy`) and, in the cart, what it adds to the
basket. Without a `placement` the service answers exactly as before (recommender.recommend).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..advice_texts import no_items_notice
from ..day_totals import caution_notices
from ..errors import InvalidInput, NotFound
from ..instead import Instead, instead_notice, with_no_items_instead
from ..list_together import together_notices
from ..ranking import (
    Evaluation,
    ImpressionSink,
    _item,
    check_request,
    evaluate,
    intake_view,
    list_notices,
    rank_and_render,
)
from ..reason_texts import item_reasons
from ..refills import Purchase, RefillConfig
from ..refills.render import as_taken_warnings
from ..requests import RecommendationRequest
from ..rules import RuleSet
from ..snapshot import Snapshot
from ..unsuited import is_next_pack
from ..vocabulary import LOCALES
from .alternatives import alternatives_empty_notice, no_alternatives_notice, page_product_notice
from .alternatives_get import alternatives_of
from .complements import OneSource, basket_covered_notices, empty_notice
from .config import Placement
from .context import Copurchase, Pick, PlacementContext
from .continued import continuing
from .purchased import counting_proposals, reorders_together
from .replacing import names_instead, page_replacement, with_replacement
from .strategies import STRATEGIES, page_covers_notice

# a stored customer's purchases and the refill settings they are read with
Purchases = tuple[list[Purchase], RefillConfig]
# chains that are the profile's own list (home, account: what was bought, then the plain
# list): an empty one says why as the plain list does (review s7 P10)
PROFILE_LISTS = frozenset({"profile", "buy_again"})
PART_SEPARATOR = "@"  # a precomputed placement's part of a cached list: "nl@account"
# (id of a snapshot, placement) -> (that snapshot, its scoped copy); a few snapshots at most
_SCOPED: dict[tuple[int, str], tuple[Snapshot, Snapshot]] = {}


def part_name(locale: str, placement: str | None) -> str:
    """The key of a list in a customer's cached payload: the locale for the plain list."""
    return locale if placement is None else f"{locale}{PART_SEPARATOR}{placement}"


def scoped(snapshot: Snapshot, placement: Placement) -> Snapshot:
    """The snapshot with the rule set this placement sees (its `rules`, rules naming it)."""
    key = (id(snapshot), placement.name)
    entry = _SCOPED.get(key)
    if entry is not None and entry[0] is snapshot:
        return entry[1]
    if len(_SCOPED) > 64:
        _SCOPED.clear()
    rules = snapshot.rules.for_placement(placement.name, placement.allowed_rule_ids)
    found = replace(snapshot, rules=rules)
    _SCOPED[key] = (snapshot, found)
    return found


def check_placement(snapshot: Snapshot, name: str, product_sku: str | None = None) -> Placement:
    """The placement by name, or a 422 naming the field (and the known placements)."""
    errors: dict[str, list[str]] = {}
    placement = snapshot.placements.get(name)
    if placement is None:
        known = ", ".join(snapshot.placements.names) or "none configured"
        errors["placement"] = [f"unknown placement {name!r}; known: {known}"]
    if product_sku is not None and product_sku not in snapshot.catalog.index:
        errors["product_sku"] = [f"unknown SKU {product_sku!r}"]
    elif product_sku is None and placement is not None and "alternatives" in placement.strategies:
        # review s6 T10: without it the page's product was silently dropped (the plain list)
        errors["product_sku"] = [f"the {name} placement needs the product on the page"]
    if errors or placement is None:
        raise InvalidInput("the request names things the service does not know", errors)
    return placement


def placement_bodies(
    snapshot: Snapshot,
    request: RecommendationRequest,
    placement: Placement,
    today: dt.date,
    locales: tuple[str, ...],
    product_sku: str | None = None,
    copurchase: Copurchase | None = None,
    shared: Shared | None = None,
    purchases: Purchases | None = None,
    impressions: ImpressionSink | None = None,
) -> dict[str, dict[str, Any]]:
    """One evaluation, the placement's chain, rendered per locale. `shared`: evaluations of
    this request by the rules they apply, reused and added to (one refresh, many placements).
    `purchases`: a stored customer's purchase history and the refill settings (buy_again,
    refills); without them those strategies yield nothing. `impressions` receives the
    evaluation and the catalog indices shown (of the first locale), as the plain list's does.
    An experiment arm's snapshot names its arm in the body's `experiment`, as the plain list."""
    check_request(snapshot, request)
    bought, settings = purchases if purchases is not None else (None, None)
    ctx = PlacementContext(
        scoped(snapshot, placement),
        request,
        placement,
        today,
        product_sku,
        copurchase,
        purchases=tuple(bought) if bought is not None else None,
        refills=settings,
        full_snapshot=snapshot,
    )
    if shared is not None:
        applied = _applied(ctx.snapshot.rules)
        if applied in shared.evaluations:
            ctx.__dict__["ev"] = shared.evaluations[applied]  # the cached_property, computed
        else:
            shared.evaluations[applied] = ctx.ev
    limit = min(request.limit, placement.length)
    picks = _chain(ctx, placement, limit)
    instead: tuple[Instead, ...] = ()
    if names_instead(ctx):  # as the plain list (s26b B2; cart, checkout s27; e-mail s36a F3)
        picks, instead = with_replacement(ctx, picks)
    elif ctx.page_product_unsuited:  # the list's replacement of the page's product (s37a F7)
        picks, instead = page_replacement(ctx, picks)
    ev = ctx.ev
    intake = shared.intake(ev) if shared is not None else intake_view(ev)
    bodies: dict[str, dict[str, Any]] = {}
    for locale in locales:
        notices = continuing(ctx, picks, list_notices(ev, locale), locale)
        notices = instead_notice(ev, instead, notices, locale)
        codes = {n["code"] for n in notices}
        # the strategies' own (a refill held back), once each
        notices += [n for n in ctx.notices.get(locale, []) if n["code"] not in codes]
        # cart, checkout; no "ask whether to add one" beside "every product would go above
        # the safe upper limit" (review 20 F3)
        unmet = {n["code"].replace("advice_unmet:", "basket_short:") for n in notices}
        basket = [n for n in basket_covered_notices(ctx, locale) if n["code"] not in unmet]
        # "no second product" in the cart is not "we suggest it later" (re-review 22b M3)
        short = {n["code"].replace("basket_short:", "advice_open:") for n in basket}
        notices = [n for n in notices if n["code"] not in short] + basket
        if ctx.page_product_unsuited:  # nothing goes with it; alternatives alone say less
            notices.append(page_product_notice(ctx, placement, locale))
        elif ctx.product_index is not None:  # the page product's own caution (review s39c F4)
            codes = {n["code"] for n in notices}
            page = caution_notices(ev, locale, [ctx.product_index], basket=False)
            notices += [n for n in page if n["code"] not in codes]
        covers = page_covers_notice(ctx, picks, limit, locale)
        notices += covers
        rendered = [_render(ctx, pick, locale, shared) for pick in picks]
        items = [item for item in rendered if item["reasons"]]  # guarantee 11
        # not one routine to buy whole (review 22 F1: 45 µg vitamin D in pregnancy on `home`)
        notices += together_notices(ev, _new_items(ctx, picks, rendered), locale)
        if impressions is not None and not bodies and items:
            shown = [p.index for p, item in zip(picks, rendered, strict=True) if item["reasons"]]
            impressions(ev, shown)
        if not items and set(placement.strategies) == {"alternatives"}:
            # no comparable product, not "nothing fits" (s6); beside the basket (review 16 F11)
            notices.append(alternatives_empty_notice(ctx, locale))
        elif not items and set(placement.strategies) <= PROFILE_LISTS:
            notices.append(no_items_notice(ev, locale))  # as the plain list says (s7 P10)
        elif not items and ctx.page_product_unsuited and "alternatives" in placement.strategies:
            # nothing goes with it (said above) and nothing comparable suits (review s8 Q7)
            config = ctx.snapshot.placements
            notices.append(no_alternatives_notice(config, locale, True, True))
        elif not items and not covers and "alternatives" in placement.strategies:
            # a page product that suits: not "nothing safely fits your profile" (review 11)
            text = ctx.snapshot.placements.text("notice_no_items_page", locale)
            notices.append({"code": "no_items", "text": text})
        elif not items:  # the plain list's reason (16 F2); what the page product or basket covers
            notices += [] if covers else [empty_notice(ctx, locale)]
        elif len(items) < limit:
            notices.append(short_list_notice(ctx, picks, rendered, locale))
        notices = with_no_items_instead(instead, notices, locale)
        bodies[locale] = {
            "items": items,
            "intake": intake,
            "notices": notices,
            "versions": snapshot.versions,
            "placement": placement.name,
        }
        if snapshot.experiment is not None:  # an A/B test's arm names itself (issue 12)
            experiment_id, variant_id = snapshot.experiment
            bodies[locale]["experiment"] = {"id": experiment_id, "variant": variant_id}
    return bodies


def short_list_notice(
    ctx: PlacementContext, picks: list[Pick], rendered: list[dict[str, Any]], locale: str
) -> dict[str, str]:
    """`short_list`: the plain list's "only products that meet a need", except where items
    shown are alternatives, which are comparable to the product on the page whether or not
    the person needs its nutrient (review 17 S1: calcium alternatives to a vegan on a
    thiazide, whose calcium aim is no target, under "only products that meet a need")."""
    shown = {p.strategy for p, item in zip(picks, rendered, strict=True) if item["reasons"]}
    if "alternatives" not in shown:
        text = ctx.snapshot.reference.text("notice_short_list", locale)
    elif shown == {"alternatives"}:
        text = ctx.snapshot.placements.text("notice_short_list_alternatives", locale)
    else:
        text = ctx.snapshot.placements.text("notice_short_list_page", locale)
    return {"code": "short_list", "text": text}


def _chain(ctx: PlacementContext, placement: Placement, limit: int) -> list[Pick]:
    picks: list[Pick] = []
    seen: set[int] = set()
    categories: Counter[str] = Counter()
    brands: Counter[str] = Counter()
    products = ctx.snapshot.catalog.products
    sources = OneSource(ctx)  # cart, checkout: one source per nutrient in the answer (s9 A2)
    for name in placement.strategies:
        if len(picks) >= limit:
            break
        # ask for more than needed: repeats and diversity caps drop some
        for pick in STRATEGIES[name](ctx, limit * 2 + 4):
            product = products[pick.index]
            if pick.index in seen:
                continue
            if placement.max_per_category and (
                categories[product.category] >= placement.max_per_category
            ):
                continue
            if placement.max_per_brand and brands[product.brand] >= placement.max_per_brand:
                continue
            if sources.second(pick):
                continue
            picks.append(pick)
            sources.add(pick)
            seen.add(pick.index)
            categories[product.category] += 1
            brands[product.brand] += 1
            if len(picks) >= limit:
                break
        if name == "refills":  # their reasons beside one another (review s13 F13)
            picks = reorders_together(ctx, picks)
        if name in ("buy_again", "refills"):  # what they propose counts as taken after them
            ctx = counting_proposals(ctx, [p for p in picks if p.strategy == name])
    return picks


def _render(
    ctx: PlacementContext, pick: Pick, locale: str, shared: Shared | None = None
) -> dict[str, Any]:
    reference = ctx.snapshot.reference
    if shared is None:
        item = _item(pick.ev, pick.index, pick.raw, locale, ctx.request.explain)
    else:  # the same item in two placements of one refresh is rendered once
        key = (id(pick.ev), pick.index, pick.raw, locale, ctx.request.explain)
        if key not in shared.items:
            shared.items[key] = _item(pick.ev, pick.index, pick.raw, locale, ctx.request.explain)
        item = dict(shared.items[key])  # top-level keys change below, nested ones never
    page = ctx.product_index
    if pick.strategy == "alternatives" and page is not None and is_next_pack(pick.ev, page):
        sku = ctx.snapshot.catalog.products[page].sku  # instead of the page product
        item["reasons"] = item_reasons(pick.ev, pick.index, locale, instead_of=sku)
    elif pick.reasons_ev is not None:
        item["reasons"] = item_reasons(pick.reasons_ev, pick.index, locale)
    own = [r for r in pick.reasons.get(locale, ()) if reference.forbidden_match(r["text"]) is None]
    taken = pick.extra.get("servings_per_day") if pick.strategy == "refills" else None
    if taken is not None:  # a reorder at the servings taken: the list's reasons and near-limit
        # warnings speak of the label's (re-review 22b U1), as GET /refills says it
        item["reasons"] = own
        warnings = item["warnings"]
        item["warnings"] = as_taken_warnings(pick.ev, pick.index, warnings, float(taken), locale)
    else:
        item["reasons"] = own + [r for r in item["reasons"] if r not in own]
    item["brand"] = ctx.snapshot.catalog.products[pick.index].brand
    item["strategy"] = pick.strategy
    item.update(pick.extra)
    return item


def _new_items(
    ctx: PlacementContext, picks: list[Pick], rendered: list[dict[str, Any]]
) -> list[int]:
    """The catalog indices of the items shown that what is taken and the basket do not count
    already (a reorder of a current supplement is in the evaluation's intake once), less the
    alternatives: each is one instead of the page's product and of each other, no routine to
    combine (re-review 22 M5: three multivitamins "do not take all of these together")."""
    counted = {line.sku for line in ctx.ev.resolved if line.sku}
    products = ctx.snapshot.catalog.products
    return [
        p.index
        for p, item in zip(picks, rendered, strict=True)
        if item["reasons"] and p.strategy != "alternatives" and products[p.index].sku not in counted
    ]


# ---------------------------------------------------------------- entry points
def recommend_placement(
    snapshot: Snapshot,
    data: RecommendationRequest | Mapping[str, Any],
    today: dt.date,
    copurchase: Copurchase | None = None,
    jurisdiction: str | None = None,
    purchases: Purchases | None = None,
    impressions: ImpressionSink | None = None,
) -> dict[str, Any]:
    """The answer to a recommendation request that names a `placement` (the typed request the
    contract's schema loads, or an already-validated body as a dict). `purchases`: the stored
    customer's history and the refill settings (the customer GET); a POST has none.
    `impressions`: as placement_bodies."""
    request = (
        data
        if isinstance(data, RecommendationRequest)
        else RecommendationRequest.from_dict(dict(data))
    )
    if request.placement is None:
        raise InvalidInput("no placement named", {"placement": ["give a placement"]})
    placement = check_placement(snapshot, request.placement, request.product_sku)
    request = replace(request, customer_id=None)
    if request.jurisdiction is None and jurisdiction:
        request = replace(request, jurisdiction=jurisdiction)
    return placement_bodies(
        snapshot,
        request,
        placement,
        today,
        (request.locale,),
        request.product_sku,
        copurchase,
        purchases=purchases,
        impressions=impressions,
    )[request.locale]


def plain_and_precomputed(
    snapshot: Snapshot,
    request: RecommendationRequest,
    today: dt.date,
    locales: tuple[str, ...],
    impressions: ImpressionSink | None = None,
) -> dict[str, dict[str, Any]]:
    """What a stored customer's refresh writes: the plain list per locale (exactly what
    ranking.recommend_in_locales gives) and the lists of every placement marked `precomputed`,
    keyed by part_name, under the same fingerprint. One evaluation serves every placement that
    applies the same rules as the plain list (the shipped home and account do)."""
    check_request(snapshot, request)
    ev = evaluate(snapshot, request.profile, request.lines(), today, request.jurisdiction)
    out = rank_and_render(ev, request, locales, impressions)  # `impressions`: the plain list
    shared = Shared({_applied(snapshot.rules): ev})
    for placement in snapshot.placements.precomputed:
        bodies = placement_bodies(snapshot, request, placement, today, locales, shared=shared)
        for locale, body in bodies.items():
            out[part_name(locale, placement.name)] = body
    return out


@dataclass
class Shared:
    """What the placements of one refresh share: evaluations by the rules they apply, the
    intake view per evaluation, rendered items."""

    evaluations: dict[frozenset[str], Evaluation]
    items: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    intakes: dict[int, dict[str, Any]] = field(default_factory=dict)

    def intake(self, ev: Evaluation) -> dict[str, Any]:
        if id(ev) not in self.intakes:
            self.intakes[id(ev)] = intake_view(ev)
        return self.intakes[id(ev)]


def _applied(rules: RuleSet) -> frozenset[str]:
    """The rules a (scoped) rule set applies: two sets applying the same evaluate alike. Once
    per rule set (a refresh asks for every profile and placement; a rule set never changes)."""
    key = id(rules)
    known = _APPLIED.get(key)
    if known is None or known[0] is not rules:
        if len(_APPLIED) > 256:
            _APPLIED.clear()
        known = _APPLIED[key] = (rules, frozenset(r.id for r in rules.rules if rules.applies(r)))
    return known[1]


# id of a rule set -> (that rule set, the ids of the rules it applies)
_APPLIED: dict[int, tuple[RuleSet, frozenset[str]]] = {}


def recommend_stored(
    snapshot: Snapshot, profile: Mapping[str, Any], placement: str, limit: int, locale: str,
    today: dt.date, jurisdiction: str | None = None, purchases: Purchases | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A stored customer's list for a placement, computed now (a miss of the cache), with the
    customer's purchases when the chain needs them (buy_again, refills)."""
    data = {"profile": profile, "limit": limit, "locale": locale, "placement": placement}
    return recommend_placement(snapshot, data, today, None, jurisdiction, purchases)


def cache_key(
    fingerprint: str, day: dt.date, request: RecommendationRequest, extra: Any = None
) -> str:
    """The answer cache's key of a placement request (and the co-purchase rows it used)."""
    rows = json.dumps(extra, sort_keys=True, separators=(",", ":"), default=str)
    return f"placement:{fingerprint}:{day.isoformat()}:{request!r}:{rows}"


def alternatives_for_profile(
    snapshot: Snapshot,
    sku: str,
    data: Mapping[str, Any],
    today: dt.date,
    jurisdiction: str | None = None,
) -> dict[str, Any]:
    """`POST /v1/products/{sku}/alternatives` with a profile and basket: the alternatives that
    pass every safety mask of the plain list for that profile (the `alternatives` strategy
    alone, with the product_page placement's rules and diversity when one is configured)."""
    if sku not in snapshot.catalog.index:
        raise NotFound(f"no product with SKU {sku!r}")
    base = snapshot.placements.get("product_page")
    placement = Placement(
        name=base.name if base else "product_page",
        description="alternatives",
        strategies=("alternatives",),
        length=50,
        max_per_category=None,
        max_per_brand=base.max_per_brand if base else None,
        rules=base.rules if base else "all",
        precomputed=False,
        basket_overlap="allow",
    )
    body = {k: v for k, v in data.items() if k in _REQUEST_KEYS}
    request = RecommendationRequest.from_dict(body)
    if request.jurisdiction is None and jurisdiction:
        request = replace(request, jurisdiction=jurisdiction)
    answer = placement_bodies(snapshot, request, placement, today, (request.locale,), sku)
    return {"product": sku, **answer[request.locale]}


_REQUEST_KEYS = ("profile", "basket", "limit", "locale", "exclude_skus", "explain", "jurisdiction")
__all__ = [
    "LOCALES",
    "alternatives_for_profile",
    "alternatives_of",
    "check_placement",
    "part_name",
    "placement_bodies",
    "plain_and_precomputed",
    "recommend_placement",
    "scoped",
]
