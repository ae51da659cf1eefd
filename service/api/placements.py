"""Placements over HTTP (issue 11): alternatives of a product (GET without, POST with a
profile and basket), and the placement answer of `POST /v1/recommendations` and the customer
GET. The work is in service/core/placements; this module reads the co-purchase rows a cart
needs from Redis and hands everything else to the core."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import redis
from flask import Flask, current_app, jsonify
from flask_smorest import Blueprint

from ..contract.placements import (
    AlternativesQuerySchema,
    AlternativesRequestSchema,
    AlternativesResponseSchema,
    PlacementsResponseSchema,
)
from ..contract.responses import ContractErrorSchema
from ..core.placements.serve import (
    alternatives_for_profile,
    alternatives_of,
    cache_key,
    check_placement,
    recommend_placement,
)
from ..core.requests import RecommendationRequest
from ..customers import copurchase
from ..customers.redis_client import get_store

blp = Blueprint(
    "placements",
    __name__,
    url_prefix="/v1",
    description="Placements: alternatives of a product, complements of a basket.",
)
log = logging.getLogger("dosewise.placements")


@blp.route("/products/<string:sku>/alternatives", methods=["GET"])
@blp.arguments(AlternativesQuerySchema, location="query")
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
@blp.arguments(AlternativesRequestSchema)
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
@blp.response(200, PlacementsResponseSchema)
def list_placements():
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


def placement_answer(app: Flask, request: RecommendationRequest) -> dict[str, Any]:
    """`POST /v1/recommendations` with a `placement`: its chain, with the co-purchase rows of
    the basket when the chain has complements. Answers are kept in the recommender's cache
    (keyed by the request, the rows used and the day)."""
    recommender = app.extensions["dosewise"]
    snapshot = recommender.snapshot
    placement = check_placement(snapshot, request.placement or "", request.product_sku)
    rows = _rows_for(app, placement.strategies, request)
    day = recommender.clock()
    request = replace(request, customer_id=None)
    key = cache_key(snapshot.fingerprint, day, request, rows)
    cached = recommender.cache.get(key)
    if cached is not None:
        return cached
    answer = recommend_placement(snapshot, request, day, rows, recommender.jurisdiction)
    recommender.cache.put(key, answer)
    return answer


def _rows_for(
    app: Flask, strategies: tuple[str, ...], request: RecommendationRequest
) -> dict[str, dict[str, float]] | None:
    if "complements" not in strategies:
        return None
    skus = [line.sku for line in request.basket if line.sku]
    if request.product_sku:
        skus.append(request.product_sku)
    return copurchase_rows(app, skus)


def copurchase_rows(app: Flask, skus: list[str]) -> dict[str, dict[str, float]] | None:
    """The co-purchase rows of these SKUs; None when Redis cannot answer now (the cart is then
    ranked without the signal: it is one signal among others, never a reason to fail)."""
    if not skus:
        return None
    try:
        return copurchase.read(get_store(app), skus)
    except (redis.RedisError, OSError):
        log.warning("co-purchase table unavailable; the cart is ranked without it")
        return None
