"""Experiments (issue #12): the file, assignment, the sequential test, the report, and safety
that is the same in every arm."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from scipy.stats import chisquare

from service.contract.schemas import RecommendationRequestSchema
from service.core.errors import DataFileError
from service.core.ranking import recommend
from service.experiments.assign import assign
from service.experiments.report import (
    experiment_report,
    exposure_record,
    power_statement,
    report_html,
    report_text,
)
from service.experiments.spec import Experiment, Variant, load_experiments
from service.experiments.stats import ArmTotals, compare, detectable_effect
from service.experiments.variants import arm_snapshot
from service.learning.blend import BlendWeights
from service.learning.features import CROSSED_PRODUCT_NAMES, FEATURE_NAMES, PROFILE_NAMES
from service.learning.logs import event_record, write_jsonl
from service.learning.model import LinearWeights, RankingModel
from service.learning.serving import LEARNING

from .conftest import RULES, TODAY
from .test_safety_properties import assert_safe, requests

EXPERIMENTS_FILE = RULES / "experiments.yaml"


def _experiment(shares=(0.5, 0.5), traffic=1.0, **fields: Any) -> Experiment:
    variants = tuple(Variant(f"v{i}", share) for i, share in enumerate(shares))
    values: dict[str, Any] = {
        "id": "exp-1",
        "placement": "recommendations",
        "unit": "customer",
        "start": dt.date(2026, 12, 1),
        "end": dt.date(2026, 12, 28),
        "variants": variants,
        "traffic": traffic,
        **fields,
    }
    return Experiment(**values)


# ---------------------------------------------------------------- the file
def test_the_shipped_experiments_file_loads_and_states_its_power(recommender):
    experiments = load_experiments(EXPERIMENTS_FILE, recommender.snapshot.rules.rules)
    assert experiments.experiments
    for experiment in experiments.experiments:
        assert experiment.control.blend is None and not experiment.control.rules_off
        power = power_statement(experiment)
        assert power["stated"], power
        assert all(0 < v < 1 for v in power["detectable_relative_uplift"].values()), power


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "experiments.yaml"
    path.write_text(text)
    return path


GOOD = """\
source: "test"
experiments:
  - id: a
    start: 2026-12-01
    end: 2026-12-10
    variants:
      - {id: control, share: 0.5}
      - {id: b, share: 0.5, blend: {model: 1.0, transparent: 0.0, rules: 0.0}}
