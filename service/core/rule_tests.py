"""Merchandisers' tests of the rules, in YAML (rules/tests/*.yaml):

cases:
  - name: NL 70+ gets vitamin D first
    profile: {age: 72, country: NL}       # a contract profile
    basket: []                            # optional
    date: 2026-11-28                      # optional: campaign windows, season
    locale: nl                            # optional
    limit: 5                              # optional
    expect:
      include: [XF-D3K2-TAB]             # these SKUs are in the list
      exclude: [XF-MK4-45MG-CAP]         # these are not
      first: XF-D3K2-TAB                 # this one is at position 1
      positions: {BL-D3K2-TAB: 2}        # exact positions
      categories: [vitamin_d_k2]         # some item of each category is in the list
      reasons: [nl-70-plus-vitamin-d]    # some item shows this rule's reason
      notices: [interaction:vitamin-k-antagonist]   # these notice codes are given
      empty: false                       # the list is (not) empty
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from .errors import DataFileError, DosewiseError, Finding
from .ranking import recommend
from .reference import _display
from .requests import RecommendationRequest
from .snapshot import Snapshot
from .yamlfile import line_of, load_yaml

EXPECTATIONS = {
    "include",
    "exclude",
    "first",
    "positions",
    "categories",
    "reasons",
    "notices",
    "empty",
}


@dataclass
class CaseResult:
    file: str
    line: int
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def rule_test_files(target: Path) -> list[Path]:
    return sorted(target.glob("*.yaml")) if target.is_dir() else [target]


def run_rule_tests(snapshot: Snapshot, files: list[Path], default_day: dt.date) -> list[CaseResult]:
    """Run every case; a file that does not parse or a case that is malformed is a failure."""
    from service.api.schemas import RecommendationRequestSchema  # marshmallow only, no Flask

    schema = RecommendationRequestSchema()
    results = []
    for path in files:
        display = _display(path)
        document = load_yaml(path, display)
        cases = document.get("cases") if isinstance(document, dict) else None
        if not isinstance(cases, list):
            raise DataFileError(
                [Finding(display, 1, "a rule test file needs a list `cases`", code="schema")]
            )
        for i, case in enumerate(cases):
            line = line_of(cases, i)
            name = str(case.get("name", f"case {i + 1}")) if isinstance(case, dict) else str(i)
            result = CaseResult(display, line, name)
            results.append(result)
            if not isinstance(case, dict):
                result.failures.append("a case must be a mapping")
                continue
            unknown = set(case.get("expect") or {}) - EXPECTATIONS
            if unknown:
                result.failures.append(f"unknown expectation(s): {', '.join(sorted(unknown))}")
                continue
            body = {k: case[k] for k in ("profile", "basket", "locale", "limit") if k in case}
            try:
                request = RecommendationRequest.from_dict(schema.load(body))
                day = case.get("date") or default_day
                answer = recommend(snapshot, request, day)
            except ValidationError as exc:
                result.failures.append(f"invalid request: {exc.messages}")
                continue
            except DosewiseError as exc:
                result.failures.append(f"invalid request: {exc.message} {exc.fields}")
                continue
            result.failures.extend(_check(answer, case.get("expect") or {}, snapshot))
    return results


def _check(answer: dict[str, Any], expect: dict[str, Any], snapshot: Snapshot) -> list[str]:
    skus = [item["sku"] for item in answer["items"]]
    shown = ", ".join(skus) or "nothing"
    failures = []
    for sku in expect.get("include", []):
        if sku not in skus:
            failures.append(f"expected {sku} in the list; got {shown}")
    for sku in expect.get("exclude", []):
        if sku in skus:
            failures.append(
                f"expected {sku} not in the list; it is at position {skus.index(sku) + 1}"
            )
    if "first" in expect and (not skus or skus[0] != expect["first"]):
        failures.append(f"expected {expect['first']} first; got {shown}")
    for sku, position in (expect.get("positions") or {}).items():
        actual = skus.index(sku) + 1 if sku in skus else None
        if actual != position:
            failures.append(f"expected {sku} at position {position}; got {actual}")
    categories = {item.get("category") for item in answer["items"]}
    for category in expect.get("categories", []):
        if category not in categories:
            failures.append(f"expected a product of category {category}; got {shown}")
    codes = {r["code"] for item in answer["items"] for r in item["reasons"]}
    for rule_id in expect.get("reasons", []):
        if f"rule:{rule_id}" not in codes:
            failures.append(f"expected an item with the reason of rule {rule_id}")
    notices = {n["code"] for n in answer["notices"]}
    for code in expect.get("notices", []):
        if code not in notices:
            failures.append(f"expected notice {code}; got {', '.join(sorted(notices)) or 'none'}")
    if "empty" in expect and bool(expect["empty"]) != (not skus):
        failures.append(
            f"expected the list {'empty' if expect['empty'] else 'not empty'}; got {shown}"
        )
    return failures
