"""API keys as bearer tokens with scopes.

DOSEWISE_API_KEYS='{"<key>": ["recommend", "customers", "events"], "<admin key>": ["admin"]}'
Scopes: `recommend` (recommendations, intake check, regimens, catalog, a customer's list),
`customers` (PUT/DELETE customers), `events` (POST events), `admin` (reload, refresh, preview
data, rule lint; admin implies every other scope). Health, readiness, metrics, the OpenAPI
document and the preview page's HTML need no key. With no keys configured every endpoint is
open and the service says so loudly at start: fine on a laptop, never in production. With
DOSEWISE_REQUIRE_API_KEYS=true (set by every deploy manifest) it refuses to start without keys.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import sys
from typing import Any

from flask import Flask, g, request

from .errors import error_response

log = logging.getLogger("dosewise.access")

SCOPES = ("recommend", "customers", "events", "admin")

ENDPOINT_SCOPES = {
    "recommendations.recommendations": "recommend",
    "recommendations.intake_check": "recommend",
    "recommendations.regimens": "recommend",
    "products.list_products": "recommend",
    "products.get_product": "recommend",
    "placements.get_alternatives": "recommend",  # issue 11
    "placements.post_alternatives": "recommend",
    "placements.list_placements": "recommend",
    "customers.customer_recommendations": "recommend",
    "customers.put_customer": "customers",
    "customers.delete_customer": "customers",
    "events.post_events": "events",
    "refills.customer_refills_view": "recommend",
    "refills.customer_buy_again_view": "recommend",
    "refills.start_refill_run": "admin",
    "refills.refill_run_state": "admin",
    "operations.reload": "admin",
    "operations.start_refresh": "admin",
    "operations.refresh_state": "admin",
    "preview.preview_list": "admin",
    "preview.rules_lint": "admin",
}


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def parse_keys(value: Any) -> dict[bytes, frozenset[str]]:
    """Keys from config (a dict, or its JSON text) as sha256 digests -> scopes."""
    if not value:
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise ValueError("DOSEWISE_API_KEYS must be a JSON object: key -> list of scopes")
    keys = {}
    for key, scopes in value.items():
        unknown = set(scopes) - set(SCOPES)
        if unknown or len(key) < 16:
            raise ValueError(
                f"API key {key[:4]}...: scopes must be among {SCOPES} and the key "
                "at least 16 characters"
            )
        keys[_digest(key)] = frozenset(scopes)
    return keys


def init_access(app: Flask) -> None:
    keys = parse_keys(app.config.get("API_KEYS"))
    app.extensions["dosewise_keys"] = keys
    if not keys and _flag(app.config.get("REQUIRE_API_KEYS")):
        # review s5 S4: production fails closed; stored profiles are health data
        raise RuntimeError(
            "DOSEWISE_REQUIRE_API_KEYS is set but no API keys are configured: set "
            "DOSEWISE_API_KEYS (see docs/operators.md, Security); refusing to start open"
        )
    if not keys and not app.testing:
        message = (
            "WARNING: no API keys configured (DOSEWISE_API_KEYS): every endpoint is "
            "open to anyone who can reach this port. Fine on a laptop, never in "
            "production."
        )
        log.warning(message)
        print(message, file=sys.stderr)

    @app.before_request
    def _authorise():
        needed = ENDPOINT_SCOPES.get(request.endpoint or "")
        # OPTIONS answers the Allow header only, no data: a CORS preflight never carries a
        # key (review s35b F7: 401 with keys configured, while the README promises 204)
        if needed is None or not keys or request.method == "OPTIONS":
            return None
        scopes = scopes_from_header(keys, request.headers.get("Authorization", ""))
        if scopes is None:
            response = error_response(
                401, "unauthorized", "send a valid API key as 'Authorization: Bearer <key>'"
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="dosewise"'
            return response
        if not allows(scopes, needed):
            return error_response(403, "forbidden", f"this key lacks the scope {needed!r}")
        g.scopes = scopes
        return None


def _flag(value: Any) -> bool:
    """A boolean setting from config or the environment (true/1/yes/on)."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def allows(scopes: frozenset[str] | None, needed: str) -> bool:
    return scopes is not None and (needed in scopes or "admin" in scopes)


def scopes_from_header(keys: dict[bytes, frozenset[str]], header: str) -> frozenset[str] | None:
    """The scopes of the key in an `Authorization: Bearer <key>` header; None if unknown."""
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    return _scopes_for(keys, token) if token else None


def _scopes_for(keys: dict[bytes, frozenset[str]], token: str) -> frozenset[str] | None:
    digest = _digest(token)
    for known, scopes in keys.items():
        if hmac.compare_digest(known, digest):
            return scopes
    return None
