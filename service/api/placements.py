"""Placements over HTTP (issue 11): alternatives of a product (GET without, POST with a
profile and basket), and the placement answer of `POST /v1/recommendations` and the customer
GET. The work is in service/core/placements; this module reads the co-purchase rows a cart
needs from Redis and hands everything else to the core."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import redis
from flask import Flask, current_app, jsonify
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..contract.base import StrictQuerySchema
from ..contract.placements import (
    AlternativesQuerySchema,
    AlternativesRequestSchema,
    AlternativesResponseSchema,
    PlacementsResponseSchema,
)
from ..contract.responses import ContractErrorSchema
from ..core.errors import DataFileError, NotFound
from ..core.placements.config import NEEDS_PURCHASES
from ..core.placements.serve import (
    Purchases,
    alternatives_for_profile,
    alternatives_of,
    cache_key,
    check_placement,
    recommend_placement,
)
from ..core.profile import Line
from ..core.refills import refill_config
from ..core.requests import RecommendationRequest
from ..customers import copurchase
from ..customers.entries import check_bought, check_profile, check_stored
from ..customers.redis_client import get_store, impression_logger, number_setting
from ..customers.refills import purchases_of
from ..customers.refresh import locales_for
from ..customers.supplies import effective_entry
from ..experiments.safety import check_answer
from ..experiments.serving import for_app as experiment_server

blp = Blueprint(
    "placements",
    __name__,
    url_prefix="/v1",
    description="Placements: alternatives of a product, complements of a basket.",
)
log = logging.getLogger("dosewise.placements")


@blp.route("/products/<string:sku>/alternatives", methods=["GET"])
@blp.arguments(AlternativesQuerySchema(), location="query", unknown=RAISE)
@blp.response(200, AlternativesResponseSchema)
@blp.alt_response(404, schema=ContractErrorSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
def get_alternatives(query: dict, sku: str):
    """Products for the same need (same nutrients, comparable dose) in another form, source,
    diet, brand or price, each with why; never less suitable than the product itself."""
    recommender = current_app.extensions["dosewise"]
    return jsonify(
        alternatives_of(
            recommender.snapshot, sku, query["limit"], query["locale"], query["country"]
        )
    )


@blp.route("/products/<string:sku>/alternatives", methods=["POST"])
@blp.arguments(AlternativesRequestSchema())
@blp.response(200, AlternativesResponseSchema)
@blp.alt_response(400, schema=ContractErrorSchema)
@blp.alt_response(404, schema=ContractErrorSchema)
@blp.alt_response(413, schema=ContractErrorSchema)
@blp.alt_response(415, schema=ContractErrorSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
def post_alternatives(body: dict, sku: str):
    """The alternatives for a profile and basket: every safety guarantee applies."""
    recommender = current_app.extensions["dosewise"]
    return jsonify(
        alternatives_for_profile(
            recommender.snapshot, sku, body, recommender.clock(), recommender.jurisdiction
        )
    )


@blp.route("/placements", methods=["GET"])
@blp.arguments(StrictQuerySchema(), location="query", unknown=RAISE)  # review s35b F10
@blp.response(200, PlacementsResponseSchema)
def list_placements(_query: dict[str, Any]):
    """The placements of rules/placements.yaml: strategy chain, length, diversity, rules."""
    config = current_app.extensions["dosewise"].snapshot.placements
    return jsonify(
        {
            "placements": [
                {
                    "name": p.name,
                    "description": p.description,
                    "strategies": list(p.strategies),
                    "length": p.length,
                    "max_per_category": p.max_per_category,
                    "max_per_brand": p.max_per_brand,
                    "rules": p.rules if isinstance(p.rules, str) else list(p.rules),
                    "precomputed": p.precomputed,
                    "basket_overlap": p.basket_overlap,
                }
                for p in (config.placements[name] for name in config.names)
            ]
        }
    )


def placement_preview(app: Flask, request: RecommendationRequest, day: Any) -> dict[str, Any]:
    """The preview page's placement list on `day` (items, notices, intake, placement)."""
    snapshot = app.extensions["dosewise"].snapshot
    chosen = check_placement(snapshot, request.placement or "", request.product_sku)
    rows = _rows_for(app, chosen.strategies, request)
    answer = recommend_placement(
        snapshot, request, day, rows, app.extensions["dosewise"].jurisdiction
    )
    return {k: answer[k] for k in ("items", "notices", "intake", "placement")}


