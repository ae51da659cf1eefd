"""Known customers: PUT/DELETE a profile, GET its (precomputed) recommendations."""

from __future__ import annotations

from collections import OrderedDict

import redis
from flask import Flask, Response, current_app, g, jsonify, request
from flask_smorest import Blueprint
from marshmallow import ValidationError

from ..core.errors import InvalidInput, Unavailable
from ..customers.refresh import serve
from .redis_client import cache_policy, get_store, impression_logger
from .schemas import (
    ContractErrorSchema,
    CustomerQuerySchema,
    CustomerRecommendationResponseSchema,
    CustomerStoredSchema,
    ProfileSchema,
    flatten_messages,
)

blp = Blueprint(
    "customers",
    __name__,
    url_prefix="/v1",
    description="Stored profiles and their precomputed recommendations.",
)

MAX_ID = 128
LOCAL_PROFILES = 50_000  # profiles remembered per process, to answer while Redis is down


def _check_id(customer_id: str) -> None:
    if not customer_id or len(customer_id) > MAX_ID:
        raise InvalidInput(
            "customer id must be 1 to 128 characters",
            {"customer_id": [f"1 to {MAX_ID} characters"]},
        )


def _local_profiles(app: Flask) -> OrderedDict[str, dict]:
    return app.extensions.setdefault("dosewise_local_profiles", OrderedDict())


def _remember(app: Flask, customer_id: str, entry: dict | None) -> None:
    profiles = _local_profiles(app)
    if entry is None:
        profiles.pop(customer_id, None)
        return
    profiles[customer_id] = entry
    profiles.move_to_end(customer_id)
    while len(profiles) > LOCAL_PROFILES:
        profiles.popitem(last=False)


def schedule_refresh(customer_id: str) -> None:
    from workers.tasks import queue_customer_refresh

    queue_customer_refresh(current_app._get_current_object(), customer_id)


@blp.route("/customers/<string:customer_id>", methods=["PUT"])
@blp.arguments(ProfileSchema)
@blp.response(200, CustomerStoredSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def put_customer(profile: dict, customer_id: str):
    """Store a profile (nothing else is kept) and schedule a refresh of its list."""
    _check_id(customer_id)
    app = current_app._get_current_object()
    app.extensions["dosewise"].validate_profile(profile)
    store = get_store(app)
    try:
        digest = store.put_profile(customer_id, profile)
    except (redis.RedisError, OSError) as exc:
        raise Unavailable("the customer store is unavailable; try again") from exc
    _remember(app, customer_id, {"profile": profile, "digest": digest})
    refresh = "scheduled"
    try:
        schedule_refresh(customer_id)
    except Exception:  # noqa: BLE001 - the profile is stored; the GET path computes meanwhile
        refresh = "deferred"
    return jsonify({"customer_id": customer_id, "profile_digest": digest, "refresh": refresh})


QUERY = CustomerQuerySchema()  # one instance: this is the hottest path of the service


@blp.route("/customers/<string:customer_id>/recommendations", methods=["GET"])
@blp.doc(
    parameters=[
        {
            "in": "query",
            "name": "limit",
            "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
        },
        {
            "in": "query",
            "name": "locale",
            "schema": {"type": "string", "enum": ["nl", "de", "en"], "default": "nl"},
        },
    ]
)
@blp.response(200, CustomerRecommendationResponseSchema)
@blp.alt_response(404, schema=ContractErrorSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def customer_recommendations(customer_id: str):
    """From the cache in one Redis round trip when fresh, else computed now (and refreshed)."""
    try:
        query = QUERY.load(request.args)
    except ValidationError as exc:
        raise InvalidInput(
            "the query fails validation; see fields", flatten_messages(exc.messages)
        ) from None
    _check_id(customer_id)
    app = current_app._get_current_object()
    recommender = app.extensions["dosewise"]
    try:
        body = serve(
            recommender,
            get_store(app),
            customer_id,
            query["limit"],
            query["locale"],
            cache_policy(app),
            _safe_schedule,
            impression_logger(app),
            g.request_id,
        )
    except (redis.RedisError, OSError) as exc:
        entry = _local_profiles(app).get(customer_id)
        if entry is None:
            raise Unavailable(
                "the customer store is unavailable and this profile is not "
                "known to this process; try again"
            ) from exc
        answer = recommender.recommend(
            {"profile": entry["profile"], "limit": query["limit"], "locale": query["locale"]}
        )
        body = {**answer, "source": "computed"}
    metrics = app.extensions["dosewise_metrics"].customer_lists
    if isinstance(body, bytes):
        metrics.labels("cache").inc()
        return Response(body, mimetype="application/json")
    metrics.labels(body["source"]).inc()
    return jsonify(body)


@blp.route("/customers/<string:customer_id>", methods=["DELETE"])
@blp.response(200, CustomerStoredSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def delete_customer(customer_id: str):
    """Erase the profile, its cached recommendations and its events."""
    _check_id(customer_id)
    app = current_app._get_current_object()
    try:
        deleted = get_store(app).delete(customer_id)
    except (redis.RedisError, OSError) as exc:
        raise Unavailable(
            "the customer store is unavailable; nothing was erased, try again"
        ) from exc
    _remember(app, customer_id, None)
    return jsonify({"customer_id": customer_id, "deleted": deleted})


def _safe_schedule(customer_id: str) -> None:
    try:
        schedule_refresh(customer_id)
    except Exception:  # noqa: BLE001 - a refresh that cannot be queued must not fail the GET
        current_app.logger.warning("could not queue a refresh", exc_info=True)
