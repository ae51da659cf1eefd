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
from dataclasses import dataclass, field
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
    # nutrient -> the least a line gives a day to count as a product of it (not a trace)
    nutrients: dict[str, float] = field(default_factory=dict)
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
    if not isinstance(nutrients, dict) or not all(
        n in keys and _amount(v) for n, v in nutrients.items()
    ):
        message = "one_source.nutrients: nutrient key -> the least amount a day that counts"
        problems.append((node, "nutrients", message))
        nutrients = {}
    low, high = node.get("min_age", 0), node.get("max_age")
    ages = (0, -1)
    if _whole(low) and _whole(high):
        ages = (int(low), int(high))
    else:
        problems.append((node, "max_age", "one_source: min_age and max_age are whole years"))
    if not isinstance(node.get("source"), str):
        problems.append((node, "source", "one_source needs a `source` note"))
    least = {str(n): float(v) for n, v in nutrients.items()}
    return OneSource(least, *ages), problems


def _amount(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


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
    known = _CONFIGS.get(reference)
    if known is None:
        from .advice_config import _directory  # noqa: PLC0415 (advice_config imports this module's users)

        path = _directory(reference) / "scoring.yaml"
        doc = load_yaml(path, str(path))
        known, problems = parse_one_source(doc, reference.nutrients.keys)
        if problems:
            raise DataFileError(one_source_findings(doc, reference.nutrients.keys, str(path)))
        _CONFIGS[reference] = known
    return known


def sourced_columns(ev: Evaluation, besides: str | None = None) -> dict[int, float]:
    """{column: amount a day} of the entry's nutrients that lines taken or in the basket that
    suit the child give (not one it must stop: a fish-oil D3 with a fish allergy, a product not
    for its age or diet, one an interaction excludes), each at least the entry's amount (not a
    trace), for a profile of its ages, except a doctor's dose (the doctor decides how it is
    taken); empty for everyone else. `besides`: not counting lines of that SKU (the product on
    the page, whose alternatives would replace it)."""
    return _sources(ev, besides)[0]


def _sources(
    ev: Evaluation, besides: str | None = None
) -> tuple[dict[int, float], dict[int, list[int]]]:
    """(`sourced_columns`, {column: the indices of `ev.resolved` that give it}); once per
    evaluation without `besides`."""
    known = ev.memo.get("one_source") if besides is None else None
    if known is not None:
        return known
    config = one_source(ev.snapshot.reference)
    amounts: dict[int, float] = {}
    lines: dict[int, list[int]] = {}
    if config.nutrients and config.min_age <= ev.profile.age <= config.max_age:
        from .advice import advice_of  # noqa: PLC0415 (advice imports this module)
        from .line_notices import conflicting, unsuited_taken  # noqa: PLC0415

        unsuited, doctor = unsuited_taken(ev), advice_of(ev).doctor
        keys = ev.snapshot.reference.nutrients.keys
        for i, line in enumerate(ev.resolved):
            page = besides is not None and line.sku == besides  # never a label line (19c F1)
            if i in unsuited or page or conflicting(ev, line.amounts):
                continue
            for nutrient, least in config.nutrients.items():
                column = keys.index(nutrient)
                if line.amounts[column] >= least and column not in doctor:
                    amounts[column] = amounts.get(column, 0.0) + float(line.amounts[column])
                    lines.setdefault(column, []).append(i)
    if besides is None:
        ev.memo["one_source"] = amounts, lines
    return amounts, lines


def two_sources(ev: Evaluation) -> dict[int, tuple[list[int], list[str]]]:
    """{column: (the lines, their names as the intake check's `skus` give them: the SKU, else
    the label, else the path)} where two or more different products taken or in the basket
    that suit the child give the nutrient (the next pack of one is no second)."""
    out = {}
    for column, found in sorted(_sources(ev)[1].items()):
        resolved = [ev.resolved[i] for i in found]
        skus = list(dict.fromkeys(r.sku or r.line.label or r.path for r in resolved))
        if len(skus) >= 2:
            out[column] = (found, skus)
    return out


def two_sources_warnings(ev: Evaluation, locale: str) -> list[dict[str, Any]]:
    """`two_sources:<nutrient>` (`two_sources`; review 19b F6: a 4-year-old's drops and a gummy
    in the basket passed the intake check, and the cart called the 20 µg "enough"): keep one of
    them."""
    found = two_sources(ev)
    if not found:
        return []
    from .advice_texts import line_names  # noqa: PLC0415 (advice_texts imports this module)

    reference = ev.snapshot.reference
    out = []
    for column, (lines, skus) in found.items():
        key = reference.nutrients.keys[column]
        values = reference.nutrients.text_values(key, locale)
        names = line_names(ev, tuple(lines), locale)
        text = reference.text("warning_two_sources", locale, **values, names=names)
        out.append({"code": f"two_sources:{key}", "text": text, "skus": skus})
    return out


def second_sources(ev: Evaluation, besides: str | None = None) -> np.ndarray:
    """Products that would be a second source of such a nutrient (`besides`: as above); not
    one that alone reaches the advice that what is taken falls short of (re-review 19c F5: a
    3-year-old's omega-3 chew with 5 µg kept the Gezondheidsraad's 10 µg drops out; one
    product in its place is the pharmacist's answer, and the list offers it). Once per
    evaluation without `besides`."""
    known = ev.memo.get("one_source_mask") if besides is None else None
    if known is not None:
        return known
    per_day = ev.snapshot.catalog.nutrients_per_day
    out = np.zeros(len(per_day), dtype=bool)
    for column, taken in sourced_columns(ev, besides).items():
        gives = per_day[:, column]
        target = float(ev.targets[column]) * (1 - ev.offer.enough_share[column])
        short = target > 0 and above(target, taken)
        reaches = gives >= target if short else np.zeros(len(gives), dtype=bool)
        out |= (gives > 0) & ~reaches
    if besides is None:
        ev.memo["one_source_mask"] = out
    return out


def one_source_notices(ev: Evaluation, locale: str, phrase: Any) -> list[dict[str, str]]:
    """`one_source:<nutrient>` where a product that suits the child would otherwise be offered
    for a need (an advice or a goal) and what is taken is not enough (where it is,
    `already_covered` says so): with the advice quoted (`phrase(ev, column, locale)`,
    advice_texts.advice_phrase) and whom to ask about a higher dose where the advice is not
    reached, else only why there is no second product."""
    columns = sourced_columns(ev)
    if not columns:
        return []
    reference = ev.snapshot.reference
    covered = set(ev.offer.covered)
    per_day = ev.snapshot.catalog.nutrients_per_day
    offered = ev.safety.allowed() & ev.offer.need
    second = second_sources(ev)
    notices = []
    for column, taken in sorted(columns.items()):
        gives = offered & (per_day[:, column] > 0)
        # kept out by the rule, and no product that alone reaches the advice offered instead
        if column in covered or not (gives & second).any() or (gives & ~second).any():
            continue
        key = reference.nutrients.keys[column]
        values = reference.nutrients.text_values(key, locale, taken=taken)
        target = float(ev.targets[column])
        if np.isnan(target) or not above(target, taken):
            text = reference.text("notice_one_source_plain", locale, **values)
        else:
            advice = phrase(ev, column, locale)
            text = reference.text("notice_one_source", locale, **values, advice=advice)
        notices.append({"code": f"one_source:{key}", "text": text})
    return notices


def one_source_no_items(ev: Evaluation, locale: str, phrase: Any) -> dict[str, str] | None:
    """`no_items` of a list left empty by the rule: names the nutrients of its `one_source`
    notices (`notice_no_items_one_source`); None where the rule kept nothing out."""
    one = one_source_notices(ev, locale, phrase)
    if not one:
        return None
    reference = ev.snapshot.reference
    names = [reference.nutrients.name(n["code"].split(":", 1)[1], locale) for n in one]
    nutrients = reference.listed(names, locale)
    text = reference.text("notice_no_items_one_source", locale, nutrients=nutrients)
    return {"code": "no_items", "text": text}


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
