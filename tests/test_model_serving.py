"""The learned model in service: it ranks what safety and rules leave, every guarantee still
holds, explain shows its terms, a promoted model is picked up without a restart, and the lists
shown are logged (and erased with the customer) for training."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings

from service.api.app import create_app
from service.contract.schemas import RecommendationRequestSchema
from service.core.recommender import Recommender
from service.learning.exports import EVENTS_FILE, IMPRESSIONS_FILE, export_streams
from service.learning.jobs import train_and_promote
from service.learning.logs import read_jsonl
from service.learning.simulator import simulate

from .conftest import served_by
from .test_safety_properties import assert_safe, requests


@pytest.fixture(scope="module")
def model_store(recommender, tmp_path_factory):
    root = tmp_path_factory.mktemp("model-serving")
    log = simulate(recommender.snapshot, root / "logs", customers=2500, days=45, seed=3)
    run = train_and_promote(log.impressions_path, log.events_path, root / "models")
    assert run.promotion.promoted, run.promotion.reason
    return {"dir": root / "models", "version": run.promotion.version, "log": log, "run": run}


@pytest.fixture(scope="module")
def with_model(model_store) -> Recommender:
    return served_by(model_store["dir"])


def test_the_promoted_model_ranks_and_is_in_the_versions(with_model, model_store, recommender):
    assert with_model.snapshot.versions["model"] == model_store["version"]
    assert with_model.snapshot.fingerprint != recommender.snapshot.fingerprint
    body = {"profile": {"age": 70, "country": "NL"}, "limit": 10, "explain": True}
    answer = with_model.recommend(RecommendationRequestSchema().load(body))
    learned = answer["items"][0]["explain"]["learned"]
    assert learned["model"] == model_store["version"]
    assert learned["model_contributions"] and 0 <= learned["model_score"] <= 1
    assert set(learned["blend"]) == {
        "model_weight",
        "transparent_weight",
        "rule_strength",
        "learned",
        "model_part",
        "transparent_part",
        "rule_weight",
    }
    assert learned["blend"]["learned"] is True


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=requests())
def test_every_guarantee_holds_with_the_model_on(with_model, raw):
    answer = with_model.recommend(RecommendationRequestSchema().load(raw))
    assert_safe(raw, answer)


@pytest.fixture(scope="module")
def with_other_learner(model_store, tmp_path_factory) -> Recommender:
    """The learner the holdout did not pick, serving on its own store (both kinds get tested)."""
    from service.learning.store import install, set_current

    run = model_store["run"]
    other = next(n for n in run.result.candidates if n != run.result.report["learner"])
    model = run.result.candidates[other]
    store = tmp_path_factory.mktemp("other-learner")
    saved = model.save(store / "candidate")
    set_current(store, install(store, saved).name)
    return served_by(store)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=requests())
def test_every_guarantee_holds_with_the_other_learner_on(with_other_learner, raw):
    assert with_other_learner.snapshot.model is not None
    answer = with_other_learner.recommend(RecommendationRequestSchema().load(raw))
    assert_safe(raw, answer)


def test_a_promoted_model_is_picked_up_without_a_restart(model_store, tmp_path):
    from service.learning.store import install, set_current

    empty = tmp_path / "store"
    served = served_by(empty)
    assert served.snapshot.model is None
    before = served.snapshot.fingerprint
    source = model_store["dir"] / "versions" / model_store["version"]
    install(empty, source)
    set_current(empty, model_store["version"])
    assert served.reload_model() is True
    assert served.snapshot.versions["model"] == model_store["version"]
    assert served.snapshot.fingerprint != before  # cached lists go stale and refresh


def test_lists_shown_to_a_customer_are_logged_with_features_and_erased_with_them(tmp_path):
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    client = app.test_client()
    store = app.extensions.get("dosewise_store")
    response = client.post(
        "/v1/recommendations",
        json={"profile": {"age": 72}, "customer_id": "imp-1"},
        headers={"X-Request-ID": "req-42"},
    )
    assert response.status_code == 200
    from service.customers.redis_client import get_store

    store = get_store(app)
    logged = [i for i in store._impressions if i["customer_id"] == "imp-1"]
    assert len(logged) == 1 and logged[0]["request_id"] == "req-42"
    shown = [item["sku"] for item in response.get_json()["items"]]
    assert [item["sku"] for item in logged[0]["items"]] == shown
    assert all(len(item["features"]) > 10 for item in logged[0]["items"])
    client.put("/v1/customers/imp-1", json={"age": 72})
    client.post(
        "/v1/events",
        json={
            "events": [
                {
                    "customer_id": "imp-1",
                    "sku": shown[0],
                    "type": "click",
                    "timestamp": "2026-11-28T10:00:00Z",
                }
            ]
        },
    )
    client.delete("/v1/customers/imp-1")
    assert not [i for i in store._impressions if i["customer_id"] == "imp-1"]


def test_export_moves_events_and_impressions_to_the_training_files(tmp_path):
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    client = app.test_client()
    answer = client.post(
        "/v1/recommendations",
        json={"profile": {"age": 30, "sun_exposure": "low"}, "customer_id": "exp-1"},
    ).get_json()
    client.post(
        "/v1/events",
        json={
            "events": [
                {
                    "customer_id": "exp-1",
                    "sku": answer["items"][0]["sku"],
                    "type": "purchase",
                    "timestamp": dt.datetime.now(dt.UTC).isoformat(),
                }
            ]
        },
    )
    from service.customers.redis_client import get_store

    counts = export_streams(get_store(app), tmp_path)
    assert counts == {EVENTS_FILE: 1, IMPRESSIONS_FILE: 1}
    events = list(read_jsonl(tmp_path / EVENTS_FILE))
    assert events[0]["type"] == "purchase" and events[0]["customer_id"] == "exp-1"
    assert export_streams(get_store(app), tmp_path) == {EVENTS_FILE: 0, IMPRESSIONS_FILE: 0}


def test_with_the_model_on_every_item_has_a_reason_and_learned_ones_are_strong(with_model):
    """Guarantee 11 with a model: a learned preference is a reason ("Often chosen by customers
    with a profile like yours.") only where the model score reaches scoring.yaml's
    lists.learned_min_score (0.85), so it is no way back for fillers."""
    from service.core.samples import sample_profiles

    skus = [p.sku for p in with_model.snapshot.catalog.products]
    for profile in sample_profiles(120, skus, seed=5):
        body = {"profile": profile, "limit": 10, "locale": "en", "explain": True}
        answer = with_model.recommend(RecommendationRequestSchema().load(body))
        for item in answer["items"]:
            assert item["reasons"], (profile, item["sku"])
            learned = [r for r in item["reasons"] if r["code"] == "learned"]
            if learned:
                assert learned[0]["text"] == "Often chosen by customers with a profile like yours."
                assert item["explain"]["learned"]["model_score"] >= 0.85 - 1e-9
