"""Experiments where lists are served (issue #12 point 4): the customer GET path with lists
precomputed per arm, placements, and the safety metric that counts violations per arm."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from bench.profiles import request_bodies
from service.core.placements.serve import recommend_placement
from service.core.profile import Profile
from service.core.ranking import evaluate
from service.core.requests import RecommendationRequest
from service.core.snapshot import load_snapshot
from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk
from service.customers.store import MemoryStore
from service.experiments.assign import assign
from service.experiments.safety import unsafe_placement_skus, unsafe_skus
from service.experiments.spec import load_experiments
from service.learning.exports import apply_erasures
from service.learning.features import CROSSED_PRODUCT_NAMES, FEATURE_NAMES, PROFILE_NAMES
from service.learning.model import LinearWeights, RankingModel
from service.learning.store import install, set_current

from .conftest import TODAY

EXPERIMENT = """\
source: "test"
experiments:
  - id: no-campaigns
{placement}    start: {start}
    end: {end}
    variants:
      - {{id: control, share: 0.5}}
      - {{id: without-boosts, share: 0.5, rules_off: [{rules}]}}
"""


def _write_experiment(rules_dir: Path, placement: str | None, start="2026-11-01", end="2026-12-31"):
    boosts = [r.id for r in load_snapshot_rules(rules_dir) if r.action == "boost"]
    assert boosts
    line = f"    placement: {placement}\n" if placement else ""
    (rules_dir / "experiments.yaml").write_text(
        EXPERIMENT.format(placement=line, start=start, end=end, rules=", ".join(boosts))
    )


def load_snapshot_rules(rules_dir: Path):
    from service.core.snapshot import DataPaths

    return load_snapshot(
        DataPaths(rules_dir.parent / "catalog" / "products.yaml", rules_dir)
    ).rules.rules


def _app(data_copy, tmp_path, **config):
    from service.api.app import create_app

    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": None,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
            "LEARNING_DIR": str(tmp_path / "learning"),
            **config,
        }
    )
    app.extensions["dosewise"].clock = lambda: TODAY
    return app


def _exposures(tmp_path: Path) -> list[dict]:
    path = tmp_path / "learning" / "exposures.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _head(raw: bytes) -> dict:
    """The metadata line of a stored list."""
    return json.loads(raw.partition(b"\n")[0])


PROFILE = {"age": 72, "sex": "female", "goals": ["bones"], "country": "NL"}


# ---------------------------------------------------------------- the customer GET path
def test_customer_get_serves_each_arm_its_own_precomputed_list(data_copy, tmp_path):
    _write_experiment(data_copy.rules, "customer_recommendations")
    app = _app(data_copy, tmp_path)
    client = app.test_client()
    experiment = load_experiments(data_copy.rules / "experiments.yaml").experiments[0]
    ids = [f"get-{n}" for n in range(12)]
    for customer in ids:  # each PUT refreshes the customer's list (tasks run eagerly here)
        assert client.put(f"/v1/customers/{customer}", json=PROFILE).status_code == 200
    recommender, store = app.extensions["dosewise"], get_store(app)
    cached = {}
    for n, customer in enumerate(ids):
        response = client.get(
            f"/v1/customers/{customer}/recommendations", headers={"X-Request-ID": f"h-{n}"}
        )
        answer = response.get_json()
        response.close()  # the fast path logs once the answer is sent (the server closes it)
        assert answer["source"] == "cache", customer  # the fast path's stored bytes
        variant = assign(experiment, customer).id
        assert answer["experiment"] == {"id": "no-campaigns", "variant": variant}
        if variant == "control":
            assert "+" not in answer["versions"]["rules"]
        else:
            assert answer["versions"]["rules"].endswith("+no-campaigns.without-boosts")
        cached[customer] = answer
    assert {a["experiment"]["variant"] for a in cached.values()} == {"control", "without-boosts"}
    # one stored list per arm, each under its arm's fingerprint
    _, lists, _ = store.read_many_checked(ids)
    fingerprints = {_head(raw)["fingerprint"] for raw in lists}
    assert len(fingerprints) == 2 and recommender.snapshot.fingerprint not in fingerprints

    # computed on request (a locale that is not precomputed): the same arm
    for n, customer in enumerate(ids):
        answer = client.get(
            f"/v1/customers/{customer}/recommendations?locale=de",
            headers={"X-Request-ID": f"c-{n}"},
        ).get_json()
        assert answer["source"] == "computed"
        assert answer["experiment"] == cached[customer]["experiment"]
        assert [i["sku"] for i in answer["items"]] == [i["sku"] for i in cached[customer]["items"]]

    # the batch refresh computes each arm's list apart: one profile, two arms
    other = MemoryStore()
    for customer in ids:
        other.put_profile(customer, PROFILE)
    counts = refresh_chunk(recommender, other, ids, cache_policy(app))
    assert counts["done"] == 12 and counts["computed"] == 2, counts
    again = other.read_many_checked(ids)[1]
    assert [_head(raw)["fingerprint"] for raw in again] == [
        _head(raw)["fingerprint"] for raw in lists
    ]

    # every answer, cached or computed, is an exposure with what it showed
    logged = _exposures(tmp_path)
    assert [r["request_id"] for r in logged] == [f"h-{n}" for n in range(12)] + [
        f"c-{n}" for n in range(12)
    ]
    assert {r["placement"] for r in logged} == {"customer_recommendations"}
    for record in logged:
        answer = cached[record["unit"]]
        assert record["variant"] == answer["experiment"]["variant"]
        assert record["skus"] == [item["sku"] for item in answer["items"]]

    # the placement is the customer GET: POST answers stay outside the experiment
    plain = client.post(
        "/v1/recommendations", json={"profile": PROFILE, "customer_id": ids[0]}
    ).get_json()
    assert "experiment" not in plain
    assert len(_exposures(tmp_path)) == 24
    checked = app.extensions["dosewise_experiments"].checked
    lists_checked = sum(c for c, _ in checked.values())
    assert lists_checked >= 12 + 2 and sum(v for _, v in checked.values()) == 0


def test_a_list_cached_before_the_experiment_is_not_served_in_an_arm(data_copy, tmp_path):
    _write_experiment(data_copy.rules, None, start="2027-01-01", end="2027-01-31")  # later
    app = _app(data_copy, tmp_path)
    client = app.test_client()
    client.put("/v1/customers/early", json=PROFILE)  # refreshed at once (eager tasks)
    response = client.get("/v1/customers/early/recommendations")
    before = response.get_json()
    response.close()
    assert before["source"] == "cache" and "experiment" not in before
    assert _exposures(tmp_path) == []

    _write_experiment(data_copy.rules, None)  # now running, on every placement (the default)
    with (data_copy.rules / "experiments.yaml").open("a") as handle:
        handle.write("# started\n")  # another size: the reload never misses the change
    during = client.get("/v1/customers/early/recommendations").get_json()
    assert during["source"] == "computed"
    assert during["experiment"]["id"] == "no-campaigns"
    refresh_chunk(app.extensions["dosewise"], get_store(app), ["early"], cache_policy(app))
    response = client.get("/v1/customers/early/recommendations")
    cached = response.get_json()
    response.close()
    assert cached["source"] == "cache" and cached["experiment"] == during["experiment"]
    posted = client.post("/v1/recommendations", json={"profile": PROFILE, "customer_id": "early"})
    assert posted.get_json()["experiment"] == during["experiment"]  # `all` covers POST too
    assert [r["placement"] for r in _exposures(tmp_path)] == [
        "customer_recommendations",
        "customer_recommendations",
        "recommendations",
    ]


# ---------------------------------------------------------------- placements in the file
def test_placement_defaults_to_all_and_names_a_known_placement(tmp_path):
    text = """\
