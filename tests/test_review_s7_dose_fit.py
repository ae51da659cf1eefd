"""Pharmacist review s7 P2: the dose that fits the advice leads whatever ranks.

The default learned model (`make run` builds it) blends with the transparent score at weight 0,
so the score's overshoot term (scoring.yaml `dose_fit`, R8) did nothing: a DE adult with the
DGE's 20 µg advice saw only 50 µg products. The ranker here is hostile on purpose: it prefers
the highest vitamin D dose, as a model trained on the wrong shop could. Whatever it prefers,
among the products a list holds for a `dose_fit` nutrient, one closer to the advice comes first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings

from service.contract.schemas import RecommendationRequestSchema
from service.core.advice_config import advice_config
from service.core.ranking import evaluate, list_candidates
from service.core.recommender import Recommender
from service.core.refills import replacement
from service.learning.serving import LEARNING

from .conftest import TODAY
from .test_safety_properties import requests

WINTER = dt.date(2026, 12, 2)  # the DGE's 20 µg advice holds from October to March


class HighDoseModel:
    """A ranking model that likes vitamin D the more of it a product gives."""

    version = "hostile-high-dose"


class HighDoseLearning:
    """The served learning's features and records, with a blend that ranks by vitamin D dose
    alone (model score 0: no `learned` reason is claimed for it)."""

    def __init__(self, per_day_d: np.ndarray) -> None:
        self.per_day_d = per_day_d
        self.features = LEARNING.features
        self.impression = LEARNING.impression

    def blended(self, model: Any, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.per_day_d.copy(), np.zeros(len(self.per_day_d))

    def explain(self, model: Any, row: np.ndarray) -> dict[str, Any]:
        return {"model": model.version}

    def from_customers(self, model: Any) -> bool:
        return False  # a made-up preference: never "chosen by customers like you"


@pytest.fixture(scope="module")
def hostile(recommender: Recommender) -> Recommender:
    snapshot = recommender.snapshot
    keys = snapshot.reference.nutrients.keys
    per_day_d = snapshot.catalog.nutrients_per_day[:, keys.index("vitamin_d_ug")]
    ranked = snapshot.with_model(HighDoseModel(), HighDoseLearning(per_day_d))
    hostile = Recommender(recommender.paths, cache_size=0, reload_interval=0)
    hostile._snapshot = ranked
    return hostile


def _answer(rec: Recommender, body: dict, today: dt.date) -> dict:
    return rec.recommend(RecommendationRequestSchema().load(body), today=today)


def _dose_d(rec: Recommender, sku: str) -> float:
    snapshot = rec.snapshot
    column = snapshot.reference.nutrients.keys.index("vitamin_d_ug")
    return float(snapshot.catalog.nutrients_per_day[snapshot.catalog.index[sku], column])


def _vitamin_d_items(rec: Recommender, answer: dict) -> list[str]:
    catalog = rec.snapshot.catalog
    categories = ("vitamin_d", "vitamin_d_k2")
    return [
        i["sku"]
        for i in answer["items"]
        if catalog.products[catalog.index[i["sku"]]].category in categories
    ]


@pytest.mark.parametrize(
    ("profile", "advice"),
    [
        ({"age": 40, "sex": "female", "country": "DE"}, 20.0),  # DGE in winter
        ({"age": 55, "sex": "female"}, 10.0),  # Gezondheidsraad, women 50+
        ({"age": 45, "sex": "male", "serum_25ohd_nmol_l": 20}, 30.0),  # measured level
        ({"age": 45, "sex": "male", "higher_dose_advised": {"vitamin_d_ug": 25}}, 25.0),
    ],
)
def test_the_first_vitamin_d_product_has_the_dose_that_fits_even_when_a_model_prefers_more(
    hostile, recommender, profile, advice
):
    body = {"profile": profile, "locale": "en", "limit": 10}
    before = _vitamin_d_items(recommender, _answer(recommender, body, WINTER))
    served = _vitamin_d_items(hostile, _answer(hostile, body, WINTER))
    assert served, profile
    offered = {abs(_dose_d(recommender, s) - advice) for s in before}
    # the closest dose the transparent list offers is the one the hostile ranker shows first
    assert abs(_dose_d(hostile, served[0]) - advice) <= min(offered) + 0.1 * advice, (
        profile,
        [(s, _dose_d(hostile, s)) for s in served],
    )


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=requests())
@example(  # session 17 (hypothesis): a doctor's 50 µg above the thiazide's 20 µg keeps its dose
    raw={
        "profile": {
            "age": 12,
            "sex": "female",
            "higher_dose_advised": {"vitamin_d_ug": 50},
            "country": "NL",
            "life_stage": "pregnant",
            "sun_exposure": "low",
            "medications": ["thiazide_diuretic"],
        }
    }
)
def test_no_product_is_shown_before_one_of_its_role_whose_dose_fits_the_advice_better(hostile, raw):
    """For every dose_fit nutrient with an advice and every item of a category whose role is that
    nutrient (vitamin D and D + K2 products for vitamin D): no product the list could show for
    that role, and did not show before it, is closer to the advice gap by more than the
    tolerance (whether shown later or left out by the role cap)."""
    body = RecommendationRequestSchema().load(raw)
    answer = hostile.recommend(body, today=TODAY)
    snapshot = hostile.snapshot
    catalog = snapshot.catalog
    request = replace(body, customer_id=None)
    ev = evaluate(snapshot, request.profile, request.lines(), TODAY, request.jurisdiction)
    candidates = list_candidates(ev)
    if request.category:
        candidates &= catalog.category_mask([request.category])
    if request.exclude_skus:
        candidates &= ~catalog.sku_mask(request.exclude_skus)
    config = advice_config(snapshot.reference)
    tolerance = config.fit_order_tolerance
    pinned = {r.position for r in ev.matched_rules if r.action == "pin"}
    shown = [catalog.index[i["sku"]] for i in answer["items"]]
    per_day = catalog.nutrients_per_day
    for column in np.flatnonzero(config.fit_columns):
        target = ev.targets[column]
        if not target > 0:
            continue
        gap = max(target - ev.intake[column], 0.0)
        role = ev.offer.role_table.nutrient_role[column]
        table = ev.offer.role_table
        of_role = [i for i in np.flatnonzero(candidates) if table.category_role[i] == role]
        # a dose past a triggered medicine's warning threshold counts `past_warning` further
        # (session 16: a thiazide user taking 5 µg is shown 10 µg before 20 µg), where the
        # advice stays within the lowest such threshold: a doctor's 50 µg is above the
        # thiazide's 20 µg and keeps its dose (review 21; found by hypothesis in session 17, a
        # pregnant 12-year-old with a doctor's 50 µg: this oracle counted it past the warning)
        lowest = min(
            (
                float(t)
                for i in ev.safety.triggered
                if not i.timing
                for n, t in i.warn.items()
                if snapshot.reference.nutrients.keys.index(n) == column
            ),
            default=None,
        )
        thresholds = [lowest] if lowest is not None and target <= lowest * (1 + 1e-9) else []

        def fit(product: int, column=column, gap=gap, target=target, thresholds=thresholds):
            day = ev.intake[column] + per_day[product, column]
            past = sum(config.fit_past_warning for t in thresholds if day > t + 1e-9)
            return abs(per_day[product, column] - gap) / target + past

        for position, index in enumerate(shown):
            if index not in of_role or position + 1 in pinned:
                continue
            distance = fit(index)
            for other in of_role:
                if other in shown[:position]:
                    continue
                assert fit(other) >= distance - tolerance - 1e-9, (
                    snapshot.reference.nutrients.keys[column],
                    catalog.products[index].sku,
                    catalog.products[other].sku,
                )


@pytest.mark.parametrize(
    ("profile", "bought", "advice"),
    [
        ({"age": 40, "sex": "male", "country": "DE"}, "XF-D3K2-TAB", 20.0),
        (
            {"age": 45, "sex": "female", "allergies": ["soy"], "sun_exposure": "low"},
            "BL-D3K2-TAB",
            10.0,
        ),
    ],
)
def test_a_refill_replacement_for_a_dose_past_the_advice_has_the_dose_that_fits(
    hostile, profile, bought, advice
):
    """Review s7 P3: the 75 µg flagship of a DE customer (advice 20 µg) was replaced by 50 µg."""
    body = RecommendationRequestSchema().load({"profile": profile})
    ev = evaluate(hostile.snapshot, body.profile, [], WINTER, None)
    chosen = replacement(ev, hostile.snapshot.catalog.index[bought])
    assert chosen is not None
    assert _dose_d(hostile, hostile.snapshot.catalog.products[chosen].sku) == advice
