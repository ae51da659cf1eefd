"""One place that turns every error into the contract's JSON shape; nothing leaks a traceback."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from ..contract.responses import ContractErrorSchema
from ..contract.schemas import flatten_messages
from ..core.errors import DosewiseError

log = logging.getLogger("dosewise.api")

HTTP_CODES = {
    400: "malformed_json",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    503: "unavailable",
}


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


class ContractApi(Api):
    """flask-smorest's Api with the contract's error shape for every HTTP error."""

    ERROR_SCHEMA = ContractErrorSchema

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        fields = {}
        if "messages" in data:
            messages = data["messages"]
            # webargs nests messages under the location ("json", "query"); drop that level
            if isinstance(messages, dict) and len(messages) == 1:
                ((only_key, inner),) = messages.items()
                if only_key in ("json", "query", "view_args", "form"):
                    messages = inner
            fields = flatten_messages(messages)
        message = data.get("message") or error.description or error.name
        if status == 413:  # as a chunked body's (review s32b F10), not Werkzeug's own words
            limit = current_app.config.get("MAX_CONTENT_LENGTH") or 1024 * 1024
            message = f"the body is larger than {limit} bytes"
        if status == 422 and fields:
            message = "the request fails validation; see fields"
        response = error_response(status, HTTP_CODES.get(status, "http_error"), message, fields)
        if status == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DosewiseError)
    def _core_error(error: DosewiseError):
        return error_response(error.status, error.code, error.message, error.fields)

    @app.errorhandler(InternalServerError)
    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
            return app.extensions["dosewise_api"].handle_http_exception(error)
        log.exception("unexpected error")
        return error_response(
            500, "internal_error", "the service failed to answer; the error was logged"
        )
