"""Slow clients against the deployed shape: Debian's nginx (deploy/nginx/dosewise.conf.template)
in front of real gunicorn (deploy/gunicorn.conf.py). Issue 15, point 3 (and 11: errors that
never reach the app are the contract's JSON).

Regression: 12 slowloris clients made 0 of 18 `/healthz` probes succeed for 60 s; 1,000 idle
sockets did the same (gunicorn's gthread workers wait on headers without a time limit).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest

from bench.server import nginx_binary, start_gunicorn, start_nginx, stop_gunicorn

SLOWLORIS = 50
IDLE = 200


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    binary = nginx_binary()
    if binary is None:
        pytest.skip(
            "nginx is missing and could not be installed (needs root and apt-get: "
            "apt-get install nginx)"
        )
    work = tmp_path_factory.mktemp("nginx")
    # one gunicorn worker with two threads: two stuck connections would take it down
    gunicorn, upstream = start_gunicorn(
        {"REDIS_URL": None, "DOSEWISE_RELOAD_INTERVAL": "0", "GUNICORN_THREADS": "2"},
        workers=1,
        log=work / "gunicorn.log",
    )
    try:
        nginx, port = start_nginx(binary, upstream, work / "nginx")
    except Exception:
        stop_gunicorn(gunicorn)
        raise
    yield {"port": port, "upstream": upstream}
    stop_gunicorn(nginx)
    stop_gunicorn(gunicorn)


def _probe(port: int) -> float | None:
    """Seconds for GET /healthz through nginx, or None when it did not answer 200 in 2 s."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        return time.monotonic() - started if response.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


def test_50_slowloris_clients_and_idle_sockets_leave_healthz_answering(proxied):
    port = proxied["port"]
    stop = threading.Event()
    sockets: list[socket.socket] = []

    def slowloris() -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            return
        sockets.append(sock)
        try:
            sock.sendall(b"POST /v1/recommendations HTTP/1.1\r\nHost: x\r\n")
            while not stop.wait(0.5):
                sock.sendall(b"X")  # one byte of a header that never ends
        except OSError:
            pass  # nginx gave up on it: that is the point

    threads = [threading.Thread(target=slowloris, daemon=True) for _ in range(SLOWLORIS)]
    for thread in threads:
        thread.start()
    for _ in range(IDLE):
        sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    try:
        time.sleep(1.0)  # every slow client is connected and trickling
        answered = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            answered.append(_probe(port))
            time.sleep(0.25)
        assert all(t is not None for t in answered), (
            f"{sum(t is None for t in answered)} of {len(answered)} /healthz probes failed"
        )
        assert max(t for t in answered if t is not None) < 1.0
        # the app behind still answers real work while the slow clients hang on
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        body = json.dumps({"profile": {"age": 40}, "limit": 2})
        conn.request("POST", "/v1/recommendations", body, {"Content-Type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
        for thread in threads:
            thread.join(timeout=5)


def test_errors_before_the_app_are_contract_json(proxied):
    def raw(port: int, request: bytes) -> tuple[int, dict]:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request)
            data = b""
            while True:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), json.loads(body)

    cases = {
        "long-line": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {400, 414}),
        "many-headers": (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(150))
            + b"Connection: close\r\n\r\n",
            {431},
        ),
        "huge-header": (
            b"GET / HTTP/1.1\r\nHost: x\r\nX-a: " + b"b" * 20000 + b"\r\n\r\n",
            {400, 431},
        ),
        "bad-method": (b"GE(T / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {400}),
    }
    for port in (proxied["port"], proxied["upstream"]):  # through nginx, and gunicorn alone
        for name, (request, statuses) in cases.items():
            if port == proxied["port"] and name == "many-headers":
                statuses = {200, 431}  # nginx passes them; gunicorn then answers or refuses
            status, body = raw(port, request)
            assert status in statuses, (port, name, status, body)
            if status != 200:
                assert set(body["error"]) == {"code", "message", "fields"}, (port, name)
