"""The service's processes for benchmarks and tests: gunicorn and a Celery worker, each in its
own process group on this machine, started and waited for in one place."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from service.settings import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def db_url(base: str, db: int) -> str:
    """The same Redis as `base` on database number `db`."""
    return base.rsplit("/", 1)[0] + f"/{db}"


def _spawn(command: list[str], env: dict[str, str], log: Path | None) -> subprocess.Popen:
    if log is None:
        return subprocess.Popen(
            command,
            env=env,
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    with log.open("ab") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            command, env=env, cwd=REPO_ROOT, stdout=handle, stderr=handle, start_new_session=True
        )


def start_gunicorn(
    overrides: dict[str, str | None],
    workers: int | None = 2,
    timeout: float = 120.0,
    log: Path | None = None,
) -> tuple[subprocess.Popen, int]:
    """gunicorn with deploy/gunicorn.conf.py and this environment plus `overrides` (a None
    value removes a variable; `workers` None leaves gunicorn's CPU-based default); returns once
    /readyz answers 200."""
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "DOSEWISE_ACCESS_LOG": "false"}
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    process = _spawn(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(REPO_ROOT / "deploy" / "gunicorn.conf.py"),
            "service.wsgi:app",
        ],
        env,
        log,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return process, port
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    stop_gunicorn(process)
    raise RuntimeError(f"gunicorn did not become ready; see {log}")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def start_celery_worker(
    env: dict[str, str],
    concurrency: int,
    log: Path,
    name: str | None = None,
    timeout: float = 90.0,
) -> subprocess.Popen:
    """A real `celery -A workers.make_celery worker` on env's broker; returns once it answers
    a remote-control ping."""
    from celery import Celery

    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.make_celery",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "--loglevel=WARNING",
    ]
    if name:
        command += ["-n", name]
    process = _spawn(command, env, log)
    probe = Celery(broker=env["DOSEWISE_CELERY_BROKER_URL"])
    probe.conf.broker_connection_retry_on_startup = True
    deadline = time.monotonic() + timeout
    try:
        while not probe.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not start; see {log}")
    finally:
        probe.close()
    return process
