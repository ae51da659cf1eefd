"""The merchandiser tools of issue #5: `dosewise rules lint`, the JSON Schema of the rule files,
`dosewise rules test`, `dosewise explain` and `dosewise rules diff`.

Every crafted rule file is written here as text, and every expected line number is computed from
that text. Crafted files go into a private copy of the data (`data_copy`); the shipped files are
only read.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import shutil
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from service.cli import main
from service.contract.schemas import RecommendationRequestSchema
from service.core.errors import DataFileError
from service.core.explain import explain_product
from service.core.lint import lint
from service.core.lint_wording import display
from service.core.ranking import recommend
from service.core.requests import RecommendationRequest
from service.core.rule_diff import diff_rule_sets, render_html, render_text
from service.core.rules import RULE_ID, load_rules, rule_files, schema_reference_line
from service.core.samples import sample_profiles
from service.core.snapshot import DataPaths, Snapshot, load_snapshot
from service.core.vocabulary import LOCALES, RULE_ACTIONS

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "catalog" / "products.yaml"
RULES = ROOT / "rules"
MERCHANDISING = RULES / "merchandising"
SCHEMA_PATH = RULES / "schema" / "rules.schema.json"
SHIPPED_TESTS = RULES / "tests" / "shipped_rules.yaml"
SCHEMA_LINE = "# yaml-language-server: $schema=../schema/rules.schema.json"
TODAY = dt.date(2026, 11, 28)  # as in conftest: inside the shipped winter campaign
DATE = TODAY.isoformat()
FLAGSHIP = "XF-D3K2-TAB"
# a doctor's 75 µg justifies the 75 µg flagship and makes it the dose that fits (guarantee 10,
# review s5 R8: a serum level of 25 nmol/l advises 25 µg, and a 25 µg product leads)
SENIOR_NL = {"age": 72, "country": "NL", "higher_dose_advised": {"vitamin_d_ug": 75}}
D_LIMIT_TEXT = (
    "vitamin_d_ug: 50 taken or in the basket + 75 from this product + 9 from food = 134 µg a day,"
    " above the upper limit of 100 µg"
)
VKA_AT_D_LIMIT = {
    "age": 40,
    "medications": ["vitamin_k_antagonist"],
    "current_supplements": [{"label": "x", "nutrients": {"vitamin_d_ug": 50}}],
}


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Snapshot:
    return load_snapshot(DataPaths(CATALOG, RULES))


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def data_options(paths: DataPaths) -> list[str]:
    return ["--catalog", str(paths.catalog), "--rules", str(paths.rules)]


SHIPPED_OPTIONS = data_options(DataPaths(CATALOG, RULES))


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of `text` that contains `needle`."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


def write_rules(
    folder: Path, text: str, name: str = "zz_crafted.yaml", header: str | None = SCHEMA_LINE
) -> tuple[Path, str]:
    """Write a YAML file (dedented; a rule file names the schema in its first line) and return
    its path and exact text."""
    body = (header + "\n" if header else "") + textwrap.dedent(text).lstrip("\n")
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path, body


def request_for(profile: dict[str, Any]) -> RecommendationRequest:
    return RecommendationRequestSchema().load({"profile": profile})


def authorised_texts(locale: str) -> list[str]:
    claims = yaml.safe_load((RULES / "reference" / "claims.yaml").read_text(encoding="utf-8"))
    return [claim["text"][locale] for claim in claims["claims"].values()]


# --- 1. lint -------------------------------------------------------------------------------------


# Catalog products the law keeps off a market on purpose (guarantee 8): reported, not a fault.
KEPT_OFF = {"above-market-maximum", "not-sellable", "above-upper-limit"}


def rule_findings(result: Any) -> list:
    """Lint findings about rule files (the shipped catalog adds the KEPT_OFF ones)."""
    return [f for f in result.findings if f.code not in KEPT_OFF]


def test_lint_shipped_rules_have_no_errors_and_no_warnings() -> None:
    result = lint(DataPaths(CATALOG, RULES), today=TODAY)
    assert [str(f) for f in result.findings if f.code not in KEPT_OFF] == []
    assert not result.strict_failures


def test_lint_cli_shipped_rules_exit_0_also_strict() -> None:
    plain = cli("rules", "lint", *SHIPPED_OPTIONS, "--date", DATE)
    assert plain.exit_code == 0, plain.output
    assert all(
        any(f": warning: {code}: " in line for code in KEPT_OFF)
        for line in plain.stdout.splitlines()
    ), plain.stdout
    assert "0 error(s)" in plain.stderr
    strict = cli("rules", "lint", *SHIPPED_OPTIONS, "--date", DATE, "--strict")
    assert strict.exit_code == 0, strict.output


# Each case: a crafted rule file, the warning code it must raise and the rule it is raised on.
WARNING_CASES = {
    "matches-no-product": (
        """
        source: lint test
        rules:
          - id: t-no-product
            description: no product costs that much
            products: "product.price > 100000.0"
            action: bury
            weight: 0.1
        """,
        "t-no-product",
    ),
    "matches-no-profile": (
        """
        source: lint test
        rules:
          - id: t-no-profile
            description: nobody in the sample is that old
            when: "profile.age > 119"
            skus: [XF-D3-10-TAB]
            action: bury
            weight: 0.1
        """,
        "t-no-profile",
    ),
    "campaign-over": (
        """
        source: lint test
        rules:
          - id: t-campaign-over
            description: last winter's campaign, still enabled
            skus: [XF-D3-10-TAB]
            action: bury
            weight: 0.1
            valid_from: 2025-10-01
            valid_until: 2026-01-31
        """,
        "t-campaign-over",
    ),
    "pin-conflict": (
        """
        source: lint test
        rules:
          - id: t-pin-adults
            description: pin a D3 tablet for adults
            when: "profile.age >= 18"
            skus: [XF-D3-10-TAB]
            action: pin
            position: 7
            reason:
              nl: "Een product met vitamine D."
              de: "Ein Produkt mit Vitamin D."
              en: "A product with vitamin D."
            priority: 5
          - id: t-pin-over-30
            description: pin omega-3 at the same position for people 30+
            when: "profile.age >= 30"
            skus: [XF-OMEGA3-1000-SG]
            action: pin
            position: 7
            reason:
              nl: "Een product met omega-3."
              de: "Ein Produkt mit Omega-3."
              en: "A product with omega-3."
            priority: 4
        """,
        "t-pin-over-30",
    ),
    "shadowed": (
        """
        source: lint test
        rules:
          - id: t-exclude-adults
            description: exclude two D3 products for every adult
            when: "profile.age >= 18"
            skus: [XF-D3-10-TAB, XF-D3-100-CAP]
            action: exclude
          - id: t-boost-over-40
            description: boost one of them for people 40+ (always excluded then)
            when: "profile.age >= 40"
            skus: [XF-D3-10-TAB]
            action: boost
            weight: 0.1
            reason:
              nl: "Een product met vitamine D."
              de: "Ein Produkt mit Vitamin D."
              en: "A product with vitamin D."
        """,
        "t-boost-over-40",
    ),
}


# health wording outside an authorised claim: an error since review s43c 3 (guarantee 7)
CLAIM_WORDING = (
    """
        source: lint test
        rules:
          - id: t-claim-wording
            description: a claim, but not the authorised wording
            skus: [XF-D3-10-TAB]
            action: bury
            weight: 0.1
            reason:
              nl: "Vitamine D draagt bij tot sterke botten."
              de: "Ein Produkt mit Vitamin D."
              en: "A product with vitamin D."
        """,
    "t-claim-wording",
)


@pytest.mark.parametrize("code", list(WARNING_CASES))
def test_lint_warning_fires_on_crafted_rule_with_file_line_and_rule_id(
    data_copy: DataPaths, code: str
) -> None:
    text, rule_id = WARNING_CASES[code]
    path, body = write_rules(data_copy.merchandising_dir, text)
    result = lint(data_copy, today=TODAY)
    assert result.errors == []
    findings = rule_findings(result)
    got = [(f.file, f.line, f.column, f.code, f.rule_id, f.severity) for f in findings]
    line, column = line_of(body, f"- id: {rule_id}"), 1
    assert got == [(display(path), line, column, code, rule_id, "warning")]
    assert code in ("campaign-over", "matches-no-product") or findings[0].hint


def _value_at(body: str, needle: str) -> tuple[int, int]:
    """Line and column (1-based) of the first character after `needle`."""
    line = line_of(body, needle)
    return line, body.splitlines()[line - 1].index(needle) + len(needle) + 1


def test_lint_pin_conflict_and_shadowed_name_the_other_rule(data_copy: DataPaths) -> None:
    for code, other in (("pin-conflict", "t-pin-adults"), ("shadowed", "t-exclude-adults")):
        path, body = write_rules(data_copy.merchandising_dir, WARNING_CASES[code][0])
        (finding,) = rule_findings(lint(data_copy, today=TODAY))
        assert f"{other!r} ({display(path)}:{line_of(body, f'- id: {other}')})" in finding.message


def test_lint_claim_wording_hint_quotes_an_authorised_text(data_copy: DataPaths) -> None:
    write_rules(data_copy.merchandising_dir, CLAIM_WORDING[0])
    (finding,) = rule_findings(lint(data_copy, today=TODAY))
    assert finding.severity == "error"
    assert "(nl)" in finding.message
    assert finding.hint is not None and finding.hint.startswith("use: ")
    assert ast.literal_eval(finding.hint.removeprefix("use: ")) in authorised_texts("nl")


def test_lint_campaign_over_depends_on_the_date(data_copy: DataPaths) -> None:
    write_rules(data_copy.merchandising_dir, WARNING_CASES["campaign-over"][0])
    assert rule_findings(lint(data_copy, today=dt.date(2026, 1, 31))) == []
    assert [f.code for f in rule_findings(lint(data_copy, today=dt.date(2026, 2, 1)))] == [
        "campaign-over"
    ]


def test_lint_cli_prints_warnings_exit_0_strict_exit_1_json_parseable(
    data_copy: DataPaths,
) -> None:
    path, body = write_rules(data_copy.merchandising_dir, WARNING_CASES["campaign-over"][0])
    args = ["rules", "lint", *data_options(data_copy), "--date", DATE]
    plain = cli(*args)
    assert plain.exit_code == 0, plain.output
    line = line_of(body, "- id: t-campaign-over")
    prefix = f"{display(path)}:{line}:1: warning: campaign-over: "
    (printed,) = [x for x in plain.stdout.splitlines() if not any(c in x for c in KEPT_OFF)]
    assert printed.startswith(prefix)
    assert "[rule t-campaign-over]" in printed
    assert "0 error(s), 1 warning(s)" in plain.stderr

    strict = cli(*args, "--strict")
    assert strict.exit_code == 1
    assert strict.stdout.startswith(prefix)

    as_json = cli(*args, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    findings = [f for f in json.loads(as_json.stdout) if f["code"] not in KEPT_OFF]
    assert [(f["severity"], f["code"], f["rule_id"], f["line"]) for f in findings] == [
        ("warning", "campaign-over", "t-campaign-over", line)
    ]
    assert findings[0]["file"] == display(path)


def test_lint_cli_prints_claim_wording_as_an_error_exit_1_with_the_authorised_text(
    data_copy: DataPaths,
) -> None:
    """Review s43c 3: health wording outside an authorised claim is an error (guarantee 7),
    at the locale line, the column where its text starts, with the authorised text to use."""
    path, body = write_rules(data_copy.merchandising_dir, CLAIM_WORDING[0])
    args = ["rules", "lint", *data_options(data_copy), "--date", DATE]
    plain = cli(*args)
    assert plain.exit_code == 1, plain.output
    line, column = _value_at(body, 'nl: "')
    prefix = f"{display(path)}:{line}:{column}: claim-wording: "
    (printed,) = [x for x in plain.stdout.splitlines() if not any(c in x for c in KEPT_OFF)]
    assert printed.startswith(prefix)
    assert "[rule t-claim-wording]" in printed and "(hint: use: " in printed
    assert "1 error(s), 0 warning(s)" in plain.stderr
    as_json = cli(*args, "--format", "json")
    assert as_json.exit_code == 1, as_json.output
    findings = [f for f in json.loads(as_json.stdout) if f["code"] not in KEPT_OFF]
    assert [(f["severity"], f["code"], f["rule_id"], f["line"]) for f in findings] == [
        ("error", "claim-wording", "t-claim-wording", line)
    ]
    assert findings[0]["hint"].startswith("use: ")


def test_lint_unknown_sku_is_an_error_exit_1_with_did_you_mean(data_copy: DataPaths) -> None:
    path, body = write_rules(
        data_copy.merchandising_dir,
        """
        source: lint test
        rules:
          - id: t-typo
            description: a typo in a SKU
            skus: [XF-D3K2-TB]
            action: bury
            weight: 0.1
        """,
    )
    result = lint(data_copy, today=TODAY)
    assert [(f.file, f.line, f.code, f.rule_id, f.severity) for f in result.findings] == [
        (display(path), line_of(body, "skus:"), "unknown_sku", "t-typo", "error")
    ]
    for extra in ([], ["--format", "json"]):
        run = cli("rules", "lint", *data_options(data_copy), "--date", DATE, *extra)
        assert run.exit_code == 1
        assert "did you mean 'XF-D3K2-TAB'" in run.stdout
    text = cli("rules", "lint", *data_options(data_copy), "--date", DATE)
    line, column = _value_at(body, "skus: [")  # at the unknown SKU itself
    assert text.stdout.startswith(f"{display(path)}:{line}:{column}: unknown_sku: ")
    assert "1 error(s), 0 warning(s)" in text.stderr
    as_json = cli("rules", "lint", *data_options(data_copy), "--format", "json")
    assert [f["severity"] for f in json.loads(as_json.stdout)] == ["error"]


def test_lint_one_file_given_as_path(data_copy: DataPaths) -> None:
    path, body = write_rules(data_copy.merchandising_dir, WARNING_CASES["matches-no-profile"][0])
    only = lint(data_copy, path, today=TODAY)
    assert [(f.file, f.line, f.code) for f in only.findings] == [
        (display(path), line_of(body, "- id: t-no-profile"), "matches-no-profile")
    ]
    run = cli("rules", "lint", path, *data_options(data_copy), "--date", DATE)
    assert run.exit_code == 0, run.output
    assert run.stdout.startswith(f"{display(path)}:{line_of(body, '- id: t-no-profile')}:1: ")
    assert "matches-no-profile" in run.stdout
    shipped_file = data_copy.merchandising_dir / "campaigns.yaml"
    clean = cli("rules", "lint", shipped_file, *data_options(data_copy), "--date", DATE, "--strict")
    assert clean.exit_code == 0, clean.output
    assert clean.stdout == ""


# --- 2. JSON Schema ------------------------------------------------------------------------------


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _as_json_types(value: Any) -> Any:
    """YAML dates become ISO strings, as an editor's YAML language server reads them."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _as_json_types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json_types(v) for v in value]
    return value


