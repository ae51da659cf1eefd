"""The merchandisers' preview page: fill in a profile, see the list with reasons and warnings
(of the plain list or of one placement), what was left out and why, the alternatives of a
product, and the lint findings of the rule files in service."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import current_app, jsonify, send_from_directory
from flask_smorest import Blueprint
from marshmallow import RAISE, fields, post_load

from ..contract.base import StrictQuerySchema
from ..contract.responses import ContractErrorSchema
from ..contract.schemas import (
    LintResponseSchema,
    PreviewResponseSchema,
    RecommendationRequestSchema,
)
from ..core.explain import preview
from ..core.lint import lint
from ..core.requests import RecommendationRequest
from .placements import placement_preview

blp = Blueprint("preview", __name__, description="Preview page and rule lint for merchandisers.")

STATIC = Path(__file__).resolve().parent / "static"


class PreviewRequestSchema(RecommendationRequestSchema):
    date = fields.Date(
        load_default=None,
        metadata={"description": "Evaluate as on this day (campaign windows, season)."},
    )

    @post_load
    def to_request(self, data: dict[str, Any], **kwargs: Any) -> Any:
        """The request (always explained) and the day to evaluate on (None: today)."""
        day = data.pop("date", None)
        return RecommendationRequest.from_dict({**data, "explain": True}), day


@blp.route("/preview", methods=["GET"])
@blp.doc(
    responses={
        "200": {
            "description": "The preview page",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    }
)
def preview_page():
    """The preview page (HTML)."""
    return send_from_directory(STATIC, "preview.html")


@blp.route("/v1/preview", methods=["POST"])
@blp.arguments(PreviewRequestSchema())
@blp.response(200, PreviewResponseSchema)
@blp.alt_response(400, schema=ContractErrorSchema)
@blp.alt_response(413, schema=ContractErrorSchema)
@blp.alt_response(415, schema=ContractErrorSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
def preview_list(body: tuple[RecommendationRequest, dt.date | None]):
    """The recommendation body plus every product left out and why, and the rules matched."""
    recommender = current_app.extensions["dosewise"]
    request, day = body
    day = day or recommender.clock()
    answer = preview(recommender.snapshot, request, day)
    if request.placement is not None:  # issue 11: that placement's list; what was left out stays
        answer.update(placement_preview(current_app, request, day))
    return jsonify(answer)


class _NoQuery(StrictQuerySchema):
    """/v1/rules/lint takes no query parameter: one given is refused, as on the other GETs
    (review s32b F10: `?strict=1` was silently ignored)."""


@blp.route("/v1/rules/lint", methods=["GET"])
@blp.arguments(_NoQuery(), location="query", unknown=RAISE)
@blp.response(200, LintResponseSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
def rules_lint(_query: dict):
    """Lint findings of the rule files as they are on disk now (cached per file stamp and day,
    so every worker answers for the same files, and an edit shows at once, whether or not this
    worker has reloaded yet); `reload` is the state of the rules in service."""
    recommender = current_app.extensions["dosewise"]
    recommender.reload_if_changed()
    paths = recommender.paths
    cache = current_app.extensions.setdefault("dosewise_lint", {})
    day = recommender.clock()
    key = (paths.stamp(), day.isoformat())
    if key not in cache:
        result = lint(paths, today=day if isinstance(day, dt.date) else None)
        cache.clear()
        cache[key] = {
            "errors": len(result.errors),
            "warnings": len(result.warnings),
            "findings": [f.to_dict() for f in result.findings],
        }
    return jsonify({**cache[key], "reload": recommender.status.to_dict()})
