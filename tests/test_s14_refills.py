"""Session 14, review 16 findings F10 and F12 (the events bullet), on stored customers with
purchase events (the review's clock: 2026-11-28; memory_app(today=...)).

- F10: GET /v1/customers/{id}/refills reordered a vitamin D spray beside its own notice
  `above_upper_limit:magnesium_mg` ("... We suggest nothing more until that is adjusted"):
  a man of 50 who bought 375 mg magnesium tablets and the vitamin D spray on 2026-09-01 (both
  run out on 2026-12-10) and calcium + magnesium tablets on 2026-11-20 (200 mg magnesium a
  day, until 2027-01-19). What he takes now gives 575 mg magnesium, above the 250 mg limit;
  the plain list for that intake offers nothing. docs/api.md: when what the customer takes
  already crosses an upper limit nothing is reordered (`left_out`, why
  `above_upper_limit_now`), as for every list; the daily job writes the same.
- F12: POST /v1/events with a timestamp in the future or too old answered 422 with the message
  "the request names things the catalog does not know"; the field text was right. The message
  is the generic one for a field that fails validation (contract: the error shape).

Expectations come from the catalog (tests/oracle.py), the plain list's own answer for the same
intake and the documented rule, never from the refill code.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from service.customers.redis_client import get_store
from service.customers.refills import refill_chunk

from .conftest import memory_app, store_customer
from .oracle import expected_upper_limit
from .test_s13_refills import _per_day, _runs_out

LOCALES = ["nl", "de", "en"]
TODAY = dt.date(2026, 11, 28)  # the review's clock
MAN_50 = {"age": 50, "sex": "male"}
MG, D3, CA_MG = "BL-MG-375-TAB", "GR-D3-20-SPRAY-VEGAN", "XF-CA-MG-TAB"
F10 = {MG: "2026-09-01", D3: "2026-09-01", CA_MG: "2026-11-20"}
MAGNESIUM = "magnesium_mg"


def _refills(client, locale: str, customer: str = "c-7") -> dict:
    response = client.get(f"/v1/customers/{customer}/refills", query_string={"locale": locale})
    assert response.status_code == 200, response.data
    return response.get_json()


def _stored(purchases: dict[str, str], customer: str = "c-7"):
    app = memory_app(TODAY)
    client = app.test_client()
    store_customer(client, customer, MAN_50, purchases)
    return app, client


# ---------------------------------------------------------------- F10
def test_f10_the_setup_is_what_the_review_saw():
    """Both products of the reorder run out on 2026-12-10 (due within 14 days); the magnesium
    still taken today (375 mg + 200 mg) is above the limit of a man of 50."""
    assert _runs_out(MG, F10[MG]) == _runs_out(D3, F10[D3]) == dt.date(2026, 12, 10)
    assert _runs_out(CA_MG, F10[CA_MG]) == dt.date(2027, 1, 19)
    limit = expected_upper_limit(MAGNESIUM, 50, "none")
    assert limit is not None
    assert _per_day(MG, MAGNESIUM) + _per_day(CA_MG, MAGNESIUM) > limit
    assert _per_day(CA_MG, MAGNESIUM) <= limit  # without the 375 mg tablets: within it
    assert _per_day(D3, MAGNESIUM) == 0


@pytest.mark.parametrize("locale", LOCALES)
def test_f10_above_a_limit_now_nothing_is_reordered(locale):
    """The notice says nothing more is suggested; the reorder proposes nothing either, and
    every product of it is left out with why `above_upper_limit_now` naming magnesium."""
    _, client = _stored(F10)
    body = _refills(client, locale)
    assert f"above_upper_limit:{MAGNESIUM}" in {n["code"] for n in body["notices"]}
    reorder = body["reorder"]
    assert reorder is not None and reorder["items"] == [], reorder["items"]
    left = {entry["sku"]: entry for entry in reorder["left_out"]}
    assert set(left) == {MG, D3}
    for entry in left.values():
        assert [w["code"] for w in entry["why"]] == ["above_upper_limit_now"], entry
        # the nutrient is named in the locale (the why's text, rules/refills.yaml)
        assert entry["why"][0]["text"] and entry["advice"]
        # review 17 RF1: no alternative was looked for, so none "found no safe alternative"
        found_none = {"en": "no safe alternative", "nl": "geen veilig", "de": "keine sichere"}
        assert found_none[locale] not in entry["advice"], entry["advice"]
    listed = {r["sku"]: r for r in body["refills"]}
    for sku in (MG, D3):
        assert listed[sku]["in_reorder"] and listed[sku]["fits"] is False
        assert [w["code"] for w in listed[sku]["why"]] == ["above_upper_limit_now"]


def test_f10_the_plain_list_for_the_same_intake_offers_nothing_either():
    """The rule the refills follow is the list's: the same intake, no product offered."""
    _, client = _stored(F10)
    profile = {
        **MAN_50,
        "sun_exposure": "low",
        "current_supplements": [{"sku": MG}, {"sku": CA_MG}],
    }
    response = client.post("/v1/recommendations", json={"profile": profile, "locale": "en"})
    assert response.status_code == 200, response.data
    answer = response.get_json()
    assert answer["items"] == []
    assert f"above_upper_limit:{MAGNESIUM}" in {n["code"] for n in answer["notices"]}
    assert _refills(client, "en")["reorder"]["items"] == []