def schema_errors(path: Path) -> list[str]:
    document = _as_json_types(yaml.safe_load(path.read_text(encoding="utf-8")))
    validator = jsonschema.Draft202012Validator(_schema())
    return [e.message for e in validator.iter_errors(document)]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(_schema())


@pytest.mark.parametrize("path", rule_files(MERCHANDISING), ids=lambda p: p.name)
def test_shipped_rule_file_names_the_schema_and_validates(path: Path) -> None:
    assert path.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_LINE
    reference = schema_reference_line(path)
    assert reference is not None
    assert (path.parent / reference).resolve() == SCHEMA_PATH.resolve()
    assert schema_errors(path) == []


def test_schema_action_enum_locales_and_id_pattern_match_the_loader() -> None:
    rule = _schema()["$defs"]["rule"]
    assert sorted(rule["properties"]["action"]["enum"]) == sorted(RULE_ACTIONS)
    assert len(rule["properties"]["action"]["enum"]) == len(RULE_ACTIONS)
    assert set(_schema()["$defs"]["localized"]["required"]) == set(LOCALES)
    assert rule["properties"]["id"]["pattern"] == RULE_ID


VALID_RULE = """
    source: schema test
    rules:
      - id: t-schema
        description: a valid boost
        when: "profile.age >= 18"
        skus: [XF-D3-10-TAB]
        action: boost
        weight: 0.1
        reason:
          nl: "Een product met vitamine D."
          de: "Ein Produkt mit Vitamin D."
          en: "A product with vitamin D."
        valid_from: 2026-10-01
        valid_until: 2027-03-31
"""
PIN_RULE = VALID_RULE.replace("action: boost", "action: pin\n        position: 3").replace(
    "        weight: 0.1\n", ""
)
# Each broken file: the schema's message (what an editor shows) and what the loader says.
BROKEN_FILES = {
    "unknown key": (
        VALID_RULE.replace("    action: boost", "    colour: red\n        action: boost"),
        "Additional properties are not allowed ('colour' was unexpected)",
        "unknown key 'colour'",  # lint's words, also where the loader refuses (s31b H7)
    ),
    "boost without weight": (
        VALID_RULE.replace("        weight: 0.1\n", ""),
        "'weight' is a required property",
        "boost needs a weight",
    ),
    "pin without position": (
        PIN_RULE.replace("        position: 3\n", ""),
        "'position' is a required property",
        "pin needs a position",
    ),
    "reason missing a locale": (
        VALID_RULE.replace('          de: "Ein Produkt mit Vitamin D."\n', ""),
        "'de' is a required property",
        "reason is missing locale(s): de",
    ),
}