source: "test"
experiments:
  - id: a
    start: 2026-12-01
    end: 2026-12-10
{placement}    variants:
      - {{id: control, share: 0.5}}
      - {{id: b, share: 0.5, blend: {{model: 1.0, transparent: 0.0, rules: 0.0}}}}
"""
    path = tmp_path / "experiments.yaml"
    path.write_text(text.format(placement=""))
    assert load_experiments(path).experiments[0].placement == "all"
    path.write_text(text.format(placement="    placement: cart\n"))
    with pytest.raises(Exception, match=r"experiments.yaml:6.*placement must be one of"):
        load_experiments(path)
    (tmp_path / "placements.yaml").write_text("source: x\nplacements:\n  cart: {}\n  home: {}\n")
    experiments = load_experiments(path)
    assert experiments.experiments[0].placement == "cart"
    assert experiments.active("cart", TODAY.replace(day=5, month=12)) is not None
    assert experiments.active("home", TODAY.replace(day=5, month=12)) is None
    # an experiment on all placements overlaps one on a single placement
    second = text.format(placement="").split("experiments:\n")[1].replace("id: a", "id: other")
    path.write_text(text.format(placement="    placement: cart\n") + second)
    with pytest.raises(Exception, match="overlaps"):
        load_experiments(path)


# ---------------------------------------------------------------- safety, counted per arm
def _random_model(seed: int, version: str) -> RankingModel:
    rng = np.random.default_rng(seed)
    weights = LinearWeights(
        float(rng.normal()),
        rng.normal(0, 3, len(FEATURE_NAMES)),
        rng.normal(0, 3, (len(PROFILE_NAMES), len(CROSSED_PRODUCT_NAMES))),
        0.0,
        1.0,
    )
    return RankingModel(weights, {"version": version, "feature_names": list(FEATURE_NAMES)})


def test_safety_violations_stay_zero_in_every_arm_whatever_the_variant_changes(data_copy, tmp_path):
    """Rule set, blend weights and model changed to extremes: the counter stays 0."""
    models = tmp_path / "models"
    for seed, version in ((1, "random-1"), (2, "random-2")):
        install(models, _random_model(seed, version).save(tmp_path / "candidates" / version))
    set_current(models, "random-1")
    droppable = [
        r.id for r in load_snapshot_rules(data_copy.rules) if r.action in ("boost", "bury", "pin")
    ]
    (data_copy.rules / "experiments.yaml").write_text(
        f"""\
