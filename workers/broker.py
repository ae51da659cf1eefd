"""kombu's Redis transport, made to survive a Redis at `maxmemory`.

Redis refuses writes when it is out of memory (`OutOfMemoryError`, a reply error), and the
transport writes on every (re)connect (the queue binding, a mutex while it restores
unacknowledged messages) and on every delivery (the unacknowledged-message index). kombu counts
that error as a channel error, which Celery does not recover from: the worker logged
"Unrecoverable error" and exited for good, leaving the queue to grow. Here it is a connection
error, so Celery reconnects, after a pause that doubles while Redis stays full (1 s up to 30 s).
A message taken off the queue in the instant Redis refused to index it can be lost; a batch
refresh counts its chunks and the next run or beat tick resumes a run that lost some
(service/customers/refresh.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from kombu.transport import redis as kombu_redis
from redis.exceptions import OutOfMemoryError

log = logging.getLogger("dosewise.worker")

FIRST_PAUSE, LONGEST_PAUSE, CALM = 1.0, 30.0, 60.0


class Backoff:
    def __init__(self) -> None:
        self.pause = 0.0
        self.last = 0.0

    def next(self) -> float:
        now = time.monotonic()
        calm = now - self.last > CALM
        self.pause = FIRST_PAUSE if calm else min(max(self.pause, FIRST_PAUSE) * 2, LONGEST_PAUSE)
        self.last = now
        return self.pause


BACKOFF = Backoff()


@contextmanager
def out_of_memory_pauses() -> Iterator[None]:
    try:
        yield
    except OutOfMemoryError:
        pause = BACKOFF.next()
        log.warning(
            "Redis is out of memory (maxmemory): the worker pauses %.0f s and reconnects", pause
        )
        time.sleep(pause)
        raise


class _PausesWhenFull:
    """Mixed into redis-py's connection: a reply "out of memory" pauses before it is raised."""

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        with out_of_memory_pauses():
            return super().read_response(*args, **kwargs)  # type: ignore[misc]


class Connection(_PausesWhenFull, redis.Connection):
    pass


class SSLConnection(_PausesWhenFull, redis.SSLConnection):
    pass


class Channel(kombu_redis.Channel):
    connection_class = Connection
    connection_class_ssl = SSLConnection


class Transport(kombu_redis.Transport):
    Channel = Channel
    connection_errors = (*kombu_redis.Transport.connection_errors, OutOfMemoryError)
