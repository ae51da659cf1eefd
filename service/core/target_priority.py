"""Which advice a regimen keeps first (targets.yaml `priorities`, pharmacist review s10 U2).

Every target belongs to one tier of `priorities.tiers`, first tier first: by its `authority`
(each tier lists its authorities; every authority of `authorities` is in exactly one tier), or
by its own `priority` (a tier id) where the authority alone would rank it wrongly: folic acid in
pregnancy is quoted as our aim (authority `dosewise`, not in domain.md's tables) but is the
Gezondheidsraad's advice with the strongest evidence. A doctor's amount (higher_dose_advised)
has the tier of the authority `doctor`.

The regimen (regimen_problem.py, regimen_solve.py) never gives up a shortfall of a higher tier
for any amount of a lower tier, cost or pills: the tiers are solved lexicographically. Within a
tier, targets weigh alike, as before. A tier with `ours: true` holds our own suggestions: the
regimen's texts call their amount what we suggest, never "the advice" (regimen_texts.yaml
`advised_ours`, else `advised`).

Checked at load (reference_load.py, `priority_findings`); read per reference here.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import DataFileError, Finding
from .yamlfile import line_of, load_yaml

DOCTOR_PREFIX = "higher_dose_advised:"


@dataclass(frozen=True)
class Priorities:
    """Tier ranks (0: first) by authority and by target id; which tiers are our suggestions."""

    by_authority: dict[str, int] = field(default_factory=dict)
    by_target: dict[str, int] = field(default_factory=dict)
    target_authority: dict[str, str] = field(default_factory=dict)
    ours: tuple[bool, ...] = ()

    def rank(self, target_id: str | None) -> int:
        """The tier of a target (its own `priority`, else its authority's); 0 without tiers."""
        if target_id is None:
            return 0
        if target_id in self.by_target:
            return self.by_target[target_id]
        return self._authority_rank(target_id)

    def _authority_rank(self, target_id: str) -> int:
        if target_id.startswith(DOCTOR_PREFIX):
            authority = "doctor"
        else:
            authority = self.target_authority.get(target_id, "dosewise")
        return self.by_authority.get(authority, 0)

    def is_ours(self, target_id: str | None) -> bool:
        """True where the target's authority is in a tier of our own suggestions (`ours:
        true`). A target's own `priority` orders it, its authority says whose amount it is:
        folic acid in pregnancy is solved first, and is still our aim in every text, as the
        list's reason says (review 19 F5: "the advised 400 µg" in regimens and checks)."""
        if target_id is None:
            return False
        rank = self._authority_rank(target_id)
        return rank < len(self.ours) and self.ours[rank]


def parse_priorities(doc: Any) -> tuple[Priorities, list[tuple[Any, Any, str]]]:
    """targets.yaml as loaded -> (Priorities, problems as (node, key, message)). Without a
    `priorities` block every target is in one tier (the regimen before review s10 U2)."""
    problems: list[tuple[Any, Any, str]] = []
    if not isinstance(doc, dict):
        return Priorities(), problems
    node = doc.get("priorities")
    authorities = doc.get("authorities") or {}
    targets = doc.get("targets") or []
    target_authority = {
        str(t.get("id")): str(t.get("authority")) for t in targets if isinstance(t, dict)
    }
    if node is None:
        return Priorities(target_authority=target_authority), problems
    tiers = node.get("tiers") if isinstance(node, dict) else None
    if not isinstance(node, dict) or not isinstance(node.get("source"), str):
        problems.append((doc, "priorities", "priorities: needs a `source` note"))
    if not isinstance(tiers, list) or not tiers:
        problems.append((doc, "priorities", "priorities: needs `tiers` (a list, first first)"))
        return Priorities(target_authority=target_authority), problems
    by_authority: dict[str, int] = {}
    tier_ids: dict[str, int] = {}
    ours: list[bool] = []
    for rank, tier in enumerate(tiers):
        names = tier.get("authorities") if isinstance(tier, dict) else None
        if (
            not isinstance(tier, dict)
            or not isinstance(tier.get("id"), str)
            or not isinstance(names, list)
            or not isinstance(tier.get("ours", False), bool)
            or not isinstance(tier.get("source"), str)
        ):
            message = f"tier {rank}: needs id, authorities (a list), source and ours true/false"
            problems.append((tiers, rank, message))
            continue
        if tier["id"] in tier_ids:
            problems.append((tiers, rank, f"tier {tier['id']!r} twice"))
        tier_ids[tier["id"]] = rank
        ours.append(bool(tier.get("ours", False)))
        for name in names:
            if name not in authorities:
                problems.append((tier, "authorities", f"tier {tier['id']}: unknown {name!r}"))
            elif name in by_authority:
                problems.append((tier, "authorities", f"authority {name!r} in two tiers"))
            else:
                by_authority[str(name)] = rank
    for name in authorities:
        if name not in by_authority:
            problems.append((node, "tiers", f"authority {name!r} is in no tier of `priorities`"))
    by_target: dict[str, int] = {}
    for i, target in enumerate(targets):
        if not isinstance(target, dict) or target.get("priority") is None:
            continue
        if target["priority"] not in tier_ids:
            message = f"{target.get('id')}: priority {target['priority']!r} is no tier id"
            problems.append((targets, i, message))
        else:
            by_target[str(target.get("id"))] = tier_ids[target["priority"]]
    return Priorities(by_authority, by_target, target_authority, tuple(ours)), problems


def priority_findings(doc: Any, file: str) -> list[Finding]:
    """Load-time check of targets.yaml `priorities` (reference_load.py)."""
    _, problems = parse_priorities(doc)
    return [
        Finding(file, line_of(node, key), message, code="priority")
        for node, key, message in problems
    ]


_PRIORITIES: weakref.WeakKeyDictionary[Any, Priorities] = weakref.WeakKeyDictionary()


def priorities(reference: Any) -> Priorities:
    """The tiers of the reference's targets.yaml (read once per reference; checked at load)."""
    known = _PRIORITIES.get(reference)
    if known is None:
        from .advice_config import _directory  # the directory the reference was loaded from

        path = _directory(reference) / "targets.yaml"
        parsed, problems = parse_priorities(load_yaml(path, str(path)))
        if problems:
            raise DataFileError(priority_findings(load_yaml(path, str(path)), str(path)))
        known = _PRIORITIES[reference] = parsed
    return known


def column_ranks(reference: Any, keys: tuple[str, ...] | list[str], ids: dict[str, str]) -> Any:
    """Per nutrient column the tier rank of the target that applies (`ids`: nutrient key ->
    target id, as served_targets gives them); 0 where no target applies."""
    table = priorities(reference)
    return np.array([table.rank(ids.get(key)) for key in keys], dtype=np.int64)


def advised_word(ev: Any, key: str, write: Any) -> str:
    """`{advised}` of a target text: "the advised", or "our suggested" where the nutrient's
    target for the profile is an aim of ours (review 10 U2; the regimen and the intake check's
    basket suggestion alike)."""
    from .advice_extras import served_targets  # noqa: PLC0415 (advice_extras imports ranking)

    target_id = served_targets(ev)[1].get(key)
    return write(
        "advised_ours" if priorities(ev.snapshot.reference).is_ours(target_id) else "advised"
    )