@pytest.mark.parametrize("text", [VALID_RULE, PIN_RULE], ids=["boost", "pin"])
def test_schema_and_loader_accept_the_valid_base_files(
    tmp_path: Path, shipped: Snapshot, text: str
) -> None:
    path, _ = write_rules(tmp_path, text)
    assert schema_errors(path) == []
    assert [r.id for r in load_rules([path], shipped.reference, shipped.catalog).rules] == [
        "t-schema"
    ]


@pytest.mark.parametrize("problem", list(BROKEN_FILES))
def test_schema_flags_what_the_loader_refuses(
    tmp_path: Path, shipped: Snapshot, problem: str
) -> None:
    text, schema_message, loader_message = BROKEN_FILES[problem]
    assert text not in (VALID_RULE, PIN_RULE)
    path, _ = write_rules(tmp_path, text)
    assert schema_errors(path) == [schema_message]
    with pytest.raises(DataFileError) as refused:
        load_rules([path], shipped.reference, shipped.catalog)
    (finding,) = refused.value.findings
    assert loader_message in finding.message and finding.rule_id == "t-schema"


# --- 3. rule tests -------------------------------------------------------------------------------


def test_rules_test_cli_shipped_suite_passes() -> None:
    """Every shipped case passes (cases marked `needs:` may be PENDING, never FAIL)."""
    cases = [
        case
        for path in sorted(SHIPPED_TESTS.parent.glob("*.yaml"))
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    ]
    assert len(cases) >= 1
    pending = sum("needs" in case for case in cases)
    run = cli("rules", "test", *SHIPPED_OPTIONS, "--date", DATE)
    assert run.exit_code == 0, run.output
    assert run.stdout.count("PASS ") + run.stdout.count("PENDING ") == len(cases)
    assert run.stdout.count("PENDING ") <= pending
    assert "FAIL" not in run.stdout
    assert re.match(r"\d+ passed, 0 failed(, \d+ pending)?$", run.stdout.splitlines()[-1])


