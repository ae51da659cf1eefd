"""`dosewise experiments report`: exposures and shop events in, per-variant results out.

Exposure log (JSON lines, one per served list in an experiment; `exposure_record`):

    {"experiment": "...", "variant": "...", "unit": "<customer or session id>",
     "customer_id": "...", "request_id": "...", "timestamp": "...", "placement": "...",
     "skus": ["...", ...]}

Attribution: a click, add_to_cart or purchase event counts for the latest exposure of the same
customer before it, within `attribution_hours`, that showed the event's SKU; each exposure
counts each kind at most once (a rate per exposure), and its revenue is the catalog price of
each distinct SKU bought from it. Per variant: exposures, units, click, add-to-cart and
purchase rates per exposure and revenue per exposure; per treatment variant against the
control (the first variant): the difference with its always-valid confidence interval and
p-value (stats.py, one look per day since the start), and the effect the planned traffic can
detect (the power statement, from the experiment's `baseline`).
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import html
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from service.learning.logs import epoch_seconds, iso, read_jsonl

from .spec import Experiment
from .stats import ArmTotals, compare, detectable_effect

METRICS = ("click_rate", "add_to_cart_rate", "purchase_rate", "revenue_per_exposure")
EVENT_METRIC = {"click": 0, "add_to_cart": 1, "purchase": 2}
DAY = 86_400.0


def exposure_record(
    experiment_id: str,
    variant_id: str,
    unit_id: str,
    customer_id: str | None,
    request_id: str,
    timestamp: dt.datetime,
    placement: str,
    skus: Iterable[str],
) -> dict[str, Any]:
    return {
        "experiment": experiment_id,
        "variant": variant_id,
        "unit": unit_id,
        "customer_id": customer_id,
        "request_id": request_id,
        "timestamp": iso(timestamp),
        "placement": placement,
        "skus": list(skus),
    }


@dataclass
class _Exposures:
    unit: np.ndarray  # unit index
    variant: np.ndarray  # variant index
    time: np.ndarray  # seconds
    units: list[str]
    rows: np.ndarray  # outcome contributions, columns: exposure, metric, value, time


def _read(
    experiment: Experiment,
    exposures_path: Path,
    events_path: Path,
    prices: Mapping[str, float],
    attribution_hours: float,
) -> _Exposures:
    variants = {v.id: i for i, v in enumerate(experiment.variants)}
    units: dict[str, int] = {}
    unit: list[int] = []
    variant: list[int] = []
    time: list[float] = []
    shown: list[frozenset[str]] = []
    by_customer: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for record in read_jsonl(Path(exposures_path)):
        if record.get("experiment") != experiment.id or record.get("variant") not in variants:
            continue
        index = len(time)
        unit.append(units.setdefault(str(record["unit"]), len(units)))
        variant.append(variants[record["variant"]])
        moment = epoch_seconds(record["timestamp"])
        time.append(moment)
        shown.append(frozenset(record.get("skus") or ()))
        customer = record.get("customer_id") or record["unit"]
        by_customer[str(customer)].append((moment, index))
    for entries in by_customer.values():
        entries.sort()
    window = attribution_hours * 3600.0
    counted: set[tuple[int, int, str]] = set()
    rows: list[tuple[int, int, float, float]] = []
    if Path(events_path).exists():
        for event in read_jsonl(Path(events_path)):
            metric = EVENT_METRIC.get(event.get("type", ""))
            found = by_customer.get(str(event.get("customer_id")))
            if metric is None or not found:
                continue
            entries = found
            sku = event.get("sku")
            moment = epoch_seconds(event["timestamp"])
            at = bisect.bisect_right(entries, (moment, math.inf)) - 1
            while at >= 0 and moment - entries[at][0] <= window:
                exposure = entries[at][1]
                if sku in shown[exposure]:
                    if (exposure, metric, "") not in counted:
                        counted.add((exposure, metric, ""))
                        rows.append((exposure, metric, 1.0, moment))
                    if metric == 2 and (exposure, 3, sku) not in counted:
                        counted.add((exposure, 3, sku))
                        rows.append((exposure, 3, float(prices.get(sku, 0.0)), moment))
                    break
                at -= 1
    return _Exposures(
        np.array(unit, dtype=np.int64),
        np.array(variant, dtype=np.int64),
        np.array(time, dtype=float),
        list(units),
        np.array(rows, dtype=float).reshape(-1, 4),
    )


def _totals(data: _Exposures, cut: float, variants: int) -> list[list[ArmTotals]]:
    """[variant][metric] totals over units, counting what happened before `cut`."""
    n_units = len(data.units)
    seen = data.time < cut
    exposures = np.bincount(data.unit[seen], minlength=n_units).astype(float)
    outcome = np.zeros((len(METRICS), n_units))
    exposure = data.rows[:, 0].astype(np.int64)
    metric = data.rows[:, 1].astype(np.int64)
    keep = (data.rows[:, 3] < cut) & (data.time[exposure] < cut)
    np.add.at(outcome, (metric[keep], data.unit[exposure[keep]]), data.rows[keep, 2])
    unit_variant = np.full(n_units, -1)
    unit_variant[data.unit] = data.variant
    out = []
    for v in range(variants):
        members = (unit_variant == v) & (exposures > 0)
        out.append([ArmTotals.of(exposures[members], outcome[m, members]) for m in range(4)])
    return out


def experiment_report(
    experiment: Experiment,
    exposures_path: Path,
    events_path: Path,
    prices: Mapping[str, float],
    *,
    now: dt.datetime | None = None,
    attribution_hours: float = 72.0,
) -> dict[str, Any]:
    """Everything the text and HTML reports show, as plain data."""
    data = _read(experiment, exposures_path, events_path, prices, attribution_hours)
    start = dt.datetime.combine(experiment.start, dt.time(), dt.UTC).timestamp()
    last = data.time.max() if data.time.size else start
    if now is not None:
        last = min(last, now.timestamp())
    end = dt.datetime.combine(experiment.end, dt.time(), dt.UTC).timestamp() + DAY
    cuts = list(np.arange(start + DAY, min(last + DAY, end + DAY), DAY)) or [start + DAY]
    final = min(max(last + 1.0, start), end + attribution_hours * 3600.0)
    if cuts[-1] < final:
        cuts.append(final)
    looks = [_totals(data, cut, len(experiment.variants)) for cut in cuts]
    taus = _taus(experiment, looks[-1][0])
    variants = []
    for v, variant in enumerate(experiment.variants):
        now_totals = looks[-1][v]
        row: dict[str, Any] = {
            "id": variant.id,
            "changes": variant.changes,
            "units": now_totals[0].units,
            "exposures": int(now_totals[0].x),
            "metrics": {m: _finite(now_totals[i].ratio) for i, m in enumerate(METRICS)},
            "daily": {
                m: [_finite(look[v][i].ratio) for look in looks] for i, m in enumerate(METRICS)
            },
        }
        if v > 0:
            row["against_control"] = {}
            for i, metric in enumerate(METRICS):
                pairs = [(look[0][i], look[v][i]) for look in looks]
                c = compare(pairs, taus[metric], experiment.alpha)
                row["against_control"][metric] = {
                    "difference": _finite(c.difference),
                    "low": _finite(c.low),
                    "high": _finite(c.high),
                    "relative": _finite(c.relative),
                    "relative_low": _finite(c.relative_low),
                    "relative_high": _finite(c.relative_high),
                    "p_value": c.p_value,
                    "significant": c.significant,
                }
        variants.append(row)
    return {
        "experiment": experiment.id,
        "description": experiment.description,
        "placement": experiment.placement,
        "unit": experiment.unit,
        "start": experiment.start.isoformat(),
        "end": experiment.end.isoformat(),
        "alpha": experiment.alpha,
        "looks": [dt.datetime.fromtimestamp(c, dt.UTC).isoformat() for c in cuts],
        "tau": taus,
        "variants": variants,
        "power": power_statement(experiment),
    }


def _taus(experiment: Experiment, control: list[ArmTotals]) -> dict[str, float]:
    """The mixture scale per metric: the design uplift of the planned baseline (or, without
    one, of the control's rate so far, which makes the test less strict than planned)."""
    base = baseline_rates(experiment)
    out = {}
    for i, metric in enumerate(METRICS):
        rate = base.get(metric) or _finite(control[i].ratio) or 0.0
        out[metric] = max(experiment.design_uplift * rate, 1e-9)
    return out


def baseline_rates(experiment: Experiment) -> dict[str, float]:
    b = experiment.baseline
    out = {m: b[m] for m in METRICS[:3] if m in b}
    if "purchase_rate" in b and "average_purchase_value" in b:
        out["revenue_per_exposure"] = b["purchase_rate"] * b["average_purchase_value"]
    return out


def power_statement(experiment: Experiment, power: float = 0.8) -> dict[str, Any]:
    """What the planned traffic can detect by the end date, per metric (relative uplift)."""
    b = experiment.baseline
    if "units_per_day" not in b:
        return {"stated": False, "reason": "no baseline.units_per_day in the experiment"}
    units = b["units_per_day"] * experiment.days * experiment.traffic
    per_unit = max(b.get("exposures_per_unit", 1.0), 1e-9)
    arms = [int(units * v.share) for v in experiment.variants]
    rates = baseline_rates(experiment)
    value = b.get("average_purchase_value", 0.0)
    out: dict[str, Any] = {
        "stated": True,
        "power": power,
        "alpha": experiment.alpha,
        "units_per_arm": dict(zip([v.id for v in experiment.variants], arms, strict=True)),
        "detectable_relative_uplift": {},
    }
    for metric, rate in rates.items():
        if metric == "revenue_per_exposure":
            p = b["purchase_rate"]
            variance = p * value * value - (p * value) ** 2
        else:
            variance = rate * (1 - rate)
        tau = max(experiment.design_uplift * rate, 1e-9)
        smallest = min(
            (
                detectable_effect(rate, variance / per_unit, (arms[0], n), tau, experiment.alpha)
                for n in arms[1:]
            ),
            key=lambda d: d.relative,
        )
        out["detectable_relative_uplift"][metric] = _finite(smallest.relative)
    return out


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


# ------------------------------------------------------------------ text and HTML
def report_text(report: dict[str, Any]) -> str:
    lines = [
        f"experiment {report['experiment']} ({report['placement']}, by {report['unit']}, "
        f"{report['start']} .. {report['end']}, alpha {report['alpha']}, "
        f"{len(report['looks'])} daily looks)",
    ]
    power = report["power"]
    if power.get("stated"):
        detectable = ", ".join(
            f"{m} {_pct(v)}" for m, v in power["detectable_relative_uplift"].items()
        )
        lines.append(
            f"  before the start: with {power['units_per_arm']} units per arm it detects, with "
            f"{power['power']:.0%} power, relative uplifts of {detectable}"
        )
    else:
        lines.append(f"  power: not stated ({power['reason']})")
    for row in report["variants"]:
        m = row["metrics"]
        lines.append(
            f"  {row['id']}: {row['exposures']} exposures, {row['units']} units; "
            f"click {_pct(m['click_rate'])}, add-to-cart {_pct(m['add_to_cart_rate'])}, "
            f"purchase {_pct(m['purchase_rate'])}, revenue/exposure "
            f"{_money(m['revenue_per_exposure'])}"
            + (f"  changes {row['changes']}" if row["changes"] else "")
        )
        for metric, c in (row.get("against_control") or {}).items():
            verdict = "significant" if c["significant"] else "not significant (yet)"
            lines.append(
                f"    {metric} vs control: {_signed_pct(c['relative'])} "
                f"[{_signed_pct(c['relative_low'])}, {_signed_pct(c['relative_high'])}], "
                f"always-valid p = {c['p_value']:.3g}: {verdict}"
            )
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def _signed_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:+.1f}%"


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def report_html(report: dict[str, Any]) -> str:
    """One self-contained page: the table, an interval chart per metric, daily rates."""
    from service.learning.plot import interval_chart_png, line_chart_png

    def png(draw: Any, *args: Any) -> str:
        buffer = io.BytesIO()
        draw(buffer, *args)
        return base64.b64encode(buffer.getvalue()).decode()

    rows = []
    for row in report["variants"]:
        m = row["metrics"]
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(cell))}</td>"
                for cell in (
                    row["id"],
                    row["exposures"],
                    row["units"],
                    _pct(m["click_rate"]),
                    _pct(m["add_to_cart_rate"]),
                    _pct(m["purchase_rate"]),
                    _money(m["revenue_per_exposure"]),
                    row["changes"] or "control",
                )
            )
            + "</tr>"
        )
    charts = []
    for metric in METRICS:
        intervals = [
            (
                row["id"],
                _nan(row["against_control"][metric]["relative_low"]),
                _nan(row["against_control"][metric]["relative"]),
                _nan(row["against_control"][metric]["relative_high"]),
            )
            for row in report["variants"][1:]
        ]
        if intervals:
            charts.append(
                png(
                    interval_chart_png,
                    f"{metric}: uplift against control, always-valid {1 - report['alpha']:.0%} CI",
                    [(label, 100 * lo, 100 * est, 100 * hi) for label, lo, est, hi in intervals],
                    "relative difference (%)",
                )
            )
    days = list(range(1, len(report["looks"]) + 1))
    daily = png(
        line_chart_png,
        "click rate per exposure, cumulative, by day",
        {
            row["id"]: (days, [100 * _nan(v) for v in row["daily"]["click_rate"]])
            for row in report["variants"]
        },
        "click rate (%)",
        "day of the experiment",
    )
    text = html.escape(report_text(report))
    images = "".join(f'<img alt="uplift" src="data:image/png;base64,{c}">' for c in charts)
    header = "".join(
        f"<th>{h}</th>"
        for h in (
            "variant",
            "exposures",
            "units",
            "click rate",
            "add-to-cart rate",
            "purchase rate",
            "revenue / exposure",
            "changes",
        )
    )
    title = html.escape(f"experiment {report['experiment']}")
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;border-bottom:"
        "1px solid #ddd;text-align:left}img{display:block;max-width:100%;margin:1em 0}</style>"
        f"<h1>{title}</h1><p>{html.escape(report['description'])}</p>"
        f"<table><tr>{header}</tr>{''.join(rows)}</table>"
        f"<pre>{text}</pre>{images}"
        f'<img alt="daily click rate" src="data:image/png;base64,{daily}">'
        "</html>\n"
    )


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)
