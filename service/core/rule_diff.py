"""`dosewise rules diff`: what a change of the rule files does to the lists people see.

Both rule sets are loaded against the same catalog and reference data; every sample profile
(bundled seeded sample, or the stored customers) is ranked under each, and the top-k lists are
compared: how many change, which products gain or lose exposure, which segments move most.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from pathlib import Path
from typing import Any

from .catalog import load_catalog
from .errors import DosewiseError
from .profile import Profile
from .ranking import recommend
from .reference_load import load_reference
from .requests import RecommendationRequest
from .rules import Rule, load_rules, rule_files
from .snapshot import DataPaths, Snapshot


def segment_of(profile: dict[str, Any]) -> str:
    age = int(profile["age"])
    band = (
        "0-3"
        if age < 4
        else "4-17"
        if age < 18
        else "18-49"
        if age < 50
        else "50-69"
        if age < 70
        else "70+"
    )
    stage = profile.get("life_stage", "none")
    return " ".join(
        x
        for x in (
            profile.get("country", "NL"),
            band,
            profile.get("diet", "omnivore"),
            stage if stage != "none" else "",
        )
        if x
    )


def diff_rule_sets(
    paths: DataPaths,
    old: Path | list[Path],
    new: Path | list[Path],
    profiles: list[dict[str, Any]],
    today: dt.date,
    top: int = 5,
) -> dict[str, Any]:
    reference = load_reference(paths.reference_dir)
    catalog = load_catalog(paths.catalog, reference)
    sets = {}
    for name, where in (("old", old), ("new", new)):
        files = rule_files(where) if isinstance(where, Path) else where
        rules = load_rules(files, reference, catalog)
        sets[name] = Snapshot(reference, catalog, rules, rules.version, "transparent")
    exposure: dict[str, Counter[str]] = {"old": Counter(), "new": Counter()}
    segments: dict[str, list[int]] = {}
    changed = 0
    examples: list[dict[str, Any]] = []
    for raw in profiles:
        request = RecommendationRequest(profile=Profile.from_dict(raw), limit=top, locale="en")
        lists = {}
        for name, snapshot in sets.items():
            try:
                lists[name] = [i["sku"] for i in recommend(snapshot, request, today)["items"]]
            except DosewiseError:
                lists[name] = []
            exposure[name].update(lists[name])
        moved = lists["old"] != lists["new"]
        changed += moved
        counts = segments.setdefault(segment_of(raw), [0, 0])
        counts[0] += 1
        counts[1] += moved
        if moved and len(examples) < 5:
            examples.append({"profile": raw, "old": lists["old"], "new": lists["new"]})
    names = {p.sku: p.name["en"] for p in catalog.products}
    deltas = [
        {
            "sku": sku,
            "name": names[sku],
            "old": exposure["old"][sku],
            "new": exposure["new"][sku],
            "delta": exposure["new"][sku] - exposure["old"][sku],
        }
        for sku in set(exposure["old"]) | set(exposure["new"])
        if exposure["new"][sku] != exposure["old"][sku]
    ]
    deltas.sort(key=lambda d: (-abs(int(str(d["delta"]))), str(d["sku"])))
    old_ids = {r.id: r for r in sets["old"].rules.rules}
    new_ids = {r.id: r for r in sets["new"].rules.rules}
    edited = sorted(
        rule_id
        for rule_id in set(old_ids) & set(new_ids)
        if _definition(old_ids[rule_id]) != _definition(new_ids[rule_id])
    )
    touched = [new_ids.get(i) or old_ids[i] for i in {*edited, *(set(old_ids) ^ set(new_ids))}]
    return {
        "profiles": len(profiles),
        "top": top,
        "date": today.isoformat(),
        "changed": changed,
        "changed_share": round(changed / len(profiles), 4) if profiles else 0.0,
        "rules_added": sorted(set(new_ids) - set(old_ids)),
        "rules_removed": sorted(set(old_ids) - set(new_ids)),
        "rules_changed": edited,
        # changed rules that cannot act on the date: a diff of 0 then says nothing about them
        "inactive_on_date": [
            {
                "id": r.id,
                "enabled": r.enabled,
                "valid_from": r.valid_from.isoformat() if r.valid_from else None,
                "valid_until": r.valid_until.isoformat() if r.valid_until else None,
            }
            for r in sorted(touched, key=lambda r: r.id)
            if not _could_act_on(r, today)
        ],
        "exposure": deltas,
        "segments": sorted(
            (
                {"segment": s, "profiles": n, "changed": c, "share": round(c / n, 4)}
                for s, (n, c) in segments.items()
                if c
            ),
            key=lambda x: (-x["changed"], x["segment"]),
        ),
        "examples": examples,
    }


def _definition(rule: Rule) -> tuple:
    """Everything that decides what a rule does (not where it is written)."""
    return (
        rule.description,
        rule.when.source,
        rule.action,
        rule.mask.tobytes(),
        rule.weight,
        rule.position,
        tuple(sorted((rule.reason or {}).items())),
        rule.priority,
        rule.valid_from,
        rule.valid_until,
        rule.markets,
        rule.enabled,
    )


def _could_act_on(rule: Rule, day: dt.date) -> bool:
    return (
        rule.enabled
        and (rule.valid_from is None or day >= rule.valid_from)
        and (rule.valid_until is None or day <= rule.valid_until)
    )


def _date_hint(result: dict[str, Any]) -> str | None:
    inactive = result.get("inactive_on_date") or []
    if not inactive:
        return None
    windows = []
    for r in inactive:
        if not r["enabled"]:
            windows.append(f"{r['id']} (disabled)")
        else:
            windows.append(f"{r['id']} ({r['valid_from'] or '...'} to {r['valid_until'] or '...'})")
    return (
        f"hint: {len(inactive)} changed rule(s) cannot act on {result['date']}: "
        f"{', '.join(windows)}; rerun with --date YYYY-MM-DD inside the window to see their "
        "effect"
    )


def render_text(result: dict[str, Any], rows: int = 10) -> str:
    lines = [
        f"{result['changed']} of {result['profiles']} top-{result['top']} lists change "
        f"({result['changed_share']:.1%}) on {result['date']}",
        f"rules added: {', '.join(result['rules_added']) or '-'}; "
        f"removed: {', '.join(result['rules_removed']) or '-'}; "
        f"changed: {', '.join(result.get('rules_changed', [])) or '-'}",
    ]
    hint = _date_hint(result)
    if hint:
        lines.append(hint)
    lines += [
        "",
        "exposure (appearances in the top lists), largest moves:",
    ]
    for d in result["exposure"][:rows]:
        lines.append(
            f"  {d['delta']:+5d}  {d['sku']:<24} {d['old']:>5} -> {d['new']:<5} {d['name']}"
        )
    lines += ["", "segments that move most:"]
    for s in result["segments"][:rows]:
        lines.append(
            f"  {s['changed']:5d} of {s['profiles']:<5} ({s['share']:.0%})  {s['segment']}"
        )
    return "\n".join(lines)


def render_html(result: dict[str, Any], rows: int = 15) -> str:
    """A self-contained page with an SVG bar chart of exposure gains and losses."""
    bars = result["exposure"][:rows]
    peak = max((abs(d["delta"]) for d in bars), default=1) or 1
    width, row_h, mid = 640, 22, 320
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 260}" '
        f'height="{row_h * len(bars) + 20}" role="img" aria-label="exposure changes">'
    ]
    for i, d in enumerate(bars):
        length = abs(d["delta"]) / peak * (mid - 10)
        x = mid if d["delta"] > 0 else mid - length
        color = "#2e7d32" if d["delta"] > 0 else "#c62828"
        y = 10 + i * row_h
        svg.append(
            f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{row_h - 6}" '
            f'fill="{color}"><title>{html.escape(d["sku"])}: {d["delta"]:+d}</title>'
            f"</rect>"
        )
        svg.append(
            f'<text x="{width + 10}" y="{y + 12}" font-size="12">'
            f"{html.escape(d['sku'])} ({d['delta']:+d})</text>"
        )
    svg.append(
        f'<line x1="{mid}" x2="{mid}" y1="0" y2="{row_h * len(bars) + 20}" stroke="#555"/></svg>'
    )
    segments = "".join(
        f"<tr><td>{html.escape(s['segment'])}</td><td>{s['changed']}</td>"
        f"<td>{s['profiles']}</td><td>{s['share']:.0%}</td></tr>"
        for s in result["segments"][:rows]
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>dosewise rules diff</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:960px}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .5rem}}</style>
</head><body><h1>Rule change impact</h1>
<p><strong>{result["changed"]}</strong> of {result["profiles"]} top-{result["top"]} lists change
({result["changed_share"]:.1%}) on {html.escape(result["date"])}.
Rules added: {html.escape(", ".join(result["rules_added"]) or "-")};
removed: {html.escape(", ".join(result["rules_removed"]) or "-")};
changed: {html.escape(", ".join(result.get("rules_changed", [])) or "-")}.</p>
<p>{html.escape(_date_hint(result) or "")}</p>
<h2>Exposure gained and lost</h2>{"".join(svg)}
<h2>Segments that move most</h2>
<table><tr><th>segment</th><th>changed</th><th>profiles</th><th>share</th></tr>{segments}
</table></body></html>"""