def test_rules_test_cli_failing_expectation_exit_1_with_fail_and_reason(tmp_path: Path) -> None:
    path, body = write_rules(
        tmp_path,
        """
        cases:
          - name: NL 70+ with a doctor's 75 µg gets the plain 75 µg D3 first
            profile: {age: 72, country: NL, higher_dose_advised: {vitamin_d_ug: 75}}
            date: 2026-11-28
            expect:
              first: XF-D3-75-TAB
          - name: NL 70+ gets omega-3 first (wrong)
            profile: {age: 72, country: NL, higher_dose_advised: {vitamin_d_ug: 75}}
            date: 2026-11-28
            expect:
              first: XF-OMEGA3-1000-SG
        """,
        "cases.yaml",
        header=None,
    )
    run = cli("rules", "test", path, *SHIPPED_OPTIONS, "--date", DATE)
    assert run.exit_code == 1
    where = f"{display(path)}:{line_of(body, '- name: NL 70+ gets omega-3')}"
    assert f"FAIL {where} NL 70+ gets omega-3 first (wrong)" in run.stdout
    assert "expected XF-OMEGA3-1000-SG first; got XF-D3-75-TAB, " in run.stdout
    assert f"PASS {display(path)}:{line_of(body, '- name: NL 70+ with a doctor')}" in run.stdout
    assert run.stdout.splitlines()[-1] == "1 passed, 1 failed"


