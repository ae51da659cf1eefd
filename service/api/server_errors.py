"""gunicorn's own error answers (a request it cannot parse: 400, 414, 431, ...) in the contract's
JSON shape instead of its HTML page.

gunicorn writes these before the app sees the request, through `gunicorn.util.write_error`;
`install()` (called from deploy/gunicorn.conf.py, in the master before it forks the workers)
replaces that function. Imports neither Flask nor the app.
"""

from __future__ import annotations

import json
from typing import Any

CODES = {
    400: "malformed_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "header_fields_too_large",
    501: "not_implemented",
}


def json_error(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP/1.1 response, closing the connection, with the contract's error body."""
    code = CODES.get(status, "internal_error" if status >= 500 else "malformed_request")
    body = json.dumps(
        {"error": {"code": code, "message": message or reason, "fields": {}}},
        ensure_ascii=True,
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1", "replace") + body


def install() -> None:
    from gunicorn import util

    def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
        util.write_nonblock(sock, json_error(int(status_int), str(reason), str(mesg)))

    util.write_error = write_error