def placement_answer(
    app: Flask, request: RecommendationRequest, request_id: str = "", session_id: str | None = None
) -> dict[str, Any]:
    """`POST /v1/recommendations` with a `placement`: its chain, with the co-purchase rows of
    the basket when the chain has complements. As the plain list: the A/B arm of an experiment
    on this placement (or on `all`) by customer id or `X-Session-ID`, its exposure logged with
    the placement's name, and with a `customer_id` the impression logged for training (naming
    the placement). Answers are kept in the recommender's cache (keyed by the arm's
    fingerprint, the request, the rows used and the day); one whose impression is logged is
    computed (its features come from computing it). A POST carries no purchases: buy_again
    and refills give nothing there and the chain goes on."""
    recommender = app.extensions["dosewise"]
    placement = check_placement(recommender.snapshot, request.placement or "", request.product_sku)
    rows = _rows_for(app, placement.strategies, request)
    day = recommender.clock()
    customer_id = request.customer_id
    experiments = experiment_server(app)
    arm = experiments.arm(placement.name, customer_id, session_id, day, recommender.snapshot)
    snapshot = arm.snapshot_for(recommender.snapshot) if arm else recommender.snapshot
    request = replace(request, customer_id=None)
    sink = placement_impressions(app, snapshot, request_id, customer_id, placement.name)
    key = cache_key(snapshot.fingerprint, day, request, rows)
    answer = recommender.cache.get(key) if sink is None else None
    if answer is None:
        answer = recommend_placement(
            snapshot, request, day, rows, recommender.jurisdiction, impressions=sink
        )
        recommender.cache.put(key, answer)
    if arm is not None:
        skus = [item["sku"] for item in answer["items"]]
        experiments.log_exposure(arm, customer_id, request_id, skus, placement.name)
        check_answer(experiments, recommender, request, answer, day)  # safety in every arm
    return answer


def customer_placement(
    app: Flask,
    customer_id: str,
    name: str,
    limit: int,
    locale: str | None,
    request_id: str,
    basket: tuple[Line, ...] = (),
    product_sku: str | None = None,
    logged: bool = True,
) -> dict[str, Any]:
    """A stored customer's list for a placement that is not precomputed, computed now: with
    the customer's purchases when the chain needs them (buy_again, refills), in the A/B arm
    of an experiment on this placement (or `all`) by customer id with its exposure, and its
    impression logged naming the placement (`logged` False: a HEAD, nothing logged). The query's
    basket and page product count as in a POST (review s4 R12). NotFound for an unknown
    customer; CorruptEntry and Redis errors as the customer GET's other paths."""
    recommender = app.extensions["dosewise"]
    store = get_store(app)
    entry, _ = store.read(customer_id)
    if entry is None:
        raise NotFound(f"no customer {customer_id!r}")
    check_profile(entry)  # CorruptEntry (503) unless a PUT would store it (review s31b H2)
    check_stored(recommender.snapshot.catalog, customer_id, entry)  # 409: a product removed
    locale = locale or locales_for(entry["profile"])[0]  # none asked: the shop's language
    placement = check_placement(recommender.snapshot, name, product_sku)
    purchases = None
    if NEEDS_PURCHASES & set(placement.strategies):
        purchases = _purchases(recommender, store, customer_id, entry["profile"])
    if purchases is None:  # the supplies still lasting count as taken (buy_again and refills
        # count them), also where rules/refills.yaml was refused (review s32b F2: the e-mail
        # offered a 20 µg D3 beside a 75 µg bought 8 days before, 102 µg with food)
        entry = effective_entry(recommender, store, customer_id, entry)
    day = recommender.clock()
    experiments = experiment_server(app)
    arm = experiments.arm(placement.name, customer_id, None, day, recommender.snapshot)
    snapshot = arm.snapshot_for(recommender.snapshot) if arm else recommender.snapshot
    request = replace(
        RecommendationRequest.from_dict(
            {"profile": entry["profile"], "limit": limit, "locale": locale, "placement": name}
        ),
        basket=basket,
        product_sku=product_sku,
    )
    rows = _rows_for(app, placement.strategies, request)
    sink = placement_impressions(app, snapshot, request_id, customer_id, placement.name)
    answer = recommend_placement(
        snapshot, request, day, rows, recommender.jurisdiction, purchases, sink if logged else None
    )
    if arm is not None:
        skus = [item["sku"] for item in answer["items"]]
        if logged:  # not for a HEAD: nothing was shown (review s34b F5)
            experiments.log_exposure(arm, customer_id, request_id, skus, placement.name)
        check_answer(experiments, recommender, request, answer, day, purchases)
    return {**answer, "source": "computed"}