def test_rules_test_cli_reports_unknown_expectation_key(tmp_path: Path) -> None:
    path, _ = write_rules(
        tmp_path,
        """
        cases:
          - name: a typo in an expectation
            profile: {age: 72, country: NL, higher_dose_advised: {vitamin_d_ug: 75}}
            expect:
              frist: XF-D3K2-TAB
        """,
        "cases.yaml",
        header=None,
    )
    run = cli("rules", "test", path, *SHIPPED_OPTIONS, "--date", DATE)
    assert run.exit_code == 1
    assert "FAIL " in run.stdout
    assert "unknown expectation(s): frist" in run.stdout
    assert run.stdout.splitlines()[-1] == "0 passed, 1 failed"


# --- 4. explain ----------------------------------------------------------------------------------


def test_explain_safety_exclusions_give_upper_limit_numbers_and_vka(shipped: Snapshot) -> None:
    answer = explain_product(shipped, request_for(VKA_AT_D_LIMIT), FLAGSHIP, TODAY)
    assert answer["sku"] == FLAGSHIP
    assert answer["position"] is None
    assert answer["verdict"].startswith("not recommended")
    by_code = {e["code"]: e for e in answer["safety_exclusions"]}
    assert set(by_code) == {"upper_limit", "interaction:vitamin-k-antagonist"}
    limit = by_code["upper_limit"]
    assert limit["text"] == D_LIMIT_TEXT
    assert (limit["nutrient"], limit["amount"], limit["upper_limit"]) == ("vitamin_d_ug", 125, 100)
    assert "vitamin_k_antagonist" in by_code["interaction:vitamin-k-antagonist"]["text"]
    assert D_LIMIT_TEXT in answer["verdict"]


