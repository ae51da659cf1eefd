"""gunicorn settings for dosewise. Every value can be overridden by the environment."""

import multiprocessing
import os
import tempfile

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# CPU-bound numpy work: one sync worker per core plus one; threads absorb slow clients.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# SO_REUSEPORT: the kernel spreads new connections over the workers; without it the worker that
# wakes first takes most keep-alive connections and the others idle (seen under load)
reuse_port = True
max_requests = 20000  # recycle workers now and then, with jitter so they do not restart together
max_requests_jitter = 2000
preload_app = True  # load catalog and rules once, share them copy-on-write
accesslog = os.environ.get("GUNICORN_ACCESSLOG", None)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

# Prometheus multiprocess mode: every worker writes its metrics to files in this folder and
# /metrics sums them, so a scrape sees the whole server, not one worker. Set before the app
# (and prometheus_client) is loaded; an explicit PROMETHEUS_MULTIPROC_DIR is kept.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="dosewise-metrics-")
)


def child_exit(server, worker):
    """A worker that exits leaves its live gauges; counters and histograms stay summed."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

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
