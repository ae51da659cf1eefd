"""The `dosewise` command line: check data, recommend, check intake, make synthetic catalogs."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

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
        for finding in exc.findings:
            click.echo(str(finding), err=True)
        click.echo(f"refused: {len(exc.findings)} finding(s)", err=True)
        sys.exit(1)
    click.echo(
        f"ok: {len(snapshot.catalog)} products, {len(snapshot.rules.rules)} rules, "
        f"versions {snapshot.versions}"
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
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Evaluate as on this date (campaign windows, season).",
)
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


if __name__ == "__main__":
    main()
