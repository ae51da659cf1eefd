"""`dosewise rules lint`: health-claim wording that is not authorised (rules/lint/
health_wording.yaml), judged on word stems per locale."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .catalog import Catalog
from .errors import DataFileError, Finding
from .lint_locate import Locator
from .reference import Reference, _display
from .rules import RuleSet
from .snapshot import DataPaths
from .yamlfile import load_yaml

HEALTH_WORDING = "lint/health_wording.yaml"  # under the rules folder
WORD = re.compile(r"[^\W\d_][^\W\d_-]*(?:-[^\W\d_]+)*")


@dataclass(frozen=True)
class _HealthWording:
    terms: dict[str, tuple[str, ...]]
    frame: dict[str, frozenset[str]]
    ignore: dict[str, tuple[str, ...]]


def health_wording(paths: DataPaths) -> _HealthWording:
    """rules/lint/health_wording.yaml; DataFileError with file and line when it is broken (a
    broken one read as empty, and lint flagged "einer" and "producten", review 21 L6)."""
    path = paths.rules / HEALTH_WORDING
    data = load_yaml(path, _display(path))
    parts = ("terms", "frame", "ignore")
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k) or {}, dict)
        and all(isinstance(v, list) for v in (data.get(k) or {}).values())
        for k in parts
    ):
        message = "needs `terms`, `frame` and `ignore`, each per locale a list of words"
        raise DataFileError([Finding(_display(path), 1, message, code="schema")])
    return _HealthWording(
        {k: tuple(w.lower() for w in v) for k, v in (data.get("terms") or {}).items()},
        {k: frozenset(w.lower() for w in v) for k, v in (data.get("frame") or {}).items()},
        {k: tuple(v) for k, v in (data.get("ignore") or {}).items()},
    )


def _stems(text: str, wording: _HealthWording, locale: str, nutrient_words: set[str]) -> set[str]:
    """Five-letter stems of the words of an authorised claim that name a body function."""
    frame = wording.frame.get(locale, frozenset())
    return {
        w[:5]
        for w in (x.lower() for x in WORD.findall(text))
        if len(w) >= 5 and w not in frame and w not in nutrient_words
    }


def claim_wording(
    rules: RuleSet,
    reference: Reference,
    catalog: Catalog,
    wording: _HealthWording,
    locator: Locator,
) -> list[Finding]:
    """A reason that says anything health-like must say it in authorised wording only
    (Reg. 1924/2006 art. 10): with the authorised texts taken out, no word of a body function
    named in claims.yaml and no health verb or noun of rules/lint/health_wording.yaml may
    remain. The hint offers the authorised text, of the claims on the nutrients the rule's
    products contain, closest to what the reason says."""
    out = []
    keys = reference.nutrients.keys
    claims = list(reference.claims.values())
    for rule in rules.rules:
        present = {
            keys[c] for c in np.flatnonzero(catalog.nutrients_per_day[rule.mask].sum(axis=0) > 0)
        }
        fitting = [c for c in claims if present & set(c.nutrients)]
        for locale, text in (rule.reason or {}).items():
            nutrient_words = {
                w.lower() for k in keys for w in WORD.findall(reference.nutrients.name(k, locale))
            }
            body = {
                s for c in claims for s in _stems(c.text[locale], wording, locale, nutrient_words)
            }
            rest = _normalise(text)
            made = []
            for claim in claims:
                for wording_ in _register_entries(claim.text[locale], locale):
                    if wording_ in rest:
                        made.append(claim)
                        rest = rest.replace(wording_, " ")
            # art. 10(3): a reference to what an authorised claim made here is about ("if
            # your bones matter to you: <bone claim>") may accompany it
            accompanied = {
                s for c in made for s in _stems(c.text[locale], wording, locale, nutrient_words)
            }
            for phrase in wording.ignore.get(locale, ()):
                rest = rest.replace(phrase.lower(), " ")
            words = [w.lower() for w in WORD.findall(rest)]
            terms = wording.terms.get(locale, ())
            flagged = [
                w
                for w in words
                if w not in nutrient_words
                and w[:5] not in accompanied
                and ((len(w) >= 5 and w[:5] in body) or any(w.startswith(t) for t in terms))
            ]
            if not flagged:
                continue
            out.append(
                Finding(
                    rule.file,
                    locator.line_of(rule, ["reason", locale]) or rule.line,
                    f"reason ({locale}) says {', '.join(repr(w) for w in dict.fromkeys(flagged))}"
                    ": health wording outside an authorised claim (Reg. 1924/2006 art. 10: only "
                    "authorised health claims may be made)",
                    locator.column_of(rule, ["reason", locale]),
                    "claim-wording",
                    rule.id,
                    "error",  # guarantee 7: refused at load too (review s43c 3)
                    _claim_hint(text, locale, fitting, claims, wording, nutrient_words),
                )
            )
    return out


def _claim_hint(
    text: str,
    locale: str,
    fitting: list,
    claims: list,
    wording: _HealthWording,
    nutrient_words: set[str],
) -> str:
    if not fitting:
        return "no authorised claim fits the rule's products: remove the health wording"
    said = _stems(text, wording, locale, nutrient_words)

    def closeness(claim) -> tuple[int, float]:
        theirs = _stems(claim.text[locale], wording, locale, nutrient_words)
        ratio = difflib.SequenceMatcher(None, text.lower(), claim.text[locale].lower()).ratio()
        return len(said & theirs), ratio

    best = max(fitting, key=closeness)
    return f"use: {best.text[locale]!r}"


JOINED = {"en": " and ", "de": " und ", "nl": " en "}


def _register_entries(text: str, locale: str) -> list[str]:
    """An authorised text, and its first register entry when claims.yaml joins two with "and"
    ("Calcium is needed for the maintenance of normal bones [and teeth]")."""
    whole = _normalise(text)
    joined = JOINED.get(locale)
    if joined and joined in whole:
        return [whole, whole.split(joined, 1)[0]]
    return [whole]


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().rstrip(".").lower())


def display(path: Path) -> str:
    return _display(path)
