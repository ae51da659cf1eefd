"""The refill job's shared checks (service/core/refills/check.py) against the full computation:
over thousands of seeded customers with a realistic purchase history (bench/refills.py), the
job's answer with its batch cache is the answer computed alone with a full evaluation for each
check, byte for byte in every locale; every evaluation the cache built from shared parts equals
the full evaluation of the same inputs, mask by mask; and no reorder that would now break a
limit is proposed."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import numpy as np
import pytest

from bench.refills import purchase_history
from service.core.profile import Profile
from service.core.ranking import evaluate
from service.core.refills import (
    CheckCache,
    CheckEvaluation,
    decode_purchases,
    exclusions,
    own_servings,
    plan_refills,
    refill_config,
    render_plan,
    supplies_of,
)
from service.core.refills.check import context_reads
from service.core.samples import sample_profiles
from service.customers.store import profile_digest

from .conftest import RULES

DAY = dt.date(2026, 11, 28)


def _customers(recommender, count: int, seed: int):
    catalog = recommender.snapshot.catalog
    skus = [p.sku for p in catalog.products]
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(skus) + 1) ** 0.8
    popularity = weights[rng.permutation(len(skus))]
    popularity /= popularity.sum()
    for profile in sample_profiles(count, skus, adults_only=True, seed=seed):
        raws = [h.encode() for h in purchase_history(rng, catalog, DAY, popularity)]
        yield profile, raws


def _same_evaluation(ev, full) -> None:
    """Every field a check, a text or a replacement reads, equal to the full evaluation's."""
    for name in ("intake", "limits", "targets", "rule_excluded", "rule_required", "rule_weight"):
        assert np.array_equal(getattr(ev, name), getattr(full, name), equal_nan=True), name
    assert ev.target_ids == full.target_ids
    assert [r.id for r in ev.matched_rules] == [r.id for r in full.matched_rules]
    assert list(ev.safety.excluded) == list(full.safety.excluded)  # the order of the why codes
    for code, mask in full.safety.excluded.items():
        assert np.array_equal(ev.safety.excluded[code], mask), code
    for name in ("over_limit", "totals_with_item", "food", "room"):
        assert np.array_equal(
            getattr(ev.safety, name), getattr(full.safety, name), equal_nan=True
        ), name
    assert ev.safety.triggered == full.safety.triggered
    assert ev.over_limit_now == full.over_limit_now
    for name in ("above_band", "within_band", "duplicate"):
        assert np.array_equal(getattr(ev.offer, name), getattr(full.offer, name)), name
    assert ev.offer.covered == full.offer.covered and ev.offer.failing == full.offer.failing
    # the ranking, worked out on first read (a replacement, its reasons)
    assert np.array_equal(ev.raw, full.raw)
    for name, values in full.features.values.items():
        assert np.array_equal(ev.features.values[name], values, equal_nan=True), name
    assert np.array_equal(ev.offer.allowed, full.offer.allowed)


@pytest.mark.parametrize("seed", [5, 11])
def test_the_batch_checks_answer_as_the_full_computation(recommender, seed):
    snapshot = recommender.snapshot
    config = refill_config(RULES, snapshot.reference)
    cache = CheckCache()
    seen = {"customers": 0, "reorder": 0, "replace": 0, "stop": 0, "shared": 0}
    for stored, raws in _customers(recommender, 2500, seed):
        purchases = decode_purchases(raws, config.zone(stored.get("country")))
        everything = supplies_of(
            snapshot, own_servings(stored.get("current_supplements")), purchases
        )
        profile = Profile.from_dict(stored)
        fast = plan_refills(
            snapshot, config, profile, [], DAY, (), None, cache,
            profile_key=profile_digest(stored), everything=everything,
        )  # fmt: skip
        if not fast.due:
            continue
        full = plan_refills(snapshot, config, profile, purchases, DAY)
        seen["customers"] += 1
        for locale in ("nl", "de", "en"):
            ours = json.dumps(render_plan(snapshot, config, fast, locale), sort_keys=True)
            alone = json.dumps(render_plan(snapshot, config, full, locale), sort_keys=True)
            assert ours == alone, (stored, locale)
        for decision in fast.decisions:
            seen[decision.action] += 1
            ev = decision.ev
            if isinstance(ev, CheckEvaluation):
                seen["shared"] += 1
                lines = [(r.path, r.line) for r in ev.resolved]
                _same_evaluation(ev, evaluate(snapshot, profile, lines, DAY))
            if decision.action != "stop":  # never a reorder that breaks a limit now
                assert not ev.over_limit_now
                assert "upper_limit" not in exclusions(ev, decision.index)
    assert seen["customers"] > 500, seen
    assert seen["reorder"] and seen["replace"] and seen["stop"], seen
    # enough checks were built from shared parts to pin them (a daily run of 100k customers
    # shares far more: bench/README.md)
    shared = cache.counts["evaluations"] - cache.counts["contexts"]
    assert shared >= 80 and seen["shared"] >= 80, (cache.counts, seen)


def test_the_context_reads_only_what_the_expressions_name(recommender):
    """The rule and target expressions read the intake only as `intake.<nutrient>`; a rule that
    reads it another way makes the whole intake part of the key (never a wrong share)."""
    snapshot = recommender.snapshot
    keys = snapshot.reference.nutrients.keys
    columns, basket = context_reads(snapshot)
    assert columns is not None and keys.index("vitamin_d_ug") in columns
    assert len(columns) < len(keys) // 2 and basket is False
    rule = snapshot.rules.rules[0]
    zinc = sorted({*columns, keys.index("zinc_mg")})
    for source, reads in (
        ("intake['zinc_mg'] > 1.0", (None, False)),
        ("size(basket.skus) > 0 && intake.zinc_mg > 1.0", (zinc, True)),
        ("intake.exists(k, k == 'x')", (None, False)),
    ):
        odd = replace(rule, when=replace(rule.when, source=source))
        rules = replace(snapshot.rules, rules=(*snapshot.rules.rules, odd))
        found, basket = context_reads(replace(snapshot, rules=rules))
        assert (found if found is None else sorted(found), basket) == reads, source
