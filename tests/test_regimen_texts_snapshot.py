"""Regimen texts are part of the snapshot (issue 13, defect 1).

Regression: regimen_texts.yaml was loaded lazily into a side cache, so a broken file passed
`dosewise rules check` and hot reload, then `POST /v1/regimens` and `POST /v1/intake/check`
answered 422 `data_file_invalid`; an edit of it did not change `versions.rules`.
"""

from __future__ import annotations

import datetime as dt

import pytest

from service.core.errors import DataFileError
from service.core.recommender import Recommender

from .conftest import TODAY

REGIMEN = {"profile": {"age": 75}, "locale": "en"}


def _texts(data_copy):
    return data_copy.reference_dir / "regimen_texts.yaml"


def _break(data_copy) -> None:
    path = _texts(data_copy)
    text = path.read_text(encoding="utf-8")
    # drop one required text: the file no longer has `notice_no_targets`
    path.write_text(text.replace("  notice_no_targets:", "  notice_no_targets_typo:"), "utf-8")


def test_a_broken_regimen_texts_file_is_refused_at_load_with_its_name(data_copy):
    _break(data_copy)
    with pytest.raises(DataFileError) as refused:
        Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    assert any(f.file.endswith("regimen_texts.yaml") for f in refused.value.findings)


def test_a_broken_regimen_texts_file_on_reload_keeps_the_last_good_set_serving(data_copy):
    core = Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    versions = dict(core.snapshot.versions)
    assert core.regimen(REGIMEN, TODAY)["lines"]
    _break(data_copy)
    status = core.reload()
    assert status.ok is False
    assert any(f.file.endswith("regimen_texts.yaml") for f in status.findings)
    assert core.snapshot.versions == versions
    answer = core.regimen(REGIMEN, TODAY)  # the last good texts still answer
    assert answer["lines"] and answer["targets"]
    assert core.check_intake({"profile": {"age": 75}, "basket": []}, TODAY)["totals"] is not None


def test_an_edit_of_the_regimen_texts_is_a_new_rules_version(data_copy):
    core = Recommender(
        data_copy, cache_size=0, reload_interval=0, clock=lambda: dt.date(2026, 11, 28)
    )
    before = core.snapshot.versions["rules"]
    path = _texts(data_copy)
    path.write_text(path.read_text("utf-8") + "\n# an edit\n", "utf-8")
    assert core.reload().ok
    assert core.snapshot.versions["rules"] != before
