"""Session 6 review T9: English refill texts wrote dates as day/month/year ("run out on
07/12/2026"), which many English readers take for 12 July. English texts now use the ISO date
(2026-12-07); nl (7-12-2026 style) and de (07.12.2026) keep their own conventions."""

from __future__ import annotations

import datetime as dt
import re

from service.core.refills.settings import refill_config

from .oracle import ROOT

DAY = dt.date(2026, 12, 7)


def test_english_dates_cannot_be_read_as_another_day(recommender):
    config = refill_config(ROOT / "rules", recommender.snapshot.reference)
    english = config.date(DAY, "en")
    assert english == "2026-12-07"
    assert not re.fullmatch(r"\d\d/\d\d/\d{4}", english)


def test_dutch_and_german_dates_keep_their_conventions(recommender):
    config = refill_config(ROOT / "rules", recommender.snapshot.reference)
    assert config.date(DAY, "nl") == "07-12-2026"
    assert config.date(DAY, "de") == "07.12.2026"
