"""Known customers: PUT/DELETE a profile, GET its (precomputed) recommendations."""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Response, current_app, g, jsonify, request
from flask_smorest import Blueprint

from ..contract.responses import ContractErrorSchema
from ..contract.schemas import (
    CustomerRecommendationResponseSchema,
    CustomerStoredSchema,
    ProfileSchema,
)
from ..core.errors import InvalidInput, Unavailable
from ..core.placements.serve import check_placement
from ..core.profile import Line
from ..core.vocabulary import LOCALES
from ..customers.redis_client import (
    after_write,
    cache_policy,
    get_store,
    hit_logger,
    impression_logger,
)
from ..customers.refills import basket_lines
from ..customers.refresh import serve
from ..customers.store import CorruptEntry
from ..experiments.customers import log_exposure
from .customer_request import CustomerQuery, check_customer_id, parse_query
from .placements import customer_placement

blp = Blueprint(
    "customers",
    __name__,
    url_prefix="/v1",
    description="Stored profiles and their precomputed recommendations.",
)

MAX_ID = 128
log = logging.getLogger("dosewise.customers")


def _check_id(customer_id: str) -> None:
    check_customer_id(customer_id)


def schedule_refresh(customer_id: str) -> None:
    from workers.tasks import queue_customer_refresh

    queue_customer_refresh(current_app._get_current_object(), customer_id)


