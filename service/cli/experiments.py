"""`dosewise experiments`: check, assign and report A/B tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..core.errors import DataFileError
from ..core.snapshot import load_snapshot
from .base import (
    _paths,
    log_file_option,
    main,
    refuse,
    with_data,
)


@main.group("experiments")
def experiments_group() -> None:
    """A/B tests: the experiments file (rules/experiments.yaml), assignment, power, reports."""


def _experiments(rules: str, catalog: str):
    from ..experiments.spec import load_experiments

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
    from ..experiments.report import power_statement

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


def _named(found, experiment_id: str, rules: str):
    """The experiment of that id, or exit 1 saying the file holds none."""
    try:
        return found.get(experiment_id)
    except KeyError:
        click.echo(f"no experiment {experiment_id!r} in {rules}/experiments.yaml", err=True)
        sys.exit(1)


@experiments_group.command("assign")
@click.argument("experiment_id")
@click.argument("unit_ids", nargs=-1, required=True)
@with_data
def experiments_assign(experiment_id: str, unit_ids: tuple[str, ...], catalog: str, rules: str):
    """Print the variant each customer or session id gets (deterministic; `-` = outside the
    experiment's traffic)."""
    from ..experiments.assign import assign

    if not all(unit.strip() for unit in unit_ids):  # review s35b F10: "" was assigned
        raise click.BadParameter("an id must not be blank", param_hint="UNIT_IDS")
    _, found = _experiments(rules, catalog)
    experiment = _named(found, experiment_id, rules)
    for unit in unit_ids:
        variant = assign(experiment, unit)
        click.echo(f"{unit}\t{variant.id if variant else '-'}")


@experiments_group.command("report")
@click.argument("experiment_id")
@log_file_option(
    "exposures", "Exposure log (JSON lines, one per served list in the experiment).", True
)
@log_file_option(
    "events", "Shop events (JSON lines, as exported by `dosewise events export`).", True
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a self-contained HTML report with plots here.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report as JSON here.",
)
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
    from ..experiments.report import experiment_report, report_html, report_text

    snapshot, found = _experiments(rules, catalog)
    experiment = _named(found, experiment_id, rules)
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
