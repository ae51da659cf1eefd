"""The tests' own oracle of the contract and domain.md: the catalog read as plain YAML, the
EFSA upper-limit table, contraindications, unit conversion and disease-claim verbs. It never
asks the service's safety code what is safe; the safety, regimen and model tests share it.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]

CATALOG_DOC = yaml.safe_load((ROOT / "catalog" / "products.yaml").read_text(encoding="utf-8"))
PRODUCTS: dict[str, dict[str, Any]] = {p["sku"]: p for p in CATALOG_DOC["products"]}
SKUS = sorted(PRODUCTS)
CATEGORIES = sorted(CATALOG_DOC["categories"])


def per_day(product: dict[str, Any], servings: float | None = None) -> dict[str, float]:
    """Per-day amounts of a catalog product: per serving x servings (labelled by default)."""
    n = product["servings_per_day"] if servings is None else servings
    return {k: float(v) * n for k, v in product["nutrients_per_serving"].items()}


# Contract vocabulary.
NUTRIENTS = (
    "vitamin_d_ug",
    "vitamin_k1_ug",
    "vitamin_k2_ug",
    "calcium_mg",
    "magnesium_mg",
    "vitamin_a_ug",
    "vitamin_e_mg",
    "vitamin_b6_mg",
    "vitamin_b12_ug",
    "folic_acid_ug",
    "zinc_mg",
    "iron_mg",
    "iodine_ug",
    "selenium_ug",
    "omega3_mg",
)
SEXES = ("female", "male", "other", "unspecified")
LIFE_STAGES = ("none", "pregnant", "breastfeeding")
DIETS = ("omnivore", "vegetarian", "vegan")
ALLERGENS = ("fish", "shellfish", "soy", "milk", "egg", "gluten", "peanut", "tree_nut")
MEDICATIONS = (
    "vitamin_k_antagonist",
    "thiazide_diuretic",
    "digoxin",
    "bisphosphonate",
    "levothyroxine",
    "tetracycline",
    "quinolone",
    "bile_acid_sequestrant",
    "orlistat",
    "corticosteroid",
    "anticonvulsant",
    # v1.1
    "oral_retinoid",
    "amiodarone",
    "active_vitamin_d",
    "antiplatelet",
    "integrase_inhibitor",
)
CONDITIONS = (
    "hypercalcaemia",
    "sarcoidosis",
    "hyperparathyroidism",
    "kidney_stones",
    "kidney_disease",
    "malabsorption",
    "osteoporosis",
    "osteopenia",
    "liver_disease",
    # v1.1
    "thyroid_disease",
    "haemochromatosis",
    "bariatric_surgery",
)
SUN = ("low", "moderate", "high")
GOALS = ("bones", "immunity", "muscles", "heart", "energy", "pregnancy", "sport")
LOCALES = ("nl", "de", "en")

# domain.md "Upper limits (UL)", EU (EFSA), per day. None = no UL set.
# Columns: 0-6 mo, 6-12 mo, 1-3 y, 4-6 y, 7-10 y, 11-14 y, 15-17 y, adult, pregnant/breastfeeding.
_ = None
# fmt: off
EFSA_UL: dict[str, tuple[float | None, ...]] = {
    "vitamin_d_ug":  (25, 35, 50, 50, 50, 100, 100, 100, 100),
    "calcium_mg":    (_, _, _, _, _, _, _, 2500, 2500),
    "magnesium_mg":  (_, _, _, 250, 250, 250, 250, 250, 250),
    "vitamin_a_ug":  (600, 600, 800, 1100, 1500, 2000, 2600, 3000, 3000),
    "zinc_mg":       (_, _, 7, 10, 13, 18, 22, 25, 25),
    "iodine_ug":     (_, _, 200, 250, 300, 450, 500, 600, 600),
    "selenium_ug":   (_, _, 70, 95, 130, 180, 230, 255, 255),
    "vitamin_b6_mg": (2.2, 2.5, 3.2, 4.5, 6.1, 8.6, 10.7, 12, 12),
    "folic_acid_ug": (_, 200, 200, 300, 400, 600, 800, 1000, 1000),
    "iron_mg":       (_, 5, 10, 15, 25, 35, 35, 40, 40),
    "vitamin_e_mg":  (50, 60, 100, 120, 160, 220, 260, 300, 300),
}
# fmt: on
PREGNANCY_COLUMN = 8


def _stricter(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def expected_upper_limit(nutrient: str, age: int, life_stage: str) -> float | None:
    """The UL for a profile: age 0 takes the stricter infant column; pregnancy and
    breastfeeding take the stricter of the age band and the pregnancy column."""
    row = EFSA_UL.get(nutrient)
    if row is None:
        return None
    if age == 0:
        value = _stricter(row[0], row[1])
    else:
        column = next(
            c for c, top in ((2, 3), (3, 6), (4, 10), (5, 14), (6, 17), (7, 10**9)) if age <= top
        )
        value = row[column]
    if life_stage in ("pregnant", "breastfeeding"):
        value = _stricter(value, row[PREGNANCY_COLUMN])
    return value


def line_amounts(line: dict[str, Any]) -> dict[str, float]:
    if "sku" in line:
        return per_day(PRODUCTS[line["sku"]], line.get("servings_per_day"))
    out: dict[str, float] = {}
    for key, amount in line["nutrients"].items():
        if key == "vitamin_d_iu":
            key, amount = "vitamin_d_ug", amount / 40.0
        out[key] = out.get(key, 0.0) + float(amount)
    return out


def expected_intake(raw: dict[str, Any]) -> dict[str, float]:
    totals = dict.fromkeys(NUTRIENTS, 0.0)
    lines = [dict(line) for line in raw["profile"].get("current_supplements", [])]
    taken = {line["sku"]: line for line in lines if "sku" in line}
    for line in raw.get("basket", []):
        # review s6 T4: the next pack of a SKU taken is the same daily dose, counted once;
        # servings_per_day given on either line counts, on both the larger; a taken line
        # without it is taken at the label, so the basket's counts only above the label
        # (review 20a F1: 0.01 a day of the next pack of a tablet taken daily is still one)
        same = taken.get(line.get("sku"))
        if same is None:
            lines.append(line)
        elif line.get("servings_per_day") is not None:
            label = float(PRODUCTS[line["sku"]].get("servings_per_day", 1))
            given = [same.get("servings_per_day", label), line["servings_per_day"]]
            same["servings_per_day"] = max(given)
    for line in lines:
        for key, amount in line_amounts(line).items():
            totals[key] += amount
    return totals


def within(value: float, limit: float) -> bool:
    """value <= limit, allowing only float noise."""
    return value <= limit + 1e-9 * max(1.0, abs(limit))


def close(a: float, b: float) -> bool:
    """Equal up to the response's rounding to 3 decimals."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-3)


