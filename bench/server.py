"""The service's processes for benchmarks and tests: gunicorn and a Celery worker, each in its
own process group on this machine, started and waited for in one place."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from service.settings import REPO_ROOT

TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def db_url(base: str, db: int) -> str:
    """The same Redis as `base` on database number `db` (`unix://PATH?db=N` on a socket)."""
    if base.startswith("unix://"):
        return base.partition("?")[0] + f"?db={db}"
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


# ---------------------------------------------------------------- moved from bench/load.py
@dataclass
class Server:
    """gunicorn with deploy/gunicorn.conf.py in its own session; its log in `log`."""

    process: subprocess.Popen
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        return children(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_server(redis_url: str, workers: int | None, log: Path, **env: str) -> Server:
    process, port = start_gunicorn(
        {
            "REDIS_URL": redis_url,
            # no file watch: a catalog, rule or model file that changes during the run (someone
            # editing the repository) would make every cached list stale halfway
            "DOSEWISE_RELOAD_INTERVAL": "0",
            "DOSEWISE_CELERY_BROKER_URL": None,  # the broker is REDIS_URL
            **env,
        },
        workers,
        log=log,
    )
    return Server(process, port, log)


def redis_binary() -> str:
    found = os.environ.get("DOSEWISE_TEST_REDIS_BINARY") or shutil.which("redis-server")
    if not found:
        raise RuntimeError("redis-server not found (tests/with_redis.py installs it)")
    return found


class RedisServer:
    """A redis-server of our own on one port, with an append-only file so that it comes back
    with its data after a kill, like a production Redis with persistence."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> float:
        """Start and wait until it answers; returns the seconds that took."""
        started = time.monotonic()
        self.process = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--dir",
                str(self.workdir),
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2, socket_timeout=0.5)
        try:
            while True:
                try:
                    if client.ping():
                        return time.monotonic() - started
                except (redis.RedisError, OSError):
                    pass
                if self.process.poll() is not None or time.monotonic() - started > timeout:
                    raise RuntimeError(f"redis-server did not start on port {self.port}")
                time.sleep(0.02)
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: a crash, no shutdown save; the append-only file keeps what was written."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


# ---------------------------------------------------------------- /proc
def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        pass
    found = []  # kernels without /proc/PID/task/TID/children
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


class Sampler(threading.Thread):
    """RSS and CPU time of every gunicorn worker (the master's children) every `interval` s."""

    def __init__(self, server: Server, interval: float) -> None:
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.samples: list[tuple[float, dict[int, int], dict[int, float]]] = []
        self.halt = threading.Event()

    def sample(self) -> None:
        rss, cpu = {}, {}
        for pid in self.server.worker_pids():
            kb, seconds = rss_kb(pid), cpu_seconds(pid)
            if kb is not None and seconds is not None:
                rss[pid], cpu[pid] = kb, seconds
        self.samples.append((time.monotonic(), rss, cpu))

    def run(self) -> None:
        self.sample()
        while not self.halt.wait(self.interval):
            self.sample()

    def finish(self) -> None:
        self.halt.set()
        self.join()
        self.sample()

    def report(self) -> dict[str, Any]:
        first, last = self.samples[0], self.samples[-1]
        middle = min(self.samples, key=lambda s: abs(s[0] - (first[0] + last[0]) / 2))
        both = sorted(set(first[1]) & set(last[1]))  # workers alive from start to end

        def total_mb(sample: tuple, pids: list[int]) -> float | None:
            if not pids:  # every worker was recycled meanwhile: nothing to compare
                return None
            return round(sum(sample[1].get(p, 0) for p in pids) / 1024, 1)

        def diff(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else round(a - b, 1)

        seen = {pid for _, rss, _ in self.samples for pid in rss}
        used = {  # CPU seconds each worker spent while sampled
            pid: max(cpu[pid] for _, _, cpu in self.samples if pid in cpu)
            - min(cpu[pid] for _, _, cpu in self.samples if pid in cpu)
            for pid in seen
        }
        elapsed = last[0] - first[0]
        return {
            "workers": len(first[1]),
            "worker_restarts": len(seen - set(first[1])),
            "samples": len(self.samples),
            "interval_s": self.interval,
            "rss_mb_per_worker": {
                "start": [round(first[1][p] / 1024, 1) for p in sorted(first[1])],
                "middle": [round(middle[1][p] / 1024, 1) for p in sorted(middle[1])],
                "end": [round(last[1][p] / 1024, 1) for p in sorted(last[1])],
            },
            "rss_mb_total": {
                "start": total_mb(first, both),
                "middle": total_mb(middle, both),
                "end": total_mb(last, both),
            },
            "rss_growth_mb": diff(total_mb(last, both), total_mb(first, both)),
            "rss_growth_second_half_mb": diff(total_mb(last, both), total_mb(middle, both)),
            "rss_growth_max_worker_mb": (
                round(max(last[1][p] - first[1][p] for p in both) / 1024, 1) if both else None
            ),
            "server_cpu_cores": round(sum(used.values()) / elapsed, 2) if elapsed else None,
            "cpu_cores_per_worker": [
                round(used[p] / elapsed, 2) if elapsed else None for p in sorted(used)
            ],
            "series_mb": [
                [round(t - first[0], 1), round(sum(rss.values()) / 1024, 1)]
                for t, rss, _ in self.samples
            ],
        }
