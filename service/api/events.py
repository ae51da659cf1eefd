"""POST /v1/events: shop events (view, click, add_to_cart, purchase) for learning to rank."""

from __future__ import annotations

import redis
from flask import current_app, jsonify
from flask_smorest import Blueprint

from ..contract.responses import ContractErrorSchema
from ..contract.schemas import AcceptedSchema, EventsRequestSchema
from ..core.errors import InvalidInput, Unavailable
from ..customers.redis_client import get_store
from ..customers.refills import record_purchases
from ..customers.supplies import purchased
from .customers import safe_schedule

blp = Blueprint("events", __name__, url_prefix="/v1", description="Shop events.")


@blp.route("/events", methods=["POST"])
@blp.arguments(EventsRequestSchema())
@blp.response(202, AcceptedSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def post_events(body: dict):
    """Validate and append events to a bounded Redis stream (in process without Redis)."""
    app = current_app._get_current_object()
    catalog = app.extensions["dosewise"].snapshot.catalog
    errors = {
        f"events.{i}.sku": [f"unknown SKU {e['sku']!r}"]
        for i, e in enumerate(body["events"])
        if e["sku"] not in catalog.index
    }
    if errors:
        raise InvalidInput("the request names things the catalog does not know", errors)
    events = [{**e, "timestamp": e["timestamp"].isoformat()} for e in body["events"]]
    try:
        store = get_store(app)
        store.add_events(events)
        record_purchases(app.extensions["dosewise"], store, events)
        # review s4 R4: a cached list that did not count the new supply is dropped
        buyers = [e["customer_id"] for e in events if e["type"] == "purchase"]
        purchased(store, buyers, safe_schedule)
    except (redis.RedisError, OSError) as exc:
        raise Unavailable("the event store is unavailable; try again") from exc
    return jsonify({"accepted": len(events)}), 202
