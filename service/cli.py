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
from .cli_refills import register as register_refill_commands
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


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr saying what is wrong and what to do, then exit `code`."""
    click.echo(f"dosewise: {message}", err=True)
    sys.exit(code)


def _recommender(catalog: str, rules: str) -> Recommender:
    """The core as the service builds it: same data files and the same model store, so the
    command line ranks exactly as the running service does."""
    try:
        return Recommender(_paths(catalog, rules), reload_interval=0, model_dir=_model_dir())
    except DataFileError as exc:
        refuse(exc)


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
    from .core.market import catalog_findings
    from .core.reference import _display

    click.echo(
        f"ok: {len(snapshot.catalog)} products, {len(snapshot.rules.rules)} rules, "
        f"versions {snapshot.versions}"
    )
    # catalog products the law keeps off a market or off every market: warnings, exit 0
    for finding in catalog_findings(
        snapshot.catalog, snapshot.reference.market_maxima, _display(Path(catalog))
    ):
        click.echo(str(finding))


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

    Also names catalog products the law keeps off a market (above-market-maximum) or off
    every market (not-sellable: unauthorised form); --strict does not fail on those two.

    Exit codes: 0 no errors (warnings allowed unless --strict), 1 findings that fail, 2 usage.
    """
    from .core.lint import lint

    result = lint(_paths(catalog, rules), path, day.date() if day else None)
    if fmt == "json":
        click.echo(json.dumps([f.to_dict() for f in result.findings], indent=2))
    else:
        for finding in result.findings:
            click.echo(str(finding))
        kept_off = len(result.warnings) - len(result.strict_failures) + len(result.errors)
        counts = f"{len(result.errors)} error(s), {len(result.warnings) - kept_off} warning(s)"
        if kept_off:
            counts += f" (+{kept_off} on catalog products the law keeps off a market)"
        click.echo(counts, err=True)
    if result.errors or (strict and result.strict_failures):
        sys.exit(1)


@rules.command("test")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@with_data
@date_option("Date for cases that give none (default: today).")
def rules_test(path: Path | None, catalog: str, rules: str, day: dt.datetime | None) -> None:
    """Run merchandisers' test cases (default: every file in rules/tests/).

    A case gives a profile (and optionally basket, date, locale, limit) and expects SKUs in
    or out of the list, one first or at a position, categories, rule reasons shown, notices,
    or an empty list; and, as a pharmacist reviews it, nutrient roles in or out, the first
    item's dose band, a most per item, reason codes, notices not given, texts not shown, a
    longest list and the regimen's advice. Every case also fails when an item has no reason.
    A case that names a rule the loaded rules (--rules) lack says so. See
    rules/tests/shipped_rules.yaml and rules/tests/vignettes.yaml. Exit code 1 when a case fails.
    """
    from .core.rule_tests import rule_test_files, run_rule_tests

    paths = _paths(catalog, rules)
    snapshot = _recommender(catalog, rules).snapshot  # with the served model, as the service
    try:
        files = rule_test_files(path or paths.rules / "tests")
        results = run_rule_tests(
            snapshot, files, day.date() if day else dt.date.today(), paths.merchandising_dir
        )
    except DataFileError as exc:
        refuse(exc)
    known = {r.id for r in snapshot.rules.rules}
    for result in results:
        click.echo(f"{result.mark} {result.file}:{result.line} {result.name}")
        if result.pending:
            click.echo(f"     needs: {result.needs}")
        for failure in result.failures:
            click.echo(f"     {failure}")
    for file in files:
        _unknown_rules_note(file, known, paths)
    failed = sum(not r.passed and not r.pending for r in results)
    pending = sum(r.pending for r in results)
    passed = len(results) - failed - pending
    click.echo(f"{passed} passed, {failed} failed" + (f", {pending} pending" if pending else ""))
    if failed:
        sys.exit(1)


