"""Review s32b F1: a bounded but very costly CEL condition (three nested `.all()` over literal
lists of 300, 300 and 100 elements: 9 million steps) passed `rules check`, hung `rules lint`
and took the service down (seconds per reload and per uncached request). It is refused at load,
with its file and line, before it is ever evaluated; realistic conditions are not."""

from __future__ import annotations

import datetime as dt
import glob
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from service.cli import main
from service.core.expression_cost import COST_LIMIT, estimate_cost
from service.core.expressions import compile_expression
from service.core.recommender import Recommender
from service.core.snapshot import DataPaths

from .test_data_files import SENIOR, line_no, only_finding, refusal, same_file, write_rules

TODAY = dt.date(2026, 11, 28)
ROOT = Path(__file__).resolve().parents[1]


def literal(count: int) -> str:
    return "[" + ",".join(str(i) for i in range(count)) + "]"


# the review's condition: bounded, 9 million steps, seconds per evaluation
COSTLY = f"{literal(300)}.all(x, {literal(300)}.all(y, {literal(100)}.all(z, x + y + z >= 0)))"
# every `.map(a, a + a)` doubles the list: 18 of them build half a million elements
DOUBLING = "[[1, 2]]" + "".join(f".map(a{i}, a{i} + a{i})" for i in range(18))
DOUBLING += ".all(z, size(z) > 0)"


def costly_rule(paths: DataPaths, when: str = COSTLY) -> tuple[Path, str]:
    return write_rules(
        paths,
        "spring.yaml",
        f"""\
        source: "test"
        rules:
          - id: spring-x
            description: "x"
            when: "{when}"
            categories: [magnesium]
            action: boost
            weight: 0.2
            reason:
              nl: "Voorjaarsactie op magnesium."
              de: "Frühjahrsaktion für Magnesium."
              en: "Spring offer on magnesium."
        """,
    )


def test_a_costly_condition_is_refused_at_load_with_its_file_and_line(data_copy):
    path, text = costly_rule(data_copy)
    finding = only_finding(refusal(data_copy), path)
    assert finding.code == "expression_cost", str(finding)
    assert finding.line == line_no(text, "when:")
    assert finding.rule_id == "spring-x"
    assert f"{COST_LIMIT:,}" in finding.message and "steps" in finding.message
    assert finding.hint and "nest fewer macros" in finding.hint


def test_rules_check_refuses_a_costly_condition(data_copy):
    path, text = costly_rule(data_copy)
    args = ["rules", "check", "--catalog", str(data_copy.catalog), "--rules", str(data_copy.rules)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith(str(path))]
    where, code, _ = line.split(": ", 2)
    assert code == "expression_cost"
    assert int(where.rsplit(":", 2)[1]) == line_no(text, "when:")
    assert "ok:" not in result.stdout


def test_a_reload_refuses_a_costly_condition_and_the_last_good_rules_serve(data_copy):
    core = Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    before = core.recommend(SENIOR)
    versions = dict(core.snapshot.versions)
    path, _ = costly_rule(data_copy)
    status = core.reload()
    assert status.ok is False
    assert [f.code for f in status.findings if same_file(f.file, path)] == ["expression_cost"]
    assert core.snapshot.versions == versions
    assert core.recommend(SENIOR)["items"] == before["items"]


@pytest.mark.parametrize("when", [COSTLY, DOUBLING], ids=["nested-all", "doubling-map"])
def test_compile_refuses_costly_conditions_without_evaluating_them(when):
    expression, findings = compile_expression(when, "spring.yaml", 5, 11, "spring-x")
    assert expression is None
    (finding,) = findings
    assert (finding.file, finding.line, finding.code) == ("spring.yaml", 5, "expression_cost")


@pytest.mark.parametrize(
    "when",
    [
        "profile.goals.exists(g, g == 'bones')",
        "profile.age >= 18 && profile.conditions.exists(c, c in ['osteoporosis', 'osteopenia'])",
        "basket.skus.exists(s, s.startsWith('XF-D3'))",
        "profile.medications.all(m, !(m in ['warfarin', 'levothyroxine']))",
    ],
)
def test_a_realistic_macro_over_a_profile_list_is_fine(when):
    expression, findings = compile_expression(when, "campaigns.yaml", 3, 11, "r")
    assert findings == [] and expression is not None
    assert estimate_cost(when) < COST_LIMIT / 5


def test_the_shipped_rules_load_with_no_cost_finding_and_stay_far_below_the_limit():
    conditions = []

    def walk(value):
        if isinstance(value, dict):
            for key, sub in value.items():
                if key in ("when", "products", "amount") and isinstance(sub, str):
                    conditions.append(sub)
                walk(sub)
        elif isinstance(value, list):
            for sub in value:
                walk(sub)

    for name in glob.glob(str(ROOT / "rules" / "**" / "*.yaml"), recursive=True):
        walk(yaml.load(Path(name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    assert len(conditions) > 50
    assert max(estimate_cost(c) for c in conditions) < COST_LIMIT / 5
    for condition in conditions:
        assert compile_expression(condition, "x.yaml", 1)[1] == []
