"""What lists hold back and say for children: a child's diet that needs a nutrient
(targets.yaml `child_diet_notices`, R15f), and one product of a nutrient for a child.

One product (scoring.yaml `lists.one_source`, session 19 pharmacist review F2): a German
toddler taking 10 µg vitamin D drops was offered a second bottle of drops (at 3 a gummy, at 6
a chew) to reach the DGE's 20 µg for total intake, by the list, the intake check and the
regimen. Two products of one vitamin for a small child are easily given twice; a pharmacist
gives one product, and where more is advised, one product with a higher dose in its place. A
regimen already held one vitamin D source (`_one_of_membership`), but did not count the one
already taken.

Where the profile's age is in the entry's range and a supplement taken or in the basket gives
one of its nutrients, every other product that gives it is a duplicate for the list (advice.py
`Offer.duplicate`, so the intake check, regimens, placements and refill replacements too), and
`one_source:<nutrient>` says why and whom to ask. What is taken is never called enough."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np

from .amounts import above
from .errors import DataFileError, Finding
from .yamlfile import line_of, load_yaml

if TYPE_CHECKING:
    from .ranking import Evaluation
    from .reference import Reference


@dataclass(frozen=True)
class OneSource:
    nutrients: tuple[str, ...] = ()
    min_age: int = 0
    max_age: int = -1  # no entry: no age applies


def parse_one_source(doc: Any, keys: tuple[str, ...] | list[str]) -> tuple[OneSource, list]:
    """scoring.yaml as loaded -> (OneSource, problems as (node, key, message))."""
    lists = doc.get("lists") if isinstance(doc, dict) else None
    node = lists.get("one_source") if isinstance(lists, dict) else None
    if node is None:
        return OneSource(), []
    if not isinstance(node, dict):
        return OneSource(), [(lists, "one_source", "one_source: needs nutrients, ages, source")]
    problems = []
    nutrients = node.get("nutrients")
    if not isinstance(nutrients, list) or not all(n in keys for n in nutrients):
        problems.append((node, "nutrients", "one_source.nutrients: a list of nutrient keys"))
        nutrients = []
    low, high = node.get("min_age", 0), node.get("max_age")
    ages = (0, -1)
    if _whole(low) and _whole(high):
        ages = (int(low), int(high))
    else:
        problems.append((node, "max_age", "one_source: min_age and max_age are whole years"))
    if not isinstance(node.get("source"), str):
        problems.append((node, "source", "one_source needs a `source` note"))
    return OneSource(tuple(str(n) for n in nutrients), *ages), problems


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def one_source_findings(doc: Any, keys: tuple[str, ...], file: str) -> list[Finding]:
    """Load-time check (reference_load.py)."""
    return [
        Finding(file, line_of(node, key), message, code="one_source")
        for node, key, message in parse_one_source(doc, keys)[1]
    ]


_CONFIGS: weakref.WeakKeyDictionary[Any, OneSource] = weakref.WeakKeyDictionary()


def one_source(reference: Reference) -> OneSource:
    """The entry of the reference's scoring.yaml (read once per reference; checked at load)."""
    from .advice_config import _directory  # noqa: PLC0415 (advice_config imports this module's users)

    known = _CONFIGS.get(reference)
    if known is None:
        path = _directory(reference) / "scoring.yaml"
        doc = load_yaml(path, str(path))
        known, problems = parse_one_source(doc, reference.nutrients.keys)
        if problems:
            raise DataFileError(one_source_findings(doc, reference.nutrients.keys, str(path)))
        _CONFIGS[reference] = known
    return known


def sourced_columns(ev: Evaluation) -> list[int]:
    """The entry's nutrient columns a line taken or in the basket gives, for a profile of its
    ages; empty for everyone else."""
    config = one_source(ev.snapshot.reference)
    if not config.nutrients or not config.min_age <= ev.profile.age <= config.max_age:
        return []
    keys = ev.snapshot.reference.nutrients.keys
    return [keys.index(n) for n in config.nutrients if ev.intake_present[keys.index(n)]]


def second_sources(ev: Evaluation) -> np.ndarray:
    """Products that would be a second source of such a nutrient."""
    columns = sourced_columns(ev)
    per_day = ev.snapshot.catalog.nutrients_per_day
    if not columns:
        return np.zeros(len(per_day), dtype=bool)
    return np.asarray((per_day[:, columns] > 0).any(axis=1))


def one_source_notices(ev: Evaluation, locale: str, phrase: Any) -> list[dict[str, str]]:
    """`one_source:<nutrient>` where the advice is not reached by what is taken (where it is,
    `already_covered` says so) and some product that suits the child would otherwise add it;
    `phrase(ev, column, locale)` quotes the advice (advice_texts.advice_phrase)."""
    columns = sourced_columns(ev)
    if not columns:
        return []
    reference = ev.snapshot.reference
    covered = set(ev.offer.covered)
    per_day = ev.snapshot.catalog.nutrients_per_day
    notices = []
    for column in columns:
        target = float(ev.targets[column])
        if column in covered or np.isnan(target) or not above(target, ev.intake[column]):
            continue
        if not (ev.safety.allowed() & (per_day[:, column] > 0)).any():
            continue
        key = reference.nutrients.keys[column]
        values = reference.nutrients.text_values(key, locale, taken=float(ev.intake[column]))
        advice = phrase(ev, column, locale)
        text = reference.text("notice_one_source", locale, **values, advice=advice)
        notices.append({"code": f"one_source:{key}", "text": text})
    return notices


def child_diet_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`diet_child:<id>` (R15f): a child on a diet that needs a nutrient (a vegan child,
    vitamin B12) hears so, and that a doctor or dietitian should guide it; the `text_none`
    variant where no product giving the nutrient is safe for the child."""
    reference, profile = ev.snapshot.reference, ev.profile
    notices = []
    for notice in ev.offer.config.child_diet_notices:
        if not notice.applies(profile.diet, profile.age):
            continue
        column = reference.nutrients.keys.index(notice.nutrient)
        gives = ev.snapshot.catalog.nutrients_per_day[:, column] > 0
        key = notice.text if (gives & ev.safety.allowed()).any() else notice.text_none
        notices.append({"code": f"diet_child:{notice.id}", "text": reference.text(key, locale)})
    return notices