def test_explain_recommended_product_gives_position_and_applied_rules(
    shipped: Snapshot,
) -> None:
    request = request_for(SENIOR_NL)
    listing = [item["sku"] for item in recommend(shipped, request, TODAY)["items"]]
    # the doctor's 75 µg: the plain 75 µg D3 first, the flagship (75 µg + 200 µg K2 nobody
    # advised) second; the winter campaign stands back for a doctor's dose (review s29a F5)
    assert listing[:2] == ["XF-D3-75-TAB", FLAGSHIP]
    answer = explain_product(shipped, request, FLAGSHIP, TODAY)
    assert answer["position"] == 2
    assert answer["verdict"] == "recommended at position 2"
    assert answer["safety_exclusions"] == []
    status = {r["rule"]: r["status"] for r in answer["rules"]}
    assert status["winter-2025-d3-k2-flagship"].startswith("inactive")
    # no measured level: the doctor's 75 µg justifies the flagship, not the serum rule; nor
    # the Health Council's 20 µg for 70+ or the 65+ D3 + K2 boost beside the doctor's dose
    # (review 23p #4: two doses on one item), nor the winter campaign (s29a F5)
    for rule_id in (
        "low-measured-vitamin-d",
        "nl-70-plus-vitamin-d",
        "older-65-plus-d3-k2",
        "winter-2026-d3-k2-flagship",
    ):
        assert status[rule_id] == "condition does not hold for this profile", rule_id
    first = explain_product(shipped, request, listing[0], TODAY)
    assert first["verdict"] == "recommended at position 1"
    # without the doctor's dose the campaign applies to the flagship (70+: 20 µg advised)
    plain = request_for({k: v for k, v in SENIOR_NL.items() if k != "higher_dose_advised"})
    rules = explain_product(shipped, plain, FLAGSHIP, TODAY)["rules"]
    assert {r["rule"]: r["status"] for r in rules}["winter-2026-d3-k2-flagship"] == "applied"


