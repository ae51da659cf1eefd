"""Shared fixtures: the app from the factory, a client, a core Recommender, real Redis; the
markers every test gets from what it uses (see `pytest_collection_modifyitems`) and the
Hypothesis profiles."""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import redis as redis_lib
from hypothesis import settings

from service.api.app import create_app
from service.core.recommender import Recommender
from service.core.snapshot import DataPaths
from service.customers.redis_client import get_store

ROOT = Path(__file__).resolve().parents[1]
# One directory of this test process's own files, removed when it ends (each run left its
# empty model store in /tmp before session 38).
TEST_TMP = tempfile.mkdtemp(prefix="dosewise-test-")
atexit.register(shutil.rmtree, TEST_TMP, ignore_errors=True)
# Tests never see the developer's model store (.dosewise/models): without a model the service
# ranks with the transparent score, as on a fresh checkout; tests that want a model build one.
os.environ["DOSEWISE_MODEL_DIR"] = tempfile.mkdtemp(prefix="models-", dir=TEST_TMP)
# The local copies of the cached lists (service/customers/local_hits.py) off in every app a test
# makes, and in the servers it starts: while any process holds copies every PUT, DELETE and
# purchase waits 0.25 s. Their tests, the fast path's, the gunicorn and load tests and `make
# run`'s turn them on (as shipped).
os.environ["DOSEWISE_LOCAL_HITS"] = "0"
CATALOG = ROOT / "catalog" / "products.yaml"
RULES = ROOT / "rules"
# A fixed day inside the shipped winter campaign, so tests do not change with the calendar.
TODAY = dt.date(2026, 11, 28)
TEST_REDIS_DB = 15

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE; `ci` under CI=true and in `make test`, else
# `dev` (`make test-fast`). A profile changes only what a test does not set itself: most property
# tests here set `max_examples` (and `deadline`) in their own `@settings`, which win over both.
# ci: Hypothesis's 100 examples, random (not derandomized) so each run tries new inputs, no
#     example database (a fresh clone has none to replay), and the reproduce blob of a failure.
# dev: 20 examples, the local example database (a failure found once is tried first next time).
settings.register_profile("ci", max_examples=100, derandomize=False, database=None, print_blob=True)
settings.register_profile("dev", max_examples=20)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)

