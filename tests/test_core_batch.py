"""What a refresh shares between the distinct profiles of a chunk (issue 16) gives the answers
each profile computed alone gets.

The core keeps, across profiles, what depends only on part of a profile, keyed by exactly the
inputs it reads: the safety masks (safety.SAFETY_FIELDS, the declared intake, intake and limit
vectors, what is taken), the intake view, the active rules per day and market, the rules a
placement applies. Within one evaluation a ranking is continued when a longer list of the same
candidates is asked for (rank_order.py). These tests compare each with the computation done
afresh, and check that the safety key leaves out only fields safety does not read.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
import redis as redis_lib

from service.core import advice_extras, rank_order, ranking, rule_match, safety
from service.core.advice import claim_table
from service.core.food import DECLARED_FIELDS
from service.core.placements import serve
from service.core.profile import Profile
from service.core.ranking import evaluate
from service.core.requests import RecommendationRequest
from service.core.samples import sample_profiles
from service.core.vocabulary import CONDITIONS, GOALS, MEDICATIONS
from service.customers.entries import CachedList
from service.customers.memory import MemoryStore
from service.customers.refresh import CachePolicy, compute_payload, locales_for, refresh_chunk
from service.customers.store import RedisStore

from .conftest import TODAY


@pytest.fixture(scope="module")
def profiles(recommender):
    skus = [p.sku for p in recommender.snapshot.catalog.products]
    # many share everything but goals, skin type or serum: what the caches are for
    sampled = sample_profiles(300, skus, seed=31, adults_only=True) + sample_profiles(
        100, skus, seed=37
    )
    # the same people taking a free product or more servings: another intake, nothing else
    lines = [
        {"label": "x", "nutrients": {"vitamin_d_ug": 10}},
        {"label": "x", "nutrients": {"vitamin_d_ug": 75, "calcium_mg": 500}},
        {"sku": skus[0], "servings_per_day": 2},
    ]
    varied = [{**p, "current_supplements": [line]} for p in sampled[:40:2] for line in lines]
    return sampled + varied


def _forget() -> None:
    """Every cache shared between profiles emptied: the next profile computes alone."""
    safety._SAFETY.clear()
    ranking._INTAKE_VIEWS.clear()
    rule_match._ACTIVE.clear()
    serve._APPLIED.clear()
    serve._SCOPED.clear()
    advice_extras._GOAL_NUTRIENTS.clear()
    advice_extras._SINGLE.clear()


def test_payloads_with_shared_caches_equal_each_computed_alone(recommender, profiles):
    snapshot = recommender.snapshot
    skus = [p.sku for p in snapshot.catalog.products]
    _forget()
    together = [compute_payload(snapshot, p, TODAY, 5, skus) for p in profiles]
    assert len(safety._SAFETY) < len(profiles), "profiles of the sample share safety masks"
    for profile, shared in zip(profiles, together, strict=True):
        _forget()
        assert compute_payload(snapshot, profile, TODAY, 5, skus) == shared, profile


def _same_safety(a: safety.SafetyResult, b: safety.SafetyResult) -> bool:
    return (
        a.excluded.keys() == b.excluded.keys()
        and all(np.array_equal(a.excluded[k], b.excluded[k]) for k in a.excluded)
        and all(
            np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True)
            for f in ("over_limit", "totals_with_item", "food", "room")
        )
        and a.triggered == b.triggered
    )


# values for the profile fields the safety key leaves out (current supplements enter through
# the intake vector and what is taken, both in the key)
OTHER_VALUES = {
    "sun_exposure": ("low", "high"),
    "skin_type": (None, 1, 6),
    "higher_dose_advised": ((), (("vitamin_d_ug", 50.0),)),
}


def test_the_safety_key_leaves_out_only_fields_safety_does_not_read(recommender, profiles):
    snapshot = recommender.snapshot
    catalog, reference = snapshot.catalog, snapshot.reference
    keyed = set(safety.SAFETY_FIELDS) | set(DECLARED_FIELDS) | {"current_supplements"}
    fields = {f.name for f in dataclasses.fields(Profile)}
    assert fields - keyed == set(OTHER_VALUES), "a new profile field: key it or list it here"
    for raw in profiles[:60]:
        request = RecommendationRequest.from_dict({"profile": raw})
        ev = evaluate(snapshot, request.profile, request.lines(), TODAY)
        taken = {r.sku for r in ev.resolved if r.sku}
        alone = safety._safety_masks(catalog, reference, ev.profile, ev.intake, ev.limits, taken)
        assert _same_safety(ev.safety, alone)
        for name, values in OTHER_VALUES.items():
            for value in values:
                other = dataclasses.replace(ev.profile, **{name: value})
                got = safety._safety_masks(catalog, reference, other, ev.intake, ev.limits, taken)
                assert _same_safety(got, alone), (name, value)


def test_shared_safety_masks_are_read_only(recommender, profiles):
    snapshot = recommender.snapshot
    request = RecommendationRequest.from_dict({"profile": profiles[0]})
    ev = evaluate(snapshot, request.profile, request.lines(), TODAY)
    with pytest.raises(ValueError):
        ev.safety.over_limit[0, 0] = True
    with pytest.raises(ValueError):
        ev.safety.excluded["age"][0] = True


@pytest.mark.parametrize("role_cap", [True, False])
def test_a_continued_ranking_equals_each_limit_ranked_alone(recommender, profiles, role_cap):
    snapshot = recommender.snapshot
    checked = 0
    for raw in profiles:
        request = RecommendationRequest.from_dict({"profile": raw, "locale": locales_for(raw)[0]})
        ev = evaluate(snapshot, request.profile, request.lines(), TODAY)
        candidates = ev.safety.allowed() & ev.offer.allowed
        if not candidates.any():
            continue
        asked = [5, 14, 3, 20, 1, 14]
        alone = []
        for limit in asked:
            fresh = evaluate(snapshot, request.profile, request.lines(), TODAY)
            alone.append(rank_order._rank(fresh, candidates, limit, role_cap))
        assert [rank_order._rank(ev, candidates, n, role_cap) for n in asked] == alone
        checked += 1
    assert checked > 100


def test_applied_and_active_rules_are_those_of_the_rule_set_asked(recommender):
    snapshot = recommender.snapshot
    for name in snapshot.placements.names:
        rules = serve.scoped(snapshot, snapshot.placements.get(name)).rules
        for _ in range(2):  # computed, then remembered
            assert serve._applied(rules) == frozenset(r.id for r in rules.rules if rules.applies(r))
            for market in ("NL", "DE"):
                assert list(rule_match._active(rules, TODAY, market)) == rules.active(TODAY, market)
    # another rule set (a reload) is never answered with what an earlier one applied
    fewer = dataclasses.replace(snapshot.rules, rules=snapshot.rules.rules[:1])
    assert serve._applied(fewer) == frozenset(r.id for r in fewer.rules if fewer.applies(r))
    assert list(rule_match._active(fewer, TODAY, "NL")) == fewer.active(TODAY, "NL")


def _varied(skus: list[str], count: int, seed: int) -> list[dict]:
    """Profiles of every kind a refresh meets: pregnant and breastfeeding, children and the
    old, medications and conditions, goals and diets, current supplements from the catalog
    and outside it, a serum level, every served market and others; each one twice or more
    in places (what a refresh dedupes)."""
    rng = random.Random(seed)
    countries = ["NL", "DE", "BE", "AT", "CH", "LU", "FR", "GB", "US"]
    out = []
    for _ in range(count):
        profile: dict = {
            "age": rng.choice([0, 1, 3, 7, 12, 16, 19, 25, 34, 45, 52, 67, 72, 90]),
            "sex": rng.choice(["female", "male", "other", "unspecified"]),
            "country": rng.choice(countries),
        }
        if profile["sex"] == "female" and 18 <= profile["age"] <= 45 and rng.random() < 0.6:
            profile["life_stage"] = rng.choice(["pregnant", "breastfeeding"])
        if rng.random() < 0.4:
            profile["medications"] = rng.sample(MEDICATIONS, rng.randint(1, 2))
        if rng.random() < 0.25:
            profile["conditions"] = rng.sample(CONDITIONS, 1)
        if rng.random() < 0.5:
            profile["goals"] = sorted(rng.sample(GOALS, rng.randint(1, 3)))
        if rng.random() < 0.3:
            profile["diet"] = rng.choice(["vegan", "vegetarian", "omnivore"])
        if rng.random() < 0.5:
            lines: list[dict] = [{"sku": rng.choice(skus), "servings_per_day": rng.randint(1, 2)}]
            if rng.random() < 0.5:
                amount = rng.choice([10, 25, 75])
                lines.append({"label": "x", "nutrients": {"vitamin_d_ug": amount}})
            profile["current_supplements"] = lines
        if rng.random() < 0.3:
            profile["serum_25ohd_nmol_l"] = float(rng.randint(10, 130))
        out.append(profile)
    return out + out[: count // 4]


def test_a_refresh_writes_each_customer_the_payload_its_profile_computes_alone(recommender):
    """The batched path (refresh_chunk: the distinct profiles of a chunk with every shared
    cache, grouped writes) against each profile computed alone with every cache emptied."""
    snapshot = recommender.snapshot
    skus = [p.sku for p in snapshot.catalog.products]
    store = MemoryStore()
    profiles = _varied(skus, 160, seed=41)
    ids = [f"c{i:04d}" for i in range(len(profiles))]
    for customer_id, profile in zip(ids, profiles, strict=True):
        store.put_profile(customer_id, profile)
    _forget()
    counts = refresh_chunk(recommender, store, ids, CachePolicy(), force=True, today=TODAY)
    assert counts["done"] == len(ids) and counts["computed"] < len(ids)
    for customer_id, profile in zip(ids, profiles, strict=True):
        _forget()
        alone = compute_payload(snapshot, profile, TODAY, 5, skus, recommender.learning)
        assert CachedList.decode(store.read(customer_id)[1]).payload == alone, profile


def test_answers_with_baskets_after_many_profiles_equal_each_computed_alone(recommender):
    skus = [p.sku for p in recommender.snapshot.catalog.products]
    rng = random.Random(43)
    bodies = [
        {
            "profile": profile,
            "basket": [{"sku": rng.choice(skus)}] if rng.random() < 0.6 else [],
            "limit": rng.choice([1, 5, 10]),
            "locale": rng.choice(["nl", "de", "en"]),
        }
        for profile in _varied(skus, 120, seed=47)
    ]
    _forget()
    together = [recommender.recommend(body) for body in bodies]
    for body, answer in zip(bodies, together, strict=True):
        _forget()
        assert recommender.recommend(body) == answer, body


def test_goal_served_table_names_what_each_claim_serves(recommender, profiles):
    """advice_extras.goal_served (one table per catalog) against the claims walked per
    product, as it was computed per profile before."""
    snapshot = recommender.snapshot
    reference, catalog = snapshot.reference, snapshot.catalog
    keys = reference.nutrients.keys
    table = claim_table(catalog, reference)
    checked = 0
    for raw in profiles:
        request = RecommendationRequest.from_dict({"profile": raw})
        offer = evaluate(snapshot, request.profile, request.lines(), TODAY).offer
        walked = np.zeros(catalog.nutrients_per_day.shape, dtype=bool)
        for index in np.flatnonzero(offer.goal_need).tolist():
            for claim_id in table.claims[index]:
                claim = reference.claims[claim_id]
                if set(offer.goals).intersection(claim.goals):
                    walked[index, [keys.index(n) for n in claim.nutrients if n in keys]] = True
        assert np.array_equal(advice_extras.goal_served(offer), walked), raw
        checked += bool(walked.any())
    assert checked > 20


def test_grouped_list_writes_check_each_customers_profile(redis_url):
    """One script call writes the list of many customers of one profile, each only while
    their stored profile still has that digest (changed or erased meanwhile: nothing)."""
    client = redis_lib.Redis.from_url(redis_url)
    store = RedisStore(client)
    profile = {"age": 40, "country": "NL"}
    ids = [f"g{i:04d}" for i in range(300)]  # more than one call's 256
    digest = ""
    for customer_id in ids:
        digest = store.put_profile(customer_id, profile)
    store.put_profile(ids[1], {"age": 41, "country": "NL"})
    store.delete(ids[2])
    other = store.put_profile("h0001", {"age": 50, "country": "DE"})
    entries = [(c, digest, b"list") for c in ids] + [("h0001", other, b"other")]
    assert store.write_lists(entries) == len(ids) - 2 + 1
    assert client.get("dw:recs:g0000") == b"list" and client.get("dw:recs:g0299") == b"list"
    assert client.get("dw:recs:g0001") is None and client.get("dw:recs:g0002") is None
    assert client.get("dw:recs:h0001") == b"other"
    assert 0 < client.ttl("dw:recs:g0299")
