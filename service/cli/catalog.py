"""`dosewise catalog generate`: synthetic catalogs for benchmarks."""

from __future__ import annotations

from pathlib import Path

import click

from .base import (
    main,
    with_data,
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
    from ..core.synthetic import write_synthetic_catalog

    write_synthetic_catalog(Path(catalog), Path(out), skus, seed)
    click.echo(f"wrote {skus} products to {out}")
