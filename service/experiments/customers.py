"""Experiments on the customer GET path: the arm by customer id, lists precomputed per arm.

`GET /v1/customers/{id}/recommendations` serves precomputed lists (service/customers/). During
an experiment on its placement (`customer_recommendations`, or an experiment on `all`), a
customer's arm is decided by the customer id (assign.py, the same hash as everywhere) and:

- the list is computed with the arm's snapshot (variants.py), so it names the arm in its
  `experiment` field and carries the arm's fingerprint: a cached list is fresh for a customer
  only when it was computed for that customer's arm under the data in service (`fresh_list`
  asks `serving_snapshot`), and an arm's list is never served to another arm or after the end;
- the batch refresh computes each arm's lists apart (`refresh_per_arm`: the chunk's ids split
  by arm, each part refreshed with the arm's snapshot; identical profiles are still computed
  once per arm);
- every answer that names an arm, cached or computed, appends an exposure (`log_exposure`),
  with the SKUs shown and the request id of the answer (on the fast path after the answer is
  sent).

The recommender knows its experiment server as `recommender.experiments` (set by the factory,
`serving.attach`); service/customers/arms.py asks it through the server's methods, which call
the functions here. Without one (a test's bare recommender) nothing here changes anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from service.core.requests import RecommendationRequest
from service.core.snapshot import Snapshot

from .safety import check_answer, unsafe_skus
from .serving import Arm, ExperimentServer

PLACEMENT = "customer_recommendations"


def server_of(recommender: Any) -> ExperimentServer | None:
    server = getattr(recommender, "experiments", None)
    return server if isinstance(server, ExperimentServer) else None


def customer_arm(recommender: Any, customer_id: str | None, day: Any = None) -> Arm | None:
    """The customer's arm on the customer GET path today, or None (no active experiment, a
    customer outside its traffic, an arm that cannot serve)."""
    server = server_of(recommender)
    if server is None or not customer_id:
        return None
    return server.arm(
        PLACEMENT, customer_id, None, day or recommender.clock(), recommender.snapshot
    )


def serving_snapshot(recommender: Any, customer_id: str | None) -> Snapshot:
    """The snapshot the customer's list is ranked with: the arm's, or the one in service."""
    arm = customer_arm(recommender, customer_id)
    return arm.snapshot_for(recommender.snapshot) if arm is not None else recommender.snapshot


def recommend(recommender: Any, data: Any, **options: Any) -> dict[str, Any]:
    """`recommender.recommend(data, **options)` ranked with the customer's arm (the one in
    service outside an experiment); an arm's answer is checked against the safety layer.
    `data`: the request (typed, or a dict) with its `customer_id`."""
    customer_id = data.get("customer_id") if isinstance(data, dict) else data.customer_id
    arm = customer_arm(recommender, customer_id)
    if arm is None:
        return recommender.recommend(data, **options)
    answer = recommender.recommend(data, arm=arm.snapshot_for, **options)
    server = server_of(recommender)
    if server is not None:
        check_answer(server, recommender, data, answer)
    return answer


def _same(snapshot: Snapshot) -> Snapshot:
    return snapshot


def log_exposure(
    recommender: Any, customer_id: str, body: dict[str, Any] | bytes, request_id: str
) -> None:
    """Append an exposure when the answer `body` (a dict, or the cached JSON bytes) names an
    arm; nothing otherwise (and nothing parsed when no experiment is configured)."""
    server = server_of(recommender)
    if server is None or not server.experiments.experiments:
        return
    if isinstance(body, bytes | bytearray):
        if b'"experiment"' not in body:
            return
        try:
            body = json.loads(body)
        except ValueError:
            return
    if not isinstance(body, dict):
        return
    label = body.get("experiment")
    if not isinstance(label, dict):
        return
    try:
        experiment = server.experiments.get(str(label.get("id")))
    except KeyError:  # the file changed since the list was computed: nothing to count it in
        return
    variant = next((v for v in experiment.variants if v.id == label.get("variant")), None)
    if variant is None:
        return
    skus = [str(item.get("sku")) for item in body.get("items", []) if isinstance(item, dict)]
    arm = Arm(experiment, variant, customer_id, _same)
    server.log_exposure(arm, customer_id, request_id, skus, PLACEMENT)


def log_cached_exposure(
    app: Any, customer_id: str, cached: Any, locale: str, request_id: str
) -> None:
    """The fast path's hook, after the answer is sent: an exposure when the customer is in an
    arm (the cached list was then computed for that arm: it passed the freshness check with
    the arm's fingerprint). Outside experiments this returns before parsing anything."""
    recommender = app.extensions["dosewise"]
    server = server_of(recommender)
    if server is None or not server.experiments.experiments:
        return
    if serving_snapshot(recommender, customer_id).experiment is None:
        return
    body = cached.bodies.get(locale)
    if body is not None:
        log_exposure(recommender, customer_id, body, request_id)


class _ArmView:
    """The recommender as one arm sees it (for the batch refresh of that arm's lists)."""

    experiments = None  # the arm is decided: no further split

    def __init__(self, recommender: Any, snapshot: Snapshot) -> None:
        self._recommender = recommender
        self.snapshot = snapshot

    def reload_if_changed(self) -> None:
        """The caller reloaded before splitting: the arm stays on that snapshot."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._recommender, name)


def refresh_per_arm(
    refresh: Callable[..., dict[str, int]],
    decode: Callable[[bytes], Any],
    recommender: Any,
    store: Any,
    ids: Sequence[str],
    policy: Any,
    **options: Any,
) -> dict[str, int] | None:
    """None when no experiment is active on the customer lists (the caller refreshes as
    usual); else `refresh` run once per arm on that arm's ids (and once on the ids outside the
    experiment), with the counts added up. Each arm's lists are then read back, decoded with
    `decode` (the store's `CachedList.decode`) and checked (safety.py)."""
    server = server_of(recommender)
    if server is None:
        return None
    day = options.get("today") or recommender.clock()
    base = recommender.snapshot
    server.refresh(base.rules.rules)
    if server.experiments.active(PLACEMENT, day) is None:
        return None
    groups: dict[str, tuple[Snapshot, list[str]]] = {}
    for customer_id in ids:
        arm = server.arm(PLACEMENT, customer_id, None, day, base)
        snapshot = arm.snapshot_for(base) if arm is not None else base
        groups.setdefault(snapshot.fingerprint, (snapshot, []))[1].append(customer_id)
    totals: dict[str, int] = {}
    for snapshot, part in groups.values():
        counts = refresh(_ArmView(recommender, snapshot), store, part, policy, **options)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if snapshot.experiment is not None:
            _check_written(server, decode, recommender, store, part, day, snapshot)
    return totals


def _check_written(
    server: ExperimentServer,
    decode: Callable[[bytes], Any],
    recommender: Any,
    store: Any,
    ids: Sequence[str],
    day: Any,
    arm: Snapshot,
) -> None:
    """Read back the arm's lists just written and check each distinct one (safety.py)."""
    base = recommender.snapshot
    profiles, lists, _ = store.read_many_checked(list(ids))
    done: set[tuple[str, str]] = set()
    experiment_id, variant_id = arm.experiment or ("", "")
    for entry, raw in zip(profiles, lists, strict=True):
        if entry is None or raw is None:
            continue
        try:
            cached = decode(raw)
            bodies = cached.bodies
        except ValueError:  # a corrupt entry: the next refresh or GET replaces it
            continue
        if cached.fingerprint != arm.fingerprint or (entry["digest"], raw) in done:
            continue
        done.add((entry["digest"], raw))
        for locale, body in bodies.items():
            request = RecommendationRequest.from_dict(
                {"profile": entry["profile"], "limit": cached.limit, "locale": locale}
            )
            skus = [item["sku"] for item in body.get("items", [])]
            unsafe = unsafe_skus(base, request, day, skus, recommender.jurisdiction, arm)
            server.count_check(experiment_id, variant_id, unsafe)
