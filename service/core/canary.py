"""A data set that loads answers a few sample requests before it serves (review s34b F3).

Every check of a rule, catalog or reference file is a check someone thought of. A campaign
whose `valid_from` held a time of day (YAML reads an unquoted `2026-12-01 09:00:00` as a
datetime) passed them all, was hot-reloaded, and every list then answered 500 while `/readyz`
said ready. What no check foresaw, these requests find: a set on which one of them raises is
refused like a broken file, so the last good set keeps serving and the reason is in the log,
`/readyz` and `rules check`. The requests span the paths the rules and texts branch on: an
adult, a child, pregnancy, a vegan with a medication and something in the basket, each market
the set serves. They are answered on today's date; a failure that only another day would show
(a date comparison that raises on one side of a date only) is not found here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .errors import DataFileError, Finding, InvalidInput

if TYPE_CHECKING:
    from .snapshot import Snapshot

SAMPLE_PROFILES: tuple[dict[str, Any], ...] = (
    {"age": 67, "sex": "female"},
    {"age": 8},
    {"age": 30, "sex": "female", "life_stage": "pregnant"},
    {"age": 45, "sex": "male", "diet": "vegan", "medications": ["vitamin_k_antagonist"]},
)


def check_answers(
    snapshot: Snapshot, where: str, countries: tuple[str, ...], today: dt.date | None = None
) -> None:
    """DataFileError (at `where`, the merchandising folder) when one of the sample requests
    raises on `snapshot`, in each of `countries` (the markets served); a request the markets
    in service refuse is skipped."""
    from .ranking import recommend
    from .requests import RecommendationRequest

    day = today or dt.date.today()
    skus = [p.sku for p in snapshot.catalog.products]
    for country in countries:
        for number, profile in enumerate(SAMPLE_PROFILES):
            body: dict[str, Any] = {"profile": {**profile, "country": country}}
            if number == len(SAMPLE_PROFILES) - 1 and skus:
                body["basket"] = [{"sku": skus[0]}]
            try:
                request = RecommendationRequest.from_dict(body)
                recommend(snapshot, request, day)
            except InvalidInput:
                continue
            except Exception as exc:  # noqa: BLE001 - what no check foresaw is the point
                message = (
                    f"the data set fails on a sample request ({body['profile']}): "
                    f"{type(exc).__name__}: {exc}; the last good set keeps serving"
                )
                raise DataFileError([Finding(where, 1, message, code="sample_request")]) from exc
