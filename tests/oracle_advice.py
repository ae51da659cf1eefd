"""The tests' own reading of the advice (domain.md, contract v1.1 guarantees 10 and 11): which
vitamin D, folic acid and iodine advice applies to a profile, the dose band around it, and which
texts are true for which product. It never asks the service's advice code; the vignette,
property and regimen tests share it (tests/oracle.py holds the safety oracle).
"""

from __future__ import annotations

import re
from typing import Any

from .oracle import PRODUCTS, line_amounts, per_day

WINTER = (10, 11, 12, 1, 2, 3)
DOSE_FACTOR = 2.5  # issue 10: "more than 2.5x the advice" is far above the band
BANDED = ("vitamin_d_ug", "folic_acid_ug", "iodine_ug")


def vitamin_d_advice(profile: dict[str, Any], month: int) -> float | None:
    """The advice below, at least 20 µg for an adult with osteoporosis or osteopenia or on a
    bisphosphonate (targets.yaml bone-conditions-vitamin-d, review s44a F2: NHG, DVO)."""
    advice = _national_vitamin_d_advice(profile, month)
    bone = {"osteoporosis", "osteopenia"} & set(profile.get("conditions") or ())
    if profile["age"] >= 18 and (bone or "bisphosphonate" in (profile.get("medications") or ())):
        return max(advice or 0.0, 20.0)
    return advice


def _national_vitamin_d_advice(profile: dict[str, Any], month: int) -> float | None:
    """domain.md: Gezondheidsraad (NL) 10 µg for children 0-3, pregnancy, breastfeeding, women
    50-69, dark skin, little sun; 20 µg for 70+. DGE (DE) 20 µg when the skin makes none (winter,
    little sun), infants 10 µg. Any other market (no national table, review s5 S10): the EFSA
    adequate intake for infants (10 µg), children 1-3 and 70+ (15 µg). None: no advice."""
    age = profile["age"]
    country = profile.get("country", "NL").upper()
    if country not in ("NL", "DE"):
        if age == 0:
            return 10.0
        return 15.0 if age <= 3 or age >= 70 else None
    if country == "DE":
        if age == 0:
            return 10.0
        if month in WINTER or profile.get("sun_exposure") == "low":
            return 20.0
        return None
    if age >= 70:
        return 20.0
    if (
        age <= 3
        or profile.get("life_stage", "none") in ("pregnant", "breastfeeding")
        or (profile.get("sex") == "female" and 50 <= age < 70)
        or (profile.get("skin_type") or 0) >= 5
        or profile.get("sun_exposure") == "low"
    ):
        return 10.0
    return None


def general_advice(profile: dict[str, Any], nutrient: str, month: int) -> float | None:
    """The advice without a serum level or a doctor; for vitamin D the EFSA adequate intake
    (15 µg from 1 year, 10 µg infants) when no advice applies."""
    if nutrient == "vitamin_d_ug":
        advice = vitamin_d_advice(profile, month)
        if advice is None:
            advice = 10.0 if profile["age"] == 0 else 15.0
        return advice
    life_stage = profile.get("life_stage", "none")
    # review s6 T7 (new rule): the Gezondheidsraad's 400 µg folic acid starts 4 weeks before
    # conception, so the goal `pregnancy` (not male, ages 12-55 as markets.yaml
    # life_stage_ages) gets it too (before: pregnant only)
    planning = (
        "pregnancy" in (profile.get("goals") or ())
        and profile.get("sex") != "male"
        and 12 <= profile["age"] <= 55
    )
    if nutrient == "folic_acid_ug" and (life_stage == "pregnant" or planning):
        return 400.0
    if nutrient == "iodine_ug" and life_stage != "none":
        return 150.0
    return None


def measured_vitamin_d(profile: dict[str, Any]) -> float | None:
    """targets.yaml `low-serum-vitamin-d`: an adult outside pregnancy and breastfeeding below
    50 nmol/l is advised 50 - the level µg a day, at least 10 µg; None where it does not hold."""
    serum = profile.get("serum_25ohd_nmol_l")
    adult = profile["age"] >= 18 and profile.get("life_stage", "none") == "none"
    if serum is None or serum >= 50 or not adult:
        return None
    return 10.0 if serum > 40 else 50.0 - serum


def band_upper(profile: dict[str, Any], nutrient: str, month: int) -> float | None:
    """The most a product offered for this profile may give a day; None: no band."""
    if nutrient not in BANDED:
        return None
    general = general_advice(profile, nutrient, month)
    if general is None:
        return None
    upper = DOSE_FACTOR * general
    serum = profile.get("serum_25ohd_nmol_l")
    # review s6 T2 (new rule): a serum level raises the band for adults outside pregnancy and
    # breastfeeding only; a child or a pregnant or breastfeeding person keeps the ordinary band
    # (before: for everyone from 1 year)
    measured = profile["age"] >= 18 and profile.get("life_stage", "none") == "none"
    if nutrient == "vitamin_d_ug" and serum is not None and measured:
        if serum < 30:
            upper = max(upper, 75.0)
        elif serum < 50:
            upper = max(upper, 50.0)
    doctor = doctor_advised(profile, nutrient)
    if doctor:
        upper = max(upper, doctor)
    return upper


