"""The daily refill job with a real Redis and a real Celery worker process: what it writes to
Redis and to the export, one run at a time, a worker killed mid-run and the run resumed, and
an erased customer leaving the export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bench.refills import store_customers
from service.customers.redis_client import get_store
from service.customers.refills import JOB

from .conftest import wait_for
from .stacks import worker_stack

STORE_DB, BROKER_DB = 8, 7
DAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def refill_stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("refills")
    settings = {
        "RELOAD_INTERVAL": 0,
        "REFILL_CHUNK_SIZE": 200,
        "REFRESH_LOCK_TTL": 2,
        "REFILL_EXPORT_DIR": str(tmp / "exports"),
    }
    with worker_stack(tmp, STORE_DB, BROKER_DB, settings, name="refills") as stack:
        stack["app"].extensions["dosewise"].clock = lambda: DAY
        yield {**stack, "exports": tmp / "exports"}


def _finished(client, run_id: str | None = None):
    state = client.get("/v1/admin/refills" + (f"?run_id={run_id}" if run_id else ""))
    body = state.get_json() if state.status_code == 200 else {}
    return body if body.get("status") == "finished" and body.get("exported_to") else None


def _export(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_the_job_writes_the_refills_due_to_redis_and_the_export(refill_stack):
    client, r, app = refill_stack["client"], refill_stack["redis"], refill_stack["app"]
    ids = store_customers(app, 2000, seed=21, today=DAY)
    started = client.post("/v1/admin/refills")
    assert started.status_code == 202 and started.get_json()["started"]
    again = client.post("/v1/admin/refills").get_json()
    assert again == {"run_id": started.get_json()["run_id"], "started": False}
    state = wait_for(lambda: _finished(client), timeout=180, interval=0.2)
    assert state["done"] == state["total"] == len(ids) and state["failed"] == 0
    records = _export(state["exported_to"])
    assert Path(state["exported_to"]).name == "refills-2026-11-28.jsonl"
    assert len(records) == state["due"] > 0
    exported = {rec["customer_id"] for rec in records}
    stored = {k.decode().split(":", 2)[2] for k in r.scan_iter("dw:refills:*")}
    assert stored == exported
    catalog = app.extensions["dosewise"].snapshot.catalog
    for rec in records:
        assert rec["locale"] in ("nl", "de", "en")
        assert any(x["due"] for x in rec["refills"])
        profile = json.loads(r.get(f"dw:profile:{rec['customer_id']}"))["profile"]
        for item in (rec["reorder"] or {}).get("items", []):
            product = catalog.products[catalog.index[item["sku"]]]
            if "vitamin_k_antagonist" in profile.get("medications", []):
                assert not {"vitamin_k1_ug", "vitamin_k2_ug"} & set(product.nutrients_per_day)
            if profile.get("diet") == "vegan":
                assert product.vegan
            assert not set(profile.get("allergies", [])) & set(product.allergens)
            assert item["reasons"]
    # a customer with nothing due has no entry (and an old one is removed by the next run)
    quiet = next(i for i in ids if i not in exported)
    r.set(f"dw:refills:{quiet}", b"{}")
    run = client.post("/v1/admin/refills").get_json()
    assert run["started"]
    wait_for(lambda: _finished(client, run["run_id"]), timeout=180, interval=0.2)
    assert not r.exists(f"dw:refills:{quiet}")


def test_a_killed_worker_leaves_the_run_to_be_resumed_and_completed(refill_stack):
    client, worker, app = refill_stack["client"], refill_stack["worker"], refill_stack["app"]
    store = get_store(app)
    jobs = store.for_job(JOB)
    total = store.count()
    if total < 6000:
        store_customers(app, 6000, seed=22, today=DAY)
    run = client.post("/v1/admin/refills").get_json()
    assert run["started"]

    def partly_done():
        state = jobs.run_state(run["run_id"]) or {}
        return 0 < int(state.get("done", 0)) < int(state.get("total", 1))

    wait_for(partly_done, timeout=120, interval=0.01)
    worker.kill()
    # no chunk finishes within the lock's TTL (2 s): beat's check marks the run abandoned and
    # starts another, which a new worker completes
    wait_for(lambda: jobs.lock_holder() is None, timeout=30, interval=0.2)
    worker.start()
    check = app.extensions["celery"].tasks["workers.refill_tasks.refill_if_due"]
    with app.app_context():
        resumed = check.apply().get()
    assert resumed["started"] and resumed["run_id"] != run["run_id"]
    assert jobs.run_state(run["run_id"])["status"] == "abandoned"
    state = wait_for(lambda: _finished(client, resumed["run_id"]), timeout=240, interval=0.2)
    assert state["done"] == state["total"] and state["failed"] == 0
    lines = _export(state["exported_to"])
    assert len(lines) == len({rec["customer_id"] for rec in lines}) == state["due"]
    with app.app_context():
        assert check.apply().get() == {"started": False}  # today's run is done


def test_an_erased_customer_leaves_the_export(refill_stack):
    client, r = refill_stack["client"], refill_stack["redis"]
    state = client.get("/v1/admin/refills").get_json()
    path = state["exported_to"]
    victim = _export(path)[0]["customer_id"]
    assert client.delete(f"/v1/customers/{victim}").status_code == 200
    assert not r.exists(f"dw:refills:{victim}") and not r.exists(f"dw:purchases:{victim}")
    wait_for(
        lambda: victim not in {rec["customer_id"] for rec in _export(path)},
        timeout=60,
        interval=0.2,
    )
