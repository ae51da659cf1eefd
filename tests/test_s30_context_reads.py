"""Session 30 (issue 16): the expression context of `evaluate` holds only the variables and
profile fields the rule and target texts can read (`context.context_reads`, derived from the
texts as `intake_fields_read`); every expression answers on it as on the whole context."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from service.core.context import (
    compiled_context,
    context_reads,
    expression_context,
    profile_fields_read,
)
from service.core.profile import Profile
from service.core.samples import sample_profiles
from service.core.snapshot import DataPaths, load_snapshot
from service.settings import REPO_ROOT

FIELDS = tuple(f.name for f in dataclasses.fields(Profile))


@pytest.fixture(scope="module")
def snapshot():
    return load_snapshot(DataPaths(REPO_ROOT / "catalog" / "products.yaml", REPO_ROOT / "rules"))


@pytest.mark.parametrize(
    ("sources", "read"),
    [
        (["profile.age > 50 && 'bones' in profile.goals"], frozenset({"age", "goals"})),
        (["profile.goals.exists(g, g == 'bones')", "market == 'NL'"], frozenset({"goals"})),
        (["has(profile.serum_25ohd_nmol_l)"], frozenset({"serum_25ohd_nmol_l"})),
        (["intake.vitamin_d_ug > 1.0"], frozenset()),
        # anything else may read all of it: every field kept
        (["size(profile) > 2"], None),
        (["profile['age'] > 50"], None),
        (["'age' in profile"], None),
        (["profile.exists(k, k == 'age')"], None),
        (["profile.all(k, k != 'x')"], None),
        (["profile . age > 50"], None),
        (["profile.unknown > 1"], None),
        (["[1].exists(profile, profile > 0)"], None),
    ],
)
def test_profile_fields_read(sources, read):
    assert profile_fields_read(sources, FIELDS) == read


def test_pruned_context_answers_every_expression_alike(snapshot):
    """Every rule and target expression on sample profiles with something taken and in the
    basket, on each month: the same value (or the same failure) on the pruned context as on
    the whole one."""
    keys = snapshot.reference.nutrients.keys
    expressions = [r.when for r in snapshot.rules.rules]
    for target in snapshot.reference.targets:
        expressions.append(target.when)
        if not isinstance(target.amount, float | int):
            expressions.append(target.amount)
    reads = context_reads(snapshot)
    rng = np.random.default_rng(30)
    skus = [p.sku for p in snapshot.catalog.products]
    categories = sorted({p.category for p in snapshot.catalog.products})
    for n, data in enumerate(sample_profiles(60, skus, seed=30)):
        profile = Profile.from_dict(data)
        intake = np.where(rng.random(len(keys)) < 0.4, rng.random(len(keys)) * 50, 0.0)
        full = dict(zip(keys, map(float, intake), strict=True))
        basket = sorted({str(s) for s in rng.choice(skus, size=int(rng.integers(0, 3)))})
        whole = expression_context(
            profile, full, dt.date(2026, 1 + n % 12, 15), basket, categories[: n % 3]
        )
        pruned = reads.pruned(whole)
        assert set(pruned) <= set(whole)
        contexts = [compiled_context(c) for c in (whole, pruned)]
        for expression in expressions:
            answers = []
            for context in contexts:
                try:
                    answers.append(("value", expression.program.execute(context)))
                except Exception as exc:  # noqa: BLE001 - a failure must be the same failure
                    answers.append(("error", type(exc).__name__))
            assert answers[0] == answers[1], expression.source
