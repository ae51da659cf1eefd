"""The `dosewise` command line: check data, recommend, check intake, make synthetic catalogs."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

import click
import yaml
from marshmallow import ValidationError

from .api.schemas import IntakeCheckRequestSchema, RecommendationRequestSchema, flatten_messages
from .core.errors import DataFileError, DosewiseError
from .core.recommender import Recommender
from .core.snapshot import DataPaths, load_snapshot
from .settings import defaults

_DEFAULTS = defaults()


def _paths(catalog: str, rules: str) -> DataPaths:
    return DataPaths(Path(catalog), Path(rules))


data_options = [
    click.option(
        "--catalog",
        default=_DEFAULTS["CATALOG_PATH"],
        show_default=True,
        envvar="DOSEWISE_CATALOG_PATH",
        help="Catalog YAML file.",
    ),
    click.option(
        "--rules",
        default=_DEFAULTS["RULES_DIR"],
        show_default=True,
        envvar="DOSEWISE_RULES_DIR",
        help="Rules folder (with reference/ and merchandising/).",
    ),
]


def refuse(exc: DataFileError) -> NoReturn:
    """Print every finding as file:line:col: code: message and exit 1."""
    for finding in exc.findings:
        click.echo(str(finding), err=True)
    click.echo(f"refused: {len(exc.findings)} finding(s)", err=True)
    sys.exit(1)


def date_option(help_text: str):
    """`--date YYYY-MM-DD` as `day`: evaluate campaign windows and the season on that day."""
    return click.option(
        "--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help=help_text
    )


def with_data(func):
    for option in reversed(data_options):
        func = option(func)
    return func


@click.group()
def main() -> None:
    """dosewise: safe, explained supplement recommendations.

    Exit codes: 0 success, 1 data files refused or request invalid, 2 usage error.
    """


@main.group()
def rules() -> None:
    """Check the rule, reference and catalog files."""


@rules.command("check")
@with_data
def rules_check(catalog: str, rules: str) -> None:
    """Load catalog, reference data and merchandising rules exactly as the service does.

    Prints each finding as file:line:col: code: message and exits 1 when any file is refused.
    """
    try:
        snapshot = load_snapshot(_paths(catalog, rules))
    except DataFileError as exc:
        refuse(exc)
    click.echo(
        f"ok: {len(snapshot.catalog)} products, {len(snapshot.rules.rules)} rules, "
        f"versions {snapshot.versions}"
    )


@rules.command("lint")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@with_data
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@date_option("Judge campaign dates as on this day (default: today).")
def rules_lint(
    path: Path | None, catalog: str, rules: str, strict: bool, fmt: str, day: dt.datetime | None
) -> None:
    """Check rule files: PATH is a rule file or folder (default: the merchandising folder).

    Prints each finding as file:line:col: [warning:] code: message [rule id] (hint: ...).
    Errors are what the service would refuse (syntax, unknown keys, SKUs, categories or
    profile fields, conditions that do not give true/false, missing locales, bad dates,
    disease claims); warnings are what loads but is probably wrong (a rule that never
    matches, one another rule shadows, two pins on one position, a campaign already over,
    health-claim wording that is not authorised).

    Exit codes: 0 no errors (warnings allowed unless --strict), 1 findings that fail, 2 usage.
    """
    from .core.lint import lint

    result = lint(_paths(catalog, rules), path, day.date() if day else None)
    if fmt == "json":
        click.echo(json.dumps([f.to_dict() for f in result.findings], indent=2))
    else:
        for finding in result.findings:
            click.echo(str(finding))
        click.echo(f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)", err=True)
    if result.errors or (strict and result.warnings):
        sys.exit(1)


@rules.command("test")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@with_data
@date_option("Date for cases that give none (default: today).")
def rules_test(path: Path | None, catalog: str, rules: str, day: dt.datetime | None) -> None:
    """Run merchandisers' test cases (default: every file in rules/tests/).

    A case gives a profile (and optionally basket, date, locale, limit) and expects SKUs in
    or out of the list, one first or at a position, categories, rule reasons shown, notices,
    or an empty list. See rules/tests/shipped_rules.yaml. Exit code 1 when a case fails.
    """
    from .core.rule_tests import rule_test_files, run_rule_tests

    paths = _paths(catalog, rules)
    try:
        snapshot = load_snapshot(paths)
        files = rule_test_files(path or paths.rules / "tests")
        results = run_rule_tests(snapshot, files, day.date() if day else dt.date.today())
    except DataFileError as exc:
        refuse(exc)
    for result in results:
        mark = "PASS" if result.passed else "FAIL"
        click.echo(f"{mark} {result.file}:{result.line} {result.name}")
        for failure in result.failures:
            click.echo(f"     {failure}")
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        sys.exit(1)


@rules.command("diff")
@click.argument("old")
@click.argument("new", required=False)
@with_data
@click.option(
    "--profiles",
    "count",
    type=click.IntRange(1, 100_000),
    default=2000,
    show_default=True,
    help="Size of the bundled seeded sample of profiles.",
)
@click.option(
    "--customers",
    is_flag=True,
    help="Use the stored customers (REDIS_URL) instead of the bundled sample.",
)
@click.option("--top", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write an HTML report with a chart here.",
)
@date_option("Rank as on this day (campaign windows, season; default: today).")
def rules_diff(
    old: str,
    new: str | None,
    catalog: str,
    rules: str,
    count: int,
    customers: bool,
    top: int,
    html_out: str | None,
    day: dt.datetime | None,
) -> None:
    """Impact of a rule change: OLD and NEW are rule folders, or git:REV for the merchandising
    folder at a git revision (NEW defaults to the working tree). Prints how many top lists
    change, which products gain or lose exposure and which segments move most."""
    import tempfile

    from .core.rule_diff import diff_rule_sets, render_html, render_text
    from .core.samples import sample_profiles

    paths = _paths(catalog, rules)
    with tempfile.TemporaryDirectory() as tmp:
        old_dir = _rule_folder(old, paths, Path(tmp) / "old")
        new_dir = _rule_folder(new, paths, Path(tmp) / "new") if new else paths.merchandising_dir
        if customers:
            profiles = _stored_profiles(count)
        else:
            from .core.catalog import load_catalog
            from .core.reference import load_reference

            skus = [
                p.sku
                for p in load_catalog(paths.catalog, load_reference(paths.reference_dir)).products
            ]
            profiles = sample_profiles(count, skus)
        try:
            result = diff_rule_sets(
                paths, old_dir, new_dir, profiles, day.date() if day else dt.date.today(), top
            )
        except DataFileError as exc:
            refuse(exc)
    click.echo(render_text(result))
    if html_out:
        Path(html_out).write_text(render_html(result), encoding="utf-8")
        click.echo(f"HTML report: {html_out}")


def _rule_folder(spec: str, paths: DataPaths, into: Path) -> Path:
    """A rule folder, or `git:REV`: the merchandising folder at that revision, exported."""
    import subprocess

    if not spec.startswith("git:"):
        return Path(spec)
    revision = spec[4:]
    top = subprocess.run(
        ["git", "-C", str(paths.rules), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    folder = paths.merchandising_dir.resolve().relative_to(Path(top).resolve())
    names = subprocess.run(
        ["git", "-C", top, "ls-tree", "--name-only", f"{revision}:{folder}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    into.mkdir(parents=True)
    for name in names:
        if name.endswith(".yaml"):
            blob = subprocess.run(
                ["git", "-C", top, "show", f"{revision}:{folder}/{name}"],
                capture_output=True,
                check=True,
            ).stdout
            (into / name).write_bytes(blob)
    return into


def _stored_profiles(count: int) -> list[dict]:
    from .api.app import create_app
    from .api.redis_client import get_store

    store = get_store(create_app())
    profiles: list[dict] = []
    for ids in store.iter_id_chunks(1000):
        entries, _ = store.read_many(ids)
        profiles.extend(e["profile"] for e in entries if e)
        if len(profiles) >= count:
            break
    return profiles[:count]


@main.command()
@with_data
@click.option(
    "--profile",
    "profile_path",
    required=True,
    help="JSON or YAML file with a profile or a whole request body; '-' for stdin.",
)
@click.option("--sku", required=True, help="The product to explain.")
@click.option("--locale", type=click.Choice(["nl", "de", "en"]), default=None)
@date_option("Explain as on this day (campaign windows, season; default: today).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def explain(
    catalog: str,
    rules: str,
    profile_path: str,
    sku: str,
    locale: str | None,
    day: dt.datetime | None,
    fmt: str,
) -> None:
    """Why SKU is or is not recommended for a profile: each safety exclusion with its numbers
    (e.g. "vitamin_d_ug would reach 125 of 100"), each rule with its effect, the score."""
    from .core.explain import explain_product
    from .core.requests import RecommendationRequest

    body = _load_request(profile_path, RecommendationRequestSchema())
    if locale:
        body["locale"] = locale
    snapshot = load_snapshot(_paths(catalog, rules))
    try:
        answer = explain_product(
            snapshot,
            RecommendationRequest.from_dict(body),
            sku,
            day.date() if day else dt.date.today(),
        )
    except DosewiseError as exc:
        click.echo(json.dumps(exc.to_dict(), ensure_ascii=False, indent=2), err=True)
        sys.exit(1)
    if fmt == "json":
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    click.echo(f"{answer['sku']} ({answer['name']}): {answer['verdict']}")
    for exclusion in answer["safety_exclusions"]:
        click.echo(f"  safety  {exclusion['code']}: {exclusion['text']}")
    for rule in answer["rules"]:
        click.echo(
            f"  rule    {rule['rule']} ({rule['action']} {rule['effect']}): "
            f"{rule['status']}  [{rule['file']}:{rule['line']}]"
        )
    score = answer["score"]
    parts = ", ".join(f"{k} {v:+.3f}" for k, v in score["contributions"].items())
    click.echo(
        f"  score   raw {score['raw_score']:+.3f} = {parts}, rules "
        f"{sum(score['rule_weights'].values()):+.3f}"
    )


def _load_request(path: str, schema) -> dict:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if isinstance(data, dict) and "profile" not in data:
        data = {"profile": data}  # a bare profile file
    try:
        return schema.load(data)
    except ValidationError as exc:
        for field, messages in flatten_messages(exc.messages).items():
            click.echo(f"{field}: {'; '.join(messages)}", err=True)
        sys.exit(1)


@main.command()
@with_data
@click.option(
    "--profile",
    "profile_path",
    required=True,
    help="JSON or YAML file with a profile, or a whole request body; '-' for stdin.",
)
@click.option("--limit", type=click.IntRange(1, 50), default=None)
@click.option("--locale", type=click.Choice(["nl", "de", "en"]), default=None)
@click.option("--explain/--no-explain", default=False, help="Show features behind each score.")
@date_option("Evaluate as on this date (campaign windows, season).")
def recommend(
    catalog: str,
    rules: str,
    profile_path: str,
    limit: int | None,
    locale: str | None,
    explain: bool,
    day: dt.datetime | None,
) -> None:
    """Print the recommendations for a profile as JSON (same body as the HTTP API)."""
    body = _load_request(profile_path, RecommendationRequestSchema())
    if limit:
        body["limit"] = limit
    if locale:
        body["locale"] = locale
    body["explain"] = explain or body.get("explain", False)
    recommender = Recommender(_paths(catalog, rules), reload_interval=0)
    try:
        answer = recommender.recommend(body, day.date() if day else None)
    except DosewiseError as exc:
        click.echo(json.dumps(exc.to_dict(), ensure_ascii=False, indent=2), err=True)
        sys.exit(1)
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))


@main.command("check-intake")
@with_data
@click.option(
    "--profile",
    "profile_path",
    required=True,
    help="JSON or YAML file with a profile or an intake-check body; '-' for stdin.",
)
def check_intake(catalog: str, rules: str, profile_path: str) -> None:
    """Print totals against upper limits, violations and warnings as JSON."""
    body = _load_request(profile_path, IntakeCheckRequestSchema())
    recommender = Recommender(_paths(catalog, rules), reload_interval=0)
    try:
        answer = recommender.check_intake(body)
    except DosewiseError as exc:
        click.echo(json.dumps(exc.to_dict(), ensure_ascii=False, indent=2), err=True)
        sys.exit(1)
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))


@main.command()
@click.option("--all", "all_customers", is_flag=True, help="Refresh every stored customer.")
@click.option("--customer", "customer_id", default=None, help="Refresh one customer now.")
@click.option("--force", is_flag=True, help="Recompute lists that are still fresh too.")
@click.option("--status", "show_status", is_flag=True, help="Show the latest run and exit.")
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Follow the run with a progress bar until it finishes.",
)
def refresh(
    all_customers: bool, customer_id: str | None, force: bool, show_status: bool, wait: bool
) -> None:
    """Refresh precomputed recommendations in Redis (REDIS_URL) through the Celery workers.

    With --all the run takes a lock: a second run while one is going shows the running one
    instead of doubling the work. Without a broker the work runs here, in this process.
    Progress (done, rate, ETA) is also at GET /v1/admin/refresh.
    """
    from tqdm import tqdm

    from workers.tasks import refresh_customer, start_refresh

    from .api.app import create_app
    from .api.redis_client import get_store
    from .customers.refresh import progress

    app = create_app()
    store = get_store(app)
    if show_status:
        click.echo(json.dumps(progress(store.run_state()), indent=2))
        return
    if customer_id:
        with app.app_context():
            click.echo(json.dumps(refresh_customer.run(customer_id)))
        return
    if not all_customers:
        raise click.UsageError("say --all, --customer ID or --status")
    with app.app_context():
        run = start_refresh(app, "cli", force)
    click.echo(f"run {run['run_id']} ({'started' if run['started'] else 'already running'})")
    if not wait:
        return
    state = progress(store.run_state(run["run_id"])) or {}
    with tqdm(total=state.get("total", 0), unit="customer", dynamic_ncols=True) as bar:
        while True:
            state = progress(store.run_state(run["run_id"])) or {}
            bar.total = state.get("total", bar.total)
            bar.update(state.get("done", 0) - bar.n)
            bar.set_postfix(computed=state.get("computed", 0), skipped=state.get("skipped", 0))
            if state.get("status") == "finished":
                break
            time.sleep(0.5)
    click.echo(
        f"finished: {state.get('done')} customers, {state.get('computed')} distinct "
        f"profiles computed, {state.get('rate_per_s')} customers/s"
    )


@main.group("model")
def model_group() -> None:
    """The learned ranking model: train, evaluate, build the default one, status."""


def _model_dir() -> Path:
    return Path(
        _DEFAULTS["MODEL_DIR"]
        if "DOSEWISE_MODEL_DIR" not in os.environ
        else os.environ["DOSEWISE_MODEL_DIR"]
    )


def _learning_dir() -> Path:
    return Path(os.environ.get("DOSEWISE_LEARNING_DIR", _DEFAULTS["LEARNING_DIR"]))


@model_group.command("status")
def model_status() -> None:
    """Which model serves (the `current` pointer of the model store) and its metrics."""
    from .learning.store import current_path

    path = current_path(_model_dir())
    if path is None:
        click.echo(f"no model in {_model_dir()}: the service ranks with the transparent score")
        return
    meta = json.loads((path / "metadata.json").read_text())
    click.echo(
        json.dumps(
            {"version": meta.get("version"), "path": str(path), "metrics": meta.get("metrics")},
            indent=2,
        )
    )


@model_group.command("train")
@click.option(
    "--impressions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Impressions JSON lines (default: the exported log).",
)
@click.option(
    "--events",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Events JSON lines (default: the exported log).",
)
@click.option(
    "--min-gain",
    type=float,
    default=0.0,
    show_default=True,
    help="Promote only when NDCG@10 on the holdout beats the current model by this.",
)
@with_data
def model_train(
    impressions: Path | None, events: Path | None, min_gain: float, catalog: str, rules: str
) -> None:
    """Fit a model on impressions x events (labels: view 0, click 1, add_to_cart 2,
    purchase 4), evaluate it on a time-based holdout and promote it only when it beats the
    model serving now (or, with none, the rules-only score). Serving picks a promoted model
    up without a restart."""
    from .learning.exports import EVENTS_FILE, IMPRESSIONS_FILE
    from .learning.jobs import train_and_promote

    impressions = impressions or _learning_dir() / IMPRESSIONS_FILE
    events = events or _learning_dir() / EVENTS_FILE
    snapshot = load_snapshot(_paths(catalog, rules))
    try:
        run = train_and_promote(
            impressions,
            events,
            _model_dir(),
            catalog_version=snapshot.catalog.version,
            min_gain=min_gain,
        )
    except DosewiseError as exc:
        click.echo(f"training refused: {exc.message}", err=True)
        sys.exit(1)
    promotion = run.promotion
    click.echo(
        f"trained {promotion.version} in {run.result.seconds:.1f} s: {promotion.metric} "
        f"{promotion.candidate:.4f} vs {promotion.current:.4f} -> "
        f"{'promoted' if promotion.promoted else 'not promoted'} ({promotion.reason})"
    )


@model_group.command("evaluate")
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Model folder (default: the current one).",
)
@click.option(
    "--impressions", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None
)
@click.option(
    "--events", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write report.json and metrics.png.",
)
def model_evaluate(
    model_path: Path | None, impressions: Path | None, events: Path | None, out: Path | None
) -> None:
    """NDCG@5, NDCG@10, recall@10 and AUC on a time-based holdout, against popularity and the
    rules-only score; writes a report and a PNG plot."""
    from .learning.evaluate import evaluate as run_evaluation
    from .learning.exports import EVENTS_FILE, IMPRESSIONS_FILE
    from .learning.store import current_path

    model_path = model_path or current_path(_model_dir())
    if model_path is None:
        click.echo("no model to evaluate; train one first", err=True)
        sys.exit(1)
    out = out or _learning_dir() / "report"
    try:
        report = run_evaluation(
            model_path,
            impressions or _learning_dir() / IMPRESSIONS_FILE,
            events or _learning_dir() / EVENTS_FILE,
            out,
        )
    except DosewiseError as exc:
        click.echo(f"evaluation refused: {exc.message}", err=True)
        sys.exit(1)
    click.echo(json.dumps(report.get("metrics", report), indent=2))
    click.echo(f"report and plot in {out}")


@model_group.command("build-default")
@click.option("--force", is_flag=True, help="Build even when a model already serves.")
@click.option("--customers", type=click.IntRange(100, 1_000_000), default=12_000, show_default=True)
@click.option("--days", type=click.IntRange(7, 730), default=90, show_default=True)
@with_data
def model_build_default(force: bool, customers: int, days: int, catalog: str, rules: str) -> None:
    """The model `make run` ships: simulate the shop (`dosewise simulate`), train on it and
    promote. Does nothing when a model already serves, unless --force."""
    from .learning.jobs import build_default_model
    from .learning.store import current_version

    if current_version(_model_dir()) and not force:
        click.echo(f"model {current_version(_model_dir())} serves; nothing to build")
        return
    snapshot = load_snapshot(_paths(catalog, rules))
    work = _learning_dir() / "simulated"
    click.echo(
        f"simulating {customers} customers over {days} days and training "
        "(about a minute on 2 cores)..."
    )
    log, run = build_default_model(snapshot, _model_dir(), work, customers=customers, days=days)
    click.echo(
        f"simulated {log.impressions} lists, {sum(log.events.values())} events; model "
        f"{run.promotion.version}: {run.promotion.reason}"
    )


@main.command()
@click.option("--customers", type=click.IntRange(1, 10_000_000), default=2000, show_default=True)
@click.option("--days", type=click.IntRange(1, 3650), default=60, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option(
    "--shop",
    type=click.Choice(["shipped", "second"]),
    default="shipped",
    show_default=True,
    help="Which hidden preferences: the shipped shop's, or the second shop's (other tastes).",
)
@with_data
def simulate(
    customers: int, days: int, seed: int, out: Path, shop: str, catalog: str, rules: str
) -> None:
    """Write a realistic event log (impressions.jsonl, events.jsonl) from synthetic customers
    with documented hidden preferences (see service/learning/simulator.py): older customers
    buy D3+K2, vegans respond to lichen D3, price sensitivity varies by age, and more."""
    from .learning.simulator import SHOPS
    from .learning.simulator import simulate as run_simulation

    snapshot = load_snapshot(_paths(catalog, rules))
    log = run_simulation(
        snapshot, out, customers=customers, days=days, seed=seed, preferences=SHOPS[shop]
    )
    click.echo(f"{log.impressions} lists shown, events {log.events} -> {out}")


@main.group("events")
def events_group() -> None:
    """Shop events and served-list impressions."""


@events_group.command("export")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for events.jsonl and impressions.jsonl (default: the learning dir).",
)
def events_export(out: Path | None) -> None:
    """Move events and impressions from Redis (REDIS_URL) to JSON lines files and trim the
    streams: the training dataset of `dosewise model train`."""
    from .api.app import create_app
    from .api.redis_client import get_store
    from .learning.exports import export_streams

    counts = export_streams(get_store(create_app()), out or _learning_dir())
    click.echo(f"exported {counts} to {out or _learning_dir()}")


@main.group("catalog")
def catalog_group() -> None:
    """Catalog tools."""


@catalog_group.command("generate")
@click.option(
    "--skus",
    type=click.IntRange(1, 1_000_000),
    required=True,
    help="Number of products to generate.",
)
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--seed", type=int, default=7, show_default=True)
@with_data
def catalog_generate(skus: int, out: str, seed: int, catalog: str, rules: str) -> None:
    """Write a synthetic catalog of SKUS products, varied from the bundled one (for benchmarks)."""
    from .core.synthetic import write_synthetic_catalog

    write_synthetic_catalog(Path(catalog), Path(out), skus, seed)
    click.echo(f"wrote {skus} products to {out}")


# ------------------------------------------------------------------ experiments (issue 12)
@main.group("experiments")
def experiments_group() -> None:
    """A/B tests: the experiments file (rules/experiments.yaml), assignment, power, reports."""


def _experiments(rules: str, catalog: str):
    from .experiments.spec import load_experiments

    snapshot = load_snapshot(_paths(catalog, rules))
    try:
        found = load_experiments(Path(rules) / "experiments.yaml", snapshot.rules.rules)
    except DataFileError as exc:
        refuse(exc)
    return snapshot, found


@experiments_group.command("check")
@with_data
def experiments_check(catalog: str, rules: str) -> None:
    """Check the experiments file against the loaded rules; print each experiment and what
    its traffic can detect (exit 1 with file:line: reason when refused)."""
    from .experiments.report import power_statement

    _, found = _experiments(rules, catalog)
    for experiment in found.experiments:
        power = power_statement(experiment)
        arms = ", ".join(f"{v.id} {v.share:.0%}" for v in experiment.variants)
        click.echo(
            f"{experiment.id}: {experiment.placement}, by {experiment.unit}, "
            f"{experiment.start} .. {experiment.end}, traffic {experiment.traffic:.0%}: {arms}"
        )
        if power.get("stated"):
            click.echo(
                "  detects with 80% power (relative uplift): "
                + ", ".join(
                    f"{m} {v:.1%}" for m, v in power["detectable_relative_uplift"].items() if v
                )
            )
        else:
            click.echo(f"  power not stated: {power['reason']}")
    click.echo(f"ok: {len(found.experiments)} experiment(s)")


@experiments_group.command("assign")
@click.argument("experiment_id")
@click.argument("unit_ids", nargs=-1, required=True)
@with_data
def experiments_assign(experiment_id: str, unit_ids: tuple[str, ...], catalog: str, rules: str):
    """Print the variant each customer or session id gets (deterministic; `-` = outside the
    experiment's traffic)."""
    from .experiments.assign import assign

    _, found = _experiments(rules, catalog)
    try:
        experiment = found.get(experiment_id)
    except KeyError:
        click.echo(f"no experiment {experiment_id!r} in {rules}/experiments.yaml", err=True)
        sys.exit(1)
    for unit in unit_ids:
        variant = assign(experiment, unit)
        click.echo(f"{unit}\t{variant.id if variant else '-'}")


@experiments_group.command("report")
@click.argument("experiment_id")
@click.option(
    "--exposures",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Exposure log (JSON lines, one per served list in the experiment).",
)
@click.option(
    "--events",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Shop events (JSON lines, as exported by `dosewise events export`).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a self-contained HTML report with plots here.",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_data
def experiments_report(
    experiment_id: str,
    exposures: Path,
    events: Path,
    html_path: Path | None,
    json_path: Path | None,
    catalog: str,
    rules: str,
) -> None:
    """Per variant: exposures, click, add-to-cart and purchase rates, revenue per exposure;
    against the control, always-valid confidence intervals and p-values (mSPRT); and what the
    planned traffic can detect."""
    from .experiments.report import experiment_report, report_html, report_text

    snapshot, found = _experiments(rules, catalog)
    try:
        experiment = found.get(experiment_id)
    except KeyError:
        click.echo(f"no experiment {experiment_id!r} in {rules}/experiments.yaml", err=True)
        sys.exit(1)
    prices = {p.sku: p.price for p in snapshot.catalog.products}
    try:
        report = experiment_report(experiment, exposures, events, prices)
    except (ValueError, KeyError) as exc:
        click.echo(f"report refused: {exc}", err=True)
        sys.exit(1)
    click.echo(report_text(report))
    if html_path:
        html_path.write_text(report_html(report), encoding="utf-8")
        click.echo(f"html: {html_path}")
    if json_path:
        json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