"""


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (
            ("share: 0.5}\n      - {id: b, share: 0.5", "share: 0.5}\n      - {id: b, share: 0.6"),
            6,
            "add up to 1",
        ),
        (("rules: 0.0}}", "rules: 0.0}, safety: off}"), 8, "unknown variant key 'safety'"),
        (("rules: 0.0}}", "rules: -1.0}}"), 8, "not negative"),
        (("end: 2026-12-10", "end: 2026-11-10"), 5, "before start"),
        (
            ("{id: b, share: 0.5,", "{id: b, share: 0.5, rules_off: [nl-stock-out],"),
            8,
            "leave out only boost, bury, pin",
        ),
    ],
)
def test_a_broken_experiments_file_is_refused_with_file_line_and_reason(
    recommender, tmp_path, change, line, reason
):
    text = GOOD.replace(*change)
    assert text != GOOD
    # the shipped rules have no exclude rule: one more stands for a stock-out exclusion
    rules = [
        *recommender.snapshot.rules.rules,
        SimpleNamespace(id="nl-stock-out", action="exclude"),
    ]
    with pytest.raises(DataFileError) as caught:
        load_experiments(_write(tmp_path, text), rules)
    findings = caught.value.findings
    assert any(reason in f.message and f.line == line for f in findings), [str(f) for f in findings]
    assert load_experiments(_write(tmp_path, GOOD), rules).experiments[0].id == "a"


def test_two_experiments_on_one_placement_may_not_overlap(tmp_path):
    second = GOOD.split("experiments:\n")[1].replace("id: a", "id: other")
    with pytest.raises(DataFileError, match="overlaps"):
        load_experiments(_write(tmp_path, GOOD + second))


# ---------------------------------------------------------------- assignment
def test_assignment_is_stable_and_balanced_on_100k_ids():
    experiment = _experiment(shares=(0.5, 0.3, 0.2), traffic=0.8)
    ids = [f"customer-{i}" for i in range(100_000)]
    first = [assign(experiment, i) for i in ids]
    assert first == [assign(experiment, i) for i in reversed(ids)][::-1]  # stable, any order
    names = [v.id if v else "out" for v in first]
    counts = [names.count(name) for name in ("v0", "v1", "v2", "out")]
    expected = [0.8 * 0.5, 0.8 * 0.3, 0.8 * 0.2, 0.2]
    result = chisquare(counts, [share * len(ids) for share in expected])
    assert result.pvalue > 0.001, (counts, result)
    # another experiment hashes independently: its arms are not the same people
    other = _experiment(shares=(0.5, 0.5), id="exp-2")
    a = np.array([assign(_experiment(), i).id == "v0" for i in ids[:20_000]])
    b = np.array([assign(other, i).id == "v0" for i in ids[:20_000]])
    table = [[(a & b).sum(), (a & ~b).sum()], [(~a & b).sum(), (~a & ~b).sum()]]
    assert chisquare(np.ravel(table), [5000] * 4).pvalue > 0.001, table


# ---------------------------------------------------------------- the sequential test
def _bernoulli_looks(
    rng: np.random.Generator, looks: int, per_look: int, control: float, treatment: float
) -> list[tuple[ArmTotals, ArmTotals]]:
    out = []
    totals = [0, 0]
    for k in range(1, looks + 1):
        totals[0] += int(rng.binomial(per_look, control))
        totals[1] += int(rng.binomial(per_look, treatment))
        n = k * per_look
        out.append(tuple(ArmTotals(n, n, t, n, t, t) for t in totals))
    return out  # type: ignore[return-value]


def test_a_a_tests_peeked_at_daily_reject_at_most_5_percent():
    rng = np.random.default_rng(12)
    tau = 0.05 * 0.05  # tuned to a 5 % uplift of a 5 % click rate
    rejected = 0
    for _ in range(1000):
        looks = _bernoulli_looks(rng, 20, 2000, 0.05, 0.05)
        rejected += compare(looks, tau, 0.05).significant
    assert rejected / 1000 <= 0.05, rejected


def test_a_real_5_percent_uplift_is_found_and_was_detectable_before_the_start():
    units = 1_200_000  # per arm by the end
    planned = detectable_effect(0.05, 0.05 * 0.95, (units, units), 0.05 * 0.05)
    assert planned.relative < 0.05  # the power statement says this traffic can find 5 %
    rng = np.random.default_rng(5)
    found = []
    for _ in range(40):
        looks = _bernoulli_looks(rng, 30, units // 30, 0.05, 0.0525)
        result = compare(looks, 0.05 * 0.05, 0.05)
        found.append(result.significant and result.low > 0)
        assert result.low <= 0.0025 <= result.high or not result.significant
    assert np.mean(found) >= 0.8, np.mean(found)


def test_ratio_variance_matches_a_bernoulli_rate_with_one_exposure_per_unit():
    rng = np.random.default_rng(1)
    y = (rng.random(10_000) < 0.1).astype(float)
    totals = ArmTotals.of(np.ones_like(y), y)
    assert totals.ratio == pytest.approx(y.mean())
    assert totals.ratio_variance == pytest.approx(y.var(ddof=1) / y.size)


# ---------------------------------------------------------------- the report
def test_report_attributes_events_to_exposures_and_renders(tmp_path):
    experiment = _experiment(
        baseline={
            "units_per_day": 100,
            "click_rate": 0.1,
            "purchase_rate": 0.02,
            "average_purchase_value": 20.0,
        },
    )
    t0 = dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    exposures = [
        exposure_record("exp-1", "v0", "c1", "c1", "r1", t0, "recommendations", ["A", "B"]),
        exposure_record("exp-1", "v1", "c2", "c2", "r2", t0, "recommendations", ["A", "C"]),
        exposure_record("exp-1", "v1", "c2", "c2", "r3", t0 + 2 * hour, "recommendations", ["C"]),
        exposure_record("other", "v1", "c3", "c3", "r4", t0, "recommendations", ["A"]),
    ]
    events = [
        event_record("c1", "A", "click", t0 + hour),
        event_record("c1", "A", "click", t0 + hour),  # the same exposure counts once
        event_record("c1", "B", "purchase", t0 + 2 * hour),
        event_record("c1", "C", "click", t0 + hour),  # C was not shown to c1
        event_record("c2", "C", "purchase", t0 + 3 * hour),  # the latest exposure showing C: r3
        event_record("c2", "A", "click", t0 + 100 * hour),  # outside the 72 h window
        event_record("c3", "A", "click", t0 + hour),  # another experiment's unit
    ]
    write_jsonl(tmp_path / "exposures.jsonl", exposures)
    write_jsonl(tmp_path / "events.jsonl", events)
    report = experiment_report(
        experiment, tmp_path / "exposures.jsonl", tmp_path / "events.jsonl", {"B": 12.5, "C": 30.0}
    )
    control, treatment = report["variants"]
    assert (control["exposures"], control["units"]) == (1, 1)
    assert (treatment["exposures"], treatment["units"]) == (2, 1)
    assert control["metrics"]["click_rate"] == 1.0
    assert control["metrics"]["purchase_rate"] == 1.0
    assert control["metrics"]["revenue_per_exposure"] == 12.5
    assert treatment["metrics"]["click_rate"] == 0.0
    assert treatment["metrics"]["purchase_rate"] == 0.5
    assert treatment["metrics"]["revenue_per_exposure"] == 15.0
    assert set(treatment["against_control"]) == {
        "click_rate",
        "add_to_cart_rate",
        "purchase_rate",
        "revenue_per_exposure",
    }
    assert report["power"]["stated"]
    text = report_text(report)
    assert "v1" in text and "always-valid p" in text and "detects" in text
    page = report_html(report)
    assert page.count("data:image/png;base64,") == 5 and "<table>" in page
    json.dumps(report)  # plain data


# ---------------------------------------------------------------- safety in every arm
def _random_model(seed: int, version: str) -> RankingModel:
    """A model with random weights: whatever it prefers, the arm must stay safe."""
    rng = np.random.default_rng(seed)
    weights = LinearWeights(
        float(rng.normal()),
        rng.normal(0, 3, len(FEATURE_NAMES)),
        rng.normal(0, 3, (len(PROFILE_NAMES), len(CROSSED_PRODUCT_NAMES))),
        0.0,
        1.0,
    )
    return RankingModel(weights, {"version": version, "feature_names": list(FEATURE_NAMES)})


@pytest.fixture(scope="module")
def arms(recommender):
    snapshot = recommender.snapshot.with_model(_random_model(1, "random-1"), LEARNING)
    droppable = tuple(r.id for r in snapshot.rules.rules if r.action in ("boost", "bury", "pin"))
    assert droppable
    experiment = _experiment(
        shares=(0.2, 0.2, 0.2, 0.2, 0.2),
        variants=(
            Variant("control", 0.2),
            Variant("rules-only", 0.2, blend=BlendWeights(0.0, 1.0, 5.0)),
            Variant("model-only", 0.2, blend=BlendWeights(1.0, 0.0, 0.0)),
            Variant("no-merchandising", 0.2, rules_off=droppable),
            Variant("other-model", 0.2, model_version="random-2"),
        ),
    )
    others = {"random-2": _random_model(2, "random-2")}
    built = {
        v.id: arm_snapshot(snapshot, experiment, v, others.__getitem__) for v in experiment.variants
    }
    # every arm really differs from the control in what it was meant to change
    # the control ranks as the snapshot in service does, labelled as the arm it is
    assert built["control"].versions == snapshot.versions
    assert built["control"].model is snapshot.model and built["control"].rules is snapshot.rules
    assert built["control"].experiment == ("exp-1", "control")
    assert built["rules-only"].model.blend.rules == 5.0
    assert built["other-model"].model.version == "random-2+exp-1.other-model"
    assert not any(r.id in droppable for r in built["no-merchandising"].rules.rules)
    assert len({s.fingerprint for s in built.values()}) == len(built)
    return built


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=requests())
def test_every_guarantee_holds_in_every_arm(arms, raw):
    request = RecommendationRequestSchema().load(raw)
    for name, snapshot in arms.items():
        answer = recommend(snapshot, request, TODAY)
        try:
            assert_safe(raw, answer)
        except AssertionError as exc:
            raise AssertionError(f"arm {name}: {exc}") from exc


def test_cli_checks_assigns_and_reports(tmp_path):
    from click.testing import CliRunner

    from service.cli import main

    runner = CliRunner()
    checked = runner.invoke(main, ["experiments", "check"])
    assert checked.exit_code == 0, checked.output
    assert "detects with 80% power" in checked.output
    experiment = load_experiments(EXPERIMENTS_FILE).experiments[0]
    assigned = runner.invoke(main, ["experiments", "assign", experiment.id, "c1", "c2"])
    assert assigned.exit_code == 0, assigned.output
    for line, unit in zip(assigned.output.splitlines(), ("c1", "c2"), strict=True):
        assert line == f"{unit}\t{assign(experiment, unit).id}"
    t0 = dt.datetime.combine(experiment.start, dt.time(9), dt.UTC)
    write_jsonl(
        tmp_path / "exposures.jsonl",
        [
            exposure_record(experiment.id, assign(experiment, u).id, u, u, u, t0, "x", ["S"])
            for u in ("c1", "c2", "c3", "c4")
        ],
    )
    write_jsonl(tmp_path / "events.jsonl", [event_record("c1", "S", "click", t0)])
    reported = runner.invoke(
        main,
        [
            "experiments",
            "report",
            experiment.id,
            "--exposures",
            str(tmp_path / "exposures.jsonl"),
            "--events",
            str(tmp_path / "events.jsonl"),
            "--html",
            str(tmp_path / "report.html"),
        ],
    )
    assert reported.exit_code == 0, reported.output
    assert "always-valid p" in reported.output
    assert (tmp_path / "report.html").read_text().startswith("<!doctype html>")
    missing = runner.invoke(main, ["experiments", "assign", "nope", "c1"])
    assert missing.exit_code == 1


# ---------------------------------------------------------------- over HTTP
ACTIVE = """\
source: "test"
experiments:
  - id: no-campaigns
    placement: recommendations
    unit: {unit}
    start: 2026-11-01
    end: 2026-12-31
    variants:
      - {{id: control, share: 0.5}}
      - {{id: without-boosts, share: 0.5, rules_off: [{rules}]}}