# Guarantee 7: disease-claim verbs (EU 1924/2006, 432/2012), our own list. Claim verbs only:
# warnings may name conditions and medicines ("With kidney stones we do not suggest ...").
CLAIM_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        # en
        r"\bprevent(s|ed|ing)?\b",
        r"\bcur(e|es|ed|ing)\b",
        r"\btreat(s|ed|ing)?\b",
        r"\bprotects?\s+against\b",
        r"\bheal(s|ed|ing)?\b",
        # nl
        r"\bvoorkom(t|en)\b",
        r"\bgeneest\b",
        r"\bgenezen\b",
        r"\bbehandel(t|en)\b",
        r"\bbeschermt?\s+tegen\b",
        r"\bhelpt\s+tegen\b",
        # de
        r"\bbeugt\b.*\bvor\b",
        r"\bvorbeug",
        r"\bheilt\b",
        r"\bheilen\b",
        r"\bschützt\s+vor\b",
        r"\bbehandelt\b",
        r"\bhilft\s+gegen\b",
    )
]


def claim_in(text: str) -> str | None:
    for pattern in CLAIM_PATTERNS:
        if pattern.search(text):
            return pattern.pattern
    return None


# Guarantee 6 (contract v1.1) and the service's own safe reading of "iodine only with a doctor"
# (amiodarone, thyroid disease): a profile with the code gets no product with any of these.
CONTRAINDICATED = {
    "hypercalcaemia": ("vitamin_d_ug", "calcium_mg"),
    "sarcoidosis": ("vitamin_d_ug", "calcium_mg"),
    "hyperparathyroidism": ("vitamin_d_ug", "calcium_mg"),
    "kidney_disease": ("vitamin_d_ug", "calcium_mg", "magnesium_mg", "vitamin_a_ug"),  # A: s36a F6
    "kidney_stones": ("calcium_mg",),
    "haemochromatosis": ("iron_mg",),
    "thyroid_disease": ("iodine_ug",),
}
CONTRAINDICATED_MEDICATIONS = {
    "vitamin_k_antagonist": ("vitamin_k1_ug", "vitamin_k2_ug"),
    "oral_retinoid": ("vitamin_a_ug",),
    "active_vitamin_d": ("vitamin_d_ug", "calcium_mg"),
    "amiodarone": ("iodine_ug",),
    # taken for a thyroid disorder, so "iodine only with a doctor" too (review 11 R11-2)
    "levothyroxine": ("iodine_ug",),
}


# ---------------------------------------------------------------- guarantee 8: market law
REFERENCE_DIR = ROOT / "rules" / "reference"
# The contract's own words (v1.1 guarantee 8), per daily dose of one product.
CONTRACT_BINDING_MAXIMA = {
    "NL": {"vitamin_d_ug": 75.0, "vitamin_b6_mg": 21.0, "vitamin_a_ug": 1200.0}
}


