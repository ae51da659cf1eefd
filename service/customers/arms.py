"""How A/B tests reach the customer lists, without this package depending on them.

The factory gives the recommender an experiment server (`recommender.experiments`, made by
service/experiments/serving.py; None when there is none: a test's bare recommender). The
customer GET path and the batch refresh ask it three things through the functions below; with
no server they do exactly what they did without experiments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..core.snapshot import Snapshot


class CustomerExperiments(Protocol):
    def customer_snapshot(self, recommender: Any, customer_id: str) -> Snapshot: ...

    def recommend_for_customer(
        self, recommender: Any, data: dict[str, Any], **options: Any
    ) -> dict[str, Any]: ...

    def refresh_per_arm(
        self,
        refresh: Callable[..., dict[str, int]],
        decode: Callable[[bytes], Any],
        recommender: Any,
        store: Any,
        ids: Sequence[str],
        policy: Any,
        **options: Any,
    ) -> dict[str, int] | None: ...


def _server(recommender: Any) -> CustomerExperiments | None:
    return getattr(recommender, "experiments", None)


def serving_snapshot(recommender: Any, customer_id: str | None) -> Snapshot:
    """The snapshot the customer's list is ranked with: the customer's arm's during an
    experiment on the customer lists, else the one in service."""
    server = _server(recommender)
    if server is None or not customer_id:
        return recommender.snapshot
    return server.customer_snapshot(recommender, customer_id)


def recommend(recommender: Any, data: dict[str, Any], **options: Any) -> dict[str, Any]:
    """`recommender.recommend(data, **options)`, in the customer's arm if any."""
    server = _server(recommender)
    if server is None:
        return recommender.recommend(data, **options)
    return server.recommend_for_customer(recommender, data, **options)


def refresh_per_arm(
    refresh: Callable[..., dict[str, int]],
    decode: Callable[[bytes], Any],
    recommender: Any,
    store: Any,
    ids: Sequence[str],
    policy: Any,
    **options: Any,
) -> dict[str, int] | None:
    """None when no experiment runs on the customer lists (refresh as usual); else the
    chunk refreshed arm by arm, the counts added up."""
    server = _server(recommender)
    if server is None:
        return None
    return server.refresh_per_arm(refresh, decode, recommender, store, ids, policy, **options)