def _unknown_rules_note(file: Path, known: set[str], paths: DataPaths) -> None:
    """Say when cases expect reasons of rules that the rules under test do not have (a case
    file written for another rules folder runs against --rules, not its own)."""
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return  # the runner has reported it
    named = {
        str(rule_id)
        for case in (data.get("cases") or [])
        if isinstance(case, dict) and isinstance(case.get("expect"), dict)
        for rule_id in (case["expect"].get("reasons") or [])
    }
    missing = sorted(named - known)
    if not missing:
        return
    sibling = file.resolve().parent.parent / "merchandising"
    other = (
        f"; they are in {sibling.parent}? run with --rules {sibling.parent}"
        if sibling.is_dir() and sibling.resolve() != paths.merchandising_dir.resolve()
        else ""
    )
    click.echo(
        f"note: {file} expects rule(s) {', '.join(missing)} that the rules under test "
        f"({paths.merchandising_dir}) do not have{other}",
        err=True,
    )


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
    """A folder of rule files: the merchandising folder, a rules folder holding
    `merchandising/` (the top `rules` folder or a copy of it), or `git:REV` (the merchandising
    folder at that revision, exported). Anything else exits 2 with one line."""
    import subprocess

    from .core.rules import rule_files

    if not spec.startswith("git:"):
        folder = Path(spec)
        if not folder.is_dir():
            fail(
                f"{spec} is not a folder: give a rule folder (rules/merchandising or a copy), "
                "a rules folder with merchandising/ in it, or git:REV",
                2,
            )
        if (folder / "merchandising").is_dir():
            folder = folder / "merchandising"
        if not rule_files(folder):
            fail(f"{folder} holds no rule files (*.yaml): give the folder of the rule files", 2)
        return folder
    revision = spec[4:]

    def git(*args: str) -> bytes:
        done = subprocess.run(["git", *args], capture_output=True)
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace").strip().splitlines()
            fail(
                f"{spec}: git could not read it ({said[0] if said else 'no git repository'}): "
                "give a commit, branch or tag of this repository, e.g. git:HEAD~1",
                2,
            )
        return done.stdout

    top = git("-C", str(paths.rules), "rev-parse", "--show-toplevel").decode().strip()
    folder = paths.merchandising_dir.resolve().relative_to(Path(top).resolve())
    names = git("-C", top, "ls-tree", "--name-only", f"{revision}:{folder}").decode().split()
    into.mkdir(parents=True)
    for name in names:
        if name.endswith(".yaml"):
            (into / name).write_bytes(git("-C", top, "show", f"{revision}:{folder}/{name}"))
    if not rule_files(into):
        fail(f"{spec}: {folder} holds no rule files at that revision", 2)
    return into


def _customer_app():
    """The app and customer store on Redis: REDIS_URL, else the Redis a running `make run` of
    this checkout started. Exits 1 with one line when there is none or it does not answer."""
    import redis

    from .api.app import create_app
    from .api.redis_client import get_redis, get_store
    from .local import embedded_redis_url

    url = os.environ.get("REDIS_URL") or embedded_redis_url()
    if not url:
        fail("no Redis: set REDIS_URL, or start `make run` in this checkout (it runs one)")
    os.environ["REDIS_URL"] = url
    # TESTING: this app serves no HTTP, so the "no API keys: endpoints open" warning is noise
    app = create_app({"REDIS_URL": url, "TESTING": True})
    try:
        get_redis(app).ping()  # type: ignore[union-attr]
    except (redis.RedisError, OSError) as exc:
        fail(f"Redis at {url} does not answer ({type(exc).__name__}): start it, or fix REDIS_URL")
    return app, get_store(app)


def _redis_lost(exc: BaseException) -> NoReturn:
    fail(
        f"Redis stopped answering ({type(exc).__name__}: {str(exc)[:120]}): start it again "
        "and repeat the command"
    )


