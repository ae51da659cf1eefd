"""`make run` is the whole product on one machine (issue 14, point 1).

The test runs the real `make run` in a temporary copy of the checkout (reusing this checkout's
.venv through `VENV=`, and a small simulated shop for the first model), then checks what a
user would: a stored customer answers from every gunicorn worker, an erasure erases for every
worker, and stopping `make run` stops gunicorn, Celery and the embedded redis-server.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.server import free_port
from service.settings import REPO_ROOT

PROFILE = {"age": 67, "sex": "female", "country": "NL", "diet": "vegan"}


def _copy_checkout(into: Path) -> None:
    """The files git knows (committed or not), with their times (so make sees the .venv as
    up to date)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = REPO_ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _request(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)  # a new connection each
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def _descendants(pid: int) -> dict[int, str]:
    """Every process below `pid`, with its command line."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            try:
                command = (Path("/proc") / str(child) / "cmdline").read_bytes()
            except OSError:
                continue
            found[child] = command.replace(b"\0", b" ").decode(errors="replace")
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture()
def checkout(tmp_path: Path) -> Path:
    if not (REPO_ROOT / ".venv" / ".installed").exists():
        pytest.skip("needs the checkout's .venv (make setup)")
    copy = tmp_path / "dosewise"
    _copy_checkout(copy)
    return copy


def test_make_run_serves_stored_customers_from_every_worker_and_stops_everything(checkout):
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(
        PORT=str(port),
        WEB_CONCURRENCY="3",
        CELERY_CONCURRENCY="1",
        DEFAULT_MODEL_CUSTOMERS="150",
        DEFAULT_MODEL_DAYS="10",
    )
    env.pop("DOSEWISE_MODEL_DIR", None)  # the copy's own .dosewise/models, as for a user
    env.pop("DOSEWISE_LOCAL_HITS", None)  # the local copies on, as shipped
    log = checkout / "make-run.log"
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "run", f"VENV={REPO_ROOT / '.venv'}"],
            cwd=checkout,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 240
        while "dosewise serves at" not in log.read_text(errors="replace"):
            assert make.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        text = log.read_text(errors="replace")
        assert f"dosewise serves at http://127.0.0.1:{port}" in text
        assert f"Listening at: http://127.0.0.1:{port}" in text
        for step in ("[1/4]", "[2/4]", "[3/4]", "[4/4]"):
            assert step in text
        assert (checkout / ".dosewise" / "models" / "current").exists()

        status, _ = _request(port, "PUT", "/v1/customers/first-hour", PROFILE)
        assert status == 200
        answers = [_request(port, "GET", "/v1/customers/first-hour/recommendations")[0]]
        answers += [
            _request(port, "GET", "/v1/customers/first-hour/recommendations")[0] for _ in range(19)
        ]
        assert answers == [200] * 20
        status, body = _request(port, "DELETE", "/v1/customers/first-hour")
        assert status == 200 and body.get("deleted") is True
        after = [
            _request(port, "GET", "/v1/customers/first-hour/recommendations")[0] for _ in range(20)
        ]
        assert after == [404] * 20
        # the profile lived in the embedded, append-only Redis of the copy
        assert list((checkout / ".dosewise" / "redis").glob("appendonly*"))

        processes = _descendants(make.pid)
        commands = " ".join(processes.values())
        for name in ("redis-server", "gunicorn", "celery", "beat", "worker"):
            assert name in commands, commands
        workers = [p for p, c in processes.items() if "gunicorn" in c]
        assert len(workers) >= 4  # master and 3 workers

        # a second make run on the same port is refused in one line, before anything starts
        second = subprocess.run(
            ["make", "--no-print-directory", "run", f"VENV={REPO_ROOT / '.venv'}"],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode != 0
        refusal = [line for line in second.stderr.splitlines() if "make run:" in line]
        assert len(refusal) == 1 and "in use" in refusal[0], second.stderr
        assert "[1/4]" not in second.stdout
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        try:
            make.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            raise
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [c for p, c in processes.items() if _alive(p)] == []
    # make itself dies of the SIGINT, as after Ctrl-C; the run script stopped everything first
    assert "make run: stopped redis, web, worker, beat" in log.read_text(errors="replace")
    assert not (checkout / ".dosewise" / "redis" / "url").exists()
    assert not list(checkout.glob("celerybeat-schedule*"))
    with socket.socket() as probe:  # the port is free again (TIME_WAIT of our own requests aside)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


def test_run_script_refuses_a_port_in_use_in_one_line(checkout):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "service.local"],
            cwd=checkout,
            env={**os.environ, "PORT": str(port), "PYTHONPATH": str(checkout)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert f"127.0.0.1:{port} is in use" in result.stderr
    assert result.stdout == ""


def test_setup_in_a_second_checkout_leaves_the_first_ones_environment(checkout, tmp_path):
    """Review s36b F3: `make run` in a clone whose .venv was this checkout's (a link, or
    VENV=...) found the clone's pyproject.toml newer than the stamp and installed the clone
    into it: this checkout's `dosewise` then ran the clone's code. The stamp names the checkout
    the environment is installed from; another checkout reuses it and installs nothing."""
    venv = tmp_path / "venv"
    venv.mkdir()
    stamp = venv / ".installed"
    stamp.write_text("/the/first/checkout\n")
    os.utime(stamp, (0, 0))  # older than every file of the copy: make would set it up again
    make = subprocess.Popen(
        ["make", "--no-print-directory", "setup", f"VENV={venv}"],
        cwd=checkout,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # an install it starts (the bug) is stopped with it
    )
    try:
        out, _ = make.communicate(timeout=60)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
    assert make.returncode == 0, out
    assert "installed from /the/first/checkout" in out, out
    assert "[setup 1/3]" not in out
    assert stamp.read_text() == "/the/first/checkout\n"
    assert sorted(p.name for p in venv.iterdir()) == [".installed"]  # nothing installed
