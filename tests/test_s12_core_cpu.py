"""Session 12 (issue 16): the core's CPU per list. Each shortcut answers as what it replaces."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from service.core import fastnp
from service.core.context import (
    compiled_context,
    context_intake,
    expression_context,
    intake_fields_read,
)
from service.core.profile import Profile
from service.core.ranking import evaluate
from service.core.samples import sample_profiles
from service.core.snapshot import DataPaths, load_snapshot
from service.settings import REPO_ROOT

KEYS = ("vitamin_d_ug", "folic_acid_ug", "iron_mg")
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def snapshot():
    return load_snapshot(DataPaths(REPO_ROOT / "catalog" / "products.yaml", REPO_ROOT / "rules"))


def test_fastnp_is_numpy():
    rng = np.random.default_rng(3)
    values = [0.0, -1.5, 2.0, np.nan, np.inf, -np.inf, 1e308, -0.0]
    for _ in range(2000):
        x = rng.choice(values, size=int(rng.integers(0, 25)))
        for nan in (0.0, np.inf, -np.inf, 7.0):
            want, got = np.nan_to_num(x, nan=nan), fastnp.nan_to_num(x, nan=nan)
            assert got.dtype == want.dtype and got.shape == want.shape
            assert got.tobytes() == want.tobytes()
            assert got is not x
        square = rng.choice(values, size=(3, 4))
        assert fastnp.nan_to_num(square).tobytes() == np.nan_to_num(square).tobytes()
        mask = rng.random(int(rng.integers(0, 25))) > 0.5
        assert np.array_equal(fastnp.flatnonzero(mask), np.flatnonzero(mask))
        assert fastnp.flatnonzero(mask).dtype == np.flatnonzero(mask).dtype
        codes = rng.integers(-2, 8, size=int(rng.integers(0, 4)))
        ints = rng.integers(-2, 8, size=int(rng.integers(0, 25)))
        assert np.array_equal(fastnp.isin_int(ints, codes), np.isin(ints, codes))
        assert np.array_equal(fastnp.isin_int(ints, list(codes)), np.isin(ints, list(codes)))
    assert np.nan_to_num([1, 2]).tolist() == fastnp.nan_to_num([1, 2]).tolist()  # not an array


@pytest.mark.parametrize(
    ("sources", "read"),
    [
        (["intake.vitamin_d_ug > 10.0"], ("vitamin_d_ug",)),
        (["intake.iron_mg > 1.0 && profile.age > 3", "intake.vitamin_d_ug < 5.0"], KEYS[::2]),
        (["has(intake.folic_acid_ug)", "profile.age > 50"], ("folic_acid_ug",)),
        (["profile.age > 50"], ()),
        # anything else may read all of it: the whole intake is kept
        (["size(intake) > 2"], KEYS),
        (["intake['iron_mg'] > 1.0"], KEYS),
        (["'vitamin_d_ug' in intake"], KEYS),
        (["[1].exists(intake, intake > 0)"], KEYS),
        (["intake . iron_mg > 1.0"], KEYS),
        (["intake.unknown_ug > 1.0"], KEYS),
        (["profile.goals.exists(g, g == 'intake')"], KEYS),
    ],
)
def test_intake_fields_read(sources, read):
    assert intake_fields_read(sources, KEYS) == read


def test_pruned_intake_answers_every_expression_alike(snapshot):
    """Every rule and target expression on sample profiles with something taken: the same
    value (or the same failure) with the context's intake pruned as with all of it."""
    keys = snapshot.reference.nutrients.keys
    expressions = [r.when for r in snapshot.rules.rules]
    for target in snapshot.reference.targets:
        expressions.append(target.when)
        if not isinstance(target.amount, float | int):
            expressions.append(target.amount)
    rng = np.random.default_rng(4)
    skus = [p.sku for p in snapshot.catalog.products]
    for data in sample_profiles(60, skus, seed=4):
        profile = Profile.from_dict(data)
        intake = np.where(rng.random(len(keys)) < 0.4, rng.random(len(keys)) * 50, 0.0)
        full = dict(zip(keys, map(float, intake), strict=True))
        pruned = context_intake(snapshot, intake)
        assert pruned == {k: full[k] for k in pruned}
        contexts = [
            compiled_context(expression_context(profile, view, TODAY, [], []))
            for view in (full, pruned)
        ]
        for expression in expressions:
            answers = []
            for context in contexts:
                try:
                    answers.append(("value", expression.program.execute(context)))
                except Exception as exc:  # noqa: BLE001 - a failure must be the same failure
                    answers.append(("error", type(exc).__name__))
            assert answers[0] == answers[1], expression.source


def test_evaluation_shortcuts_are_read_only_and_equal(snapshot):
    skus = [p.sku for p in snapshot.catalog.products]
    for data in sample_profiles(40, skus, seed=6):
        profile = Profile.from_dict(data)
        ev = evaluate(snapshot, profile, [], TODAY)
        pairs = [
            (ev.limits_or_inf, np.nan_to_num(ev.limits, nan=np.inf)),
            (ev.targets_or_zero, np.nan_to_num(ev.targets)),
            (ev.safety.food_or_zero, np.nan_to_num(ev.safety.food)),
            (ev.safety.room_or_inf, np.nan_to_num(ev.safety.room, nan=np.inf)),
        ]
        for kept, fresh in pairs:
            assert kept.tobytes() == fresh.tobytes()
            assert not kept.flags.writeable


def test_plain_ranking_pass_is_numpys(snapshot):
    """The greedy pass on Python lists picks what the numpy pass picks, with the same raw
    scores, for every limit and with and without the role cap (pins, dose fit, caps)."""
    from service.core.rank_order import _Ranker
    from service.core.ranking import list_candidates

    skus = [p.sku for p in snapshot.catalog.products]
    rng = np.random.default_rng(8)
    for data in sample_profiles(120, skus, seed=8):
        profile = Profile.from_dict(data)
        ev = evaluate(snapshot, profile, [], TODAY)
        candidates = list_candidates(ev)
        if rng.random() < 0.5:  # a ranking with ties and scores moved around
            ev.raw = np.round(ev.raw, 1)
        for role_cap in (True, False):
            for limit in (1, 3, 5, 14, 40):
                plain = _Ranker(ev, candidates, limit, role_cap)
                numpy_pass = _Ranker(ev, candidates, limit, role_cap)
                numpy_pass.plain = False
                assert plain.empty or plain.plain
                got, want = plain.take(limit), numpy_pass.take(limit)
                assert got[0] == want[0]
                assert [float(x).hex() for x in got[1]] == [float(x).hex() for x in want[1]]
