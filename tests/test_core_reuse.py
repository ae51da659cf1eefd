"""What the core computes once and reuses (issue 16) gives the answers computed afresh.

A refresh writes a customer's plain list and the precomputed placements from one evaluation,
which ranks equal candidates once and renders an item's reasons and warnings once per locale
(ranking.Evaluation.memo). These tests compare that path with each answer computed on its own,
on seeded profiles of every kind (service/core/samples.py), and check that a reused ranking
never outlives the scores it was computed from. The JSON of stored lists and of responses is
written by orjson: the bytes must be those json writes.
"""

from __future__ import annotations

import copy
import dataclasses
import json

import numpy as np
import pytest

from service.core.placements.serve import plain_and_precomputed, recommend_placement
from service.core.ranking import _rank, evaluate, recommend
from service.core.requests import RecommendationRequest
from service.core.samples import sample_profiles
from service.customers.entries import _dumps
from service.customers.refresh import locales_for

from .conftest import TODAY


@pytest.fixture(scope="module")
def profiles(recommender):
    skus = [p.sku for p in recommender.snapshot.catalog.products]
    return sample_profiles(80, skus, seed=23) + sample_profiles(40, skus, seed=29, adults_only=True)


def _request(profile, limit=5, **extra):
    locale = locales_for(profile)[0]
    return RecommendationRequest.from_dict(
        {"profile": profile, "limit": limit, "locale": locale, **extra}
    )


def test_refresh_bodies_equal_each_answer_computed_alone(recommender, profiles):
    snapshot = recommender.snapshot
    precomputed = [p.name for p in snapshot.placements.precomputed]
    assert precomputed, "the shipped placements precompute some lists"
    for profile in profiles:
        request = _request(profile)
        locale = request.locale
        bodies = plain_and_precomputed(snapshot, request, TODAY, (locale,))
        assert bodies[locale] == recommend(snapshot, request, TODAY)
        for name in precomputed:
            alone = recommend_placement(snapshot, _request(profile, placement=name), TODAY)
            assert bodies[f"{locale}@{name}"] == alone, (profile, name)


def test_an_evaluation_answers_alike_however_often_it_is_asked(recommender, profiles):
    """Limits, categories and explain on one evaluation: each answer as on a fresh one."""
    snapshot = recommender.snapshot
    from service.core.ranking import rank_and_render

    asks = [
        {"limit": 5},
        {"limit": 14},
        {"limit": 5, "explain": True},
        {"limit": 3},
        {"limit": 5},
    ]
    for profile in profiles[:40]:
        request = _request(profile)
        ev = evaluate(snapshot, request.profile, request.lines(), TODAY)
        for ask in asks:
            asked = dataclasses.replace(request, **ask)
            fresh = evaluate(snapshot, request.profile, request.lines(), TODAY)
            locales = (request.locale, "en")
            assert rank_and_render(ev, asked, locales) == rank_and_render(fresh, asked, locales)


def test_a_ranking_is_not_reused_for_other_scores(recommender, profiles):
    """A shallow copy of an evaluation with other raw scores (complements add the co-purchase
    signal so) shares the memo: its ranking must follow its own scores."""
    snapshot = recommender.snapshot
    checked = 0
    for profile in profiles:
        request = _request(profile)
        ev = evaluate(snapshot, request.profile, request.lines(), TODAY)
        candidates = ev.safety.allowed() & ev.offer.allowed
        if candidates.sum() < 3:
            continue
        first = _rank(ev, candidates, 5)
        other = copy.copy(ev)
        other.raw = -ev.raw  # the worst first
        expected = _rank(dataclasses.replace(ev, raw=-ev.raw), candidates, 5)
        assert _rank(other, candidates, 5) == expected
        assert _rank(ev, candidates, 5) == first
        checked += 1
    assert checked > 20


def test_stored_list_json_is_the_bytes_json_writes(recommender, profiles):
    snapshot = recommender.snapshot
    for profile in profiles[:30]:
        body = recommend(snapshot, _request(profile, explain=True), TODAY)
        expected = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        assert _dumps(body) == expected
    # what orjson does not take goes through json
    assert _dumps({1: np.float64(0.5)}) == b'{"1":0.5}'


def test_responses_are_the_bytes_json_writes(app, client, profiles):
    for profile in profiles[:30]:
        answer = client.post(
            "/v1/recommendations", json={"profile": profile, "limit": 5, "explain": True}
        )
        assert answer.status_code == 200
        expected = json.dumps(answer.get_json(), separators=(",", ":"), ensure_ascii=False)
        assert answer.data == (expected + "\n").encode()
    with app.app_context():  # dates as Flask writes them, numpy scalars through json
        from flask import jsonify

        dates = jsonify({"day": TODAY, "ü": "ä"}).data
        scalars = jsonify({"x": np.float64(0.25)}).data
    assert dates == b'{"day":"Sat, 28 Nov 2026 00:00:00 GMT","\xc3\xbc":"\xc3\xa4"}\n'
    assert scalars == b'{"x":0.25}\n'