source: "test"
experiments:
  - id: extremes
    start: 2026-11-01
    end: 2026-12-31
    variants:
      - {{id: control, share: 0.2}}
      - {{id: rules-at-5x, share: 0.2, blend: {{model: 0.0, transparent: 1.0, rules: 5.0}}}}
      - {{id: model-only, share: 0.2, blend: {{model: 1.0, transparent: 0.0, rules: 0.0}}}}
      - {{id: no-merchandising, share: 0.2, rules_off: [{", ".join(droppable)}]}}
      - {{id: other-model, share: 0.2, model_version: random-2}}
"""
    )
    app = _app(data_copy, tmp_path, MODEL_DIR=str(models))
    assert app.extensions["dosewise"].snapshot.model_version == "random-1"
    client = app.test_client()
    skus = [p.sku for p in app.extensions["dosewise"].snapshot.catalog.products]
    bodies = request_bodies(150, skus, seed=12)
    ids = []
    for n, body in enumerate(bodies):
        customer = f"arm-{n}"
        response = client.post("/v1/recommendations", json={**body, "customer_id": customer})
        assert response.status_code == 200, response.get_json()
        if n % 3 == 0:  # some of them are stored customers too: GET computes, refresh writes
            assert client.put(f"/v1/customers/{customer}", json=body["profile"]).status_code == 200
            assert client.get(f"/v1/customers/{customer}/recommendations").status_code == 200
            ids.append(customer)
    refresh_chunk(app.extensions["dosewise"], get_store(app), ids, cache_policy(app))
    checked = app.extensions["dosewise_experiments"].checked
    assert {variant for _, variant in checked} == {
        "control",
        "rules-at-5x",
        "model-only",
        "no-merchandising",
        "other-model",
    }
    assert sum(lists for lists, _ in checked.values()) >= 150 + 2 * len(ids)
    assert all(violations == 0 for _, violations in checked.values()), checked
    metrics = client.get("/metrics").get_data(as_text=True)
    for variant in ("control", "rules-at-5x", "model-only", "no-merchandising", "other-model"):
        labels = f'experiment="extremes",variant="{variant}"'
        assert re.search(
            r"dosewise_experiment_safety_violations_total\{" + labels + r"\} 0\.0", metrics
        ), variant
        found = re.search(
            r"dosewise_experiment_lists_checked_total\{" + labels + r"\} (\S+)", metrics
        )
        assert found and float(found[1]) > 0, variant


def test_the_safety_check_finds_a_sku_the_layer_does_not_allow(recommender):
    """The counter is not vacuous: a SKU the masks forbid for this profile is a violation."""
    snapshot = recommender.snapshot
    profile = Profile(age=45, medications=("vitamin_k_antagonist",), country="DE")
    ev = evaluate(snapshot, profile, [], TODAY)
    skus = [p.sku for p in snapshot.catalog.products]
    forbidden = [skus[i] for i in np.flatnonzero(~ev.safety.allowed())]
    assert forbidden
    request = RecommendationRequest.from_dict(
        {"profile": {"age": 45, "medications": ["vitamin_k_antagonist"], "country": "DE"}}
    )
    assert unsafe_skus(snapshot, request, TODAY, forbidden[:2]) == forbidden[:2]
    assert unsafe_skus(snapshot, request, TODAY, ["NO-SUCH-SKU"]) == ["NO-SUCH-SKU"]
    answer = recommender.recommend(
        {"profile": {"age": 45, "medications": ["vitamin_k_antagonist"], "country": "DE"}}
    )
    assert unsafe_skus(snapshot, request, TODAY, [i["sku"] for i in answer["items"]]) == []


def test_an_erased_customer_leaves_the_exposures_file_too(data_copy, tmp_path):
    """DELETE erases the customer from the exported files, exposures included."""
    _write_experiment(data_copy.rules, None)
    app = _app(data_copy, tmp_path)
    client = app.test_client()
    for customer in ("stays", "goes"):
        client.post("/v1/recommendations", json={"profile": PROFILE, "customer_id": customer})
    assert {r["customer_id"] for r in _exposures(tmp_path)} == {"stays", "goes"}
    store = get_store(app)
    store.put_profile("goes", PROFILE)
    store.delete("goes")
    removed = apply_erasures(store, tmp_path / "learning")
    assert removed["exposures.jsonl"] == 1
    assert [r["customer_id"] for r in _exposures(tmp_path)] == ["stays"]


def test_placement_answers_in_an_arm_are_counted_by_the_safety_metric(data_copy, tmp_path):
    """Issue 11: a placement's answer in an A/B arm (POST with `placement`, the customer GET
    of a computed placement with the customer's purchases) is checked and counted like the
    plain list's: it used to get its arm and exposure but no check. Never a false alarm:
    every shipped placement answers with 0 violations."""
    _write_experiment(data_copy.rules, None)  # on every placement
    app = _app(data_copy, tmp_path)
    client = app.test_client()
    snapshot = app.extensions["dosewise"].snapshot
    skus = [p.sku for p in snapshot.catalog.products]
    names = snapshot.placements.names
    checked = app.extensions["dosewise_experiments"].checked
    in_arm = 0
    strategies: set[str] = set()

    def counted(response) -> None:
        """The answer was checked once when it names an arm, else not at all."""
        nonlocal in_arm
        assert response.status_code == 200, response.get_json()
        arm = "experiment" in response.get_json()
        assert sum(lists for lists, _ in checked.values()) - before == arm
        in_arm += arm
        strategies.update(i["strategy"] for i in response.get_json()["items"] if arm)

    for n, body in enumerate(request_bodies(60, skus, seed=31)):
        body = {**body, "customer_id": f"pl-{n}", "placement": names[n % len(names)]}
        if body["placement"] == "product_page" or n % 4 == 0:
            body["product_sku"] = skus[(n * 7) % len(skus)]
        before = sum(lists for lists, _ in checked.values())
        counted(client.post("/v1/recommendations", json=body))
    for n, body in enumerate(request_bodies(12, skus, seed=32)):
        customer = f"buyer-{n}"
        assert client.put(f"/v1/customers/{customer}", json=body["profile"]).status_code == 200
        events = [
            {
                "customer_id": customer,
                "sku": skus[(n * 5 + k * 11) % len(skus)],
                "type": "purchase",
                "timestamp": f"2026-{8 + k:02d}-0{1 + n % 9}T10:00:00+00:00",
            }
            for k in range(3)
        ]
        assert client.post("/v1/events", json={"events": events}).status_code == 202
        for name in ("account", "email"):
            before = sum(lists for lists, _ in checked.values())
            counted(client.get(f"/v1/customers/{customer}/recommendations?placement={name}"))
    assert in_arm > 40
    assert {"profile", "complements", "alternatives", "buy_again", "refills"} <= strategies
    assert all(violations == 0 for _, violations in checked.values()), checked


def test_the_placement_check_finds_what_the_placement_may_not_show(recommender):
    """Not vacuous: a product the masks forbid, one that doubles the basket in the cart, and a
    reorder of a vitamin K product for a warfarin user are violations."""
    snapshot = recommender.snapshot
    warfarin = {"age": 60, "medications": ["vitamin_k_antagonist"], "country": "NL"}
    ev = evaluate(snapshot, Profile.from_dict(warfarin), [], TODAY)
    skus = [p.sku for p in snapshot.catalog.products]
    forbidden = [skus[i] for i in np.flatnonzero(~ev.safety.allowed())][:2]
    basket_sku = next(s for s in skus if s not in forbidden and "D3" in s)
    request = RecommendationRequest.from_dict(
        {"profile": warfarin, "placement": "cart", "basket": [{"sku": basket_sku}]}
    )
    answer = recommend_placement(snapshot, request, TODAY)
    items = [{"sku": i["sku"], "strategy": i["strategy"]} for i in answer["items"]]
    assert unsafe_placement_skus(snapshot, request, TODAY, items) == []
    bad = [{"sku": s, "strategy": "complements"} for s in forbidden]
    bad.append({"sku": basket_sku, "strategy": "complements"})  # doubles the basket
    bad.append({"sku": forbidden[0], "strategy": "refills", "for_sku": forbidden[0]})
    found = unsafe_placement_skus(snapshot, request, TODAY, items + bad)
    assert found == [*forbidden, basket_sku, forbidden[0]]


def test_exposures_that_cannot_be_written_show_in_readyz(data_copy, tmp_path):
    """Review s35b F2: with LEARNING_DIR not writable every exposure of an active experiment
    was dropped with a log line only, and /readyz said ok. It says so now (not a readiness
    condition: the answers are right, the A/B test's record is not), and clears once an
    exposure is written again."""
    _write_experiment(data_copy.rules, None)
    blocker = tmp_path / "learning"
    blocker.write_text("a file where the folder should be")
    client = _app(data_copy, tmp_path).test_client()
    body = {"profile": PROFILE, "customer_id": "c-exp"}
    assert client.post("/v1/recommendations", json=body).status_code == 200
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready", ready
    check = ready["checks"]["experiments"]
    assert check["ok"] is False and "exposures.jsonl" in check["exposures_error"], check
    blocker.unlink()
    assert client.post("/v1/recommendations", json=body).status_code == 200
    check = client.get("/readyz").get_json()["checks"]["experiments"]
    assert check["ok"] is True and check["exposures_error"] is None, check


def test_a_broken_experiments_file_shows_in_readyz_before_any_request(data_copy, tmp_path):
    """Review s35b F4: /readyz kept `experiments.ok: true` after experiments.yaml broke until a
    request with a customer id read it; /readyz reads it itself now."""
    _write_experiment(data_copy.rules, None)
    app = _app(data_copy, tmp_path)
    app.extensions["dosewise_experiments"].check_interval = 0
    client = app.test_client()
    assert client.get("/readyz").get_json()["checks"]["experiments"]["ok"] is True
    (data_copy.rules / "experiments.yaml").write_text("experiments: [\n", encoding="utf-8")
    check = client.get("/readyz").get_json()["checks"]["experiments"]
    assert check["ok"] is False and "experiments.yaml" in (check["error"] or ""), check


def test_the_admin_reload_refuses_a_broken_experiments_file(data_copy, tmp_path):
    """Review s36b F6: with experiments.yaml broken, POST /v1/admin/reload answered 200
    "reloaded" with no finding while /readyz and `rules check` refused the file. The reload
    reads it at once (whatever the check interval) and answers 422 naming it; the catalog
    and rules were reloaded, and the last good experiments serve."""
    _write_experiment(data_copy.rules, None)
    app = _app(data_copy, tmp_path)
    client = app.test_client()
    assert client.post("/v1/admin/reload").status_code == 200  # the premise: a good set
    (data_copy.rules / "experiments.yaml").write_text("experiments: [\n", encoding="utf-8")
    answer = client.post("/v1/admin/reload")
    body = answer.get_json()
    assert answer.status_code == 422, body
    assert body["status"] == "refused"
    assert body["error"]["code"] == "data_file_invalid"
    assert "experiments.yaml" in json.dumps(body["error"]["fields"])
    assert body["checks"]["experiments"]["ok"] is False
    _write_experiment(data_copy.rules, None)
    assert client.post("/v1/admin/reload").status_code == 200  # mended: reloaded


def test_the_admin_reload_refuses_experiments_a_rule_change_broke(data_copy, tmp_path):
    """Review s36c F4: the reload read experiments.yaml only when the file itself changed; a
    rule renamed in rules/merchandising left a variant's `rules_off` naming an unknown rule,
    and the reload answered 200 while `rules check` refused it."""
    _write_experiment(data_copy.rules, None)
    app = _app(data_copy, tmp_path)
    client = app.test_client()
    assert client.post("/v1/admin/reload").status_code == 200  # the premise: a good set
    boost = next(r for r in load_snapshot_rules(data_copy.rules) if r.action == "boost")
    for path in sorted((data_copy.rules / "merchandising").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if f"id: {boost.id}\n" in text:
            path.write_text(text.replace(f"id: {boost.id}\n", f"id: {boost.id}-renamed\n"))
            break
    else:
        raise AssertionError(boost.id)
    answer = client.post("/v1/admin/reload")
    body = answer.get_json()
    assert answer.status_code == 422, body
    assert boost.id in json.dumps(body["error"]["fields"])
