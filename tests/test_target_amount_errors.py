"""A target whose amount cannot be evaluated is left out with a log line (issue 13, defect 6).

Regression: a catch-all in the ranking dropped such a target silently, so a profile lost an
advice and nothing said why.
"""

from __future__ import annotations

import logging

from service.core.recommender import Recommender

from .conftest import TODAY

BROKEN_TARGET = """\
  - id: test-amount-that-fails
    when: "profile.age >= 70"
    nutrient: vitamin_d_ug
    amount: "profile.serum_25ohd_nmol_l * 1.0"
    authority: dosewise
    source: "test: the amount reads a field the profile may not have"
"""


def test_a_target_whose_amount_fails_is_logged_with_its_id(data_copy, caplog):
    path = data_copy.reference_dir / "targets.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("targets:\n", "targets:\n" + BROKEN_TARGET, 1), "utf-8")
    core = Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    with caplog.at_level(logging.WARNING, logger="dosewise.core"):
        answer = core.recommend({"profile": {"age": 75}, "limit": 5, "locale": "en"})
    assert answer["items"], "the other targets still serve"
    lines = [r.getMessage() for r in caplog.records if "test-amount-that-fails" in r.getMessage()]
    assert lines and "left out" in lines[0]
    assert "75" not in lines[0]  # no profile value in the log
