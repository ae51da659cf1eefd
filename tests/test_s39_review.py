"""Session 39: reviews of main as stop 43 landed it.

s39b (a hostile tester of the merchandiser tooling): a rule file could vanish, and an exclude
rule could stop excluding, without `rules check`, lint or the hot reload saying a word."""

from __future__ import annotations

import logging
from pathlib import Path

from .conftest import memory_app
from .oracle import PRODUCTS

K_ROLES = ("vitamin_k1_ug", "vitamin_k2_ug")


def _gives_k(answer: dict) -> list[str]:
    return [
        i["sku"]
        for i in answer["items"]
        if any(PRODUCTS[i["sku"]]["nutrients_per_serving"].get(k, 0) > 0 for k in K_ROLES)
    ]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---------------------------------------------------------------- review s39b F2 (unsafe)
class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_an_exclude_rule_whose_condition_fails_still_excludes(data_copy) -> None:
    """s39b F2: `100 / (profile.age - 15)` in the children's vitamin K exclusion passes `rules
    check` (no sample profile is 15); at 15 the division fails, the condition counted as false
    and a boy of 15 with the goal bones got K2 drops first. An exclude rule's failing condition
    now holds (its products stay out), and the failure is logged."""
    _edit(
        data_copy.rules / "merchandising" / "risk_groups.yaml",
        'when: "profile.age < 18 && !(has(profile.higher_dose_advised)',
        'when: "profile.age < 18 && 100 / (profile.age - 15) != 1000 && '
        "!(has(profile.higher_dose_advised)",
    )
    client = memory_app(data=data_copy).test_client()
    body = {"profile": {"age": 15, "country": "NL", "goals": ["bones"]}, "locale": "en"}
    kept, logger = _Kept(), logging.getLogger("dosewise.core")
    logger.addHandler(kept)
    try:
        answer = client.post("/v1/recommendations", json=body).get_json()
    finally:
        logger.removeHandler(kept)
    assert answer["items"], answer
    assert _gives_k(answer) == [], answer["items"]
    failed = [m for m in kept.messages if "rule_condition_failed" in m]
    assert any("children-no-vitamin-k-nobody-advised" in m for m in failed), failed
    body["profile"]["age"] = 16  # the condition evaluates: the rule works as shipped
    assert _gives_k(client.post("/v1/recommendations", json=body).get_json()) == []
