"""`dosewise events export`: shop events and impressions from Redis to the training logs."""

from __future__ import annotations

from pathlib import Path

import click

from .base import (
    _customers,
    _learning_dir,
    _redis_lost,
    main,
)


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

    from ..learning.exports import export_streams

    store = _customers().store
    try:
        counts = export_streams(store, out or _learning_dir())
    except (redis.RedisError, OSError) as exc:
        _redis_lost(exc)
    click.echo(f"exported {counts} to {out or _learning_dir()}")