# ------------------------------------------------------------------------------- markers
# Module names (tests/<name>.py) whose every test gets the marker.
BROWSER_MODULES = frozenset({"test_preview_browser"})
SUBPROCESS_MODULES = frozenset(
    {
        "test_http_framing",  # gunicorn
        "test_load_quick",  # gunicorn, and Redis killed and restarted
        "test_local_hits_gunicorn",  # gunicorn with three workers on one Redis
        "test_make_run",  # the real `make run`: gunicorn, Celery worker and beat, redis-server
        "test_metrics_gunicorn",  # gunicorn
        "test_copurchase_worker",  # a Celery worker process (the co-purchase job)
        "test_precompute",  # a Celery worker process
        "test_refill_job",  # a Celery worker process (the daily refill job)
        "test_review_s4_supplies_worker",  # a Celery worker process (the refresh, R4)
        "test_slow_clients",  # nginx in front of gunicorn
    }
)
SLOW_MODULES = frozenset(
    {
        "test_schemathesis",  # generated requests for every operation
        "test_redis_stall",  # waits out a stalled Redis
        "test_refill_safety",  # property tests of reorders and buy again (minutes under load)
        "test_s16_default_model",  # builds the model `make run` builds (about a minute)
    }
)
# Fixtures: a test that uses one (directly or through another fixture) gets the marker.
REDIS_FIXTURES = frozenset({"redis_url", "load_redis_url", "own_redis", "stalled_redis", "stack"})
SLOW_FIXTURES = frozenset({"shop", "simulated_shop", "model_store"})  # simulate and train
# Single tests measured over about 1 s on a quiet machine (property tests with many examples,
# CLI runs over every rule file), by module. tests/test_markers.py checks that they exist.
SLOW_TESTS = {
    "test_advice": {"test_every_item_has_a_true_reason_and_fits_the_dose_band"},
    "test_s27_instead_properties": {"test_who_follows_the_instead_notices_keeps_every_guarantee"},
    "test_api": {"test_each_scope_boundary"},
    "test_local_hits": {  # each waits out leases and writers' waits, some through a proxy
        "test_a_message_later_than_the_lease_but_not_the_writers_wait_is_heard",
        "test_a_put_in_another_process_is_never_answered_with_the_list_before_it",
        "test_a_message_held_back_by_the_network_does_not_let_a_copy_be_used",
        "test_a_writer_waits_out_the_lease_before_it_answers",
        "test_copies_are_used_only_under_a_lease_redis_renews",
        "test_a_redis_that_refuses_writes_ends_the_copies",
        "test_a_lost_tracking_connection_drops_every_copy_until_it_is_back",
        "test_a_write_that_fails_midway_still_waits_before_its_503",
    },
    "test_cli_errors": {
        "test_rules_diff_of_a_campaign_outside_the_date_hints_at_date",
        "test_rules_diff_with_the_top_rules_folder_compares_its_merchandising_rules",
    },
    "test_customer_ids": {"test_fast_path_and_flask_give_the_same_bytes_for_any_id_and_query"},
    "test_data_files": {"test_admin_reload_without_a_body_reloads"},
    "test_learning": {"test_what_serves_beats_the_baselines_on_a_shop_it_was_not_tuned_to"},
    "test_experiments": {"test_every_guarantee_holds_in_every_arm"},
    "test_experiments_serving": {
        "test_safety_violations_stay_zero_in_every_arm_whatever_the_variant_changes",
        "test_customer_get_serves_each_arm_its_own_precomputed_list",
        "test_a_list_cached_before_the_experiment_is_not_served_in_an_arm",
        "test_an_erased_customer_leaves_the_exposures_file_too",
    },
    "test_lint_findings": {
        "test_the_lint_endpoint_reports_the_files_on_disk_not_a_cached_older_result"
    },
    "test_market_law": {
        "test_with_advisory_maxima_on_every_guarantee_holds",
        "test_regimens_keep_market_law_and_pregnancy_cap",
        "test_unauthorised_form_is_masked_even_when_the_catalog_says_sellable",
    },
    "test_merchandising": {
        "test_lint_cli_prints_warnings_exit_0_strict_exit_1_json_parseable",
        "test_diff_cli_two_folders_with_html",
        "test_diff_html_report_has_an_svg_chart_with_bars",
        "test_lint_pin_conflict_and_shadowed_name_the_other_rule",
        "test_lint_unknown_sku_is_an_error_exit_1_with_did_you_mean",
        "test_lint_campaign_over_depends_on_the_date",
        "test_diff_exclude_flagship_changes_lists_and_removes_all_its_exposure",
    },
    "test_placement_safety": {
        "test_every_placement_keeps_every_guarantee",
        "test_alternatives_with_a_profile_keep_every_guarantee",
        "test_copurchase_never_brings_back_an_excluded_product",
        "test_http_placements_keep_every_guarantee",
        "test_hostile_rules_cannot_break_guarantees_in_any_placement",
    },
    "test_regimen": {
        "test_the_solver_finds_the_brute_force_optimum_on_small_catalogs",
        "test_no_regimen_crosses_a_limit_or_breaks_a_guarantee",
    },
    "test_review_s4_safety": {
        "test_property_no_list_item_adds_what_its_notices_say_no_more_of",
        "test_property_a_cart_never_offers_a_second_source_and_no_placement_contradicts",
    },
    "test_safety_properties": {
        "test_recommendations_keep_every_guarantee",
        "test_recommendations_keep_every_guarantee_on_any_day",
        "test_hostile_rules_fixed_profiles",
        "test_hostile_rules_cannot_break_guarantees",
        "test_http_recommendations_keep_every_guarantee",
        "test_intake_check_totals_and_status",
        "test_http_intake_check_totals_and_status",
    },
}
# `--fast` (make test-fast) leaves these out, and does not even import the modules that hold
# nothing else.
FAST = "not slow and not browser and not subprocess"
WHOLE_MODULES_LEFT_OUT = BROWSER_MODULES | SUBPROCESS_MODULES | SLOW_MODULES


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast",
        action="store_true",
        help=f"the daily loop (make test-fast): only the tests that are {FAST!r}",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("fast"):
        given = config.option.markexpr
        config.option.markexpr = f"({given}) and {FAST}" if given else FAST


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.getoption("fast") and collection_path.stem in WHOLE_MODULES_LEFT_OUT:
        return True
    return None  # pytest and other hooks decide


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test by what it uses, so that no test module has to (pyproject lists them).

    - `redis`: uses a fixture in REDIS_FIXTURES (the Redis of tests/with_redis.py, or a
      redis-server of the test's own). A new fixture that reaches Redis joins that set.
    - `subprocess`: is in a module of SUBPROCESS_MODULES, which start gunicorn, a Celery
      worker, nginx or `make run` as processes. A new module that does joins that set.
    - `browser`: is in a module of BROWSER_MODULES (Chromium through Playwright).
    - `slow`: is in SLOW_MODULES, uses a fixture of SLOW_FIXTURES (simulate and train a
      model), or is named in SLOW_TESTS; the rule is over about 1 s on a quiet machine,
      measured with `make test PYTEST_ARGS=--durations=30`.
    `make test-fast` (`pytest --fast`) leaves out slow, browser and subprocess; `make test`
    runs everything. tests/test_markers.py checks that every name in these tables exists.
    """
    for item in items:
        module = getattr(item, "module", None)
        name = module.__name__.rsplit(".", 1)[-1] if module else ""
        function = getattr(item, "originalname", item.name)
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & REDIS_FIXTURES:
            item.add_marker(pytest.mark.redis)
        if name in SUBPROCESS_MODULES:
            item.add_marker(pytest.mark.subprocess)
        if name in BROWSER_MODULES:
            item.add_marker(pytest.mark.browser)
        if name in SLOW_MODULES or fixtures & SLOW_FIXTURES or function in SLOW_TESTS.get(name, ()):
            item.add_marker(pytest.mark.slow)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    """Poll until `predicate()` is truthy and return its value; fail after `timeout` seconds.
    For what another process (a Celery worker, a Redis server) does in its own time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture(scope="session")
def recommender() -> Recommender:
    """The core object on the shipped data, no cache, no file watch."""
    return Recommender(
        DataPaths(CATALOG, RULES), cache_size=0, reload_interval=0, clock=lambda: TODAY
    )


def served_by(model_dir: Path) -> Recommender:
    """The bundled data ranked by the model promoted in `model_dir` (its store), on TODAY."""
    from service.learning.holder import ModelHolder
    from service.learning.serving import LEARNING

    return Recommender(
        DataPaths(CATALOG, RULES),
        cache_size=0,
        reload_interval=0,
        clock=lambda: TODAY,
        models=ModelHolder(model_dir, check_interval=0),
        learning=LEARNING,
    )


def redis_app(redis_url: str, **config):
    """The app on the shipped data with the Redis store at `redis_url` (no access log, no
    local copies of the cached lists), its settings overridden by `config`."""
    settings = {
        "TESTING": True,
        "RELOAD_INTERVAL": 0,
        "REDIS_URL": redis_url,
        "ACCESS_LOG": False,
        # the local copies of the cached lists (service/customers/local_hits.py) off: while
        # any process holds them every PUT, DELETE and purchase waits 0.25 s. The tests of the
        # copies and of the fast path turn them on (LOCAL_HITS); gunicorn has them as shipped
        "LOCAL_HITS": 0,
        # a hit answered from the process's memory writes its impression when the response
        # closes, as one read from Redis does (tests read the stream right after)
        "IMPRESSION_FLUSH_SECONDS": 0,
    }
    return create_app({**settings, **config})


def dated_client(redis_url: str, today: dt.date):
    """A test client of `redis_app` on a flushed database, its clock on `today` (the refill
    plans and the winter advice read the day)."""
    app = redis_app(redis_url)
    get_store(app).client.flushdb()
    app.extensions["dosewise"].clock = lambda: today
    return app.test_client()


@pytest.fixture()
def served(redis_url):
    """The app on a real Redis (`redis_app`) and its store, the database flushed: (app, store).
    A test module may define its own `served` (stored customers, a config)."""
    app = redis_app(redis_url)
    store = get_store(app)
    store.client.flushdb()
    return app, store


def memory_app(today: dt.date = TODAY, data: DataPaths | None = None):
    """The app on the shipped data (or `data`, a copy a test changed) with the in-memory store
    (no Redis), its clock on `today`."""
    paths = (
        {} if data is None else {"CATALOG_PATH": str(data.catalog), "RULES_DIR": str(data.rules)}
    )
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None, **paths})
    app.extensions["dosewise"].clock = lambda: today
    return app


