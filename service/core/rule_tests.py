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
      exclude: [XF-K2-MK4-45MG-CAP]      # these are not
      first: XF-D3K2-TAB                 # this one is at position 1
      positions: {BL-D3K2-TAB: 2}        # exact positions
      categories: [vitamin_d_k2]         # some item of each category is in the list
      reasons: [nl-70-plus-vitamin-d]    # some item shows this rule's reason
      notices: [interaction:vitamin-k-antagonist]   # these notice codes are given
      empty: false                       # the list is (not) empty
      # pharmacist's review (issue 10): nutrient roles are nutrient keys without the unit
      # (vitamin_d, vitamin_b12, folic_acid) or a prefix of them (vitamin_k: K1 and K2)
      roles: [vitamin_d]                 # some item carries each of these nutrients
      exclude_roles: [vitamin_k]         # no item carries any of these
      first_dose: {vitamin_d_ug: [10, 25]}   # the first item gives an amount in this band
      max_dose: {vitamin_d_ug: 25}       # no item gives more than this a day
      reason_codes: [fills_gap:vitamin_d_ug]  # some item shows a reason with this code
      no_notices: [no_advice]            # these notice codes are not given
      texts_exclude: [Gezondheidsraad]   # no reason text contains this (any case)
      max_items: 3                       # the list has at most this many items
      advice: {vitamin_d_ug: 10}         # POST /v1/regimens has this target (null: none)

A case whose fields do not have these shapes (`date: 28-11-2026`, `first_dose: {vitamin_d_ug:
20}`, `include: SKU` without a list), that has an unknown key, or that expects nothing, fails
with a line naming the field, before it runs.

Every case also checks guarantee 11 (every item shown has at least one reason) and that no
item shows the same reason text twice.

A case may say `needs: <what>` (for example data another branch adds): when it fails it is
reported as PENDING with that note and does not fail the run; when it passes it is a PASS.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from .errors import DataFileError, DosewiseError, Finding
from .ranking import recommend
from .reference import _display
from .requests import RecommendationRequest
from .snapshot import Snapshot
from .vocabulary import DEFAULT_LOCALE
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
    "roles",
    "exclude_roles",
    "first_dose",
    "max_dose",
    "reason_codes",
    "no_notices",
    "texts_exclude",
    "max_items",
    "advice",
}
CASE_KEYS = ("name", "profile", "basket", "date", "locale", "limit", "needs", "expect")
# expectations that are lists of names (SKUs, categories, rule ids, codes, roles, texts)
_NAME_LISTS = {
    "include",
    "exclude",
    "categories",
    "reasons",
    "notices",
    "roles",
    "exclude_roles",
    "reason_codes",
    "no_notices",
    "texts_exclude",
}


@dataclass
class CaseResult:
    file: str
    line: int
    name: str
    failures: list[str] = field(default_factory=list)
    needs: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def pending(self) -> bool:
        """Failed, but the case says it needs something not there yet."""
        return bool(self.failures) and self.needs is not None

    @property
    def mark(self) -> str:
        return "PASS" if self.passed else "PENDING" if self.pending else "FAIL"


def rule_test_files(target: Path) -> list[Path]:
    return sorted(target.glob("*.yaml")) if target.is_dir() else [target]


def run_rule_tests(
    snapshot: Snapshot,
    files: list[Path],
    default_day: dt.date,
    rules_dir: Path | None = None,
    *,
    parse: Callable[[dict[str, Any]], RecommendationRequest],
) -> list[CaseResult]:
    """Run every case; a file that does not parse or a case that is malformed is a failure.

    `parse` validates a case's request body as the API does (the contract's
    `RecommendationRequestSchema().load`; a marshmallow ValidationError fails the case).
    `rules_dir` (the merchandising folder the snapshot was loaded from) is named when a case
    expects the reason of a rule that does not exist there."""
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
            if case.get("needs") is not None:
                result.needs = str(case["needs"])
            refusals = _malformed(case, snapshot.reference.nutrients.keys)
            if refusals:
                result.failures.extend(refusals)
                continue
            body = {k: case[k] for k in ("profile", "basket", "locale", "limit") if k in case}
            try:
                request = parse(body)
                day = _day(case.get("date")) or default_day
                answer = recommend(snapshot, request, day)
            except ValidationError as exc:
                result.failures.append(f"invalid request: {exc.messages}")
                continue
            except DosewiseError as exc:
                result.failures.append(f"invalid request: {exc.message} {exc.fields}")
                continue
            expect = case.get("expect") or {}
            result.failures.extend(_check(answer, expect, snapshot, rules_dir))
            if "advice" in expect:
                result.failures.extend(_check_advice(snapshot, body, day, expect["advice"]))
    return results