def test_f10_the_daily_job_writes_the_same_reorder():
    """The refill e-mail export and Redis record (refill_chunk, the job's chunk) carry the
    same reorder as the GET: no item, both products left out."""
    app, client = _stored(F10)
    store = get_store(app)
    counts = refill_chunk(app.extensions["dosewise"], store, ["c-7"], TODAY)
    assert counts["due"] == 1
    record = json.loads(store.read_refills("c-7"))
    body = _refills(client, record["locale"])
    assert record["reorder"] == body["reorder"]
    assert record["reorder"]["items"] == []
    assert {e["sku"] for e in record["reorder"]["left_out"]} == {MG, D3}
    assert record["notices"] == body["notices"]


def test_f10_once_the_tablets_ran_out_the_spray_is_reordered():
    """The control: the 375 mg tablets bought earlier ran out on 2026-11-18 (due, not taken
    now); the 200 mg still taken is within the limit. The spray is reordered, the tablets left
    out for their own amount, and no notice says nothing more is suggested."""
    earlier = {**F10, MG: "2026-08-10"}
    assert _runs_out(MG, earlier[MG]) < TODAY
    _, client = _stored(earlier)
    body = _refills(client, "en")
    assert f"above_upper_limit:{MAGNESIUM}" not in {n["code"] for n in body["notices"]}
    assert [i["sku"] for i in body["reorder"]["items"]] == [D3]
    left = {entry["sku"]: entry for entry in body["reorder"]["left_out"]}
    assert set(left) == {MG}
    assert "above_upper_limit_now" not in {w["code"] for w in left[MG]["why"]}


# ---------------------------------------------------------------- F12 (events)
VALIDATION = "the request fails validation; see fields"
UNKNOWN = "the request names things the catalog does not know"


def _event(stamp: str, sku: str = D3) -> dict:
    return {"customer_id": "c-9", "sku": sku, "type": "purchase", "timestamp": stamp}


def _post_events(events: list[dict]) -> tuple[int, dict]:
    client = memory_app(TODAY).test_client()
    response = client.post("/v1/events", json={"events": events})
    return response.status_code, response.get_json()["error"]


def _future() -> str:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    return later.isoformat(timespec="seconds")


def _too_old() -> str:
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(days=3651)
    return earlier.isoformat(timespec="seconds")


@pytest.mark.parametrize("stamp", [_future, _too_old], ids=["future", "too_old"])
def test_f12_a_refused_timestamp_has_the_generic_validation_message(stamp):
    status, error = _post_events([_event(stamp())])
    assert status == 422
    assert error["code"] == "validation_failed"
    assert error["message"] == VALIDATION
    assert list(error["fields"]) == ["events.0.timestamp"]


def test_f12_an_unknown_sku_still_names_the_catalog():
    status, error = _post_events([_event("2026-11-20T10:00:00+00:00", sku="NO-SUCH-SKU")])
    assert status == 422
    assert error["message"] == UNKNOWN
    assert list(error["fields"]) == ["events.0.sku"]


def test_f12_an_unknown_sku_beside_a_refused_timestamp_is_a_validation_failure():
    """Not every field is about the catalog: the generic message, both fields."""
    unknown = _event("2026-11-20T10:00:00+00:00", sku="NO-SUCH-SKU")
    status, error = _post_events([unknown, _event(_future())])
    assert status == 422
    assert error["message"] == VALIDATION
    assert set(error["fields"]) == {"events.0.sku", "events.1.timestamp"}
