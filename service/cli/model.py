"""`dosewise model` (status, train, evaluate, build-default) and `dosewise simulate`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..core.errors import DataFileError, DosewiseError
from ..core.snapshot import load_snapshot
from .base import (
    _learning_dir,
    _model_dir,
    _paths,
    fail,
    log_file_option,
    main,
    refuse,
    with_data,
)


@main.group("model")
def model_group() -> None:
    """The learned ranking model: train, evaluate, build the default one, status."""


def _training_logs(impressions: Path | None, events: Path | None) -> tuple[Path, Path]:
    """The logs given, else the first folder that holds both: the exported shop log
    (`dosewise events export`), then the simulated shop `make run` trained the first model on.
    Exits 1 with one line when there is none."""
    from ..learning.exports import EVENTS_FILE, IMPRESSIONS_FILE

    if impressions and events:
        return impressions, events
    folders = [_learning_dir(), _learning_dir() / "simulated"]
    for folder in folders:
        if (folder / IMPRESSIONS_FILE).is_file() and (folder / EVENTS_FILE).is_file():
            if impressions is None and events is None:
                click.echo(f"training data: {folder}", err=True)
            return (
                impressions or folder / IMPRESSIONS_FILE,
                events or folder / EVENTS_FILE,
            )
    fail(
        f"no training data in {folders[0]} or {folders[1]}: run `dosewise events export` "
        "(shop events from Redis), `make run` (simulates a shop once) or `dosewise simulate "
        "--out DIR`, or give --impressions and --events"
    )


@model_group.command("status")
def model_status() -> None:
    """Which model serves (the `current` pointer of the model store) and its metrics."""
    from ..learning.store import current_path

    path = current_path(_model_dir())
    if path is None:
        click.echo(f"no model in {_model_dir()}: the service ranks with the transparent score")
        return
    meta = json.loads((path / "metadata.json").read_text())
    click.echo(
        json.dumps(
            {
                "version": meta.get("version"),
                "path": str(path),
                "metrics": meta.get("metrics"),
            },
            indent=2,
        )
    )


@model_group.command("train")
@log_file_option("impressions", "Impressions JSON lines (default: the exported log).")
@log_file_option("events", "Events JSON lines (default: the exported log).")
@click.option(
    "--min-gain",
    type=float,
    default=0.0,
    show_default=True,
    help="Promote only when NDCG@10 on the holdout beats the current model by this.",
)
@with_data
def model_train(
    impressions: Path | None,
    events: Path | None,
    min_gain: float,
    catalog: str,
    rules: str,
) -> None:
    """Fit a model on impressions x events (labels: view 0, click 1, add_to_cart 2,
    purchase 4), evaluate it on a time-based holdout and promote it only when it beats the
    model serving now (or, with none, the rules-only score). Serving picks a promoted model
    up without a restart."""
    from ..learning.jobs import train_and_promote

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
@log_file_option("impressions", "Impressions JSON lines (default: the exported log).")
@log_file_option("events", "Events JSON lines (default: the exported log).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write report.json and metrics.png.",
)
def model_evaluate(
    model_path: Path | None,
    impressions: Path | None,
    events: Path | None,
    out: Path | None,
) -> None:
    """NDCG@5, NDCG@10, recall@10 and AUC on a time-based holdout, against popularity and the
    rules-only score; writes a report and a PNG plot."""
    from ..learning.evaluate import evaluate as run_evaluation
    from ..learning.store import current_path

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
@click.option(
    "--customers",
    type=click.IntRange(100, 1_000_000),
    default=12_000,
    show_default=True,
)
@click.option("--days", type=click.IntRange(7, 730), default=90, show_default=True)
@with_data
def model_build_default(force: bool, customers: int, days: int, catalog: str, rules: str) -> None:
    """The model `make run` ships: simulate the shop (`dosewise simulate`), train on it and
    promote. Does nothing when a model already serves, unless --force."""
    from ..learning.jobs import build_default_model
    from ..learning.store import current_version

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
            snapshot,
            _model_dir(),
            work,
            customers=customers,
            days=days,
            progress=advance,
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
    from ..learning.shop_preferences import SHOPS
    from ..learning.simulator import simulate as run_simulation

    snapshot = load_snapshot(_paths(catalog, rules))
    log = run_simulation(
        snapshot,
        out,
        customers=customers,
        days=days,
        seed=seed,
        preferences=SHOPS[shop],
    )
    click.echo(f"{log.impressions} lists shown, events {log.events} -> {out}")