def _malformed(case: dict[str, Any], nutrient_keys: tuple[str, ...]) -> list[str]:
    """Why a case cannot run as written: a field of the wrong shape, an unknown key, or nothing
    expected. Session 18 review F1: `date: 28-11-2026` (a string) and `first_dose:
    {vitamin_d_ug: 20}` (no band) crashed the run with a traceback, and a case without
    `expect:` (or with `expct:`) passed while checking nothing."""
    problems = []
    unknown = [f"{k}{_hint(str(k), CASE_KEYS)}" for k in case if k not in CASE_KEYS]
    if unknown:
        problems.append(f"unknown case key(s): {', '.join(unknown)}")
    if case.get("date") is not None and _day(case["date"]) is None:
        problems.append(
            f"`date` must be a day written YYYY-MM-DD (e.g. 2026-11-28), not {case['date']!r}"
        )
    expect = case.get("expect")
    if not expect:
        problems.append(
            "the case checks nothing: give `expect:` with at least one expectation "
            "(see `dosewise rules test --help`)"
        )
        return problems
    if not isinstance(expect, dict):
        return [*problems, f"`expect` must be a mapping of expectations, not {expect!r}"]
    unknown = sorted(str(k) for k in expect if k not in EXPECTATIONS)
    if unknown:
        named = ", ".join(f"{k}{_hint(k, sorted(EXPECTATIONS))}" for k in unknown)
        problems.append(f"unknown expectation(s): {named}")
    for key, value in expect.items():
        problems.extend(_shape(str(key), value, nutrient_keys))
    return problems


def _shape(key: str, value: Any, nutrient_keys: tuple[str, ...]) -> list[str]:
    """What is wrong with one expectation's value (nothing for an unknown one: named above)."""
    if key in _NAME_LISTS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return [f"`{key}` must be a list of names ({key}: [a, b]), not {value!r}"]
    elif key == "first" and not isinstance(value, str):
        return [f"`first` must be one SKU, not {value!r}"]
    elif key == "empty" and not isinstance(value, bool):
        return [f"`empty` must be true or false, not {value!r}"]
    elif key == "max_items" and not _whole(value, 0):
        return [f"`max_items` must be a whole number (0 or more), not {value!r}"]
    elif key == "positions":
        if not isinstance(value, dict):
            return [f"`positions` must map SKUs to positions ({{SKU: 2}}), not {value!r}"]
        return [
            f"`positions` of {sku} must be a whole number (a position from 1), not {at!r}"
            for sku, at in value.items()
            if not _whole(at, 1)
        ]
    elif key in ("first_dose", "max_dose", "advice"):
        example = {"first_dose": "[10, 25]", "max_dose": "25", "advice": "10"}[key]
        if not isinstance(value, dict):
            return [f"`{key}` must be a mapping of nutrient keys, e.g. {{vitamin_d_ug: {example}}}"]
        problems = [
            f"`{key}`: unknown nutrient key {k!r}{_hint(str(k), nutrient_keys)}"
            for k in value
            if k not in nutrient_keys
        ]
        for nutrient, amount in value.items():
            if key == "first_dose" and not (
                isinstance(amount, list)
                and len(amount) == 2
                and all(_number(a) for a in amount)
                and amount[0] <= amount[1]
            ):
                problems.append(
                    f"`first_dose` of {nutrient} must be a band [low, high] with low <= high "
                    f"(e.g. [10, 25]), not {amount!r}"
                )
            elif key == "max_dose" and not _number(amount):
                problems.append(f"`max_dose` of {nutrient} must be a number, not {amount!r}")
            elif key == "advice" and amount is not None and not _number(amount):
                problems.append(f"`advice` of {nutrient} must be a number or null, not {amount!r}")
        return problems
    return []


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _day(value: Any) -> dt.date | None:
    """A case's `date` as a day (YAML reads 2026-11-28 as one; a time of day is dropped)."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _hint(word: str, known: Any) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_advice(snapshot: Snapshot, body: dict[str, Any], day: dt.date, advice: Any) -> list[str]:
    """The regimen's targets (one advice for lists and regimens)."""
    from .regimen import formulate_regimen

    if not isinstance(advice, dict):
        return ["`advice` must map nutrient keys to an amount or null"]
    regimen = formulate_regimen(
        snapshot, {"profile": body["profile"], "locale": body.get("locale", DEFAULT_LOCALE)}, day
    )
    failures = []
    for key, amount in advice.items():
        actual = (regimen["targets"].get(key) or {}).get("target")
        if amount is None and actual is not None:
            failures.append(f"expected no advice for {key}; the regimen has {actual}")
        elif amount is not None and (actual is None or abs(float(actual) - float(amount)) > 1e-6):
            failures.append(f"expected an advice of {amount} for {key}; the regimen has {actual}")
    return failures