def doctor_advised(profile: dict[str, Any], nutrient: str) -> float:
    """The amount a doctor advised a day (`higher_dose_advised`), 0 when none: an amount in IU
    counts as its µg (R15b), the larger of the two when both are given."""
    advised = profile.get("higher_dose_advised") or {}
    return float(
        max(
            (line_amounts({"nutrients": {k: v}}).get(nutrient, 0.0) for k, v in advised.items()),
            default=0.0,
        )
    )


def within_band(
    sku: str,
    profile: dict[str, Any],
    month: int,
    products: dict[str, Any] | None = None,
    intake: dict[str, float] | None = None,
) -> bool:
    """The product's daily dose, and with `intake` (current supplements + basket) the daily
    total, of each banded nutrient it carries stays within the band."""
    amounts = per_day((products or PRODUCTS)[sku])
    for nutrient in BANDED:
        upper = band_upper(profile, nutrient, month)
        amount = amounts.get(nutrient, 0.0)
        if upper is None or amount <= 0:
            continue
        if amount + (intake or {}).get(nutrient, 0.0) > upper * (1 + 1e-9) + 1e-9:
            return False
    return True


# ---------------------------------------------------------------- texts true for a product
ADVICE_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)\s*µg")
DUTCH_AUTHORITY = ("gezondheidsraad", "health council", "gesundheitsrat")
GERMAN_AUTHORITY = ("dge", "duitse voedingsvereniging", "german nutrition society")
CLAIM_NUTRIENTS = {
    # an authorised claim sentence (any locale, lower case) and the nutrients it speaks of
    "folate": ("folic_acid_ug",),
    "folaat": ("folic_acid_ug",),
    "folat": ("folic_acid_ug",),
    "foliumzuur": ("folic_acid_ug",),
    "folic acid": ("folic_acid_ug",),
    "magnesium": ("magnesium_mg",),
    "calcium": ("calcium_mg",),
    "iodine": ("iodine_ug",),
    "jodium": ("iodine_ug",),
    "jod ": ("iodine_ug",),
    "epa": ("omega3_mg",),
    "vitamin k": ("vitamin_k1_ug", "vitamin_k2_ug"),
    "vitamine k": ("vitamin_k1_ug", "vitamin_k2_ug"),
    "b12": ("vitamin_b12_ug",),
    "zinc": ("zinc_mg",),
    "zink": ("zinc_mg",),
    "selen": ("selenium_ug",),
    "iron": ("iron_mg",),
    "ijzer": ("iron_mg",),
    "eisen": ("iron_mg",),
}


def text_problems(sku: str, text: str, profile: dict[str, Any]) -> list[str]:
    """What makes a reason text untrue for this product and profile (empty: none found)."""
    product = PRODUCTS[sku]
    amounts = per_day(product)
    lowered = text.lower()
    problems = []
    country = profile.get("country", "NL").upper()
    if country == "DE" and any(a in lowered for a in DUTCH_AUTHORITY):
        problems.append("a DE customer is shown the Dutch Health Council's advice")
    if country == "NL" and any(
        re.search(rf"\b{re.escape(a)}\b", lowered) for a in GERMAN_AUTHORITY
    ):
        problems.append("an NL customer is shown the DGE's advice")
    for word, nutrients in CLAIM_NUTRIENTS.items():
        if word in lowered and not any(amounts.get(n, 0) > 0 for n in nutrients):
            # (review 18 F4: texts naming two nutrients were let through here, and so the
            # vegetarian reason speaking of B12 on vitamin D drops; every text is checked now)
            problems.append(f"the text speaks of {word!r}; the product has none of it")
    pregnancy = any(w in lowered for w in ("pregnan", "zwanger", "schwanger"))
    if ("folate" in lowered or "folaat" in lowered or "folat" in lowered) and pregnancy:
        if not product["pregnancy_suitable"]:
            problems.append("a pregnancy claim on a product not suitable in pregnancy")
        if amounts.get("folic_acid_ug", 0) < 30:
            problems.append("the folate claim needs at least 30 µg folic acid a day")
    if "pregnancy multivitamin" in lowered and "pregnancy" not in product.get("tags", []):
        problems.append("called a pregnancy multivitamin; the catalog does not tag it so")
    return problems


def quotes_advice_far_below(sku: str, text: str) -> bool:
    """A vitamin D advice sentence ("advises 10 µg") next to a product that gives more than
    2.5x that amount: "towards the advised 10 µg" on a 75 µg tablet."""
    lowered = text.lower()
    if "vitamin" not in lowered or not any(
        w in lowered for w in ("advis", "advies", "empf", "adviseert")
    ):
        return False
    d = per_day(PRODUCTS[sku]).get("vitamin_d_ug", 0.0)
    numbers = [float(n.replace(",", ".")) for n in ADVICE_NUMBER.findall(text)]
    return bool(numbers) and d > DOSE_FACTOR * max(numbers) + 1e-9
