"""Session 30 (issue 16): `reason_texts.has_reason`, what a replacement is chosen by in every
locale (refills.replace.reasoned), answers as `bool(item_reasons(...))` for every product,
locale and sample profile (with what is taken: the reasons quote the day's total)."""

from __future__ import annotations

import datetime as dt

import pytest

from service.core.profile import Profile, labelled_lines
from service.core.ranking import evaluate
from service.core.reason_texts import has_reason, item_reasons
from service.core.samples import sample_profiles
from service.core.snapshot import DataPaths, load_snapshot
from service.core.vocabulary import LOCALES
from service.settings import REPO_ROOT

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def snapshot():
    return load_snapshot(DataPaths(REPO_ROOT / "catalog" / "products.yaml", REPO_ROOT / "rules"))


def test_has_reason_is_item_reasons_not_empty(snapshot):
    skus = [p.sku for p in snapshot.catalog.products]
    seen = {True: 0, False: 0}
    for data in sample_profiles(40, skus, seed=30):
        profile = Profile.from_dict(data)
        ev = evaluate(snapshot, profile, labelled_lines(profile), TODAY)
        for index in range(len(snapshot.catalog)):
            for locale in LOCALES:
                want = bool(item_reasons(ev, index, locale))
                assert has_reason(ev, index, locale) == want, (data, index, locale)
                seen[want] += 1
    assert seen[True] and seen[False], seen
