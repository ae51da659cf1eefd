"""Structured JSON logs, one object a line, with the request id of the request being served.

Never logs a profile field or a request body: a line says which endpoint answered what, how
fast, under which request id (also echoed in the X-Request-ID header).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import uuid

from flask import g, has_request_context


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", None):
            entry["request_id"] = record.request_id
        elif has_request_context() and g.get("request_id"):
            entry["request_id"] = g.request_id
        for key in ("endpoint", "method", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the dosewise loggers (idempotent)."""
    logger = logging.getLogger("dosewise")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # echoed and logged: nothing else
log = logging.getLogger("dosewise.api")


def request_id_from(given: str) -> str:
    """The caller's X-Request-ID when it is a plain token, else a new one."""
    return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def record_request(
    metrics,
    access_log: bool,
    endpoint: str,
    method: str,
    status: int,
    seconds: float,
    request_id: str | None = None,
) -> None:
    """The latency histogram and, when on, the JSON access-log line of one answered request."""
    from .metrics import method_label

    metrics.request_seconds.labels(endpoint, method_label(method), str(status)).observe(seconds)
    if access_log:
        access_line(endpoint, method, status, seconds, request_id)


def access_line(
    endpoint: str, method: str, status: int, seconds: float, request_id: str | None = None
) -> None:
    """The JSON access-log line of one answered request."""
    extra = {
        "endpoint": endpoint,
        "method": method[:16],
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
    }
    if request_id:
        extra["request_id"] = request_id
    log.info("request", extra=extra)
