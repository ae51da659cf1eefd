"""Structured JSON logs, one object a line, for every process (API, workers, command line).

Never logs a profile field or a request body. A line carries the request id of the request
being served: the record's own `request_id`, else what the transport registered with
`set_request_id_source` (the API: the id of the Flask request in progress).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Callable

_request_id_source: Callable[[], str | None] = lambda: None  # noqa: E731


def set_request_id_source(source: Callable[[], str | None]) -> None:
    global _request_id_source
    _request_id_source = source


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
        request_id = getattr(record, "request_id", None) or _request_id_source()
        if request_id:
            entry["request_id"] = request_id
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
