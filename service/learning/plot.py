"""Charts for the evaluation and experiment reports, drawn with matplotlib's Agg backend.

Figures are made with `matplotlib.figure.Figure` and an Agg canvas, not with pyplot: no global
state, no display, safe in worker threads. matplotlib is imported on first use, so serving
never loads it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

PALETTE = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#7f7f7f")


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def bar_chart_png(
    path: Path, title: str, values: Mapping[str, Mapping[str, float]], top: float = 1.0
) -> Path:
    """Bars of values[series][group] grouped by group (metric), one colour per series."""
    series = list(values)
    groups = list(next(iter(values.values()))) if values else []
    figure = _figure(10, 5.6)
    axes = figure.add_subplot()
    width = 0.8 / max(len(series), 1)
    for s, name in enumerate(series):
        heights = [float(values[name].get(group, math.nan)) for group in groups]
        xs = [g + (s - (len(series) - 1) / 2) * width for g in range(len(groups))]
        bars = axes.bar(
            xs,
            [h if math.isfinite(h) else 0.0 for h in heights],
            width * 0.92,
            label=name,
            color=PALETTE[s % len(PALETTE)],
        )
        axes.bar_label(
            bars, labels=[f"{h:.3f}" if math.isfinite(h) else "n/a" for h in heights], fontsize=8
        )
    axes.set_xticks(range(len(groups)), groups)
    axes.set_ylim(0, top * 1.08)
    axes.set_title(title)
    axes.grid(axis="y", color="#dddddd")
    axes.set_axisbelow(True)
    axes.legend(loc="upper left", ncols=max(len(series), 1), frameon=False)
    figure.savefig(path, format="png")
    return path


def interval_chart_png(
    path: Path | IO[bytes],
    title: str,
    rows: Sequence[tuple[str, float, float, float]],
    xlabel: str,
    reference: float | None = 0.0,
) -> Path | IO[bytes]:
    """One horizontal interval per row: (label, low, estimate, high), with a reference line."""
    figure = _figure(9, 0.6 * max(len(rows), 1) + 1.6)
    axes = figure.add_subplot()
    for i, (_, low, estimate, high) in enumerate(rows):
        colour = PALETTE[i % len(PALETTE)]
        finite_low = low if math.isfinite(low) else estimate
        finite_high = high if math.isfinite(high) else estimate
        axes.plot([finite_low, finite_high], [i, i], color=colour, linewidth=3)
        axes.plot([estimate], [i], "o", color=colour)
    axes.set_yticks(range(len(rows)), [row[0] for row in rows])
    axes.invert_yaxis()
    if reference is not None:
        axes.axvline(reference, color="#444444", linestyle="--", linewidth=1)
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    axes.grid(axis="x", color="#dddddd")
    figure.savefig(path, format="png")
    return path


def line_chart_png(
    path: Path | IO[bytes],
    title: str,
    lines: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    ylabel: str,
    xlabel: str = "",
) -> Path | IO[bytes]:
    """Lines of (x, y) per name, e.g. a cumulative rate per variant by day."""
    figure = _figure(9, 4.5)
    axes = figure.add_subplot()
    for i, (name, (xs, ys)) in enumerate(lines.items()):
        axes.plot(list(xs), list(ys), label=name, color=PALETTE[i % len(PALETTE)])
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.set_xlabel(xlabel)
    axes.grid(color="#dddddd")
    axes.legend(frameon=False)
    figure.savefig(path, format="png")
    return path
