"""Amounts and dosing instructions in a merchandiser's reason text (review s43c 1, unsafe): a
rule's reason "Winter offer on zinc: take 50 mg of zinc a day, two tablets with breakfast"
passed lint, check and the live reload, and was shown on a 10 mg tablet (the adult upper limit
for zinc is 25 mg). What a product gives a day is the catalog's (`nutrients_per_day`), and what
is advised is the reference data's; a reason may quote an amount only where the reference data
states it (an advice or reference intake of targets.yaml, a claim's condition of use of
claims.yaml: "the Health Council advises 10 µg", "250 mg of EPA and DHA"), and never says how
many tablets to take."""

from __future__ import annotations

import re
from functools import lru_cache

from .errors import DataFileError
from .reference import Reference

# an amount with a unit of mass (or vitamin D's international units) as a reader reads it:
# "50 mg", "2,5 µg", "400 IE", "1 g"; not "50 nmol/l" (a measured level) nor "B12"
_AMOUNT = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(mg|µg|μg|ug|mcg|g|iu|ie|i\.e\.)(?![\w/])", re.IGNORECASE
)
_TO_MICROGRAMS = {"µg": 1.0, "μg": 1.0, "ug": 1.0, "mcg": 1.0, "mg": 1e3, "g": 1e6}
# a number of tablets, capsules, drops ... (en, nl, de; "een spray", "ein Spray" are articles):
# how to take a product is its label's
_COUNT = re.compile(
    r"\b(\d+|two|three|four|five|twee|drie|vier|vijf|zwei|drei|"
    r"fünf|half|halve|halbe)\s+(tablets?|capsules?|caps|softgels?|drops|druppels?|lozenges?|"
    r"gummies|gummy|chews?|sprays?|pumps?|scoops?|sachets?|tabletten|tablet|kauwtabletten|"
    r"zuigtabletten|capsule|gummie?s?|tablette|kapseln?|tropfen|lutschtabletten|"
    r"kautabletten|sprühstöße|messlöffel|pillen|pills?)\b",
    re.IGNORECASE,
)


def unstated(text: str, reference: Reference) -> list[str]:
    """What `text` says that fixes a dose the reference data does not: an amount that is no
    advice, reference intake or claim condition of the reference (in micrograms, vitamin D's
    units at 40 to the µg), and every number of tablets, capsules or drops."""
    known = _known(reference)
    out = []
    for match in _AMOUNT.finditer(text):
        number = float(match.group(1).replace(",", "."))
        unit = match.group(2).lower()
        micrograms = number / 40.0 if unit in ("iu", "ie", "i.e.") else None
        if micrograms is None:
            micrograms = number * _TO_MICROGRAMS.get(unit, _TO_MICROGRAMS["µg"])
        if round(micrograms, 3) not in known:
            out.append(match.group(0))
    return out + [m.group(0) for m in _COUNT.finditer(text)]


@lru_cache(maxsize=8)
def _known(reference: Reference) -> frozenset[float]:
    """The amounts (µg a day) the reference data states: each fixed advice of targets.yaml, each
    reference intake, each claim's condition of use."""
    units = reference.nutrients.units

    def micrograms(nutrient: str, amount: float) -> float:
        return round(float(amount) * (1e3 if units.get(nutrient) == "mg" else 1.0), 3)

    known = {
        micrograms(t.nutrient, t.amount)
        for t in reference.targets
        if isinstance(t.amount, int | float)
    }
    known |= {
        micrograms(c.nutrients[0], c.min_per_day) for c in reference.claims.values() if c.nutrients
    }
    try:
        from .advice_config import advice_config

        config = advice_config(reference)
    except DataFileError:  # that file's own findings refuse the snapshot
        return frozenset(known)
    known |= {micrograms(i.nutrient, i.amount) for i in config.reference_intakes}
    return frozenset(known)
