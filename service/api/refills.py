"""GET /v1/customers/{id}/refills and /buy-again; the daily refill job at /v1/admin/refills."""

from __future__ import annotations

import redis
from flask import current_app, jsonify
from flask_smorest import Blueprint
from marshmallow import RAISE, fields, validate

from ..contract.base import (
    QueryInteger,
    ResponseSchema,
    RunQuerySchema,
    StrictQuerySchema,
    StrictSchema,
)
from ..contract.responses import ContractErrorSchema
from ..contract.schemas import SkuList
from ..core.errors import NotFound, Unavailable
from ..core.vocabulary import LOCALES
from ..customers.redis_client import get_store
from ..customers.refills import JOB, basket_lines, customer_buy_again, customer_refills
from ..customers.refresh import progress
from ..customers.store import CorruptEntry
from .customer_request import check_customer_id
from .customers import corrupt_entry_reporter

blp = Blueprint(
    "refills",
    __name__,
    url_prefix="/v1",
    description="Refills (what runs out when, a safe combined reorder) and buy again.",
)

MAX_BASKET = 50


class _Query(StrictQuerySchema):
    # none given: the shop language of the customer's country (review 22 F3, as the list)
    locale = fields.String(
        validate=validate.OneOf(LOCALES),
        metadata={"description": "absent: the shop language of the customer's country"},
    )
    # the customer GET's parser: `basket=`, `basket=,,` are refused, not an empty basket
    # (review s43c 7)
    basket = SkuList(
        most=MAX_BASKET,
        metadata={"description": "SKUs in the basket, comma-separated; checked with the reorder"},
    )


class RefillQuerySchema(_Query):
    pass


class BuyAgainQuerySchema(_Query):
    limit = QueryInteger(load_default=10, validate=validate.Range(1, 50))


class RefillsResponseSchema(ResponseSchema):
    customer_id = fields.String(required=True)
    today = fields.String(required=True)
    refills = fields.List(fields.Dict(), required=True)
    reorder = fields.Dict(allow_none=True, required=True)
    notices = fields.List(fields.Dict(), required=True)
    versions = fields.Dict(required=True)


class BuyAgainResponseSchema(ResponseSchema):
    customer_id = fields.String(required=True)
    items = fields.List(fields.Dict(), required=True)
    versions = fields.Dict(required=True)


class RefillRunSchema(ResponseSchema):
    run_id = fields.String()
    started = fields.Boolean()
    status = fields.String()


def _check_id(customer_id: str) -> None:
    check_customer_id(customer_id)


def _basket(skus: list[str]):
    """The basket's lines (SkuList counts a SKU given twice once: two packs are not two
    servings a day, review s4 R15c)."""
    return basket_lines(current_app.extensions["dosewise"], skus)


def _answer(compute):
    try:
        return jsonify(compute())
    except CorruptEntry as exc:  # counted and logged as the recommendations GET does
        corrupt_entry_reporter(current_app._get_current_object())(exc.family)
        raise Unavailable(
            "the stored profile of this customer cannot be read; store it again with PUT"
        ) from exc
    except (redis.RedisError, OSError) as exc:
        raise Unavailable("the customer store is unavailable; try again") from exc


@blp.route("/customers/<string:customer_id>/refills", methods=["GET"])
@blp.arguments(RefillQuerySchema(), location="query", unknown=RAISE)
@blp.response(200, RefillsResponseSchema)
@blp.alt_response(404, schema=ContractErrorSchema)
@blp.alt_response(409, schema=ContractErrorSchema)  # a stored profile gone stale
@blp.alt_response(422, schema=ContractErrorSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def customer_refills_view(query: dict, customer_id: str):
    """What the customer's purchases run out when, and one combined reorder of what runs out
    soon, checked now against the stored profile, what it takes and the basket."""
    _check_id(customer_id)
    basket = _basket(query.get("basket", []))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return _answer(
        lambda: customer_refills(
            app.extensions["dosewise"], get_store(app), customer_id, query.get("locale"), basket
        )
    )


@blp.route("/customers/<string:customer_id>/buy-again", methods=["GET"])
@blp.arguments(BuyAgainQuerySchema(), location="query", unknown=RAISE)
@blp.response(200, BuyAgainResponseSchema)
@blp.alt_response(404, schema=ContractErrorSchema)
@blp.alt_response(409, schema=ContractErrorSchema)  # a stored profile gone stale
@blp.alt_response(422, schema=ContractErrorSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def customer_buy_again_view(query: dict, customer_id: str):
    """Products the customer bought that still fit the profile as it is now, most bought
    first, each with its run-out date."""
    _check_id(customer_id)
    basket = _basket(query.get("basket", []))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return _answer(
        lambda: customer_buy_again(
            app.extensions["dosewise"],
            get_store(app),
            customer_id,
            query.get("locale"),
            query["limit"],
            basket,
        )
    )


class RefillRunRequestSchema(StrictSchema):
    """The body is optional and has no fields: `{"day": ...}` or a typo is refused (422,
    review s4 R12), not ignored while the job starts."""


@blp.route("/admin/refills", methods=["POST"])
@blp.arguments(StrictQuerySchema(), location="query", unknown=RAISE)  # review s39b F6
@blp.arguments(RefillRunRequestSchema())
@blp.response(202, RefillRunSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def start_refill_run(_query: dict, _body: dict):
    """Start the daily refill job now (one at a time: a second call while one runs answers
    with the running one)."""
    from workers.refill_tasks import start_refills

    try:
        state = start_refills(current_app._get_current_object(), "admin")  # type: ignore[attr-defined]
    except (redis.RedisError, OSError) as exc:
        raise Unavailable("the customer store is unavailable") from exc
    return jsonify(state), 202


@blp.route("/admin/refills", methods=["GET"])
@blp.arguments(RunQuerySchema(), location="query", unknown=RAISE)  # review s39b F6
@blp.response(200, RefillRunSchema)
@blp.alt_response(404, schema=ContractErrorSchema)
@blp.alt_response(503, schema=ContractErrorSchema)
def refill_run_state(query: dict):
    """Progress of the latest refill job (or ?run_id=...): done, total, due, rate, ETA."""
    try:
        state = get_store(current_app).for_job(JOB).run_state(query.get("run_id"))
    except (redis.RedisError, OSError) as exc:
        raise Unavailable("the customer store is unavailable") from exc
    if state is None:
        raise NotFound("no refill job has run yet")
    out = progress(state) or {}
    out["due"] = int(float(state.get("due", "0") or 0))
    return jsonify(out)
