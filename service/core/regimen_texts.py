"""The regimen texts (rules/reference/regimen_texts.yaml): loaded with the snapshot, checked
for every locale and for disease claims, and written per locale."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataFileError, Finding
from .numbers import localized
from .reference import Reference
from .validation import text_problem
from .vocabulary import LOCALES
from .yamlfile import load_yaml

TEXTS_FILE = "regimen_texts.yaml"
_BUNDLED_TEXTS = Path(__file__).resolve().parents[2] / "rules" / "reference" / TEXTS_FILE

_TEXTS: weakref.WeakKeyDictionary[Reference, dict[str, dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)
REQUIRED_TEXTS = (
    "role",
    "role_ours",  # review 10 U2: a line that serves only our own aims
    "advised",
    "advised_ours",
    "role_extra",
    "amount_part",
    "target_part",
    "limit_part",
    "target_met_already",
    "target_met",
    "target_met_regimen_only",  # review 8b R10
    "target_met_already_close",  # session 13: enough within lists.covered.within
    "target_met_close",
    "target_met_regimen_only_close",
    "target_missed_no_product",
    "target_missed_upper_limit",
    "target_missed_life_stage_cap",
    "target_missed_dose_band",
    "target_missed_warning",  # review 21: a medicine's warning threshold
    "target_missed_past_warning",  # session 18: the advice above it, the closest dose
    "target_missed_past_warning_any",
    "target_missed_budget",
    "target_missed_max_products",
    "target_missed_partly",
    "notice_regimen_infeasible",
    "notice_no_targets",
    "notice_targets_met",
    "notice_targets_met_serum",  # review 23p #2: beside a measured deficiency
    "notice_regimen_partial",
    "notice_regimen_greedy",
    "target_fails_guarantee",  # review s5 S5
    "target_missed_contraindicated",
    "target_missed_one_source",  # session 19: a child's second product (children.py)
    "notice_regimen_infeasible_contraindicated",
    "notice_intake_needs_attention",
    "suggestion_remove",
    "suggestion_reduce",
    "suggestion_add",
    # review s5 S7 (unsuited.py)
    "suggestion_remove_unsuited",
    "suggestion_reduce_pack",  # review 24: a next pack back at the servings taken
    "suggestion_remove_pack",
    "suggestion_pack_because",
    "unsuited_line",
    "unsuited_interaction",
    "unsuited_life_stage",
    "unsuited_life_stage_maximum",
    "unsuited_diet",
    "unsuited_allergy",
    "unsuited_age",
    "unsuited_law",
    "unsuited_not_sellable",  # review 21 P4 (line_notices.LINE_CODES)
)


def texts_path(reference: Reference) -> Path:
    """regimen_texts.yaml next to the reference files the snapshot was loaded from."""
    if reference.files:
        return reference.files[0].parent / TEXTS_FILE
    return _BUNDLED_TEXTS


def regimen_texts(reference: Reference) -> dict[str, dict[str, str]]:
    """The checked texts for this reference (loaded once per snapshot)."""
    texts = _TEXTS.get(reference)
    if texts is None:
        texts = load_regimen_texts(texts_path(reference), reference)
        _TEXTS[reference] = texts
    return texts


def check_regimen_texts(reference: Reference) -> list[Finding]:
    """Load-time check for load_snapshot (issue 13, defect 1): the texts are part of the
    snapshot, so a broken file is refused with the rest and the last good set keeps serving,
    instead of failing the first regimen or intake check that needs them."""
    from .regimen_fit import check_regimen_fit  # review 8b R2: scoring.yaml's regimen keys

    try:
        _TEXTS[reference] = load_regimen_texts(texts_path(reference), reference)
    except DataFileError as exc:
        return exc.findings + check_regimen_fit(reference)
    return check_regimen_fit(reference)


def load_regimen_texts(path: Path, reference: Reference) -> dict[str, dict[str, str]]:
    """Load and check: every key, every locale, no disease claim; DataFileError otherwise."""
    display = str(path)
    document = load_yaml(path, display)
    findings = []
    if not isinstance(document, dict) or not isinstance(document.get("source"), str):
        findings.append(Finding(display, 1, "needs a top-level `source:` text", code="schema"))
    texts = document.get("texts") if isinstance(document, dict) else None
    if not isinstance(texts, dict):
        raise DataFileError([*findings, Finding(display, 1, "needs `texts:`", code="schema")])
    for key in REQUIRED_TEXTS:
        if key not in texts:
            findings.append(Finding(display, 1, f"missing text {key!r}", code="missing_text"))
    out: dict[str, dict[str, str]] = {}
    for key, entry in texts.items():
        line = texts.line_of(key) if hasattr(texts, "line_of") else 1
        if not isinstance(entry, dict) or set(entry) != set(LOCALES):
            findings.append(
                Finding(display, line, f"{key}: needs exactly {', '.join(LOCALES)}", code="locale")
            )
            continue
        for locale, text in entry.items():
            if not isinstance(text, str) or not text:
                findings.append(Finding(display, line, f"{key} ({locale}): empty", code="schema"))
            elif problem := text_problem(text):
                findings.append(
                    Finding(display, line, f"{key} ({locale}): {problem}", code="schema")
                )
            elif pattern := reference.forbidden_match(text):
                findings.append(
                    Finding(
                        display,
                        line,
                        f"{key} ({locale}) matches forbidden disease-claim pattern {pattern!r}",
                        code="forbidden_claim",
                    )
                )
        out[key] = {locale: str(text) for locale, text in entry.items()}
    if findings:
        raise DataFileError(findings)
    return out


class TextWriter:
    """Texts for one locale: regimen texts, reference texts and nutrient names."""

    def __init__(self, reference: Reference, locale: str) -> None:
        self.reference = reference
        self.locale = locale
        self.texts = regimen_texts(reference)

    def __call__(self, key: str, **values: Any) -> str:
        return self.texts[key][self.locale].format(**localized(values, self.locale))

    def advised(self, authority: str | None, ours: bool) -> str:
        """How a target text names the amount ({advised}): our own aim (`advised_ours`, review
        s10 U2), an authority's with a word of its own (`advised_<authority>`: the DGE's total
        for food and supplements together is no supplement dose, review s33a F1), else the
        advised one."""
        return self("advised_ours" if ours else self.own_text("advised", authority))

    def missed_note(self, authority: str | None) -> str:
        """What a missed target of `authority` adds (`missed_note_<authority>`: food gives part
        of the DGE's total, review s33c 3), with its leading space; "" for none."""
        key = self.own_text("missed_note", authority)
        return " " + self(key) if key in self.texts else ""

    def own_text(self, key: str, authority: str | None) -> str:
        """`key_<authority>` where the texts give `authority` words of their own, else `key`."""
        own = f"{key}_{authority}"
        return own if own in self.texts else key

    def name(self, key: str) -> str:
        return self.reference.nutrients.name(key, self.locale)

    def given(self, key: str, products: Iterable[dict[str, str]]) -> str:
        """Nutrient `key` as the products (their `vitamin_sources`; {} for a line without a
        SKU) give it: each form by its own name where it has one, as an item's reason names
        it ("folic acid and folate (as L-methylfolate)", review s29a F7), the plain name first."""
        plain, names = self.name(key), []
        for sources in products:
            name = self.reference.product_nutrient(sources, key, self.locale)
            if name not in names:
                names.append(name)
        names.sort(key=lambda name: name != plain)
        return self.listed(names) if names else plain

    def listed(self, items: Iterable[str]) -> str:
        return self.reference.listed(items, self.locale)

    def unit(self, key: str) -> str:
        return self.reference.nutrients.units[key]

    def amount(self, key: str, amount: float, sources: dict[str, str] | None = None) -> str:
        """The amount part of a text, the nutrient as the product (`sources`) gives it."""
        values = self.reference.nutrients.text_values(key, self.locale, amount=amount)
        if sources is not None:
            values["nutrient"] = self.reference.product_nutrient(sources, key, self.locale)
        return self("amount_part", **values)

    def limits(self, keys: list[str], limits: np.ndarray) -> str:
        nutrients = self.reference.nutrients
        return self.listed(
            self("limit_part", **nutrients.text_values(k, self.locale, upper_limit=v))
            for k, v in zip(keys, limits, strict=True)
        )
