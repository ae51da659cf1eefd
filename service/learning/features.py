"""Profile x product features for the ranking model, computed for the whole catalog at once.

One row per catalog product, in catalog order, with `FEATURE_NAMES` columns in three blocks:

- request (per product, depend on the request): the transparent features `gap_fill`,
  `goal_match`, `price`, `headroom` (as in scoring.py), `rule_weight` (sum of matched boosts
  minus buries) and `transparent_score` (the weighted sum of the four, without rules; logged so
  that evaluation can rebuild the rules-only score, not used by the model: it is linear in the
  four features it sums);
- product (fixed per catalog, computed once per Catalog object and cached): category one-hot
  over `CATEGORIES` (a product of any other category sets `category:other`, so a new category
  degrades to a prior instead of making the model incompatible), form one-hot over FORMS, vegan
  product, vitamin sources (lichen D3, fish or krill oil, algae), price per month in tens of
  euros, a few merchandising tags;
- profile (the same in every row of a request): age group, sex, diet, pregnancy, goals,
  country, sun exposure, whether the person takes supplements already.

The model crosses the profile block with the first `CROSSED_PRODUCT` product columns (see
model.py); logging these raw columns is enough to rebuild every cross at training time.
There is no SKU identity among the features, so a product the model never saw is scored from
its attributes: that is the prior new products get.
"""

from __future__ import annotations

import hashlib
import weakref
from typing import TYPE_CHECKING

import numpy as np

from service.core.catalog import Catalog
from service.core.profile import Profile
from service.core.vocabulary import FORMS, GOALS

if TYPE_CHECKING:  # ranking.py imports this module to score with the model
    from service.core.ranking import Evaluation

# The categories of the bundled catalog; anything else is `category:other`.
CATEGORIES = (
    "calcium",
    "calcium_d3",
    "folic_acid",
    "iodine",
    "iron",
    "magnesium",
    "multivitamin",
    "omega3",
    "selenium",
    "vitamin_a",
    "vitamin_b12",
    "vitamin_b6",
    "vitamin_d",
    "vitamin_d_k2",
    "vitamin_e",
    "vitamin_k2",
    "zinc",
)
FISH_SOURCES = frozenset({"fish_oil", "krill", "cod_liver_oil"})
TAGS = ("bestseller", "budget", "high_dose", "kids")
AGE_GROUPS = ((0, 11), (12, 17), (18, 29), (30, 49), (50, 64), (65, 200))

REQUEST_NAMES = ("gap_fill", "goal_match", "price", "headroom", "rule_weight", "transparent_score")
# Product columns crossed with the profile come first, the tags last.
CROSSED_PRODUCT_NAMES = (
    *(f"category:{c}" for c in CATEGORIES),
    "category:other",
    *(f"form:{f}" for f in FORMS),
    "vegan_product",
    "source:lichen",
    "source:fish",
    "source:algae",
    "price_per_month_10eur",
)
PRODUCT_NAMES = (*CROSSED_PRODUCT_NAMES, *(f"tag:{t}" for t in TAGS))
PROFILE_NAMES = (
    *(f"age:{low}_{high}" if high < 200 else f"age:{low}_plus" for low, high in AGE_GROUPS),
    "sex:female",
    "sex:male",
    "diet:vegetarian",
    "diet:vegan",
    "life_stage:pregnant_or_breastfeeding",
    *(f"goal:{g}" for g in GOALS),
    "country:NL",
    "country:DE",
    "sun:low",
    "sun:high",
    "takes_supplements",
)
FEATURE_NAMES: tuple[str, ...] = (*REQUEST_NAMES, *PRODUCT_NAMES, *PROFILE_NAMES)
N_FEATURES = len(FEATURE_NAMES)

REQUEST = slice(0, len(REQUEST_NAMES))
PRODUCT = slice(REQUEST.stop, REQUEST.stop + len(PRODUCT_NAMES))
CROSSED_PRODUCT = slice(PRODUCT.start, PRODUCT.start + len(CROSSED_PRODUCT_NAMES))
PROFILE = slice(PRODUCT.stop, PRODUCT.stop + len(PROFILE_NAMES))
TRANSPARENT_SCORE = FEATURE_NAMES.index("transparent_score")
RULE_WEIGHT = FEATURE_NAMES.index("rule_weight")

# Changes whenever the feature list changes: logged with every impression, kept in artefacts.
FEATURES_VERSION = hashlib.sha256("\n".join(FEATURE_NAMES).encode()).hexdigest()[:12]

_product_blocks: weakref.WeakKeyDictionary[Catalog, np.ndarray] = weakref.WeakKeyDictionary()


def product_features(ev: Evaluation) -> np.ndarray:
    """(products, N_FEATURES) float64 matrix for one evaluated request, rows in catalog order."""
    catalog = ev.snapshot.catalog
    values = ev.features.values
    out = np.empty((len(catalog), N_FEATURES))
    out[:, 0] = values["gap_fill"]
    out[:, 1] = values["goal_match"]
    out[:, 2] = values["price"]
    out[:, 3] = values["headroom"]
    out[:, 4] = ev.rule_weight
    out[:, 5] = ev.features.transparent_score(ev.snapshot.reference.weights)
    out[:, PRODUCT] = product_block(catalog)
    out[:, PROFILE] = profile_vector(ev.profile)
    return out


def product_block(catalog: Catalog) -> np.ndarray:
    """The product columns of a catalog (read-only, cached for the life of the Catalog)."""
    block = _product_blocks.get(catalog)
    if block is None:
        block = _compute_product_block(catalog)
        block.flags.writeable = False
        _product_blocks[catalog] = block
    return block


def _compute_product_block(catalog: Catalog) -> np.ndarray:
    block = np.zeros((len(catalog), len(PRODUCT_NAMES)))
    column = {name: i for i, name in enumerate(PRODUCT_NAMES)}
    for row, product in enumerate(catalog.products):
        category = f"category:{product.category}"
        block[row, column.get(category, column["category:other"])] = 1.0
        block[row, column[f"form:{product.form}"]] = 1.0
        sources = set(product.vitamin_sources.values())
        block[row, column["vegan_product"]] = float(product.vegan)
        block[row, column["source:lichen"]] = float("lichen" in sources)
        block[row, column["source:fish"]] = float(bool(sources & FISH_SOURCES))
        block[row, column["source:algae"]] = float("algae" in sources)
        block[row, column["price_per_month_10eur"]] = product.price_per_month / 10.0
        for tag in TAGS:
            block[row, column[f"tag:{tag}"]] = float(tag in product.tags)
    return block


def profile_vector(profile: Profile) -> np.ndarray:
    """The profile columns (0/1) of one profile."""
    out = np.zeros(len(PROFILE_NAMES))
    for i, (low, high) in enumerate(AGE_GROUPS):
        if low <= profile.age <= high:
            out[i] = 1.0
            break
    at = len(AGE_GROUPS)
    out[at] = profile.sex == "female"
    out[at + 1] = profile.sex == "male"
    out[at + 2] = profile.diet == "vegetarian"
    out[at + 3] = profile.diet == "vegan"
    out[at + 4] = profile.life_stage in ("pregnant", "breastfeeding")
    at += 5
    for goal in profile.goals:
        if goal in GOALS:
            out[at + GOALS.index(goal)] = 1.0
    at += len(GOALS)
    out[at] = profile.country == "NL"
    out[at + 1] = profile.country == "DE"
    out[at + 2] = profile.sun_exposure == "low"
    out[at + 3] = profile.sun_exposure == "high"
    out[at + 4] = bool(profile.current_supplements)
    return out