def _carries(item: dict[str, Any], role: str) -> bool:
    return any(
        key.startswith(role) and amount > 0 for key, amount in item["nutrients_per_day"].items()
    )


def _check(
    answer: dict[str, Any],
    expect: dict[str, Any],
    snapshot: Snapshot,
    rules_dir: Path | None = None,
) -> list[str]:
    items = answer["items"]
    skus = [item["sku"] for item in items]
    shown = ", ".join(skus) or "nothing"
    failures = [
        f"{item['sku']} (position {n}) is shown without a reason (guarantee 11)"
        for n, item in enumerate(items, 1)
        if not item["reasons"]
    ]
    for n, item in enumerate(items, 1):
        texts = [r["text"] for r in item["reasons"]]
        if len(set(texts)) != len(texts):
            failures.append(f"{item['sku']} (position {n}) shows a reason text twice")
    known_rules = {rule.id for rule in snapshot.rules.rules}
    where = f" in {rules_dir}" if rules_dir is not None else ""
    for rule_id in expect.get("reasons", []):
        if rule_id not in known_rules:
            failures.append(
                f"rule {rule_id!r} named in `reasons` does not exist in the rules loaded{where}; "
                "give the folder that holds it with --rules"
            )
    # review 19 F6: a SKU the catalog does not hold can never fail an `exclude` and says
    # nothing in an `include`: name it (the shipped case excluded "XF-MK4-45MG-CAP")
    named = [
        *expect.get("include", []),
        *expect.get("exclude", []),
        *(expect.get("positions") or {}),
    ]
    if "first" in expect:
        named.append(expect["first"])
    for sku in dict.fromkeys(named):
        if isinstance(sku, str) and sku not in snapshot.catalog.index:
            failures.append(
                f"{sku} is not a SKU of the catalog{_hint(sku, snapshot.catalog.index)}"
            )
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
        if rule_id in known_rules and f"rule:{rule_id}" not in codes:
            failures.append(f"expected an item with the reason of rule {rule_id}")
    for code in expect.get("reason_codes", []):
        if code not in codes:
            failures.append(
                f"expected an item with a reason {code}; got {', '.join(sorted(codes))}"
            )
    for role in expect.get("roles", []):
        if not any(_carries(item, role) for item in items):
            failures.append(f"expected an item with {role}; got {shown}")
    for role in expect.get("exclude_roles", []):
        for n, item in enumerate(items, 1):
            if _carries(item, role):
                failures.append(f"expected no item with {role}; {item['sku']} at position {n}")
    for key, band in (expect.get("first_dose") or {}).items():
        low, high = band
        amount = items[0]["nutrients_per_day"].get(key) if items else None
        if amount is None or not low <= amount <= high:
            # session 18 review F1: an empty list read "nothing gives None"
            got = (
                f"{skus[0]} gives {'none' if amount is None else amount}"
                if items
                else "the list is empty"
            )
            failures.append(f"expected the first item to give {low}-{high} {key} a day; {got}")
    for key, most in (expect.get("max_dose") or {}).items():
        for n, item in enumerate(items, 1):
            amount = item["nutrients_per_day"].get(key, 0)
            if amount > most:
                failures.append(
                    f"expected at most {most} {key} a day per item; "
                    f"{item['sku']} (position {n}) gives {amount}"
                )
    texts = [r["text"] for item in items for r in item["reasons"]]
    for fragment in expect.get("texts_exclude", []):
        for text in texts:
            if fragment.lower() in text.lower():
                failures.append(f"expected no reason mentioning {fragment!r}; got {text!r}")
    if "max_items" in expect and len(items) > int(expect["max_items"]):
        failures.append(f"expected at most {expect['max_items']} items; got {len(items)}")
    notices = {n["code"] for n in answer["notices"]}
    for code in expect.get("notices", []):
        if code not in notices:
            failures.append(f"expected notice {code}; got {', '.join(sorted(notices)) or 'none'}")
    for code in expect.get("no_notices", []):
        if code in notices:
            failures.append(f"expected no notice {code}")
    if "empty" in expect and bool(expect["empty"]) != (not skus):
        failures.append(
            f"expected the list {'empty' if expect['empty'] else 'not empty'}; got {shown}"
        )
    return failures
