"""The transport-neutral core object that the web layer, the workers and the CLI all call.

It holds one immutable Snapshot at a time. `reload()` builds a new one from the files and swaps
it in only when every file passes its checks; otherwise the last good snapshot keeps serving and
the findings are kept for /readyz and the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .catalog import Product
from .errors import DataFileError, Finding, InvalidInput, NotFound
from .intake import resolve_lines
from .intake_check import basket_suggestion, check_intake
from .learned import Learning, ModelSource, NoModels
from .profile import Line, Profile
from .ranking import recommend
from .reference import _display
from .refills.settings import RefillConfig, refill_config
from .requests import RecommendationRequest
from .snapshot import DataPaths, Snapshot, load_snapshot
from .vocabulary import DEFAULT_LOCALE

log = logging.getLogger("dosewise.core")


@dataclass
class ReloadStatus:
    ok: bool = True
    at: float = field(default_factory=time.time)
    findings: list[Finding] = field(default_factory=list)
    reloads: int = 0
    failures: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "at": dt.datetime.fromtimestamp(self.at, dt.UTC).isoformat(),
            "reloads": self.reloads,
            "failures": self.failures,
            "findings": [f.to_dict() for f in self.findings],
        }


class _LruCache:
    """A small thread-safe LRU for computed answers (the in-process cache without Redis)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str | bytes, dict] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str | bytes) -> dict | None:
        value = self.peek(key)
        if value is None:
            with self._lock:
                self.misses += 1
        return value

    def peek(self, key: str | bytes) -> dict | None:
        """`get` that counts no miss (the fast path's look before `recommend` counts it)."""
        key = _digest(key)
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
                self.hits += 1
            return value

    def put(self, key: str | bytes, value: dict) -> None:
        if self.size <= 0:
            return
        key = _digest(key)
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def _digest(key: str | bytes) -> bytes:
    """What the cache keeps of a key: 16 bytes, whatever the request's size (review s34b F1:
    keyed by raw bodies of up to 1 MB, 4,096 whitespace-padded requests held 4 GB)."""
    return hashlib.blake2b(key.encode() if isinstance(key, str) else key, digest_size=16).digest()


