"""Filters on an item's reasons (reason_texts.item_reasons): no sentence said twice, and no
text that quotes a banded nutrient's amount far below what the product gives (guarantee 10)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ranking import Evaluation


_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+")  # a colon too: "If ...: <a claim>." (s32a F7)


@lru_cache(maxsize=8192)  # texts repeat across items and profiles (perf, issue 16)
def _sentences(text: str) -> frozenset[str]:
    return frozenset(" ".join(p.lower().split()) for p in _SENTENCE_END.split(text) if p.strip())


def says_something(text: str) -> bool:
    """The text has a sentence (what `without_repeated_sentences` keeps a reason for)."""
    return bool(_sentences(text))


def without_repeated_sentences(reasons: list[dict[str, str]]) -> list[dict[str, str]]:
    """Drop a reason whose every sentence another reason on the item already says (a rule's
    text quotes the claim that the claim reason repeats: "Magnesium contributes to normal
    muscle function." twice). Longer reasons are kept first; the order shown stays as given."""
    if len(reasons) < 2:  # one reason: kept where it says anything (what the passes give)
        return [r for r in reasons if _sentences(r["text"])]
    sentences = [_sentences(r["text"]) for r in reasons]
    if sum(map(len, sentences)) == len(frozenset().union(*sentences)):
        # no sentence said twice (most items): the passes below keep each that says anything
        return [r for r, s in zip(reasons, sentences, strict=True) if s]
    said: set[str] = set()
    keep: set[int] = set()
    for i in sorted(range(len(reasons)), key=lambda i: (-len(sentences[i]), i)):
        if not sentences[i] <= said:
            keep.add(i)
            said |= sentences[i]
    # then a kept reason that the other kept ones say whole (shortest, latest first)
    for i in sorted(keep, key=lambda i: (len(sentences[i]), -i)):
        others = set().union(*(sentences[j] for j in keep if j != i))
        if sentences[i] <= others:
            keep.discard(i)
    return [r for i, r in enumerate(reasons) if i in keep]


_AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(µg|mg)\b")


def banded_amounts(ev: Evaluation, index: int, locale: str) -> list[tuple[str, str, float]]:
    """(name in locale, unit, amount a day) of each banded nutrient the product carries."""
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    row = ev.snapshot.catalog.nutrients_per_day[index]
    out = []
    for key in ev.offer.config.banded:
        amount = float(row[keys.index(key)])
        if amount > 0:
            name = reference.nutrients.name(key, locale)
            out.append((name.lower(), reference.nutrients.units[key], amount))
    return out


def quotes_far_below(text: str, quoted: list[tuple[str, str, float]], factor: float) -> bool:
    """A text that names a nutrient with amounts ("advises 20 µg of vitamin D") while the
    product gives more than `factor` x the largest of them: never shown (guarantee 10), even
    where a serum level or a doctor justifies the dose (that reason says so instead)."""
    if not quoted:
        return False
    lowered, found = _amounts_in(text)
    for name, unit, amount in quoted:
        if name not in lowered:
            continue
        numbers = [n for n, u in found if u == unit]
        if numbers and amount > factor * max(numbers) * (1 + 1e-9):
            return True
    return False


@lru_cache(maxsize=8192)  # a function of the text alone; texts repeat across items and profiles
def _amounts_in(text: str) -> tuple[str, tuple[tuple[float, str], ...]]:
    """`text` lowered, and the (amount, unit) of each amount it quotes, in order."""
    found = tuple((float(n.replace(",", ".")), u) for n, u in _AMOUNT.findall(text))
    return text.lower(), found
