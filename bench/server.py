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


def _answers_200(
    process: subprocess.Popen, port: int, path: str, timeout: float, interval: float
) -> bool:
    """Poll GET `path` on 127.0.0.1:`port` until it answers 200 (True), the process exits or
    `timeout` passes (False): the readiness wait of every server these helpers start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return True
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(interval)
    return False


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
    if _answers_200(process, port, "/readyz", timeout, 0.2):
        return process, port
    stop_gunicorn(process)
    raise RuntimeError(f"gunicorn did not become ready ({process.returncode=}); see {log}")


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


NGINX_TEMPLATE = REPO_ROOT / "deploy" / "nginx" / "dosewise.conf.template"


def nginx_binary() -> str | None:
    """Debian's nginx, installed with apt-get when missing (as root); None when impossible."""
    import shutil

    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found or os.geteuid() != 0:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "nginx"]):
        try:
            subprocess.run(command, check=True, env=env, capture_output=True, timeout=600)
        except (OSError, subprocess.SubprocessError):
            return None
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def start_nginx(
    binary: str, upstream_port: int, workdir: Path, timeout: float = 15.0
) -> tuple[subprocess.Popen, int]:
    """nginx with deploy/nginx/dosewise.conf.template (rendered as the nginx image does) in
    front of 127.0.0.1:`upstream_port`; returns once /healthz answers through it."""
    port = free_port()
    site = NGINX_TEMPLATE.read_text()
    site = site.replace("${DOSEWISE_UPSTREAM}", f"127.0.0.1:{upstream_port}")
    site = site.replace("${NGINX_PORT}", f"127.0.0.1:{port}")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "dosewise.conf").write_text(site)
    temp = "".join(
        f"{name}_temp_path {workdir / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (workdir / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {workdir / 'nginx.pid'};\n"
        "error_log stderr warn;\nevents { worker_connections 4096; }\n"
        f"http {{\naccess_log off;\n{temp}include {workdir / 'dosewise.conf'};\n}}\n"
    )
    with (workdir / "nginx.log").open("ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [binary, "-e", "stderr", "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    if _answers_200(process, port, "/healthz", timeout, 0.1):
        return process, port
    stop_gunicorn(process)
    raise RuntimeError(f"nginx did not answer ({process.returncode=}); see {workdir / 'nginx.log'}")
