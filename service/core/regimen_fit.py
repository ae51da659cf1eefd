"""The nutrients whose overshoot a regimen counts (regimen_problem.py, stage 2): the list's
scoring.yaml `dose_fit.nutrients` and the regimen's own `dose_fit.regimen_nutrients`."""

from __future__ import annotations

import weakref
from pathlib import Path

import numpy as np

from .advice_config import advice_config
from .errors import DataFileError, Finding
from .reference import Reference
from .yamlfile import line_of, load_yaml

_FIT: weakref.WeakKeyDictionary[Reference, np.ndarray] = weakref.WeakKeyDictionary()


def regimen_fit_columns(reference: Reference) -> np.ndarray:
    """(nutrients,) booleans: the nutrients whose overshoot a regimen counts, the list's
    `dose_fit.nutrients` and the regimen's own `dose_fit.regimen_nutrients` (scoring.yaml;
    review 8b R2: 250 mg magnesium for a 150 mg aim is the whole supplement upper limit).
    Loaded once per snapshot; DataFileError with file and line on an unknown nutrient."""
    columns = _FIT.get(reference)
    if columns is None:
        columns = _FIT[reference] = load_regimen_fit(reference)
    return columns


def check_regimen_fit(reference: Reference) -> list[Finding]:
    """Load-time check (regimen_texts.check_regimen_texts): the regimen's dose_fit keys parse."""
    try:
        _FIT[reference] = load_regimen_fit(reference)
    except DataFileError as exc:
        return exc.findings
    return []


def load_regimen_fit(reference: Reference) -> np.ndarray:
    keys = reference.nutrients.keys
    columns = np.array(advice_config(reference).fit_columns, dtype=bool)
    directory = (
        reference.files[0].parent
        if reference.files
        else Path(__file__).resolve().parents[2] / "rules" / "reference"
    )
    display = str(directory / "scoring.yaml")
    document = load_yaml(directory / "scoring.yaml", display)
    fit = document.get("dose_fit") if isinstance(document, dict) else None
    extra = fit.get("regimen_nutrients") if isinstance(fit, dict) else None
    messages = []
    if extra is not None and not isinstance(extra, list):
        messages.append("dose_fit.regimen_nutrients: a list of nutrient keys")
    elif extra and not isinstance(fit.get("regimen_source"), str):  # type: ignore[union-attr]
        messages.append("dose_fit.regimen_nutrients needs a `regimen_source` note")
    for key in extra if isinstance(extra, list) else ():
        if key in keys:
            columns[keys.index(key)] = True
        else:
            messages.append(f"dose_fit.regimen_nutrients: unknown nutrient {key!r}")
    if messages:
        line = line_of(fit, "regimen_nutrients")
        raise DataFileError([Finding(display, line, m, code="advice") for m in messages])
    columns.flags.writeable = False
    return columns