"""


def _app(data_copy, tmp_path, unit="customer"):
    from service.api.app import create_app
    from service.core.snapshot import load_snapshot

    boosts = [r.id for r in load_snapshot(data_copy).rules.rules if r.action == "boost"]
    (data_copy.rules / "experiments.yaml").write_text(
        ACTIVE.format(unit=unit, rules=", ".join(boosts))
    )
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": None,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
            "LEARNING_DIR": str(tmp_path / "learning"),
        }
    )
    app.extensions["dosewise"].clock = lambda: TODAY
    return app


def test_the_response_names_the_arm_and_the_exposure_is_logged(data_copy, tmp_path):
    app = _app(data_copy, tmp_path)
    client = app.test_client()
    experiment = load_experiments(data_copy.rules / "experiments.yaml").experiments[0]
    seen = {}
    for number in range(12):
        customer = f"http-{number}"
        answer = client.post(
            "/v1/recommendations",
            json={"profile": {"age": 72, "goals": ["bones"]}, "customer_id": customer},
            headers={"X-Request-ID": f"req-{number}"},
        ).get_json()
        variant = assign(experiment, customer).id
        assert answer["experiment"] == {"id": "no-campaigns", "variant": variant}
        seen[variant] = answer
    assert set(seen) == {"control", "without-boosts"}
    assert seen["without-boosts"]["versions"]["rules"].endswith("+no-campaigns.without-boosts")
    assert "+" not in seen["control"]["versions"]["rules"]
    exposures = tmp_path / "learning" / "exposures.jsonl"
    logged = [json.loads(line) for line in exposures.read_text().splitlines()]
    assert len(logged) == 12
    assert logged[0]["request_id"] == "req-0" and logged[0]["unit"] == "http-0"
    assert all(r["experiment"] == "no-campaigns" for r in logged)
    # without a unit id there is no arm: the default answer, no field, no exposure
    plain = client.post("/v1/recommendations", json={"profile": {"age": 72}}).get_json()
    assert "experiment" not in plain
    assert len(exposures.read_text().splitlines()) == 12


def test_session_experiments_use_the_session_header(data_copy, tmp_path):
    app = _app(data_copy, tmp_path, unit="session")
    client = app.test_client()
    body = {"profile": {"age": 40}}
    answer = client.post("/v1/recommendations", json=body, headers={"X-Session-ID": "s-1"})
    assert answer.get_json()["experiment"]["id"] == "no-campaigns"
    assert "experiment" not in client.post("/v1/recommendations", json=body).get_json()


def test_a_broken_experiments_file_serves_without_experiments(data_copy, tmp_path):
    app = _app(data_copy, tmp_path)
    (data_copy.rules / "experiments.yaml").write_text("source: x\nexperiments: [{id: 1}]\n")
    response = app.test_client().post(
        "/v1/recommendations", json={"profile": {"age": 40}, "customer_id": "c1"}
    )
    assert response.status_code == 200 and "experiment" not in response.get_json()
    assert "experiments.yaml:2" in app.extensions["dosewise_experiments"].error
