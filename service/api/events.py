"""POST /v1/events: shop events (view, click, add_to_cart, purchase) for learning to rank."""

from __future__ import annotations

import datetime as dt
from typing import Any

import redis
from flask import current_app, jsonify
from flask_smorest import Blueprint

from ..contract.responses import ContractErrorSchema
from ..contract.schemas import AcceptedSchema, EventsRequestSchema
from ..core.errors import InvalidInput, Unavailable
from ..customers.redis_client import after_write, get_store
from ..customers.refills import record_purchases
from ..customers.supplies import purchased
from .customers import safe_schedule

blp = Blueprint("events", __name__, url_prefix="/v1", description="Shop events.")

UNKNOWN = "the request names things the catalog does not know"
FAILS_VALIDATION = "the request fails validation; see fields"


@blp.route("/events", methods=["POST"])
@blp.arguments(EventsRequestSchema())
@blp.response(202, AcceptedSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def post_events(body: dict):
    """Validate and append events to a bounded Redis stream (in process without Redis)."""
    app = current_app._get_current_object()
    catalog = app.extensions["dosewise"].snapshot.catalog
    unknown = {
        f"events.{i}.sku": [f"unknown SKU {e['sku']!r}"]
        for i, e in enumerate(body["events"])
        if e["sku"] not in catalog.index
    }
    errors = {
        **unknown,
        **future_timestamps(app, body["events"]),
        **old_timestamps(app, body["events"]),
    }
    if errors:
        # review 16 F12: only unknown SKUs are about the catalog; a refused timestamp is a
        # field that fails validation, with the generic message (errors.ContractApi)
        message = UNKNOWN if len(errors) == len(unknown) else FAILS_VALIDATION
        raise InvalidInput(message, errors)
    events = [{**e, "timestamp": e["timestamp"].isoformat()} for e in body["events"]]
    # review s4 R4: a cached list that did not count the new supply is dropped
    buyers = [e["customer_id"] for e in events if e["type"] == "purchase"]
    try:
        store = get_store(app)
        store.add_events(events)
        record_purchases(app.extensions["dosewise"], store, events)
        purchased(store, buyers, safe_schedule)
    except (redis.RedisError, OSError) as exc:
        raise Unavailable("the event store is unavailable; try again") from exc
    finally:  # no web process answers a list from before a purchase once this is answered
        if buyers:
            after_write(app)
    return jsonify({"accepted": len(events)}), 202


# The largest offset from UTC of any time zone (UTC+14): a timestamp without an offset is a
# market's own time, so it is in the future only when it is even for the zone furthest ahead.
AHEAD_OF_UTC = dt.timedelta(hours=14)


def future_timestamps(app: Any, events: list[dict]) -> dict[str, list[str]]:
    """Review s4 R15a: an event dated later than now plus the clock-skew allowance
    (`DOSEWISE_EVENT_CLOCK_SKEW`, seconds) is refused: a purchase "on 01/01/2031" would show
    as "You bought this before, last on 01/01/2031" and move the run-out dates. Now is the
    wall clock, or the end of the service's day when its clock is set ahead (simulations)."""
    skew = dt.timedelta(seconds=float(app.config.get("EVENT_CLOCK_SKEW", 300)))
    now = dt.datetime.now(dt.UTC)
    today = app.extensions["dosewise"].clock()
    if today > now.date():
        now = dt.datetime.combine(today, dt.time.max, dt.UTC)
    try:
        latest = now + skew
    except OverflowError:  # a clock set to the last day there is
        latest = dt.datetime.max.replace(tzinfo=dt.UTC)
    out = {}
    for i, event in enumerate(events):
        stamp = event["timestamp"]
        if stamp.tzinfo is None:  # compared as in the zone furthest ahead (no overflow at 0001)
            stamp = stamp.replace(tzinfo=dt.timezone(AHEAD_OF_UTC))
        if stamp > latest:
            out[f"events.{i}.timestamp"] = [
                f"in the future: later than now ({now.isoformat(timespec='seconds')}) plus "
                f"{skew.total_seconds():g} s of clock skew"
            ]
    return out


def old_timestamps(app: Any, events: list[dict]) -> dict[str, list[str]]:
    """Review s5 S13: an event dated more than `DOSEWISE_EVENT_MAX_AGE_DAYS` (3650) before now
    is refused: a purchase "on 0001-01-01" would feed the refills and the training exports. A
    timestamp without an offset counts in the zone furthest behind (UTC-12)."""
    days = float(app.config.get("EVENT_MAX_AGE_DAYS", 3650))
    earliest = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    behind = dt.timezone(-dt.timedelta(hours=12))
    out = {}
    for i, event in enumerate(events):
        stamp = event["timestamp"]
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=behind)
        try:
            too_old = stamp < earliest
        except OverflowError:  # 0001-01-01T00:00+14:00 lies before the first datetime in UTC
            too_old = True
        if too_old:
            out[f"events.{i}.timestamp"] = [
                f"too old: before {earliest.isoformat(timespec='seconds')}, "
                f"{days:g} days ago (DOSEWISE_EVENT_MAX_AGE_DAYS)"
            ]
    return out
