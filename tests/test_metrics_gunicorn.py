"""/metrics under gunicorn sums every worker (Prometheus multiprocess mode), so any scrape,
whichever worker answers it, sees the whole server."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys

from bench.server import start_gunicorn, stop_gunicorn
from service.settings import REPO_ROOT

from .conftest import wait_for


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


def _scrape(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def _lines(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name)]


def test_last_reload_ok_reads_1_and_info_drops_old_versions_after_a_reload(tmp_path):
    """Regression: the gunicorn master's multiprocess file held 0 for the reload gauge (livemin
    made every scrape say 0 on a healthy server), and `dosewise_data_info` kept the versions
    served before a reload at 1 next to the new ones."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO_ROOT / "rules", rules)
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    process, port = start_gunicorn(
        {
            "REDIS_URL": None,
            "DOSEWISE_RULES_DIR": str(rules),
            "DOSEWISE_RELOAD_INTERVAL": "0.2",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
        workers=3,
    )
    try:
        for _ in range(6):
            text = _scrape(port)
            assert _lines(text, "dosewise_data_last_reload_ok") == [
                "dosewise_data_last_reload_ok 1.0"
            ]
            (before,) = _lines(text, "dosewise_data_info{")
        campaigns = rules / "merchandising" / "campaigns.yaml"
        campaigns.write_text(
            campaigns.read_text(encoding="utf-8").replace("weight: 0.2", "weight: 0.25", 1),
            encoding="utf-8",
        )
        # files are checked at most every RELOAD_INTERVAL per worker; a loaded machine is slow
        # (each worker reloads on its own: wait until six scrapes in a row see new versions)
        wait_for(
            lambda: all(_lines(_scrape(port), "dosewise_data_info{") != [before] for _ in range(6)),
            90,
        )
        for _ in range(6):  # every worker, whichever answers, reports the new versions only
            text = _scrape(port)
            (after,) = _lines(text, "dosewise_data_info{")
            assert after != before
            assert _lines(text, "dosewise_data_last_reload_ok") == [
                "dosewise_data_last_reload_ok 1.0"
            ]
        campaigns.write_text("rules: [ {id: broken", encoding="utf-8")
        wait_for(lambda: "dosewise_data_last_reload_ok 0.0" in _scrape(port), 90)
        text = _scrape(port)
        assert _lines(text, "dosewise_data_last_reload_ok") == ["dosewise_data_last_reload_ok 0.0"]
        assert _lines(text, "dosewise_data_info{") == [after]
    finally:
        stop_gunicorn(process)


def test_gunicorn_logs_its_address_and_refuses_a_port_in_use(tmp_path):
    """Regression: with reuse_port the master logged `Listening at:  (pid)` and a second server
    on the same port started silently and shared the traffic."""
    log = tmp_path / "gunicorn.log"
    process, port = start_gunicorn({"REDIS_URL": None}, workers=1, log=log)
    try:
        assert f"Listening at: http://127.0.0.1:{port} (" in log.read_text()
        second = subprocess.run(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "service.wsgi:app"],
            cwd=REPO_ROOT,
            env={**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 1
        assert f"127.0.0.1:{port} is in use" in second.stderr
        assert "Booting worker" not in second.stderr
    finally:
        stop_gunicorn(process)


def test_the_metrics_folder_gunicorn_makes_is_removed_at_exit(tmp_path):
    """Regression: every start left a /tmp/dosewise-metrics-* folder behind."""
    env_tmp = tmp_path / "tmp"
    env_tmp.mkdir()
    process, _ = start_gunicorn(
        {"REDIS_URL": None, "PROMETHEUS_MULTIPROC_DIR": None, "TMPDIR": str(env_tmp)}, workers=1
    )
    try:
        assert [p.name[:17] for p in env_tmp.iterdir()] == ["dosewise-metrics-"]
    finally:
        stop_gunicorn(process)
    assert list(env_tmp.iterdir()) == []


def test_no_metrics_folder_is_made_when_one_is_given(tmp_path):
    """Regression: the config made a /tmp/dosewise-metrics-* folder even when
    PROMETHEUS_MULTIPROC_DIR was set, and nothing ever removed it."""
    import runpy

    env_tmp = tmp_path / "tmp"
    env_tmp.mkdir()
    given = tmp_path / "given"
    given.mkdir()
    saved = {k: os.environ.get(k) for k in ("TMPDIR", "PROMETHEUS_MULTIPROC_DIR")}
    os.environ.update(TMPDIR=str(env_tmp), PROMETHEUS_MULTIPROC_DIR=str(given))
    import tempfile

    tempfile.tempdir = None  # read TMPDIR again
    try:
        runpy.run_path(str(REPO_ROOT / "deploy" / "gunicorn.conf.py"))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        tempfile.tempdir = None
    assert list(env_tmp.iterdir()) == []