def store_customer(client, customer_id: str, profile: dict, purchases) -> None:
    """Store `profile` under `customer_id` with its purchases through the API: (SKU, day) pairs
    or a dict SKU -> day (YYYY-MM-DD), each bought at 10:00 UTC on that day."""
    assert client.put(f"/v1/customers/{customer_id}", json=profile).status_code == 200
    pairs = purchases.items() if isinstance(purchases, dict) else purchases
    events = [
        {
            "customer_id": customer_id,
            "sku": sku,
            "type": "purchase",
            "timestamp": f"{day}T10:00:00+00:00",
        }
        for sku, day in pairs
    ]
    assert client.post("/v1/events", json={"events": events}).status_code == 202


def buy_again_lists(client, customer_id: str) -> list[list[dict]]:
    """A stored customer's buy-again items, as `GET .../buy-again` and as the `account`
    placement (limit 5) list them, in English."""
    paths = ["buy-again?locale=en", "recommendations?placement=account&locale=en&limit=5"]
    return [client.get(f"/v1/customers/{customer_id}/{p}").get_json()["items"] for p in paths]


def recommend(client, body: dict, locale: str = "en") -> dict:
    """POST /v1/recommendations with `body` in `locale`; the answer (asserting a 200)."""
    response = client.post("/v1/recommendations", json={"locale": locale, **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def notice_texts(answer: dict) -> dict[str, str]:
    """An answer's notices: code -> text."""
    return {n["code"]: n["text"] for n in answer["notices"]}


@pytest.fixture(scope="session")
def app():
    return memory_app()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def data_copy(tmp_path: Path) -> DataPaths:
    """A private copy of catalog and rules that a test may break."""
    catalog = tmp_path / "catalog" / "products.yaml"
    catalog.parent.mkdir()
    shutil.copy(CATALOG, catalog)
    shutil.copytree(RULES, tmp_path / "rules")
    return DataPaths(catalog, tmp_path / "rules")


@pytest.fixture()
def redis_url() -> str:
    """A real Redis (REDIS_URL, set by tests/with_redis.py), on its own database, flushed."""
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.fail("REDIS_URL is not set: run the suite with `make test`")
    url = base.rsplit("/", 1)[0] + f"/{TEST_REDIS_DB}" if base.count("/") >= 3 else base
    client = redis_lib.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()
