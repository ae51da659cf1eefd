"""Session 34's hostile review (s34b), each finding seen failing before its fix.

F3: a campaign whose `valid_from` held a time of day (YAML reads an unquoted
`2026-12-01 09:00:00` as a datetime) passed `rules check` and lint, was reloaded, and every list
answered 500 while /readyz said ready. F8: `weight: "0.2"` and `enabled: "no"` loaded without a
finding. F4: a time in experiments.yaml's `start` raised a TypeError in `experiments check` and
an HTML 500 on the first request after the change, then was ignored without a word.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap

import pytest
from click.testing import CliRunner

from service.cli import main as cli_main
from service.core.canary import check_answers
from service.core.errors import DataFileError
from service.core.snapshot import load_snapshot

from .conftest import memory_app

CAMPAIGN = """\
source: "test"
rules:
  - id: nine-oclock
    description: "A campaign that starts at nine"
    when: "profile.age >= 18"
    categories: [magnesium]
    action: boost
    weight: {weight}
    enabled: {enabled}
    reason: {{nl: "Actie.", de: "Aktion.", en: "Offer."}}
    valid_from: {valid_from}
"""
SENIOR = {"profile": {"age": 67, "sex": "female", "country": "NL"}}


def _campaign(data_copy, weight="0.2", enabled="true", valid_from="2026-12-01") -> str:
    text = CAMPAIGN.format(weight=weight, enabled=enabled, valid_from=valid_from)
    (data_copy.merchandising_dir / "nine.yaml").write_text(text, encoding="utf-8")
    return text


def _check(data_copy):
    args = ["--catalog", str(data_copy.catalog), "--rules", str(data_copy.rules)]
    return CliRunner().invoke(cli_main, ["rules", "check", *args])


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("valid_from", "2026-12-01 09:00:00", "must be a date without a time"),
        ("valid_from", "2026-12-07T00:00:00+14:00", "must be a date without a time"),
        ("weight", '"0.2"', "must be a number, got '0.2'"),
        ("enabled", '"no"', "must be true or false, got 'no'"),
    ],
)
def test_a_rule_value_of_the_wrong_kind_is_refused_at_its_line(data_copy, field, value, said):
    text = _campaign(data_copy, **{field: value})
    checked = _check(data_copy)
    assert checked.exit_code == 1, checked.output
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.strip().startswith(field))
    assert f"nine.yaml:{line}:" in checked.output and said in checked.output, checked.output


def test_a_campaign_with_a_time_keeps_the_last_good_rules_serving(data_copy):
    client = memory_app(data=data_copy).test_client()
    before = client.post("/v1/recommendations", json=SENIOR)
    assert before.status_code == 200
    _campaign(data_copy, valid_from="2026-12-01 09:00:00")
    reload = client.post("/v1/admin/reload", json={})
    assert reload.status_code == 422, reload.get_json()
    for path, body in [
        ("/v1/recommendations", SENIOR),
        ("/v1/regimens", SENIOR),
        ("/v1/intake/check", SENIOR),
    ]:
        assert client.post(path, json=body).status_code == 200, path
    after = client.post("/v1/recommendations", json=SENIOR).get_json()
    assert after["versions"] == before.get_json()["versions"]


def test_a_data_set_that_fails_on_a_sample_request_is_refused(data_copy):
    """Whatever no check foresaw: the set answers sample requests before it serves. Here the
    state F3 left behind, built directly (the schema refuses it now): a rule whose start is a
    datetime, which raised on every request."""
    snapshot = load_snapshot(data_copy)
    rules = snapshot.rules
    broken = dataclasses.replace(rules.rules[0], valid_from=dt.datetime(2026, 12, 1, 9))
    bad = dataclasses.replace(
        snapshot, rules=dataclasses.replace(rules, rules=(broken, *rules.rules[1:]))
    )
    with pytest.raises(DataFileError) as caught:
        check_answers(bad, "rules/merchandising", ("NL", "DE"))
    (finding,) = caught.value.findings
    assert finding.code == "sample_request" and "TypeError" in finding.message, str(finding)
    check_answers(snapshot, "rules/merchandising", ("NL", "DE"))  # the good set answers


def test_an_experiment_start_with_a_time_is_refused_and_never_a_500(data_copy):
    path = data_copy.rules / "experiments.yaml"
    text = path.read_text(encoding="utf-8")
    client = memory_app(data=data_copy).test_client()
    assert client.post("/v1/recommendations", json=SENIOR).status_code == 200
    changed = textwrap.dedent(text).replace("start: 2026-12-14", "start: 2026-12-14 08:00:00", 1)
    assert changed != text, "the shipped experiments file changed: adapt this test"
    path.write_text(changed, encoding="utf-8")
    checked = _check(data_copy)
    assert checked.exit_code == 1 and "start must be a date" in checked.output, checked.output
    args = ["--catalog", str(data_copy.catalog), "--rules", str(data_copy.rules)]
    experiments = CliRunner().invoke(cli_main, ["experiments", "check", *args])
    assert experiments.exit_code == 1 and "Traceback" not in experiments.output
    for _ in range(2):
        answer = client.post("/v1/recommendations", json=SENIOR)
        assert answer.status_code == 200 and answer.is_json
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready", ready
    assert "start must be a date" in (ready["checks"]["experiments"]["error"] or ""), ready


@pytest.mark.parametrize(
    ("before", "after", "said"),
    [
        ("vegan: false", 'vegan: "no"', "must be true or false, got 'no'"),
        ("pregnancy_suitable: true", 'pregnancy_suitable: "yes"', "must be true or false"),
        ("price: ", 'price: "9.95" #', "must be a number"),
    ],
)
def test_a_catalog_value_of_the_wrong_kind_is_refused_at_its_line(data_copy, before, after, said):
    """The catalog's flags and numbers as the rules' (F8): a quoted "no" was read as false."""
    text = data_copy.catalog.read_text(encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.strip().startswith(before))
    rows = text.splitlines()
    indent = rows[line - 1][: len(rows[line - 1]) - len(rows[line - 1].lstrip())]
    rows[line - 1] = indent + after + (" 1" if after.endswith("#") else "")
    data_copy.catalog.write_text("\n".join(rows) + "\n", encoding="utf-8")
    checked = _check(data_copy)
    assert checked.exit_code == 1, checked.output
    assert f"products.yaml:{line}:" in checked.output and said in checked.output, checked.output


def test_the_placements_file_takes_true_or_false_only(data_copy):
    """Review s34c 7: the stricter flags and numbers covered the rules and the catalog only;
    `precomputed: "no"` in placements.yaml passed `rules check`."""
    path = data_copy.rules / "placements.yaml"
    text = path.read_text(encoding="utf-8")
    assert "precomputed: true" in text
    path.write_text(text.replace("precomputed: true", 'precomputed: "no"', 1), encoding="utf-8")
    checked = _check(data_copy)
    assert checked.exit_code == 1, checked.output
    assert "placements.yaml:" in checked.output and "must be true or false" in checked.output


def test_a_week_date_is_no_day(data_copy):
    """Review s34c 8: "2026-W49-1" (read as 2026-11-30) passed as a date."""
    _campaign(data_copy, valid_from='"2026-W49-1"')
    checked = _check(data_copy)
    assert checked.exit_code == 1 and "must be a date without a time" in checked.output


def test_a_byte_that_is_not_utf8_is_refused_at_its_line_and_column(data_copy):
    """Review s35b F5: a bad byte near the end of the catalog was reported at line 1, column 1
    ("... position 82288"), which sends a merchandiser to the top of a 2,000-line file."""
    raw = data_copy.catalog.read_bytes()
    lines = raw.split(b"\n")
    target = len(lines) - 5
    lines[target] = lines[target] + " # µ ä caf".encode() + b"\xe9"  # a column in characters
    data_copy.catalog.write_bytes(b"\n".join(lines))
    checked = _check(data_copy)
    column = len(lines[target][:-1].decode()) + 1  # the byte is the line's last
    assert checked.exit_code == 1, checked.output
    assert f"products.yaml:{target + 1}:{column}:" in checked.output, checked.output
