"""What the refill job shares between customers (service/core/refills/check.py and plan.py),
each against the inputs it leaves out of its key: a key that missed an input would hand one
customer another's safety masks, and these tests would fail.

- the safety part (`SafetyPart`, keyed by `safety_key`): every profile field safety reads, the
  declared intake and the jurisdiction, each changed alone, gives the full evaluation's masks;
  the fields it leaves out (goals, skin type, sun, serum, a doctor's advice) share it;
- the replacement's shortcuts (`plan.replacement` ranks nothing when no product of the role is
  within the band and no duplicate, and works out no concern when none of them has a need)
  rely on `Offer.allowed` lying within those masks: checked on the evaluations of many seeded
  customers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from service.core.profile import Line, Profile
from service.core.ranking import evaluate
from service.core.refills import CheckCache, decode_purchases, plan_refills, refill_config
from service.core.refills.check import safety_key, safety_part
from service.core.safety import SAFETY_FIELDS, over_limits
from service.customers.store import profile_digest

from .conftest import RULES
from .test_refill_fast_path import _customers, _same_evaluation

DAY = dt.date(2026, 11, 28)
BASE = {"age": 40, "sex": "female", "country": "NL"}
# one change per input of the safety part, each changing what safety gives this profile
CHANGES = {
    "age": {"age": 12},
    "sex": {"sex": "male"},
    "country": {"country": "DE"},
    "life_stage": {"life_stage": "pregnant"},
    "diet": {"diet": "vegan"},
    "allergies": {"allergies": ["fish"]},
    "medications": {"medications": ["vitamin_k_antagonist"]},
    "conditions": {"conditions": ["kidney_disease"]},
    "dairy_portions_per_day": {"dairy_portions_per_day": 6},
    "goals": {"goals": ["pregnancy"]},  # planning one: pregnancy suitability (session 6 T1)
    # above 125 nmol/l no vitamin D (interactions.yaml high-serum-vitamin-d, session 21)
    "serum_25ohd_nmol_l": {"serum_25ohd_nmol_l": 200.0},
}
# fields the safety part does not read: profiles that differ only in these share it
UNREAD = {
    "skin_type": {"skin_type": 6},
    "sun_exposure": {"sun_exposure": "low"},
    "higher_dose_advised": {"higher_dose_advised": {"vitamin_d_ug": 50}},
}


def _lines(snapshot) -> list[tuple[str, Line]]:
    """Two catalog products taken: one with vitamin D, one with calcium (upper limits, the
    day's maximum in pregnancy and the dose band all read them)."""
    catalog, keys = snapshot.catalog, snapshot.reference.nutrients.keys
    chosen = []
    for key in ("vitamin_d_ug", "calcium_mg"):
        column = keys.index(key)
        index = int(np.flatnonzero(catalog.nutrients_per_day[:, column] > 0)[0])
        chosen.append(catalog.products[index].sku)
    return [(f"supply.{sku}", Line(sku=sku)) for sku in chosen]


def _safety_view(ev) -> tuple:
    safety = ev.safety
    return (
        ev.limits.tobytes(),
        {code: mask.tobytes() for code, mask in safety.excluded.items()},
        safety.triggered,
        safety.food.tobytes(),
        safety.room.tobytes(),
    )


def test_the_key_covers_every_field_safety_reads():
    named = {name for change in CHANGES.values() for name in change} - {"dairy_portions_per_day"}
    assert named == set(SAFETY_FIELDS), "a field safety reads has no case here"


@pytest.mark.parametrize("jurisdiction", [None, "DE"])
def test_each_safety_input_changed_alone_is_never_shared(recommender, jurisdiction):
    snapshot = recommender.snapshot
    lines = _lines(snapshot)
    base = Profile.from_dict(BASE)
    cache = CheckCache()
    ours = cache.evaluate(snapshot, base, lines, DAY, jurisdiction, profile_digest(BASE))
    _same_evaluation(ours, evaluate(snapshot, base, lines, DAY, jurisdiction))
    before = _safety_view(evaluate(snapshot, base, lines, DAY, jurisdiction))
    for field, change in CHANGES.items():
        stored = {**BASE, **change}
        profile = Profile.from_dict(stored)
        full = evaluate(snapshot, profile, lines, DAY, jurisdiction)
        assert _safety_view(full) != before, f"changing {field} alone changes no safety here"
        assert safety_key(profile, jurisdiction) != safety_key(base, jurisdiction), field
        ev = cache.evaluate(snapshot, profile, lines, DAY, jurisdiction, profile_digest(stored))
        _same_evaluation(ev, full)


def test_the_jurisdiction_is_part_of_the_key(recommender):
    snapshot = recommender.snapshot
    lines = _lines(snapshot)
    profile = Profile.from_dict(BASE)
    assert safety_key(profile, None) != safety_key(profile, "DE")
    cache = CheckCache()
    for jurisdiction in (None, "DE", None):
        ev = cache.evaluate(snapshot, profile, lines, DAY, jurisdiction, "one-digest")
        _same_evaluation(ev, evaluate(snapshot, profile, lines, DAY, jurisdiction))


def test_fields_safety_does_not_read_share_its_part(recommender):
    snapshot = recommender.snapshot
    lines = _lines(snapshot)
    cache = CheckCache()
    base = Profile.from_dict(BASE)
    cache.evaluate(snapshot, base, lines, DAY, None, profile_digest(BASE))
    assert cache.counts["safety"] == 1
    for change in UNREAD.values():
        stored = {**BASE, **change}
        profile = Profile.from_dict(stored)
        assert safety_key(profile, None) == safety_key(base, None)
        ev = cache.evaluate(snapshot, profile, lines, DAY, None, profile_digest(stored))
        _same_evaluation(ev, evaluate(snapshot, profile, lines, DAY))
    assert cache.counts["safety"] == 1 and cache.counts["contexts"] == 1 + len(UNREAD)


def test_a_replacement_needs_within_the_band_and_no_duplicate(recommender):
    """`plan.replacement` decides "none" before ranking when no product of the role passes
    `fits` and is no duplicate, and before `Offer.extra_concern` when none of those has a
    need: right only while `Offer.allowed` lies within those masks (advice.py)."""
    snapshot = recommender.snapshot
    config = refill_config(RULES, snapshot.reference)
    cache = CheckCache()
    checked = 0
    for stored, raws in _customers(recommender, 600, 17):
        purchases = decode_purchases(raws, config.zone(stored.get("country")))
        profile = Profile.from_dict(stored)
        plan = plan_refills(
            snapshot, config, profile, purchases, DAY, (), None, cache,
            profile_key=profile_digest(stored),
        )  # fmt: skip
        for decision in plan.decisions:
            offer = decision.ev.offer
            outside = offer.allowed & ~(offer.within_band & ~offer.duplicate)
            assert not outside.any(), np.flatnonzero(outside)
            needed = offer.gap_fits.any(axis=1) | offer.rule_need | offer.goal_need
            assert not (offer.allowed & ~(needed | offer.learned_need)).any()
            checked += 1
    assert checked > 100


def test_the_upper_limit_masks_are_shared_by_exactly_what_they_read(recommender):
    """`CheckCache._over` (safety.over_limits and its mask) is keyed by the intake, the limits
    and the room: each changed alone gives over_limits' own answer, never another's."""
    snapshot = recommender.snapshot
    catalog = snapshot.catalog
    part = safety_part(snapshot, Profile.from_dict(BASE), None)
    intake = evaluate(snapshot, Profile.from_dict(BASE), _lines(snapshot), DAY).intake
    cache = CheckCache()
    cache._for(snapshot)
    has = ~np.isnan(part.limits)
    changed = {
        "intake": (intake * 3, part),
        "limits": (intake, replace(part, limits=np.where(has, part.limits / 4, np.nan))),
        "room": (intake, replace(part, room=np.where(has, part.room / 4, np.nan))),
    }
    first = cache._over(catalog, intake, part)
    for name, (amounts, other) in changed.items():
        totals, over = over_limits(catalog.nutrients_per_day, amounts, other.limits, other.room)
        assert not np.array_equal(over, first[1]), f"{name} changes nothing here"
        found = cache._over(catalog, amounts, other)
        assert np.array_equal(found[0], totals) and np.array_equal(found[1], over), name
        assert np.array_equal(found[2], over.any(axis=1)), name
    assert cache.counts["over"] == 4
    assert cache._over(catalog, intake.copy(), replace(part)) is first  # the same inputs share