def test_explain_cli_text_and_json(tmp_path: Path, shipped: Snapshot) -> None:
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(VKA_AT_D_LIMIT), encoding="utf-8")
    args = ["explain", *SHIPPED_OPTIONS, "--profile", profile, "--sku", FLAGSHIP, "--date", DATE]
    text = cli(*args)
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"{FLAGSHIP} (") and "): not recommended: " in lines[0]
    assert f"  safety  upper_limit: {D_LIMIT_TEXT}" in lines
    assert any(line.startswith("  safety  interaction:vitamin-k-antagonist: ") for line in lines)
    assert any(
        line.startswith("  rule    winter-2026-d3-k2-flagship (boost +0.2): applied")
        for line in lines
    )
    assert lines[-1].startswith("  score   raw ")

    as_json = cli(*args, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    answer = json.loads(as_json.stdout)
    expected = explain_product(shipped, request_for(VKA_AT_D_LIMIT), FLAGSHIP, TODAY)
    for key in ("sku", "verdict", "position", "safety_exclusions", "rules"):
        assert answer[key] == expected[key], key


def test_explain_cli_unknown_sku_exit_1(tmp_path: Path) -> None:
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(SENIOR_NL), encoding="utf-8")
    run = cli("explain", *SHIPPED_OPTIONS, "--profile", profile, "--sku", "XF-NOPE", "--date", DATE)
    assert run.exit_code == 1
    # one line, as every CLI error (review 19 F10: it was the API's JSON error over 8 lines)
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("dosewise: no product with SKU 'XF-NOPE'"), line


# --- 5. diff -------------------------------------------------------------------------------------

# The most shown product of the sample (since issue 10 the 75 µg flagship is above the dose
# band for most profiles, so it is no longer the one whose removal moves most lists).
DIFF_SKU = "XF-D3K2-DROPS"
EXCLUDE_FLAGSHIP = f"""
    source: diff test
    rules:
      - id: t-no-flagship
        description: take the most shown product out for everyone
        skus: [{DIFF_SKU}]
        action: exclude
"""


@pytest.fixture()
def new_folder(tmp_path: Path) -> Path:
    """The shipped merchandising folder plus a rule that excludes the flagship for everyone."""
    folder = tmp_path / "new_merchandising"
    shutil.copytree(MERCHANDISING, folder)
    write_rules(folder, EXCLUDE_FLAGSHIP)
    return folder


@pytest.fixture(scope="module")
def profiles(shipped: Snapshot) -> list[dict[str, Any]]:
    return sample_profiles(200, [p.sku for p in shipped.catalog.products])