def _purchases(
    recommender: Any, store: Any, customer_id: str, profile: dict[str, Any]
) -> Purchases | None:
    """The customer's purchases, each on its day in the customer's market, and the refill
    settings; None (the chain goes on without them) when rules/refills.yaml was never loaded
    good (the findings are in the log)."""
    try:
        config = refill_config(recommender.paths.rules, recommender.snapshot.reference)
    except DataFileError as exc:
        log.error("rules/refills.yaml refused; buy_again and refills give nothing: %s", exc)
        return None
    bought = purchases_of(store.read_purchases(customer_id), config, profile)
    check_bought(recommender.snapshot.catalog, customer_id, bought, recommender.clock())
    return bought, config


def placement_impressions(
    app: Flask, snapshot: Any, request_id: str, customer_id: str | None, placement: str
) -> Callable[[Any, list[int]], None] | None:
    """The impression sink of a placement list shown to a known customer: the training log's
    record of the plain list (features of every item shown) plus `placement`. None without a
    customer id or without a learning setup (as the plain list)."""
    learning = app.extensions["dosewise"].learning
    if not customer_id or learning is None:
        return None
    record = impression_logger(app)
    skus = [p.sku for p in snapshot.catalog.products]

    def sink(ev: Any, shown: list[int]) -> None:
        rows = ev.model_features if ev.model_features is not None else learning.features(ev)
        entry = learning.impression(
            request_id,
            customer_id,
            dt.datetime.now(dt.UTC),
            rows,
            shown,
            skus,
            snapshot.versions["model"],
        )
        record({**entry, "placement": placement})

    return sink


def _rows_for(
    app: Flask, strategies: tuple[str, ...], request: RecommendationRequest
) -> dict[str, dict[str, float]] | None:
    if "complements" not in strategies:
        return None
    skus = [line.sku for line in request.basket if line.sku]
    if request.product_sku:
        skus.append(request.product_sku)
    # the catalog's SKUs only: an unknown one is refused later (422), and is neither looked up
    # nor kept in the row cache (review 24 #4)
    known = app.extensions["dosewise"].snapshot.catalog.index
    return copurchase_rows(app, [sku for sku in skus if sku in known])


def _row_cache(app: Flask) -> copurchase.RowCache:
    """This process's cache of co-purchase rows (COPURCHASE_CACHE_SECONDS: seconds, finite and
    not negative; another value is logged and the default 60 used, review 24 #5)."""
    cache = app.extensions.get("dosewise_copurchase_rows")
    if cache is None:
        seconds = number_setting(app, "COPURCHASE_CACHE_SECONDS", 60.0, 0)
        cache = app.extensions["dosewise_copurchase_rows"] = copurchase.RowCache(seconds)
    return cache


def copurchase_rows(app: Flask, skus: list[str]) -> dict[str, dict[str, float]] | None:
    """The co-purchase rows of these SKUs; None when Redis cannot answer now (the cart is then
    ranked without the signal: it is one signal among others, never a reason to fail)."""
    if not skus:
        return None
    try:
        return _row_cache(app).read(get_store(app), skus)
    except (redis.RedisError, OSError):
        log.warning("co-purchase table unavailable; the cart is ranked without it")
        return None
