"""`dosewise rules lint` flags health wording outside authorised claims and points at the
offending key, value or locale line with a "did you mean" (issue 14 point 3, issue 13 defect 5)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from service.core.lint import lint
from service.core.reference_load import load_reference
from service.core.snapshot import DataPaths

from .conftest import CATALOG, RULES, TODAY

PATHS = DataPaths(CATALOG, RULES)


def write(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    body = textwrap.dedent(text).lstrip("\n")
    path = tmp_path / "rules.yaml"
    path.write_text(body, encoding="utf-8")
    return path, body.splitlines()


def at(lines: list[str], needle: str, after: str = "") -> tuple[int, int]:
    """Line and column (1-based) of `needle` (or of what follows `after` on its line)."""
    for number, line in enumerate(lines, 1):
        if needle in line:
            column = line.index(needle) + 1
            if after:
                column = line.index(after) + len(after) + 1
            return number, column
    raise AssertionError(needle)


def authorised(locale: str) -> set[str]:
    return {c.text[locale] for c in load_reference(RULES / "reference").claims.values()}


FREE_CLAIMS = """
    source: test
    rules:
      - id: free-claims
        description: health wording that is no authorised claim
        skus: [XF-D3K2-TAB]
        action: boost
        weight: 0.2
        reason:
          nl: "magnesium helpt je spieren sneller te herstellen"
          de: "Magnesium stärkt deine Muskeln."
          en: "Magnesium supports your immune system."
"""


def test_free_form_health_claims_are_flagged_at_their_locale_line_with_authorised_wording(
    tmp_path,
):
    """Regression: none of the three was flagged (only "contributes"-like phrases were)."""
    path, lines = write(tmp_path, FREE_CLAIMS)
    findings = lint(PATHS, path, TODAY).findings
    assert [f.code for f in findings] == ["claim-wording"] * 3
    for finding, locale in zip(findings, ("nl", "de", "en"), strict=True):
        assert finding.severity == "error" and finding.rule_id == "free-claims"  # s43c 3
        assert (finding.line, finding.column) == at(lines, f"{locale}: ", f'{locale}: "')
        assert f"({locale})" in finding.message and "1924/2006" in finding.message
        assert finding.hint is not None and finding.hint.startswith("use: ")
        assert finding.hint.removeprefix("use: ").strip("'\"") in authorised(locale)
    assert "'supports'" in findings[2].message and "'immune'" in findings[2].message


def test_authorised_wording_with_its_subject_passes(tmp_path):
    path, _ = write(
        tmp_path,
        """
        source: test
        rules:
          - id: fine
            description: authorised wording, and what it is about
            skus: [XF-D3K2-TAB]
            action: boost
            weight: 0.2
            reason:
              nl: "Voor je botten: Vitamine D draagt bij tot de instandhouding van normale botten."
              de: "Vitamin D trägt zur Erhaltung normaler Knochen bei."
              en: "Vitamin D contributes to the maintenance of normal bones."
        """,
    )
    assert [f.code for f in lint(PATHS, path, TODAY).findings if f.code == "claim-wording"] == []


BROKEN = """
    source: test
    rules:
      - id: typo
        descripton: "x"
        action: exclude
        skus: [XF-D3K2-TAB]
        markets: [NL, GER]
      - id: french
        description: "x"
        action: boost
        weight: 0.2
        skus: [XF-D3K2-TAB]
        reason:
          nl: "a"
          de: "b"
          en: "c"
          fr: "d"
      - id: expr
        description: "x"
        action: exclude
        skus: [XF-D3K2-TAB]
        when: "profile.sex == 'female' && profile.agee >= 18"
"""


@pytest.fixture()
def broken(tmp_path):
    path, lines = write(tmp_path, BROKEN)
    return {f.message.split(":")[0]: f for f in lint(PATHS, path, TODAY).findings}, lines


def test_an_unknown_key_is_reported_at_the_key_with_did_you_mean(broken):
    findings, lines = broken
    (finding,) = [f for f in findings.values() if "descripton" in f.message]
    assert (finding.line, finding.column) == at(lines, "descripton:")
    assert finding.hint == "did you mean 'description'?"


def test_a_market_that_is_no_country_code_says_which_one_was_meant(broken):
    """Regression: `markets: [GER]` said only "does not match expected pattern"."""
    findings, lines = broken
    (finding,) = [f for f in findings.values() if "GER" in f.message]
    assert (finding.line, finding.column) == at(lines, "GER")
    assert finding.hint == "did you mean 'DE'?"


def test_an_unknown_locale_is_reported_at_its_own_line(broken):
    """Regression: a `fr:` locale was reported at 1:1."""
    findings, lines = broken
    (finding,) = [f for f in findings.values() if "'fr'" in f.message]
    assert (finding.line, finding.column) == at(lines, 'fr: "d"')
    assert finding.rule_id == "french"


def test_an_expression_error_points_at_the_offending_name(broken):
    """Issue 13 defect 5: expression errors all reported column 1."""
    findings, lines = broken
    (finding,) = [f for f in findings.values() if f.code == "expression"]
    assert (finding.line, finding.column) == at(lines, "agee")
    assert "did you mean 'age'" in finding.message


def test_lint_of_a_folder_without_rule_files_is_one_finding_not_a_traceback(tmp_path):
    """Issue 13 defect 5: a folder with no rule files crashed in numpy (reshape)."""
    result = CliRunner().invoke(main, ["rules", "lint", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{tmp_path}:1:1: no-rule-files: ")


def test_lint_of_a_file_with_no_rules_is_clean(tmp_path):
    path, _ = write(tmp_path, "source: test\nrules: []\n")
    assert lint(PATHS, path, TODAY).findings == []


def test_the_lint_endpoint_reports_the_files_on_disk_not_a_cached_older_result(data_copy):
    """Regression: the result was cached per rules version in service, so after a broken edit
    (refused, version unchanged) or before this worker reloaded, it showed the old result."""
    from service.api.app import create_app

    app = create_app(
        {
            "TESTING": True,
            "REDIS_URL": None,
            "RELOAD_INTERVAL": 3600,  # this worker will not reload by itself meanwhile
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
        }
    )
    app.extensions["dosewise"].clock = lambda: TODAY
    client = app.test_client()
    assert client.get("/v1/rules/lint").get_json()["errors"] == 0
    broken = data_copy.merchandising_dir / "zz_broken.yaml"
    broken.write_text(
        "source: t\nrules:\n  - id: x\n    description: d\n    action: exclude\n"
        "    skus: [NO-SUCH-SKU]\n",
        encoding="utf-8",
    )
    body = client.get("/v1/rules/lint").get_json()
    assert body["errors"] == 1
    assert body["findings"][0]["code"] == "unknown_sku"
    broken.unlink()
    assert client.get("/v1/rules/lint").get_json()["errors"] == 0


def test_a_disease_claim_is_reported_at_its_locale_line(tmp_path):
    """Regression: the finding pointed at `reason:`, not at the locale that says it."""
    path, lines = write(
        tmp_path,
        """
        source: test
        rules:
          - id: disease
            description: a disease claim
            skus: [XF-D3K2-TAB]
            action: boost
            weight: 0.2
            reason:
              nl: "Vitamine D voorkomt botontkalking."
              de: "Vitamin D trägt zur Erhaltung normaler Knochen bei."
              en: "Vitamin D contributes to the maintenance of normal bones."
        """,
    )
    (finding,) = lint(PATHS, path, TODAY).findings
    assert finding.code == "forbidden_claim"
    assert (finding.line, finding.column) == at(lines, "nl: ", 'nl: "')
