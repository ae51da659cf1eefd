"""schemathesis against the app's own /openapi.json, in process: generated requests (valid and
invalid) for every operation, and every response checked against the document: no 5xx, a
declared status code, the declared content type, headers and body schema.

The same checks run for the answers of a service whose Redis does not answer (503s) and for a
refused reload (a broken rule file on disk).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.api.app import create_app

from .conftest import TODAY
from .with_redis import free_port

APP = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
APP.extensions["dosewise"].clock = lambda: TODAY
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SETTINGS = {
    "deadline": None,
    "derandomize": True,  # the same examples every run
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


def call_and_validate(case, app=APP, checks=CHECKS):
    # buffered: werkzeug reads and closes the app's response (send_file's open file) at once;
    # schemathesis' WSGI transport never closes it, which would raise a ResourceWarning.
    # identity: the transport does not decode a gzip body that a generated `Accept-Encoding:
    # gzip` asked for (tests/test_cached_impressions.py and the load tests cover gzip)
    return case.call_and_validate(
        checks=checks, app=app, buffered=True, headers={"Accept-Encoding": "identity"}
    )


@schema.parametrize()
@settings(max_examples=100, **SETTINGS)
def test_every_operation_answers_as_its_openapi_document_says(case):
    call_and_validate(case)


# ---------------------------------------------------------------- Redis down: the 503 answers
# nothing listens on this port: every Redis call fails at once (connection refused)
DOWN_APP = create_app(
    {
        "TESTING": True,
        "RELOAD_INTERVAL": 0,
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "REDIS_TIMEOUT": 0.2,
    }
)
DOWN_APP.extensions["dosewise"].clock = lambda: TODAY
USES_REDIS = schema.include(path_regex=r"^/v1/(customers|events|admin/refresh)|^/readyz$")


@USES_REDIS.parametrize()
@settings(max_examples=8, **SETTINGS)
def test_answers_without_redis_match_the_document(case):
    # 503 `unavailable` is the promised answer here, so not_a_server_error is replaced by: no
    # 5xx but 503
    response = call_and_validate(case, DOWN_APP, CHECKS[1:])
    assert response.status_code < 500 or response.status_code == 503, response.text


# ---------------------------------------------------------------- a reload that is refused
def test_a_refused_reload_matches_the_document(data_copy):
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": None,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
        }
    )
    broken = 'source: "test"\nrules:\n  - id: broken\n    description: x\n    action: explode\n'
    (data_copy.rules / "merchandising" / "zz-broken.yaml").write_text(broken)  # no such action
    case = schema["/v1/admin/reload"]["POST"].Case()
    response = case.call(app=app, buffered=True)
    assert response.status_code == 422, response.text  # refused, the last good set serves
    case.validate_response(response, checks=CHECKS)
