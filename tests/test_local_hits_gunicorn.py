"""The local copies of the cached lists under gunicorn (three worker processes, each with its
own copies and tracking connection) on a real Redis: a GET that follows the answer to a PUT is
never the list computed before it, whichever worker answers either request."""

from __future__ import annotations

import http.client
import json

from bench.server import start_gunicorn, stop_gunicorn
from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk

from .conftest import redis_app

PLAIN = {"age": 58, "goals": ["bones"]}
ON_VKA = {"age": 58, "medications": ["vitamin_k_antagonist"], "goals": ["bones"]}


def _request(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """A new connection each time: the kernel spreads them over the workers (reuse_port)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        data = None if body is None else json.dumps(body)
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_no_worker_answers_a_list_from_before_a_put(redis_url, tmp_path):
    app = redis_app(redis_url)  # the lists as the refresh worker writes them (same data)
    store = get_store(app)
    process, port = start_gunicorn(
        {
            "REDIS_URL": redis_url,
            "DOSEWISE_LOCAL_HITS": "4096",  # (as shipped; the tests' environment has them off)
            "DOSEWISE_RELOAD_INTERVAL": "0",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        },
        workers=3,
    )
    url = "/v1/customers/c-1/recommendations"
    try:
        assert _request(port, "PUT", "/v1/customers/c-1", PLAIN)[0] == 200
        memory = 0
        for turn in range(40):
            refresh_chunk(app.extensions["dosewise"], store, ["c-1"], cache_policy(app))
            for _ in range(6):  # copies in every worker
                status, answer = _request(port, "GET", url)
                assert (status, answer["source"]) == (200, "cache")
            profile = ON_VKA if turn % 2 == 0 else PLAIN
            assert _request(port, "PUT", "/v1/customers/c-1", profile)[0] == 200
            for _ in range(3):
                status, answer = _request(port, "GET", url)
                assert (status, answer["source"]) == (200, "computed"), turn
        for _ in range(3):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
            conn.close()
            for line in text.splitlines():
                if line.startswith('dosewise_cached_list_reads_total{source="memory"}'):
                    memory = float(line.rsplit(" ", 1)[1])
        assert memory >= 100  # most of the 240 hits came from the workers' copies
    finally:
        stop_gunicorn(process)
