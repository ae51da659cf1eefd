"""POST /v1/recommendations and POST /v1/intake/check."""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from flask_smorest import Blueprint

from service.experiments.safety import check_answer
from service.experiments.serving import for_app as experiment_server

from ..contract.places import checked_in_request
from ..contract.responses import (
    ContractErrorSchema,
    IntakeCheckResponseSchema,
    RecommendationResponseSchema,
)
from ..contract.schemas import (
    IntakeCheckRequestSchema,
    RecommendationRequestSchema,
    RegimenRequestSchema,
    RegimenResponseSchema,
)
from ..core.errors import InvalidInput
from ..core.requests import RecommendationRequest
from ..customers.redis_client import impression_logger
from .placements import placement_answer

# one instance: the Flask view and the fast path in front of it (fast_post.py) validate alike
REQUEST_SCHEMA = RecommendationRequestSchema()

blp = Blueprint(
    "recommendations",
    __name__,
    url_prefix="/v1",
    description="Ranked, safe and explained recommendations; intake checks.",
)


def _errors(view):
    for status in (400, 413, 415, 422):
        view = blp.alt_response(status, schema=ContractErrorSchema)(view)
    return view


@blp.route("/recommendations", methods=["POST"])
@blp.arguments(REQUEST_SCHEMA)
@blp.response(200, RecommendationResponseSchema)
@_errors
def recommendations(body: RecommendationRequest):
    """Recommend products for a profile, keeping every safety guarantee. With `placement`
    (rules/placements.yaml) the list of that placement: alternatives, complements, ..."""
    if body.placement is not None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        session = request.headers.get("X-Session-ID")
        return jsonify(placement_answer(app, body, g.request_id, session))
    customer_id = body.customer_id
    recommender = current_app.extensions["dosewise"]
    experiments = experiment_server(current_app)
    arm = experiments.arm(
        "recommendations",
        customer_id,
        request.headers.get("X-Session-ID"),
        recommender.clock(),
        recommender.snapshot,
    )
    answer = recommender.recommend(
        body,
        impressions=impression_logger(current_app) if customer_id is not None else None,
        request_id=g.request_id,
        arm=arm.snapshot_for if arm else None,
        # the raw body keys the answer cache: validating the same bytes gives the same body
        body_key=request.get_data(cache=True),
    )
    if arm is not None:  # the answer names the arm (an added field; contract fields unchanged)
        skus = [item["sku"] for item in answer["items"]]
        experiments.log_exposure(arm, customer_id, g.request_id, skus, "recommendations")
        check_answer(experiments, recommender, body, answer)  # safety in every arm, counted
    return jsonify(answer)


@blp.route("/intake/check", methods=["POST"])
@blp.arguments(IntakeCheckRequestSchema())
@blp.response(200, IntakeCheckResponseSchema)
@_errors
def intake_check(body: dict):
    """Totals of current supplements plus basket against the upper limits, with warnings."""
    _check_jurisdiction(body)
    # a repeated SKU's second pack is not numbered by the core (review 24 F4)
    answer = checked_in_request(current_app.extensions["dosewise"].check_intake, body)
    return jsonify(answer)


@blp.route("/regimens", methods=["POST"])
@blp.arguments(RegimenRequestSchema())
@blp.response(200, RegimenResponseSchema)
@_errors
def regimens(body: dict):
    """One daily combination that meets the profile's targets within every upper limit, at a
    sensible price and with few pills (an exact mixed-integer program, greedy fallback)."""
    _check_jurisdiction(body)
    return jsonify(current_app.extensions["dosewise"].regimen(body))


def _check_jurisdiction(body: dict) -> None:
    """422 for a `jurisdiction` that names no table of rules/reference/upper_limits.yaml (as
    `POST /v1/recommendations` does); a known one only tightens the limits (reference.py)."""
    name = body.get("jurisdiction")
    tables = current_app.extensions["dosewise"].snapshot.reference.upper_limits.jurisdictions
    if name and name not in tables:
        raise InvalidInput(
            "the request names things the catalog does not know",
            {"jurisdiction": [f"unknown jurisdiction {name!r}; known: {', '.join(tables)}"]},
        )
