"""The model of one process: loaded once, swapped without a restart when a new one is promoted.

The holder reads only the store's `current` pointer (at most every `check_interval` seconds) and
loads the artefact it names. A refused artefact (corrupt, incompatible) leaves the previous model
serving and is not tried again until the pointer changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .model import ModelError, Ranker, load_model
from .store import current_version, version_dir

log = logging.getLogger("dosewise.learning")


class ModelHolder:
    """The model of one process: loaded on first use, swapped when the store's pointer moves.

    `ready` is true while a model is loaded; without one the service uses the transparent score
    (cold start), which is a normal state, not an error. `check_interval` 0 turns the watch off:
    `refresh_if_changed` then loads on first use only, `refresh` still forces a look.
    """

    def __init__(
        self,
        store_dir: Path | None,
        check_interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store_dir = Path(store_dir) if store_dir else None
        self.check_interval = check_interval
        self.clock = clock
        self.model: Ranker | None = None
        self.error: str | None = None
        self._seen: str | None = None  # the pointer value last acted on
        self._checked_at: float | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self.model is not None

    @property
    def version(self) -> str | None:
        return self.model.version if self.model else None

    def refresh(self) -> bool:
        """Read the store's `current` pointer now; True when another model was swapped in."""
        if self.store_dir is None:
            return False
        with self._lock:
            self._checked_at = self.clock()
            try:
                wanted = current_version(self.store_dir)
            except OSError as exc:
                self.error = f"cannot read the model store: {exc}"
                return False
            if wanted is None or wanted == self._seen:
                return False
            self._seen = wanted
            try:
                model = load_model(version_dir(self.store_dir, wanted))
            except ModelError as exc:
                self.error = exc.message
                log.error("model %s refused, %s keeps serving: %s", wanted, self.version, exc)
                return False
            self.model, self.error = model, None
            log.info("model %s loaded", model.version)
            return True

    def refresh_if_changed(self) -> bool:
        """`refresh()` at most every `check_interval` seconds (call it on each request)."""
        if self.check_interval <= 0 and self._checked_at is not None:
            return False
        now = self.clock()
        if self._checked_at is not None and now - self._checked_at < self.check_interval:
            return False
        return self.refresh()