def _read_reference(name: str) -> dict[str, Any]:
    """A reference file as plain YAML, read once per version of the file (its stamp): the
    property tests ask for it per nutrient per example, and parsing food_intake.yaml each time
    cost about 0.08 s a call, most of the suite's time. Callers only read what it returns."""
    path = REFERENCE_DIR / name
    stat = path.stat()
    return _parsed(path, (stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=32)
def _parsed(path: Path, stamp: tuple[int, int]) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def binding_maxima(market: str) -> dict[str, float]:
    """The contract's binding maxima, made stricter by whatever the data file adds."""
    out = dict(CONTRACT_BINDING_MAXIMA.get(market, {}))
    entry = _read_reference("product_maxima.yaml")["markets"].get(market)
    if entry and entry["binding"]:
        for nutrient, maximum in entry["maxima"].items():
            out[nutrient] = min(float(maximum["amount"]), out.get(nutrient, math.inf))
    return out


def advisory_maxima(market: str) -> dict[str, float]:
    """Advisory maxima the data switches on for `market` (apply_in_markets), else none."""
    document = _read_reference("product_maxima.yaml")
    entry = document["markets"].get(market)
    if not entry or entry["binding"] or market not in document.get("apply_in_markets", []):
        return {}
    return {n: float(m["amount"]) for n, m in entry["maxima"].items()}


def sellable(product: dict[str, Any]) -> bool:
    """domain.md: MK-4 is not an authorised form (Directive 2002/46/EC Annex II); the data's
    authorised_forms.yaml may forbid more; a catalog `sellable: false` is never offered."""
    if product.get("sellable") is False:
        return False
    forms = _read_reference("authorised_forms.yaml")["forms"]
    sources = product.get("vitamin_sources") or {}
    for nutrient in product.get("nutrients_per_serving") or {}:  # a form not given is unknown
        if nutrient.rsplit("_", 1)[0] in forms and nutrient.rsplit("_", 1)[0] not in sources:
            return False
    for vitamin, form in sources.items():
        if vitamin == "vitamin_k2" and "mk4" in form.lower():
            return False
        if not forms.get(vitamin, {}).get(form, {}).get("authorised", False):
            return False
    return True


# ---------------------------------------------------------------- guarantee 10: pregnancy cap
# contract v1.1 guarantee 10: in pregnancy and breastfeeding no item above 25 µg vitamin D a day
PREGNANCY_VITAMIN_D_CAP = 25.0


# ---------------------------------------------------------------- guarantee 9: the whole diet
# domain.md: the magnesium UL is for supplements and added forms only, the folic acid UL for
# synthetic folic acid only: food never counts there, whatever the data says.
SUPPLEMENTS_ONLY = ("magnesium_mg", "folic_acid_ug")
_BANDS = (
    (0, 0, "0"),
    (1, 3, "1-3"),
    (4, 6, "4-6"),
    (7, 10, "7-10"),
    (11, 14, "11-14"),
    (15, 17, "15-17"),
)


def _band(age: int) -> str | None:
    if age >= 18:
        return "adult"
    return next((b for low, high, b in _BANDS if low <= age <= high), None)


def expected_food(profile: dict[str, Any], nutrient: str) -> float:
    """The food allowance food_intake.yaml gives this profile, read here from the file: the
    market's table (every table's highest for another market), the sex's value (the higher for
    other/unspecified), or what the profile declares (dairy portions for calcium)."""
    if nutrient in SUPPLEMENTS_ONLY:
        return 0.0
    document = _read_reference("food_intake.yaml")
    scope = document["scope"].get(nutrient)
    if not scope or not scope["counts_food"]:
        return 0.0
    market = profile.get("country", "NL").upper()
    declared = document.get("declared", {}).get("dairy_portions_per_day")
    portions = profile.get("dairy_portions_per_day")
    if declared and portions is not None and declared["nutrient"] == nutrient:
        bases = declared["base"]
        base = bases[market] if market in bases else max(bases.values())
        return float(base) + float(declared["per_unit"]) * float(portions)
    band = _band(profile["age"])
    tables = document["markets"]
    chosen = [tables[market]] if market in tables else list(tables.values())
    sex = profile.get("sex", "unspecified")
    values = []
    for table in chosen:
        value = table["values"].get(nutrient, {}).get(band)
        if isinstance(value, dict):
            values += [value[sex]] if sex in value else list(value.values())
        elif value is not None:
            values.append(value)
    return float(max(values, default=0.0))


def expected_room(profile: dict[str, Any], nutrient: str) -> float | None:
    """Room for supplements: the upper limit minus the food allowance (None: no limit)."""
    limit = expected_upper_limit(nutrient, profile["age"], profile.get("life_stage", "none"))
    if limit is None:
        return None
    return max(limit - expected_food(profile, nutrient), 0.0)


_STAGE_AGES = yaml.safe_load((REFERENCE_DIR / "markets.yaml").read_text(encoding="utf-8"))[
    "life_stage_ages"
]


def pregnancy_suitability_applies(profile: dict[str, Any]) -> bool:
    """The catalog's `pregnancy_suitable: false` keeps a product from this profile: pregnant,
    or planning a pregnancy (goal `pregnancy`, not a man, within markets.yaml's ages for
    `pregnant`: she may be pregnant without knowing it; review s6 T1)."""
    life_stage = profile.get("life_stage", "none")
    if life_stage == "pregnant":
        return True
    ages = _STAGE_AGES["pregnant"]
    return (
        life_stage == "none"
        and "pregnancy" in profile.get("goals", [])
        and profile.get("sex") != "male"
        and ages["min_age"] <= profile["age"] <= ages["max_age"]
    )
