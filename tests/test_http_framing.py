"""Bodies as a hostile client frames them, against real gunicorn over raw sockets (issue 15,
point 5; point 11 for duplicate keys).

Regressions: malformed chunked bodies answered 500 on every body endpoint; a chunked body over
1 MiB answered 400, not 413; chunked `text/plain` to the admin endpoints was accepted.
"""

from __future__ import annotations

import json
import socket

import pytest

from bench.server import start_gunicorn, stop_gunicorn
from service.api.app import create_app

BODY_METHODS = {"POST", "PUT", "PATCH"}


def _body_routes() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & BODY_METHODS):
            path = rule.rule.replace("<string:customer_id>", "frame-1").replace(
                "<string:sku>", "XF-D3-20-TAB"
            )
            assert "<" not in path, path
            routes.append((method, path))
    assert len(routes) >= 7, routes
    return routes


ROUTES = _body_routes()
ADMIN = [r for r in ROUTES if r[1].startswith("/v1/admin/")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("framing") / "gunicorn.log"
    process, port = start_gunicorn(
        {"REDIS_URL": None, "DOSEWISE_RELOAD_INTERVAL": "0"}, workers=1, log=log
    )
    yield port
    stop_gunicorn(process)


def exchange(port: int, raw: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes, read the whole answer (the request asks to close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)  # a body cut short ends at EOF, as a client that left
        except OSError:
            pass  # the server answered (413) and closed before the whole body was sent
        data = b""
        while True:
            try:
                part = sock.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            data += part
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def chunked(method: str, path: str, chunks: bytes, content_type: str = "application/json"):
    return (
        f"{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode() + chunks


MALFORMED = {
    "bad-size": b"zz\r\n{}\r\n0\r\n\r\n",
    "missing-terminator": b"2\r\n{}xx\r\n0\r\n\r\n",
    "size-overflow": b"ffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
    "negative-size": b"-2\r\n{}\r\n0\r\n\r\n",
    "early-eof": b"10\r\n{}",
}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_malformed_chunked_bodies_answer_400_in_the_contract_shape(server, method, path):
    for name, chunks in MALFORMED.items():
        status, headers, body = exchange(server, chunked(method, path, chunks))
        assert status == 400, (name, status, body[:200])
        assert headers["content-type"] == "application/json", name
        assert json.loads(body)["error"]["code"], name


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_chunked_body_over_one_mebibyte_is_413(server, method, path):
    big = json.dumps({"profile": {"age": 40}, "padding": "a" * (1100 * 1024)}).encode()
    chunks = b"".join(
        f"{len(big[i : i + 65536]):x}\r\n".encode() + big[i : i + 65536] + b"\r\n"
        for i in range(0, len(big), 65536)
    )
    status, _, body = exchange(server, chunked(method, path, chunks + b"0\r\n\r\n"))
    assert status == 413, (status, body[:200])
    assert json.loads(body)["error"]["code"] == "body_too_large"


@pytest.mark.parametrize(("method", "path"), ADMIN)
def test_chunked_text_to_the_admin_endpoints_is_refused(server, method, path):
    status, _, body = exchange(
        server, chunked(method, path, b"5\r\nhello\r\n0\r\n\r\n", content_type="text/plain")
    )
    assert status == 415, (status, body[:200])
    # an empty chunked JSON body is still an empty (optional) body
    status, _, body = exchange(server, chunked(method, path, b"0\r\n\r\n"))
    assert status in (200, 202), (status, body[:200])


def test_a_well_formed_chunked_body_is_answered(server):
    payload = json.dumps({"profile": {"age": 40, "goals": ["bones"]}, "limit": 2}).encode()
    chunks = b"".join(
        f"{len(payload[i : i + 7]):x}\r\n".encode() + payload[i : i + 7] + b"\r\n"
        for i in range(0, len(payload), 7)
    )
    status, _, body = exchange(
        server, chunked("POST", "/v1/recommendations", chunks + b"0\r\n\r\n")
    )
    assert status == 200, body[:200]
    assert len(json.loads(body)["items"]) == 2
