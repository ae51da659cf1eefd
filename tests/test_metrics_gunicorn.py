"""/metrics under gunicorn sums every worker (Prometheus multiprocess mode), so any scrape,
whichever worker answers it, sees the whole server."""

from __future__ import annotations

import http.client
import json

from bench.server import start_gunicorn, stop_gunicorn


def _count(text: str) -> float:
    prefix = 'dosewise_request_seconds_count{endpoint="/v1/recommendations"'
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)
    )


def test_every_scrape_counts_the_requests_of_all_workers(tmp_path):
    process, port = start_gunicorn(
        {
            "REDIS_URL": None,
            "DOSEWISE_RELOAD_INTERVAL": "0",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        },
        workers=3,
    )
    try:
        body = json.dumps({"profile": {"age": 50}}).encode()
        for _ in range(30):  # a new connection each: the kernel spreads them over the workers
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request(
                "POST",
                "/v1/recommendations",
                body=body,
                headers={"Content-Type": "application/json"},
            )
            assert conn.getresponse().status == 200
            conn.close()
        files = {p.name.split("_")[-1] for p in tmp_path.glob("*.db")}
        assert len(files) >= 2, "requests should have reached more than one worker"
        for _ in range(4):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/metrics")
            assert _count(conn.getresponse().read().decode()) == 30
            conn.close()
    finally:
        stop_gunicorn(process)