class Recommender:
    def __init__(
        self,
        paths: DataPaths,
        *,
        jurisdiction: str | None = None,
        cache_size: int = 4096,
        reload_interval: float = 2.0,
        reload_settle: float = 0.0,
        clock: Callable[[], dt.date] = dt.date.today,
        models: ModelSource | None = None,
        learning: Learning | None = None,
    ) -> None:
        """`models` and `learning` (service/factory.py gives both, from service/learning):
        the ranking model of this process, loaded once and swapped when the store's pointer
        moves, and how it ranks; without them the transparent score ranks alone.
        `reload_settle`: the file watch loads changed files only once their stamps held still
        this many seconds (an editor or a copy may still be writing them)."""
        self.paths = paths
        self.models: ModelSource = models if models is not None else NoModels()
        self.learning = learning
        self.jurisdiction = jurisdiction
        self.reload_interval = reload_interval
        self.reload_settle = reload_settle
        self.clock = clock
        self.cache = _LruCache(cache_size)
        self.status = ReloadStatus()
        self._lock = threading.Lock()
        self._stamp = paths.stamp()
        self._checked_at = time.monotonic()
        # the changed stamp seen last by the file watch and since when (settling, see above)
        self._settling: tuple[tuple, float] | None = None
        # the first load must succeed: there is nothing to fall back to
        self.models.refresh()
        self._snapshot = self._first_load(paths).with_model(self.models.model, self.learning)
        self.on_change: Callable[[Snapshot], None] | None = None
        # the A/B tests' server (service/experiments/serving.py), set by the web app; None: none
        self.experiments: Any = None

    # ------------------------------------------------------------ data and reload
    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def _first_load(self, paths: DataPaths) -> Snapshot:
        """The first snapshot. A refused rules/refills.yaml alone does not stop the service:
        it starts without refills (their endpoint answers 503) and /readyz lists the findings
        (review 19 F3); every other refusal does."""
        try:
            return load_snapshot(paths)
        except DataFileError as exc:
            refills = (paths.rules / "refills.yaml").resolve()
            if not exc.findings or any(Path(f.file).resolve() != refills for f in exc.findings):
                raise
            self.status = ReloadStatus(False, time.time(), list(exc.findings), 0, 1)
            for finding in exc.findings:
                log.error("refills refused: %s", finding)
            return load_snapshot(paths, check_refills=False)

    def reload(self) -> ReloadStatus:
        """Load the files again; swap in the result only if every check passes."""
        with self._lock:
            stamp = self.paths.stamp()
            try:
                snapshot = load_snapshot(self.paths)
                removed_products(self._snapshot.catalog, snapshot.catalog)
            except Exception as exc:  # noqa: BLE001 - whatever happens, the last good set serves
                findings = (
                    exc.findings
                    if isinstance(exc, DataFileError)
                    else [
                        Finding(
                            str(self.paths.rules),
                            1,
                            f"unexpected error while loading: {type(exc).__name__}: {exc}",
                            code="load_error",
                        )
                    ]
                )
                self.status = ReloadStatus(
                    False, time.time(), findings, self.status.reloads, self.status.failures + 1
                )
                self._stamp = stamp
                for finding in findings:
                    log.error("reload refused: %s", finding)
                return self.status
            snapshot = snapshot.with_model(self.models.model, self.learning)
            changed = snapshot.fingerprint != self._snapshot.fingerprint
            self._snapshot = snapshot
            self._stamp = stamp
            self.status = ReloadStatus(
                True, time.time(), [], self.status.reloads + 1, self.status.failures
            )
        if changed:
            self.cache.clear()
            log.info("reloaded data: %s", snapshot.versions)
            if self.on_change is not None:
                try:
                    self.on_change(snapshot)
                except Exception:  # noqa: BLE001 - a failed follow-up must not undo the reload
                    log.exception("after-reload hook failed")
        return self.status

    def reload_if_changed(self) -> None:
        """Cheap file watch: at most every `reload_interval` seconds, compare file stamps, and
        reload once changed ones held still for `reload_settle` seconds.

        Only one thread reloads; the others go on serving the current snapshot meanwhile
        instead of queueing up behind the lock (and reloading once more each)."""
        if self.reload_interval <= 0:
            return
        now = time.monotonic()
        if now - self._checked_at < self.reload_interval:
            return
        self._checked_at = now
        if self.models.refresh_if_changed():
            self._swap_model()
        stamp = self.paths.stamp()
        if stamp == self._stamp or self._lock.locked():
            return
        if self.reload_settle > 0 and not _held_still(stamp, self.reload_settle):
            # a file truncated and then written (most editors, `cp`) must not be loaded in
            # between: a half-written rule file may well parse and drop rules (CI caught an
            # empty campaigns.yaml going live before the broken one that followed it). Files
            # last written RELOAD_SETTLE ago or more have held still already: a worker that
            # first looks long after the change loads it at once
            if self._settling is None or self._settling[0] != stamp:
                self._settling = (stamp, now)
                return
            if now - self._settling[1] < self.reload_settle:
                return
        self._settling = None
        self.reload()

    def catch_up(self, fingerprint: str | None) -> None:
        """Load the model and files a batch run was recorded with (`fingerprint`) when this
        process has not yet: its file watch waits RELOAD_INTERVAL and RELOAD_SETTLE, and a worker
        that computed a run's lists from the data it had before would call them fresh and leave
        the old lists in place until the schedule."""
        if not fingerprint or fingerprint == self._snapshot.fingerprint:
            return
        self.reload_model()
        if self._snapshot.fingerprint != fingerprint and self.paths.stamp() != self._stamp:
            self.reload()
        if self._snapshot.fingerprint != fingerprint:
            log.warning(
                "a run refreshes towards %s but this process serves %s (other files?)",
                fingerprint,
                self._snapshot.fingerprint,
            )

    def reload_model(self) -> bool:
        """Look at the model store now; True when a newly promoted model was swapped in."""
        if self.models.refresh():
            self._swap_model()
            return True
        return False

    def _swap_model(self) -> None:
        """A promoted model changes the fingerprint: answers and cached lists refresh."""
        with self._lock:
            self._snapshot = self._snapshot.with_model(self.models.model, self.learning)
        self.cache.clear()
        log.info("ranking model %s in service", self.models.version)
        if self.on_change is not None:
            try:
                self.on_change(self._snapshot)
            except Exception:  # noqa: BLE001 - a failed follow-up must not undo the swap
                log.exception("after-model-swap hook failed")

    # ------------------------------------------------------------ answers
    def recommend(
        self,
        request: RecommendationRequest | dict[str, Any],
        today: dt.date | None = None,
        impressions: Callable[[dict[str, Any]], None] | None = None,
        request_id: str = "",
        arm: Callable[[Snapshot], Snapshot] | None = None,
        body_key: bytes | None = None,
    ) -> dict[str, Any]:
        """Answer a recommendation request: the typed request the contract's schema loads (or an
        already-validated body as a dict). Its `customer_id` is only for the training log:
        answers do not depend on it and are cached without it.

        With `impressions`, the list shown is also logged with the features of every item
        (the `Learning` given, core/learned.py) for training; such answers skip the answer cache,
        since the features come from computing them. `arm` turns the serving snapshot into an
        experiment arm's (service/experiments/variants.py: another model, blend or rule set;
        its versions differ, so its answers are cached apart). `body_key`: the request's raw
        body, when `request` is what validating exactly those bytes gave: the answer cache is keyed
        by it instead of the request's repr."""
        snapshot = self._snapshot if arm is None else arm(self._snapshot)
        day = today or self.clock()
        if isinstance(request, dict):
            request = RecommendationRequest.from_dict(request)
        customer_id = request.customer_id
        if customer_id is not None:  # (replace makes an equal copy when it is None already)
            request = replace(request, customer_id=None)
        key: str | bytes = (
            f"{snapshot.fingerprint}:{day.isoformat()}:{request!r}"
            if body_key is None
            else f"{snapshot.fingerprint}:{day.isoformat()}:".encode() + body_key
        )
        cached = self.cache.get(key) if impressions is None else None
        if cached is not None:
            return cached
        if request.jurisdiction is None and self.jurisdiction:
            request = _with_jurisdiction(request, self.jurisdiction)
        sink = None
        if impressions is not None and self.learning is not None:
            learning, skus = self.learning, [p.sku for p in snapshot.catalog.products]

            def sink(ev: Any, shown: list[int]) -> None:
                rows = ev.model_features if ev.model_features is not None else learning.features(ev)
                impressions(
                    learning.impression(
                        request_id,
                        customer_id or "",
                        dt.datetime.now(dt.UTC),
                        rows,
                        shown,
                        skus,
                        snapshot.versions["model"],
                    )
                )

        answer = recommend(snapshot, request, day, sink)
        self.cache.put(key, answer)
        return answer

    def regimen(self, data: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
        """The daily combination for a validated `POST /v1/regimens` body."""
        from .regimen import formulate_regimen

        if not data.get("jurisdiction") and self.jurisdiction:
            data = {**data, "jurisdiction": self.jurisdiction}
        return formulate_regimen(self._snapshot, data, today or self.clock())

    def validate_profile(self, profile: dict[str, Any]) -> None:
        """Refuse (422) a profile whose current supplements name unknown SKUs or nutrients."""
        lines = [
            (f"current_supplements.{i}", Line.from_dict(x))
            for i, x in enumerate(profile.get("current_supplements") or ())
        ]
        resolve_lines(lines, self._snapshot.catalog, self._snapshot.reference.nutrients)

    def check_intake(self, data: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
        profile = Profile.from_dict(data["profile"])
        basket = tuple(Line.from_dict(x) for x in data.get("basket") or ())
        day = today or self.clock()
        snapshot = self._snapshot
        jurisdiction = data.get("jurisdiction") or self.jurisdiction
        locale = data.get("locale", DEFAULT_LOCALE)
        refills = self._refills(snapshot)
        answer = check_intake(snapshot, profile, basket, locale, day, jurisdiction, refills)
        answer["suggestion"] = basket_suggestion(
            snapshot, {**data, "jurisdiction": jurisdiction}, day
        )
        return answer

    def _refills(self, snapshot: Snapshot) -> RefillConfig | None:
        """The refill settings (their texts: the intake check's `not_indicated` warning says
        what refills say, review s29a F8); None where rules/refills.yaml was never loaded good
        (logged where it was refused; the warning then has the product page's words)."""
        try:
            return refill_config(self.paths.rules, snapshot.reference)
        except DataFileError:
            return None

    def products(
        self,
        category: str | None = None,
        vegan: bool | None = None,
        limit: int = 50,
        offset: int = 0,
        locale: str | None = None,
    ) -> dict[str, Any]:
        catalog = self._snapshot.catalog
        if category is not None and category not in catalog.categories:
            # review s6 T10: a typo answered an empty list with a 200 (the POST says 422)
            known = ", ".join(catalog.category_names)
            raise InvalidInput(
                "the request names things the catalog does not know",
                {"category": [f"unknown category {category!r}; known: {known}"]},
            )
        # products not sellable anywhere (guarantee 8) are not listed; by SKU they still answer
        chosen = [
            p
            for i, p in enumerate(catalog.products)
            if (category is None or p.category == category)
            and (vegan is None or p.vegan == vegan)
            and not catalog.not_sellable[i]
        ]
        return {
            "items": [p.to_dict(locale) for p in chosen[offset : offset + limit]],
            "total": len(chosen),
            "limit": limit,
            "offset": offset,
            "versions": self._snapshot.versions,
        }

    def product(self, sku: str, locale: str | None = None) -> dict[str, Any]:
        catalog = self._snapshot.catalog
        index = catalog.index.get(sku)
        if index is None:
            raise NotFound(f"no product with SKU {sku!r}")
        return _product_view(catalog.products[index], locale)


def _product_view(product: Product, locale: str | None) -> dict[str, Any]:
    return product.to_dict(locale)


def _with_jurisdiction(request: RecommendationRequest, jurisdiction: str) -> RecommendationRequest:
    return replace(request, jurisdiction=jurisdiction)


def _held_still(stamp: tuple, settle: float) -> bool:
    """Every watched file of `stamp` (path, mtime_ns, size) was last written at least `settle`
    seconds ago (a removed file is gone at once: nothing of it is half-written)."""
    newest = max((entry[1] for entry in stamp), default=0)
    return time.time_ns() - newest >= settle * 1e9


def removed_products(serving: Any, loaded: Any) -> None:
    """Refuse a catalog that drops products the serving one has (review 21 H2): a customer who
    bought one, or names it among what they take, would have it counted no more, and be
    offered what crosses an upper limit beside the tablets still in the cupboard (a woman of
    72 with a 75 µg D3 got 20 µg products once it was deleted). A product is retired with
    `in_stock: false`: never offered, still counted."""
    if serving is loaded or serving.source is None or serving.source != loaded.source:
        return
    gone = sorted(set(serving.index) - set(loaded.index))
    if gone:
        raise DataFileError(
            [
                Finding(
                    _display(loaded.source),
                    1,
                    f"{', '.join(gone)} removed: what customers bought or take of "
                    f"{'it' if len(gone) == 1 else 'them'} would be counted no more",
                    code="product_removed",
                    hint="keep the product with `in_stock: false` (never offered, still "
                    "counted); without it, customers who bought it within a year get 409 "
                    "stored_profile_stale",
                )
            ]
        )