def test_diff_exclude_flagship_changes_lists_and_removes_all_its_exposure(
    new_folder: Path, profiles: list[dict[str, Any]]
) -> None:
    result = diff_rule_sets(DataPaths(CATALOG, RULES), MERCHANDISING, new_folder, profiles, TODAY)
    assert result["profiles"] == 200 and result["top"] == 5 and result["date"] == DATE
    assert result["rules_added"] == ["t-no-flagship"] and result["rules_removed"] == []
    (flagship,) = [d for d in result["exposure"] if d["sku"] == DIFF_SKU]
    assert flagship["old"] > 0 and flagship["new"] == 0
    assert flagship["delta"] == -flagship["old"]
    # the largest move comes first (the product that takes its place may move as much)
    assert abs(result["exposure"][0]["delta"]) == flagship["old"]
    # Removing one product changes exactly the lists that showed it.
    assert 0 < result["changed"] == flagship["old"] <= 200
    assert result["changed_share"] == round(result["changed"] / 200, 4)
    assert result["segments"]
    assert sum(s["changed"] for s in result["segments"]) == result["changed"]
    assert all(0 < s["changed"] <= s["profiles"] for s in result["segments"])
    text = render_text(result)
    assert text.splitlines()[0].startswith(f"{result['changed']} of 200 top-5 lists change")
    assert re.search(rf"-\s*{flagship['old']}\s+{DIFF_SKU}\s+{flagship['old']} -> 0", text)


def test_diff_identical_folders_change_nothing(
    tmp_path: Path, profiles: list[dict[str, Any]]
) -> None:
    copy = tmp_path / "same"
    shutil.copytree(MERCHANDISING, copy)
    result = diff_rule_sets(DataPaths(CATALOG, RULES), MERCHANDISING, copy, profiles, TODAY)
    assert result["changed"] == 0
    assert result["exposure"] == [] and result["segments"] == []
    assert result["rules_added"] == [] and result["rules_removed"] == []


def test_diff_html_report_has_an_svg_chart_with_bars(
    new_folder: Path, profiles: list[dict[str, Any]]
) -> None:
    result = diff_rule_sets(DataPaths(CATALOG, RULES), MERCHANDISING, new_folder, profiles, TODAY)
    page = render_html(result)
    assert page.startswith("<!doctype html>")
    svg_text = page[page.index("<svg") : page.index("</svg>") + len("</svg>")]
    svg = ET.fromstring(svg_text)
    rects = svg.findall("{http://www.w3.org/2000/svg}rect")
    assert len(rects) == min(len(result["exposure"]), 15) > 0
    titles = [rect.find("{http://www.w3.org/2000/svg}title").text for rect in rects]
    (lost,) = [d for d in result["exposure"] if d["sku"] == DIFF_SKU]
    assert f"{DIFF_SKU}: {lost['delta']:+d}" in titles
    fills = [rect.get("fill") for rect in rects]
    assert fills[titles.index(f"{DIFF_SKU}: {lost['delta']:+d}")] == "#c62828"  # loss, in red
    assert all(float(rect.get("width")) > 0 for rect in rects)


def test_diff_cli_two_folders_with_html(
    tmp_path: Path, new_folder: Path, profiles: list[dict[str, Any]]
) -> None:
    out = tmp_path / "out.html"
    run = cli(
        "rules", "diff", MERCHANDISING, new_folder, *SHIPPED_OPTIONS,
        "--profiles", "200", "--html", out, "--date", DATE,
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    expected = diff_rule_sets(DataPaths(CATALOG, RULES), MERCHANDISING, new_folder, profiles, TODAY)
    assert run.stdout.splitlines()[0] == render_text(expected).splitlines()[0]
    assert DIFF_SKU in run.stdout and "segments that move most:" in run.stdout
    assert f"HTML report: {out}" in run.stdout
    page = out.read_text(encoding="utf-8")
    assert "<svg" in page and "<rect" in page


def test_diff_cli_git_head_as_old_exports_the_committed_folder() -> None:
    run = cli("rules", "diff", "git:HEAD", *SHIPPED_OPTIONS, "--profiles", "50", "--date", DATE)
    assert run.exit_code == 0, run.output
    assert re.match(r"\d+ of 50 top-5 lists change", run.stdout)