def _stored_profiles(count: int) -> list[dict]:
    import redis

    _, store = _customer_app()
    profiles: list[dict] = []
    try:
        for ids in store.iter_id_chunks(1000):
            entries, _ = store.read_many(ids)
            profiles.extend(e["profile"] for e in entries if e)
            if len(profiles) >= count:
                break
    except (redis.RedisError, OSError) as exc:
        _redis_lost(exc)
    if not profiles:
        fail("no stored customers in Redis: drop --customers to use the bundled sample")
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
    snapshot = _recommender(catalog, rules).snapshot
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
    """A profile file (JSON or YAML; a bare profile or a whole request body) validated as the
    API validates it. Every problem is one line: exit 2 when the file cannot be read, 1 when
    its content is not a valid profile."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(
            f"profile file {path} does not exist: give a JSON or YAML profile "
            "(example: docs/examples/profile.yaml)",
            2,
        )
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read profile file {path}: {getattr(exc, 'strerror', None) or exc}", 2)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        problem = getattr(exc, "problem", None) or "not JSON or YAML"
        fail(f"{where}: {problem}: the profile file must be JSON or YAML")
    if not isinstance(data, dict):
        fail(
            f"{path}: expected a profile (fields such as `age: 67`) or a request body with "
            f"`profile:`, found {'nothing' if data is None else type(data).__name__}"
        )
    if "profile" not in data:
        data = {"profile": data}  # a bare profile file
    try:
        return schema.load(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in flatten_messages(exc.messages).items()
        )
        fail(f"{path}: invalid profile: {problems}")


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
    recommender = _recommender(catalog, rules)
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
    recommender = _recommender(catalog, rules)
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
@click.option(
    "--timeout",
    type=float,
    default=0,
    help="Stop waiting after this many seconds (exit 1); 0: wait while the run progresses.",
)
def refresh(
    all_customers: bool,
    customer_id: str | None,
    force: bool,
    show_status: bool,
    wait: bool,
    timeout: float,
) -> None:
    """Refresh precomputed recommendations in Redis through the Celery workers.

    Redis is REDIS_URL, or the one a running `make run` of this checkout started. With --all
    the run takes a lock: a second run while one is going shows the running one instead of
    doubling the work. Progress (done, rate, ETA) is also at GET /v1/admin/refresh. A run that
    finishes no chunk within DOSEWISE_REFRESH_LOCK_TTL seconds (its workers are gone) is
    abandoned: the wait ends with exit 1 and says so, and beat (or the next --all) resumes it.
    """
    import redis
    from tqdm import tqdm

    from workers.tasks import refresh_customer, start_refresh

    from .customers.refresh import progress

    if not (show_status or customer_id or all_customers):
        raise click.UsageError("say --all, --customer ID or --status")
    app, store = _customer_app()
    try:
        if show_status:
            state = store.run_state()
            if state is None:
                click.echo("no refresh has run yet")
                return
            click.echo(json.dumps(progress(state), indent=2))
            return
        if customer_id:
            with app.app_context():
                click.echo(json.dumps(refresh_customer.run(customer_id)))
            return
        celery = app.extensions["celery"]
        latest = store.run_state() or {}
        # a run already going is followed (the wait below sees when its workers are gone);
        # a new run without a worker would only wait
        following = latest.get("status") == "running"
        if not (following or celery.conf.task_always_eager or celery.control.ping(timeout=1.0)):
            fail(
                "no Celery worker answers on the broker: start `make run` (it runs one) or "
                "`celery -A workers.make_celery worker`, then repeat the command"
            )
        with app.app_context():
            run = start_refresh(app, "cli", force)
        click.echo(f"run {run['run_id']} ({'started' if run['started'] else 'already running'})")
        if not wait:
            return
        from .customers.refresh import abandon_if_dead

        state = progress(store.run_state(run["run_id"])) or {}
        deadline = time.monotonic() + timeout if timeout > 0 else None
        with tqdm(total=state.get("total", 0), unit="customer", dynamic_ncols=True) as bar:
            while True:
                raw = store.run_state(run["run_id"])
                abandon_if_dead(store, raw)
                state = progress(store.run_state(run["run_id"])) or {}
                bar.total = state.get("total", bar.total)
                bar.update(state.get("done", 0) - bar.n)
                bar.set_postfix(computed=state.get("computed", 0), skipped=state.get("skipped", 0))
                if state.get("status") == "finished":
                    break
                if state.get("status") == "abandoned" or (
                    deadline is not None and time.monotonic() > deadline
                ):
                    bar.close()
                    why = (
                        "no chunk finished within its lock's TTL: are the workers running?"
                        if state.get("status") == "abandoned"
                        else f"not finished after {timeout:g} s; it goes on without this command"
                    )
                    click.echo(
                        f"run {run['run_id']}: {why} {state.get('done', 0)} of "
                        f"{state.get('total', 0)} done. Lists already written stay; beat resumes "
                        "an abandoned run, or run `dosewise refresh --all` again.",
                        err=True,
                    )
                    sys.exit(1)
                time.sleep(0.5)
    except (redis.RedisError, OSError) as exc:
        _redis_lost(exc)
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


def _training_logs(impressions: Path | None, events: Path | None) -> tuple[Path, Path]:
    """The logs given, else the first folder that holds both: the exported shop log
    (`dosewise events export`), then the simulated shop `make run` trained the first model on.
    Exits 1 with one line when there is none."""
    from .learning.exports import EVENTS_FILE, IMPRESSIONS_FILE

    if impressions and events:
        return impressions, events
    folders = [_learning_dir(), _learning_dir() / "simulated"]
    for folder in folders:
        if (folder / IMPRESSIONS_FILE).is_file() and (folder / EVENTS_FILE).is_file():
            if impressions is None and events is None:
                click.echo(f"training data: {folder}", err=True)
            return impressions or folder / IMPRESSIONS_FILE, events or folder / EVENTS_FILE
    fail(
        f"no training data in {folders[0]} or {folders[1]}: run `dosewise events export` "
        "(shop events from Redis), `make run` (simulates a shop once) or `dosewise simulate "
        "--out DIR`, or give --impressions and --events"
    )


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
    from .learning.jobs import train_and_promote

    impressions, events = _training_logs(impressions, events)
    try:
        snapshot = load_snapshot(_paths(catalog, rules))
    except DataFileError as exc:
        refuse(exc)
    try:
        run = train_and_promote(
            impressions,
            events,
            _model_dir(),
            catalog_version=snapshot.catalog.version,
            min_gain=min_gain,
        )
    except DosewiseError as exc:
        fail(f"training refused: {exc.message}")
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
    from .learning.store import current_path

    model_path = model_path or current_path(_model_dir())
    if model_path is None:
        fail(f"no model in {_model_dir()} to evaluate: `make run` or `dosewise model train` first")
    impressions, events = _training_logs(impressions, events)
    out = out or _learning_dir() / "report"
    try:
        report = run_evaluation(model_path, impressions, events, out)
    except DosewiseError as exc:
        fail(f"evaluation refused: {exc.message}")
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
    from tqdm import tqdm

    snapshot = load_snapshot(_paths(catalog, rules))
    work = _learning_dir() / "simulated"
    click.echo(
        f"no model yet: simulating a shop of {customers} customers over {days} days, then "
        "training on it (about a minute on 2 cores, once)"
    )
    with tqdm(total=0, unit="visit", desc="simulating", dynamic_ncols=True) as bar:

        def advance(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)
            if done == total:
                bar.set_postfix_str("done; now training the model")

        log, run = build_default_model(
            snapshot, _model_dir(), work, customers=customers, days=days, progress=advance
        )
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
    """Move events and impressions from Redis (REDIS_URL, or the one a running `make run`
    started) to JSON lines files and trim the streams: the training dataset of `dosewise
    model train`."""
    import redis

    from .learning.exports import export_streams

    _, store = _customer_app()
    try:
        counts = export_streams(store, out or _learning_dir())
    except (redis.RedisError, OSError) as exc:
        _redis_lost(exc)
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


register_refill_commands(main)  # dosewise refills, dosewise buy-again (service/cli_refills.py)

if __name__ == "__main__":
    main()