@blp.route("/customers/<string:customer_id>", methods=["PUT"])
@blp.arguments(ProfileSchema())
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
    finally:  # (also after a write that failed midway: it may have been carried out)
        after_write(app)  # no web process answers a list from before it once this is answered
    refresh = "scheduled"
    try:
        schedule_refresh(customer_id)
    except Exception:  # noqa: BLE001 - the profile is stored; the GET path computes meanwhile
        refresh = "deferred"
    return jsonify({"customer_id": customer_id, "profile_digest": digest, "refresh": refresh})


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
            "description": "absent: the shop language of the customer's country (NL, BE: nl; "
            "DE, AT, CH, LU: de; else en), the one its list is precomputed in",
            "schema": {"type": "string", "enum": list(LOCALES)},
        },
        {
            "in": "query",
            "name": "placement",
            "description": "(issue 11) a placement of rules/placements.yaml; absent: the "
            "plain list. Precomputed placements answer from the cache.",
            "schema": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"},
        },
        {
            "in": "query",
            "name": "basket",
            "description": "(review s4 R12) SKUs in the basket, comma-separated, with a "
            "placement (cart, checkout): counted in the intake as in POST /v1/recommendations; "
            "the list is then computed now.",
            "schema": {"type": "string"},
        },
        {
            "in": "query",
            "name": "product_sku",
            "description": "The product on the page, with a placement (product_page).",
            "schema": {"type": "string", "minLength": 1, "maxLength": 64},
        },
    ]
)
@blp.response(200, CustomerRecommendationResponseSchema)
@blp.alt_response(404, schema=ContractErrorSchema)
@blp.alt_response(409, schema=ContractErrorSchema)  # a stored profile gone stale
@blp.alt_response(422, schema=ContractErrorSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def customer_recommendations(customer_id: str):
    """From the cache in one Redis round trip when fresh, else computed now (and refreshed)."""
    query = parse_query(request.environ.get("QUERY_STRING", ""))
    if not isinstance(query, CustomerQuery):
        raise InvalidInput("the query fails validation; see fields", query)
    _check_id(customer_id)
    app = current_app._get_current_object()
    recommender = app.extensions["dosewise"]
    chosen = None
    body: dict[str, Any] | bytes
    basket: tuple[Line, ...] = ()
    if query.placement is not None:  # 422: an unknown name, product or basket SKU
        chosen = check_placement(recommender.snapshot, query.placement, query.product_sku)
        basket = tuple(basket_lines(recommender, list(query.basket)))
    # a HEAD shows no list: it logs no impression or exposure (review s34b F5: a monitor's
    # HEAD every minute wrote "shown, not clicked" into the training data)
    shown = request.method != "HEAD"
    try:
        # issue 11: computed now, with the customer's purchases, its A/B arm, exposure and
        # impression (api/placements.py); with a basket or a page product always (R12)
        if chosen is not None and (not chosen.precomputed or basket or query.product_sku):
            body = customer_placement(
                app,
                customer_id,
                chosen.name,
                query.limit,
                query.locale,
                g.request_id,
                basket,
                query.product_sku,
                logged=shown,
            )
        else:
            body = serve(
                recommender,
                get_store(app),
                customer_id,
                query.limit,
                query.locale,
                cache_policy(app),
                safe_schedule,
                impression_logger(app) if shown else _not_logged,
                g.request_id,
                corrupt_entry_reporter(app),
                _hit_log(app) if shown else _not_logged,
                query.placement,
            )
            if shown:  # when the list names an A/B arm
                log_exposure(recommender, customer_id, body, g.request_id)
    except CorruptEntry as exc:
        corrupt_entry_reporter(app)(exc.family)
        raise Unavailable(
            "the stored profile of this customer cannot be read; store it again with PUT",
        ) from exc
    except (redis.RedisError, OSError) as exc:
        # No process keeps its own copy of a profile: a copy that only the worker which
        # handled a PUT or DELETE updates would answer from an old or erased profile (a
        # vitamin K antagonist added since, a customer who asked to be forgotten).
        raise Unavailable(
            "the customer store is unavailable; try again, or send the profile to "
            "POST /v1/recommendations"
        ) from exc
    metrics = app.extensions["dosewise_metrics"].customer_lists
    if isinstance(body, bytes):
        metrics.labels("cache").inc()
        response = Response(body, mimetype="application/json")
    else:
        metrics.labels(body["source"]).inc()
        response = jsonify(body)
    # the fast path answers this URL gzipped to clients that accept it (fast_path.py)
    response.headers["Vary"] = "Accept-Encoding"
    return response


@blp.route("/customers/<string:customer_id>", methods=["DELETE"])
@blp.response(200, CustomerStoredSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def delete_customer(customer_id: str):
    """Erase the profile, its cached recommendations and its events."""
    check_customer_id(customer_id, erasing=True)
    app = current_app._get_current_object()
    try:
        deleted = get_store(app).delete(customer_id)
    except (redis.RedisError, OSError) as exc:
        raise Unavailable(
            "the customer store is unavailable; the erasure may be incomplete, try again"
        ) from exc
    finally:  # no web process answers the erased list once this is answered (also a 503)
        after_write(app)
    try:
        from workers.refill_tasks import queue_erase_refill_exports
        from workers.tasks import queue_erase_exported

        queue_erase_exported(app)
        queue_erase_refill_exports(app)
    except Exception:  # noqa: BLE001 - the next export or queued erasure cleans the files
        log.warning("could not queue the cleaning of exported files", exc_info=True)
    return jsonify({"customer_id": customer_id, "deleted": deleted})


def corrupt_entry_reporter(app):
    """Counts a stored entry that did not decode and logs it with the request id (never the
    customer id or the value: both may say something about the customer)."""

    def report(family: str) -> None:
        app.extensions["dosewise_metrics"].corrupt_entries.labels(family).inc()
        log.warning(
            "a stored %s entry did not decode; answered without it, the next write replaces it",
            family,
            extra={"request_id": g.get("request_id", "")},
        )

    return report


def _not_logged(*_args: Any, **_kwargs: Any) -> None:
    """The impression and hit log of a HEAD: nothing was shown."""


def _hit_log(app):
    """The impression of a cached list answered here (a smaller limit, or what the fast path
    passed on), logged as the fast path logs its hits."""
    log_hit = hit_logger(app)
    request_id = g.request_id
    return lambda cached, customer_id, limit, part=None: log_hit(
        cached, customer_id, limit, request_id, part=part
    )


def safe_schedule(customer_id: str) -> None:
    try:
        schedule_refresh(customer_id)
    except Exception:  # noqa: BLE001 - a refresh that cannot be queued must not fail the GET
        current_app.logger.warning("could not queue a refresh", exc_info=True)
