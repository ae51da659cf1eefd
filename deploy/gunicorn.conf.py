"""gunicorn settings for dosewise. Every value can be overridden by the environment."""

import gc
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile

from service.local import port_in_use as _port_in_use

_host = os.environ.get("HOST", "127.0.0.1")
_port = int(os.environ.get("PORT", "8000"))
bind = f"{_host}:{_port}"
# CPU-bound numpy work: one worker per core plus one. Threads: the cached GET (most of the
# traffic) spends most of its time waiting for its one Redis round trip, while the GIL is free;
# 8 threads keep a worker busy meanwhile (measured on 2 cores: cached GETs 0.59x /healthz with
# 2 threads, 1.0x with 8; bench/README.md). CPU-bound requests share the GIL either way.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# SO_REUSEPORT: every worker binds its own socket and the kernel spreads new connections over
# them; without it the worker that wakes first takes most keep-alive connections and the others
# idle (seen under load). The same option would let a second server share the port silently,
# so `on_starting` below refuses a port that anything already listens on.
reuse_port = True
# recycle workers now and then, with jitter so they do not restart together
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
preload_app = True  # load catalog and rules once, share them copy-on-write
accesslog = os.environ.get("GUNICORN_ACCESSLOG", None)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# gunicorn's control socket (gunicornc, since 25.1) defaults to one path per user,
# ~/.gunicorn/gunicorn.ctl: two servers on one machine (two `make run`s, a run and the tests)
# unlink each other's. Off unless GUNICORN_CONTROL_SOCKET names a path (review 20a).
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not _control_socket
if _control_socket:
    control_socket = _control_socket

# Prometheus multiprocess mode: every worker writes its metrics to files in this folder and
# /metrics sums them, so a scrape sees the whole server, not one worker. Set before the app
# (and prometheus_client) is loaded; an explicit PROMETHEUS_MULTIPROC_DIR is kept, a folder
# made here is removed when the server exits.
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _own_metrics_dir:  # (never make a folder that is not used: it would never be removed)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="dosewise-metrics-")
_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
_master_pid = os.getpid()


class _ListeningAddress(logging.Filter):
    """With reuse_port the master holds no socket (each worker binds its own), so gunicorn logs
    `Listening at:  (pid)`; this puts the address in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Listening at: %s (%s)" and record.args and not record.args[0]:
            record.args = (f"http://{bind}", record.args[1])
        return True


def on_starting(server):
    server.log.error_log.addFilter(_ListeningAddress())
    if _port_in_use(_host, _port):
        print(
            f"dosewise: {bind} is in use (another server?): stop it, or choose another PORT",
            file=sys.stderr,
        )
        on_exit(server)
        sys.exit(1)


def pre_fork(server, worker):
    """The app is loaded (preload_app): move every object it made out of the garbage
    collector's reach before forking, so that collections in a worker neither scan them nor
    write to their pages (which would copy the shared catalog and rules into each worker)."""
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    """A worker that exits leaves its live gauges; counters and histograms stay summed."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir and os.getpid() == _master_pid:
        shutil.rmtree(_metrics_dir, ignore_errors=True)


# -- Hostile clients (issue 15, points 3 and 11). gunicorn bounds the size of what it reads
# before the app (request line, header count and size; the app bounds bodies at 1 MiB); it has
# no time limit on a request that trickles in, so production runs it behind nginx
# (deploy/nginx/dosewise.conf.template), which buffers whole requests. Its own error answers
# (400, 414, 431) are the contract's JSON instead of HTML.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
worker_connections = 1000  # gthread: connections a worker holds at once, the rest wait

from service.api.server_errors import install as _json_errors  # noqa: E402

_json_errors()
